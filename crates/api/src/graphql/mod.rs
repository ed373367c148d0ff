//! GraphQL at `/graphql` (GraphiQL on GET), subscriptions over the
//! `graphql-transport-ws` protocol at `/graphql/ws`. The schema is the seed's and more:
//! queries with filters and pages, mutations that go through the runtime, and
//! subscriptions fed by the runtime's event bus. Every field checks the permission
//! matrix for the organization it reads (`organizationId` argument, else the
//! `X-Organization-Id` header or `organizationId` in `connection_init`, else the
//! caller's only organization) exactly as REST does, and no field reads another
//! organization's rows. Queries are limited in depth and complexity; relations are
//! loaded in batches (dataloaders). The SDL is kept in `crates/api/schema.graphql`.

mod mutation;
mod query;
mod subscription;
pub(crate) mod types;

use async_graphql::{Context, Data, ErrorExtensions, ID, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use companyos_store::{OrgId, UserId};

use std::sync::Arc;

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::live::{Binding, Closing};
use crate::rbac::{ORGANIZATION_HEADER, Org, OrgAccess, Permission, parse_organization};

pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

pub type CompanySchema = Schema<Query, Mutation, Subscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 10;
/// Most expensive query accepted (each field costs 1; lists multiply by `first`).
pub const MAX_COMPLEXITY: usize = 2_000;

/// The schema, with no state: enough to print the SDL.
pub fn schema_builder() -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query, Mutation, Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The SDL of the schema (what `crates/api/schema.graphql` holds).
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let schema = schema_builder().data(state.clone()).finish();
    Router::new()
        .route("/graphql", get(graphiql).post(execute))
        .route("/graphql/ws", get(subscribe))
        .layer(axum::Extension(schema))
}

/// Who asks, and which organization they named for the whole request.
#[derive(Clone, Copy, Debug)]
pub struct Viewer {
    pub user: UserId,
    pub organization: Option<OrgId>,
}

/// A browser asking for `/graphql` is sent to GraphiQL, which the console serves
/// (its scripts are the node's own: no third-party CDN, nothing the Content-Security-
/// Policy has to allow).
async fn graphiql() -> impl IntoResponse {
    axum::response::Redirect::to("/graphiql")
}

async fn execute(
    State(state): State<AppState>,
    axum::Extension(schema): axum::Extension<CompanySchema>,
    Authenticated(user): Authenticated,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Result<GraphQLResponse, ApiError> {
    let organization = headers
        .get(ORGANIZATION_HEADER)
        .map(|value| parse_organization(value.to_str().unwrap_or_default()))
        .transpose()?;
    let request = request.into_inner();
    // A NUL character is refused like everywhere at the edge, naming where it was —
    // also written as an escape inside one of the query's own string literals.
    if request.query.contains('\0') || request.query.contains("\\u0000") {
        return Err(crate::error::nul_problem("query"));
    }
    if let Ok(variables) = serde_json::to_value(&request.variables)
        && let Some(field) = crate::error::nul_in_value(&variables, "variables")
    {
        return Err(crate::error::nul_problem(&field));
    }
    let request = request
        .data(Viewer { user, organization })
        .data(types::loaders(&state.store));
    Ok(schema.execute(request).await.into())
}

/// `graphql-transport-ws` (and the older `graphql-ws`): authenticated in
/// `connection_init` with `{"Authorization": "Bearer <token>"}` (or `"token"`), and
/// optionally `"organizationId"`.
///
/// The connection is bound to its token and its user's memberships (`live.rs`): it is
/// closed with 4401 when the token expires — unless a fresh one arrives first as the
/// payload of a `ping`, `{"Authorization": "Bearer <token>"}` — or the session ends, and
/// with 4403 when any of its user's memberships ends (the client reconnects, and its
/// subscriptions are authorised again).
async fn subscribe(
    State(state): State<AppState>,
    axum::Extension(schema): axum::Extension<CompanySchema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve_subscriptions(socket, state, schema, protocol))
}

