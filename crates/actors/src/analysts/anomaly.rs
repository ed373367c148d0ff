//! Anomaly detection over daily series: three robust detectors, and the agent that runs
//! them every hour over the organization's series.
//!
//! - **Median/MAD**: the robust z-score of the day against the median and the median
//!   absolute deviation of the history (outliers in the history barely move either).
//! - **EWMA**: the day against an exponentially weighted mean and deviation (α = 0.25),
//!   which follows a level that drifts.
//! - **Weekly**: the day against the median of the same weekday in the past weeks
//!   (three weeks of history or more), which expects quiet weekends.
//!
//! A day is an anomaly when most of the detectors that apply agree (both of two, two of
//! three): one detector alone raises too many false alarms. The expected band is the
//! weekly (else the median) centre ± the threshold times the robust spread.

use async_trait::async_trait;
use chrono::Duration;
use companyos_store::{
    AgentTask, DeploymentFilter, DeploymentState, EventActorType, EventFilter, NewEvent,
    PageRequest, ResourceKind, Series,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::deployment::DeploymentRef;
use crate::names;
use crate::notification::{Notify, NotifySeverity};
use crate::operations::{IncidentTask, OpenIncident};
use crate::registry::{AgentType, AgentTypeRegistry, DefaultSchedule};
use crate::task_kind::{TaskKind, task_of};

pub(super) fn register(registry: &mut AgentTypeRegistry) {
    registry.register(
        AgentType::plain(
            names::ANOMALY_DETECTION,
            AgentKind::Analyst,
            vec![names::DETECT_ANOMALIES.into()],
            || Box::new(AnomalyDetection),
        )
        .with_schedule(DefaultSchedule {
            name: "Anomaly detection, hourly",
            cron: "5 * * * *",
            task_type: names::DETECT_ANOMALIES,
        }),
    );
}

/// How far from the expected a day must be, in robust standard deviations.
pub const THRESHOLD: f64 = 3.0;
/// Days of history a series needs before it is judged.
pub const MIN_HISTORY: usize = 7;
/// Days of history read: four weeks.
pub const HISTORY_DAYS: u32 = 28;
const EWMA_ALPHA: f64 = 0.25;
/// 1 / Φ⁻¹(3/4): the MAD of a normal sample times this is its standard deviation.
const MAD_SCALE: f64 = 1.4826;

/// Which way a series goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only a rise is an anomaly (failures, rejections).
    Up,
    /// A rise or a fall (engagement, volume).
    Both,
}

/// One of the detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    MedianMad,
    Ewma,
    Weekly,
}

/// One detector's reading of a day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub detector: Detector,
    /// Robust standard deviations from what it expected (signed).
    pub score: f64,
    pub flagged: bool,
}

/// The verdict on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub observed: f64,
    pub expected: f64,
    pub lower: f64,
    pub upper: f64,
    pub readings: Vec<Reading>,
    pub anomalous: bool,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    super::dora::median(&mut sorted).unwrap_or(0.0)
}

/// A spread that never falls below the noise a count has at that level (a Poisson
/// count's standard deviation, √level), nor below one: a flat history still allows
/// a unit or two.
fn floor(level: f64) -> f64 {
    level.abs().sqrt().max(1.0)
}

/// The robust spread of `values` around `center`: 1.4826 × MAD, else (a history mostly
/// flat) 1.2533 × the mean absolute deviation, never below [`floor`].
fn spread(values: &[f64], center: f64) -> f64 {
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    let mad = MAD_SCALE * median(&deviations);
    let spread = if mad > 0.0 {
        mad
    } else {
        1.2533 * deviations.iter().sum::<f64>() / deviations.len().max(1) as f64
    };
    spread.max(floor(center))
}

fn flagged(score: f64, direction: Direction) -> bool {
    match direction {
        Direction::Up => score > THRESHOLD,
        Direction::Both => score.abs() > THRESHOLD,
    }
}

