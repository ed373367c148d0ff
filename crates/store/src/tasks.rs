//! Agent tasks as rows: the model, and the scoped reads the edge and the runtime use.
//! Every state change goes through the [`TaskQueue`](crate::TaskQueue).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::Store;
use crate::enums::{ApprovalChannel, TaskStatus};
use crate::error::StoreError;
use crate::ids::{AgentId, OrgId, TaskId, UserId};
use crate::page::{Cursor, Page, PageRequest};

/// One `agent_tasks` row. The row is the truth about a task.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct AgentTask {
    pub id: TaskId,
    pub organization_id: OrgId,
    /// The agent holding the task; `None` while it waits for an agent of `agent_type`.
    pub agent_id: Option<AgentId>,
    pub task_type: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    /// 1–10; higher runs first.
    pub priority: i32,
    #[sqlx(json(nullable))]
    pub input_data: Option<Value>,
    #[sqlx(json(nullable))]
    pub output_data: Option<Value>,
    pub error_message: Option<String>,
    pub idempotency_key: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i32>,
    /// How many times the task was put back to run again after a failure.
    pub retry_count: i32,
    pub max_attempts: i32,
    /// How many times the task was claimed.
    pub attempt: i32,
    /// Not claimable before this time (backoff after a failure).
    pub run_after: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub requires_human_approval: bool,
    pub approved_by: Option<UserId>,
    pub approved_at: Option<DateTime<Utc>>,
    pub rejected_by: Option<UserId>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The type of agent that performs the task.
    pub agent_type: String,
    /// Why the task is not running yet, when it waits for something other than its turn
    /// (an agent of its type to exist, say).
    pub waiting_reason: Option<String>,
    /// The member who asked for the task by hand (`None`: an agent or an event did).
    pub requested_by: Option<UserId>,
    /// How the approval or rejection was given.
    pub approved_via: Option<ApprovalChannel>,
    /// The W3C `traceparent` of the work that created the task: the agent's spans
    /// continue that trace.
    pub traceparent: Option<String>,
}

/// A person's approval or rejection of a task: who, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecidedBy {
    pub user: UserId,
    pub via: ApprovalChannel,
}

impl AgentTask {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.0,
        }
    }
}

/// Filters for listing tasks; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub agent_id: Option<AgentId>,
    pub status: Option<TaskStatus>,
    pub task_type: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Only tasks for this type of agent.
    pub agent_type: Option<String>,
    /// Only tasks whose type, description or error contains this text (any case), or
    /// whose id it is.
    pub search: Option<String>,
}

/// A `LIKE` pattern matching `text` anywhere, lowercased, with `\` escaping `%` and `_`.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The filtered, newest-first page of tasks, selecting `$columns`.
macro_rules! task_list {
    ($($columns:expr),+) => {
        concat!(
            "SELECT ", $($columns,)+ " FROM agent_tasks WHERE organization_id = $1
               AND ($2 IS NULL OR agent_id = $2)
               AND ($3 IS NULL OR status = $3)
               AND ($4 IS NULL OR task_type = $4)
               AND ($5 IS NULL OR created_at >= $5)
               AND ($6 IS NULL OR created_at < $6)
               AND ($7 IS NULL OR (created_at, id) < ($7, $8))
               AND ($10 IS NULL OR agent_type = $10)
               AND ($11 IS NULL OR LOWER(task_type) LIKE $11 ESCAPE '\\'
                    OR LOWER(COALESCE(description, '')) LIKE $11 ESCAPE '\\'
                    OR LOWER(COALESCE(error_message, '')) LIKE $11 ESCAPE '\\'
                    OR id = $12)
             ORDER BY created_at DESC, id DESC LIMIT $9"
        )
    };
}

/// The columns of a [`TaskSummary`] but its input and output.
macro_rules! summary_columns {
    () => {
        "id, organization_id, agent_id, agent_type, task_type, description, status, priority,
         error_message, waiting_reason, attempt, max_attempts, lease_owner, lease_expires_at,
         requires_human_approval, requested_by, approved_by, approved_at, rejected_by,
         rejected_at, approved_via, started_at, completed_at, duration_seconds, created_at,
         updated_at"
    };
}

