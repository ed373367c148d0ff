//! The organization's settings that are not members or integrations: schedules (a task
//! an agent runs whenever a five-field cron expression matches, on the organization's
//! clocks: `settings.time_zone`, UTC when unset), and what the
//! node offers that a person needs to know — its language model (operator settings,
//! read-only here) and how people may sign in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use companyos_store::{AgentId, NewSchedule, OrgId, ScheduleId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiJson};
use crate::openapi::Problem;
use crate::rbac::{Org, Permission};
use crate::rest::path_id;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedules, create_schedule))
        .routes(routes!(update_schedule, delete_schedule))
        .routes(routes!(llm_settings))
        .routes(routes!(sign_in_providers))
        .routes(routes!(permissions))
}

/// A schedule: the task an agent runs whenever its cron expression matches.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Schedule {
    #[schema(value_type = uuid::Uuid)]
    pub id: ScheduleId,
    #[schema(value_type = uuid::Uuid)]
    pub organization_id: OrgId,
    #[schema(value_type = uuid::Uuid)]
    pub agent_id: AgentId,
    pub name: String,
    /// Five fields (minute, hour, day of month, month, day of week), in the
    /// organization's time zone (`settings.time_zone`, UTC when unset).
    pub cron_expression: String,
    pub task_type: String,
    #[schema(value_type = Option<Object>)]
    pub input_data: Option<Value>,
    /// 1–10, 10 first.
    pub priority: i32,
    pub enabled: bool,
    pub last_run_at: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<companyos_store::Schedule> for Schedule {
    fn from(row: companyos_store::Schedule) -> Schedule {
        Schedule {
            id: row.id,
            organization_id: row.organization_id,
            agent_id: row.agent_id,
            name: row.name,
            cron_expression: row.cron_expression,
            task_type: row.task_type,
            input_data: row.input_data,
            priority: row.priority,
            enabled: row.enabled,
            last_run_at: row.last_run_at,
            next_run_at: row.next_run_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new schedule.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateSchedule {
    #[schema(min_length = 1, max_length = 255)]
    name: String,
    #[schema(value_type = uuid::Uuid)]
    agent_id: AgentId,
    /// A task type the agent performs.
    #[schema(min_length = 1, max_length = 100)]
    task_type: String,
    /// Five fields (minute, hour, day of month, month, day of week), in the
    /// organization's time zone (`settings.time_zone`, UTC when unset): `0 9 * * 1-5`
    /// is 09:00 on weekdays there. The pattern is the numeric form; month and day names
    /// (`MON-FRI`) are accepted too.
    #[schema(min_length = 1, max_length = 255)]
    cron_expression: String,
    /// The task's input (an object).
    #[serde(default)]
    input_data: Option<Map<String, Value>>,
    /// 1–10 (default 5).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10)]
    priority: Option<i32>,
}

/// The numeric form of a five-field cron expression, for the document: each field a
/// list of `*`, a value or a range of values in the field's bounds, each with an
/// optional step.
pub(crate) const CRON_PATTERN: &str = concat!(
    "^\\s*",
    "(?:\\*|[0-5]?[0-9](?:-[0-5]?[0-9])?)(?:/[1-9][0-9]?)?",
    "(?:,(?:\\*|[0-5]?[0-9](?:-[0-5]?[0-9])?)(?:/[1-9][0-9]?)?)*",
    "\\s+",
    "(?:\\*|(?:[01]?[0-9]|2[0-3])(?:-(?:[01]?[0-9]|2[0-3]))?)(?:/[1-9][0-9]?)?",
    "(?:,(?:\\*|(?:[01]?[0-9]|2[0-3])(?:-(?:[01]?[0-9]|2[0-3]))?)(?:/[1-9][0-9]?)?)*",
    "\\s+",
    "(?:\\*|(?:0?[1-9]|[12][0-9]|3[01])(?:-(?:0?[1-9]|[12][0-9]|3[01]))?)(?:/[1-9][0-9]?)?",
    "(?:,(?:\\*|(?:0?[1-9]|[12][0-9]|3[01])(?:-(?:0?[1-9]|[12][0-9]|3[01]))?)(?:/[1-9][0-9]?)?)*",
    "\\s+",
    "(?:\\*|(?:0?[1-9]|1[0-2])(?:-(?:0?[1-9]|1[0-2]))?)(?:/[1-9][0-9]?)?",
    "(?:,(?:\\*|(?:0?[1-9]|1[0-2])(?:-(?:0?[1-9]|1[0-2]))?)(?:/[1-9][0-9]?)?)*",
    "\\s+",
    "(?:\\*|[0-7](?:-[0-7])?)(?:/[1-9][0-9]?)?",
    "(?:,(?:\\*|[0-7](?:-[0-7])?)(?:/[1-9][0-9]?)?)*",
    "\\s*$"
);

/// Turns a schedule on or off.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateSchedule {
    enabled: bool,
}

#[utoipa::path(get, path = "/api/schedules", tag = "schedules", summary = "The organization's schedules", responses((status = 200, description = "The organization's schedules", body = crate::views::Page<Schedule>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn list_schedules(
    State(state): State<AppState>,
    Org(access): Org,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let schedules = state.store.schedules().list(access.organization).await?;
    Ok(Json(crate::views::Page::<Schedule>::all(schedules)))
}

#[utoipa::path(post, path = "/api/schedules", tag = "schedules", summary = "Schedule a task", request_body = CreateSchedule, responses((status = 201, description = "Schedule a task", body = Schedule), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn create_schedule(
    State(state): State<AppState>,
    Org(access): Org,
    ApiJson(body): ApiJson<CreateSchedule>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let task_type = body.task_type.trim();
    let agent = crate::rest::agents::agent_for(&state, &access, body.agent_id, task_type).await?;
    let schedule = state
        .runtime
        .create_schedule(
            access.organization,
            NewSchedule {
                agent_id: agent.id,
                name: body.name.trim().to_owned(),
                cron_expression: body.cron_expression.trim().to_owned(),
                task_type: task_type.to_owned(),
                input_data: body.input_data.map(Value::Object),
                priority: body.priority.unwrap_or(5),
                next_run_at: None,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Schedule::from(schedule))))
}

