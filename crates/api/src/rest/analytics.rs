//! Analytics: the dashboard (tasks and agents by status, recent deployments and
//! events), one metric type's series and summary over a time range, the event log
//! (filtered, paged), and reports summarising several metric types at once.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use companyos_store::{DeploymentFilter, EventFilter, PageRequest};
use serde::Deserialize;

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiJson};
use crate::openapi::Problem;
use crate::params::{Paged, Paging, Query, Text, Time, text, time};
use crate::rbac::{Org, OrgAccess, Permission};
use crate::views;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(metric))
        .routes(routes!(events))
        .routes(routes!(report))
        .routes(routes!(delivery))
        .routes(routes!(risks))
        .routes(routes!(content_forecasts))
}

/// The range a metric query covers when none is given.
const DEFAULT_RANGE_DAYS: i64 = 30;
const REPORT_MAX_TYPES: usize = 50;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    /// 1 to 50 metric types, each 1 to 100 characters.
    #[schema(min_items = 1, max_items = 50)]
    metric_types: Vec<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// `[from, to)`, defaulting to the 30 days before `now` (the store's clock); `from` must
/// come before `to`.
pub(crate) fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = to.unwrap_or(now);
    let from = match from {
        Some(from) => from,
        None => to
            .checked_sub_signed(Duration::days(DEFAULT_RANGE_DAYS))
            .ok_or_else(|| {
                ApiError::invalid(
                    "to",
                    format!("is too early to count {DEFAULT_RANGE_DAYS} days back from"),
                )
            })?,
    };
    if from >= to {
        return Err(ApiError::invalid("from", "must be earlier than to"));
    }
    Ok((from, to))
}

fn metric_type(raw: &str) -> Result<&str, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > 100 {
        return Err(ApiError::invalid("metric_type", "1 to 100 characters"));
    }
    Ok(raw)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RangeParams {
    /// Start (RFC 3339); 30 days before `to` when absent
    #[param(value_type = Option<DateTime<Utc>>)]
    from: Option<Time>,
    /// End, exclusive (RFC 3339); now when absent
    #[param(value_type = Option<DateTime<Utc>>)]
    to: Option<Time>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventParams {
    /// Only events of this type
    #[serde(rename = "type")]
    #[param(value_type = Option<String>, max_length = 100)]
    event_type: Option<Text<100>>,
    /// Only events from this source
    #[param(value_type = Option<String>, max_length = 100)]
    source: Option<Text<100>>,
    /// Created at or after (RFC 3339)
    #[param(value_type = Option<DateTime<Utc>>)]
    created_after: Option<Time>,
    /// Created before (RFC 3339)
    #[param(value_type = Option<DateTime<Utc>>)]
    created_before: Option<Time>,
    /// Only what this member did (the audit trail is `source=audit`)
    actor_id: Option<uuid::Uuid>,
}

#[utoipa::path(get, path = "/api/analytics/dashboard", tag = "analytics", summary = "Tasks and agents by status, recent deployments and events", responses((status = 200, description = "Tasks and agents by status, recent deployments and events", body = views::Dashboard), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn dashboard(
    State(state): State<AppState>,
    Org(access): Org,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let org = access.organization;
    let tasks: BTreeMap<String, i64> = state
        .store
        .tasks()
        .count_by_status(org)
        .await?
        .into_iter()
        .map(|(status, count)| (status.as_str().to_owned(), count))
        .collect();
    let mut agents: BTreeMap<String, i64> = BTreeMap::new();
    for agent in state.store.agents().list_all(org).await? {
        *agents.entry(agent.status.as_str().to_owned()).or_default() += 1;
    }
    let deployments = state
        .store
        .deployments()
        .list(org, &DeploymentFilter::default(), &PageRequest::first(5))
        .await?
        .items;
    let events = state
        .store
        .events()
        .list(org, &EventFilter::default(), &PageRequest::first(10))
        .await?
        .items;
    Ok(Json(views::Dashboard {
        organization_id: org,
        tasks_by_status: tasks,
        agents_by_status: agents,
        recent_deployments: deployments
            .into_iter()
            .map(views::Deployment::from)
            .collect(),
        recent_events: events.into_iter().map(views::Event::from).collect(),
    }))
}

