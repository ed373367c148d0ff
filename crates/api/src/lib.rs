//! `api` is the edge: it translates HTTP (and, later, GraphQL and WebSocket) into
//! runtime operations and store reads. Today it serves the health endpoints, the
//! console placeholder, authentication (`/api/auth/*`, invitations) and the RBAC
//! matrix, and `/metrics`; the rest of REST and GraphQL grow here. Every error is an
//! `application/problem+json` body (`error.rs`).
//!
//! Nothing here decides business logic that belongs to an agent or a supervisor.
//! **Must never import:** `actors` directly (writes go through `supervisors`' handles)
//! or the binary.

mod audit;
mod auth;
mod auth_routes;
mod console;
mod error;
pub mod graphql;
mod hardening;
mod health;
mod invitations;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod oauth;
mod openapi;
mod params;
mod rate_limit;
pub mod rbac;
mod rest;
pub mod server;
mod trace;
mod views;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use companyos_integrations::crypto::MasterKey;
use companyos_store::Store;
use companyos_supervisors::Runtime;

pub use auth::{AuthConfig, SecretError, load_or_create_secret};
pub use auth_routes::bootstrap_user;
pub use console::ConsoleSource;
pub use error::ApiError;
pub use rate_limit::RateLimiter;
pub use rest::webhooks::{DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_BUFFERED_BYTES, WebhookConfig};

/// The largest request body accepted (413 past it).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: Arc<AuthConfig>,
    /// The node's supervision tree: every write that concerns agents and tasks.
    pub runtime: Arc<Runtime>,
    /// Seals integration credentials before they reach the store.
    pub keys: Arc<MasterKey>,
    /// How webhook deliveries are received.
    pub webhooks: Arc<WebhookConfig>,
    /// Where the console's files come from.
    pub console: ConsoleSource,
}

/// Every documented REST route, with its OpenAPI description.
fn api_routes(state: &AppState) -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .merge(auth_routes::routes(state))
        .merge(invitations::routes(state))
        .merge(
            oauth::routes().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                rate_limit::limit,
            )),
        )
        .merge(rest::routes())
}

/// The whole HTTP surface of a node. Serve it with connect info
/// (`into_make_service_with_connect_info::<SocketAddr>()`): the authentication routes
/// are rate-limited per client address.
pub fn router(state: AppState) -> Router {
    metrics::handle();
    let (api, document) = api_routes(&state).split_for_parts();
    let mut document = serde_json::to_value(openapi::finish(document)).unwrap_or_default();
    openapi::constraints(&mut document);
    openapi::for_node(&mut document, state.runtime.registry());
    let document = Arc::new(document);
    Router::new()
        .merge(health::routes())
        .merge(api)
        .route(
            "/api/openapi.json",
            axum::routing::get(openapi::serve).with_state(document),
        )
        .merge(ws::routes())
        .merge(graphql::routes(&state))
        .route("/metrics", axum::routing::get(metrics::render))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .route_layer(trace::layer())
        .merge(console::routes())
        .layer(axum::middleware::from_fn(hardening::guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
