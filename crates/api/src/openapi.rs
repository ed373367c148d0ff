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
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ];
        for (method, operation) in operations {
            let (Some(operation), Some(access)) = (operation, crate::rbac::access_of(method, path))
            else {
                continue;
            };
            operation
                .extensions
                .get_or_insert_with(Default::default)
                .insert("x-permission".to_owned(), Value::from(access.name()));
        }
    }
    api
}

pub(crate) async fn serve(State(document): State<Arc<Value>>) -> impl IntoResponse {
    Json(document.as_ref().clone())
}

/// What the attributes of the routes' types cannot say: object and array item bounds,
/// and the cron form (a pattern built from parts).
pub fn constraints(document: &mut Value) {
    for pointer in [
        "Connect/properties/credentials",
        "ConnectAccount/properties/credentials",
    ] {
        constrain(document, pointer, "minProperties", Value::from(1));
    }
    let metric_type = "ReportRequest/properties/metric_types/items";
    constrain(document, metric_type, "minLength", Value::from(1));
    constrain(document, metric_type, "maxLength", Value::from(100));
    constrain(document, metric_type, "pattern", Value::from("\\S"));
    constrain(
        document,
        "CreateSchedule/properties/cron_expression",
        "pattern",
        Value::from(crate::rest::settings::CRON_PATTERN),
    );
}

/// The node's own vocabulary in the document: the agent types it runs and the task types
/// they perform, as the enums of the fields that name them.
pub fn for_node(document: &mut Value, registry: &companyos_supervisors::AgentTypeRegistry) {
    let mut agent_types: Vec<String> = registry.types().map(|kind| kind.name.clone()).collect();
    agent_types.sort();
    let mut task_types: Vec<String> = registry
        .types()
        .flat_map(|kind| kind.capabilities.iter().cloned())
        .collect();
    task_types.sort();
    task_types.dedup();
    for (pointer, values) in [
        ("CreateAgent/properties/type", &agent_types),
        ("CreateTask/properties/task_type", &task_types),
        ("CreateSchedule/properties/task_type", &task_types),
    ] {
        constrain(document, pointer, "enum", Value::from(values.clone()));
    }
}

/// Sets `key` of the schema at `pointer` under `components/schemas`, when it exists.
fn constrain(document: &mut Value, pointer: &str, key: &str, value: Value) {
    if let Some(Value::Object(schema)) =
        document.pointer_mut(&format!("/components/schemas/{pointer}"))
    {
        schema.insert(key.to_owned(), value);
    }
}
