//! Connected services: list, read, connect (credentials sealed with the node's master
//! key before they reach the store; never returned), disconnect, status, and `sync`,
//! which enqueues a `sync_integration` task for the service's watcher agent; the watcher
//! hands it to the integration's adapter, which calls the service's API.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use companyos_store::{Integration, Service, WebhookSetup};
use serde::Deserialize;
use serde_json::{Value, json};

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiJson};
use crate::openapi::Problem;
use crate::params::{NoParams, Query};
use crate::rbac::{Org, Permission};
use crate::rest::{accepted, ask};
use crate::views;
use companyos_supervisors::Command;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(connect))
        .routes(routes!(disconnect))
        .routes(routes!(sync))
        .routes(routes!(status))
}

/// A service named in a path; an unknown one is a 404 that lists the known ones.
pub(crate) fn service(raw: &str) -> Result<Service, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::not_found(format!(
            "no service {raw:?}; CompanyOS connects {}",
            Service::ALL
                .iter()
                .map(|service| service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Connect {
    /// What the service needs to be called (tokens, team ids…): sealed, never returned.
    #[schema(value_type = Object)]
    credentials: serde_json::Map<String, Value>,
    /// The secret the service signs its webhooks with (signing secret, passcode or
    /// consumer secret): sealed with the credentials. Not empty when given.
    #[schema(min_length = 1, pattern = "\\S")]
    webhook_secret: Option<String>,
    /// Public details to keep with the integration (account name, team…).
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Map<String, Value>>,
}

/// The integration as its organization reads it; with its `webhook_url` for those who
/// manage integrations (the URL's token is a capability: it reaches the webhook
/// entry).
fn integration_view(
    state: &AppState,
    access: &crate::rbac::OrgAccess,
    headers: &HeaderMap,
    integration: Integration,
) -> views::Integration {
    let manager = Permission::ManageIntegrations.allows(access.role);
    let webhook_url = integration
        .webhook_token
        .as_deref()
        .filter(|_| manager)
        .and_then(|token| {
            state
                .webhooks
                .webhook_url(headers, integration.service, token)
        });
    let webhook_secret_set = manager.then_some(integration.webhook_secret_encrypted.is_some());
    let mut view = views::Integration {
        webhook_url,
        webhook_secret_set,
        ..views::Integration::from(integration)
    };
    if !manager && let Some(metadata) = view.metadata.as_object_mut() {
        // Who is whom in Slack (e-mail addresses) is for those who keep the mapping.
        metadata.remove("slack_users");
    }
    view
}

/// Starts or stops the organization's adapters to match what is connected. The change
/// itself is stored already: a runtime that cannot follow now picks it up when the
/// organization next starts.
async fn adapters_changed(state: &AppState, org: companyos_store::OrgId) {
    if let Err(error) = state.runtime.integrations_changed(org).await {
        tracing::warn!(%org, %error, "adapters not updated for the integration change");
    }
}

#[utoipa::path(get, path = "/api/integrations", tag = "integrations", summary = "Connected services", responses((status = 200, description = "Connected services", body = views::Page<views::Integration>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    Org(access): Org,
    headers: HeaderMap,
    _: Query<NoParams>,
) -> Result<Json<views::Page<views::Integration>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let items = state
        .store
        .integrations()
        .list(access.organization)
        .await?
        .into_iter()
        .map(|integration| integration_view(&state, &access, &headers, integration))
        .collect();
    Ok(Json(views::Page {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(get, path = "/api/integrations/{service}", tag = "integrations", summary = "One connected service", params(("service" = crate::graphql::types::Service, Path, description = "github, vercel, figma, slack, twitter or linkedin")), responses((status = 200, description = "One connected service", body = views::Integration), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn read(
    State(state): State<AppState>,
    Org(access): Org,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let integration = state
        .store
        .integrations()
        .get(access.organization, service(&raw)?)
        .await?;
    Ok(Json(integration_view(
        &state,
        &access,
        &headers,
        integration,
    )))
}

#[utoipa::path(post, path = "/api/integrations/{service}/connect", tag = "integrations", summary = "Connect a service (credentials are sealed, never returned)", params(("service" = crate::graphql::types::Service, Path, description = "github, vercel, figma, slack, twitter or linkedin")), request_body = Connect, responses((status = 201, description = "Connect a service (credentials are sealed, never returned)", body = views::Connected), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn connect(
    State(state): State<AppState>,
    Org(access): Org,
    Path(raw): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Connect>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrationSecrets)?;
    let service = service(&raw)?;
    if body.credentials.is_empty() {
        return Err(ApiError::invalid(
            "credentials",
            format!(
                "give the {service} credentials CompanyOS should use (an access token, for example)"
            ),
        ));
    }
    if body
        .webhook_secret
        .as_deref()
        .is_some_and(|secret| secret.trim().is_empty())
    {
        return Err(ApiError::invalid(
            "webhook_secret",
            "must not be empty when given",
        ));
    }
    // Checked before anything is saved: the URL the service will be given must be
    // this node's, never one a request's Host header made up.
    if state.webhooks.webhook_url(&headers, service, "").is_none() {
        return Err(ApiError::conflict(
            "this node does not know the address services reach it at, and the request's Host is not one of its own: set public_url (COMPANYOS_PUBLIC_URL) to the node's public address, or connect through the node's own address",
        ));
    }
    let sealed = state
        .keys
        .seal_json(&json!({"credentials": body.credentials}));
    let secret = body
        .webhook_secret
        .as_deref()
        .map(|secret| state.keys.seal(secret.as_bytes()));
    // Kept by a reconnection: the URL given to the service stays valid.
    let token = crate::auth::random_hex(32);
    let agents = state
        .runtime
        .agents_for_connection(access.organization, service)
        .await?;
    let (integration, agents) = state
        .store
        .integrations()
        .connect_with_agents(
            access.organization,
            service,
            &sealed,
            Value::Object(body.metadata.unwrap_or_default()),
            WebhookSetup {
                token: &token,
                secret_encrypted: secret.as_deref(),
            },
            agents,
        )
        .await?;
    // A new row is created and updated at the same moment; a reconnected one was
    // created earlier.
    let reconnecting = integration.created_at != integration.updated_at;
    state.webhooks.forget_tokens();
    adapters_changed(&state, access.organization).await;
    // The rows are written; each agent starts now (one that cannot start here is
    // started with its organization's tree, as every agent in the table is).
    let mut started = Vec::with_capacity(agents.len());
    for agent in agents {
        if let Err(error) = state.runtime.adopt_agent(&agent).await {
            tracing::warn!(%error, agent = %agent.id, "a default agent was written but not started yet");
        }
        started.push(views::StartedAgent {
            id: agent.id,
            name: agent.name,
            agent_type: agent.agent_type,
        });
    }
    if reconnecting {
        // New credentials are tried at once: the card shows their first sync rather than
        // the failure of the old ones.
        let sync = ask(&state, &access, Command::SyncIntegration(service)).await;
        if let Err(error) = sync {
            tracing::warn!(%service, detail = %error.detail, "no sync after reconnecting");
        }
    }
    let audit = crate::audit::Audit {
        action: "integration.connected",
        resource_type: companyos_store::ResourceKind::Integration,
        resource_id: integration.id.0,
        what: format!(
            "{} {service}",
            if reconnecting {
                "reconnected"
            } else {
                "connected"
            }
        ),
        via: "console",
    };
    crate::audit::record(&state, &access, audit).await;
    let answer = views::Connected {
        integration: integration_view(&state, &access, &headers, integration),
        agents_started: started,
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

#[utoipa::path(delete, path = "/api/integrations/{service}/disconnect", tag = "integrations", summary = "Disconnect a service", params(("service" = crate::graphql::types::Service, Path, description = "github, vercel, figma, slack, twitter or linkedin")), responses((status = 204, description = "Disconnect a service"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn disconnect(
    State(state): State<AppState>,
    Org(access): Org,
    Path(raw): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrationSecrets)?;
    let service = service(&raw)?;
    let integration = state
        .store
        .integrations()
        .get(access.organization, service)
        .await?;
    state
        .store
        .integrations()
        .disconnect(access.organization, service)
        .await?;
    state.webhooks.forget_tokens();
    adapters_changed(&state, access.organization).await;
    let audit = crate::audit::Audit {
        action: "integration.disconnected",
        resource_type: companyos_store::ResourceKind::Integration,
        resource_id: integration.id.0,
        what: format!("disconnected {service}"),
        via: "console",
    };
    crate::audit::record(&state, &access, audit).await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/integrations/{service}/sync", tag = "integrations", summary = "Enqueue a sync task for the service's watcher agent", params(("service" = crate::graphql::types::Service, Path, description = "github, vercel, figma, slack, twitter or linkedin")), responses((status = 202, description = "Enqueue a sync task for the service's watcher agent", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn sync(
    State(state): State<AppState>,
    Org(access): Org,
    Path(raw): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrations)?;
    let service = service(&raw)?;
    let task = ask(&state, &access, Command::SyncIntegration(service)).await?;
    Ok(accepted(task))
}

#[utoipa::path(get, path = "/api/integrations/{service}/status", tag = "integrations", summary = "Connection status and last sync", params(("service" = crate::graphql::types::Service, Path, description = "github, vercel, figma, slack, twitter or linkedin")), responses((status = 200, description = "Connection status and last sync", body = views::ConnectionStatus), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn status(
    State(state): State<AppState>,
    Org(access): Org,
    Path(raw): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let service = service(&raw)?;
    let integration = state
        .store
        .integrations()
        .get(access.organization, service)
        .await?;
    Ok(Json(views::ConnectionStatus {
        service: service.into(),
        connected: true,
        status: integration.status.into(),
        last_sync_at: integration.last_sync_at,
    }))
}
