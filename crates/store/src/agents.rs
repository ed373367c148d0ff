//! Agents: their rows, and what the runtime records about them — lifecycle status and
//! statistics, written in batches by the runtime's lifecycle writer.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::AgentStatus;
use crate::error::StoreError;
use crate::ids::{AgentId, OrgId, TaskId};
use crate::page::{Cursor, Page, PageRequest};
use crate::validate::non_empty;

/// Counts finished tasks in an agent's statistics ($3 completed, $4 failed, $5 the sum
/// of the completed ones' durations in seconds, $6 now): totals, success rate, and the
/// running mean duration. Constant time, whatever the agent's history.
macro_rules! outcome_update {
    () => {
        "UPDATE agents SET
            total_tasks_completed = total_tasks_completed + $3,
            total_tasks_failed = total_tasks_failed + $4,
            average_duration_seconds = CASE WHEN $3 > 0 THEN CAST(ROUND(
                (COALESCE(average_duration_seconds, 0) * total_tasks_completed + $5) * 1.0
                / (total_tasks_completed + $3)) AS INTEGER) ELSE average_duration_seconds END,
            success_rate = 100.0 * (total_tasks_completed + $3)
                / (total_tasks_completed + total_tasks_failed + $3 + $4),
            updated_at = $6
         WHERE id = $1 AND organization_id = $2"
    };
}

const OUTCOME_UPDATE: &str = outcome_update!();

/// A new agent ($1 id, $2 organization, $3 name, $4 type, $5 status, $6 capabilities,
/// $7 configuration, $8 now).
pub(crate) const INSERT_AGENT: &str =
    "INSERT INTO agents (id, organization_id, name, agent_type, status, capabilities,
        configuration, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *";

/// Records a lifecycle transition ($3 status, $4 current task, $5 now).
macro_rules! status_update {
    () => {
        "UPDATE agents SET status = $3, current_task_id = $4, last_active_at = $5, updated_at = $5
         WHERE id = $1 AND organization_id = $2"
    };
}

/// One write to an agent's row that the runtime records as it happens: a lifecycle
/// transition, or a finished task counted in the statistics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LifecycleWrite {
    Status {
        organization_id: OrgId,
        agent_id: AgentId,
        status: AgentStatus,
        task_id: Option<TaskId>,
        at: DateTime<Utc>,
    },
    Outcome {
        organization_id: OrgId,
        agent_id: AgentId,
        succeeded: bool,
        duration_seconds: i32,
        at: DateTime<Utc>,
    },
}

/// One agent's share of a batch of [`LifecycleWrite`]s.
struct NetEffect {
    organization_id: OrgId,
    agent_id: AgentId,
    status: Option<(AgentStatus, Option<TaskId>, DateTime<Utc>)>,
    completed: i32,
    failed: i32,
    completed_seconds: i32,
    finished_at: Option<DateTime<Utc>>,
}

