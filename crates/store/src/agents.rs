//! Agents and what the runtime records about them: lifecycle status and statistics,
//! collaborations between agents, coordinator workflow progress, and schedules.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{
    AgentStatus, CollaborationStatus, CollaborationType, WorkflowStatus, WorkflowStepStatus,
};
use crate::error::StoreError;
use crate::ids::{
    AgentId, CollaborationId, OrgId, ScheduleId, TaskId, WorkflowRunId, WorkflowStepId,
};
use crate::orgs::non_empty;
use crate::page::{Cursor, Page, PageRequest};

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

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
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

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Collaboration {
    pub id: CollaborationId,
    pub primary_agent_id: AgentId,
    pub collaborating_agent_id: AgentId,
    pub task_id: Option<TaskId>,
    pub collaboration_type: Option<CollaborationType>,
    pub status: CollaborationStatus,
    #[sqlx(json)]
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct WorkflowRun {
    pub id: WorkflowRunId,
    pub organization_id: OrgId,
    pub coordinator_agent_id: AgentId,
    pub workflow_type: String,
    pub status: WorkflowStatus,
    /// The stage the coordinator is on: a restarted coordinator resumes here.
    pub current_stage: i32,
    #[sqlx(json(nullable))]
    pub input_data: Option<Value>,
    pub error_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct WorkflowStep {
    pub id: WorkflowStepId,
    pub run_id: WorkflowRunId,
    pub stage: i32,
    pub name: String,
    pub blocking: bool,
    pub status: WorkflowStepStatus,
    pub task_id: Option<TaskId>,
    #[sqlx(json(nullable))]
    pub output_data: Option<Value>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A step as the coordinator plans it.
#[derive(Clone, Debug)]
pub struct NewWorkflowStep {
    pub stage: i32,
    pub name: String,
    pub blocking: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Schedule {
    pub id: ScheduleId,
    pub organization_id: OrgId,
    pub agent_id: AgentId,
    pub name: String,
    pub cron_expression: String,
    pub task_type: String,
    #[sqlx(json(nullable))]
    pub input_data: Option<Value>,
    pub priority: i32,
    pub enabled: bool,
    pub last_run_at: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewSchedule {
    pub agent_id: AgentId,
    pub name: String,
    pub cron_expression: String,
    pub task_type: String,
    pub input_data: Option<Value>,
    pub priority: i32,
    pub next_run_at: Option<DateTime<Utc>>,
}

pub struct Agents<'a> {
    store: &'a Store,
}

pub struct Collaborations<'a> {
    store: &'a Store,
}

pub struct Workflows<'a> {
    store: &'a Store,
}

pub struct Schedules<'a> {
    store: &'a Store,
}

impl Store {
    pub fn agents(&self) -> Agents<'_> {
        Agents { store: self }
    }
    pub fn collaborations(&self) -> Collaborations<'_> {
        Collaborations { store: self }
    }
    pub fn workflows(&self) -> Workflows<'_> {
        Workflows { store: self }
    }
    pub fn schedules(&self) -> Schedules<'_> {
        Schedules { store: self }
    }
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
            sqlx::query_as(
                "INSERT INTO agents (id, organization_id, name, agent_type, status, capabilities, configuration,
                        created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
            )
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

    /// The agent a task for `agent_type` goes to: the organization's oldest agent of
    /// that type that is not disabled.
    pub async fn assignee(
        &self,
        org: OrgId,
        agent_type: &str,
    ) -> Result<Option<Agent>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM agents WHERE organization_id = $1 AND agent_type = $2 AND status <> 'disabled'
                 ORDER BY created_at, id LIMIT 1",
            )
            .bind(org)
            .bind(agent_type)
            .fetch_optional(pool)
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

