//! The operations coordinators: each runs a multi-step process whose steps are tasks for
//! other agents, keyed by the coordinator's task and the step's name. A step's task is
//! written once: when the coordinator is restarted mid-process (a crash, a node that
//! died, an agent disabled and enabled), its task runs again, finds the steps already
//! written — done or still running — and carries on at the step it was in.
//!
//! - `deployment_coordinator` performs `deploy_pipeline`: a pre-deployment health check
//!   of the deployment to ship, the deploy (a redeploy through Vercel, waiting until it
//!   is ready), health monitoring of the new deployment for a configured time, and a
//!   notice to the team; a failed monitor opens an incident.
//! - `incident_response` performs `open_incident`: the incident's timeline is written as
//!   events (`incident.opened`, `incident.rollback_proposed`, `incident.rolled_back`,
//!   `incident.resolved`…), the team is notified, a rollback is proposed for a person's
//!   approval and followed to the end; once the restored deployment is healthy the
//!   incident is resolved and its time to restore recorded (metric
//!   `incident.time_to_restore`, seconds).

use std::time::Duration;

use async_trait::async_trait;
use companyos_store::{
    AgentTask, EventActorType, EventFilter, NewEvent, NewMetric, PageRequest, TaskId, TaskStatus,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::agent::sibling_key;
use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::build_log::FailureAnalysis;
use crate::deployment::{
    AnalyzeDeploymentFailure, CheckDeployment, Deploy, DeploymentRef, HealthReport, RollBack,
    Rollback,
};
use crate::notification::{Notify, NotifySeverity};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration};
use crate::task_kind::{TaskKind, output_of, task_of};

use crate::names;

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(AgentType::configured(
        names::DEPLOYMENT_COORDINATOR,
        AgentKind::Coordinator,
        vec![names::DEPLOY_PIPELINE.into()],
        |config| Box::new(DeploymentCoordinator::new(config)),
    ));
    registry.register(AgentType::plain(
        names::INCIDENT_RESPONSE,
        AgentKind::Coordinator,
        vec![names::OPEN_INCIDENT.into()],
        || Box::new(IncidentResponse),
    ));
}

/// Waits `duration`, unless the task is cancelled first.
async fn nap(ctx: &TaskContext, duration: Duration) -> Result<(), TaskFailure> {
    tokio::select! {
        () = tokio::time::sleep(duration) => Ok(()),
        () = ctx.cancel.cancelled() => Err(TaskFailure::Permanent("cancelled".into())),
    }
}

/// A step of a coordinator's process that has finished (completed, failed, rejected or
/// cancelled): its task, and what it gave when it completed.
struct Finished<O> {
    task: AgentTask,
    output: Option<O>,
}

impl<O> Finished<O> {
    fn completed(&self) -> Option<&O> {
        self.output.as_ref()
    }
}

/// Writes the step's task — a task of kind `K` for an agent of `agent_type`, keyed by the
/// coordinator's task and the step's `name` — or finds the one an earlier attempt wrote,
/// and waits until it is finished. A completed step's output is read as `K::Output`.
async fn run_step<K: TaskKind>(
    ctx: &TaskContext,
    parent: &AgentTask,
    name: &str,
    agent_type: &str,
    input: &K::Input,
    approval: bool,
) -> Result<Finished<K::Output>, TaskFailure> {
    let mut request = K::request(agent_type, input, parent.priority.max(1));
    request.requires_human_approval = approval;
    if approval {
        request.priority = 10;
    }
    // Subscribed before the step is written and read: no change falls between.
    let mut heard = ctx.bus.subscribe();
    let spawned = ctx.spawn(request, format!("{}:{name}", parent.id)).await?;
    let org = ctx.agent.organization_id;
    loop {
        let task = ctx.store.tasks().get(org, spawned.id).await?;
        if task.status.is_terminal() {
            let output = match task.status {
                TaskStatus::Completed => Some(output_of::<K>(&task)?),
                _ => None,
            };
            return Ok(Finished { task, output });
        }
        // Parked until the step's task changes (it ran, or a person approved or
        // rejected it), not polling.
        ctx.until_changed(&mut heard, &[spawned.id]).await?;
    }
}

fn failed_step(name: &str, task: &AgentTask) -> TaskFailure {
    TaskFailure::Permanent(format!(
        "step {name} {}: {}",
        task.status,
        task.error_message.as_deref().unwrap_or("no reason given")
    ))
}

