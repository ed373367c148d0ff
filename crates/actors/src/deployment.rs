//! The `deployment` agent (executor): it watches what a deployment does once it is out
//! and acts on it through the organization's Vercel adapter.
//!
//! - `check_deployment` probes the deployment's URL (each configured path: status and
//!   latency), writes a 0–100 health score to the deployment, and raises a `notify`
//!   task when the score is under the configured threshold.
//! - `analyze_deployment_failure` reads the build's events and classifies why it failed
//!   (build error, failing tests, missing environment variable, dependency install, out
//!   of memory, timeout), with the log lines that show it, and notifies.
//! - `rollback` points the project's production domains back at the newest ready
//!   production deployment before the one rolled back (or at the one named). It runs
//!   only once a person approved it, whoever queued it.
//! - `deploy` builds a deployment's source again as a new deployment.
//!
//! Configuration: `{"paths": ["/"], "timeout_ms": 10000, "slow_ms": 1500,
//! "healthy_at": 70}`.

use std::time::Duration;

use async_trait::async_trait;
use companyos_integrations::clients::vercel;
use companyos_integrations::probe::{self, Probe, ProbePlan, Reach};
use companyos_store::{AgentTask, DeploymentId, TaskId, UserId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::llm::AgentLlm;
use crate::notification::{Notify, NotifySeverity};
use crate::port::{GitHubRequest, GitHubResponse, VercelRequest, VercelResponse};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration};
use crate::task_kind::{TaskKind, task_of};

use crate::names;

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(AgentType::configured(
        names::DEPLOYMENT,
        AgentKind::Executor,
        vec![
            names::CHECK_DEPLOYMENT.into(),
            names::ANALYZE_DEPLOYMENT_FAILURE.into(),
            names::ROLLBACK.into(),
            names::DEPLOY.into(),
        ],
        |config| Box::new(DeploymentAgent::new(config)),
    ));
}

/// How the deployment agent checks a deployment's health and waits for a redeploy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct DeploymentConfig {
    /// The paths a health check probes, each starting with / (such as /api/health),
    /// without the host.
    #[garde(
        length(min = 1, max = 20),
        inner(length(min = 1, max = 200), pattern(r"^/"))
    )]
    pub paths: Vec<String>,
    /// How long one path may take to answer before it counts as down, in milliseconds.
    #[garde(range(min = 100, max = 120_000))]
    pub timeout_ms: u64,
    /// From how many milliseconds an answer is slow and loses points (four times slower
    /// scores half); under the probe timeout.
    #[garde(range(min = 1, max = 120_000), custom(slow_under_timeout(&self.timeout_ms)))]
    pub slow_ms: u64,
    /// A check scoring under this (0–100) notifies, as a deployment health alert.
    #[garde(range(min = 0, max = 100))]
    pub healthy_at: u32,
    /// How long a redeploy waits for the new deployment to be ready, in seconds.
    #[garde(range(min = 1, max = 86_400))]
    pub ready_timeout_seconds: u64,
    /// How often a redeploy asks whether the new deployment is ready, in milliseconds.
    #[garde(range(min = 10, max = 600_000))]
    pub ready_poll_ms: u64,
    /// The language model's use by this agent (the node's model unless disabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(dive)]
    pub llm: Option<AgentLlm>,
}

impl Configuration for DeploymentConfig {}

fn slow_under_timeout(timeout_ms: &u64) -> impl FnOnce(&u64, &()) -> garde::Result + '_ {
    move |slow_ms, ()| {
        if slow_ms < timeout_ms {
            Ok(())
        } else {
            Err(garde::Error::new(format!(
                "must be under the probe timeout ({timeout_ms} ms), or no answer could count as slow"
            )))
        }
    }
}

impl Default for DeploymentConfig {
    fn default() -> Self {
        DeploymentConfig {
            paths: vec!["/".into()],
            timeout_ms: 10_000,
            slow_ms: 1_500,
            healthy_at: 70,
            ready_timeout_seconds: 900,
            ready_poll_ms: 5_000,
            llm: None,
        }
    }
}

/// Which deployment a task is about: the row CompanyOS keeps, Vercel's id, or both.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct DeploymentRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<DeploymentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vercel_deployment_id: Option<String>,
    /// The deployment's hostname or URL, when the producer knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// `check_deployment`: probe a deployment's paths and score its health.
pub struct CheckDeployment;

