//! Repositories, pull requests and deployments: reads with filters and pages, and the
//! work people ask for — a repository sync, an agent review of a pull request, and a
//! rollback (which waits for a person's approval before it runs).

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use companyos_store::{
    DeploymentEnvironment, DeploymentFilter, DeploymentId, DeploymentState, PullRequestFilter,
    PullRequestId, PullRequestState, RepositoryId, ReviewStatus,
};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;
use crate::params::{Params, all_json, page_json};
use crate::rbac::{Org, Permission};
use crate::rest::{Action, accepted, path_id};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/repositories", get(repositories))
        .route("/api/repositories/{id}", get(repository))
        .route("/api/repositories/{id}/sync", post(sync_repository))
        .route("/api/pull-requests", get(pull_requests))
        .route("/api/pull-requests/{id}", get(pull_request))
        .route("/api/pull-requests/{id}/agent-review", post(agent_review))
        .route("/api/deployments", get(deployments))
        .route("/api/deployments/{id}", get(deployment))
        .route("/api/deployments/{id}/rollback", post(rollback))
}

async fn repositories(
    State(state): State<AppState>,
    Org(access): Org,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    params.finish()?;
    let items = state.store.repositories().list(access.organization).await?;
    Ok(Json(all_json(items)))
}

async fn repository(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: RepositoryId = path_id(&id, "repository")?;
    Ok(Json(
        state
            .store
            .repositories()
            .get(access.organization, id)
            .await?,
    ))
}

async fn sync_repository(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrations)?;
    let id: RepositoryId = path_id(&id, "repository")?;
    let repository = state
        .store
        .repositories()
        .get(access.organization, id)
        .await?;
    let task = Action {
        agent_type: "github_watcher",
        task_type: "sync_repository",
        approval: false,
    }
    .enqueue(
        &state,
        &access,
        format!("sync {}", repository.full_name),
        json!({"repository_id": repository.id, "full_name": repository.full_name}),
    )
    .await?;
    Ok(accepted(task))
}

async fn pull_requests(
    State(state): State<AppState>,
    Org(access): Org,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = PullRequestFilter {
        repository_id: params.parse("repository_id")?,
        state: params.one_of("state", PullRequestState::ALL, PullRequestState::as_str)?,
        review_status: params.one_of("review_status", ReviewStatus::ALL, ReviewStatus::as_str)?,
    };
    let page = params.page()?;
    params.finish()?;
    let found = state
        .store
        .pull_requests()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(page_json(found)))
}

async fn pull_request(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: PullRequestId = path_id(&id, "pull request")?;
    Ok(Json(
        state
            .store
            .pull_requests()
            .get(access.organization, id)
            .await?,
    ))
}

async fn agent_review(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: PullRequestId = path_id(&id, "pull request")?;
    let pull_request = state
        .store
        .pull_requests()
        .get(access.organization, id)
        .await?;
    let task = Action {
        agent_type: "code_review",
        task_type: "analyze_pr",
        approval: false,
    }
    .enqueue(
        &state,
        &access,
        format!(
            "review pull request #{}: {}",
            pull_request.number, pull_request.title
        ),
        json!({
            "pull_request_id": pull_request.id,
            "repository_id": pull_request.repository_id,
            "number": pull_request.number,
        }),
    )
    .await?;
    Ok(accepted(task))
}

async fn deployments(
    State(state): State<AppState>,
    Org(access): Org,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = DeploymentFilter {
        state: params.one_of("state", DeploymentState::ALL, DeploymentState::as_str)?,
        environment: params.one_of(
            "environment",
            DeploymentEnvironment::ALL,
            DeploymentEnvironment::as_str,
        )?,
        created_after: params.time("created_after")?,
        created_before: params.time("created_before")?,
    };
    let page = params.page()?;
    params.finish()?;
    let found = state
        .store
        .deployments()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(page_json(found)))
}

async fn deployment(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: DeploymentId = path_id(&id, "deployment")?;
    Ok(Json(
        state
            .store
            .deployments()
            .get(access.organization, id)
            .await?,
    ))
}

/// A rollback is enqueued parked: it runs once a person approves it.
async fn rollback(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: DeploymentId = path_id(&id, "deployment")?;
    let deployment = state
        .store
        .deployments()
        .get(access.organization, id)
        .await?;
    let task = Action {
        agent_type: "deployment",
        task_type: "rollback",
        approval: true,
    }
    .enqueue(
        &state,
        &access,
        format!("roll back {} ({})", deployment.project_name, deployment.url),
        json!({
            "deployment_id": deployment.id,
            "vercel_deployment_id": deployment.vercel_deployment_id,
            "project_name": deployment.project_name,
        }),
    )
    .await?;
    Ok(accepted(task))
}
