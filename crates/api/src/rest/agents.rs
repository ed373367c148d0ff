//! Agents (create, read, rename/reconfigure, delete, enable, disable, the types this
//! node can run) and agent tasks (list with filters and pages, read, create by hand,
//! approve, reject, cancel). Every change goes through the runtime, which owns the
//! supervision tree; reads come from the store.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use companyos_store::{
    AgentFilter, AgentId, AgentPatch, AgentStatus, ApprovalChannel, DecidedBy, NewTask,
    PageRequest, StoreError, TaskData, TaskFilter, TaskId, TaskStatus,
};
use serde::Deserialize;
use serde_json::Value;

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::{self, Audit};
use crate::error::{ApiError, ApiJson};
use crate::graphql::types as mirror;
use crate::openapi::Problem;
use crate::params::{Paged, Paging, Text, Time, text, time};
use crate::rbac::{Org, OrgAccess, Permission};
use crate::rest::path_id;
use crate::views;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(agent_types))
        .routes(routes!(read_agent, update_agent, delete_agent))
        .routes(routes!(enable_agent))
        .routes(routes!(disable_agent))
        .routes(routes!(agent_tasks))
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(read_task))
        .routes(routes!(approve_task))
        .routes(routes!(reject_task))
        .routes(routes!(cancel_task))
        .routes(routes!(retry_task))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAgent {
    /// 1 to 255 characters, not only spaces.
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    name: String,
    /// A registered agent type (`GET /api/agents/types`; the document lists this node's).
    #[serde(rename = "type")]
    #[schema(min_length = 1, max_length = 100)]
    agent_type: String,
    /// The type's default configuration when absent.
    #[schema(value_type = Option<Object>)]
    configuration: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateAgent {
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    name: Option<String>,
    #[schema(value_type = Option<Object>)]
    configuration: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateTask {
    #[schema(value_type = String, format = Uuid)]
    agent_id: AgentId,
    /// A task type the agent performs (the document lists this node's).
    #[schema(min_length = 1, max_length = 100)]
    task_type: String,
    description: Option<String>,
    /// 1–10, higher first; 5 when absent.
    #[schema(minimum = 1, maximum = 10)]
    priority: Option<i32>,
    #[schema(value_type = Option<Object>)]
    input: Option<Value>,
    /// Park the task until a person approves it.
    #[serde(default)]
    requires_approval: bool,
    /// Creating a task with a key already used for this agent returns that task.
    idempotency_key: Option<String>,
    /// Runs allowed before the task fails for good; 3 when absent.
    #[schema(minimum = 1)]
    max_attempts: Option<i32>,
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct Rejection {
    reason: Option<String>,
}

const NAME_MAX: usize = 255;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AgentParams {
    /// Only agents in this state
    status: Option<mirror::AgentStatus>,
    /// Only agents of this type
    #[serde(rename = "type")]
    #[param(value_type = Option<String>, max_length = 100)]
    agent_type: Option<Text<100>>,
}

/// The filters of one agent's tasks.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TaskParams {
    /// Only tasks in this state
    status: Option<mirror::TaskStatus>,
    /// Only tasks of this type
    #[serde(rename = "type")]
    #[param(value_type = Option<String>, max_length = 100)]
    task_type: Option<Text<100>>,
    /// Created at or after (RFC 3339)
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_after: Option<Time>,
    /// Created before (RFC 3339)
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_before: Option<Time>,
    /// `data`: each task's input and output too (a list leaves them out; the whole
    /// row is `GET /api/agent-tasks/{id}`)
    #[param(inline)]
    include: Option<TaskInclude>,
}

/// The filters of the organization's task list: those of one agent's, and the agent.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AllTaskParams {
    /// Only tasks in this state
    status: Option<mirror::TaskStatus>,
    /// Only tasks of this type
    #[serde(rename = "type")]
    #[param(value_type = Option<String>, max_length = 100)]
    task_type: Option<Text<100>>,
    /// Created at or after (RFC 3339)
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_after: Option<Time>,
    /// Created before (RFC 3339)
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    created_before: Option<Time>,
    /// Only this agent's tasks
    #[param(value_type = Option<uuid::Uuid>)]
    agent_id: Option<AgentId>,
    /// Only tasks for this type of agent
    #[param(value_type = Option<String>, max_length = 100)]
    agent_type: Option<Text<100>>,
    /// Text searched in the task's type, description and error (any case), or its id
    #[param(value_type = Option<String>, max_length = 200)]
    q: Option<Text<200>>,
    /// `data`: each task's input and output too (a list leaves them out; the whole
    /// row is `GET /api/agent-tasks/{id}`)
    #[param(inline)]
    include: Option<TaskInclude>,
}

/// What a task list carries beyond the columns a list shows.
#[derive(Clone, Copy, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum TaskInclude {
    /// The tasks' input and output.
    Data,
}