impl TaskKind for CheckDeployment {
    const NAME: &'static str = names::CHECK_DEPLOYMENT;
    type Input = DeploymentRef;
    type Output = HealthReport;
}

/// `analyze_deployment_failure`: read a failed build's log for its cause.
pub struct AnalyzeDeploymentFailure;

impl TaskKind for AnalyzeDeploymentFailure {
    const NAME: &'static str = names::ANALYZE_DEPLOYMENT_FAILURE;
    type Input = DeploymentRef;
    type Output = FailureReport;
}

/// `rollback`: point production back at an earlier ready deployment (after approval).
pub struct RollBack;

impl TaskKind for RollBack {
    const NAME: &'static str = names::ROLLBACK;
    type Input = Rollback;
    type Output = RolledBack;
}

/// `deploy`: redeploy a deployment's source and wait until it is ready.
pub struct Deploy;

impl TaskKind for Deploy {
    const NAME: &'static str = names::DEPLOY;
    type Input = DeploymentRef;
    type Output = Redeployed;
}

/// The tasks the deployment agent performs, each with its input.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum DeploymentTask {
    CheckDeployment(DeploymentRef),
    AnalyzeDeploymentFailure(DeploymentRef),
    Rollback(Rollback),
    Deploy(DeploymentRef),
}

/// What a health check found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// 0–100.
    pub health_score: u32,
    pub healthy: bool,
    /// The deployment's address as probed.
    pub url: String,
    pub probes: Vec<Probe>,
    /// The notice an unhealthy deployment raised.
    pub notification_task_id: Option<TaskId>,
}

/// What the log of a failed build says, with the notice it raised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureReport {
    #[serde(flatten)]
    pub analysis: FailureAnalysis,
    pub vercel_deployment_id: String,
    pub notification_task_id: Option<TaskId>,
}

/// What a rollback did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolledBack {
    pub project_id: String,
    pub project: String,
    pub rolled_back_from: String,
    pub rolled_back_to: String,
    pub approved_by: Option<UserId>,
    /// What GitHub's environment was told of the rolled-back commit.
    pub github_deployment_status: GitHubStatus,
}

/// Whether the rolled-back commit's GitHub deployment was marked, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GitHubStatus {
    Marked { deployment: u64, state: String },
    Skipped { skipped: String },
}

/// What a redeploy made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Redeployed {
    pub redeployed_from: String,
    pub deployment: NewDeployment,
}

/// The deployment a redeploy created, as Vercel last reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewDeployment {
    pub id: String,
    pub url: String,
    pub ready_state: String,
    pub target: Option<String>,
}

/// The input of `rollback`: the deployment rolled back (away from), and optionally the
/// deployment to roll back to.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Rollback {
    #[serde(flatten)]
    pub deployment: DeploymentRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub use crate::build_log::{BuildStep, Evidence, FailureAnalysis, FailureCause, classify};