impl Collaborations<'_> {
    /// Records that `primary` worked with `collaborating`. Both must belong to `org`. A
    /// collaboration about a task is recorded once per agents, task and type: recording
    /// it again (a coordinator resumed after a crash) returns the first record.
    pub async fn record(
        &self,
        org: OrgId,
        primary: AgentId,
        collaborating: AgentId,
        task: Option<TaskId>,
        collaboration_type: CollaborationType,
        metadata: Value,
    ) -> Result<Collaboration, StoreError> {
        let inserted: Option<Collaboration> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO agent_collaborations (id, primary_agent_id, collaborating_agent_id, task_id,
                        collaboration_type, status, metadata, created_at)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8
                 WHERE (SELECT COUNT(*) FROM agents WHERE organization_id = $9 AND id IN ($2, $3))
                       = CASE WHEN $2 = $3 THEN 1 ELSE 2 END
                   AND NOT EXISTS (SELECT 1 FROM agent_collaborations
                       WHERE task_id = $4 AND primary_agent_id = $2
                         AND collaborating_agent_id = $3 AND collaboration_type = $5)
                 RETURNING *",
            )
            .bind(CollaborationId::new())
            .bind(primary)
            .bind(collaborating)
            .bind(task)
            .bind(collaboration_type)
            .bind(CollaborationStatus::Active)
            .bind(Json(&metadata))
            .bind(self.store.now())
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        if let Some(inserted) = inserted {
            return Ok(inserted);
        }
        let existing: Option<Collaboration> = match task {
            Some(task) => reader!(self.store, |pool| {
                sqlx::query_as(
                    "SELECT c.* FROM agent_collaborations c JOIN agents a ON a.id = c.primary_agent_id
                     WHERE c.task_id = $1 AND c.primary_agent_id = $2 AND c.collaborating_agent_id = $3
                       AND c.collaboration_type = $4 AND a.organization_id = $5",
                )
                .bind(task)
                .bind(primary)
                .bind(collaborating)
                .bind(collaboration_type)
                .bind(org)
                .fetch_optional(pool)
                .await
            })?,
            None => None,
        };
        existing.ok_or_else(|| StoreError::not_found("agent", primary))
    }

    pub async fn finish(
        &self,
        org: OrgId,
        id: CollaborationId,
        status: CollaborationStatus,
        metadata: Option<Value>,
    ) -> Result<Collaboration, StoreError> {
        let updated: Option<Collaboration> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE agent_collaborations SET status = $3, metadata = COALESCE($4, metadata)
                 WHERE id = $1 AND primary_agent_id IN (SELECT id FROM agents WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(status)
            .bind(metadata.as_ref().map(Json))
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("collaboration", id))
    }

    /// Collaborations the agent took part in, on either side, newest first.
    pub async fn list_for_agent(
        &self,
        org: OrgId,
        agent: AgentId,
    ) -> Result<Vec<Collaboration>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT c.* FROM agent_collaborations c JOIN agents a ON a.id = c.primary_agent_id
                 WHERE a.organization_id = $1 AND (c.primary_agent_id = $2 OR c.collaborating_agent_id = $2)
                 ORDER BY c.created_at DESC, c.id DESC",
            )
            .bind(org)
            .bind(agent)
            .fetch_all(pool)
            .await
        })
    }
}

