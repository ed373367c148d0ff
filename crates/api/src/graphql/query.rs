//! Queries: the organization, agents and their tasks, pull requests, deployments,
//! social posts, events and analytics — filtered, paged (`first`, `after`), scoped.

use async_graphql::{Context, ID, Object};
use companyos_store::{
    AgentFilter, AgentId, DeploymentFilter, EventFilter, PageRequest, PullRequestFilter,
    RepositoryId, SocialAccountId, SocialPostFilter, TaskFilter, TaskId,
};

use super::types::*;
use super::{access, error, row_id, state};
use crate::error::ApiError;
use crate::rbac::Permission;

pub struct Query;

/// `first` (1–200, default 50) and `after` as a store page request.
fn page(first: Option<i32>, after: Option<String>) -> async_graphql::Result<PageRequest> {
    let limit = match first {
        None => 50,
        Some(first) if (1..=200).contains(&first) => first as u32,
        Some(_) => {
            return Err(error(ApiError::invalid("first", "must be from 1 to 200")));
        }
    };
    let after = after
        .map(|cursor| companyos_store::Cursor::decode(&cursor))
        .transpose()
        .map_err(|store_error| error(store_error.into()))?;
    Ok(PageRequest { limit, after })
}

fn optional_id<T: std::str::FromStr>(
    id: Option<&ID>,
    what: &str,
) -> async_graphql::Result<Option<T>> {
    id.map(|id| row_id::<T>(id, what)).transpose()
}

#[Object]
impl Query {
    /// The nodes of the cluster and which organizations each runs (any signed-in
    /// person; another tenant's organizations are counted, never named).
    async fn cluster(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<crate::rest::cluster::ClusterView> {
        let viewer = ctx.data::<super::Viewer>()?;
        crate::rest::cluster::view(state(ctx)?, viewer.user)
            .await
            .map_err(error)
    }

    /// An organization of the caller's (theirs alone when `id` is absent).
    async fn organization(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> async_graphql::Result<Organization> {
        let access = access(ctx, id.as_ref(), Permission::ViewDashboard).await?;
        let row = state(ctx)?
            .store
            .organizations()
            .get(access.organization)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(Organization {
            row,
            role: access.role.into(),
        })
    }

    /// The organization's invitations that can still be accepted (owners and admins).
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Vec<Invitation>> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let rows = crate::invitations::live_invitations(state(ctx)?, &access)
            .await
            .map_err(error)?;
        Ok(rows.into_iter().map(Invitation::from).collect())
    }

    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 200) as usize * child_complexity")]
    async fn agents(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        filters: Option<AgentFilters>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AgentPage> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let filters = filters.unwrap_or_default();
        let filter = AgentFilter {
            status: filters.status.map(Into::into),
            agent_type: filters.agent_type,
        };
        let found = state(ctx)?
            .store
            .agents()
            .list(access.organization, &filter, &page(first, after)?)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(AgentPage {
            next_cursor: found.next.map(|cursor| cursor.encode()),
            items: found.items.into_iter().map(Agent::from).collect(),
        })
    }

