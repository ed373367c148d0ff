//! The REST surface under `/api` besides authentication: organizations and members,
//! integrations, development (repositories, pull requests, deployments), design, social,
//! agents and their tasks, analytics, and the webhook entry. Every route names its
//! organization by path or by the `X-Organization-Id` header ([`Org`](crate::rbac::Org)),
//! checks the permission matrix, and reads or writes only that organization's rows.
//!
//! Routes that ask for work (`sync`, `agent-review`, `rollback`, `generate-code`,
//! `publish`) enqueue a task for the organization's agent of the type that does it
//! ([`Action`]), and answer 202 with the task: the work itself belongs to the agent.
//! With no such agent the task is kept, waiting for one, with its `waiting_reason`.

pub(crate) mod agents;
pub(crate) mod analytics;
mod design;
pub(crate) mod development;
mod integrations;
mod organizations;
mod settings;
mod slack_actions;
pub(crate) mod social;
mod supervision;
mod webhook_budget;
pub(crate) mod webhooks;

use std::str::FromStr;

use axum::http::StatusCode;
use companyos_store::{AgentTask, Assignee, NewTask};
use companyos_supervisors::RuntimeError;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::ApiError;
use crate::rbac::OrgAccess;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(organizations::routes())
        .merge(integrations::routes())
        .merge(webhooks::routes())
        .merge(development::routes())
        .merge(design::routes())
        .merge(social::routes())
        .merge(agents::routes())
        .merge(analytics::routes())
        .merge(supervision::routes())
        .merge(settings::routes())
}

/// An id from the path: one that does not parse is as unknown as one that does not
/// exist (404), so the two cannot be told apart.
pub(crate) fn path_id<T: FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse::<T>()
        .map_err(|_| ApiError::not_found(format!("no such {what} in this organization")))
}

impl From<RuntimeError> for ApiError {
    fn from(error: RuntimeError) -> ApiError {
        match error {
            RuntimeError::Store(error) => error.into(),
            RuntimeError::UnknownAgentType(name) => ApiError::invalid(
                "type",
                format!(
                    "{name:?} is not an agent type of this node; GET /api/agents/types lists them"
                ),
            ),
            RuntimeError::AgentNotRunning(agent) => ApiError::conflict(format!(
                "agent {agent} is not running here (disabled, or hosted by another node)"
            )),
            // The agent's own words; a failed write is ours, logged and not shown.
            RuntimeError::Refused {
                reason: companyos_supervisors::AgentError::Behaviour(failure),
                ..
            } => ApiError::conflict(failure.to_string()),
            RuntimeError::Refused { agent, reason } => {
                tracing::error!(%agent, %reason, "an agent's tasks were not written");
                ApiError::internal()
            }
            RuntimeError::Timeout { timeout_ms, .. } => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "Agent timed out",
                format!("the agent did not answer within {timeout_ms} ms"),
            ),
            error @ RuntimeError::UnsupportedTaskType { .. } => {
                ApiError::invalid("task_type", error.to_string())
            }
            RuntimeError::InvalidSchedule(reason) => {
                ApiError::invalid("cron_expression", reason.to_string())
            }
            RuntimeError::InvalidLlmConfiguration(reason) => ApiError::invalid(
                "configuration.llm",
                format!(
                    "{reason}; an agent may set enabled, model (one the operator allows), tokens_per_day, requests_per_minute and max_tokens (the provider, address and key are the node's)"
                ),
            ),
            RuntimeError::NotAllowed(refusal) => ApiError::forbidden(refusal.to_string()),
            RuntimeError::Start(companyos_supervisors::StartError::Store(error)) => error.into(),
            RuntimeError::Start(companyos_supervisors::StartError::UnknownAgentType(name)) => {
                RuntimeError::UnknownAgentType(name).into()
            }
            RuntimeError::Start(error) => {
                tracing::error!(%error, "a supervisor could not start a child");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Runtime unavailable",
                    "the agent could not be started on this node; try again in a moment",
                )
                .retry_after(1)
            }
            RuntimeError::Tree(reason) => {
                tracing::warn!(%reason, "the supervision tree could not serve a request");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Runtime unavailable",
                    format!("{reason}; try again in a moment"),
                )
                .retry_after(1)
            }
        }
    }
}

/// Work a route asks of an agent: which agent type does it, the task type, and whether
/// a person must approve the task before it runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Action {
    pub agent_type: &'static str,
    pub task_type: &'static str,
    pub approval: bool,
}

impl Action {
    /// Enqueues the task for the organization's (oldest enabled) agent of the type —
    /// or, when it has none, keeps it waiting for one, saying so in the task.
    pub async fn enqueue(
        self,
        state: &AppState,
        access: &OrgAccess,
        description: String,
        input: &impl serde::Serialize,
    ) -> Result<AgentTask, ApiError> {
        let agent = state
            .store
            .agents()
            .assignee(access.organization, self.agent_type)
            .await?;
        let assignee = match agent {
            Some(agent) => Assignee::Agent(agent.id),
            None => Assignee::Waiting {
                agent_type: self.agent_type.to_owned(),
                reason: if state.runtime.registry().get(self.agent_type).is_some() {
                    companyos_supervisors::waiting_reason(self.agent_type)
                } else {
                    format!(
                        "waiting for a {} agent: this node does not run that agent type yet",
                        self.agent_type
                    )
                },
            },
        };
        let mut task = NewTask::for_assignee(access.organization, assignee, self.task_type);
        task.description = Some(description);
        task.input = Some(companyos_supervisors::input_value(input));
        task.requires_human_approval = self.approval;
        Ok(state.runtime.submit_by(task, access.person()).await?)
    }
}

/// 202 with the task that will do the work.
pub(crate) fn accepted(task: AgentTask) -> (StatusCode, axum::Json<crate::views::AgentTask>) {
    (StatusCode::ACCEPTED, axum::Json(task.into()))
}
