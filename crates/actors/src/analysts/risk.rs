//! Deployment risk: the chance that a production deployment fails (as the DORA change
//! failure rate counts a failure: its build failed, an incident, a rollback, a hotfix
//! within a day), 0–100, with a confidence and the factors that weighed most. Attached to
//! each recent production deployment and each open pull request by the `prediction`
//! agent.
//!
//! The model is a logistic regression over [`Features`] of the change and its history,
//! fitted by `linfa-logistic` (L2-regularised, L-BFGS) on the organization's own
//! finished deployments once there are [`MIN_SAMPLES`] of them with at least
//! [`MIN_EACH_CLASS`] failures and successes; until then the documented [`prior`]
//! decides. The agent retrains daily (`train_risk_model`) and scores every ten minutes
//! (`predict_risk`).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use companyos_store::{
    AgentTask, DeploymentId, DeploymentState, NewRiskAssessment, OrgId, PageRequest, RiskSubject,
    Store, StoreError, TaskFilter, TaskStatus,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dora::{self, DeliveryHistory, DeploymentFact};
pub use super::logistic::Factor;
use super::logistic::{Scoring, logit};
use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::code_review::ReviewResult;
use crate::names;
use crate::registry::{AgentType, AgentTypeRegistry, DefaultSchedule};
use crate::review::Severity;
use crate::task_kind::{TaskKind, output_of, task_of};

pub(super) fn register(registry: &mut AgentTypeRegistry) {
    registry.register(
        AgentType::plain(
            names::PREDICTION,
            AgentKind::Analyst,
            vec![
                names::TRAIN_RISK_MODEL.into(),
                names::PREDICT_RISK.into(),
                names::FORECAST_CONTENT.into(),
            ],
            || Box::new(Prediction),
        )
        .with_schedule(DefaultSchedule {
            name: "Deployment risk model, daily",
            cron: "30 0 * * *",
            task_type: names::TRAIN_RISK_MODEL,
        })
        .with_schedule(DefaultSchedule {
            name: "Deployment risk, every ten minutes",
            cron: "*/10 * * * *",
            task_type: names::PREDICT_RISK,
        })
        .with_schedule(DefaultSchedule {
            name: "Content forecast, every thirty minutes",
            cron: "*/30 * * * *",
            task_type: names::FORECAST_CONTENT,
        }),
    );
}

/// Finished deployments needed before the organization's own model replaces the prior.
pub const MIN_SAMPLES: usize = 30;
/// Failures (and successes) needed among them.
pub const MIN_EACH_CLASS: usize = 5;
/// History a model is trained on.
const TRAIN_DAYS: i64 = 180;
/// A deployment younger than this is not yet known not to have failed (a hotfix may
/// still follow).
const SETTLED_AFTER: Duration = Duration::days(1);
/// The window of a project's or an author's recent failure rate.
const RECENT: Duration = Duration::days(30);

/// The names of the features, in the model's order.
pub const FEATURE_NAMES: [&str; 9] = [
    "lines_changed",
    "files_changed",
    "project_failure_rate",
    "author_failure_rate",
    "serious_findings",
    "out_of_hours",
    "late_week",
    "deployments_earlier_that_day",
    "not_mergeable",
];

/// What is known of a change when it ships.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// Lines added and deleted.
    pub lines_changed: f64,
    pub files_changed: f64,
    /// The project's failed share of its finished production deployments in the last 30
    /// days, smoothed towards 10 % (as if 5 more deployments had failed at that rate).
    pub project_failure_rate: f64,
    /// The same over the deployments that shipped the author's pull requests.
    pub author_failure_rate: f64,
    /// High and critical findings of the code review.
    pub serious_findings: f64,
    /// Before 08:00 or from 18:00 UTC.
    pub out_of_hours: bool,
    /// Friday, Saturday or Sunday.
    pub late_week: bool,
    /// Production deployments of the project earlier the same (UTC) day.
    pub deployments_earlier_that_day: f64,
    /// GitHub said the pull request cannot be merged as it is (conflicts or failing
    /// required checks).
    pub not_mergeable: bool,
}

