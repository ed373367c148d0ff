//! The console at `/`. Until the console is built, a static page that says what the
//! node is and where its API lives.

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use crate::AppState;

const INDEX_HTML: &str = include_str!("../../../web/index.html");

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/", get(|| async { Html(INDEX_HTML) }))
}