/// A task as a list shows it: what it is, where it stands, who runs or decided it and
/// when; not its idempotency key or retry bookkeeping (the whole row is [`AgentTask`]).
/// Its input and output are read only when asked for ([`TaskData::With`]).
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct TaskSummary {
    pub id: TaskId,
    pub organization_id: OrgId,
    pub agent_id: Option<AgentId>,
    pub agent_type: String,
    pub task_type: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: i32,
    pub error_message: Option<String>,
    pub waiting_reason: Option<String>,
    pub attempt: i32,
    pub max_attempts: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub requires_human_approval: bool,
    pub requested_by: Option<UserId>,
    pub approved_by: Option<UserId>,
    pub approved_at: Option<DateTime<Utc>>,
    pub rejected_by: Option<UserId>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub approved_via: Option<ApprovalChannel>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `None` unless read [`TaskData::With`] (or the task has none).
    #[sqlx(json(nullable))]
    pub input_data: Option<Value>,
    /// `None` unless read [`TaskData::With`] (or the task has none).
    #[sqlx(json(nullable))]
    pub output_data: Option<Value>,
}

impl TaskSummary {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.0,
        }
    }
}

/// Whether a list of tasks carries their input and output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskData {
    #[default]
    Without,
    With,
}

pub struct Tasks<'a> {
    store: &'a Store,
}

impl Store {
    pub fn tasks(&self) -> Tasks<'_> {
        Tasks { store: self }
    }
}

