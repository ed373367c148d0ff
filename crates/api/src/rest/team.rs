//! The team: the standups the standup agent posted, newest first, as their tasks'
//! results — what the console's Team page shows.

use axum::Json;
use axum::extract::State;
use companyos_supervisors::standup::PostStandupTask;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::Problem;
use crate::params::{NoParams, Query};
use crate::rbac::{Org, Permission};
use crate::rest::results;
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
    let mut items: Vec<views::Standup> = results::<PostStandupTask>(&state, &access, STANDUPS)
        .await?
        .into_iter()
        .map(|(task, report)| views::Standup::of(&task, report))
        .collect();
    items.sort_by(|a, b| b.day.cmp(&a.day).then(b.posted_at.cmp(&a.posted_at)));
    Ok(Json(views::Page::all(items)))
}
