//! `/metrics`: the Prometheus text exposition of every metric of every crate, and the
//! edge's own — requests by route template, method and status class, and their latency.
//! The recorder is process-wide, installed once by the first router built.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS_TOTAL: &str = "companyos_http_requests_total";
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "companyos_http_request_duration_seconds";
pub const WS_CONNECTIONS: &str = "companyos_ws_connections";
pub const WS_DROPPED_TOTAL: &str = "companyos_ws_dropped_total";
pub const PASSWORD_VERIFICATIONS_TOTAL: &str = "companyos_auth_password_verifications_total";
pub const WEBHOOKS_REJECTED_TOTAL: &str = "companyos_webhooks_rejected_total";
pub const HTTP_CONNECTIONS_REFUSED_TOTAL: &str = "companyos_http_connections_refused_total";

/// Latency buckets for every `*_seconds` histogram: 1 ms to 30 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use. `None` when another
/// recorder was installed first (a test's), in which case `/metrics` says so.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .and_then(|builder| builder.install_recorder());
            match installed {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(%error, "Prometheus recorder not installed; /metrics is unavailable");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    companyos_supervisors::metrics::describe();
    metrics::describe_counter!(
        HTTP_REQUESTS_TOTAL,
        "HTTP requests, by method, route template and status class."
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "HTTP request latency, by method and route template."
    );
    metrics::describe_gauge!(WS_CONNECTIONS, "Open WebSocket connections on /ws.");
    metrics::describe_counter!(
        WS_DROPPED_TOTAL,
        "WebSocket clients dropped for not keeping up."
    );
    metrics::describe_counter!(
        PASSWORD_VERIFICATIONS_TOTAL,
        "Password checks at login, by account: existing (its hash) or missing (a dummy hash, so that both cost the same)."
    );
    metrics::describe_counter!(
        WEBHOOKS_REJECTED_TOTAL,
        "Webhook deliveries refused, by service and reason."
    );
    metrics::describe_counter!(
        HTTP_CONNECTIONS_REFUSED_TOTAL,
        "Connections closed at once because the node had http.max_connections open."
    );
}

pub(crate) async fn render(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(expected) = &state.auth.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compared whole, in time that does not depend on where they differ.
        let same = given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.bytes())
                .fold(0_u8, |diff, (a, b)| diff | (a ^ b))
                == 0;
        if !same {
            return crate::error::ApiError::unauthorized(
                "/metrics asks for the node's metrics token (metrics.token) as a bearer token",
            )
            .into_response();
        }
    }
    match handle() {
        Some(handle) => {
            let mut response = handle.render().into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        }
        None => crate::error::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "Metrics unavailable",
            "another metrics recorder is installed in this process",
        )
        .into_response(),
    }
}

/// Counts and times every request by its route template (`/api/organizations/{id}/members`,
/// never the concrete path, so the label set stays small).
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let class = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!(
        HTTP_REQUESTS_TOTAL,
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => class
    )
    .increment(1);
    metrics::histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        "method" => method,
        "route" => route
    )
    .record(started.elapsed().as_secs_f64());
    response
}