/// The median of the values on the same weekday as position `at` (a multiple of seven
/// days before or after it, not `at` itself), when there are three or more.
fn same_weekday(history: &[f64], at: usize) -> Option<f64> {
    let values: Vec<f64> = (0..history.len())
        .filter(|j| *j != at && j.abs_diff(at) % 7 == 0)
        .map(|j| history[j])
        .collect();
    (values.len() >= 3).then(|| median(&values))
}

/// Judges `observed` (today) against `history` (the days before it, oldest first).
/// `None` when the history is too short to judge.
///
/// With three weeks of history or more the series is first freed of its weekly pattern:
/// each day becomes its difference from the median of its weekday in the other weeks,
/// and today's from its weekday's median in the history; the median/MAD and EWMA
/// detectors judge those differences.
pub fn assess(history: &[f64], observed: f64, direction: Direction) -> Option<Assessment> {
    if history.len() < MIN_HISTORY {
        return None;
    }
    let today = history.len();
    let weekly = same_weekday(history, today);
    let (series, expected) = match weekly {
        Some(level) => (
            (0..history.len())
                .map(|i| history[i] - same_weekday(history, i).unwrap_or(level))
                .collect::<Vec<f64>>(),
            level,
        ),
        None => (history.to_vec(), median(history)),
    };
    let deviation = |value: f64| match weekly {
        Some(level) => value - level,
        None => value,
    };
    let center = median(&series);
    let scale = spread(&series, center).max(floor(expected));
    let mut readings = vec![Reading {
        detector: Detector::MedianMad,
        score: (deviation(observed) - center) / scale,
        flagged: false,
    }];

    let (mut mean, mut variance) = (series[0], 0.0_f64);
    for value in &series[1..] {
        let delta = value - mean;
        mean += EWMA_ALPHA * delta;
        variance = (1.0 - EWMA_ALPHA) * (variance + EWMA_ALPHA * delta * delta);
    }
    readings.push(Reading {
        detector: Detector::Ewma,
        score: (deviation(observed) - mean) / variance.sqrt().max(scale * 0.5),
        flagged: false,
    });

    if let Some(level) = weekly {
        // The spread of the history once each week's pattern is taken out.
        let seasonal: Vec<f64> = (7..history.len())
            .map(|at| history[at] - history[at - 7])
            .collect();
        let seasonal_scale = spread(&seasonal, median(&seasonal)) / std::f64::consts::SQRT_2;
        readings.push(Reading {
            detector: Detector::Weekly,
            score: (observed - level) / seasonal_scale.max(floor(level)),
            flagged: false,
        });
    }
    for reading in &mut readings {
        reading.flagged = flagged(reading.score, direction);
    }
    let agreeing = readings.iter().filter(|r| r.flagged).count();
    let lower = match direction {
        Direction::Up => f64::NEG_INFINITY,
        Direction::Both => expected + center - THRESHOLD * scale,
    };
    Some(Assessment {
        observed,
        expected,
        lower: lower.max(0.0),
        upper: expected + center + THRESHOLD * scale,
        anomalous: agreeing * 2 > readings.len(),
        readings,
    })
}

/// A series the agent watches, how it is read, and which way it goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Watched {
    DeploymentFailures,
    /// Failed tasks, percent of finished ones (days with none finished are 0).
    TaskFailureRate,
    WebhookRejections,
    Engagement,
}

impl Watched {
    pub const ALL: [Watched; 4] = [
        Watched::DeploymentFailures,
        Watched::TaskFailureRate,
        Watched::WebhookRejections,
        Watched::Engagement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Watched::DeploymentFailures => "deployment_failures",
            Watched::TaskFailureRate => "task_failure_rate",
            Watched::WebhookRejections => "webhook_rejections",
            Watched::Engagement => "engagement",
        }
    }

    fn direction(self) -> Direction {
        match self {
            Watched::Engagement => Direction::Both,
            _ => Direction::Up,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Watched::DeploymentFailures => "failed production deployments",
            Watched::TaskFailureRate => "the agents' task failure rate (%)",
            Watched::WebhookRejections => {
                "webhook deliveries refused (bad signatures, replays, oversized) or not processed"
            }
            Watched::Engagement => "engagement on published posts",
        }
    }
}