fn task_data(include: Option<TaskInclude>) -> TaskData {
    match include {
        Some(TaskInclude::Data) => TaskData::With,
        None => TaskData::Without,
    }
}

#[utoipa::path(get, path = "/api/agents", tag = "agents", summary = "Agents, newest first", params(AgentParams, Paging), responses((status = 200, description = "Agents, newest first", body = views::Page<views::Agent>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn list_agents(
    State(state): State<AppState>,
    Org(access): Org,
    Paged { filter, page }: Paged<AgentParams>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = AgentFilter {
        status: filter.status.map(AgentStatus::from),
        agent_type: text(filter.agent_type),
    };
    let found = state
        .store
        .agents()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(views::Page::<views::Agent>::of(found)))
}

#[utoipa::path(get, path = "/api/agents/types", tag = "agents", summary = "Agent types this node runs", responses((status = 200, description = "Agent types this node runs", body = views::Page<views::AgentType>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn agent_types(
    State(state): State<AppState>,
    Org(access): Org,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let items: Vec<views::AgentType> = state
        .runtime
        .registry()
        .types()
        .map(|agent_type| views::AgentType {
            name: agent_type.name.to_string(),
            kind: agent_type.kind.into(),
            capabilities: agent_type
                .capabilities
                .iter()
                .map(|capability| capability.to_string())
                .collect(),
            default_configuration: agent_type.default_configuration(),
            configuration_schema: {
                let mut schema = agent_type.configuration.schema();
                companyos_supervisors::llm::publish_models(
                    &mut schema,
                    state.runtime.config().llm.as_ref(),
                );
                schema
            },
        })
        .collect();
    Ok(Json(views::Page {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/agents", tag = "agents", summary = "Create and start an agent", request_body = CreateAgent, responses((status = 201, description = "Create and start an agent", body = views::Agent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
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
    agent_audit(&state, &access, "agent.created", &agent, "created").await;
    Ok((StatusCode::CREATED, Json(views::Agent::from(agent))))
}

#[utoipa::path(get, path = "/api/agents/{id}", tag = "agents", summary = "One agent", params(("id" = String, Path, description = "agent id")), responses((status = 200, description = "One agent", body = views::Agent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn read_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: AgentId = path_id(&id, "agent")?;
    Ok(Json(views::Agent::from(
        state.store.agents().get(access.organization, id).await?,
    )))
}

#[utoipa::path(patch, path = "/api/agents/{id}", tag = "agents", summary = "Rename or reconfigure an agent (restarts it)", params(("id" = String, Path, description = "agent id")), request_body = UpdateAgent, responses((status = 200, description = "Rename or reconfigure an agent (restarts it)", body = views::Agent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
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
    agent_audit(&state, &access, "agent.updated", &agent, "changed").await;
    Ok(Json(views::Agent::from(agent)))
}

#[utoipa::path(delete, path = "/api/agents/{id}", tag = "agents", summary = "Stop and delete an agent with its tasks", params(("id" = String, Path, description = "agent id")), responses((status = 204, description = "Stop and delete an agent with its tasks"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn delete_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: AgentId = path_id(&id, "agent")?;
    let agent = state.store.agents().get(access.organization, id).await?;
    state.runtime.delete_agent(access.organization, id).await?;
    agent_audit(&state, &access, "agent.deleted", &agent, "deleted").await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/agents/{id}/enable", tag = "agents", summary = "Enable a disabled agent", params(("id" = String, Path, description = "agent id")), responses((status = 200, description = "Enable a disabled agent", body = views::Agent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn enable_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: AgentId = path_id(&id, "agent")?;
    let agent = state.runtime.enable_agent(access.organization, id).await?;
    agent_audit(&state, &access, "agent.enabled", &agent, "enabled").await;
    Ok(Json(views::Agent::from(agent)))
}

#[utoipa::path(post, path = "/api/agents/{id}/disable", tag = "agents", summary = "Stop and disable an agent", params(("id" = String, Path, description = "agent id")), responses((status = 200, description = "Stop and disable an agent", body = views::Agent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn disable_agent(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: AgentId = path_id(&id, "agent")?;
    let agent = state.runtime.disable_agent(access.organization, id).await?;
    agent_audit(&state, &access, "agent.disabled", &agent, "disabled").await;
    Ok(Json(views::Agent::from(agent)))
}