/// With a model, the rules' reading and the error block (masked, and nothing else of the
/// log) go to the model, which may name another cause with its reason and a quoted
/// line; the rules' answer stands when the model fails or disagrees without evidence.
async fn second_opinion(
    ctx: &TaskContext,
    lines: &[String],
    analysis: &mut FailureAnalysis,
) -> Result<(), TaskFailure> {
    use companyos_integrations::llm::{ChatMessage, CompletionRequest};
    if !ctx.llm.available_to(&ctx.configuration) || lines.is_empty() {
        return Ok(());
    }
    let block = crate::build_log::error_block(lines);
    let shown: Vec<String> = block
        .iter()
        .map(|(line, text)| format!("{line}: {text}"))
        .collect();
    let causes: Vec<&str> = FailureCause::ALL
        .iter()
        .map(|cause| cause.as_str())
        .collect();
    let request = CompletionRequest {
        system: Some(format!(
            "You read the error block of a failed build's log, as a person would. Answer with one JSON object: \
             {{\"cause\": one of {causes:?}, \"reason\": \"one sentence a developer can act on\", \
             \"quote\": \"the exact text of the one log line that shows the cause\"}}. \
             Lines that only say a command exited (npm's lifecycle lines, Command ... exited with N) are no evidence."
        )),
        messages: vec![ChatMessage::user(format!(
            "The rules read: {} ({}).\n\nThe log's error block (line: text):\n{}",
            analysis.cause.as_str(),
            analysis.summary,
            shown.join("\n")
        ))],
        max_tokens: Some(300),
        temperature: Some(0.0),
        json: true,
    };
    match ctx.llm.complete(ctx, request).await {
        Ok(Some(completion)) => {
            let text = completion
                .text
                .trim()
                .trim_start_matches("```json")
                .trim_start_matches("```")
                .trim_end_matches("```")
                .trim()
                .to_owned();
            match serde_json::from_str::<crate::build_log::ModelAnswer>(&text) {
                Ok(answer) => crate::build_log::weigh(analysis, &answer, &block),
                Err(_) => {
                    analysis.model = Some(crate::build_log::ModelReading {
                        cause: None,
                        reason: String::new(),
                        quote: None,
                        accepted: false,
                        note: Some("the model's answer could not be read".into()),
                    });
                }
            }
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(failure @ TaskFailure::Later { .. }) => Err(failure),
        Err(failure) => {
            tracing::warn!(%failure, "the model's reading of the build log is left out");
            analysis.model = Some(crate::build_log::ModelReading {
                cause: None,
                reason: String::new(),
                quote: None,
                accepted: false,
                note: Some(failure.to_string()),
            });
            Ok(())
        }
    }
}

/// Executor: the four deployment task types.
pub struct DeploymentAgent {
    config: DeploymentConfig,
}

impl DeploymentAgent {
    pub fn new(config: DeploymentConfig) -> Self {
        DeploymentAgent { config }
    }
}

/// The deployment row and Vercel id a reference names, checked to be this
/// organization's.
async fn resolve(
    ctx: &TaskContext,
    reference: &DeploymentRef,
) -> Result<(Option<companyos_store::Deployment>, String), TaskFailure> {
    let org = ctx.agent.organization_id;
    let row = match reference.deployment_id {
        Some(id) => Some(ctx.store.deployments().get(org, id).await.map_err(
            |error| match error {
                companyos_store::StoreError::NotFound { .. } => {
                    TaskFailure::Permanent(format!("deployment {id} does not exist"))
                }
                other => other.into(),
            },
        )?),
        None => None,
    };
    let vercel_id = reference
        .vercel_deployment_id
        .clone()
        .or_else(|| row.as_ref().map(|row| row.vercel_deployment_id.clone()))
        .ok_or_else(|| {
            TaskFailure::Permanent(
                "the input names no deployment: give deployment_id or vercel_deployment_id".into(),
            )
        })?;
    Ok((row, vercel_id))
}

async fn notify(
    ctx: &TaskContext,
    task: &AgentTask,
    notice: Notify,
) -> Result<Option<companyos_store::TaskId>, TaskFailure> {
    let spawned = ctx
        .spawn(notice.task(), format!("{}:{}", task.id, names::NOTIFY))
        .await?;
    Ok(Some(spawned.id))
}

impl DeploymentAgent {
    async fn check(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        reference: DeploymentRef,
    ) -> Result<HealthReport, TaskFailure> {
        let org = ctx.agent.organization_id;
        let row = match reference.deployment_id {
            Some(_) => resolve(ctx, &reference).await?.0,
            None => None,
        };
        // The address probed is the deployment's own, as Vercel reported it: the row's,
        // Vercel's answer for its id, or what a watcher or coordinator read from Vercel.
        // An address a person wrote into a task by hand is never probed.
        let written_by_hand = task.requested_by.is_some();
        let mut base = reference
            .url
            .clone()
            .filter(|_| !written_by_hand)
            .or_else(|| row.as_ref().map(|row| row.url.clone()))
            .filter(|url| !url.trim().is_empty());
        // Known only by Vercel's id: Vercel says where it is.
        if base.is_none()
            && let Some(id) = &reference.vercel_deployment_id
            && let VercelResponse::Deployment(deployment) = ctx
                .integrations()?
                .vercel(org, VercelRequest::Deployment { id: id.clone() })
                .await?
        {
            base = Some(deployment.url.clone()).filter(|url| !url.is_empty());
        }
        let base = base.ok_or_else(|| {
            TaskFailure::Permanent(if written_by_hand && reference.url.is_some() {
                "the address to probe comes from Vercel, not from the task: name the deployment with deployment_id or vercel_deployment_id".into()
            } else {
                "the deployment has no URL to probe yet".into()
            })
        })?;
        let plan = ProbePlan {
            base: base.clone(),
            paths: if self.config.paths.is_empty() {
                vec!["/".into()]
            } else {
                self.config.paths.clone()
            },
            timeout: Duration::from_millis(self.config.timeout_ms.max(100)),
            slow: Duration::from_millis(self.config.slow_ms.max(1)),
            reach: ctx
                .integrations
                .as_ref()
                .map_or(Reach::PublicHttps, |port| port.probe_reach()),
        };
        let probes: Vec<Probe> = tokio::select! {
            probes = probe::probe(&plan) => probes.map_err(|error| TaskFailure::Permanent(format!("not probed: {error}")))?,
            () = ctx.cancel.cancelled() => return Err(TaskFailure::Permanent("cancelled".into())),
        };
        let site = probe::address(&base, "/").map_or_else(|_| base.clone(), |url| url.to_string());
        let score = probe::health_score(&probes, plan.slow);
        let healthy = score >= self.config.healthy_at;
        if let Some(row) = &row {
            ctx.store
                .deployments()
                .record_health(org, row.id, i32::try_from(score).unwrap_or(0))
                .await?;
        }
        let name = reference
            .project
            .clone()
            .or_else(|| row.as_ref().map(|row| row.project_name.clone()))
            .unwrap_or_else(|| base.clone());
        let notification = if healthy {
            None
        } else {
            let failing: Vec<String> = probes
                .iter()
                .filter(|probe| probe::score_of(probe, plan.slow) < 100)
                .map(|probe| match (&probe.status, &probe.error) {
                    (Some(status), _) => {
                        format!("{} → {status} in {} ms", probe.path, probe.latency_ms)
                    }
                    (None, Some(error)) => format!("{} → {error}", probe.path),
                    (None, None) => format!("{} → no answer", probe.path),
                })
                .collect();
            notify(
                ctx,
                task,
                Notify {
                    kind: "deployment.unhealthy".into(),
                    severity: if score < 30 {
                        NotifySeverity::Critical
                    } else {
                        NotifySeverity::High
                    },
                    title: format!("{name} is unhealthy (health {score}/100)"),
                    text: failing.join("\n"),
                    link: Some(site.clone()),
                    channel: None,
                    sections: Vec::new(),
                },
            )
            .await?
        };
        Ok(HealthReport {
            health_score: score,
            healthy,
            url: site,
            probes,
            notification_task_id: notification,
        })
    }

    async fn analyse_failure(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        reference: DeploymentRef,
    ) -> Result<FailureReport, TaskFailure> {
        let org = ctx.agent.organization_id;
        let (row, vercel_id) = resolve(ctx, &reference).await?;
        let port = ctx.integrations()?;
        let events = match port
            .vercel(
                org,
                VercelRequest::Events {
                    id: vercel_id.clone(),
                },
            )
            .await?
        {
            VercelResponse::Events(events) => events,
            _ => {
                return Err(TaskFailure::Permanent(
                    "Vercel answered something else".into(),
                ));
            }
        };
        let mut lines: Vec<String> = events
            .iter()
            .filter_map(|event| event.line())
            .flat_map(str::lines)
            .map(str::to_owned)
            .collect();
        // Vercel's own verdict on the deployment, when it gives one, is read last.
        if let Ok(VercelResponse::Deployment(deployment)) = port
            .vercel(
                org,
                VercelRequest::Deployment {
                    id: vercel_id.clone(),
                },
            )
            .await
            && let Some(message) = deployment.error_message.as_deref()
        {
            lines.push(message.to_owned());
        }
        let mut analysis = classify(&lines);
        second_opinion(ctx, &lines, &mut analysis).await?;
        let name = reference
            .project
            .clone()
            .or_else(|| row.as_ref().map(|row| row.project_name.clone()))
            .unwrap_or_else(|| vercel_id.clone());
        let notification = notify(
            ctx,
            task,
            Notify {
                kind: "deployment.failed".into(),
                severity: NotifySeverity::High,
                title: format!("The deployment of {name} failed"),
                text: std::iter::once(analysis.summary.clone())
                    .chain(analysis.evidence.iter().map(|e| format!("> {}", e.text)))
                    .collect::<Vec<_>>()
                    .join("\n"),
                link: None,
                channel: None,
                sections: Vec::new(),
            },
        )
        .await?;
        Ok(FailureReport {
            analysis,
            vercel_deployment_id: vercel_id,
            notification_task_id: notification,
        })
    }

    async fn rollback(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        request: Rollback,
    ) -> Result<RolledBack, TaskFailure> {
        if task.approved_by.is_none() {
            return Err(TaskFailure::Permanent(
                "a rollback runs only after a person approves it: queue it with requires_human_approval"
                    .into(),
            ));
        }
        let org = ctx.agent.organization_id;
        let (_, from) = resolve(ctx, &request.deployment).await?;
        let port = ctx.integrations()?;
        let VercelResponse::Deployment(current) = port
            .vercel(org, VercelRequest::Deployment { id: from.clone() })
            .await?
        else {
            return Err(TaskFailure::Permanent(
                "Vercel answered something else".into(),
            ));
        };
        let to = match request.to.clone() {
            Some(to) => to,
            None => {
                let VercelResponse::Deployments(ready) = port
                    .vercel(
                        org,
                        VercelRequest::ReadyProduction {
                            project_id: current.project_id.clone(),
                            limit: 20,
                        },
                    )
                    .await?
                else {
                    return Err(TaskFailure::Permanent(
                        "Vercel answered something else".into(),
                    ));
                };
                previous_ready(&ready, &current)
                    .ok_or_else(|| {
                        TaskFailure::Permanent(format!(
                            "{} has no ready production deployment older than {} to roll back to",
                            current.name, current.id
                        ))
                    })?
                    .uid
                    .clone()
            }
        };
        let description = request
            .reason
            .clone()
            .unwrap_or_else(|| format!("rolled back from {} by CompanyOS", current.id));
        port.vercel(
            org,
            VercelRequest::Rollback {
                project_id: current.project_id.clone(),
                to: to.clone(),
                description: Some(description),
            },
        )
        .await?;
        let github = github_status(ctx, &current).await;
        Ok(RolledBack {
            project_id: current.project_id,
            project: current.name,
            rolled_back_from: current.id,
            rolled_back_to: to,
            approved_by: task.approved_by,
            github_deployment_status: github,
        })
    }

    async fn deploy(
        &self,
        ctx: &TaskContext,
        reference: DeploymentRef,
    ) -> Result<Redeployed, TaskFailure> {
        let org = ctx.agent.organization_id;
        let (row, source) = resolve(ctx, &reference).await?;
        let port = ctx.integrations()?;
        let VercelResponse::Deployment(current) = port
            .vercel(org, VercelRequest::Deployment { id: source.clone() })
            .await?
        else {
            return Err(TaskFailure::Permanent(
                "Vercel answered something else".into(),
            ));
        };
        let target = current.target.clone().or_else(|| {
            row.as_ref()
                .and_then(|row| row.environment)
                .filter(|environment| {
                    *environment == companyos_store::DeploymentEnvironment::Production
                })
                .map(|_| "production".to_owned())
        });
        let VercelResponse::Deployment(mut created) = port
            .vercel(
                org,
                VercelRequest::Redeploy(vercel::Redeploy {
                    name: current.name.clone(),
                    deployment_id: current.id.clone(),
                    target,
                }),
            )
            .await?
        else {
            return Err(TaskFailure::Permanent(
                "Vercel answered something else".into(),
            ));
        };
        // Ready, or why not.
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(self.config.ready_timeout_seconds.max(1));
        while created.ready_state != "READY" {
            if matches!(created.ready_state.as_str(), "ERROR" | "CANCELED") {
                return Err(TaskFailure::Permanent(format!(
                    "the new deployment {} ended {}: {}",
                    created.id,
                    created.ready_state,
                    created
                        .error_message
                        .as_deref()
                        .unwrap_or("Vercel gives no reason")
                )));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(TaskFailure::Permanent(format!(
                    "the new deployment {} was not ready within {} s (still {})",
                    created.id, self.config.ready_timeout_seconds, created.ready_state
                )));
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(self.config.ready_poll_ms.max(10))) => {}
                () = ctx.cancel.cancelled() => return Err(TaskFailure::Permanent("cancelled".into())),
            }
            if let VercelResponse::Deployment(now) = port
                .vercel(
                    org,
                    VercelRequest::Deployment {
                        id: created.id.clone(),
                    },
                )
                .await?
            {
                created = now;
            }
        }
        Ok(Redeployed {
            redeployed_from: current.id,
            deployment: NewDeployment {
                id: created.id,
                url: created.url,
                ready_state: created.ready_state,
                target: created.target,
            },
        })
    }
}