#[utoipa::path(patch, path = "/api/schedules/{id}", tag = "schedules", summary = "Turn a schedule on or off", params(("id" = String, Path, description = "schedule id")), request_body = UpdateSchedule, responses((status = 200, description = "Turn a schedule on or off", body = Schedule), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn update_schedule(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateSchedule>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: ScheduleId = path_id(&id, "schedule")?;
    let schedule = state
        .store
        .schedules()
        .set_enabled(access.organization, id, body.enabled)
        .await?;
    Ok(Json(Schedule::from(schedule)))
}

#[utoipa::path(delete, path = "/api/schedules/{id}", tag = "schedules", summary = "Delete a schedule", params(("id" = String, Path, description = "schedule id")), responses((status = 204, description = "Delete a schedule"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn delete_schedule(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: ScheduleId = path_id(&id, "schedule")?;
    state
        .store
        .schedules()
        .delete(access.organization, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The node's language model, as an operator set it (`llm.*`): never its key.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LlmSettings {
    /// Whether the node has a model agents may use.
    pub enabled: bool,
    /// `openai` (and compatible servers) or `anthropic`.
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// Whether an API key is set (the key itself is never shown).
    pub api_key_set: bool,
    /// Each agent's daily token budget (absent: none).
    pub tokens_per_day: Option<u64>,
    /// Each agent's requests per minute (absent: none).
    pub requests_per_minute: Option<u32>,
    /// The longest answer a request asks for.
    pub max_tokens: Option<u32>,
    /// The models an agent's configuration may choose (`llm.model`): the node's own
    /// first, then the operator's `llm.allowed_models`. An agent never chooses the
    /// provider or the address.
    pub allowed_models: Vec<String>,
}

#[utoipa::path(get, path = "/api/settings/llm", tag = "settings", summary = "The node's language model (operator settings, never the key)", responses((status = 200, description = "The node's language model", body = LlmSettings), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn llm_settings(
    State(state): State<AppState>,
    Org(access): Org,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let settings = match &state.runtime.config().llm {
        Some(llm) => LlmSettings {
            enabled: true,
            provider: Some(llm.config.provider.to_string()),
            model: Some(llm.config.model.clone()),
            base_url: Some(llm.config.base_url.clone()),
            api_key_set: !llm.config.api_key.is_empty(),
            tokens_per_day: llm.tokens_per_day,
            requests_per_minute: llm.requests_per_minute,
            max_tokens: Some(llm.config.max_tokens),
            allowed_models: llm.models(),
        },
        None => LlmSettings {
            enabled: false,
            provider: None,
            model: None,
            base_url: None,
            api_key_set: false,
            tokens_per_day: None,
            requests_per_minute: None,
            max_tokens: None,
            allowed_models: Vec::new(),
        },
    };
    Ok(Json(settings))
}

/// How people may sign in to this node.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SignInProviders {
    /// Whether "Continue with GitHub" works (GitHub login is configured).
    pub github: bool,
    /// Whether anyone may register without an invitation.
    pub open_registration: bool,
}

#[utoipa::path(get, path = "/api/auth/providers", tag = "auth", summary = "How people may sign in to this node", responses((status = 200, description = "How people may sign in to this node", body = SignInProviders), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn sign_in_providers(State(state): State<AppState>) -> Json<SignInProviders> {
    Json(SignInProviders {
        github: state.auth.github.is_some(),
        open_registration: state.auth.open_registration,
    })
}

/// The permission matrix: which role may do what. Every operation of the OpenAPI
/// document names the permission it needs in its `x-permission` extension (`public` and
/// `signed_in` need no role).
#[utoipa::path(get, path = "/api/auth/permissions", tag = "auth", summary = "The permission matrix: each permission and the roles allowed it", responses((status = 200, description = "The permission matrix", body = crate::rbac::Matrix), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn permissions() -> Json<crate::rbac::Matrix> {
    Json(crate::rbac::Matrix::of_node())
}
