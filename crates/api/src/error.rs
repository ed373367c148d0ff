//! Errors at the edge: every failure a request can meet becomes an RFC 9457
//! `application/problem+json` body with the right status — 400/422 naming the field,
//! 401, 403, 404, 409, 413, 415, 429 — and never a 500 for bad input. A 500 says only
//! that something failed on our side; the cause goes to the log.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, OptionalFromRequest};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use companyos_store::StoreError;
use companyos_supervisors::RuntimeError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A problem, as the client sees it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// A short summary that does not change between occurrences.
    pub title: &'static str,
    /// What happened this time, in words a person can act on.
    pub detail: String,
    /// The request field at fault, for validation errors.
    pub field: Option<String>,
    /// Seconds to wait before retrying (429, 503): sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            title,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    /// Adds `Retry-After`.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// 422: a field's value is not acceptable.
    pub fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request field",
                detail,
            )
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Not authenticated", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "Not allowed", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the request failed on the server; it has been logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            field: self.field.as_deref(),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound { entity, .. } => {
                ApiError::not_found(format!("no such {entity} in this organization"))
            }
            StoreError::Conflict { entity, detail } => {
                // The database's words (constraint and table names) stay in the log.
                tracing::info!(%entity, %detail, "a request conflicted with a stored row");
                ApiError::conflict(format!(
                    "{} with the same name or key already exists",
                    conflict_noun(&entity)
                ))
            }
            StoreError::MembershipRefused(refusal) => ApiError::conflict(refusal.to_string()),
            StoreError::Invalid { field, reason } => ApiError::invalid(field, reason),
            StoreError::Refused { rule, detail } => {
                // The database's words (table and constraint names) stay in the log.
                tracing::info!(?rule, %detail, "the database refused a request's row");
                let (field, words) = match rule {
                    companyos_store::DbRule::Reference => (
                        "reference",
                        "refers to something that does not exist in this organization",
                    ),
                    companyos_store::DbRule::Check => {
                        ("value", "a value is outside what the field allows")
                    }
                    companyos_store::DbRule::Required => ("value", "a required value is missing"),
                };
                ApiError::invalid(field, words)
            }
            StoreError::InvalidTaskState {
                status, operation, ..
            } => ApiError::conflict(format!("cannot {operation} a task that is {status}")),
            StoreError::LeaseLost(_) => {
                ApiError::conflict("the task was taken over or cancelled meanwhile")
            }
            StoreError::InvalidCursor(_) => ApiError {
                field: Some("cursor".into()),
                ..ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "Invalid cursor",
                    "the cursor is not one this server returned; start again without it",
                )
            },
            other => {
                tracing::error!(error = %other, "request failed in the store");
                ApiError::internal()
            }
        }
    }
}

/// 422 naming `field` unless `value` is an absolute http(s) URL: a user-supplied URL
/// is shown to others (a logo, an avatar), so `javascript:`, `data:` and the like are
/// refused.
pub fn require_http_url(field: &str, value: &str) -> Result<(), ApiError> {
    let acceptable = value.len() <= 2048
        && reqwest::Url::parse(value).is_ok_and(|url| {
            matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|host| !host.is_empty())
        });
    if acceptable {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "must be an http:// or https:// address of at most 2048 characters",
        ))
    }
}

/// What a table's row is called in a message to a person.
fn conflict_noun(entity: &str) -> &'static str {
    match entity {
        "users" => "an account",
        "organizations" => "an organization",
        "organization_members" => "a membership",
        "agents" => "an agent",
        "schedules" => "a schedule",
        "integrations" => "an integration",
        "social_accounts" => "a social account",
        "invitations" => "an invitation",
        _ => "something",
    }
}

/// A JSON body whose rejections are problems too: 415 without a JSON content type, 400
/// for malformed JSON, 422 (naming the field) for JSON of the wrong shape, 413 past the
/// body limit.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(request.headers()) {
            return Err(json_problem(JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| json_problem(JsonRejection::BytesRejection(rejection)))?;
        if let Some(field) = nul_field(&bytes) {
            return Err(nul_problem(&field));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim)
        .is_some_and(|mime| {
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

/// 422: a NUL character is refused at the edge, naming where it was (PostgreSQL cannot
/// store one in text, and no field of ours needs one).
pub(crate) fn nul_problem(field: &str) -> ApiError {
    ApiError::invalid(field, "must not contain a NUL character (\\u0000)")
}

/// Where a JSON body carries a NUL character in a string or a key, as a dotted path
/// (`input.text`, `items.2`); `None` when it carries none. Cheap for the usual body:
/// only one that spells `\u0000` is parsed here.
pub(crate) fn nul_field(body: &[u8]) -> Option<String> {
    let spelled = body
        .windows(6)
        .any(|window| window[..2] == *b"\\u" && window[2..].iter().all(|byte| *byte == b'0'));
    if !spelled {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    nul_in_value(&value, "")
}

/// Where `value` holds a NUL character, as a dotted path under `path`.
pub(crate) fn nul_in_value(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".into()
        } else {
            path.to_owned()
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_in_value(item, &join(&index.to_string()))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "")))
            } else {
                nul_in_value(item, &join(key))
            }
        }),
        _ => None,
    }
}

/// An optional JSON body: none when the request has no `Content-Type` and no body.
impl<T, S> OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Option<Self>, ApiError> {
        let empty = !request.headers().contains_key(header::CONTENT_TYPE)
            && request
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_none_or(|length| length == "0");
        if empty {
            return Ok(None);
        }
        <ApiJson<T> as FromRequest<S>>::from_request(request, state)
            .await
            .map(Some)
    }
}

