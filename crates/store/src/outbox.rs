//! The task outbox: tasks waiting to be published to the message broker. When the
//! store keeps it ([`Store::with_task_outbox`]), the queue writes an entry in the same
//! transaction that makes a task runnable (enqueued, approved, retried), so no task is
//! ever committed without its publication being recorded, and a crash between
//! database and broker loses nothing — the relay publishes whatever is still
//! unpublished (see [`crate::transport`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::db::{Backend, Store};
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
    /// A relay took the entry until then, to publish it.
    pub relay_until: Option<DateTime<Utc>>,
}

pub struct Outbox<'a> {
    store: &'a Store,
}

impl Store {
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox { store: self }
    }
}

// Entries a relay may take: unpublished, not held by another relay, their task still
// waiting to run and due. An entry whose task already ran (claimed by a poll, say)
// is left to `prune`.
macro_rules! due_entries {
    () => {
        "SELECT o.id FROM task_outbox o JOIN agent_tasks t ON t.id = o.task_id
         WHERE o.published_at IS NULL AND (o.relay_until IS NULL OR o.relay_until < $1)
           AND t.status = 'pending' AND t.run_after <= $1
         ORDER BY o.created_at, o.id LIMIT $3"
    };
}

const TAKE_POSTGRES: &str = concat!(
    "WITH picked AS MATERIALIZED (",
    due_entries!(),
    " FOR UPDATE OF o SKIP LOCKED)
     UPDATE task_outbox SET relay_until = $2 FROM picked WHERE task_outbox.id = picked.id
     RETURNING task_outbox.*"
);

const TAKE_SQLITE: &str = concat!(
    "UPDATE task_outbox SET relay_until = $2 WHERE id IN (",
    due_entries!(),
    ") RETURNING *"
);

/// Placeholders `$first, $first+1, …` for `count` values (both backends number them).
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|index| format!("${index}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// At most this many entries per statement.
const BATCH: usize = 500;

impl Outbox<'_> {
    /// Records that `task` must be published. The task must exist in `org`. (The queue
    /// writes entries itself, in the task's transaction; this is for repairs and tests.)
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

    /// The oldest unpublished entries, whatever their task's state.
    pub async fn pending(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM task_outbox WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
        })
    }

    /// Takes up to `limit` due entries (oldest first) for `hold`: another relay skips
    /// them until then, so two nodes do not publish the same entry unless the first
    /// one's hold ran out before it confirmed.
    pub async fn take_due(
        &self,
        limit: u32,
        hold: Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let at = self.store.now();
        let until = at + chrono::Duration::from_std(hold).unwrap_or(chrono::Duration::MAX);
        let sql = match self.store.backend() {
            Backend::Postgres => TAKE_POSTGRES,
            Backend::Sqlite => TAKE_SQLITE,
        };
        let mut entries: Vec<OutboxEntry> = writer!(self.store, |pool| {
            sqlx::query_as(sql)
                .bind(at)
                .bind(until)
                .bind(i64::from(limit.max(1)))
                .fetch_all(pool)
                .await
        })?;
        entries.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(entries)
    }

    /// When the next unpublished entry of a waiting task falls due (`None`: none waits).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<(Option<DateTime<Utc>>,)> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT MIN(t.run_after) FROM task_outbox o JOIN agent_tasks t ON t.id = o.task_id
                 WHERE o.published_at IS NULL AND t.status = 'pending'",
            )
            .fetch_optional(pool)
            .await
        })?;
        Ok(next.and_then(|(at,)| at))
    }

    /// The broker confirmed these entries.
    pub async fn mark_published(&self, ids: &[OutboxId]) -> Result<u64, StoreError> {
        let at = self.store.now();
        let mut marked = 0;
        for chunk in ids.chunks(BATCH) {
            let sql = format!(
                "UPDATE task_outbox SET published_at = $1, relay_until = NULL,
                        publish_attempts = publish_attempts + 1
                 WHERE published_at IS NULL AND id IN ({})",
                placeholders(2, chunk.len())
            );
            marked += writer!(self.store, |pool| {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(at);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.execute(pool).await.map(|done| done.rows_affected())
            })?;
        }
        Ok(marked)
    }

    /// The broker refused these entries or did not confirm them: they stay pending,
    /// free for the next relay round, with the error kept for operators.
    pub async fn record_failure(&self, ids: &[OutboxId], error: &str) -> Result<(), StoreError> {
        for chunk in ids.chunks(BATCH) {
            let sql = format!(
                "UPDATE task_outbox SET publish_attempts = publish_attempts + 1, last_error = $1,
                        relay_until = NULL
                 WHERE published_at IS NULL AND id IN ({})",
                placeholders(2, chunk.len())
            );
            writer!(self.store, |pool| {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(error);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.execute(pool).await.map(|done| done.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Unpublished entries of waiting tasks that are due now: what the relay owes.
    pub async fn owed(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM task_outbox o JOIN agent_tasks t ON t.id = o.task_id
                 WHERE o.published_at IS NULL AND t.status = 'pending' AND t.run_after <= $1",
            )
            .bind(self.store.now())
            .fetch_one(pool)
            .await
        })?;
        Ok(count)
    }

    /// Deletes entries published before `published_before`, and unpublished ones whose
    /// task no longer waits (it ran after a poll found it, or was cancelled): nothing
    /// is owed for them. Returns how many went.
    pub async fn prune(&self, published_before: DateTime<Utc>) -> Result<u64, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query(
                "DELETE FROM task_outbox
                 WHERE published_at < $1
                    OR (published_at IS NULL AND task_id IN (
                        SELECT id FROM agent_tasks WHERE status NOT IN ('pending', 'needs_approval')
                          AND id IN (SELECT task_id FROM task_outbox WHERE published_at IS NULL)))",
            )
            .bind(published_before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
    }
}
