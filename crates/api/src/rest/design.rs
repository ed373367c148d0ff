//! Figma files and design components: reads, a file sync, and code generation for a
//! component (a task for the component generator agent).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use companyos_store::{DesignComponentId, FigmaFileId};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::Problem;
use crate::params::{NoParams, Query, Text, text};
use crate::rbac::{Org, Permission};
use crate::rest::{accepted, ask, path_id};
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
}

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
