//! The team: the standups the standup agent posted, newest first, as their tasks'
//! results — what the console's Team page shows.

use axum::Json;
use axum::extract::State;
use companyos_store::{PageRequest, TaskFilter, TaskStatus};
use companyos_supervisors::names;
use companyos_supervisors::standup::PostStandupTask;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::Problem;
use crate::params::{NoParams, Query};
use crate::rbac::{Org, Permission};
use crate::views;

/// How many standups the list holds: six weeks of working days.
const STANDUPS: u32 = 30;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(standups))
}

#[utoipa::path(get, path = "/api/team/standups", tag = "team", summary = "The standups posted, newest first (the last 30)", responses((status = 200, description = "The standups posted, newest first (the last 30)", body = views::Page<views::Standup>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn standups(
    State(state): State<AppState>,
    Org(access): Org,
    _: Query<NoParams>,
) -> Result<Json<views::Page<views::Standup>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = TaskFilter {
        task_type: Some(names::POST_STANDUP.to_owned()),
        status: Some(TaskStatus::Completed),
        ..TaskFilter::default()
    };
    let tasks = state
        .store
        .tasks()
        .list(access.organization, &filter, &PageRequest::first(STANDUPS))
        .await?;
    let mut items = Vec::with_capacity(tasks.items.len());
    for task in &tasks.items {
        // A result the standup agent wrote is read as the report it wrote; one that is
        // not (written by another version) is left out, and logged.
        match companyos_supervisors::task_kind::output_of::<PostStandupTask>(task) {
            Ok(report) => items.push(views::Standup::of(task, report)),
            Err(failure) => {
                tracing::warn!(task = %task.id, %failure, "a standup result is unreadable")
            }
        }
    }
    items.sort_by(|a, b| b.day.cmp(&a.day).then(b.posted_at.cmp(&a.posted_at)));
    Ok(Json(views::Page::all(items)))
}
