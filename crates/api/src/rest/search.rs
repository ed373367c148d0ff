//! Search: `GET /api/search?q=` over the organization's events, pull requests, review
//! findings, deployments, design components and social posts: by words (see
//! `companyos_store::Search`), and by meaning too when an embeddings endpoint is
//! configured (see `companyos_supervisors::semantic`).

use axum::Json;
use axum::extract::State;
use companyos_store::MAX_SEARCH_HITS;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::graphql::types as mirror;
use crate::openapi::Problem;
use crate::params::Query;
use crate::rbac::{Org, Permission};
use crate::views;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// The longest query read.
pub(crate) const MAX_QUERY_CHARS: usize = 200;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// What to look for: words (all must match; the last also as the start of a word)
    #[param(required = true, min_length = 1, max_length = 200, pattern = "\\S")]
    q: Option<String>,
    /// Only documents of this kind
    kind: Option<mirror::SearchKind>,
    /// At most this many hits (1–50, default 20)
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u32>,
}

/// Checks a search as both edges take it: the query 1 to 200 characters, the limit 1 to
/// 50.
pub(crate) fn checked(query: &str, limit: Option<u32>) -> Result<(String, u32), ApiError> {
    if query.chars().count() > MAX_QUERY_CHARS || query.trim().is_empty() {
        return Err(ApiError::invalid(
            "q",
            format!("1 to {MAX_QUERY_CHARS} characters, not only spaces"),
        ));
    }
    let limit = limit.unwrap_or(20);
    if !(1..=MAX_SEARCH_HITS).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("1 to {MAX_SEARCH_HITS}"),
        ));
    }
    Ok((query.trim().to_owned(), limit))
}

#[utoipa::path(get, path = "/api/search", tag = "analytics", summary = "Search the organization's events, pull requests, findings, deployments, components and posts, by words and (with an embeddings endpoint) by meaning", params(SearchParams), responses((status = 200, description = "The documents found, best first", body = views::SearchResults), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn search(
    State(state): State<AppState>,
    Org(access): Org,
    Query(params): Query<SearchParams>,
) -> Result<Json<views::SearchResults>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let (query, limit) = checked(params.q.as_deref().unwrap_or_default(), params.limit)?;
    let outcome = state
        .runtime
        .search(
            access.organization,
            &query,
            params.kind.map(companyos_store::SearchKind::from),
            limit,
        )
        .await?;
    Ok(Json(views::SearchResults {
        query,
        mode: outcome.mode.into(),
        hits: outcome
            .hits
            .into_iter()
            .map(views::SearchHit::from)
            .collect(),
    }))
}
