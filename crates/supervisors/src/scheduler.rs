//! The scheduler (`root/system/scheduler`): cron-style schedules stored in the `schedules` table enqueue tasks
//! when due. A schedule missed while the node was down runs once on start-up, not once
//! per missed tick: the next run is always computed from now. Each run is enqueued with
//! an idempotency key of the schedule and the tick, and the tick is recorded with a
//! compare-and-set, so two schedulers (or a crash between the two steps) never run one
//! tick twice.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use companyos_actors::RuntimeEvent;
use companyos_actors::time_zone::{self, Tz};
use companyos_store::{NewTask, OrgId, StoreError};
use croner::Cron;
use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::tree::Deps;

/// How often the agents-per-state and tasks-per-status gauges are refreshed (by the
/// scheduler's loop, which already wakes up regularly).
const METRICS_SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// How often the scheduler looks for due schedules.
#[derive(Clone, Copy, Debug)]
pub struct SchedulerConfig {
    pub tick: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            tick: Duration::from_secs(1),
        }
    }
}

/// Why a schedule's expression gives no next run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{expression:?} is not a cron expression (minute hour day month weekday): {reason}")]
    NotCron { expression: String, reason: String },
    #[error("{expression:?} never matches after {after}: {reason}")]
    NeverMatches {
        expression: String,
        after: DateTime<Utc>,
        reason: String,
    },
}

/// The first time strictly after `after` that the five-field cron expression matches
/// (minute hour day-of-month month day-of-week) on the clocks of `zone`: "0 9 * * 1-5"
/// is nine on weekdays where the organization is, whatever the offset that day.
pub fn next_run(
    expression: &str,
    after: DateTime<Utc>,
    zone: Tz,
) -> Result<DateTime<Utc>, ScheduleError> {
    let cron = Cron::from_str(expression).map_err(|error| ScheduleError::NotCron {
        expression: expression.to_owned(),
        reason: error.to_string(),
    })?;
    cron.find_next_occurrence(&after.with_timezone(&zone), false)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| ScheduleError::NeverMatches {
            expression: expression.to_owned(),
            after,
            reason: error.to_string(),
        })
}

/// The time zone an organization's schedules run in (`settings.time_zone`, UTC when
/// unset).
pub(crate) async fn zone_of(store: &companyos_store::Store, org: OrgId) -> Result<Tz, StoreError> {
    let organization = store.organizations().get(org).await?;
    Ok(time_zone::of_organization(&organization.settings))
}

/// The scheduler actor (`root/system/scheduler`): each `Tick` fires the due schedules
/// (and, every few seconds, samples the gauges), then asks for the next tick.
pub(crate) struct Scheduler;