/// Records a change to an agent in the audit trail.
async fn agent_audit(
    state: &AppState,
    access: &OrgAccess,
    action: &'static str,
    agent: &companyos_store::Agent,
    verb: &str,
) {
    let audit = Audit {
        action,
        resource_type: companyos_store::ResourceKind::Agent,
        resource_id: agent.id.0,
        what: format!("{verb} the {} agent {:?}", agent.agent_type, agent.name),
        via: "console",
    };
    audit::record(state, access, audit).await;
}

/// The organization's agent `agent_id` (a 404 naming `agent_id` when there is none),
/// once it is known to perform `task_type` tasks (a 422 naming `task_type` otherwise).
pub(crate) async fn agent_for(
    state: &AppState,
    access: &OrgAccess,
    agent_id: AgentId,
    task_type: &str,
) -> Result<companyos_store::Agent, ApiError> {
    let agent = state
        .store
        .agents()
        .get(access.organization, agent_id)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError {
                field: Some("agent_id".into()),
                ..ApiError::not_found("no such agent in this organization")
            },
            other => other.into(),
        })?;
    state
        .runtime
        .check_task_type(&agent.agent_type, task_type)?;
    Ok(agent)
}

/// Records a decision about a task in the audit trail.
pub(crate) async fn task_audit(
    state: &AppState,
    access: &OrgAccess,
    action: &'static str,
    task: &companyos_store::AgentTask,
    verb: &str,
    via: &'static str,
) {
    let audit = Audit {
        action,
        resource_type: companyos_store::ResourceKind::AgentTask,
        resource_id: task.id.0,
        what: format!("{verb} the {} task {}", task.task_type, task.id),
        via,
    };
    audit::record(state, access, audit).await;
}

impl From<TaskParams> for TaskFilter {
    fn from(params: TaskParams) -> TaskFilter {
        TaskFilter {
            agent_id: None,
            status: params.status.map(TaskStatus::from),
            task_type: text(params.task_type),
            created_after: time(params.created_after),
            created_before: time(params.created_before),
            agent_type: None,
            search: None,
        }
    }
}

impl From<AllTaskParams> for TaskFilter {
    fn from(params: AllTaskParams) -> TaskFilter {
        let one_agents = TaskParams {
            status: params.status,
            task_type: params.task_type,
            created_after: params.created_after,
            created_before: params.created_before,
            include: params.include,
        };
        TaskFilter {
            agent_id: params.agent_id,
            agent_type: text(params.agent_type),
            search: text(params.q),
            ..one_agents.into()
        }
    }
}

async fn tasks_page(
    state: &AppState,
    access: &OrgAccess,
    filter: TaskFilter,
    page: PageRequest,
    data: TaskData,
) -> Result<Json<views::Page<views::TaskSummary>>, ApiError> {
    let found = state
        .store
        .tasks()
        .summaries(access.organization, &filter, &page, data)
        .await?;
    Ok(Json(views::Page::of(found)))
}

#[utoipa::path(get, path = "/api/agent-tasks", tag = "agent-tasks", summary = "Agent tasks, newest first", params(AllTaskParams, Paging), responses((status = 200, description = "Agent tasks, newest first", body = views::Page<views::TaskSummary>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn list_tasks(
    State(state): State<AppState>,
    Org(access): Org,
    Paged { filter, page }: Paged<AllTaskParams>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let data = task_data(filter.include);
    tasks_page(&state, &access, filter.into(), page, data).await
}

#[utoipa::path(get, path = "/api/agents/{id}/tasks", tag = "agents", summary = "One agent's tasks", params(("id" = String, Path, description = "agent id"), TaskParams, Paging), responses((status = 200, description = "One agent's tasks", body = views::Page<views::TaskSummary>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn agent_tasks(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
    Paged { filter, page }: Paged<TaskParams>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: AgentId = path_id(&id, "agent")?;
    // An unknown agent is a 404, not an empty page.
    state.store.agents().get(access.organization, id).await?;
    let data = task_data(filter.include);
    let mut filter = TaskFilter::from(filter);
    filter.agent_id = Some(id);
    tasks_page(&state, &access, filter, page, data).await
}

#[utoipa::path(get, path = "/api/agent-tasks/{id}", tag = "agent-tasks", summary = "One task", params(("id" = String, Path, description = "task id")), responses((status = 200, description = "One task", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn read_task(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: TaskId = path_id(&id, "task")?;
    Ok(Json(views::AgentTask::from(
        state.store.tasks().get(access.organization, id).await?,
    )))
}

