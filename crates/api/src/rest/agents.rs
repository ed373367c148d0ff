//! Agents (create, read, rename/reconfigure, delete, enable, disable, the types this
//! node can run) and agent tasks (list with filters and pages, read, create by hand,
//! approve, reject, cancel). Every change goes through the runtime, which owns the
//! supervision tree; reads come from the store.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use companyos_store::{
    AgentFilter, AgentId, AgentPatch, AgentStatus, NewTask, StoreError, TaskFilter, TaskId,
    TaskStatus,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiJson};
use crate::params::{Params, page_json};
use crate::rbac::{Org, OrgAccess, Permission};
use crate::rest::path_id;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/agents", get(list_agents).post(create_agent))
        .route("/api/agents/types", get(agent_types))
        .route(
            "/api/agents/{id}",
            get(read_agent).patch(update_agent).delete(delete_agent),
        )
        .route("/api/agents/{id}/enable", post(enable_agent))
        .route("/api/agents/{id}/disable", post(disable_agent))
        .route("/api/agents/{id}/tasks", get(agent_tasks))
        .route("/api/agent-tasks", get(list_tasks).post(create_task))
        .route("/api/agent-tasks/{id}", get(read_task))
        .route("/api/agent-tasks/{id}/approve", post(approve_task))
        .route("/api/agent-tasks/{id}/reject", post(reject_task))
        .route("/api/agent-tasks/{id}/cancel", post(cancel_task))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateAgent {
    name: String,
    /// A registered agent type (`GET /api/agents/types`).
    #[serde(rename = "type")]
    agent_type: String,
    /// The type's default configuration when absent.
    configuration: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateAgent {
    name: Option<String>,
    configuration: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTask {
    agent_id: AgentId,
    task_type: String,
    description: Option<String>,
    /// 1–10, higher first; 5 when absent.
    priority: Option<i32>,
    input: Option<Value>,
    /// Park the task until a person approves it.
    #[serde(default)]
    requires_approval: bool,
    /// Creating a task with a key already used for this agent returns that task.
    idempotency_key: Option<String>,
    /// Runs allowed before the task fails for good; 3 when absent.
    max_attempts: Option<i32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Rejection {
    reason: Option<String>,
}

const NAME_MAX: usize = 255;

async fn list_agents(
    State(state): State<AppState>,
    Org(access): Org,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = AgentFilter {
        status: params.one_of("status", AgentStatus::ALL, AgentStatus::as_str)?,
        agent_type: params.text("type", 100)?,
    };
    let page = params.page()?;
    params.finish()?;
    let found = state
        .store
        .agents()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(page_json(found)))
}

async fn agent_types(
    State(state): State<AppState>,
    Org(access): Org,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let items: Vec<Value> = state
        .runtime
        .registry()
        .types()
        .map(|agent_type| {
            json!({
                "type": agent_type.name,
                "kind": agent_type.kind.as_str(),
                "capabilities": agent_type.capabilities,
                "default_configuration": agent_type.default_configuration,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

async fn create_agent(
    State(state): State<AppState>,
    Org(access): Org,
    ApiJson(body): ApiJson<CreateAgent>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(ApiError::invalid(
            "name",
            format!("give the agent a name of 1 to {NAME_MAX} characters"),
        ));
    }
    let agent = state
        .runtime
        .spawn_agent(
            access.organization,
            name,
            body.agent_type.trim(),
            body.configuration.map(Value::Object),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(agent)))
}

async fn read_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: AgentId = path_id(&id, "agent")?;
    Ok(Json(
        state.store.agents().get(access.organization, id).await?,
    ))
}

async fn update_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateAgent>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: AgentId = path_id(&id, "agent")?;
    let agent = state
        .runtime
        .update_agent(
            access.organization,
            id,
            AgentPatch {
                name: body.name.map(|name| name.trim().to_owned()),
                configuration: body.configuration.map(Value::Object),
                capabilities: None,
            },
        )
        .await?;
    Ok(Json(agent))
}

async fn delete_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: AgentId = path_id(&id, "agent")?;
    state.runtime.delete_agent(access.organization, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: AgentId = path_id(&id, "agent")?;
    Ok(Json(
        state.runtime.enable_agent(access.organization, id).await?,
    ))
}

async fn disable_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: AgentId = path_id(&id, "agent")?;
    Ok(Json(
        state.runtime.disable_agent(access.organization, id).await?,
    ))
}

/// The filters every task list takes.
fn task_filter(params: &mut Params) -> Result<TaskFilter, ApiError> {
    Ok(TaskFilter {
        agent_id: None,
        status: params.one_of("status", TaskStatus::ALL, TaskStatus::as_str)?,
        task_type: params.text("type", 100)?,
        created_after: params.time("created_after")?,
        created_before: params.time("created_before")?,
    })
}

async fn tasks_page(
    state: &AppState,
    access: &OrgAccess,
    filter: TaskFilter,
    mut params: Params,
) -> Result<Json<Value>, ApiError> {
    let page = params.page()?;
    params.finish()?;
    let found = state
        .store
        .tasks()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(page_json(found)))
}

async fn list_tasks(
    State(state): State<AppState>,
    Org(access): Org,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let mut filter = task_filter(&mut params)?;
    filter.agent_id = params.parse("agent_id")?;
    tasks_page(&state, &access, filter, params).await
}

async fn agent_tasks(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: AgentId = path_id(&id, "agent")?;
    // An unknown agent is a 404, not an empty page.
    state.store.agents().get(access.organization, id).await?;
    let mut filter = task_filter(&mut params)?;
    filter.agent_id = Some(id);
    tasks_page(&state, &access, filter, params).await
}

async fn read_task(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: TaskId = path_id(&id, "task")?;
    Ok(Json(
        state.store.tasks().get(access.organization, id).await?,
    ))
}

async fn create_task(
    State(state): State<AppState>,
    Org(access): Org,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let agent = state
        .store
        .agents()
        .get(access.organization, body.agent_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError {
                field: Some("agent_id".into()),
                ..ApiError::not_found("no such agent in this organization")
            },
            other => other.into(),
        })?;
    let mut task = NewTask::new(access.organization, agent.id, body.task_type.trim());
    task.description = body.description;
    task.priority = body.priority.unwrap_or(task.priority);
    task.input = body.input;
    task.requires_human_approval = body.requires_approval;
    task.idempotency_key = body.idempotency_key;
    task.max_attempts = body.max_attempts.unwrap_or(task.max_attempts);
    let created = state.runtime.submit(task).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn approve_task(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ApproveAgentTasks)?;
    let id: TaskId = path_id(&id, "task")?;
    Ok(Json(
        state
            .runtime
            .approve(access.organization, id, access.user)
            .await?,
    ))
}

/// The body is optional: `{"reason": "…"}`.
async fn reject_task(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
    body: Option<ApiJson<Rejection>>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ApproveAgentTasks)?;
    let id: TaskId = path_id(&id, "task")?;
    let reason = body.map(|ApiJson(body)| body).unwrap_or_default().reason;
    Ok(Json(
        state
            .runtime
            .reject(access.organization, id, access.user, reason.as_deref())
            .await?,
    ))
}

async fn cancel_task(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: TaskId = path_id(&id, "task")?;
    Ok(Json(state.runtime.cancel(access.organization, id).await?))
}