impl Tasks<'_> {
    /// Rows of several ids at once (for batched loading), in no particular order;
    /// ids that are unknown or of another organization are left out.
    pub async fn get_many(&self, org: OrgId, ids: &[TaskId]) -> Result<Vec<AgentTask>, StoreError> {
        crate::page::rows_by_ids(self.store, "agent_tasks", org, ids).await
    }

    pub async fn get(&self, org: OrgId, id: TaskId) -> Result<AgentTask, StoreError> {
        let task: Option<AgentTask> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM agent_tasks WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        task.ok_or_else(|| StoreError::not_found("task", id))
    }

    /// The task written under an idempotency key, when there is one.
    pub async fn by_key(&self, org: OrgId, key: &str) -> Result<Option<AgentTask>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM agent_tasks WHERE organization_id = $1 AND idempotency_key = $2",
            )
            .bind(org)
            .bind(key)
            .fetch_optional(pool)
            .await
        })
    }

    /// Newest first, filtered, one page at a time: whole rows.
    pub async fn list(
        &self,
        org: OrgId,
        filter: &TaskFilter,
        page: &PageRequest,
    ) -> Result<Page<AgentTask>, StoreError> {
        let rows = self.filtered(task_list!("*"), org, filter, page).await?;
        Ok(Page::from_rows(rows, page, AgentTask::cursor))
    }

    /// [`Tasks::list`] as a list shows it: the columns of a [`TaskSummary`], with the
    /// tasks' input and output only when `data` asks for them.
    pub async fn summaries(
        &self,
        org: OrgId,
        filter: &TaskFilter,
        page: &PageRequest,
        data: TaskData,
    ) -> Result<Page<TaskSummary>, StoreError> {
        let sql = match data {
            TaskData::Without => task_list!(
                summary_columns!(),
                ", NULL AS input_data, NULL AS output_data"
            ),
            TaskData::With => task_list!(summary_columns!(), ", input_data, output_data"),
        };
        let rows = self.filtered(sql, org, filter, page).await?;
        Ok(Page::from_rows(rows, page, TaskSummary::cursor))
    }

    async fn filtered<T>(
        &self,
        sql: &'static str,
        org: OrgId,
        filter: &TaskFilter,
        page: &PageRequest,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        let text = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty());
        let search = text.map(contains_pattern);
        // An id matches exactly (a different id when the text is none).
        let search_id = text
            .and_then(|text| text.parse::<uuid::Uuid>().ok())
            .map(TaskId)
            .unwrap_or_else(|| TaskId(uuid::Uuid::nil()));
        reader!(self.store, |pool| {
            sqlx::query_as(sql)
                .bind(org)
                .bind(filter.agent_id)
                .bind(filter.status)
                .bind(&filter.task_type)
                .bind(filter.created_after)
                .bind(filter.created_before)
                .bind(page.after_created_at())
                .bind(page.after_id())
                .bind(page.sql_limit())
                .bind(&filter.agent_type)
                .bind(search.as_deref())
                .bind(search_id)
                .fetch_all(pool)
                .await
        })
    }

    /// How many tasks are in each status, over every organization (for metrics).
    pub async fn count_by_status_all(&self) -> Result<Vec<(TaskStatus, i64)>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM agent_tasks GROUP BY status ORDER BY status",
            )
            .fetch_all(pool)
            .await
        })
    }

    /// How many tasks of the organization are in each status.
    pub async fn count_by_status(&self, org: OrgId) -> Result<Vec<(TaskStatus, i64)>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM agent_tasks WHERE organization_id = $1 GROUP BY status ORDER BY status",
            )
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }

    /// Each agent's most recent task failure message (of the latest failures: enough
    /// for a picture of the tree, not an audit).
    pub async fn last_failures(
        &self,
        org: OrgId,
    ) -> Result<std::collections::HashMap<crate::ids::AgentId, String>, StoreError> {
        let rows: Vec<(crate::ids::AgentId, String)> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT agent_id, error_message FROM agent_tasks
                 WHERE organization_id = $1 AND status = $2 AND error_message IS NOT NULL
                 ORDER BY updated_at DESC LIMIT 500",
            )
            .bind(org)
            .bind(TaskStatus::Failed)
            .fetch_all(pool)
            .await
        })?;
        let mut last = std::collections::HashMap::new();
        for (agent, message) in rows {
            last.entry(agent).or_insert(message);
        }
        Ok(last)
    }

    /// Gives the organization's tasks waiting for an agent of `agent_type` to `agent`
    /// (one that just started or was enabled). Returns them.
    pub async fn assign_waiting(
        &self,
        org: OrgId,
        agent_type: &str,
        agent: AgentId,
    ) -> Result<Vec<AgentTask>, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE agent_tasks SET agent_id = $3, waiting_reason = NULL, updated_at = $4
                 WHERE organization_id = $1 AND agent_type = $2 AND agent_id IS NULL
                   AND EXISTS (SELECT 1 FROM agents WHERE id = $3 AND organization_id = $1)
                 RETURNING *",
            )
            .bind(org)
            .bind(agent_type)
            .bind(agent)
            .bind(crate::db::now())
            .fetch_all(pool)
            .await
        })
    }

    /// The organization's tasks that wait for an agent (their types and how many).
    pub async fn waiting_types(&self, org: OrgId) -> Result<Vec<(String, i64)>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT agent_type, COUNT(*) FROM agent_tasks
                 WHERE organization_id = $1 AND agent_id IS NULL AND status IN ('pending', 'needs_approval')
                 GROUP BY agent_type ORDER BY agent_type",
            )
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }

    /// Says why an agent's pending tasks wait (it was disabled), or clears it (`None`:
    /// enabled again). Returns how many tasks.
    /// Says why one pending task waits (`None` clears it).
    pub async fn set_waiting_reason(
        &self,
        org: OrgId,
        task: TaskId,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE agent_tasks SET waiting_reason = $3
                 WHERE organization_id = $1 AND id = $2 AND status = 'pending'",
            )
            .bind(org)
            .bind(task)
            .bind(reason)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    pub async fn set_waiting_reason_of_agent(
        &self,
        org: OrgId,
        agent: AgentId,
        reason: Option<&str>,
    ) -> Result<u64, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE agent_tasks SET waiting_reason = $3
                 WHERE organization_id = $1 AND agent_id = $2 AND status IN ('pending', 'needs_approval')",
            )
            .bind(org)
            .bind(agent)
            .bind(reason)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
    }
}
