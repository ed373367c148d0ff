//! The payload archive on a folder and on an S3-compatible server (moto's): a delivery
//! comes back byte for byte, a missing one is `NotFound`, and retention deletes whole
//! days before the cutoff and nothing after it.

use chrono::{Duration, Utc};
use companyos_store::archive::{Archive, ArchiveError, ArchiveLocation, ArchivedDelivery};
use companyos_store::testing::S3Server;
use companyos_store::{DeliveryId, IntegrationId, OrgId, Service};
use uuid::{NoContext, Timestamp, Uuid};

/// A delivery whose id dates from `days_ago` days before now.
fn delivery(days_ago: i64, body: &[u8]) -> ArchivedDelivery {
    let at = Utc::now() - Duration::days(days_ago);
    let seconds = u64::try_from(at.timestamp()).expect("after 1970");
    let id = DeliveryId(Uuid::new_v7(Timestamp::from_unix(NoContext, seconds, 0)));
    ArchivedDelivery {
        id,
        organization_id: OrgId::new(),
        integration_id: IntegrationId::new(),
        service: Service::Github,
        delivery_key: format!("key-{days_ago}"),
        event_type: "pull_request".into(),
        headers: serde_json::json!({"x-github-event": "pull_request"}),
        received_at: at,
        body: body.to_vec(),
    }
}

async fn keeps_and_expires(archive: Archive) {
    let old = delivery(40, b"{\"old\": true}");
    let older = delivery(41, b"{\"older\": true}");
    let recent = delivery(2, b"{\"recent\": \"\\u00e9\"}\r\n");
    for delivery in [&old, &older, &recent] {
        archive.put(delivery).await.expect("put");
    }
    // Written twice (a sweep after the edge): the same object.
    archive.put(&recent).await.expect("put again");
    assert_eq!(archive.get(recent.id).await.expect("get"), recent);
    assert_eq!(archive.get(old.id).await.expect("get"), old);
    let missing = DeliveryId::new();
    assert!(
        matches!(archive.get(missing).await, Err(ArchiveError::NotFound(id)) if id == missing),
        "a missing delivery is NotFound"
    );

    let deleted = archive
        .expire(Utc::now() - Duration::days(30))
        .await
        .expect("expire");
    assert_eq!(deleted, 2, "the two days past the retention");
    assert!(matches!(
        archive.get(old.id).await,
        Err(ArchiveError::NotFound(_))
    ));
    assert!(matches!(
        archive.get(older.id).await,
        Err(ArchiveError::NotFound(_))
    ));
    assert_eq!(archive.get(recent.id).await.expect("kept"), recent);
    assert_eq!(
        archive
            .expire(Utc::now() - Duration::days(30))
            .await
            .expect("expire again"),
        0
    );
}

#[tokio::test]
async fn a_folder_keeps_deliveries_and_forgets_them_past_the_retention() {
    let folder = tempfile::tempdir().expect("tempdir");
    let location = ArchiveLocation::Folder(folder.path().join("archive"));
    keeps_and_expires(Archive::open(&location).expect("open")).await;
}

#[tokio::test]
async fn an_s3_bucket_keeps_deliveries_and_forgets_them_past_the_retention() {
    let server = S3Server::start("archive-test");
    let archive = Archive::open(&server.location("node-a/deliveries")).expect("open");
    assert_eq!(archive.location(), "s3://archive-test/node-a/deliveries");
    keeps_and_expires(archive).await;
}