impl Workflows<'_> {
    /// Starts a workflow run with its planned steps, in one transaction.
    pub async fn start(
        &self,
        org: OrgId,
        coordinator: AgentId,
        workflow_type: &str,
        input: Option<Value>,
        steps: &[NewWorkflowStep],
    ) -> Result<WorkflowRun, StoreError> {
        non_empty("workflow_type", workflow_type, 100)?;
        let at = self.store.now();
        let run_id = WorkflowRunId::new();
        let run: Option<WorkflowRun> = writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let run: Option<WorkflowRun> = sqlx::query_as(
                    "INSERT INTO workflow_runs (id, organization_id, coordinator_agent_id, workflow_type, status,
                            current_stage, input_data, created_at, updated_at)
                     SELECT $1, $2, $3, $4, $5, 0, $6, $7, $7
                     WHERE EXISTS (SELECT 1 FROM agents WHERE id = $3 AND organization_id = $2)
                     RETURNING *",
                )
                .bind(run_id)
                .bind(org)
                .bind(coordinator)
                .bind(workflow_type)
                .bind(WorkflowStatus::Running)
                .bind(input.as_ref().map(Json))
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?;
                if run.is_none() {
                    return Ok(None);
                }
                for step in steps {
                    sqlx::query(
                        "INSERT INTO workflow_steps (id, run_id, stage, name, blocking, status)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(WorkflowStepId::new())
                    .bind(run_id)
                    .bind(step.stage)
                    .bind(&step.name)
                    .bind(step.blocking)
                    .bind(WorkflowStepStatus::Pending)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(run)
            }
            .await
        })?;
        run.ok_or_else(|| StoreError::not_found("agent", coordinator))
    }

    pub async fn get(&self, org: OrgId, id: WorkflowRunId) -> Result<WorkflowRun, StoreError> {
        let run: Option<WorkflowRun> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM workflow_runs WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        run.ok_or_else(|| StoreError::not_found("workflow run", id))
    }

    pub async fn steps(
        &self,
        org: OrgId,
        run: WorkflowRunId,
    ) -> Result<Vec<WorkflowStep>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT s.* FROM workflow_steps s JOIN workflow_runs r ON r.id = s.run_id
                 WHERE s.run_id = $1 AND r.organization_id = $2 ORDER BY s.stage, s.name",
            )
            .bind(run)
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }

    /// Every run of the coordinator, oldest first.
    pub async fn runs_for(
        &self,
        org: OrgId,
        coordinator: AgentId,
    ) -> Result<Vec<WorkflowRun>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM workflow_runs WHERE organization_id = $1 AND coordinator_agent_id = $2
                 ORDER BY created_at, id",
            )
            .bind(org)
            .bind(coordinator)
            .fetch_all(pool)
            .await
        })
    }

    /// Runs of the coordinator that have not finished: what it resumes after a restart.
    pub async fn unfinished_for(
        &self,
        org: OrgId,
        coordinator: AgentId,
    ) -> Result<Vec<WorkflowRun>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM workflow_runs WHERE organization_id = $1 AND coordinator_agent_id = $2
                   AND status = 'running' ORDER BY created_at, id",
            )
            .bind(org)
            .bind(coordinator)
            .fetch_all(pool)
            .await
        })
    }

    /// Records a step's progress: its status, the task that runs it, its output.
    pub async fn update_step(
        &self,
        org: OrgId,
        step: WorkflowStepId,
        status: WorkflowStepStatus,
        task: Option<TaskId>,
        output: Option<Value>,
    ) -> Result<WorkflowStep, StoreError> {
        let at = self.store.now();
        let updated: Option<WorkflowStep> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE workflow_steps SET status = $3, task_id = COALESCE($4, task_id),
                        output_data = COALESCE($5, output_data),
                        started_at = CASE WHEN $3 = 'running' THEN COALESCE(started_at, $6) ELSE started_at END,
                        completed_at = CASE WHEN $3 IN ('completed', 'failed', 'skipped') THEN $6 ELSE completed_at END
                 WHERE id = $1 AND run_id IN (SELECT id FROM workflow_runs WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(step)
            .bind(org)
            .bind(status)
            .bind(task)
            .bind(output.as_ref().map(Json))
            .bind(at)
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("workflow step", step))
    }

    /// Moves the run to `stage` (persisted before the stage's tasks are spawned).
    pub async fn advance(
        &self,
        org: OrgId,
        run: WorkflowRunId,
        stage: i32,
    ) -> Result<WorkflowRun, StoreError> {
        self.set_run_state(org, run, WorkflowStatus::Running, Some(stage), None)
            .await
    }

    pub async fn finish(
        &self,
        org: OrgId,
        run: WorkflowRunId,
        status: WorkflowStatus,
        error: Option<&str>,
    ) -> Result<WorkflowRun, StoreError> {
        self.set_run_state(org, run, status, None, error).await
    }

    async fn set_run_state(
        &self,
        org: OrgId,
        run: WorkflowRunId,
        status: WorkflowStatus,
        stage: Option<i32>,
        error: Option<&str>,
    ) -> Result<WorkflowRun, StoreError> {
        let at = self.store.now();
        let completed_at = (status != WorkflowStatus::Running).then_some(at);
        let updated: Option<WorkflowRun> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE workflow_runs SET status = $3, current_stage = COALESCE($4, current_stage),
                        error_message = COALESCE($5, error_message), completed_at = $6, updated_at = $7
                 WHERE id = $1 AND organization_id = $2 RETURNING *",
            )
            .bind(run)
            .bind(org)
            .bind(status)
            .bind(stage)
            .bind(error)
            .bind(completed_at)
            .bind(at)
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("workflow run", run))
    }
}