/// How long the deployment coordinator watches a new deployment.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// How long a new deployment is monitored, in seconds.
    #[garde(range(min = 1, max = 86_400))]
    pub monitor_seconds: u64,
    /// How often it is checked meanwhile, in seconds; no longer than the monitoring.
    #[garde(range(min = 1, max = 3_600), custom(within_monitoring(&self.monitor_seconds)))]
    pub monitor_interval_seconds: u64,
}

impl Configuration for PipelineConfig {}

fn within_monitoring(monitor_seconds: &u64) -> impl FnOnce(&u64, &()) -> garde::Result + '_ {
    move |interval, ()| {
        if interval <= monitor_seconds {
            Ok(())
        } else {
            Err(garde::Error::new(format!(
                "must be at most monitor_seconds ({monitor_seconds} s)"
            )))
        }
    }
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            monitor_seconds: 300,
            monitor_interval_seconds: 60,
        }
    }
}

/// `deploy_pipeline`: check, redeploy and monitor a deployment's source.
pub struct PipelineTask;

impl TaskKind for PipelineTask {
    const NAME: &'static str = names::DEPLOY_PIPELINE;
    /// The deployment whose source is shipped.
    type Input = DeploymentRef;
    type Output = PipelineReport;
}

/// `open_incident`: an incident's timeline, notices and rollback.
pub struct IncidentTask;

impl TaskKind for IncidentTask {
    const NAME: &'static str = names::OPEN_INCIDENT;
    type Input = OpenIncident;
    type Output = IncidentReport;
}

/// How a pipeline ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineOutcome {
    Healthy,
    Incident,
}

/// What a pipeline did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineReport {
    pub outcome: PipelineOutcome,
    /// The new deployment.
    pub deployment: DeploymentRef,
    pub pre_deployment_check: HealthReport,
    /// The health score of each monitoring check.
    pub monitor: Vec<u32>,
    pub incident_task_id: Option<TaskId>,
    pub notification_task_id: TaskId,
}

/// Where an incident stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Resolved,
    Unresolved,
}

/// What an incident's response did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentReport {
    pub incident: TaskId,
    pub status: IncidentStatus,
    /// Why it is unresolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_back_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_restore_seconds: Option<f64>,
    pub rollback_task_id: TaskId,
}

/// The tasks the coordinators perform, each with its input.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum OperationsTask {
    DeployPipeline(DeploymentRef),
    OpenIncident(OpenIncident),
}

/// The input of `open_incident`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenIncident {
    /// The deployment at fault.
    pub deployment: DeploymentRef,
    pub reason: String,
    #[serde(default)]
    pub severity: NotifySeverity,
}

/// Coordinator: `deploy_pipeline`.
pub struct DeploymentCoordinator {
    config: PipelineConfig,
}

impl DeploymentCoordinator {
    pub fn new(config: PipelineConfig) -> Self {
        DeploymentCoordinator { config }
    }