/// Marks the GitHub deployment of the rolled-back commit `inactive` (when Vercel built it
/// from GitHub and the organization's GitHub is connected), so the repository's
/// environments show what production runs. The rollback stands whatever GitHub says;
/// the answer records what happened.
async fn github_status(ctx: &TaskContext, rolled_back: &vercel::Deployment) -> GitHubStatus {
    let skipped = |why: String| GitHubStatus::Skipped { skipped: why };
    let text = |key: &str| {
        rolled_back
            .meta
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(owner), Some(repo), Some(sha)) = (
        text("githubCommitOrg"),
        text("githubCommitRepo"),
        text("githubCommitSha"),
    ) else {
        return skipped("the deployment was not built from a GitHub commit".into());
    };
    let Ok(port) = ctx.integrations() else {
        return skipped("no integration adapters run on this node".into());
    };
    let request = GitHubRequest::DeploymentStatus {
        repository: format!("{owner}/{repo}"),
        sha: sha.clone(),
        environment: None,
        status: companyos_integrations::clients::github::NewDeploymentStatus {
            state: "inactive".into(),
            description: Some(format!("rolled back by CompanyOS ({})", rolled_back.id)),
            environment_url: None,
        },
    };
    match port.github(ctx.agent.organization_id, request).await {
        Ok(GitHubResponse::DeploymentStatus(Some((id, status)))) => GitHubStatus::Marked {
            deployment: id,
            state: status.state,
        },
        Ok(_) => skipped(format!("GitHub has no deployment of {sha}")),
        Err(failure) => skipped(failure.to_string()),
    }
}