impl Schedules<'_> {
    pub async fn create(&self, org: OrgId, new: NewSchedule) -> Result<Schedule, StoreError> {
        non_empty("name", &new.name, 255)?;
        non_empty("cron_expression", &new.cron_expression, 255)?;
        non_empty("task_type", &new.task_type, 100)?;
        if !(1..=10).contains(&new.priority) {
            return Err(StoreError::Invalid {
                field: "priority",
                reason: format!("{} is not in 1–10", new.priority),
            });
        }
        let at = self.store.now();
        let inserted: Option<Schedule> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO schedules (id, organization_id, agent_id, name, cron_expression, task_type, input_data,
                        priority, enabled, next_run_at, created_at, updated_at)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $10, $10
                 WHERE EXISTS (SELECT 1 FROM agents WHERE id = $3 AND organization_id = $2)
                 RETURNING *",
            )
            .bind(ScheduleId::new())
            .bind(org)
            .bind(new.agent_id)
            .bind(&new.name)
            .bind(&new.cron_expression)
            .bind(&new.task_type)
            .bind(new.input_data.as_ref().map(Json))
            .bind(new.priority)
            .bind(new.next_run_at)
            .bind(at)
            .fetch_optional(pool)
            .await
        })?;
        inserted.ok_or_else(|| StoreError::not_found("agent", new.agent_id))
    }

    pub async fn get(&self, org: OrgId, id: ScheduleId) -> Result<Schedule, StoreError> {
        let schedule: Option<Schedule> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM schedules WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        schedule.ok_or_else(|| StoreError::not_found("schedule", id))
    }

    pub async fn list(&self, org: OrgId) -> Result<Vec<Schedule>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM schedules WHERE organization_id = $1 ORDER BY name")
                .bind(org)
                .fetch_all(pool)
                .await
        })
    }

    /// Enabled schedules whose next run is at or before `at`, across organizations:
    /// the scheduler's work list.
    pub async fn due(&self, at: DateTime<Utc>) -> Result<Vec<Schedule>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM schedules WHERE enabled = TRUE AND next_run_at IS NOT NULL AND next_run_at <= $1
                 ORDER BY next_run_at, id",
            )
            .bind(at)
            .fetch_all(pool)
            .await
        })
    }

    /// Records a run and the next due time — only if nobody recorded this run first
    /// (`expected_next` still matches), so two schedulers never fire one tick twice.
    pub async fn record_run(
        &self,
        id: ScheduleId,
        expected_next: DateTime<Utc>,
        ran_at: DateTime<Utc>,
        next_run_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE schedules SET last_run_at = $3, next_run_at = $4, updated_at = $3
                 WHERE id = $1 AND next_run_at = $2",
            )
            .bind(id)
            .bind(expected_next)
            .bind(ran_at)
            .bind(next_run_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(result == 1)
    }

    pub async fn set_enabled(
        &self,
        org: OrgId,
        id: ScheduleId,
        enabled: bool,
    ) -> Result<Schedule, StoreError> {
        let updated: Option<Schedule> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE schedules SET enabled = $3, updated_at = $4 WHERE id = $1 AND organization_id = $2 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(enabled)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("schedule", id))
    }

    pub async fn delete(&self, org: OrgId, id: ScheduleId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM schedules WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("schedule", id))
        } else {
            Ok(())
        }
    }
}