fn json_problem(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(error) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed JSON",
            format!("the body is not valid JSON: {}", error.body_text()),
        ),
        JsonRejection::JsonDataError(error) => {
            let text = error.body_text();
            // serde_path_to_error's "path: message" after axum's own prefix.
            let detail = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, rest)| rest)
                .to_owned();
            let field = detail
                .split_once(": ")
                .map(|(path, _)| path.to_owned())
                .filter(|path| !path.contains(' '));
            ApiError {
                field,
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid request field",
                    detail,
                )
            }
        }
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Body too large",
                "the request body exceeds the limit of 1 MiB",
            )
        }
        other => ApiError::new(other.status(), "Bad request", other.body_text()),
    }
}

/// The runtime's refusals as answers: what a caller can act on, and never the node's
/// internals (a supervisor's trouble is logged, the caller told to retry).
impl From<RuntimeError> for ApiError {
    fn from(error: RuntimeError) -> ApiError {
        match error {
            RuntimeError::Store(error) => error.into(),
            RuntimeError::UnknownAgentType(name) => ApiError::invalid(
                "type",
                format!(
                    "{name:?} is not an agent type of this node; GET /api/agents/types lists them"
                ),
            ),
            RuntimeError::AgentNotRunning(agent) => ApiError::conflict(format!(
                "agent {agent} is not running here (disabled, or hosted by another node)"
            )),
            // The agent's own words; a failed write is ours, logged and not shown.
            RuntimeError::Refused {
                reason: companyos_supervisors::AgentError::Behaviour(failure),
                ..
            } => ApiError::conflict(failure.to_string()),
            RuntimeError::Refused { agent, reason } => {
                tracing::error!(%agent, %reason, "an agent's tasks were not written");
                ApiError::internal()
            }
            RuntimeError::Timeout { timeout_ms, .. } => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "Agent timed out",
                format!("the agent did not answer within {timeout_ms} ms"),
            ),
            error @ RuntimeError::UnsupportedTaskType { .. } => {
                ApiError::invalid("task_type", error.to_string())
            }
            RuntimeError::InvalidSchedule(reason) => {
                ApiError::invalid("cron_expression", reason.to_string())
            }
            RuntimeError::InvalidConfiguration(reason) => {
                ApiError::invalid(&reason.pointer(), reason.to_string())
            }
            RuntimeError::Start(companyos_supervisors::StartError::Configuration {
                error, ..
            }) => ApiError::invalid(&error.pointer(), error.to_string()),
            RuntimeError::InvalidLlmConfiguration(reason) => ApiError::invalid(
                "configuration.llm",
                format!(
                    "{reason}; an agent may set enabled, model (one the operator allows), tokens_per_day, requests_per_minute and max_tokens (the provider, address and key are the node's)"
                ),
            ),
            RuntimeError::NotAllowed(refusal) => ApiError::forbidden(refusal.to_string()),
            RuntimeError::Command(
                refusal @ companyos_supervisors::CommandRefusal::AlreadyPublished,
            ) => ApiError::conflict(refusal.to_string()),
            RuntimeError::Command(
                refusal @ (companyos_supervisors::CommandRefusal::NotMerged(_)
                | companyos_supervisors::CommandRefusal::NotLive),
            ) => ApiError::conflict(refusal.to_string()),
            RuntimeError::Start(companyos_supervisors::StartError::Store(error)) => error.into(),
            RuntimeError::Start(companyos_supervisors::StartError::UnknownAgentType(name)) => {
                RuntimeError::UnknownAgentType(name).into()
            }
            RuntimeError::Start(error) => {
                tracing::error!(%error, "a supervisor could not start a child");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Runtime unavailable",
                    "the agent could not be started on this node; try again in a moment",
                )
                .retry_after(1)
            }
            RuntimeError::Remote { node, error } => match error {
                companyos_supervisors::RemoteError::Timeout { timeout_ms, .. } => ApiError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "Agent timed out",
                    format!("the agent did not answer within {timeout_ms} ms (on node {node})"),
                ),
                companyos_supervisors::RemoteError::AgentNotRunning { agent } => {
                    ApiError::conflict(format!("agent {agent} is not running (on node {node})"))
                }
                companyos_supervisors::RemoteError::Refused { reason, .. } => {
                    ApiError::conflict(reason)
                }
                companyos_supervisors::RemoteError::NotHosted { organization } => {
                    RuntimeError::HostedElsewhere {
                        organization,
                        node: None,
                    }
                    .into()
                }
                companyos_supervisors::RemoteError::Node { message } => {
                    tracing::warn!(%node, %message, "a peer could not serve a request");
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Runtime unavailable",
                        "the node that runs the organization could not serve the request; try again in a moment",
                    )
                    .retry_after(1)
                }
            },
            error @ RuntimeError::HostedElsewhere { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Organization runs elsewhere",
                format!(
                    "{error}; this request needs its agents and is not forwarded between nodes: send it to that node (GET /api/cluster lists them), or retry once the organization has moved"
                ),
            )
            .retry_after(1),
            RuntimeError::Tree(reason) => {
                tracing::warn!(%reason, "the supervision tree could not serve a request");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Runtime unavailable",
                    "the node's agents are restarting; try again in a moment",
                )
                .retry_after(1)
            }
        }
    }
}