impl Features {
    /// The model's inputs: counts on a log scale, flags as 0 or 1.
    pub fn vector(&self) -> [f64; 9] {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        [
            self.lines_changed.max(0.0).ln_1p(),
            self.files_changed.max(0.0).ln_1p(),
            self.project_failure_rate,
            self.author_failure_rate,
            self.serious_findings.max(0.0).ln_1p(),
            flag(self.out_of_hours),
            flag(self.late_week),
            self.deployments_earlier_that_day.max(0.0).ln_1p(),
            flag(self.not_mergeable),
        ]
    }
}

/// Which model assessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Prior,
    Trained,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Prior => "prior",
            ModelKind::Trained => "trained",
        }
    }
}

/// A logistic model over standardised [`Features::vector`]s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskModel {
    pub kind: ModelKind,
    /// Finished deployments it was trained on (0 for the prior).
    pub samples: usize,
    /// Their failed share.
    pub base_rate: f64,
    pub means: Vec<f64>,
    pub scales: Vec<f64>,
    pub weights: Vec<f64>,
    pub intercept: f64,
    /// The typical change the factors are measured from (standardised).
    pub reference: Vec<f64>,
}

/// The prior, until an organization's history trains a model: a typical change (about
/// 55 lines in 4 files, a project and author failing 10 % of the time, no serious
/// finding, in hours, early in the week, the day's first deployment) fails 10 % of the
/// time; each feature moves the log-odds by a hand-set weight in the direction the
/// delivery research reports — larger changes (+0.3 per e-fold of lines, +0.2 of files),
/// a project's and an author's recent failures (+3.0 and +2.0 per unit of rate), serious
/// review findings (+0.5 per e-fold), off-hours (+0.5) and end-of-week (+0.4)
/// deployments, busy days (+0.3 per e-fold) and changes GitHub cannot merge (+0.7).
pub fn prior() -> RiskModel {
    let weights = vec![0.3, 0.2, 3.0, 2.0, 0.5, 0.5, 0.4, 0.3, 0.7];
    let reference = Features {
        lines_changed: 54.0,
        files_changed: 4.0,
        project_failure_rate: 0.1,
        author_failure_rate: 0.1,
        ..Features::default()
    }
    .vector()
    .to_vec();
    let at_reference: f64 = weights.iter().zip(&reference).map(|(w, x)| w * x).sum();
    RiskModel {
        kind: ModelKind::Prior,
        samples: 0,
        base_rate: 0.1,
        means: vec![0.0; 9],
        scales: vec![1.0; 9],
        intercept: logit(0.1) - at_reference,
        weights,
        reference,
    }
}

/// Why a model could not be trained.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrainError {
    #[error(
        "{samples} finished deployments with {failures} failures: a model needs {MIN_SAMPLES} with at least {MIN_EACH_CLASS} failures and {MIN_EACH_CLASS} successes"
    )]
    TooLittleHistory { samples: usize, failures: usize },
    #[error("the logistic regression did not fit: {0}")]
    Fit(String),
}

/// Fits a model on `samples` (features, failed).
pub fn train(samples: &[(Features, bool)]) -> Result<RiskModel, TrainError> {
    let failures = samples.iter().filter(|(_, failed)| *failed).count();
    if samples.len() < MIN_SAMPLES
        || failures < MIN_EACH_CLASS
        || samples.len() - failures < MIN_EACH_CLASS
    {
        return Err(TrainError::TooLittleHistory {
            samples: samples.len(),
            failures,
        });
    }
    let rows: Vec<Vec<f64>> = samples.iter().map(|(f, _)| f.vector().to_vec()).collect();
    let labels: Vec<bool> = samples.iter().map(|(_, failed)| *failed).collect();
    let fitted =
        super::logistic::fit(&rows, &labels).map_err(|error| TrainError::Fit(error.to_string()))?;
    Ok(RiskModel {
        kind: ModelKind::Trained,
        samples: samples.len(),
        base_rate: failures as f64 / samples.len() as f64,
        weights: fitted.weights,
        intercept: fitted.intercept,
        means: fitted.means,
        scales: fitted.scales,
        reference: vec![0.0; 9],
    })
}

