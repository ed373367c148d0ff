//! The OpenAPI 3.1 document of the REST surface, served at `/api/openapi.json`. It is
//! generated from the handlers themselves: every route is registered through
//! `utoipa_axum`'s router together with its `#[utoipa::path]` description, so a route
//! cannot exist without being documented.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};

/// An error, as every failing route answers it (`application/problem+json`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// Always `about:blank`.
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    /// What happened, in words a person can act on.
    detail: String,
    /// The request field at fault, for validation errors.
    field: Option<String>,
}

/// A JSON object (the row or result the route describes).
#[derive(ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
pub struct Object(Value);

/// A page of a list: newest first; `next_cursor` is absent on the last page.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Page {
    items: Vec<Object>,
    /// Pass as `cursor` to read the next page.
    next_cursor: Option<String>,
}

/// Completes the generated document: title, version, the bearer scheme.
pub fn finish(mut api: OpenApi) -> OpenApi {
    api.info = InfoBuilder::new()
        .title("CompanyOS")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The REST API of a CompanyOS node. Authenticate with `Authorization: Bearer <access token>` \
             (from `POST /api/auth/login`). Routes without an organization in their path act on the \
             organization named by the `X-Organization-Id` header (optional for a member of one \
             organization). Errors are `application/problem+json`.",
        ))
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    api.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    api
}

pub(crate) async fn serve(State(document): State<Arc<Value>>) -> impl IntoResponse {
    Json(document.as_ref().clone())
}
