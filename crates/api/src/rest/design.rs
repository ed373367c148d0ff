//! Figma files and design components: reads, a file sync, and code generation for a
//! component (a task for the component generator agent).

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use companyos_store::{DesignComponentId, FigmaFileId};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;
use crate::params::{Params, all_json};
use crate::rbac::{Org, Permission};
use crate::rest::{Action, accepted, path_id};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/figma/files", get(files))
        .route("/api/figma/files/{id}", get(file))
        .route("/api/figma/files/{id}/sync", post(sync_file))
        .route("/api/design-components", get(components))
        .route("/api/design-components/{id}", get(component))
        .route(
            "/api/design-components/{id}/generate-code",
            post(generate_code),
        )
}

async fn files(
    State(state): State<AppState>,
    Org(access): Org,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    params.finish()?;
    let items = state.store.figma_files().list(access.organization).await?;
    Ok(Json(all_json(items)))
}

async fn file(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: FigmaFileId = path_id(&id, "figma file")?;
    Ok(Json(
        state
            .store
            .figma_files()
            .get(access.organization, id)
            .await?,
    ))
}

async fn sync_file(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrations)?;
    let id: FigmaFileId = path_id(&id, "figma file")?;
    let file = state
        .store
        .figma_files()
        .get(access.organization, id)
        .await?;
    let task = Action {
        agent_type: "figma_watcher",
        task_type: "sync_figma_file",
        approval: false,
    }
    .enqueue(
        &state,
        &access,
        format!("sync Figma file {}", file.name),
        json!({"figma_file_id": file.id, "figma_file_key": file.figma_file_key}),
    )
    .await?;
    Ok(accepted(task))
}

async fn components(
    State(state): State<AppState>,
    Org(access): Org,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let file: Option<FigmaFileId> = params.parse("figma_file_id")?;
    let component_type = params.text("component_type", 100)?;
    params.finish()?;
    let items = state
        .store
        .design_components()
        .list(access.organization, file, component_type.as_deref())
        .await?;
    Ok(Json(all_json(items)))
}

async fn component(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: DesignComponentId = path_id(&id, "design component")?;
    Ok(Json(
        state
            .store
            .design_components()
            .get(access.organization, id)
            .await?,
    ))
}

async fn generate_code(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::SpawnAgents)?;
    let id: DesignComponentId = path_id(&id, "design component")?;
    let component = state
        .store
        .design_components()
        .get(access.organization, id)
        .await?;
    let task = Action {
        agent_type: "component_generator",
        task_type: "generate_code",
        approval: false,
    }
    .enqueue(
        &state,
        &access,
        format!("generate code for component {}", component.name),
        json!({
            "design_component_id": component.id,
            "figma_file_id": component.figma_file_id,
            "figma_component_id": component.figma_component_id,
        }),
    )
    .await?;
    Ok(accepted(task))
}