async fn summarise(
    state: &AppState,
    access: &OrgAccess,
    metric_type: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<views::MetricSummary, ApiError> {
    let summary = state
        .store
        .metrics()
        .summary(access.organization, metric_type, from, to)
        .await?;
    Ok(summary.into())
}

#[utoipa::path(get, path = "/api/analytics/metrics/{metric_type}", tag = "analytics", summary = "One metric type's points and summary", params(("metric_type" = String, Path, description = "e.g. deployment_frequency"), RangeParams), responses((status = 200, description = "One metric type's points and summary", body = views::MetricSeries), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn metric(
    State(state): State<AppState>,
    Org(access): Org,
    Path(raw): Path<String>,
    Query(params): Query<RangeParams>,
) -> Result<Json<views::MetricSeries>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let metric_type = metric_type(&raw)?;
    let (from, to) = range(time(params.from), time(params.to), state.store.now())?;
    let points = state
        .store
        .metrics()
        .series(access.organization, metric_type, from, to)
        .await?;
    let summary = summarise(&state, &access, metric_type, from, to).await?;
    Ok(Json(views::MetricSeries {
        metric_type: metric_type.to_owned(),
        from,
        to,
        summary,
        points: points.into_iter().map(views::MetricPoint::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/analytics/events", tag = "analytics", summary = "The event log, newest first", params(EventParams, Paging), responses((status = 200, description = "The event log, newest first", body = views::Page<views::Event>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn events(
    State(state): State<AppState>,
    Org(access): Org,
    Paged { filter, page }: Paged<EventParams>,
) -> Result<Json<views::Page<views::Event>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = EventFilter {
        event_type: text(filter.event_type),
        event_source: text(filter.source),
        created_after: time(filter.created_after),
        created_before: time(filter.created_before),
        actor_id: filter.actor_id,
    };
    let found = state
        .store
        .events()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(views::Page::of(found)))
}

#[utoipa::path(post, path = "/api/analytics/reports", tag = "analytics", summary = "Summaries of several metric types over a range", request_body = ReportRequest, responses((status = 200, description = "Summaries of several metric types over a range", body = views::Report), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn report(
    State(state): State<AppState>,
    Org(access): Org,
    ApiJson(body): ApiJson<ReportRequest>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    if body.metric_types.is_empty() || body.metric_types.len() > REPORT_MAX_TYPES {
        return Err(ApiError::invalid(
            "metric_types",
            format!("name 1 to {REPORT_MAX_TYPES} metric types"),
        ));
    }
    let (from, to) = range(body.from, body.to, state.store.now())?;
    let mut metrics = BTreeMap::new();
    for raw in &body.metric_types {
        let metric_type = metric_type(raw).map_err(|_| {
            ApiError::invalid("metric_types", "each metric type is 1 to 100 characters")
        })?;
        let summary = summarise(&state, &access, metric_type, from, to).await?;
        metrics.insert(metric_type.to_owned(), summary);
    }
    Ok(Json(views::Report {
        organization_id: access.organization,
        from,
        to,
        metrics,
        generated_at: Utc::now(),
    }))
}

#[utoipa::path(get, path = "/api/analytics/delivery", tag = "analytics", summary = "The DORA keys (overall and per project, with their bands) and the business metrics of a range, computed now", params(RangeParams), responses((status = 200, description = "The DORA keys and the business metrics of the range", body = views::DeliveryReport), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn delivery(
    State(state): State<AppState>,
    Org(access): Org,
    Query(params): Query<RangeParams>,
) -> Result<Json<views::DeliveryReport>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let (from, to) = range(time(params.from), time(params.to), state.store.now())?;
    if to - from > Duration::days(MAX_DELIVERY_DAYS) {
        return Err(ApiError::invalid(
            "from",
            format!("a delivery report covers at most {MAX_DELIVERY_DAYS} days"),
        ));
    }
    let report = companyos_supervisors::analysts::delivery_report(
        &state.store,
        access.organization,
        from,
        to,
    )
    .await?;
    Ok(Json(report.into()))
}

/// The longest range a delivery report covers.
const MAX_DELIVERY_DAYS: i64 = 366;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RiskParams {
    /// Only assessments of deployments or of pull requests
    subject: Option<crate::graphql::types::RiskSubject>,
    /// At most this many, newest first (1–500, default 200)
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/analytics/risks", tag = "analytics", summary = "The latest risk assessments of deployments and pull requests, newest first", params(RiskParams), responses((status = 200, description = "The latest risk assessments", body = views::Page<views::RiskAssessment>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn risks(
    State(state): State<AppState>,
    Org(access): Org,
    Query(params): Query<RiskParams>,
) -> Result<Json<views::Page<views::RiskAssessment>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let limit = params.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 500"));
    }
    let rows = state
        .store
        .risks()
        .recent(
            access.organization,
            params.subject.map(companyos_store::RiskSubject::from),
            limit,
        )
        .await?;
    Ok(Json(views::Page::all(rows)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ForecastParams {
    /// At most this many, newest first (1–500, default 200)
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/analytics/content-forecasts", tag = "analytics", summary = "The latest forecasts of draft and scheduled social posts, newest first", params(ForecastParams), responses((status = 200, description = "The latest content forecasts", body = views::Page<views::ContentForecast>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn content_forecasts(
    State(state): State<AppState>,
    Org(access): Org,
    Query(params): Query<ForecastParams>,
) -> Result<Json<views::Page<views::ContentForecast>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let limit = params.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 500"));
    }
    let rows = state
        .store
        .forecasts()
        .recent(access.organization, limit)
        .await?;
    Ok(Json(views::Page::all(rows)))
}