/// A risk assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// 0–100.
    pub risk: i32,
    /// 0–1: the prior is 0.3; a trained model n / (n + 100), at most 0.95.
    pub confidence: f64,
    /// The three factors that weighed most, largest effect first.
    pub factors: Vec<Factor>,
    pub model: ModelKind,
}

impl RiskModel {
    fn scoring(&self) -> Scoring<'_> {
        Scoring {
            means: &self.means,
            scales: &self.scales,
            weights: &self.weights,
            intercept: self.intercept,
            reference: &self.reference,
        }
    }

    /// The probability that a change with `features` fails.
    pub fn probability(&self, features: &Features) -> f64 {
        self.scoring().probability(&features.vector())
    }

    pub fn assess(&self, features: &Features) -> Assessment {
        let raw = [
            features.lines_changed,
            features.files_changed,
            features.project_failure_rate,
            features.author_failure_rate,
            features.serious_findings,
            f64::from(u8::from(features.out_of_hours)),
            f64::from(u8::from(features.late_week)),
            features.deployments_earlier_that_day,
            f64::from(u8::from(features.not_mergeable)),
        ];
        let factors = self
            .scoring()
            .top_factors(&FEATURE_NAMES, &features.vector(), &raw, 3);
        let confidence = match self.kind {
            ModelKind::Prior => 0.3,
            ModelKind::Trained => (self.samples as f64 / (self.samples as f64 + 100.0)).min(0.95),
        };
        Assessment {
            risk: (100.0 * self.probability(features))
                .round()
                .clamp(0.0, 100.0) as i32,
            confidence,
            factors,
            model: self.kind,
        }
    }
}

/// The area under the ROC curve of `scores` against `labels` (Mann–Whitney, ties
/// shared): 0.5 is chance, 1 a perfect ranking. `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            ranks[order[k]] = rank;
        }
        i = j + 1;
    }
    let positives = labels.iter().filter(|l| **l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l)
        .map(|(r, _)| r)
        .sum();
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// What is known of one merged pull request, for the features.
#[derive(Clone, Debug)]
struct Change {
    repository: String,
    repository_name: String,
    author: Option<String>,
    head_sha: Option<String>,
    merged_at: DateTime<Utc>,
    lines: f64,
    files: f64,
    serious: f64,
    not_mergeable: bool,
}