#[utoipa::path(post, path = "/api/agent-tasks", tag = "agent-tasks", summary = "Create a task for an agent by hand", request_body = CreateTask, responses((status = 201, description = "Create a task for an agent by hand", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn create_task(
    State(state): State<AppState>,
    Org(access): Org,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let agent = agent_for(&state, &access, body.agent_id, body.task_type.trim()).await?;
    let mut task = NewTask::new(access.organization, agent.id, body.task_type.trim());
    task.description = body.description;
    task.priority = body.priority.unwrap_or(task.priority);
    task.input = body.input;
    task.requires_human_approval = body.requires_approval;
    task.idempotency_key = body.idempotency_key;
    task.max_attempts = body.max_attempts.unwrap_or(task.max_attempts);
    let created = state.runtime.submit_by(task, access.person()).await?;
    Ok((StatusCode::CREATED, Json(views::AgentTask::from(created))))
}

#[utoipa::path(post, path = "/api/agent-tasks/{id}/approve", tag = "agent-tasks", summary = "Approve a task waiting for a person", params(("id" = String, Path, description = "task id")), responses((status = 200, description = "Approve a task waiting for a person", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn approve_task(
    State(state): State<AppState>,
    Org(access): Org,
    client: Client,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ApproveAgentTasks)?;
    let id: TaskId = path_id(&id, "task")?;
    let task = state
        .runtime
        .approve(access.organization, id, access.person(), client.0)
        .await?;
    task_audit(
        &state,
        &access,
        "task.approved",
        &task,
        "approved",
        client.0.as_str(),
    )
    .await;
    Ok(Json(views::AgentTask::from(task)))
}

/// The body is optional: `{"reason": "…"}`.
#[utoipa::path(post, path = "/api/agent-tasks/{id}/reject", tag = "agent-tasks", summary = "Reject a task waiting for a person", params(("id" = String, Path, description = "task id")), request_body = Option<Rejection>, responses((status = 200, description = "Reject a task waiting for a person", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn reject_task(
    State(state): State<AppState>,
    Org(access): Org,
    client: Client,
    Path(id): Path<String>,
    body: Option<ApiJson<Option<Rejection>>>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ApproveAgentTasks)?;
    let id: TaskId = path_id(&id, "task")?;
    // No body, `null` and `{}` all reject without a reason.
    let reason = body
        .and_then(|ApiJson(body)| body)
        .unwrap_or_default()
        .reason;
    let task = state
        .runtime
        .reject(
            access.organization,
            id,
            DecidedBy {
                user: access.user,
                via: client.0,
            },
            reason.as_deref(),
        )
        .await?;
    task_audit(
        &state,
        &access,
        "task.rejected",
        &task,
        "rejected",
        client.0.as_str(),
    )
    .await;
    Ok(Json(views::AgentTask::from(task)))
}

#[utoipa::path(post, path = "/api/agent-tasks/{id}/cancel", tag = "agent-tasks", summary = "Cancel a task (stopping it if it runs)", params(("id" = String, Path, description = "task id")), responses((status = 200, description = "Cancel a task (stopping it if it runs)", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn cancel_task(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: TaskId = path_id(&id, "task")?;
    let task = state.runtime.cancel(access.organization, id).await?;
    task_audit(
        &state,
        &access,
        "task.cancelled",
        &task,
        "cancelled",
        "console",
    )
    .await;
    Ok(Json(views::AgentTask::from(task)))
}

#[utoipa::path(post, path = "/api/agent-tasks/{id}/retry", tag = "agent-tasks", summary = "Run a failed or cancelled task again", params(("id" = String, Path, description = "task id")), responses((status = 200, description = "The task, pending again with its attempts, error and output cleared", body = views::AgentTask), (status = "4XX", description = "A problem (409 when the task is neither failed nor cancelled)", body = Problem, content_type = "application/problem+json")))]
async fn retry_task(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: TaskId = path_id(&id, "task")?;
    let task = state.runtime.retry(access.organization, id).await?;
    task_audit(&state, &access, "task.retried", &task, "retried", "console").await;
    Ok(Json(views::AgentTask::from(task)))
}

/// Where a REST call comes from, for the record of an approval: the console says so
/// (`X-CompanyOS-Client: console`); anything else is the API. A label, not a proof: it
/// only tells the audit trail which screen a person used.
pub(crate) struct Client(pub ApprovalChannel);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let console = parts
            .headers
            .get("x-companyos-client")
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"console"));
        Ok(Client(if console {
            ApprovalChannel::Console
        } else {
            ApprovalChannel::Api
        }))
    }
}
