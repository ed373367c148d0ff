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
        let mut assignee = companyos_supervisors::assign::assign(
            &state.store,
            access.organization,
            self.agent_type,
            None,
            companyos_supervisors::assign::any,
        )
        .await?;
        if let Assignee::Waiting { reason, .. } = &mut assignee
            && state.runtime.registry().get(self.agent_type).is_none()
        {
            *reason = format!(
                "waiting for a {} agent: this node does not run that agent type yet",
                self.agent_type
            );
        }
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
