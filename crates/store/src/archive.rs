//! The raw payload archive: every accepted webhook delivery — its kept headers and its
//! body exactly as received — written to object storage (the `object_store` crate), so
//! that it can be inspected, and replayed, after the database has moved on.
//!
//! One object per delivery, `deliveries/<YYYY-MM-DD>/<delivery id>.json`, the day taken
//! from the delivery's id (a UUID v7 carries its creation time), so that an object is
//! found from the id alone and retention deletes whole days. The object is an
//! [`ArchivedDelivery`]: JSON, the body in base64 (so that its bytes — which the vendor
//! signed — come back exactly).
//!
//! Where: a folder (the default, `<data_dir>/archive`) or an S3-compatible bucket
//! (`s3://bucket/prefix`, with an endpoint for servers other than AWS).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::deliveries::WebhookDelivery;
use crate::enums::Service;
use crate::ids::{DeliveryId, IntegrationId, OrgId};

/// The folder of the archive's objects.
const ROOT: &str = "deliveries";

/// Where the archive is kept.
#[derive(Clone, Debug, PartialEq)]
pub enum ArchiveLocation {
    /// A folder on this machine (created if missing).
    Folder(std::path::PathBuf),
    /// An S3 bucket, or a bucket of an S3-compatible server.
    S3(S3Location),
}

/// An S3 bucket and how to reach it. Credentials left empty are read from the
/// environment as the AWS SDKs do (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, a web identity token, the instance's role).
#[derive(Clone, PartialEq)]
pub struct S3Location {
    pub bucket: String,
    /// Objects are kept under this prefix (no leading or trailing slash; may be empty).
    pub prefix: String,
    /// The server's address for S3-compatible servers (MinIO, Ceph, …); empty for AWS.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Location")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &if self.secret_access_key.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

impl std::fmt::Display for ArchiveLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveLocation::Folder(folder) => write!(f, "{}", folder.display()),
            ArchiveLocation::S3(s3) if s3.prefix.is_empty() => write!(f, "s3://{}", s3.bucket),
            ArchiveLocation::S3(s3) => write!(f, "s3://{}/{}", s3.bucket, s3.prefix),
        }
    }
}

/// A delivery as archived: what is needed to inspect it and to record it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchivedDelivery {
    pub id: DeliveryId,
    pub organization_id: OrgId,
    pub integration_id: IntegrationId,
    pub service: Service,
    pub delivery_key: String,
    pub event_type: String,
    /// The headers kept with the delivery (event type, delivery id, signature, …).
    pub headers: Value,
    pub received_at: DateTime<Utc>,
    /// The body exactly as received.
    #[serde(rename = "body_base64", with = "base64_bytes")]
    pub body: Vec<u8>,
}

impl From<WebhookDelivery> for ArchivedDelivery {
    fn from(row: WebhookDelivery) -> ArchivedDelivery {
        ArchivedDelivery {
            id: row.id,
            organization_id: row.organization_id,
            integration_id: row.integration_id,
            service: row.service,
            delivery_key: row.delivery_key,
            event_type: row.event_type,
            headers: row.headers,
            received_at: row.received_at,
            body: row.body,
        }
    }
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// What went wrong with the archive, said so that an operator can act on it.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("delivery {0} is not in the payload archive (never archived, or past its retention)")]
    NotFound(DeliveryId),
    #[error("the payload archive at {location} cannot be opened: {reason}")]
    Open { location: String, reason: String },
    #[error("the payload archive at {location} failed: {source}")]
    Storage {
        location: String,
        #[source]
        source: object_store::Error,
    },
    #[error("archived delivery {id} cannot be read: {reason}")]
    Corrupt { id: DeliveryId, reason: String },
}

/// The payload archive: a handle on its object store, cheap to clone.
#[derive(Clone)]
pub struct Archive {
    objects: Arc<dyn ObjectStore>,
    location: Arc<str>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("location", &self.location)
            .finish()
    }
}

impl Archive {
    /// Opens the archive at `location` (a folder is created if missing). Nothing is
    /// written or read yet: a bucket that cannot be reached shows at the first write.
    pub fn open(location: &ArchiveLocation) -> Result<Archive, ArchiveError> {
        let shown = location.to_string();
        let failed = |reason: String| ArchiveError::Open {
            location: shown.clone(),
            reason,
        };
        let objects: Arc<dyn ObjectStore> = match location {
            ArchiveLocation::Folder(folder) => {
                // Webhook bodies are private: a folder created here is its owner's only.
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
                builder
                    .create(folder)
                    .map_err(|error| failed(error.to_string()))?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(folder)
                        .map_err(|error| failed(error.to_string()))?,
                )
            }
            ArchiveLocation::S3(s3) => {
                // A few quick retries: what is not written now is written by the next
                // sweep, so a write never holds its caller for minutes.
                let retry = object_store::RetryConfig {
                    max_retries: 3,
                    retry_timeout: std::time::Duration::from_secs(20),
                    ..object_store::RetryConfig::default()
                };
                let mut builder = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_retry(retry);
                if !s3.endpoint.is_empty() {
                    builder = builder
                        .with_endpoint(&s3.endpoint)
                        .with_allow_http(s3.endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if !s3.access_key_id.is_empty() {
                    builder = builder
                        .with_access_key_id(&s3.access_key_id)
                        .with_secret_access_key(&s3.secret_access_key);
                }
                let bucket: Arc<dyn ObjectStore> =
                    Arc::new(builder.build().map_err(|error| failed(error.to_string()))?);
                if s3.prefix.is_empty() {
                    bucket
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(
                        bucket,
                        s3.prefix.as_str(),
                    ))
                }
            }
        };
        Ok(Archive {
            objects,
            location: shown.into(),
        })
    }

