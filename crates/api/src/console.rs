//! The console at `/`: the built web app (`web/dist`), embedded in the binary by the
//! build script, or read from a directory (`console.dir`, for working on the console
//! without rebuilding the node). A path outside the node's own prefixes that names no
//! file is answered with `index.html`, so the console's routes work on reload; paths
//! under `/api` (and the other prefixes) never are. When the console was not built, `/`
//! says how to build it.

use std::path::PathBuf;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// Where the console's files come from.
#[derive(Clone, Debug, Default)]
pub enum ConsoleSource {
    /// Built into the binary.
    #[default]
    Embedded,
    /// Read from this directory at each request.
    Directory(PathBuf),
}

/// Paths that belong to the node, never to the console.
const NODE_PREFIXES: [&str; 6] = ["/api", "/graphql", "/ws", "/metrics", "/healthz", "/readyz"];

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>CompanyOS</title></head><body><h1>CompanyOS</h1><p>This node was built without its \
console. Build it with <code>npm ci --prefix web &amp;&amp; npm run build --prefix web</code> \
and rebuild the node (or point <code>console.dir</code> at <code>web/dist</code>). The API \
is at <a href=\"/api/openapi.json\">/api/openapi.json</a> and GraphQL at \
<code>/graphql</code>.</p></body></html>";

/// The console's files, compressed (brotli or gzip, as the browser accepts) — its
/// scripts shrink to a fraction of their size.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .fallback(serve)
        .layer(tower_http::compression::CompressionLayer::new())
}

async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    if NODE_PREFIXES
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
    {
        return crate::error::ApiError::not_found(format!("no route {path} on this node"))
            .into_response();
    }
    let relative = path.trim_start_matches('/');
    if let Some(response) = file(&state.console, relative).await {
        return response;
    }
    match file(&state.console, "index.html").await {
        Some(response) => response,
        None => (StatusCode::OK, Html(NOT_BUILT)).into_response(),
    }
}

/// The file at `relative` (never outside the console's files), with its type and
/// caching: hashed assets for a year, everything else revalidated.
async fn file(source: &ConsoleSource, relative: &str) -> Option<Response> {
    if relative.is_empty()
        || relative
            .split('/')
            .any(|part| part == ".." || part.is_empty())
    {
        return None;
    }
    let bytes: Vec<u8> = match source {
        ConsoleSource::Embedded => embedded::ASSETS
            .iter()
            .find(|(name, _)| *name == relative)
            .map(|(_, bytes)| bytes.to_vec())?,
        ConsoleSource::Directory(directory) => {
            tokio::fs::read(directory.join(relative)).await.ok()?
        }
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime(relative)),
    );
    let cache = if relative.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(response)
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::mime;

    #[test]
    fn files_are_served_with_their_type() {
        assert_eq!(mime("index.html"), "text/html; charset=utf-8");
        assert_eq!(mime("assets/app-1f2e.js"), "text/javascript; charset=utf-8");
        assert_eq!(mime("unknown"), "application/octet-stream");
    }
}
