//! Coordinator workflow runs and their steps: a pipeline's progress, kept so that a
//! restarted coordinator resumes where it was.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{WorkflowStatus, WorkflowStepStatus};
use crate::error::StoreError;
use crate::ids::{AgentId, OrgId, TaskId, WorkflowRunId, WorkflowStepId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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

pub struct Workflows<'a> {
    store: &'a Store,
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

impl Store {
    pub fn workflows(&self) -> Workflows<'_> {
        Workflows { store: self }
    }
}
