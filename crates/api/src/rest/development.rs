//! Repositories, pull requests and deployments: reads with filters and pages, and the
//! work people ask for — a repository sync, an agent review of a pull request, and a
//! rollback (which waits for a person's approval before it runs).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use companyos_store::{
    AgentTask, DeploymentEnvironment, DeploymentFilter, DeploymentId, DeploymentState,
    PullRequestFilter, PullRequestId, PullRequestState, RepositoryId, ReviewStatus,
};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use companyos_supervisors::Command;

use crate::AppState;
use crate::error::ApiError;
use crate::graphql::types as mirror;
use crate::openapi::Problem;
use crate::params::{NoParams, Paged, Paging, Query, Time, time};
use crate::rbac::{Org, OrgAccess, Permission};
use crate::rest::{accepted, ask, path_id};
use crate::views;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(repositories))
        .routes(routes!(repository))
        .routes(routes!(sync_repository))
        .routes(routes!(pull_requests))
        .routes(routes!(pull_request))
        .routes(routes!(agent_review))
        .routes(routes!(deployments))
        .routes(routes!(deployment))
        .routes(routes!(rollback))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PullRequestParams {
    /// Only this repository's
    #[param(value_type = Option<uuid::Uuid>)]
    repository_id: Option<RepositoryId>,
    /// Only pull requests in this state
    state: Option<mirror::PrState>,
    /// Only pull requests with this review status
    review_status: Option<mirror::ReviewStatus>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeploymentParams {
    /// Only deployments in this state
    state: Option<mirror::DeploymentState>,
    /// Only deployments to this environment
    environment: Option<mirror::DeploymentEnvironment>,
    /// Created at or after (RFC 3339)
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_after: Option<Time>,
    /// Created before (RFC 3339)
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_before: Option<Time>,
}

#[utoipa::path(get, path = "/api/repositories", tag = "development", summary = "Repositories", responses((status = 200, description = "Repositories", body = views::Page<views::Repository>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn repositories(
    State(state): State<AppState>,
    Org(access): Org,
    _: Query<NoParams>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let items = state.store.repositories().list(access.organization).await?;
    Ok(Json(views::Page::<views::Repository>::all(items)))
}

#[utoipa::path(get, path = "/api/repositories/{id}", tag = "development", summary = "One repository", params(("id" = String, Path, description = "repository id")), responses((status = 200, description = "One repository", body = views::Repository), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn repository(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: RepositoryId = path_id(&id, "repository")?;
    Ok(Json(views::Repository::from(
        state
            .store
            .repositories()
            .get(access.organization, id)
            .await?,
    )))
}

#[utoipa::path(post, path = "/api/repositories/{id}/sync", tag = "development", summary = "Enqueue a repository sync for the GitHub watcher", params(("id" = String, Path, description = "repository id")), responses((status = 202, description = "Enqueue a repository sync for the GitHub watcher", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn sync_repository(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrations)?;
    let id: RepositoryId = path_id(&id, "repository")?;
    let task = ask(&state, &access, Command::SyncRepository(id)).await?;
    Ok(accepted(task))
}

#[utoipa::path(get, path = "/api/pull-requests", tag = "development", summary = "Pull requests, newest first", params(PullRequestParams, Paging), responses((status = 200, description = "Pull requests, newest first", body = views::Page<views::PullRequest>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn pull_requests(
    State(state): State<AppState>,
    Org(access): Org,
    Paged { filter, page }: Paged<PullRequestParams>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = PullRequestFilter {
        repository_id: filter.repository_id,
        state: filter.state.map(PullRequestState::from),
        review_status: filter.review_status.map(ReviewStatus::from),
    };
    let found = state
        .store
        .pull_requests()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(views::Page::<views::PullRequest>::of(found)))
}

#[utoipa::path(get, path = "/api/pull-requests/{id}", tag = "development", summary = "One pull request", params(("id" = String, Path, description = "pull request id")), responses((status = 200, description = "One pull request", body = views::PullRequest), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn pull_request(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: PullRequestId = path_id(&id, "pull request")?;
    Ok(Json(views::PullRequest::from(
        state
            .store
            .pull_requests()
            .get(access.organization, id)
            .await?,
    )))
}

#[utoipa::path(post, path = "/api/pull-requests/{id}/agent-review", tag = "development", summary = "Enqueue a review by the code review agent", params(("id" = String, Path, description = "pull request id")), responses((status = 202, description = "Enqueue a review by the code review agent", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn agent_review(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: PullRequestId = path_id(&id, "pull request")?;
    Ok(accepted(request_review(&state, &access, id).await?))
}

/// Enqueues an `analyze_pr` task for the code review agent.
pub(crate) async fn request_review(
    state: &AppState,
    access: &OrgAccess,
    id: PullRequestId,
) -> Result<AgentTask, ApiError> {
    access.require(Permission::SpawnAgents)?;
    ask(state, access, Command::ReviewPullRequest(id)).await
}

#[utoipa::path(get, path = "/api/deployments", tag = "development", summary = "Deployments, newest first", params(DeploymentParams, Paging), responses((status = 200, description = "Deployments, newest first", body = views::Page<views::Deployment>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn deployments(
    State(state): State<AppState>,
    Org(access): Org,
    Paged { filter, page }: Paged<DeploymentParams>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = DeploymentFilter {
        state: filter.state.map(DeploymentState::from),
        environment: filter.environment.map(DeploymentEnvironment::from),
        created_after: time(filter.created_after),
        created_before: time(filter.created_before),
    };
    let found = state
        .store
        .deployments()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(views::Page::<views::Deployment>::of(found)))
}

#[utoipa::path(get, path = "/api/deployments/{id}", tag = "development", summary = "One deployment", params(("id" = String, Path, description = "deployment id")), responses((status = 200, description = "One deployment", body = views::Deployment), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn deployment(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: DeploymentId = path_id(&id, "deployment")?;
    Ok(Json(views::Deployment::from(
        state
            .store
            .deployments()
            .get(access.organization, id)
            .await?,
    )))
}

/// A rollback is enqueued parked: it runs once a person approves it.
#[utoipa::path(post, path = "/api/deployments/{id}/rollback", tag = "development", summary = "Enqueue a rollback that waits for approval", params(("id" = String, Path, description = "deployment id")), responses((status = 202, description = "Enqueue a rollback that waits for approval", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn rollback(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: DeploymentId = path_id(&id, "deployment")?;
    Ok(accepted(request_rollback(&state, &access, id).await?))
}

/// Enqueues a `rollback` task for the deployment agent, parked for approval.
pub(crate) async fn request_rollback(
    state: &AppState,
    access: &OrgAccess,
    id: DeploymentId,
) -> Result<AgentTask, ApiError> {
    access.require(Permission::RollBackDeployments)?;
    ask(state, access, Command::RollBack(id)).await
}
