//! `/healthz` (the process is up) and `/readyz` (the database answers and every
//! migration of this build is applied): what Kubernetes probes and scripts poll.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.store.backend().as_str();
    match state.store.check_ready().await {
        Ok(migrations) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": backend, "migrations": migrations})),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"status": "unavailable", "database": backend, "reason": error.to_string()}),
                ),
            )
        }
    }
}
