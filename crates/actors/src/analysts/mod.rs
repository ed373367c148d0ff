//! The analysts: agents that read an organization's history and write what they find
//! as metrics and events.
//!
//! - `analytics` performs `compute_delivery_metrics`: the four DORA keys ([`dora`]) and
//!   the business metrics of a window, written to `metrics`; daily by its schedule, and
//!   on request. The same report is computed live for the dashboard ([`delivery_report`]).
//! - `anomaly_detection` performs `detect_anomalies` ([`anomaly`]): robust detectors over
//!   daily series; an anomaly is an event, a notice and — for deployment failures — an
//!   incident.
//! - `prediction` performs `train_risk_model` and `predict_risk` ([`risk`]): the risk of
//!   each recent production deployment and open pull request, 0–100 with its factors.
//! - `recommendation` performs `recommend` ([`recommend`]): suggestions with evidence.

pub mod anomaly;
pub mod content;
pub mod dora;
mod logistic;
pub mod recommend;
pub mod risk;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use companyos_store::{AgentTask, NewMetric, OrgId, Store, StoreError, TaskStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::deployment::Rollback;
use crate::names;
use crate::operations::{IncidentTask, OpenIncident};
use crate::registry::{AgentType, AgentTypeRegistry, DefaultSchedule};
use crate::task_kind::{TaskKind, output_of, task_of};

pub use anomaly::{Anomaly, AnomalyDetection, Detector};
pub use dora::{Band, DoraKeys, DoraReport, Key, ProjectKeys};

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(
        AgentType::plain(
            names::ANALYTICS,
            AgentKind::Analyst,
            vec![names::COMPUTE_DELIVERY_METRICS.into()],
            || Box::new(DeliveryAnalytics),
        )
        .with_schedule(DefaultSchedule {
            name: "Delivery metrics, daily",
            cron: "15 0 * * *",
            task_type: names::COMPUTE_DELIVERY_METRICS,
        }),
    );
    anomaly::register(registry);
    risk::register(registry);
    recommend::register(registry);
}

/// How far back a window's changes are read: a pull request merged this long before the
/// window can still ship in it.
const CHANGES_BEFORE: Duration = Duration::days(30);

/// The window a report covers when none is given.
pub const DEFAULT_WINDOW_DAYS: u32 = 30;

/// The seed's business metrics of a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusinessMetrics {
    /// Finished production deployments (ready or failed) per day.
    pub deployments_per_day: f64,
    /// Pull requests merged per week.
    pub pull_requests_merged_per_week: f64,
    pub social_posts_published: i64,
    /// Completed tasks, percent of finished ones; `None` when none finished.
    pub agent_task_success_rate: Option<f64>,
}

/// The input of a task that takes none: nothing, or an empty object (anything else is
/// refused, not ignored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

/// The delivery analytics of a window: the DORA keys and the business metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReport {
    #[serde(flatten)]
    pub dora: DoraReport,
    pub business: BusinessMetrics,
}