    async fn pipeline(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        source: DeploymentRef,
    ) -> Result<PipelineReport, TaskFailure> {
        let name = source
            .project
            .clone()
            .unwrap_or_else(|| "the deployment".into());

        // 1. The deployment to ship must be healthy.
        let pre = run_step::<CheckDeployment>(
            ctx,
            task,
            "pre_deployment_check",
            names::DEPLOYMENT,
            &source,
            false,
        )
        .await?;
        let Finished {
            task: checked,
            output,
        } = pre;
        let pre = output.ok_or_else(|| failed_step("pre_deployment_check", &checked))?;
        if !pre.healthy {
            return Err(TaskFailure::Permanent(format!(
                "the pre-deployment check found {name} unhealthy (health {}): not deployed",
                pre.health_score
            )));
        }

        // 2. Deploy, ready.
        let deployed =
            run_step::<Deploy>(ctx, task, "deploy", names::DEPLOYMENT, &source, false).await?;
        let new = &deployed
            .completed()
            .ok_or_else(|| failed_step("deploy", &deployed.task))?
            .deployment;
        let target = DeploymentRef {
            deployment_id: None,
            vercel_deployment_id: Some(new.id.clone()),
            url: Some(new.url.clone()),
            project: source.project.clone(),
        };

        // 3. Monitor: one health check per interval for the configured time.
        let interval = self.config.monitor_interval_seconds.max(1);
        let rounds = (self.config.monitor_seconds / interval).max(1);
        let mut scores = Vec::new();
        let mut unhealthy = None;
        for round in 1..=rounds {
            let check = run_step::<CheckDeployment>(
                ctx,
                task,
                &format!("monitor_{round}"),
                names::DEPLOYMENT,
                &target,
                false,
            )
            .await?;
            match check.completed() {
                Some(report) if report.healthy => scores.push(report.health_score),
                Some(report) => {
                    scores.push(report.health_score);
                    unhealthy = Some(format!("health {} at check {round}", report.health_score));
                    break;
                }
                None => {
                    unhealthy = Some(format!(
                        "check {round} {}: {}",
                        check.task.status,
                        check
                            .task
                            .error_message
                            .as_deref()
                            .unwrap_or("no reason given")
                    ));
                    break;
                }
            }
            if round < rounds {
                nap(ctx, Duration::from_secs(interval)).await?;
            }
        }

        // 4. Tell the team; a failed monitor opens an incident.
        let mut incident = None;
        let notice = match &unhealthy {
            None => Notify {
                kind: "deployment.pipeline_succeeded".into(),
                severity: NotifySeverity::Info,
                title: format!("{name} is deployed and healthy"),
                text: format!("{} health checks passed", scores.len()),
                link: target.url.clone(),
                channel: None,
                sections: Vec::new(),
            },
            Some(reason) => {
                let opened = ctx
                    .spawn(
                        IncidentTask::request(
                            names::INCIDENT_RESPONSE,
                            &OpenIncident {
                                deployment: target.clone(),
                                reason: format!(
                                    "the new deployment of {name} is unhealthy: {reason}"
                                ),
                                severity: NotifySeverity::Critical,
                            },
                            10,
                        ),
                        format!("{}:{}", task.id, names::OPEN_INCIDENT),
                    )
                    .await?;
                incident = Some(opened.id);
                Notify {
                    kind: "deployment.pipeline_failed".into(),
                    severity: NotifySeverity::Critical,
                    title: format!("{name} was deployed but is unhealthy"),
                    text: format!("{reason}; an incident is open"),
                    link: target.url.clone(),
                    channel: None,
                    sections: Vec::new(),
                }
            }
        };
        let notified = ctx
            .spawn(notice.task(), format!("{}:notify", task.id))
            .await?;
        Ok(PipelineReport {
            outcome: if unhealthy.is_none() {
                PipelineOutcome::Healthy
            } else {
                PipelineOutcome::Incident
            },
            deployment: target,
            pre_deployment_check: pre,
            monitor: scores,
            incident_task_id: incident,
            notification_task_id: notified.id,
        })
    }
}

#[async_trait]
impl Behaviour for DeploymentCoordinator {
    fn kind(&self) -> AgentKind {
        AgentKind::Coordinator
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        match task_of::<OperationsTask>(task, "the deployment coordinator")? {
            OperationsTask::DeployPipeline(source) => {
                output(&self.pipeline(context, task, source).await?)
            }
            OperationsTask::OpenIncident(_) => Err(TaskFailure::Permanent(
                "the deployment coordinator does not open incidents".into(),
            )),
        }
    }
}

/// Coordinator: `open_incident`.
#[derive(Default)]
pub struct IncidentResponse;

/// Writes a timeline entry of the incident once (an attempt that resumes finds it).
async fn timeline(
    ctx: &TaskContext,
    incident: &AgentTask,
    kind: &str,
    details: Value,
) -> Result<companyos_store::Event, TaskFailure> {
    let org = ctx.agent.organization_id;
    let filter = EventFilter {
        event_type: Some(kind.to_owned()),
        ..EventFilter::default()
    };
    let recent = ctx
        .store
        .events()
        .list(org, &filter, &PageRequest::first(100))
        .await?;
    let id = json!(incident.id);
    if let Some(found) = recent
        .items
        .into_iter()
        .find(|event| event.metadata.get("incident") == Some(&id))
    {
        return Ok(found);
    }
    let mut metadata = json!({"incident": incident.id});
    if let (Value::Object(map), Value::Object(extra)) = (&mut metadata, details) {
        map.extend(extra);
    }
    let event = ctx
        .store
        .events()
        .record(
            org,
            NewEvent {
                event_type: kind.to_owned(),
                event_source: "companyos".into(),
                actor_type: Some(EventActorType::Agent),
                actor_id: Some(ctx.agent.id.0),
                resource_type: Some(companyos_store::ResourceKind::AgentTask),
                resource_id: Some(incident.id.0),
                metadata,
            },
        )
        .await?;
    // A record, not a trigger: no watcher acts on it.
    ctx.store.events().mark_routed(org, event.id).await?;
    Ok(event)
}

