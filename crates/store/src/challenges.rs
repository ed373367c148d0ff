//! Inputs the node answered as a webhook challenge (X's CRC, LinkedIn's
//! `challengeCode`), by SHA-256. A challenge answer is an HMAC of the input under the
//! integration's secret — exactly the signature a delivery of that input as its body
//! would need — so a delivery whose body was answered as a challenge is refused.

use chrono::{DateTime, Utc};

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::IntegrationId;

pub struct WebhookChallenges<'a> {
    store: &'a Store,
}

impl Store {
    pub fn webhook_challenges(&self) -> WebhookChallenges<'_> {
        WebhookChallenges { store: self }
    }
}

impl WebhookChallenges<'_> {
    /// Remembers that `input_hash` was answered for the integration (again: the time
    /// is refreshed).
    pub async fn record(
        &self,
        integration: IntegrationId,
        input_hash: &str,
    ) -> Result<(), StoreError> {
        writer!(self.store, |pool| {
            sqlx::query(
                "INSERT INTO webhook_challenges (integration_id, input_hash, answered_at) VALUES ($1, $2, $3)
                 ON CONFLICT (integration_id, input_hash) DO UPDATE SET answered_at = excluded.answered_at",
            )
            .bind(integration)
            .bind(input_hash)
            .bind(self.store.now())
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    /// Whether `input_hash` was answered for the integration since `since`.
    pub async fn answered_since(
        &self,
        integration: IntegrationId,
        input_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let row: Option<(String,)> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT input_hash FROM webhook_challenges
                 WHERE integration_id = $1 AND input_hash = $2 AND answered_at > $3",
            )
            .bind(integration)
            .bind(input_hash)
            .bind(since)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.is_some())
    }

    /// Forgets answers older than `before`. Returns how many.
    pub async fn purge_before(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query("DELETE FROM webhook_challenges WHERE answered_at <= $1")
                .bind(before)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }
}