fn number(metadata: &Value, key: &str) -> f64 {
    metadata.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn serious_findings(review: Option<&Value>) -> f64 {
    review
        .and_then(|value| serde_json::from_value::<ReviewResult>(value.clone()).ok())
        .map_or(0.0, |review| {
            review
                .findings
                .iter()
                .filter(|f| matches!(f.severity, Severity::High | Severity::Critical))
                .count() as f64
        })
}

/// The organization's recent production deployments with the changes they shipped.
struct Ledger {
    deployments: Vec<DeploymentFact>,
    failed: BTreeSet<DeploymentId>,
    changes: Vec<Change>,
    /// The change each deployment shipped (an index into `changes`), found once.
    shipped: std::collections::HashMap<DeploymentId, usize>,
}

impl Ledger {
    async fn load(
        store: &Store,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Ledger, StoreError> {
        let history: DeliveryHistory = super::delivery_history(store, org, from, to).await?;
        let failed = dora::failed_deployments(&history);
        let changes = store
            .history()
            .merged_pull_requests(org, from - RECENT, to)
            .await?
            .into_iter()
            .map(|pr| Change {
                author: pr
                    .metadata
                    .get("author")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                head_sha: pr.head_sha().map(str::to_owned),
                lines: number(&pr.metadata, "additions") + number(&pr.metadata, "deletions"),
                files: number(&pr.metadata, "changed_files"),
                serious: serious_findings(pr.agent_review.as_ref()),
                not_mergeable: false,
                repository: pr.repository,
                repository_name: pr.repository_name,
                merged_at: pr.merged_at,
            })
            .collect();
        let mut ledger = Ledger {
            deployments: history.deployments,
            failed,
            changes,
            shipped: std::collections::HashMap::new(),
        };
        ledger.shipped = ledger
            .deployments
            .iter()
            .filter_map(|d| ledger.find_shipped(d).map(|at| (d.id, at)))
            .collect();
        Ok(ledger)
    }

    fn project_matches(project: &str, change: &Change) -> bool {
        project.eq_ignore_ascii_case(&change.repository_name)
            || project.eq_ignore_ascii_case(&change.repository)
    }

    /// The change a deployment shipped: its commit's pull request, else the project's
    /// latest merge before it (an index into `changes`).
    fn find_shipped(&self, deployment: &DeploymentFact) -> Option<usize> {
        let by_commit = self
            .changes
            .iter()
            .position(|c| c.head_sha.is_some() && c.head_sha == deployment.commit_sha);
        by_commit.or_else(|| {
            self.changes
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.merged_at <= deployment.created_at
                        && Ledger::project_matches(&deployment.project, c)
                })
                .max_by_key(|(_, c)| c.merged_at)
                .map(|(at, _)| at)
        })
    }

    fn shipped(&self, deployment: &DeploymentFact) -> Option<&Change> {
        self.shipped
            .get(&deployment.id)
            .and_then(|at| self.changes.get(*at))
    }

    fn finished_before(&self, at: DateTime<Utc>) -> impl Iterator<Item = &DeploymentFact> {
        self.deployments.iter().filter(move |d| {
            d.created_at < at
                && d.created_at >= at - RECENT
                && matches!(d.state, DeploymentState::Ready | DeploymentState::Error)
        })
    }

    fn smoothed(&self, deployments: impl Iterator<Item = DeploymentId>) -> f64 {
        let (mut n, mut failed) = (0.0, 0.0);
        for id in deployments {
            n += 1.0;
            if self.failed.contains(&id) {
                failed += 1.0;
            }
        }
        (failed + 0.5) / (n + 5.0)
    }

    /// The features of a change by `author` to `project` (`change` when known) shipping
    /// at `at`.
    fn features(&self, project: &str, change: Option<&Change>, at: DateTime<Utc>) -> Features {
        let project_rate = self.smoothed(
            self.finished_before(at)
                .filter(|d| d.project == project)
                .map(|d| d.id),
        );
        let author = change.and_then(|c| c.author.as_deref());
        let author_rate = self.smoothed(
            self.finished_before(at)
                .filter(|d| {
                    author.is_some() && self.shipped(d).and_then(|c| c.author.as_deref()) == author
                })
                .map(|d| d.id),
        );
        let earlier_today = self
            .deployments
            .iter()
            .filter(|d| {
                d.project == project
                    && d.created_at < at
                    && d.created_at.date_naive() == at.date_naive()
            })
            .count();
        Features {
            lines_changed: change.map_or(0.0, |c| c.lines),
            files_changed: change.map_or(0.0, |c| c.files),
            project_failure_rate: project_rate,
            author_failure_rate: author_rate,
            serious_findings: change.map_or(0.0, |c| c.serious),
            out_of_hours: at.hour() < 8 || at.hour() >= 18,
            late_week: at.weekday().num_days_from_monday() >= 4,
            deployments_earlier_that_day: earlier_today as f64,
            not_mergeable: change.is_some_and(|c| c.not_mergeable),
        }
    }

    fn deployment_features(&self, deployment: &DeploymentFact) -> Features {
        self.features(
            &deployment.project,
            self.shipped(deployment),
            deployment.created_at,
        )
    }

    /// Settled, finished deployments as training samples.
    fn samples(&self, now: DateTime<Utc>) -> Vec<(Features, bool)> {
        self.deployments
            .iter()
            .filter(|d| {
                matches!(d.state, DeploymentState::Ready | DeploymentState::Error)
                    && d.created_at <= now - SETTLED_AFTER
            })
            .map(|d| (self.deployment_features(d), self.failed.contains(&d.id)))
            .collect()
    }
}