pub(crate) enum SchedulerMessage {
    Tick,
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for SchedulerMessage {}

pub(crate) struct SchedulerState {
    deps: Arc<Deps>,
    last_sample: Option<Instant>,
}

impl Actor for Scheduler {
    type Msg = SchedulerMessage;
    type State = SchedulerState;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        myself: ActorRef<SchedulerMessage>,
        deps: Arc<Deps>,
    ) -> Result<SchedulerState, ActorProcessingErr> {
        myself.send_message(SchedulerMessage::Tick)?;
        Ok(SchedulerState {
            deps,
            last_sample: None,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SchedulerMessage>,
        SchedulerMessage::Tick: SchedulerMessage,
        state: &mut SchedulerState,
    ) -> Result<(), ActorProcessingErr> {
        let deps = &state.deps;
        if state
            .last_sample
            .is_none_or(|at| at.elapsed() >= METRICS_SAMPLE_INTERVAL)
        {
            state.last_sample = Some(Instant::now());
            let (active, passive) = deps.directory.counts();
            crate::metrics::agents_hosted(active, passive);
            if let Err(error) = crate::metrics::sample(&deps.store).await {
                tracing::warn!(%error, "cannot sample agent and task counts");
            }
        }
        match fire_due(deps, deps.store.now()).await {
            Ok(0) => {}
            Ok(_) => deps.dispatch.wake.notify_one(),
            Err(error) => tracing::error!(%error, "scheduler could not run due schedules"),
        }
        // A stopped scheduler gets no more ticks: the timer's send simply fails.
        myself.send_after(deps.config.scheduler.tick, || SchedulerMessage::Tick);
        Ok(())
    }
}

/// Enqueues one task for every schedule due at `at`. Returns how many were enqueued.
pub(crate) async fn fire_due(deps: &Deps, at: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut fired = 0;
    let mut zones: std::collections::HashMap<OrgId, Tz> = std::collections::HashMap::new();
    for schedule in deps.store.schedules().due(at).await? {
        let Some(tick) = schedule.next_run_at else {
            continue;
        };
        let zone = match zones.get(&schedule.organization_id) {
            Some(zone) => *zone,
            None => {
                let zone = zone_of(&deps.store, schedule.organization_id).await?;
                zones.insert(schedule.organization_id, zone);
                zone
            }
        };
        let next = match next_run(&schedule.cron_expression, at, zone) {
            Ok(next) => Some(next),
            Err(error) => {
                tracing::error!(schedule = %schedule.id, %error, "schedule has an invalid expression; it stops");
                None
            }
        };
        let mut task = NewTask::new(
            schedule.organization_id,
            schedule.agent_id,
            schedule.task_type.clone(),
        );
        task.input = schedule.input_data.clone();
        task.priority = schedule.priority;
        task.description = Some(format!("scheduled by {}", schedule.name));
        task.idempotency_key = Some(format!(
            "schedule:{}:{}",
            schedule.id,
            tick.timestamp_micros()
        ));
        let enqueued = deps.queue.enqueue(task).await?;
        if deps
            .store
            .schedules()
            .record_run(schedule.id, tick, at, next)
            .await?
            && enqueued.created
        {
            fired += 1;
            deps.bus.publish(RuntimeEvent::TaskChanged {
                organization_id: schedule.organization_id,
                task_id: enqueued.task.id,
                agent_id: Some(schedule.agent_id),
                status: enqueued.task.status,
            });
        }
    }
    Ok(fired)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::{Tz, next_run};

    #[test]
    fn next_runs_follow_the_expression_and_bad_ones_are_explained() {
        let monday_0830 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 23, 8, 30, 0)
            .single()
            .expect("valid time");
        let next = next_run("0 9 * * 1-5", monday_0830, Tz::UTC).expect("weekdays at nine");
        assert_eq!(next.to_rfc3339(), "2026-11-23T09:00:00+00:00");
        let at_nine = next_run("0 9 * * 1-5", next, Tz::UTC).expect("the day after");
        assert_eq!(at_nine.to_rfc3339(), "2026-11-24T09:00:00+00:00");
        // Nine in Berlin is eight UTC in winter, seven in summer; Friday evening in New
        // York is already Saturday in UTC, and the next weekday nine there is Monday's.
        let berlin = next_run("0 9 * * 1-5", monday_0830, Tz::Europe__Berlin).expect("berlin");
        assert_eq!(berlin.to_rfc3339(), "2026-11-24T08:00:00+00:00");
        let june = chrono::Utc
            .with_ymd_and_hms(2026, 6, 1, 6, 0, 0)
            .single()
            .expect("valid time");
        let summer = next_run("0 9 * * 1-5", june, Tz::Europe__Berlin).expect("summer");
        assert_eq!(summer.to_rfc3339(), "2026-06-01T07:00:00+00:00");
        let friday_evening_new_york = chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 1, 0, 0)
            .single()
            .expect("valid time");
        let monday = next_run(
            "0 9 * * 1-5",
            friday_evening_new_york,
            Tz::America__New_York,
        )
        .expect("new york");
        assert_eq!(monday.to_rfc3339(), "2026-11-30T14:00:00+00:00");
        let error = next_run("every day at nine", monday_0830, Tz::UTC).expect_err("not cron");
        assert!(
            matches!(error, super::ScheduleError::NotCron { .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("not a cron expression"),
            "{error}"
        );
    }
}
