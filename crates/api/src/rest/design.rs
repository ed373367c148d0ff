//! Figma files and design components: reads, a file sync, code generation for a
//! component (a task for the component generator agent) and the code it wrote, and the
//! design QA agent's drift checks (asked for, and their reports).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use companyos_store::{DesignComponentId, FigmaFileId};
use companyos_supervisors::design::{CheckDesignDriftTask, GenerateCodeTask};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::Problem;
use crate::params::{NoParams, Query, Text, text};
use crate::rbac::{Org, Permission};
use crate::rest::{accepted, ask, path_id, results};
use crate::views;
use companyos_supervisors::Command;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(files))
        .routes(routes!(file))
        .routes(routes!(sync_file))
        .routes(routes!(components))
        .routes(routes!(component))
        .routes(routes!(generate_code))
        .routes(routes!(generated_code))
        .routes(routes!(drift_reports, check_drift))
}

/// How many drift reports the list holds.
const DRIFT_REPORTS: u32 = 20;
/// How many `generate_code` results are searched for a component's code.
const GENERATED: u32 = 50;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ComponentParams {
    /// Only this file's components
    #[param(value_type = Option<uuid::Uuid>)]
    figma_file_id: Option<FigmaFileId>,
    /// Only this type
    #[param(value_type = Option<String>, max_length = 100)]
    component_type: Option<Text<100>>,
}

#[utoipa::path(get, path = "/api/figma/files", tag = "design", summary = "Figma files", responses((status = 200, description = "Figma files", body = views::Page<views::FigmaFile>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn files(
    State(state): State<AppState>,
    Org(access): Org,
    _: Query<NoParams>,
) -> Result<Json<views::Page<views::FigmaFile>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let items = state.store.figma_files().list(access.organization).await?;
    Ok(Json(views::Page::all(items)))
}

#[utoipa::path(get, path = "/api/figma/files/{id}", tag = "design", summary = "One Figma file", params(("id" = String, Path, description = "figma file id")), responses((status = 200, description = "One Figma file", body = views::FigmaFile), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn file(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: FigmaFileId = path_id(&id, "figma file")?;
    let file = state
        .store
        .figma_files()
        .get(access.organization, id)
        .await?;
    Ok(Json(views::FigmaFile::from(file)))
}

#[utoipa::path(post, path = "/api/figma/files/{id}/sync", tag = "design", summary = "Enqueue a file sync for the Figma watcher", params(("id" = String, Path, description = "figma file id")), responses((status = 202, description = "Enqueue a file sync for the Figma watcher", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn sync_file(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrations)?;
    let id: FigmaFileId = path_id(&id, "figma file")?;
    let task = ask(&state, &access, Command::SyncFigmaFile(id)).await?;
    Ok(accepted(task))
}

#[utoipa::path(get, path = "/api/design-components", tag = "design", summary = "Design components", params(ComponentParams), responses((status = 200, description = "Design components", body = views::Page<views::DesignComponent>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn components(
    State(state): State<AppState>,
    Org(access): Org,
    Query(params): Query<ComponentParams>,
) -> Result<Json<views::Page<views::DesignComponent>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let component_type = text(params.component_type);
    let items = state
        .store
        .design_components()
        .list(
            access.organization,
            params.figma_file_id,
            component_type.as_deref(),
        )
        .await?;
    Ok(Json(views::Page::all(items)))
}

#[utoipa::path(get, path = "/api/design-components/{id}", tag = "design", summary = "One design component", params(("id" = String, Path, description = "design component id")), responses((status = 200, description = "One design component", body = views::DesignComponent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn component(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: DesignComponentId = path_id(&id, "design component")?;
    let component = state
        .store
        .design_components()
        .get(access.organization, id)
        .await?;
    Ok(Json(views::DesignComponent::from(component)))
}

#[utoipa::path(post, path = "/api/design-components/{id}/generate-code", tag = "design", summary = "Enqueue code generation for a component", params(("id" = String, Path, description = "design component id")), responses((status = 202, description = "Enqueue code generation for a component", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn generate_code(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: DesignComponentId = path_id(&id, "design component")?;
    let task = ask(&state, &access, Command::GenerateCode(id)).await?;
    Ok(accepted(task))
}

#[utoipa::path(get, path = "/api/design-components/{id}/code", tag = "design", summary = "The code last generated for a component", params(("id" = String, Path, description = "design component id")), responses((status = 200, description = "The code last generated for a component", body = views::GeneratedCode), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn generated_code(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: DesignComponentId = path_id(&id, "design component")?;
    // The component must be the organization's (404 otherwise).
    state
        .store
        .design_components()
        .get(access.organization, id)
        .await?;
    for (task, generated) in results::<GenerateCodeTask>(&state, &access, GENERATED).await? {
        if let Some(component) = generated
            .components
            .into_iter()
            .find(|component| component.design_component_id == id)
        {
            return Ok(Json(views::GeneratedCode {
                task_id: task.id,
                design_component_id: id,
                name: component.name,
                generated_at: task.completed_at,
                files: component
                    .files
                    .into_iter()
                    .map(|file| views::GeneratedFile {
                        path: file.path,
                        contents: file.contents,
                    })
                    .collect(),
                pull_request_task_id: generated.pull_request_task_id,
            }));
        }
    }
    Err(ApiError::not_found(
        "no code has been generated for this component yet: ask for it with POST /api/design-components/{id}/generate-code",
    ))
}

#[utoipa::path(get, path = "/api/design/drift", tag = "design", summary = "The design QA agent's drift reports, newest first (the last 20)", responses((status = 200, description = "The design QA agent's drift reports, newest first (the last 20)", body = views::Page<views::DriftReport>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn drift_reports(
    State(state): State<AppState>,
    Org(access): Org,
    _: Query<NoParams>,
) -> Result<Json<views::Page<views::DriftReport>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let mut items: Vec<views::DriftReport> =
        results::<CheckDesignDriftTask>(&state, &access, DRIFT_REPORTS)
            .await?
            .into_iter()
            .map(|(task, report)| views::DriftReport::of(&task, report))
            .collect();
    items.sort_by_key(|report| std::cmp::Reverse(report.checked_at));
    Ok(Json(views::Page::all(items)))
}

#[utoipa::path(post, path = "/api/design/drift", tag = "design", summary = "Enqueue a drift check for the design QA agent", responses((status = 202, description = "Enqueue a drift check for the design QA agent", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn check_drift(
    State(state): State<AppState>,
    Org(access): Org,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let task = ask(&state, &access, Command::CheckDesignDrift).await?;
    Ok(accepted(task))
}