/// Per agent, in order of first appearance: the last status and the summed outcomes.
fn net_effect(writes: &[LifecycleWrite]) -> Vec<NetEffect> {
    let mut net: Vec<NetEffect> = Vec::new();
    for write in writes {
        let (organization_id, agent_id) = match *write {
            LifecycleWrite::Status {
                organization_id,
                agent_id,
                ..
            }
            | LifecycleWrite::Outcome {
                organization_id,
                agent_id,
                ..
            } => (organization_id, agent_id),
        };
        let index = match net.iter().position(|entry| entry.agent_id == agent_id) {
            Some(index) => index,
            None => {
                net.push(NetEffect {
                    organization_id,
                    agent_id,
                    status: None,
                    completed: 0,
                    failed: 0,
                    completed_seconds: 0,
                    finished_at: None,
                });
                net.len() - 1
            }
        };
        let entry = &mut net[index];
        match *write {
            LifecycleWrite::Status {
                status,
                task_id,
                at,
                ..
            } => entry.status = Some((status, task_id, at)),
            LifecycleWrite::Outcome {
                succeeded,
                duration_seconds,
                at,
                ..
            } => {
                if succeeded {
                    entry.completed += 1;
                    entry.completed_seconds = entry
                        .completed_seconds
                        .saturating_add(duration_seconds.max(0));
                } else {
                    entry.failed += 1;
                }
                entry.finished_at = Some(at);
            }
        }
    }
    net
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Agent {
    pub id: AgentId,
    pub organization_id: OrgId,
    pub name: String,
    pub agent_type: String,
    pub status: AgentStatus,
    #[sqlx(json)]
    pub capabilities: Vec<String>,
    #[sqlx(json)]
    pub configuration: Value,
    pub current_task_id: Option<TaskId>,
    pub total_tasks_completed: i32,
    pub total_tasks_failed: i32,
    /// Percentage of finished tasks that completed, 0–100.
    pub success_rate: f64,
    pub average_duration_seconds: Option<i32>,
    pub last_active_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Agent {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewAgent {
    pub name: String,
    pub agent_type: String,
    pub capabilities: Vec<String>,
    pub configuration: Value,
}

#[derive(Clone, Debug, Default)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub configuration: Option<Value>,
    pub capabilities: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct AgentFilter {
    pub status: Option<AgentStatus>,
    pub agent_type: Option<String>,
}

pub struct Agents<'a> {
    store: &'a Store,
}

impl Agents<'_> {
    /// Rows of several ids at once (for batched loading), in no particular order;
    /// ids that are unknown or of another organization are left out.
    pub async fn get_many(&self, org: OrgId, ids: &[AgentId]) -> Result<Vec<Agent>, StoreError> {
        crate::page::rows_by_ids(self.store, "agents", org, ids).await
    }

    pub async fn create(&self, org: OrgId, new: NewAgent) -> Result<Agent, StoreError> {
        non_empty("name", &new.name, 255)?;
        non_empty("agent_type", &new.agent_type, 100)?;
        let at = self.store.now();
        writer!(self.store, |pool| {
            sqlx::query_as(INSERT_AGENT)
                .bind(AgentId::new())
                .bind(org)
                .bind(&new.name)
                .bind(&new.agent_type)
                .bind(AgentStatus::Idle)
                .bind(Json(&new.capabilities))
                .bind(Json(&new.configuration))
                .bind(at)
                .fetch_one(pool)
                .await
        })
    }

    pub async fn get(&self, org: OrgId, id: AgentId) -> Result<Agent, StoreError> {
        let agent: Option<Agent> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM agents WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        agent.ok_or_else(|| StoreError::not_found("agent", id))
    }

    pub async fn list(
        &self,
        org: OrgId,
        filter: &AgentFilter,
        page: &PageRequest,
    ) -> Result<Page<Agent>, StoreError> {
        let rows: Vec<Agent> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM agents WHERE organization_id = $1
                   AND ($2 IS NULL OR status = $2)
                   AND ($3 IS NULL OR agent_type = $3)
                   AND ($4 IS NULL OR (created_at, id) < ($4, $5))
                 ORDER BY created_at DESC, id DESC LIMIT $6",
            )
            .bind(org)
            .bind(filter.status)
            .bind(&filter.agent_type)
            .bind(page.after_created_at())
            .bind(page.after_id())
            .bind(page.sql_limit())
            .fetch_all(pool)
            .await
        })?;
        Ok(Page::from_rows(rows, page, Agent::cursor))
    }

    /// Every agent of the organization, oldest first: the runtime rebuilds its tree
    /// from this at start-up.
    pub async fn list_all(&self, org: OrgId) -> Result<Vec<Agent>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM agents WHERE organization_id = $1 ORDER BY created_at, id",
            )
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }

    /// How many agents are in each status, over every organization (for metrics).
    pub async fn count_by_status_all(&self) -> Result<Vec<(AgentStatus, i64)>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT status, COUNT(*) FROM agents GROUP BY status ORDER BY status")
                .fetch_all(pool)
                .await
        })
    }

    /// Every agent of the type that is not disabled, oldest first: the agents tasks of
    /// that type may be spread across.
    pub async fn assignees(&self, org: OrgId, agent_type: &str) -> Result<Vec<Agent>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM agents WHERE organization_id = $1 AND agent_type = $2 AND status <> 'disabled'
                 ORDER BY created_at, id",
            )
            .bind(org)
            .bind(agent_type)
            .fetch_all(pool)
            .await
        })
    }

    pub async fn update(
        &self,
        org: OrgId,
        id: AgentId,
        patch: AgentPatch,
    ) -> Result<Agent, StoreError> {
        if let Some(name) = &patch.name {
            non_empty("name", name, 255)?;
        }
        let agent: Option<Agent> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE agents SET name = COALESCE($3, name), configuration = COALESCE($4, configuration),
                        capabilities = COALESCE($5, capabilities), updated_at = $6
                 WHERE id = $1 AND organization_id = $2 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(&patch.name)
            .bind(patch.configuration.as_ref().map(Json))
            .bind(patch.capabilities.as_ref().map(Json))
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        agent.ok_or_else(|| StoreError::not_found("agent", id))
    }

    pub async fn delete(&self, org: OrgId, id: AgentId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM agents WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("agent", id))
        } else {
            Ok(())
        }
    }

    /// Applies a batch of lifecycle writes in one transaction. What is written is the
    /// batch's net effect per agent — its last status, and its finished tasks counted
    /// in one statistics update — which is exactly what any reader could have seen had
    /// every write run on its own inside that transaction: nothing between its start and
    /// its commit is visible. An agent that no longer exists is skipped (deleted while
    /// its last transitions were queued).
    pub async fn apply_lifecycle(&self, writes: &[LifecycleWrite]) -> Result<(), StoreError> {
        let net = net_effect(writes);
        if net.is_empty() {
            return Ok(());
        }
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                for agent in &net {
                    if let Some((status, task, at)) = agent.status {
                        sqlx::query(status_update!())
                            .bind(agent.agent_id)
                            .bind(agent.organization_id)
                            .bind(status)
                            .bind(task)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(at) = agent.finished_at {
                        sqlx::query(OUTCOME_UPDATE)
                            .bind(agent.agent_id)
                            .bind(agent.organization_id)
                            .bind(agent.completed)
                            .bind(agent.failed)
                            .bind(agent.completed_seconds)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await
            }
            .await
        })?;
        Ok(())
    }

    /// Records a lifecycle transition: the new status, the task being worked on (if any)
    /// and the time of activity.
    pub async fn set_status(
        &self,
        org: OrgId,
        id: AgentId,
        status: AgentStatus,
        current_task: Option<TaskId>,
    ) -> Result<Agent, StoreError> {
        let at = self.store.now();
        let agent: Option<Agent> = writer!(self.store, |pool| {
            sqlx::query_as(concat!(status_update!(), " RETURNING *"))
                .bind(id)
                .bind(org)
                .bind(status)
                .bind(current_task)
                .bind(at)
                .fetch_optional(pool)
                .await
        })?;
        agent.ok_or_else(|| StoreError::not_found("agent", id))
    }

    /// Counts one finished task in the agent's statistics: completed or failed, success
    /// rate, and (for a completed task) the running mean duration. Constant time, whatever
    /// the agent's history.
    pub async fn record_outcome(
        &self,
        org: OrgId,
        id: AgentId,
        succeeded: bool,
        duration_seconds: i32,
    ) -> Result<Agent, StoreError> {
        let agent: Option<Agent> = writer!(self.store, |pool| {
            sqlx::query_as(concat!(outcome_update!(), " RETURNING *"))
                .bind(id)
                .bind(org)
                .bind(i32::from(succeeded))
                .bind(i32::from(!succeeded))
                .bind(if succeeded {
                    duration_seconds.max(0)
                } else {
                    0
                })
                .bind(self.store.now())
                .fetch_optional(pool)
                .await
        })?;
        agent.ok_or_else(|| StoreError::not_found("agent", id))
    }

    /// Recomputes the agent's statistics from its finished tasks (a repair tool: the
    /// runtime keeps them with [`Agents::record_outcome`]). Reads every finished task of
    /// the agent.
    pub async fn recompute_statistics(&self, org: OrgId, id: AgentId) -> Result<Agent, StoreError> {
        let at = self.store.now();
        let agent: Option<Agent> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE agents SET
                    total_tasks_completed = (SELECT COUNT(*) FROM agent_tasks
                        WHERE agent_id = $1 AND status = 'completed'),
                    total_tasks_failed = (SELECT COUNT(*) FROM agent_tasks
                        WHERE agent_id = $1 AND status = 'failed'),
                    success_rate = COALESCE((SELECT 100.0 * SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END)
                        / COUNT(*) FROM agent_tasks WHERE agent_id = $1 AND status IN ('completed', 'failed')
                        HAVING COUNT(*) > 0), 100.0),
                    average_duration_seconds = (SELECT CAST(ROUND(AVG(duration_seconds)) AS INTEGER) FROM agent_tasks
                        WHERE agent_id = $1 AND status = 'completed' AND duration_seconds IS NOT NULL),
                    updated_at = $3
                 WHERE id = $1 AND organization_id = $2 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(at)
            .fetch_optional(pool)
            .await
        })?;
        agent.ok_or_else(|| StoreError::not_found("agent", id))
    }
}

impl Store {
    pub fn agents(&self) -> Agents<'_> {
        Agents { store: self }
    }
}
