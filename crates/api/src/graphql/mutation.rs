//! Mutations: every one goes through the runtime or the same request functions as the
//! REST routes, with the same permission checks.

use async_graphql::{Context, ID, Json, Object};
use companyos_store::{AgentId, DeploymentId, NewTask, PullRequestId, SocialPostId, TaskId};
use serde_json::Value;

use super::types::*;
use super::{access, error, row_id, state};
use crate::error::ApiError;
use crate::rbac::Permission;
use crate::rest::{development, social};

pub struct Mutation;

fn runtime_error(problem: companyos_supervisors::RuntimeError) -> async_graphql::Error {
    error(problem.into())
}

#[Object]
impl Mutation {
    /// Invites someone by email with a role; the link is mailed to them.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: MemberRole,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Invitation> {
        let access = access(ctx, organization_id.as_ref(), Permission::ManageMembers).await?;
        let role: companyos_store::MemberRole = role.into();
        let invitation =
            crate::invitations::invite_member(state(ctx)?, &access, &email, role.as_str())
                .await
                .map_err(error)?;
        Ok(invitation.into())
    }

    /// Revokes an invitation: its link stops working.
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<bool> {
        let access = access(ctx, organization_id.as_ref(), Permission::ManageMembers).await?;
        let id: companyos_store::InvitationId = row_id(&id, "invitation")?;
        crate::invitations::revoke_invitation(state(ctx)?, &access, id)
            .await
            .map_err(error)?;
        Ok(true)
    }

    /// Creates and starts an agent of a registered type.
    async fn spawn_agent(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type")] agent_type: String,
        name: Option<String>,
        config: Option<Json<Value>>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Agent> {
        let access = access(ctx, organization_id.as_ref(), Permission::SpawnAgents).await?;
        let name = name.unwrap_or_else(|| agent_type.clone());
        if name.trim().is_empty() || name.chars().count() > 255 {
            return Err(error(ApiError::invalid("name", "1 to 255 characters")));
        }
        if config.as_ref().is_some_and(|config| !config.0.is_object()) {
            return Err(error(ApiError::invalid("config", "must be a JSON object")));
        }
        let agent = state(ctx)?
            .runtime
            .spawn_agent(
                access.organization,
                name.trim(),
                agent_type.trim(),
                config.map(|c| c.0),
            )
            .await
            .map_err(runtime_error)?;
        Ok(Agent::from(agent))
    }

    async fn enable_agent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Agent> {
        let access = access(ctx, organization_id.as_ref(), Permission::SpawnAgents).await?;
        let id: AgentId = row_id(&id, "agent")?;
        let agent = state(ctx)?
            .runtime
            .enable_agent(access.organization, id)
            .await
            .map_err(runtime_error)?;
        Ok(Agent::from(agent))
    }

    async fn disable_agent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Agent> {
        let access = access(ctx, organization_id.as_ref(), Permission::SpawnAgents).await?;
        let id: AgentId = row_id(&id, "agent")?;
        let agent = state(ctx)?
            .runtime
            .disable_agent(access.organization, id)
            .await
            .map_err(runtime_error)?;
        Ok(Agent::from(agent))
    }

    /// Creates a task for an agent by hand.
    async fn create_agent_task(
        &self,
        ctx: &Context<'_>,
        input: CreateAgentTaskInput,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(ctx, organization_id.as_ref(), Permission::SpawnAgents).await?;
        let agent: AgentId = row_id(&input.agent_id, "agent")?;
        let state = state(ctx)?;
        let agent = state
            .store
            .agents()
            .get(access.organization, agent)
            .await
            .map_err(|e| error(e.into()))?;
        state
            .runtime
            .check_task_type(&agent.agent_type, input.task_type.trim())
            .map_err(runtime_error)?;
        let mut task = NewTask::new(access.organization, agent.id, input.task_type.trim());
        task.requested_by = Some(access.user);
        task.description = input.description;
        task.priority = input.priority.unwrap_or(task.priority);
        task.input = input.input.map(|input| input.0);
        task.requires_human_approval = input.requires_approval;
        task.idempotency_key = input.idempotency_key;
        let created = state
            .runtime
            .submit_by(task, access.person())
            .await
            .map_err(runtime_error)?;
        Ok(AgentTask::from(created))
    }

    async fn approve_agent_task(
        &self,
        ctx: &Context<'_>,
        task_id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(ctx, organization_id.as_ref(), Permission::ApproveAgentTasks).await?;
        let id: TaskId = row_id(&task_id, "task")?;
        let state = state(ctx)?;
        let task = state
            .runtime
            .approve(
                access.organization,
                id,
                access.person(),
                companyos_store::ApprovalChannel::Graphql,
            )
            .await
            .map_err(runtime_error)?;
        crate::rest::agents::task_audit(
            state,
            &access,
            "task.approved",
            &task,
            "approved",
            "graphql",
        )
        .await;
        Ok(AgentTask::from(task))
    }

    async fn reject_agent_task(
        &self,
        ctx: &Context<'_>,
        task_id: ID,
        reason: Option<String>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(ctx, organization_id.as_ref(), Permission::ApproveAgentTasks).await?;
        let id: TaskId = row_id(&task_id, "task")?;
        let state = state(ctx)?;
        let task = state
            .runtime
            .reject(
                access.organization,
                id,
                companyos_store::DecidedBy {
                    user: access.user,
                    via: companyos_store::ApprovalChannel::Graphql,
                },
                reason.as_deref(),
            )
            .await
            .map_err(runtime_error)?;
        crate::rest::agents::task_audit(
            state,
            &access,
            "task.rejected",
            &task,
            "rejected",
            "graphql",
        )
        .await;
        Ok(AgentTask::from(task))
    }

    async fn cancel_agent_task(
        &self,
        ctx: &Context<'_>,
        task_id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(ctx, organization_id.as_ref(), Permission::SpawnAgents).await?;
        let id: TaskId = row_id(&task_id, "task")?;
        let task = state(ctx)?
            .runtime
            .cancel(access.organization, id)
            .await
            .map_err(runtime_error)?;
        Ok(AgentTask::from(task))
    }

    /// Enqueues a rollback for the deployment agent; it waits for approval. Returns the
    /// task (approve it with `approveAgentTask`).
    async fn rollback_deployment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(ctx, organization_id.as_ref(), Permission::SpawnAgents).await?;
        let id: DeploymentId = row_id(&id, "deployment")?;
        let task = development::request_rollback(state(ctx)?, &access, id)
            .await
            .map_err(error)?;
        Ok(AgentTask::from(task))
    }

    /// Enqueues publication by the content agent; it waits for approval.
    async fn publish_social_post(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(
            ctx,
            organization_id.as_ref(),
            Permission::PublishSocialPosts,
        )
        .await?;
        let id: SocialPostId = row_id(&id, "social post")?;
        let task = social::request_publish(state(ctx)?, &access, id)
            .await
            .map_err(error)?;
        Ok(AgentTask::from(task))
    }

    /// Enqueues a review of the pull request by the code review agent.
    async fn request_agent_review(
        &self,
        ctx: &Context<'_>,
        pull_request_id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(ctx, organization_id.as_ref(), Permission::SpawnAgents).await?;
        let id: PullRequestId = row_id(&pull_request_id, "pull request")?;
        let task = development::request_review(state(ctx)?, &access, id)
            .await
            .map_err(error)?;
        Ok(AgentTask::from(task))
    }
}