/// `train_risk_model`: the organization's model from its last 180 days.
pub struct TrainRiskModel;

impl TaskKind for TrainRiskModel {
    const NAME: &'static str = names::TRAIN_RISK_MODEL;
    type Input = super::NoInput;
    type Output = TrainedModel;
}

/// What training gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainedModel {
    /// The model the agent assesses with from now on (the prior when none trained).
    pub model: RiskModel,
    /// Why the prior is kept, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_prior_because: Option<String>,
    /// The model's AUC on the samples it was trained on (in-sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_auc: Option<f64>,
}

/// `predict_risk`: assessments of the recent production deployments and open pull
/// requests.
pub struct PredictRisk;

impl TaskKind for PredictRisk {
    const NAME: &'static str = names::PREDICT_RISK;
    type Input = super::NoInput;
    type Output = Predicted;
}

/// What `predict_risk` assessed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Predicted {
    pub deployments: usize,
    pub pull_requests: usize,
    pub model: Option<ModelKind>,
}

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum PredictionTask {
    TrainRiskModel(#[serde(default)] Option<super::NoInput>),
    PredictRisk(#[serde(default)] Option<super::NoInput>),
    ForecastContent(#[serde(default)] Option<super::NoInput>),
}

/// Analyst: deployment risk.
pub struct Prediction;

/// The organization's current model: the last training's, else the prior.
pub async fn current_model(store: &Store, org: OrgId) -> Result<RiskModel, StoreError> {
    let trained = store
        .tasks()
        .list(
            org,
            &TaskFilter {
                task_type: Some(names::TRAIN_RISK_MODEL.into()),
                status: Some(TaskStatus::Completed),
                ..TaskFilter::default()
            },
            &PageRequest::first(1),
        )
        .await?
        .items;
    Ok(trained
        .first()
        .and_then(|task| output_of::<TrainRiskModel>(task).ok())
        .map_or_else(prior, |trained| trained.model))
}

/// Recent deployments assessed (besides open pull requests).
const ASSESS_DAYS: i64 = 2;

impl Prediction {
    async fn train(&self, ctx: &TaskContext) -> Result<TrainedModel, TaskFailure> {
        let org = ctx.agent.organization_id;
        let now = ctx.store.now();
        let ledger = Ledger::load(&ctx.store, org, now - Duration::days(TRAIN_DAYS), now).await?;
        let samples = ledger.samples(now);
        Ok(match train(&samples) {
            Ok(model) => {
                let scores: Vec<f64> = samples.iter().map(|(f, _)| model.probability(f)).collect();
                let labels: Vec<bool> = samples.iter().map(|(_, l)| *l).collect();
                TrainedModel {
                    training_auc: auc(&scores, &labels),
                    model,
                    kept_prior_because: None,
                }
            }
            Err(why) => TrainedModel {
                model: prior(),
                kept_prior_because: Some(why.to_string()),
                training_auc: None,
            },
        })
    }

    async fn predict(&self, ctx: &TaskContext) -> Result<Predicted, TaskFailure> {
        let org = ctx.agent.organization_id;
        let now = ctx.store.now();
        let model = current_model(&ctx.store, org).await?;
        let ledger = Ledger::load(&ctx.store, org, now - RECENT - RECENT, now).await?;
        let mut predicted = Predicted {
            model: Some(model.kind),
            ..Predicted::default()
        };
        let record =
            |subject: RiskSubject, id: uuid::Uuid, assessment: Assessment| NewRiskAssessment {
                resource_type: subject,
                resource_id: id,
                risk: assessment.risk,
                confidence: assessment.confidence,
                factors: serde_json::to_value(&assessment.factors).unwrap_or(Value::Null),
                model: assessment.model.as_str().into(),
            };
        for deployment in ledger
            .deployments
            .iter()
            .filter(|d| d.created_at >= now - Duration::days(ASSESS_DAYS))
        {
            let assessment = model.assess(&ledger.deployment_features(deployment));
            ctx.store
                .risks()
                .record(
                    org,
                    record(RiskSubject::Deployment, deployment.id.0, assessment),
                )
                .await?;
            predicted.deployments += 1;
        }
        for (pr, repository) in super::open_pull_requests(&ctx.store, org).await? {
            let (full_name, name) = (repository.full_name, repository.name);
            let change = Change {
                author: pr
                    .metadata
                    .get("author")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                head_sha: None,
                lines: number(&pr.metadata, "additions") + number(&pr.metadata, "deletions"),
                files: number(&pr.metadata, "changed_files"),
                serious: serious_findings(pr.agent_review.as_ref()),
                not_mergeable: pr.mergeable == Some(false),
                repository: full_name,
                repository_name: name.clone(),
                merged_at: now,
            };
            // The project a pull request ships to: the one its repository deploys as.
            let project = ledger
                .deployments
                .iter()
                .rev()
                .find(|d| Ledger::project_matches(&d.project, &change))
                .map_or(name, |d| d.project.clone());
            let assessment = model.assess(&ledger.features(&project, Some(&change), now));
            ctx.store
                .risks()
                .record(org, record(RiskSubject::PullRequest, pr.id.0, assessment))
                .await?;
            predicted.pull_requests += 1;
        }
        Ok(predicted)
    }
}

#[async_trait]
impl Behaviour for Prediction {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        match task_of::<PredictionTask>(task, "the prediction agent")? {
            PredictionTask::TrainRiskModel(None | Some(super::NoInput {})) => {
                output(&self.train(context).await?)
            }
            PredictionTask::PredictRisk(None | Some(super::NoInput {})) => {
                output(&self.predict(context).await?)
            }
            PredictionTask::ForecastContent(None | Some(super::NoInput {})) => {
                output(&super::content::forecast(context).await?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysts::logistic::sigmoid;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn normal(rng: &mut StdRng) -> f64 {
        // Box–Muller.
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

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

    /// A generated history with a known signal: the true log-odds of failure are
    /// −7.6 + 0.7 ln(1+lines) + 0.2 ln(1+files) + 6 × project rate + 4 × author rate +
    /// 0.6 × serious findings + 0.8 off-hours + 0.5 late week + 0.2 × earlier deploys +
    /// 0.8 not mergeable, for a base rate near 15 %.
    fn generated(rng: &mut StdRng, n: usize) -> Vec<(Features, bool)> {
        (0..n)
            .map(|_| {
                let lines = (3.5 + 1.2 * normal(rng)).exp().round();
                let features = Features {
                    lines_changed: lines,
                    files_changed: (1.0 + lines / 15.0 + poisson(rng, 1.0)).round(),
                    project_failure_rate: rng.random_range(0.0..0.4),
                    author_failure_rate: rng.random_range(0.0..0.4),
                    serious_findings: poisson(rng, 0.5),
                    out_of_hours: rng.random_bool(0.25),
                    late_week: rng.random_bool(0.3),
                    deployments_earlier_that_day: poisson(rng, 1.5),
                    not_mergeable: rng.random_bool(0.1),
                };
                let flag = |b: bool| if b { 1.0 } else { 0.0 };
                let log_odds = -7.6
                    + 0.7 * features.lines_changed.ln_1p()
                    + 0.2 * features.files_changed.ln_1p()
                    + 6.0 * features.project_failure_rate
                    + 4.0 * features.author_failure_rate
                    + 0.6 * features.serious_findings
                    + 0.8 * flag(features.out_of_hours)
                    + 0.5 * flag(features.late_week)
                    + 0.2 * features.deployments_earlier_that_day
                    + 0.8 * flag(features.not_mergeable);
                let failed = rng.random::<f64>() < sigmoid(log_odds);
                (features, failed)
            })
            .collect()
    }

    /// Trained on 2,000 generated deployments, judged on 1,000 others: the trained
    /// model's AUC, the prior's, and the base rate's (a constant: 0.5). Printed for
    /// BENCHMARKS.md; the assertions hold the goals.
    #[test]
    fn the_model_ranks_failures_above_successes() {
        let mut rng = StdRng::seed_from_u64(27);
        let training = generated(&mut rng, 2000);
        let held_out = generated(&mut rng, 1000);
        let model = train(&training).expect("enough history");
        let labels: Vec<bool> = held_out.iter().map(|(_, l)| *l).collect();
        let trained: Vec<f64> = held_out.iter().map(|(f, _)| model.probability(f)).collect();
        let prior_scores: Vec<f64> = held_out
            .iter()
            .map(|(f, _)| prior().probability(f))
            .collect();
        let base: Vec<f64> = vec![model.base_rate; held_out.len()];
        let (trained_auc, prior_auc, base_auc) = (
            auc(&trained, &labels).expect("both classes"),
            auc(&prior_scores, &labels).expect("both classes"),
            auc(&base, &labels).expect("both classes"),
        );
        let rate = labels.iter().filter(|l| **l).count() as f64 / labels.len() as f64;
        println!(
            "deployment risk: held-out AUC trained {trained_auc:.3}, prior {prior_auc:.3}, base rate {base_auc:.3} (failure rate {:.1} %)",
            100.0 * rate
        );
        assert!(trained_auc >= 0.75, "trained AUC {trained_auc}");
        assert!(prior_auc > base_auc + 0.05, "prior AUC {prior_auc}");
        assert_eq!(base_auc, 0.5);
        // The weights the model learnt point the way the signal does.
        assert!(model.weights[0] > 0.0 && model.weights[2] > 0.0 && model.weights[3] > 0.0);
        let risky = Features {
            lines_changed: 2000.0,
            files_changed: 60.0,
            project_failure_rate: 0.35,
            serious_findings: 3.0,
            out_of_hours: true,
            ..Features::default()
        };
        let assessment = model.assess(&risky);
        assert!(assessment.risk > 50, "{assessment:?}");
        assert_eq!(assessment.factors.len(), 3);
        assert!(
            assessment.factors.iter().all(|f| f.effect > 0.0),
            "{assessment:?}"
        );
        assert!(assessment.confidence > 0.9);
    }

    #[test]
    fn too_little_history_keeps_the_prior() {
        let mut rng = StdRng::seed_from_u64(1);
        let few = generated(&mut rng, 20);
        assert!(matches!(
            train(&few),
            Err(TrainError::TooLittleHistory { samples: 20, .. })
        ));
        let typical = Features {
            lines_changed: 54.0,
            files_changed: 4.0,
            project_failure_rate: 0.1,
            author_failure_rate: 0.1,
            ..Features::default()
        };
        let assessment = prior().assess(&typical);
        assert_eq!(assessment.risk, 10);
        assert_eq!(assessment.model, ModelKind::Prior);
        assert!(assessment.factors.iter().all(|f| f.effect.abs() < 1e-9));
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[0.1, 0.9], &[false, true]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.1], &[false, true]), Some(0.0));
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.5], &[true, true]), None);
    }
}
