//! The REST surface under `/api` besides authentication: organizations and members,
//! integrations, development (repositories, pull requests, deployments), design, social,
//! agents and their tasks, analytics, and the webhook entry. Every route names its
//! organization by path or by the `X-Organization-Id` header ([`Org`](crate::rbac::Org)),
//! checks the permission matrix, and reads or writes only that organization's rows.
//!
//! Routes that ask for work (`sync`, `agent-review`, `rollback`, `generate-code`,
//! `publish`) check the person's permission and hand the runtime a typed
//! [`Command`] ([`ask`]); it enqueues the task for the organization's agent of the type
//! that does it, and the route answers 202 with the task: the work itself belongs to
//! the agent. With no such agent the task is kept, waiting for one, with its
//! `waiting_reason`.

pub(crate) mod agents;
pub(crate) mod analytics;
pub(crate) mod cluster;
mod design;
pub(crate) mod development;
mod integrations;
mod organizations;
pub(crate) mod search;
pub(crate) mod settings;
mod slack_actions;
pub(crate) mod social;
mod supervision;
mod team;
mod webhook_budget;
pub(crate) mod webhooks;

use std::str::FromStr;

use axum::http::StatusCode;
use companyos_store::AgentTask;
use companyos_supervisors::Command;
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
        .merge(team::routes())
        .merge(agents::routes())
        .merge(analytics::routes())
        .merge(search::routes())
        .merge(supervision::routes())
        .merge(cluster::routes())
        .merge(settings::routes())
}

/// An id from the path: one that does not parse is as unknown as one that does not
/// exist (404), so the two cannot be told apart.
pub(crate) fn path_id<T: FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse::<T>()
        .map_err(|_| ApiError::not_found(format!("no such {what} in this organization")))
}

/// Asks the organization's agents for the work `command` names, in the name of the
/// person behind `access` (whose permission for it the route has checked): the runtime
/// builds the task, picks its agent and says whether it waits for an approval.
pub(crate) async fn ask(
    state: &AppState,
    access: &OrgAccess,
    command: Command,
) -> Result<AgentTask, ApiError> {
    Ok(state
        .runtime
        .command(access.organization, command, access.person())
        .await?)
}

/// 202 with the task that will do the work.
pub(crate) fn accepted(task: AgentTask) -> (StatusCode, axum::Json<crate::views::AgentTask>) {
    (StatusCode::ACCEPTED, axum::Json(task.into()))
}

/// The organization's newest `limit` completed tasks of kind `K`, each with its result
/// read as `K`'s output. A result that is not one (written by another version) is left
/// out, and logged.
pub(crate) async fn results<K: companyos_supervisors::task_kind::TaskKind>(
    state: &AppState,
    access: &OrgAccess,
    limit: u32,
) -> Result<Vec<(AgentTask, K::Output)>, ApiError> {
    let filter = companyos_store::TaskFilter {
        task_type: Some(K::NAME.to_owned()),
        status: Some(companyos_store::TaskStatus::Completed),
        ..companyos_store::TaskFilter::default()
    };
    let tasks = state
        .store
        .tasks()
        .list(
            access.organization,
            &filter,
            &companyos_store::PageRequest::first(limit),
        )
        .await?;
    let mut read = Vec::with_capacity(tasks.items.len());
    for task in tasks.items {
        match companyos_supervisors::task_kind::output_of::<K>(&task) {
            Ok(output) => read.push((task, output)),
            Err(failure) => {
                tracing::warn!(task = %task.id, %failure, kind = K::NAME, "a task's result is unreadable")
            }
        }
    }
    Ok(read)
}