/// How long an incident waits for the analysis of its failed build before it goes on
/// without a cause.
const CAUSE_WAIT: Duration = Duration::from_secs(120);

/// Why a failed build failed, as far as the incident knows.
enum Cause {
    /// The analysis of the build's log (the deployment agent's task `task`).
    Read {
        analysis: FailureAnalysis,
        task: TaskId,
    },
    /// Why there is no reading.
    Unread(String),
}

/// The cause of the failed build an incident was opened for: the analysis the same
/// event asked of the deployment agent, waited for up to [`CAUSE_WAIT`]. `None` for an
/// incident that no failed build opened (a pipeline's failed monitor).
async fn build_cause(
    ctx: &TaskContext,
    incident: &AgentTask,
) -> Result<Option<Cause>, TaskFailure> {
    let Some(key) = incident
        .idempotency_key
        .as_deref()
        .and_then(|key| sibling_key(key, names::OPEN_INCIDENT, names::ANALYZE_DEPLOYMENT_FAILURE))
    else {
        return Ok(None);
    };
    let org = ctx.agent.organization_id;
    let deadline = tokio::time::Instant::now() + CAUSE_WAIT;
    let mut heard = ctx.bus.subscribe();
    loop {
        let Some(analysis) = ctx.store.tasks().by_key(org, &key).await? else {
            return Ok(Some(Cause::Unread(
                "the failed build was not given to the deployment agent".into(),
            )));
        };
        match analysis.status {
            TaskStatus::Completed => {
                return Ok(Some(
                    match output_of::<AnalyzeDeploymentFailure>(&analysis) {
                        Ok(report) => Cause::Read {
                            analysis: report.analysis,
                            task: analysis.id,
                        },
                        Err(_) => Cause::Unread("the analysis of the build gave no reading".into()),
                    },
                ));
            }
            status if status.is_terminal() => {
                return Ok(Some(Cause::Unread(format!(
                    "the analysis of the build {status}: {}",
                    analysis
                        .error_message
                        .as_deref()
                        .unwrap_or("no reason given")
                ))));
            }
            _ if analysis.agent_id.is_none() => {
                return Ok(Some(Cause::Unread(format!(
                    "the build is not analysed yet: {}",
                    analysis
                        .waiting_reason
                        .as_deref()
                        .unwrap_or("it waits for a deployment agent")
                ))));
            }
            _ if tokio::time::Instant::now() >= deadline => {
                return Ok(Some(Cause::Unread(format!(
                    "the analysis of the build did not finish within {} s",
                    CAUSE_WAIT.as_secs()
                ))));
            }
            _ => {}
        }
        // Parked until the analysis changes, at most until the deadline.
        tokio::time::timeout_at(deadline, ctx.until_changed(&mut heard, &[analysis.id]))
            .await
            .unwrap_or(Ok(()))?;
    }
}