async fn serve_subscriptions(
    socket: axum::extract::ws::WebSocket,
    state: AppState,
    schema: CompanySchema,
    protocol: GraphQLProtocol,
) {
    use futures::{SinkExt, StreamExt};

    let (bound, binding) = tokio::sync::oneshot::channel::<Arc<Binding>>();
    let ended = {
        let state = state.clone();
        async move {
            match binding.await {
                Ok(binding) => binding.ended(&state).await,
                // Never initialised: the protocol's own timeout ends the connection.
                Err(_) => std::future::pending().await,
            }
        }
    };
    let (closing_tx, closing_rx) = tokio::sync::oneshot::channel::<Closing>();
    let ended = async move {
        let closing = ended.await;
        if closing_tx.send(closing).is_err() {
            tracing::debug!("the GraphQL connection ended before its binding did");
        }
    };
    let (mut sink, stream) = socket.split();
    let stream = stream.take_until(ended);
    let init_state = state.clone();
    let ping_state = state.clone();
    GraphQLWebSocket::new_with_pair(&mut sink, stream, schema, protocol)
        .on_connection_init(move |payload| async move {
            let (data, binding) = connection_init(&init_state, payload).await?;
            if bound.send(binding).is_err() {
                tracing::debug!("the GraphQL connection closed while initialising");
            }
            Ok(data)
        })
        .on_ping(move |data, payload| {
            let binding = data
                .and_then(|data| data.get(&std::any::TypeId::of::<Arc<Binding>>()))
                .and_then(|binding| binding.downcast_ref::<Arc<Binding>>())
                .cloned();
            async move {
                let (Some(binding), Some(token)) = (binding, payload.as_ref().and_then(bearer_in))
                else {
                    return Ok(None);
                };
                let expires_at = binding
                    .refresh(&ping_state, &token)
                    .await
                    .map_err(|refused| async_graphql::Error::new(refused.to_string()))?;
                Ok(Some(serde_json::json!({"expires_at": expires_at})))
            }
        })
        .serve()
        .await;
    if let Ok(closing) = closing_rx.await {
        let (code, reason) = closing.frame();
        tracing::info!(?closing, "closing a GraphQL subscription connection");
        let close = axum::extract::ws::Message::Close(Some(axum::extract::ws::CloseFrame {
            code,
            reason: reason.into(),
        }));
        if sink.send(close).await.is_err() {
            tracing::debug!("the GraphQL connection was gone before its close frame");
        }
    }
}

/// The token of `{"Authorization": "Bearer <token>"}` (or `"token"`).
fn bearer_in(payload: &serde_json::Value) -> Option<String> {
    ["Authorization", "authorization", "token"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|value| value.as_str()))
        .map(|value| {
            value
                .strip_prefix("Bearer ")
                .unwrap_or(value)
                .trim()
                .to_owned()
        })
        .filter(|token| !token.is_empty())
}

async fn connection_init(
    state: &AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<(Data, Arc<Binding>)> {
    let token = bearer_in(&payload).ok_or_else(|| {
        async_graphql::Error::new("send {\"Authorization\": \"Bearer <token>\"} in connection_init")
    })?;
    let claims = crate::auth::authenticate(state, &token)
        .await
        .map_err(|error| error.detail)?;
    let organization = payload
        .get("organizationId")
        .and_then(|value| value.as_str())
        .map(parse_organization)
        .transpose()
        .map_err(|error| error.detail)?;
    let binding = Arc::new(Binding::new(&claims, organization));
    let mut data = Data::default();
    data.insert(Viewer {
        user: claims.user,
        organization,
    });
    data.insert(types::loaders(&state.store));
    data.insert(binding.clone());
    Ok((data, binding))
}

/// A problem as a GraphQL error: the message, and `code` and `status` extensions.
pub(crate) fn error(problem: ApiError) -> async_graphql::Error {
    let code = match problem.status.as_u16() {
        400 | 422 => "BAD_USER_INPUT",
        401 => "UNAUTHENTICATED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        429 => "RATE_LIMITED",
        _ => "INTERNAL_SERVER_ERROR",
    };
    async_graphql::Error::new(problem.detail).extend_with(|_, extensions| {
        extensions.set("code", code);
        extensions.set("status", problem.status.as_u16());
        if let Some(field) = &problem.field {
            extensions.set("field", field.as_str());
        }
    })
}

/// The caller's access to the organization a field reads, checked against `permission`.
pub(crate) async fn access(
    ctx: &Context<'_>,
    organization_id: Option<&ID>,
    permission: Permission,
) -> async_graphql::Result<OrgAccess> {
    let state = ctx.data::<AppState>()?;
    let viewer = ctx.data::<Viewer>()?;
    let named = match organization_id {
        Some(id) => Some(
            id.parse::<uuid::Uuid>()
                .map(OrgId)
                .map_err(|_| error(ApiError::not_found("no such organization")))?,
        ),
        None => viewer.organization,
    };
    let Org(access) = Org::resolve(state, viewer.user, named)
        .await
        .map_err(error)?;
    access.require(permission).map_err(error)?;
    Ok(access)
}

/// An id argument of a row: one that does not parse is unknown (404).
pub(crate) fn row_id<T: std::str::FromStr>(id: &ID, what: &str) -> async_graphql::Result<T> {
    id.parse::<T>().map_err(|_| {
        error(ApiError::not_found(format!(
            "no such {what} in this organization"
        )))
    })
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppState> {
    ctx.data::<AppState>()
}
