//! The task outbox: tasks waiting to be published to the message broker. A row is
//! written in the same transaction as its task, so no task is ever committed without
//! its publication being recorded, and a crash between database and broker loses
//! nothing — the relay publishes whatever is still unpublished.

use chrono::{DateTime, Utc};

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::{OrgId, OutboxId, TaskId};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct OutboxEntry {
    pub id: OutboxId,
    pub task_id: TaskId,
    pub organization_id: OrgId,
    pub priority: i32,
    pub publish_attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

pub struct Outbox<'a> {
    store: &'a Store,
}

impl Store {
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox { store: self }
    }
}

impl Outbox<'_> {
    /// Records that `task` must be published. The task must exist in `org`.
    pub async fn add(&self, org: OrgId, task: TaskId) -> Result<OutboxEntry, StoreError> {
        let entry: Option<OutboxEntry> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO task_outbox (id, task_id, organization_id, priority, created_at)
                 SELECT $1, t.id, t.organization_id, t.priority, $3 FROM agent_tasks t
                 WHERE t.id = $2 AND t.organization_id = $4
                 RETURNING *",
            )
            .bind(OutboxId::new())
            .bind(task)
            .bind(self.store.now())
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        entry.ok_or_else(|| StoreError::not_found("task", task))
    }

    /// The oldest unpublished entries.
    pub async fn pending(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM task_outbox WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        })
    }

    /// The broker confirmed the publication.
    pub async fn mark_published(&self, id: OutboxId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE task_outbox SET published_at = $2, publish_attempts = publish_attempts + 1
                 WHERE id = $1 AND published_at IS NULL",
            )
            .bind(id)
            .bind(self.store.now())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("outbox entry", id))
        } else {
            Ok(())
        }
    }

    /// The broker refused or did not confirm: the entry stays pending.
    pub async fn record_failure(&self, id: OutboxId, error: &str) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE task_outbox SET publish_attempts = publish_attempts + 1, last_error = $2
                 WHERE id = $1 AND published_at IS NULL",
            )
            .bind(id)
            .bind(error)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("outbox entry", id))
        } else {
            Ok(())
        }
    }
}