/// `text` as a sentence: its first letter upper case, a full stop at its end.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl IncidentResponse {
    async fn respond(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        incident: OpenIncident,
    ) -> Result<IncidentReport, TaskFailure> {
        let opened = timeline(
            ctx,
            task,
            "incident.opened",
            json!({"reason": incident.reason, "severity": incident.severity, "deployment": incident.deployment}),
        )
        .await?;
        let name = incident
            .deployment
            .project
            .clone()
            .unwrap_or_else(|| "a deployment".into());
        // A failed build's incident says why it failed, as the analysis of its log read it.
        let cause = match build_cause(ctx, task).await? {
            None => None,
            Some(Cause::Read { analysis, task: by }) => {
                timeline(
                    ctx,
                    task,
                    "incident.cause",
                    json!({
                        "step": analysis.step,
                        "cause": analysis.cause,
                        "summary": analysis.summary,
                        "confidence": analysis.confidence,
                        "evidence": analysis.evidence,
                        "analysis_task": by,
                    }),
                )
                .await?;
                Some(analysis)
            }
            Some(Cause::Unread(reason)) => {
                timeline(
                    ctx,
                    task,
                    "incident.cause_unknown",
                    json!({ "reason": reason }),
                )
                .await?;
                None
            }
        };
        let notice = |kind: &str, severity: NotifySeverity, title: String, text: String| {
            Notify {
                kind: kind.into(),
                severity,
                title,
                text,
                link: None,
                channel: None,
                sections: Vec::new(),
            }
            .task()
        };
        ctx.spawn(
            notice(
                "incident.opened",
                incident.severity.max(NotifySeverity::High),
                format!("Incident: {name}"),
                std::iter::once(incident.reason.clone())
                    .chain(cause.iter().flat_map(|analysis| {
                        std::iter::once(sentence(&analysis.summary)).chain(
                            analysis
                                .evidence
                                .iter()
                                .take(3)
                                .map(|line| format!("> {}", line.text)),
                        )
                    }))
                    .chain(std::iter::once(
                        "A rollback is proposed and waits for approval.".to_owned(),
                    ))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            format!("{}:notify_opened", task.id),
        )
        .await?;

        timeline(ctx, task, "incident.rollback_proposed", json!({})).await?;
        let rollback = run_step::<RollBack>(
            ctx,
            task,
            "rollback",
            names::DEPLOYMENT,
            &Rollback {
                deployment: incident.deployment.clone(),
                to: None,
                reason: Some(format!("incident {}: {}", task.id, incident.reason)),
            },
            true,
        )
        .await?;
        let unresolved = |reason: String| IncidentReport {
            incident: task.id,
            status: IncidentStatus::Unresolved,
            reason: Some(reason),
            rolled_back_to: None,
            time_to_restore_seconds: None,
            rollback_task_id: rollback.task.id,
        };
        let Some(rolled_back) = rollback.completed() else {
            let event = if rollback.task.status == TaskStatus::Rejected {
                "incident.rollback_rejected"
            } else {
                "incident.rollback_failed"
            };
            timeline(
                ctx,
                task,
                event,
                json!({"task": rollback.task.id, "error": rollback.task.error_message}),
            )
            .await?;
            return Ok(unresolved(format!(
                "the rollback was {}",
                rollback.task.status
            )));
        };
        let restored_to = rolled_back.rolled_back_to.clone();
        timeline(
            ctx,
            task,
            "incident.rolled_back",
            json!({"to": restored_to}),
        )
        .await?;

        let check = run_step::<CheckDeployment>(
            ctx,
            task,
            "verify",
            names::DEPLOYMENT,
            &DeploymentRef {
                vercel_deployment_id: Some(restored_to.clone()),
                project: incident.deployment.project.clone(),
                ..DeploymentRef::default()
            },
            false,
        )
        .await?;
        if !check.completed().is_some_and(|report| report.healthy) {
            timeline(
                ctx,
                task,
                "incident.still_unhealthy",
                json!({"check": check.output, "status": check.task.status}),
            )
            .await?;
            return Ok(unresolved(
                "the restored deployment is not healthy either".into(),
            ));
        }
        let resolved = timeline(ctx, task, "incident.resolved", json!({})).await?;
        let seconds = (resolved.created_at - opened.created_at)
            .num_milliseconds()
            .max(0) as f64
            / 1000.0;
        ctx.store
            .metrics()
            .record(
                ctx.agent.organization_id,
                NewMetric {
                    metric_type: "incident.time_to_restore".into(),
                    value: seconds,
                    unit: Some("seconds".into()),
                    dimensions: json!({"incident": task.id, "project": incident.deployment.project}),
                    recorded_at: None,
                },
            )
            .await?;
        ctx.spawn(
            notice(
                "incident.resolved",
                NotifySeverity::Info,
                format!("Resolved: {name}"),
                format!("Rolled back to {restored_to}; restored in {seconds:.0} s."),
            ),
            format!("{}:notify_resolved", task.id),
        )
        .await?;
        Ok(IncidentReport {
            incident: task.id,
            status: IncidentStatus::Resolved,
            reason: None,
            rolled_back_to: Some(restored_to),
            time_to_restore_seconds: Some(seconds),
            rollback_task_id: rollback.task.id,
        })
    }
}

#[async_trait]
impl Behaviour for IncidentResponse {
    fn kind(&self) -> AgentKind {
        AgentKind::Coordinator
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        match task_of::<OperationsTask>(task, "the incident response agent")? {
            OperationsTask::OpenIncident(incident) => {
                output(&self.respond(context, task, incident).await?)
            }
            OperationsTask::DeployPipeline(_) => Err(TaskFailure::Permanent(
                "the incident response agent does not run pipelines".into(),
            )),
        }
    }
}
