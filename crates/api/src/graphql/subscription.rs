//! Subscriptions, fed by the runtime's event bus and scoped to one organization (the
//! caller's, checked at subscription time): task created and updated, agent status,
//! deployment status, pull request updates, new events. A subscriber that falls behind
//! the bus misses the events it lagged over (the stream goes on with the newest).

use async_graphql::{Context, ID, Subscription as SubscriptionObject};
use companyos_store::{
    DeploymentId, OrgId, PullRequestId, RepositoryId, ResourceKind, TaskStatus as StoreTaskStatus,
};
use companyos_supervisors::RuntimeEvent;
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::types::*;
use super::{access, row_id, state};
use crate::AppState;
use crate::rbac::Permission;

pub struct Subscription;

/// The runtime's events of one organization.
fn events_of(state: &AppState, org: OrgId) -> impl Stream<Item = RuntimeEvent> + use<> {
    BroadcastStream::new(state.runtime.subscribe()).filter_map(move |event| async move {
        event.ok().filter(|event| event.organization_id() == org)
    })
}

#[SubscriptionObject]
impl Subscription {
    /// Tasks as they are created (optionally for one agent).
    async fn agent_task_created(
        &self,
        ctx: &Context<'_>,
        agent_id: Option<ID>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = AgentTask> + use<>> {
        task_stream(ctx, agent_id, organization_id, true).await
    }

    /// Every change of a task's status (optionally of one agent's tasks).
    async fn agent_task_updated(
        &self,
        ctx: &Context<'_>,
        agent_id: Option<ID>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = AgentTask> + use<>> {
        task_stream(ctx, agent_id, organization_id, false).await
    }

    async fn agent_status_changed(
        &self,
        ctx: &Context<'_>,
        agent_id: Option<ID>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = AgentStatusEvent> + use<>> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let only = agent_id
            .as_ref()
            .map(|id| row_id::<companyos_store::AgentId>(id, "agent"))
            .transpose()?;
        Ok(
            events_of(state(ctx)?, access.organization).filter_map(move |event| async move {
                match event {
                    RuntimeEvent::AgentStatusChanged {
                        agent_id,
                        status,
                        task_id,
                        ..
                    } if only.is_none_or(|only| only == agent_id) => Some(AgentStatusEvent {
                        agent_id: ID(agent_id.to_string()),
                        status: status.into(),
                        task_id: task_id.map(|task| ID(task.to_string())),
                    }),
                    _ => None,
                }
            }),
        )
    }

    /// Deployments whose status changed (events `deployment.*`), optionally of one
    /// project.
    async fn deployment_status_changed(
        &self,
        ctx: &Context<'_>,
        project_name: Option<String>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = Deployment> + use<>> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let state = state(ctx)?.clone();
        let org = access.organization;
        Ok(events_of(&state, org).filter_map(move |event| {
            let state = state.clone();
            let project_name = project_name.clone();
            async move {
                let RuntimeEvent::EventCreated { event } = event else {
                    return None;
                };
                if event.resource_type != Some(ResourceKind::Deployment) {
                    return None;
                }
                let id = DeploymentId(event.resource_id?);
                let row = state.store.deployments().get(org, id).await.ok()?;
                if project_name
                    .as_ref()
                    .is_some_and(|name| *name != row.project_name)
                {
                    return None;
                }
                Some(Deployment::from(row))
            }
        }))
    }

    /// Pull requests that changed (events `pull_request.*`), optionally of one
    /// repository.
    async fn pull_request_updated(
        &self,
        ctx: &Context<'_>,
        repo_id: Option<ID>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = PullRequest> + use<>> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let repository = repo_id
            .as_ref()
            .map(|id| row_id::<RepositoryId>(id, "repository"))
            .transpose()?;
        let state = state(ctx)?.clone();
        let org = access.organization;
        Ok(events_of(&state, org).filter_map(move |event| {
            let state = state.clone();
            async move {
                let RuntimeEvent::EventCreated { event } = event else {
                    return None;
                };
                if event.resource_type != Some(ResourceKind::PullRequest) {
                    return None;
                }
                let id = PullRequestId(event.resource_id?);
                let row = state.store.pull_requests().get(org, id).await.ok()?;
                if repository.is_some_and(|repository| repository != row.repository_id) {
                    return None;
                }
                Some(PullRequest::of(org, row))
            }
        }))
    }

    /// Every event stored for the organization.
    async fn new_event(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = Event> + use<>> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        Ok(
            events_of(state(ctx)?, access.organization).filter_map(|event| async move {
                match event {
                    RuntimeEvent::EventCreated { event } => Some(Event::from(*event)),
                    _ => None,
                }
            }),
        )
    }
}

async fn task_stream(
    ctx: &Context<'_>,
    agent_id: Option<ID>,
    organization_id: Option<ID>,
    created_only: bool,
) -> async_graphql::Result<impl Stream<Item = AgentTask> + use<>> {
    let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
    let only = agent_id
        .as_ref()
        .map(|id| row_id::<companyos_store::AgentId>(id, "agent"))
        .transpose()?;
    let state = state(ctx)?.clone();
    let org = access.organization;
    Ok(events_of(&state, org).filter_map(move |event| {
        let state = state.clone();
        async move {
            let RuntimeEvent::TaskChanged {
                task_id,
                agent_id,
                status,
                ..
            } = event
            else {
                return None;
            };
            if only.is_some_and(|only| Some(only) != agent_id) {
                return None;
            }
            let created = matches!(
                status,
                StoreTaskStatus::Pending | StoreTaskStatus::NeedsApproval
            );
            if created_only && !created {
                return None;
            }
            let row = state.store.tasks().get(org, task_id).await.ok()?;
            if created_only && row.attempt > 0 {
                // Back to pending after a failed attempt: an update, not a creation.
                return None;
            }
            Some(AgentTask::from(row))
        }
    }))
}
