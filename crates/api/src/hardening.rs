//! What every answer and every request goes through, whatever the route:
//!
//! - A NUL character in the path or a query parameter is refused with a 422 naming
//!   the parameter (PostgreSQL cannot store one in text; no parameter of ours needs
//!   one). JSON bodies are checked by `ApiJson`, GraphQL requests by the GraphQL
//!   handler.
//! - HTML answers (the console, GraphiQL) carry a Content-Security-Policy that allows
//!   only the node's own scripts, styles and connections, and frame protection;
//!   every answer carries `X-Content-Type-Options: nosniff` and a `Referrer-Policy`.
//! - API answers (`/api`, `/graphql`) are `Cache-Control: no-store`: they carry tokens
//!   and an organization's data, which no cache should keep.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::nul_problem;

/// The policy of every HTML page the node serves: its own scripts and styles only (no
/// third-party CDN, no inline script), connections to itself (including WebSockets),
/// images from itself and data URLs, and never inside a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; \
     connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; \
     object-src 'none'";

pub(crate) async fn guard(request: Request, next: Next) -> Response {
    if let Some(field) = nul_in_uri(request.uri()) {
        return nul_problem(&field).into_response();
    }
    let api = {
        let path = request.uri().path();
        path.starts_with("/api/") || path == "/graphql"
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The query parameter (or `path`) that carries a NUL character, percent-encoded.
fn nul_in_uri(uri: &axum::http::Uri) -> Option<String> {
    if uri.path().contains("%00") {
        return Some("path".into());
    }
    let query = uri.query()?;
    if !query.contains("%00") {
        return None;
    }
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', ""))
        .or_else(|| Some("query".into()))
}

#[cfg(test)]
mod tests {
    use super::nul_in_uri;

    #[test]
    fn a_nul_in_a_parameter_is_named() {
        let uri = |text: &str| text.parse::<axum::http::Uri>().expect("uri");
        assert_eq!(nul_in_uri(&uri("/api/agents?status=idle")), None);
        assert_eq!(
            nul_in_uri(&uri("/api/agents?status=id%00le&limit=2")),
            Some("status".into())
        );
        assert_eq!(nul_in_uri(&uri("/api/agents/%00")), Some("path".into()));
    }
}