/// The newest ready production deployment created before `current`.
fn previous_ready<'a>(
    ready: &'a [vercel::DeploymentSummary],
    current: &vercel::Deployment,
) -> Option<&'a vercel::DeploymentSummary> {
    ready
        .iter()
        .filter(|candidate| candidate.uid != current.id)
        .filter(|candidate| candidate.created_at.unwrap_or(candidate.created) < current.created_at)
        .max_by_key(|candidate| candidate.created_at.unwrap_or(candidate.created))
}

#[async_trait]
impl Behaviour for DeploymentAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        match task_of::<DeploymentTask>(task, "the deployment agent")? {
            DeploymentTask::CheckDeployment(reference) => {
                output(&self.check(context, task, reference).await?)
            }
            DeploymentTask::AnalyzeDeploymentFailure(reference) => {
                output(&self.analyse_failure(context, task, reference).await?)
            }
            DeploymentTask::Rollback(request) => {
                output(&self.rollback(context, task, request).await?)
            }
            DeploymentTask::Deploy(reference) => output(&self.deploy(context, reference).await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn each_cause_is_recognised_with_its_lines() {
        let cases = [
            (
                "Running \"npm run build\"\n<--- JS stacktrace --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\nError: Command \"npm run build\" exited with 1",
                FailureCause::OutOfMemory,
                3,
            ),
            (
                "Building...\nError: The build exceeded the maximum build duration of 45 minutes",
                FailureCause::Timeout,
                2,
            ),
            (
                "Collecting page data\nError: Environment variable DATABASE_URL is missing\nError: Command \"next build\" exited with 1",
                FailureCause::MissingEnvironmentVariable,
                2,
            ),
            (
                "Installing dependencies...\nnpm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree",
                FailureCause::DependencyInstall,
                2,
            ),
            (
                "> jest\nFAIL src/app.test.ts\n  ✕ renders the header (12 ms)\nTests failed: 1 failed, 41 passed",
                FailureCause::FailingTests,
                2,
            ),
            (
                "Creating an optimized production build...\nFailed to compile.\n./src/page.tsx:4:1\nType error: Cannot find name 'foo'.",
                FailureCause::BuildError,
                2,
            ),
        ];
        for (log, cause, first_line) in cases {
            let analysis = classify(&lines(log));
            assert_eq!(analysis.cause, cause, "{log}");
            assert_eq!(analysis.evidence[0].line, first_line, "{log}");
        }
    }

    #[test]
    fn an_environment_variable_merely_named_is_not_a_cause_and_silence_is_unknown() {
        let analysis = classify(&lines(
            "Loaded environment variables from .env.production\nDone in 3s",
        ));
        assert_eq!(analysis.cause, FailureCause::Unknown);
        assert!(analysis.evidence.is_empty());
        assert_eq!(analysis.lines_read, 2);
    }

    #[test]
    fn a_secret_in_a_log_line_is_masked_in_the_evidence() {
        let analysis = classify(&lines(
            "Error: environment variable STRIPE_KEY is missing (was sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdEFGHijkLMNopq)",
        ));
        assert_eq!(analysis.cause, FailureCause::MissingEnvironmentVariable);
        assert!(
            !analysis.evidence[0]
                .text
                .contains("sk_live_51HqLyjWDarjtT1zdp7dc")
        );
    }
}