/// Reads `org`'s history of `[from, to)` from the store.
pub async fn delivery_history(
    store: &Store,
    org: OrgId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<dora::DeliveryHistory, StoreError> {
    let history = store.history();
    let deployments = history
        .production_deployments(org, from, to)
        .await?
        .into_iter()
        .map(|d| dora::DeploymentFact {
            commit_message: d
                .metadata
                .get("commit_message")
                .and_then(Value::as_str)
                .map(str::to_owned),
            id: d.id,
            project: d.project_name,
            state: d.state,
            commit_sha: d.commit_sha,
            branch: d.branch,
            created_at: d.created_at,
            ready_at: d.ready_at,
        })
        .collect();
    let changes = history
        .merged_pull_requests(org, from - CHANGES_BEFORE, to)
        .await?
        .into_iter()
        .map(|pr| dora::ChangeFact {
            head_sha: pr.head_sha().map(str::to_owned),
            pull_request: pr.id,
            repository: pr.repository,
            repository_name: pr.repository_name,
            opened_at: pr.opened_at,
            merged_at: pr.merged_at,
        })
        .collect();
    let incidents = history
        .tasks_of_type(org, names::OPEN_INCIDENT, from, to)
        .await?
        .iter()
        .filter_map(|task| {
            let input: OpenIncident =
                serde_json::from_value(task.input_data.clone().unwrap_or(Value::Null)).ok()?;
            let restored_after = (task.status == TaskStatus::Completed)
                .then(|| output_of::<IncidentTask>(task).ok())
                .flatten()
                .and_then(|report| report.time_to_restore_seconds)
                .map(|seconds| Duration::milliseconds((seconds * 1000.0) as i64));
            Some(dora::IncidentFact {
                deployment: input.deployment.deployment_id,
                opened_at: task.created_at,
                restored_after,
            })
        })
        .collect();
    let rolled_back = history
        .tasks_of_type(org, names::ROLLBACK, from, to)
        .await?
        .iter()
        .filter(|task| task.status == TaskStatus::Completed)
        .filter_map(|task| {
            serde_json::from_value::<Rollback>(task.input_data.clone().unwrap_or(Value::Null))
                .ok()?
                .deployment
                .deployment_id
        })
        .collect();
    Ok(dora::DeliveryHistory {
        deployments,
        changes,
        incidents,
        rolled_back,
    })
}

/// The organization's open pull requests (the newest 200), each with its repository.
pub async fn open_pull_requests(
    store: &Store,
    org: OrgId,
) -> Result<Vec<(companyos_store::PullRequest, companyos_store::Repository)>, StoreError> {
    let open = store
        .pull_requests()
        .list(
            org,
            &companyos_store::PullRequestFilter {
                state: Some(companyos_store::PullRequestState::Open),
                ..companyos_store::PullRequestFilter::default()
            },
            &companyos_store::PageRequest::first(200),
        )
        .await?
        .items;
    let repositories: std::collections::HashMap<_, _> = store
        .repositories()
        .list(org)
        .await?
        .into_iter()
        .map(|repository| (repository.id, repository))
        .collect();
    Ok(open
        .into_iter()
        .filter_map(|pr| {
            let repository = repositories.get(&pr.repository_id)?.clone();
            Some((pr, repository))
        })
        .collect())
}

/// The delivery report of `org` over `[from, to)`, computed now.
pub async fn delivery_report(
    store: &Store,
    org: OrgId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<DeliveryReport, StoreError> {
    let history = delivery_history(store, org, from, to).await?;
    let dora = dora::compute(&history, from, to);
    let days = ((to - from).num_seconds() as f64 / 86_400.0).max(1.0 / 24.0);
    let finished = history
        .deployments
        .iter()
        .filter(|d| {
            matches!(
                d.state,
                companyos_store::DeploymentState::Ready | companyos_store::DeploymentState::Error
            )
        })
        .count();
    let merged = history
        .changes
        .iter()
        .filter(|c| c.merged_at >= from && c.merged_at < to)
        .count();
    let tasks = store.history().finished_tasks(org, from, to).await?;
    let total = tasks.completed + tasks.failed;
    let business = BusinessMetrics {
        deployments_per_day: finished as f64 / days,
        pull_requests_merged_per_week: merged as f64 * 7.0 / days,
        social_posts_published: store.history().posts_published(org, from, to).await?,
        agent_task_success_rate: (total > 0).then(|| 100.0 * tasks.completed as f64 / total as f64),
    };
    Ok(DeliveryReport { dora, business })
}

/// `compute_delivery_metrics`: the delivery report of the last `days` days, written to
/// `metrics`.
pub struct ComputeDeliveryMetrics;

impl TaskKind for ComputeDeliveryMetrics {
    const NAME: &'static str = names::COMPUTE_DELIVERY_METRICS;
    type Input = DeliveryWindow;
    type Output = DeliveryReport;
}

/// The input of `compute_delivery_metrics`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryWindow {
    /// Days back from now (1–365); 30 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum AnalyticsTask {
    ComputeDeliveryMetrics(#[serde(default)] Option<DeliveryWindow>),
}

/// Analyst: the organization's delivery metrics.
pub struct DeliveryAnalytics;

/// The metrics a report is written as: one point per key and scope, the band in its
/// dimensions.
fn points(report: &DeliveryReport, at: DateTime<Utc>) -> Vec<NewMetric> {
    let mut points = Vec::new();
    let mut scope = |keys: &DoraKeys, project: Option<&str>| {
        let named = [
            (
                "dora.deployment_frequency",
                Some(keys.deployment_frequency),
                "per_day",
            ),
            ("dora.lead_time", keys.lead_time_hours, "hours"),
            (
                "dora.change_failure_rate",
                keys.change_failure_rate,
                "percentage",
            ),
            ("dora.time_to_restore", keys.time_to_restore_hours, "hours"),
        ];
        for (metric_type, key, unit) in named {
            let Some(key) = key else { continue };
            let mut dimensions = json!({"band": key.band.as_str(), "window_days": ((report.dora.to - report.dora.from).num_hours() as f64 / 24.0).round()});
            if let (Some(project), Value::Object(map)) = (project, &mut dimensions) {
                map.insert("project".into(), json!(project));
            }
            points.push(NewMetric {
                metric_type: metric_type.into(),
                value: key.value,
                unit: Some(unit.into()),
                dimensions,
                recorded_at: Some(at),
            });
        }
    };
    scope(&report.dora.overall, None);
    for project in &report.dora.projects {
        scope(&project.keys, Some(&project.project));
    }
    let business = &report.business;
    let mut plain = |metric_type: &str, value: f64, unit: &str| {
        points.push(NewMetric {
            metric_type: metric_type.into(),
            value,
            unit: Some(unit.into()),
            dimensions: json!({}),
            recorded_at: Some(at),
        });
    };
    plain(
        "deployments_per_day",
        business.deployments_per_day,
        "per_day",
    );
    plain(
        "pull_request_merge_velocity",
        business.pull_requests_merged_per_week,
        "per_week",
    );
    plain(
        "social_posts_published",
        business.social_posts_published as f64,
        "count",
    );
    if let Some(rate) = business.agent_task_success_rate {
        plain("agent_task_success_rate", rate, "percentage");
    }
    points
}

#[async_trait]
impl Behaviour for DeliveryAnalytics {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let AnalyticsTask::ComputeDeliveryMetrics(window) =
            task_of::<AnalyticsTask>(task, "the analytics agent")?;
        let days = window
            .unwrap_or_default()
            .days
            .unwrap_or(DEFAULT_WINDOW_DAYS);
        if !(1..=365).contains(&days) {
            return Err(TaskFailure::Permanent(format!(
                "days must be 1 to 365, not {days}"
            )));
        }
        let org = context.agent.organization_id;
        let to = context.store.now();
        let from = to - Duration::days(i64::from(days));
        let report = delivery_report(&context.store, org, from, to).await?;
        for point in points(&report, to) {
            context.store.metrics().record(org, point).await?;
        }
        output(&report)
    }
}
