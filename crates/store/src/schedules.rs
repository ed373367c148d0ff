//! Schedules: five-field cron expressions (UTC) that enqueue an agent's task each time
//! they match; each tick is recorded with a compare-and-set so it fires once.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::{AgentId, OrgId, ScheduleId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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

pub struct Schedules<'a> {
    store: &'a Store,
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

    /// Moves a schedule's next run (its organization's time zone changed). False when
    /// the schedule is gone.
    pub async fn set_next_run(
        &self,
        org: OrgId,
        id: ScheduleId,
        next_run_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE schedules SET next_run_at = $3, updated_at = $4 WHERE id = $1 AND organization_id = $2",
            )
            .bind(id)
            .bind(org)
            .bind(next_run_at)
            .bind(self.store.now())
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

impl Store {
    pub fn schedules(&self) -> Schedules<'_> {
        Schedules { store: self }
    }
}