    async fn agent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<Agent> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let id: AgentId = row_id(&id, "agent")?;
        let row = state(ctx)?
            .store
            .agents()
            .get(access.organization, id)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(Agent::from(row))
    }

    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 200) as usize * child_complexity")]
    async fn agent_tasks(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        filters: Option<TaskFilters>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AgentTaskPage> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let filters = filters.unwrap_or_default();
        let filter = TaskFilter {
            agent_id: optional_id(filters.agent_id.as_ref(), "agent")?,
            status: filters.status.map(Into::into),
            task_type: filters.task_type,
            created_after: filters.created_after,
            created_before: filters.created_before,
            agent_type: None,
            search: None,
        };
        let found = state(ctx)?
            .store
            .tasks()
            .list(access.organization, &filter, &page(first, after)?)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(AgentTaskPage {
            next_cursor: found.next.map(|cursor| cursor.encode()),
            items: found.items.into_iter().map(AgentTask::from).collect(),
        })
    }

    async fn agent_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organization_id: Option<ID>,
    ) -> async_graphql::Result<AgentTask> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let id: TaskId = row_id(&id, "task")?;
        let row = state(ctx)?
            .store
            .tasks()
            .get(access.organization, id)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(AgentTask::from(row))
    }

    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 200) as usize * child_complexity")]
    async fn pull_requests(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        filters: Option<PrFilters>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<PullRequestPage> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let filters = filters.unwrap_or_default();
        let filter = PullRequestFilter {
            repository_id: optional_id::<RepositoryId>(
                filters.repository_id.as_ref(),
                "repository",
            )?,
            state: filters.state.map(Into::into),
            review_status: filters.review_status.map(Into::into),
        };
        let found = state(ctx)?
            .store
            .pull_requests()
            .list(access.organization, &filter, &page(first, after)?)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(PullRequestPage {
            next_cursor: found.next.map(|cursor| cursor.encode()),
            items: found
                .items
                .into_iter()
                .map(|row| PullRequest::of(access.organization, row))
                .collect(),
        })
    }

    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 200) as usize * child_complexity")]
    async fn deployments(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        filters: Option<DeploymentFilters>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<DeploymentPage> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let filters = filters.unwrap_or_default();
        let filter = DeploymentFilter {
            state: filters.state.map(Into::into),
            environment: filters.environment.map(Into::into),
            created_after: filters.created_after,
            created_before: filters.created_before,
        };
        let found = state(ctx)?
            .store
            .deployments()
            .list(access.organization, &filter, &page(first, after)?)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(DeploymentPage {
            next_cursor: found.next.map(|cursor| cursor.encode()),
            items: found.items.into_iter().map(Deployment::from).collect(),
        })
    }

    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 200) as usize * child_complexity")]
    async fn social_posts(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        filters: Option<SocialPostFilters>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SocialPostPage> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let filters = filters.unwrap_or_default();
        let filter = SocialPostFilter {
            social_account_id: optional_id::<SocialAccountId>(
                filters.social_account_id.as_ref(),
                "social account",
            )?,
            status: filters.status.map(Into::into),
            platform: filters.platform.map(Into::into),
        };
        let found = state(ctx)?
            .store
            .social_posts()
            .list(access.organization, &filter, &page(first, after)?)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(SocialPostPage {
            next_cursor: found.next.map(|cursor| cursor.encode()),
            items: found.items.into_iter().map(SocialPost::from).collect(),
        })
    }

    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 200) as usize * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        filters: Option<EventFilters>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<EventPage> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let filters = filters.unwrap_or_default();
        let filter = EventFilter {
            event_type: filters.event_type,
            event_source: filters.source,
            created_after: filters.created_after,
            created_before: filters.created_before,
            actor_id: None,
        };
        let found = state(ctx)?
            .store
            .events()
            .list(access.organization, &filter, &page(first, after)?)
            .await
            .map_err(|e| error(e.into()))?;
        Ok(EventPage {
            next_cursor: found.next.map(|cursor| cursor.encode()),
            items: found.items.into_iter().map(Event::from).collect(),
        })
    }

    /// Summaries of metric types over `[from, to)` (the last 30 days by default).
    async fn analytics(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        query: AnalyticsQuery,
    ) -> async_graphql::Result<AnalyticsResult> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        if query.metric_types.is_empty() || query.metric_types.len() > 50 {
            return Err(error(ApiError::invalid(
                "metricTypes",
                "name 1 to 50 metric types",
            )));
        }
        let (from, to) =
            crate::rest::analytics::range(query.from, query.to, state(ctx)?.store.now())
                .map_err(error)?;
        let mut metrics = Vec::new();
        for metric_type in query.metric_types {
            let summary = state(ctx)?
                .store
                .metrics()
                .summary(access.organization, &metric_type, from, to)
                .await
                .map_err(|e| error(e.into()))?;
            metrics.push(MetricSummary {
                metric_type,
                count: summary.count,
                min: summary.min,
                max: summary.max,
                average: summary.average,
            });
        }
        Ok(AnalyticsResult { from, to, metrics })
    }

    /// Search over the organization's events, pull requests, findings, deployments,
    /// components and posts, best first (1–200 characters; at most 50 hits, 20 by
    /// default): by words, and by meaning too when the node has an embeddings endpoint.
    #[graphql(complexity = "limit.unwrap_or(20).clamp(1, 50) as usize * child_complexity")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        organization_id: Option<ID>,
        query: String,
        kind: Option<SearchKind>,
        limit: Option<i32>,
    ) -> async_graphql::Result<Vec<SearchHit>> {
        let access = access(ctx, organization_id.as_ref(), Permission::ViewDashboard).await?;
        let limit = limit.map(|limit| u32::try_from(limit).unwrap_or(0));
        let (query, limit) = crate::rest::search::checked(&query, limit).map_err(error)?;
        let hits = state(ctx)?
            .runtime
            .search(
                access.organization,
                &query,
                kind.map(companyos_store::SearchKind::from),
                limit,
            )
            .await
            .map_err(|e| error(e.into()))?
            .hits;
        Ok(hits.into_iter().map(SearchHit::from).collect())
    }
}
