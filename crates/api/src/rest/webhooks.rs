//! `POST /api/webhooks/{service}/receive`, the public entry for the services' webhook
//! deliveries. Verifying each vendor's signature scheme belongs to the integrations
//! crate; until it is wired here, the route refuses what it cannot verify: an unknown
//! service is a 404, a delivery without the service's signature header a 401, and a
//! signed one a 501 — nothing unverified is ever accepted.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};

use companyos_store::Service;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::Problem;
use crate::rest::integrations::service;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive))
}

/// Where each service puts the proof that a delivery is its own.
fn signature_header(service: Service) -> Option<&'static str> {
    match service {
        Service::Github => Some("x-hub-signature-256"),
        Service::Slack => Some("x-slack-signature"),
        Service::Vercel => Some("x-vercel-signature"),
        Service::Twitter => Some("x-twitter-webhooks-signature"),
        Service::Linkedin => Some("x-li-signature"),
        // Figma sends its passcode inside the JSON body.
        Service::Figma => None,
    }
}

#[utoipa::path(post, path = "/api/webhooks/{service}/receive", tag = "webhooks", summary = "A service's signed webhook delivery", params(("service" = String, Path, description = "github, vercel, figma, slack, twitter or linkedin")), responses((status = 202, description = "A service's signed webhook delivery"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn receive(
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let service = service(&raw)?;
    let signed = match signature_header(service) {
        Some(header) => headers.contains_key(header),
        None => serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|value| value.get("passcode").is_some()),
    };
    if !signed {
        let proof = signature_header(service).unwrap_or("a passcode in the body");
        return Err(ApiError::unauthorized(format!(
            "a {service} delivery must be signed ({proof})"
        )));
    }
    Err(ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "Not verifiable yet",
        format!("this node cannot verify {service} signatures yet; the delivery was not accepted"),
    ))
}