/// An anomaly found: the series, the day's value and the band it left.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    pub series: Watched,
    #[serde(flatten)]
    pub assessment: Assessment,
    /// The `anomaly.detected` event.
    pub event: companyos_store::EventId,
    /// The incident it opened (deployment failures only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_task_id: Option<companyos_store::TaskId>,
}

/// What a run of the detectors found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyScan {
    /// Series judged (those with enough history).
    pub judged: Vec<Watched>,
    pub anomalies: Vec<Anomaly>,
    /// Anomalies already reported in the last day, not reported again.
    pub already_reported: Vec<Watched>,
}

/// `detect_anomalies`: the detectors over the organization's series, today against the
/// four weeks before.
pub struct DetectAnomalies;

impl TaskKind for DetectAnomalies {
    const NAME: &'static str = names::DETECT_ANOMALIES;
    type Input = super::NoInput;
    type Output = AnomalyScan;
}

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum AnomalyTask {
    DetectAnomalies(#[serde(default)] Option<super::NoInput>),
}

/// Analyst: anomalies in the organization's series.
pub struct AnomalyDetection;

/// The event type of an anomaly.
pub const ANOMALY_EVENT: &str = "anomaly.detected";

async fn series(ctx: &TaskContext, watched: Watched) -> Result<Vec<f64>, TaskFailure> {
    let org = ctx.agent.organization_id;
    let history = ctx.store.history();
    let end = ctx.store.now();
    let days = HISTORY_DAYS + 1;
    Ok(match watched {
        Watched::DeploymentFailures => {
            history
                .daily(org, Series::DeploymentFailures, end, days)
                .await?
        }
        Watched::WebhookRejections => {
            let refused = history
                .daily(org, Series::WebhookRejections, end, days)
                .await?;
            let unprocessed = history
                .daily(org, Series::DeliveriesUnprocessed, end, days)
                .await?;
            refused
                .iter()
                .zip(&unprocessed)
                .map(|(r, u)| r + u)
                .collect()
        }
        Watched::Engagement => history.daily(org, Series::Engagement, end, days).await?,
        Watched::TaskFailureRate => {
            let failed = history.daily(org, Series::TaskFailures, end, days).await?;
            let finished = history.daily(org, Series::TasksFinished, end, days).await?;
            failed
                .iter()
                .zip(&finished)
                .map(|(f, n)| if *n > 0.0 { 100.0 * f / n } else { 0.0 })
                .collect()
        }
    })
}

impl AnomalyDetection {
    async fn scan(&self, ctx: &TaskContext, task: &AgentTask) -> Result<AnomalyScan, TaskFailure> {
        let org = ctx.agent.organization_id;
        let mut scan = AnomalyScan::default();
        // The days before an organization existed are no history: a young one is not
        // judged yet.
        let age = ctx.store.now() - ctx.store.organizations().get(org).await?.created_at;
        if age < Duration::days(MIN_HISTORY as i64 + 1) {
            return Ok(scan);
        }
        let since = ctx.store.now() - Duration::hours(24);
        let recent = ctx
            .store
            .events()
            .list(
                org,
                &EventFilter {
                    event_type: Some(ANOMALY_EVENT.into()),
                    created_after: Some(since),
                    ..EventFilter::default()
                },
                &PageRequest::first(100),
            )
            .await?
            .items;
        for watched in Watched::ALL {
            let values = series(ctx, watched).await?;
            let Some((today, history)) = values.split_last() else {
                continue;
            };
            // Only the days the organization existed.
            let lived = usize::try_from(age.num_days()).unwrap_or(0);
            let history = &history[history.len().saturating_sub(lived)..];
            // A series that never had anything (no deployments, no posts) is not judged.
            if history.iter().all(|v| *v == 0.0) && *today == 0.0 {
                continue;
            }
            let Some(assessment) = assess(history, *today, watched.direction()) else {
                continue;
            };
            scan.judged.push(watched);
            if !assessment.anomalous {
                continue;
            }
            if recent
                .iter()
                .any(|event| event.metadata.get("series") == Some(&json!(watched.as_str())))
            {
                scan.already_reported.push(watched);
                continue;
            }
            scan.anomalies
                .push(self.report(ctx, task, watched, assessment).await?);
        }
        Ok(scan)
    }

    async fn report(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        watched: Watched,
        assessment: Assessment,
    ) -> Result<Anomaly, TaskFailure> {
        let org = ctx.agent.organization_id;
        let text = format!(
            "{}: {} in the last 24 h, expected {:.1} (band {:.1}–{:.1})",
            watched.describe(),
            assessment.observed,
            assessment.expected,
            assessment.lower,
            assessment.upper,
        );
        let event = ctx
            .store
            .events()
            .record(
                org,
                NewEvent {
                    event_type: ANOMALY_EVENT.into(),
                    event_source: "companyos".into(),
                    actor_type: Some(EventActorType::Agent),
                    actor_id: Some(ctx.agent.id.0),
                    resource_type: Some(ResourceKind::AgentTask),
                    resource_id: Some(task.id.0),
                    metadata: json!({
                        "series": watched.as_str(),
                        "observed": assessment.observed,
                        "expected": assessment.expected,
                        "lower": assessment.lower,
                        "upper": assessment.upper,
                        "readings": assessment.readings,
                        "summary": text,
                    }),
                },
            )
            .await?;
        // A record, not a trigger: what it leads to is asked for here.
        ctx.store.events().mark_routed(org, event.id).await?;
        let key = format!("{}:{}", task.id, watched.as_str());
        let mut incident_task_id = None;
        if watched == Watched::DeploymentFailures {
            // The incident is about the latest failed production deployment.
            let failed = ctx
                .store
                .deployments()
                .list(
                    org,
                    &DeploymentFilter {
                        state: Some(DeploymentState::Error),
                        environment: Some(companyos_store::DeploymentEnvironment::Production),
                        ..DeploymentFilter::default()
                    },
                    &PageRequest::first(1),
                )
                .await?
                .items;
            if let Some(latest) = failed.into_iter().next() {
                let opened = ctx
                    .spawn(
                        IncidentTask::request(
                            names::INCIDENT_RESPONSE,
                            &OpenIncident {
                                deployment: DeploymentRef {
                                    deployment_id: Some(latest.id),
                                    vercel_deployment_id: Some(latest.vercel_deployment_id),
                                    url: Some(latest.url),
                                    project: Some(latest.project_name),
                                },
                                reason: format!("an anomaly in {text}"),
                                severity: NotifySeverity::High,
                            },
                            9,
                        ),
                        format!("{key}:{}", names::OPEN_INCIDENT),
                    )
                    .await?;
                incident_task_id = Some(opened.id);
            }
        }
        let notice = Notify {
            kind: ANOMALY_EVENT.into(),
            severity: NotifySeverity::Medium,
            title: format!("Anomaly: {}", watched.describe()),
            text: text.clone(),
            link: None,
            channel: None,
            sections: Vec::new(),
        };
        ctx.spawn(notice.task(), format!("{key}:notify")).await?;
        Ok(Anomaly {
            series: watched,
            assessment,
            event: event.id,
            incident_task_id,
        })
    }
}

#[async_trait]
impl Behaviour for AnomalyDetection {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let AnomalyTask::DetectAnomalies(None | Some(super::NoInput {})) =
            task_of::<AnomalyTask>(task, "the anomaly detection agent")?;
        output(&self.scan(context, task).await?)
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// A Poisson draw (Knuth's method; λ is small here).
    fn poisson(rng: &mut StdRng, lambda: f64) -> f64 {
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0.0, 1.0);
        loop {
            p *= rng.random::<f64>();
            if p <= limit {
                return k;
            }
            k += 1.0;
        }
    }

    /// A day's level: busy weekdays, quiet weekends.
    fn level(base: f64, day: usize) -> f64 {
        if day % 7 >= 5 { base * 0.2 } else { base }
    }

    /// The false-alarm and detection rates of the detectors on synthetic series with a
    /// known signal: 400 series of 8 weeks of daily counts (Poisson, weekly pattern,
    /// levels 0.5 to 40), each day after the fourth week judged against the four weeks
    /// before; one day in 20 gets a spike of five times the level's standard deviation
    /// plus two. Printed for BENCHMARKS.md; the assertions hold the goals.
    #[test]
    fn false_alarms_are_rare_and_spikes_are_found() {
        let mut rng = StdRng::seed_from_u64(27);
        let (mut normal, mut false_alarms, mut spikes, mut found) = (0, 0, 0, 0);
        for series in 0..400 {
            let base = [0.5, 2.0, 8.0, 40.0][series % 4];
            let mut values = Vec::new();
            for day in 0..56 {
                let lambda = level(base, day);
                let mut value = poisson(&mut rng, lambda);
                let spiked = day >= 28 && rng.random_range(0..20) == 0;
                if spiked {
                    value += 5.0 * lambda.sqrt() + 2.0;
                }
                if day >= 28 {
                    let history = &values[day - 28..day];
                    let verdict = assess(history, value, Direction::Up).expect("history");
                    if spiked {
                        spikes += 1;
                        found += usize::from(verdict.anomalous);
                    } else {
                        normal += 1;
                        false_alarms += usize::from(verdict.anomalous);
                    }
                }
                // The history keeps what happened, spikes included.
                values.push(value);
            }
        }
        let false_alarm_rate = false_alarms as f64 / normal as f64;
        let detection_rate = found as f64 / spikes as f64;
        println!(
            "anomaly detection: {false_alarms} false alarms in {normal} normal days ({:.2} %), {found} of {spikes} spikes found ({:.1} %)",
            100.0 * false_alarm_rate,
            100.0 * detection_rate
        );
        assert!(false_alarm_rate < 0.01, "false alarms {false_alarm_rate}");
        assert!(detection_rate > 0.8, "detection {detection_rate}");
    }

    #[test]
    fn a_flat_history_and_a_burst_is_an_anomaly_with_its_band() {
        let history = vec![0.0; 28];
        let verdict = assess(&history, 6.0, Direction::Up).expect("history");
        assert!(verdict.anomalous);
        assert_eq!(verdict.expected, 0.0);
        assert_eq!(verdict.lower, 0.0);
        assert!(
            verdict.upper < 6.0 && verdict.upper > 0.0,
            "{}",
            verdict.upper
        );
        let quiet = assess(&history, 1.0, Direction::Up).expect("history");
        assert!(
            !quiet.anomalous,
            "one failure after a quiet month is not an anomaly"
        );
    }

    #[test]
    fn a_fall_counts_only_where_a_fall_is_wrong() {
        let history: Vec<f64> = (0..28).map(|d| 100.0 + (d % 3) as f64).collect();
        assert!(
            !assess(&history, 5.0, Direction::Up)
                .expect("history")
                .anomalous
        );
        assert!(
            assess(&history, 5.0, Direction::Both)
                .expect("history")
                .anomalous
        );
    }

    #[test]
    fn too_short_a_history_is_not_judged() {
        assert_eq!(assess(&[1.0; 6], 50.0, Direction::Up), None);
    }
}
