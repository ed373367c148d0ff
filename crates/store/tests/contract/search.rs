//! Search on both databases: every kind of row is indexed by the triggers as it is
//! written, found by its words (the last as a prefix), ranked title first, updated when
//! the row changes and forgotten when it is deleted — and only ever for its own
//! organization.

use companyos_store::testing::TestDb;
use companyos_store::*;
use serde_json::json;

use crate::fixtures;

companyos_store::contract_tests!(every_kind_is_indexed_updated_and_forgotten_per_organization);

async fn kinds(store: &Store, org: OrgId, query: &str) -> Vec<(SearchKind, uuid::Uuid)> {
    store
        .search()
        .find(org, query, None, 50)
        .await
        .expect("search")
        .into_iter()
        .map(|hit| (hit.kind, hit.resource_id))
        .collect()
}

async fn every_kind_is_indexed_updated_and_forgotten_per_organization(db: &TestDb) {
    let store = &db.store;
    let (acme, _) = fixtures::organization(store, "acme").await;
    let (other, _) = fixtures::organization(store, "other").await;

    let repository = store
        .repositories()
        .upsert(
            acme.id,
            RepositorySync {
                github_id: 1,
                name: "storefront".into(),
                full_name: "acme/storefront".into(),
                default_branch: "main".into(),
                visibility: None,
                metadata: json!({}),
            },
        )
        .await
        .expect("repository");
    let pull_request = store
        .pull_requests()
        .upsert(
            acme.id,
            PullRequestSync {
                repository_id: repository.id,
                github_id: 11,
                number: 7,
                title: "Coupons at checkout".into(),
                body: Some("Lets shoppers redeem vouchers".into()),
                state: PullRequestState::Open,
                author_github_id: None,
                base_branch: Some("main".into()),
                head_branch: Some("coupons".into()),
                draft: false,
                mergeable: None,
                metadata: json!({"author": "octocat"}),
                opened_at: None,
                closed_at: None,
                merged_at: None,
            },
        )
        .await
        .expect("pull request");
    store
        .pull_requests()
        .record_agent_review(
            acme.id,
            pull_request.id,
            AgentReviewStatus::Completed,
            Some(&json!({"summary": "One secret", "findings": [
                {"severity": "critical", "rule": "aws-access-key", "path": "src/config.ts", "message": "An AWS access key is committed"}
            ]})),
        )
        .await
        .expect("review");
    let deployment = store
        .deployments()
        .upsert(
            acme.id,
            DeploymentSync {
                vercel_deployment_id: "dpl_1".into(),
                project_name: "storefront".into(),
                url: "storefront.vercel.app".into(),
                state: DeploymentState::Ready,
                environment: Some(DeploymentEnvironment::Production),
                commit_sha: Some("abc123".into()),
                branch: Some("main".into()),
                metadata: json!({"commit_message": "Ship the voucher form"}),
                ready_at: None,
            },
        )
        .await
        .expect("deployment");
    let file = store
        .figma_files()
        .upsert(
            acme.id,
            FigmaFileSync {
                figma_file_key: "KEY".into(),
                name: "Design system".into(),
                file_type: None,
                thumbnail_url: None,
                last_modified_at: None,
                metadata: json!({}),
            },
        )
        .await
        .expect("file");
    let component = store
        .design_components()
        .upsert(
            acme.id,
            DesignComponentSync {
                figma_file_id: file.id,
                figma_component_id: "1:2".into(),
                name: "VoucherBadge".into(),
                description: Some("Shows a redeemed voucher".into()),
                component_type: Some("badge".into()),
                metadata: json!({}),
            },
        )
        .await
        .expect("component");
    let account = store
        .social_accounts()
        .connect(
            acme.id,
            NewSocialAccount {
                platform: SocialPlatform::Twitter,
                account_id: "42".into(),
                handle: "acme".into(),
                display_name: None,
                avatar_url: None,
                credentials_encrypted: "sealed".into(),
            },
        )
        .await
        .expect("account");
    let post = store
        .social_posts()
        .create(
            acme.id,
            NewSocialPost {
                social_account_id: account.id,
                content: "Vouchers are here: claim yours today".into(),
                scheduled_for: None,
                agent_generated: false,
                metadata: json!({}),
            },
        )
        .await
        .expect("post");
    let event = store
        .events()
        .record(
            acme.id,
            NewEvent {
                event_type: "release.published".into(),
                event_source: "github".into(),
                actor_type: None,
                actor_id: None,
                resource_type: None,
                resource_id: None,
                metadata: json!({"name": "Voucher release"}),
            },
        )
        .await
        .expect("event");
    // The other organization has words of its own, and one in common.
    store
        .events()
        .record(
            other.id,
            NewEvent {
                event_type: "release.published".into(),
                event_source: "github".into(),
                actor_type: None,
                actor_id: None,
                resource_type: None,
                resource_id: None,
                metadata: json!({"name": "Voucher release of another tenant"}),
            },
        )
        .await
        .expect("their event");

    // Each kind by a word of its own (the last word as a prefix), and all of them by
    // the word they share (stemmed: vouchers, voucher).
    assert_eq!(
        kinds(store, acme.id, "shoppers").await,
        [(SearchKind::PullRequest, pull_request.id.0)]
    );
    assert_eq!(
        kinds(store, acme.id, "aws access").await,
        [(SearchKind::Finding, pull_request.id.0)]
    );
    assert_eq!(
        kinds(store, acme.id, "abc123").await,
        [(SearchKind::Deployment, deployment.id.0)]
    );
    assert_eq!(
        kinds(store, acme.id, "VoucherBad").await,
        [(SearchKind::Component, component.id.0)]
    );
    assert_eq!(
        kinds(store, acme.id, "claim tod").await,
        [(SearchKind::Post, post.id.0)]
    );
    let shared = kinds(store, acme.id, "voucher").await;
    for expected in [
        (SearchKind::PullRequest, pull_request.id.0),
        (SearchKind::Deployment, deployment.id.0),
        (SearchKind::Component, component.id.0),
        (SearchKind::Post, post.id.0),
        (SearchKind::Event, event.id.0),
    ] {
        assert!(shared.contains(&expected), "{expected:?} in {shared:?}");
    }
    assert_eq!(shared.len(), 5, "{shared:?}");
    // A title match ranks above a body match: the component's name is its title.
    let ranked = store
        .search()
        .find(acme.id, "voucherbadge", None, 5)
        .await
        .expect("search");
    assert_eq!(ranked[0].kind, SearchKind::Component);
    let hit = &store
        .search()
        .find(acme.id, "shoppers", None, 5)
        .await
        .expect("search")[0];
    assert!(hit.snippet.contains("«shoppers»"), "{hit:?}");
    // One kind only.
    let only = store
        .search()
        .find(acme.id, "voucher", Some(SearchKind::Post), 50)
        .await
        .expect("search");
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].kind, SearchKind::Post);
    // The other organization sees only its own.
    let theirs = kinds(store, other.id, "voucher").await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert!(kinds(store, other.id, "shoppers").await.is_empty());
    // No words, nothing.
    assert!(kinds(store, acme.id, "«»*:&|").await.is_empty());

    // A row that changes is found by its new words only.
    store
        .social_posts()
        .update(
            acme.id,
            post.id,
            SocialPostPatch {
                content: Some("Free parcels this week".into()),
                ..SocialPostPatch::default()
            },
        )
        .await
        .expect("edited");
    assert!(kinds(store, acme.id, "claim").await.is_empty());
    assert_eq!(
        kinds(store, acme.id, "parcels").await,
        [(SearchKind::Post, post.id.0)]
    );

    // A deleted row leaves the index.
    store
        .social_posts()
        .delete(acme.id, post.id)
        .await
        .expect("deleted");
    assert!(kinds(store, acme.id, "parcels").await.is_empty());
    store
        .repositories()
        .delete(acme.id, repository.id)
        .await
        .expect("deleted");
    assert!(kinds(store, acme.id, "shoppers").await.is_empty());
    assert!(kinds(store, acme.id, "aws").await.is_empty());
    let counts = store.search().count(acme.id).await.expect("count");
    assert_eq!(
        counts,
        [
            (SearchKind::Component, 1),
            (SearchKind::Deployment, 1),
            (SearchKind::Event, 1)
        ]
    );
}