    /// Where the archive is, as the operator configured it.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn failed(&self, source: object_store::Error) -> ArchiveError {
        ArchiveError::Storage {
            location: self.location.to_string(),
            source,
        }
    }

    /// Writes one delivery (again, if it was: the object is the same).
    pub async fn put(&self, delivery: &ArchivedDelivery) -> Result<(), ArchiveError> {
        let bytes = serde_json::to_vec(delivery).map_err(|error| ArchiveError::Corrupt {
            id: delivery.id,
            reason: error.to_string(),
        })?;
        self.objects
            .put(&object_path(delivery.id), PutPayload::from(bytes))
            .await
            .map_err(|error| self.failed(error))?;
        Ok(())
    }

    /// The archived delivery `id`.
    pub async fn get(&self, id: DeliveryId) -> Result<ArchivedDelivery, ArchiveError> {
        let bytes = match self.objects.get(&object_path(id)).await {
            Ok(found) => found.bytes().await.map_err(|error| self.failed(error))?,
            Err(object_store::Error::NotFound { .. }) => return Err(ArchiveError::NotFound(id)),
            Err(error) => return Err(self.failed(error)),
        };
        serde_json::from_slice(&bytes).map_err(|error| ArchiveError::Corrupt {
            id,
            reason: error.to_string(),
        })
    }

    /// Deletes every day of the archive before `before`'s day; returns how many
    /// objects were deleted.
    pub async fn expire(&self, before: DateTime<Utc>) -> Result<u64, ArchiveError> {
        let cutoff = before.date_naive();
        let days = self
            .objects
            .list_with_delimiter(Some(&Path::from(ROOT)))
            .await
            .map_err(|error| self.failed(error))?
            .common_prefixes;
        let mut deleted = 0;
        for day in days {
            let Some(date) = day
                .filename()
                .and_then(|name| NaiveDate::parse_from_str(name, "%Y-%m-%d").ok())
            else {
                continue;
            };
            if date >= cutoff {
                continue;
            }
            let objects: Vec<Path> = self
                .objects
                .list(Some(&day))
                .map_ok(|meta| meta.location)
                .try_collect()
                .await
                .map_err(|error| self.failed(error))?;
            for object in objects {
                match self.objects.delete(&object).await {
                    Ok(()) => deleted += 1,
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(error) => return Err(self.failed(error)),
                }
            }
        }
        Ok(deleted)
    }
}

/// `deliveries/<day>/<id>.json`, the day from the id's UUID v7 timestamp.
fn object_path(id: DeliveryId) -> Path {
    let day =
        id.0.get_timestamp()
            .and_then(|timestamp| {
                let (seconds, nanos) = timestamp.to_unix();
                DateTime::from_timestamp(i64::try_from(seconds).ok()?, nanos)
            })
            .map_or_else(
                || "undated".to_owned(),
                |at| at.format("%Y-%m-%d").to_string(),
            );
    Path::from(format!("{ROOT}/{day}/{id}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_named_by_the_day_of_its_delivery_id() {
        let id: DeliveryId = "01a2507b-c224-7409-8085-0c089610d318".parse().expect("id");
        let at = DateTime::from_timestamp_millis(0x01a2507bc224).expect("time");
        assert_eq!(
            object_path(id).as_ref(),
            format!("deliveries/{}/{id}.json", at.format("%Y-%m-%d"))
        );
        let v4: DeliveryId = "6d7f9c1e-5a4b-4c3d-9e8f-7a6b5c4d3e2f".parse().expect("id");
        assert_eq!(
            object_path(v4).as_ref(),
            format!("deliveries/undated/{v4}.json")
        );
    }

    #[test]
    fn the_body_comes_back_byte_for_byte() {
        let delivery = ArchivedDelivery {
            id: DeliveryId::new(),
            organization_id: OrgId::new(),
            integration_id: IntegrationId::new(),
            service: Service::Github,
            delivery_key: "d-1".into(),
            event_type: "pull_request".into(),
            headers: serde_json::json!({"x-github-event": "pull_request"}),
            received_at: Utc::now(),
            body: b"{\"a\":1}\r\n\xff".to_vec(),
        };
        let text = serde_json::to_string(&delivery).expect("json");
        assert!(text.contains("\"body_base64\""), "{text}");
        let back: ArchivedDelivery = serde_json::from_str(&text).expect("back");
        assert_eq!(back, delivery);
    }
}
