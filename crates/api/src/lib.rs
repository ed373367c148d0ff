//! `api` is the edge: it translates HTTP (and, later, GraphQL and WebSocket) into
//! runtime operations and store reads. Today it serves the health endpoints and the
//! console placeholder; REST, GraphQL, auth and `/metrics` grow here.
//!
//! Nothing here decides business logic that belongs to an agent or a supervisor.
//! **Must never import:** `actors` directly (writes go through `supervisors`' handles)
//! or the binary.

mod console;
mod health;

use axum::Router;
use companyos_store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// The whole HTTP surface of a node.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::routes())
        .merge(console::routes())
        .with_state(state)
}
