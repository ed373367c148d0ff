//! `/api/webhooks/{service}/receive`, the public entry for the services' webhook
//! deliveries. The URL's `token` (handed out as `webhook_url` when the integration is
//! connected) names the organization's integration; its webhook secret verifies the
//! delivery with the vendor's own scheme (`companyos_integrations::webhooks`).
//!
//! A delivery is answered in this order, and nothing is read or kept before its check:
//! an unknown service or token is a 404; a declared length over
//! `webhooks.max_body_bytes` a 413; missing signature headers (or Slack's stale
//! timestamp) a 401 **before the body is read**; the body is then read within the size
//! limit (413 as soon as it is passed) and within the node's budget of buffered webhook
//! bytes (`webhooks.max_buffered_bytes`, charged as bytes arrive, with shares per
//! integration and per client address: 503 with `Retry-After` past it, so a flood of
//! large bodies cannot exhaust memory nor one tenant's URL starve the others), at a
//! minimum rate (`webhooks.min_body_rate`, 408 below it after a grace period); a signature that does not verify is a 401, as
//! is a body that was answered as an X or LinkedIn challenge (see below); the vendors'
//! handshakes (GitHub's `ping`, Slack's `url_verification`) are answered at once; a
//! signed body that is not JSON is kept as `malformed` and answered 400; every other
//! delivery is written (raw body, the headers that matter, its delivery key) **before**
//! the 202 — a redelivery of the same key gets 200 and is not processed twice — and
//! handed to the integration's adapter, which makes the event. Every refusal is logged
//! at warn with its reason and counted in `companyos_webhooks_rejected_total`.
//!
//! `GET` on the same URL answers X's CRC (`crc_token`) and LinkedIn's validation
//! (`challengeCode`). Those answers are MACs under the same secret deliveries are
//! signed with, so the endpoint would be a signing oracle: it answers only
//! token-shaped inputs, at most [`CHALLENGES_PER_MINUTE`] an integration, and remembers
//! each input's hash for [`CHALLENGE_MEMORY`] (longer than the vendors' re-validation
//! periods) — a delivery whose signed message was answered as a challenge is refused.
//!
//! Deliveries are written by a group commit ([`DeliveryWriter`]): requests that arrive
//! while a write is under way are written together, in one statement and one commit,
//! and each is answered only once its row is committed. Under load that turns one
//! commit per delivery into one per batch; alone, a delivery is written at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use companyos_integrations::{normalise, webhooks};
use companyos_store::archive::ArchivedDelivery;
use companyos_store::{
    DeliveryId, DeliveryStatus, IntegrationId, NewDelivery, OrgId, Recorded, Service, Store,
    StoreError,
};
use companyos_supervisors::InHand;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::Problem;
use crate::rate_limit::ClientAddress;
use crate::rest::integrations::service;
use crate::rest::webhook_budget::{Budget, Held, Short, UNIT};

/// GitHub caps webhook payloads at 25 MB; no vendor sends more.
pub const DEFAULT_MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
/// Webhook bodies held in memory at once, across all requests, unless configured.
pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 100 * 1024 * 1024;
/// Challenges answered per integration and minute, at most (X re-validates hourly,
/// LinkedIn every few hours: a handful is plenty).
pub const CHALLENGES_PER_MINUTE: u32 = 10;
/// How long an answered challenge input is remembered (X and LinkedIn re-validate
/// within hours).
pub const CHALLENGE_MEMORY: chrono::Duration = chrono::Duration::days(7);
/// How long a resolved webhook token is trusted without reading the database again.
const TOKEN_TTL: Duration = Duration::from_secs(5);
/// Resolved tokens kept at most (the cache is emptied past it).
const TOKEN_CACHE_LIMIT: usize = 10_000;

/// How this node receives webhooks.
pub struct WebhookConfig {
    /// The base URL the services reach this node at (`public_url`), for `webhook_url`.
    /// When it is not set, a webhook URL is built only for a request whose `Host` is
    /// this node's own address (`trusted_hosts`): a Host header is the client's to
    /// choose, and a URL built from `Host: evil.example` would send deliveries there.
    pub public_url: Option<String>,
    /// Hosts (`host` or `host:port`) a webhook URL may be built from when `public_url`
    /// is not set: loopback names, and the address the node listens on.
    pub trusted_hosts: Vec<String>,
    pub max_body_bytes: usize,
    /// Webhook body bytes held in memory at once, and each source's share.
    budget: Budget,
    /// Challenges answered, per integration.
    challenges: crate::rate_limit::RateLimiter<IntegrationId>,
    /// Seconds since the Unix epoch: Slack's replay window is measured against it.
    pub clock: fn() -> i64,
    tokens: Mutex<HashMap<String, (Instant, Arc<Resolved>)>>,
    writer: OnceLock<DeliveryWriter>,
    /// Refusals of deliveries to known integrations, on their way to `metrics`.
    rejections: RejectionTally,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig::new(None, DEFAULT_MAX_BODY_BYTES)
    }
}

impl WebhookConfig {
    pub fn new(public_url: Option<String>, max_body_bytes: usize) -> WebhookConfig {
        WebhookConfig {
            public_url: public_url.filter(|url| !url.trim().is_empty()),
            trusted_hosts: ["localhost", "127.0.0.1", "[::1]"]
                .map(String::from)
                .to_vec(),
            max_body_bytes,
            budget: Budget::new(DEFAULT_MAX_BUFFERED_BYTES, max_body_bytes),
            challenges: crate::rate_limit::RateLimiter::new(CHALLENGES_PER_MINUTE),
            clock: || chrono::Utc::now().timestamp(),
            tokens: Mutex::new(HashMap::new()),
            writer: OnceLock::new(),
            rejections: RejectionTally::default(),
        }
    }

    /// Sets how often refused deliveries are written to `metrics` (every ten seconds
    /// unless set).
    pub fn with_rejection_tally_every(mut self, every: Duration) -> WebhookConfig {
        self.rejections.every = every;
        self
    }

    /// Sets how many webhook body bytes may be held in memory at once.
    pub fn with_max_buffered_bytes(mut self, bytes: usize) -> WebhookConfig {
        let (grace, min_rate) = (self.budget.grace, self.budget.min_rate);
        self.budget = Budget::new(bytes, self.max_body_bytes);
        self.budget.grace = grace;
        self.budget.min_rate = min_rate;
        self
    }

    /// Sets the slowest a body may arrive once `grace` has passed, in bytes per second
    /// (0: no minimum).
    pub fn with_min_body_rate(mut self, bytes_per_second: usize, grace: Duration) -> WebhookConfig {
        self.budget.min_rate = bytes_per_second;
        self.budget.grace = grace;
        self
    }

    /// The node's delivery writer, started on first use.
    fn writer(&self, state: &AppState) -> &DeliveryWriter {
        self.writer
            .get_or_init(|| DeliveryWriter::start(state.store.clone(), state.runtime.clone()))
    }

    /// Forgets every resolved token (an integration was connected or disconnected).
    pub(crate) fn forget_tokens(&self) {
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }

    /// The absolute URL a service should deliver to: under `public_url`, or — when it
    /// is not set — under the request's host if that is one of `trusted_hosts`. `None`
    /// when neither holds.
    pub(crate) fn webhook_url(
        &self,
        headers: &HeaderMap,
        service: Service,
        token: &str,
    ) -> Option<String> {
        let base = match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|value| value.to_str().ok())?;
                let name = host
                    .rsplit_once(':')
                    .filter(|(_, port)| port.bytes().all(|byte| byte.is_ascii_digit()))
                    .map_or(host, |(name, _)| name);
                let trusted = self
                    .trusted_hosts
                    .iter()
                    .any(|trusted| trusted == host || trusted == name);
                if !trusted {
                    return None;
                }
                format!("http://{host}")
            }
        };
        Some(format!(
            "{base}/api/webhooks/{service}/receive?token={token}"
        ))
    }
}

/// A refused delivery: logged at warn with its reason and counted, together.
struct WebhookRejected {
    service: Service,
    reason: &'static str,
}

impl WebhookRejected {
    fn emit(self) {
        tracing::warn!(
            service = self.service.as_str(),
            reason = self.reason,
            "webhook delivery rejected"
        );
        metrics::counter!(
            crate::metrics::WEBHOOKS_REJECTED_TOTAL,
            "service" => self.service.as_str(),
            "reason" => self.reason
        )
        .increment(1);
    }
}

/// The metric of refused deliveries per organization (`dimensions.service`,
/// `dimensions.reason`), which the anomaly detector watches.
pub const WEBHOOKS_REJECTED_METRIC: &str = "webhooks.rejected";
/// How often the tally of refusals is written.
const TALLY_EVERY: Duration = Duration::from_secs(10);

type TallyKey = (OrgId, Service, &'static str);

/// Refusals of deliveries to a known integration (a bad signature, a replayed
/// challenge, a body too large or too slow), counted in memory by organization, service
/// and reason, and written to `metrics` as [`WEBHOOKS_REJECTED_METRIC`] every
/// [`TALLY_EVERY`]: a flood of forged deliveries costs a row per interval, not a write
/// per request. A node that stops loses at most the last interval's counts (the
/// Prometheus counter has them).
struct RejectionTally {
    counts: Arc<Mutex<HashMap<TallyKey, u64>>>,
    flusher: OnceLock<()>,
    every: Duration,
}

impl Default for RejectionTally {
    fn default() -> Self {
        RejectionTally {
            counts: Arc::default(),
            flusher: OnceLock::new(),
            every: TALLY_EVERY,
        }
    }
}

impl RejectionTally {
    fn note(&self, store: &Store, org: OrgId, service: Service, reason: &'static str) {
        *self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((org, service, reason))
            .or_default() += 1;
        self.flusher.get_or_init(|| {
            let counts = self.counts.clone();
            let store = store.clone();
            let every = self.every;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let taken = std::mem::take(
                        &mut *counts
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner),
                    );
                    for ((org, service, reason), count) in taken {
                        let point = companyos_store::NewMetric {
                            metric_type: WEBHOOKS_REJECTED_METRIC.to_owned(),
                            value: count as f64,
                            unit: Some("deliveries".to_owned()),
                            dimensions: json!({"service": service, "reason": reason}),
                            recorded_at: None,
                        };
                        if let Err(error) = store.metrics().record(org, point).await {
                            tracing::warn!(%error, organization = %org, "cannot record refused webhook deliveries");
                        }
                    }
                }
            });
        });
    }
}

/// Counts and logs `error` as a refusal for `reason`, and hands it back.
fn rejected(service: Service, reason: &'static str, error: ApiError) -> ApiError {
    WebhookRejected { service, reason }.emit();
    error
}

/// Reads the body within `limit`, holding room for it in the node's budget (and the
/// integration's and the client's shares) as its bytes arrive, for as long as the
/// returned room lives; a body slower than the minimum rate is cut off.
async fn read_body(
    config: &WebhookConfig,
    service: Service,
    body: Body,
    declared: Option<usize>,
    mut held: Held,
    note: &(dyn Fn(&'static str) + Send + Sync),
) -> Result<(axum::body::Bytes, Held), ApiError> {
    use http_body_util::BodyExt;

    let limit = config.max_body_bytes;
    let too_large = || {
        note("too_large");
        rejected(
            service,
            "too_large",
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Body too large",
                format!("a webhook delivery may be at most {limit} bytes"),
            ),
        )
    };
    let busy = |short: Short| {
        note("busy");
        rejected(
            service,
            "busy",
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                match short {
                    Short::Node => "this node is holding as many webhook bodies as it may; deliver again in a moment",
                    Short::Integration => "this integration's deliveries hold as much of the node's memory as one integration may; deliver again in a moment",
                    Short::Address => "deliveries from this address hold as much of the node's memory as one client may; deliver again in a moment",
                },
            )
            .retry_after(1),
        )
    };
    let (grace, min_rate) = (config.budget.grace, config.budget.min_rate);
    let slow = || {
        note("too_slow");
        rejected(
            service,
            "too_slow",
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "Body too slow",
                format!("the body arrived slower than {min_rate} bytes a second; send it at once"),
            ),
        )
    };
    let started = tokio::time::Instant::now();
    let mut buffer = Vec::with_capacity(declared.unwrap_or(0).min(limit).min(UNIT * 64));
    let mut body = body;
    loop {
        // Past the grace period, the bytes so far must keep up with the minimum rate.
        let next = body.frame();
        let frame = if min_rate == 0 {
            next.await
        } else {
            let deadline =
                started + grace + Duration::from_secs_f64(buffer.len() as f64 / min_rate as f64);
            tokio::time::timeout_at(deadline, next)
                .await
                .map_err(|_| slow())?
        };
        let Some(frame) = frame else {
            break;
        };
        let frame = frame.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Body not read",
                "the request body ended before it was complete",
            )
        })?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        if buffer.len() + chunk.len() > limit {
            return Err(too_large());
        }
        held.grow_to(buffer.len() + chunk.len()).map_err(busy)?;
        buffer.extend_from_slice(&chunk);
    }
    Ok((buffer.into(), held))
}

/// Deliveries in one group commit at most.
const BATCH_ROWS: usize = 128;
/// Bytes of bodies in one group commit at most (a large delivery goes alone).
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Group commits under way at once (each holds one database connection).
const WRITERS: usize = 4;

type Pending = (
    OrgId,
    NewDelivery,
    oneshot::Sender<Result<Recorded, StoreError>>,
);

/// The group commit of deliveries: a queue, and [`WRITERS`] tasks that each take
/// whatever waits in it (up to [`BATCH_ROWS`] and [`BATCH_BYTES`]) and write it with
/// one statement (`Deliveries::record_many`). A batch the database refuses is written
/// again one delivery at a time, so that one bad delivery fails alone.
struct DeliveryWriter {
    queue: mpsc::Sender<Pending>,
}

impl DeliveryWriter {
    fn start(store: Store, runtime: Arc<companyos_supervisors::Runtime>) -> DeliveryWriter {
        let (queue, waiting) = mpsc::channel::<Pending>(BATCH_ROWS * WRITERS * 4);
        let waiting = Arc::new(tokio::sync::Mutex::new(waiting));
        for _ in 0..WRITERS {
            tokio::spawn(write_batches(
                store.clone(),
                runtime.clone(),
                waiting.clone(),
            ));
        }
        DeliveryWriter { queue }
    }

    async fn record(&self, org: OrgId, new: NewDelivery) -> Result<Recorded, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((org, new, reply))
            .await
            .map_err(|_| writer_stopped())?;
        answer
            .await
            .map_err(|_| writer_stopped())?
            .map_err(ApiError::from)
    }
}

/// Hands a request its delivery's outcome. A request that is gone (its client hung up)
/// needs no answer: the delivery is recorded either way, and redelivered if the vendor
/// saw no answer.
fn answer_request(
    reply: oneshot::Sender<Result<Recorded, StoreError>>,
    outcome: Result<Recorded, StoreError>,
) {
    if reply.send(outcome).is_err() {
        tracing::debug!("webhook request gone before its delivery was recorded");
    }
}

fn writer_stopped() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Not recorded",
        "the node is shutting down and did not record the delivery; deliver it again",
    )
    .retry_after(1)
}

async fn write_batches(
    store: Store,
    runtime: Arc<companyos_supervisors::Runtime>,
    waiting: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
) {
    loop {
        let batch = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else {
                return;
            };
            let mut bytes = first.1.body.len();
            let mut batch = vec![first];
            while batch.len() < BATCH_ROWS && bytes < BATCH_BYTES {
                match waiting.try_recv() {
                    Ok(next) => {
                        bytes += next.1.body.len();
                        batch.push(next);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        let (rows, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|(org, new, reply)| ((org, new), reply))
            .unzip();
        match store.deliveries().record_many(&rows).await {
            Ok(recorded) => {
                let received_at = store.now();
                let mut archived = Vec::with_capacity(rows.len());
                for ((reply, recorded), (org, new)) in replies.into_iter().zip(recorded).zip(rows) {
                    if let Recorded::New(id) = recorded {
                        archived.push(ArchivedDelivery {
                            id,
                            organization_id: org,
                            integration_id: new.integration_id,
                            service: new.service,
                            delivery_key: new.delivery_key,
                            event_type: new.event_type,
                            headers: new.headers,
                            received_at,
                            body: new.body,
                        });
                    }
                    answer_request(reply, Ok(recorded));
                }
                // The edge's part ends here: archived beside the requests (and by the
                // archive's sweep when not).
                runtime.archive(archived);
            }
            Err(error) => {
                if rows.len() > 1 {
                    tracing::debug!(%error, rows = rows.len(), "group commit refused; writing one by one");
                }
                for ((org, new), reply) in rows.into_iter().zip(replies) {
                    answer_request(reply, store.deliveries().record(org, new).await);
                }
            }
        }
    }
}

/// What a webhook token stands for.
struct Resolved {
    organization_id: OrgId,
    integration_id: IntegrationId,
    service: Service,
    /// `None` when the integration was connected without a webhook secret.
    secret: Option<Vec<u8>>,
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    // The body limit is the webhook setting, enforced in the handler.
    OpenApiRouter::new()
        .routes(routes!(receive, handshake))
        .layer(DefaultBodyLimit::disable())
}

fn unknown_token(service: Service) -> ApiError {
    ApiError::not_found(format!(
        "no connected {service} integration has this webhook URL: use the webhook_url returned when the integration was connected"
    ))
}

async fn resolve(
    state: &AppState,
    service: Service,
    query: &HashMap<String, String>,
) -> Result<Arc<Resolved>, ApiError> {
    let Some(token) = query.get("token").filter(|token| !token.is_empty()) else {
        return Err(unknown_token(service));
    };
    let config = &state.webhooks;
    if let Some((at, resolved)) = config
        .tokens
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(token)
        && at.elapsed() < TOKEN_TTL
    {
        return if resolved.service == service {
            Ok(resolved.clone())
        } else {
            Err(unknown_token(service))
        };
    }
    let integration = match state.store.integrations().by_webhook_token(token).await {
        Ok(integration) => integration,
        Err(StoreError::NotFound { .. }) => return Err(unknown_token(service)),
        Err(error) => return Err(error.into()),
    };
    let secret = match &integration.webhook_secret_encrypted {
        Some(sealed) => Some(state.keys.open(sealed).map_err(|error| {
            tracing::error!(integration = %integration.id, %error, "webhook secret cannot be opened");
            ApiError::internal()
        })?),
        None => None,
    };
    let resolved = Arc::new(Resolved {
        organization_id: integration.organization_id,
        integration_id: integration.id,
        service: integration.service,
        secret,
    });
    {
        let mut tokens = config
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if tokens.len() >= TOKEN_CACHE_LIMIT {
            tokens.clear();
        }
        tokens.insert(token.clone(), (Instant::now(), resolved.clone()));
    }
    if resolved.service == service {
        Ok(resolved)
    } else {
        Err(unknown_token(service))
    }
}

fn secret_of(resolved: &Resolved) -> Result<&[u8], ApiError> {
    resolved.secret.as_deref().ok_or_else(|| {
        ApiError::unauthorized(format!(
            "this {} integration has no webhook secret to verify deliveries with: reconnect it with webhook_secret",
            resolved.service
        ))
    })
}

/// The headers kept with a delivery: its type, ids, signature and timestamps.
fn kept_headers(headers: &HeaderMap) -> Value {
    let mut kept = serde_json::Map::new();
    for (name, value) in headers {
        let name = name.as_str();
        if (name.starts_with("x-") || name == "content-type" || name == "user-agent")
            && let Ok(value) = value.to_str()
        {
            kept.insert(
                name.to_owned(),
                Value::String(value.chars().take(1024).collect()),
            );
        }
        if kept.len() >= 64 {
            break;
        }
    }
    Value::Object(kept)
}

#[utoipa::path(post, path = "/api/webhooks/{service}/receive", tag = "webhooks", summary = "A service's signed webhook delivery", params(("service" = crate::graphql::types::Service, Path, description = "github, vercel, figma, slack, twitter or linkedin"), ("token" = String, Query, description = "the token of the integration's webhook_url")), responses((status = 202, description = "Verified and recorded; processed asynchronously", body = Object), (status = 200, description = "A handshake answered, or a delivery already recorded", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn receive(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let service = service(&raw)?;
    let resolved = resolve(&state, service, &query)
        .await
        .map_err(|error| rejected(service, "unknown_token", error))?;
    let note = |reason: &'static str| {
        state
            .webhooks
            .rejections
            .note(&state.store, resolved.organization_id, service, reason);
    };
    let limit = state.webhooks.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        note("too_large");
        return Err(rejected(
            service,
            "too_large",
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Body too large",
                format!("a webhook delivery may be at most {limit} bytes"),
            ),
        ));
    }
    let now = (state.webhooks.clock)();
    let unsigned = |error: webhooks::VerifyError| {
        note("bad_signature");
        rejected(
            service,
            "bad_signature",
            ApiError::unauthorized(format!("{service} delivery refused: {error}")),
        )
    };
    // Before a byte of the body is read.
    webhooks::precheck(service, &headers, now).map_err(unsigned)?;
    let secret = secret_of(&resolved).map_err(|error| rejected(service, "no_secret", error))?;
    let held = state.webhooks.budget.open(resolved.integration_id, address);
    let (body, _held) = read_body(&state.webhooks, service, body, declared, held, &note).await?;
    webhooks::verify(service, secret, &headers, &body, now).map_err(unsigned)?;
    let since = companyos_store::now() - CHALLENGE_MEMORY;
    for message in webhooks::challenge_shaped_messages(service, &body) {
        if state
            .store
            .webhook_challenges()
            .answered_since(resolved.integration_id, &sha256_hex(&message), since)
            .await?
        {
            note("challenge_replay");
            return Err(rejected(
                service,
                "challenge_replay",
                ApiError::unauthorized(format!(
                    "{service} delivery refused: its body was answered as a challenge, so its signature came from this node"
                )),
            ));
        }
    }

    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let github_event = headers
        .get("x-github-event")
        .and_then(|value| value.to_str().ok());
    let record = |payload: Option<&Value>, event_type: String, error: Option<String>| NewDelivery {
        integration_id: resolved.integration_id,
        service,
        delivery_key: webhooks::delivery_key(service, &headers, payload, &body),
        event_type,
        headers: kept_headers(&headers),
        body: body.to_vec(),
        status: if error.is_some() {
            DeliveryStatus::Malformed
        } else {
            DeliveryStatus::Received
        },
        error,
        // The adapter's work, and the agents' after it, continue this request's trace.
        traceparent: companyos_supervisors::trace::traceparent(),
    };
    let org = resolved.organization_id;
    let payload = match normalise::parse_body(content_type, &body) {
        Ok(payload) => payload,
        Err(reason) => {
            let recorded = state
                .store
                .deliveries()
                .record(
                    org,
                    record(None, "malformed".into(), Some(reason.to_string())),
                )
                .await?;
            let id = match recorded {
                Recorded::New(id) | Recorded::Duplicate(id) => id,
            };
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Malformed delivery",
                format!("{reason}; the signed delivery was kept for inspection as {id}"),
            ));
        }
    };

    // Handshakes: answered, not recorded.
    if service == Service::Github && github_event == Some("ping") {
        return Ok((
            StatusCode::OK,
            Json(json!({"ok": true, "zen": payload.get("zen"), "hook_id": payload.get("hook_id")})),
        )
            .into_response());
    }
    if service == Service::Slack
        && payload.get("type").and_then(Value::as_str) == Some("url_verification")
    {
        return Ok((
            StatusCode::OK,
            Json(json!({"challenge": payload.get("challenge").cloned().unwrap_or(Value::Null)})),
        )
            .into_response());
    }

    // A click on an approval button: answered now, by the permission matrix.
    if service == Service::Slack && super::slack_actions::is_block_actions(&payload) {
        return super::slack_actions::block_actions(&state, resolved.organization_id, &payload)
            .await;
    }

    let event_type = normalise::received_type(service, github_event);
    let new = record(Some(&payload), event_type, None);
    let (event_type, kept, traceparent) = (
        new.event_type.clone(),
        new.headers.clone(),
        new.traceparent.clone(),
    );
    let recorded = state.webhooks.writer(&state).record(org, new).await?;
    match recorded {
        Recorded::New(id) => {
            tracing::info!(delivery = %id, organization = %org, %service, "delivery recorded");
            // Handed over with its payload: its adapter need not read it back.
            let in_hand = InHand {
                id,
                event_type,
                headers: kept,
                payload,
                traceparent,
            };
            if let Err(error) = state
                .runtime
                .deliver_in_hand(org, resolved.integration_id, in_hand)
                .await
            {
                // Recorded is what counts: the adapter drains it when it (re)starts.
                tracing::warn!(delivery = %id, %error, "delivery recorded; its adapter will pick it up");
            }
            Ok(answer(StatusCode::ACCEPTED, id, "received"))
        }
        Recorded::Duplicate(id) => Ok(answer(StatusCode::OK, id, "duplicate")),
    }
}

fn answer(status: StatusCode, id: DeliveryId, outcome: &str) -> Response {
    (status, Json(json!({"delivery_id": id, "status": outcome}))).into_response()
}

#[utoipa::path(get, path = "/api/webhooks/{service}/receive", tag = "webhooks", summary = "X's CRC check (crc_token) and LinkedIn's endpoint validation (challengeCode)", params(("service" = crate::graphql::types::SocialPlatform, Path, description = "twitter or linkedin"), ("token" = String, Query, description = "the token of the integration's webhook_url"), ("crc_token" = Option<String>, Query, description = "X's challenge", pattern = "^[A-Za-z0-9._~=+/-]{1,256}$"), ("challengeCode" = Option<String>, Query, description = "LinkedIn's challenge", pattern = "^[A-Za-z0-9._~=+/-]{1,256}$")), responses((status = 200, description = "The challenge's response", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn handshake(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let service = service(&raw)?;
    let resolved = resolve(&state, service, &query)
        .await
        .map_err(|error| rejected(service, "unknown_token", error))?;
    let (name, vendor) = match service {
        Service::Twitter => ("crc_token", "X's CRC check"),
        Service::Linkedin => ("challengeCode", "LinkedIn's validation"),
        other => {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                format!(
                    "{other} delivers webhooks with POST; GET answers only X's and LinkedIn's challenges"
                ),
            ));
        }
    };
    let input = query.get(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Missing challenge",
            format!("{vendor} sends {name}"),
        )
    })?;
    if !webhooks::plausible_challenge(input) {
        return Err(rejected(
            service,
            "implausible_challenge",
            ApiError::invalid(
                name,
                "a challenge is a short token (letters, digits and -_.~=+/, at most 256)",
            ),
        ));
    }
    if let Err(wait) = state
        .webhooks
        .challenges
        .check(resolved.integration_id, Instant::now())
    {
        let seconds = wait.as_secs() + 1;
        return Err(rejected(
            service,
            "challenge_rate",
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many challenges",
                format!("too many challenges for this integration; retry in {seconds} s"),
            )
            .retry_after(seconds),
        ));
    }
    let secret = secret_of(&resolved)?;
    // Remembered before it is answered: a delivery signed with this answer is refused.
    state
        .webhook_challenges_record(resolved.integration_id, input)
        .await?;
    match service {
        Service::Twitter => {
            let response = webhooks::twitter_crc_response(secret, input);
            Ok(Json(json!({"response_token": response})).into_response())
        }
        Service::Linkedin => {
            let response = webhooks::linkedin_challenge_response(secret, input);
            Ok(
                Json(json!({"challengeCode": input, "challengeResponse": response}))
                    .into_response(),
            )
        }
        _ => Err(ApiError::internal()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl AppState {
    /// Remembers a challenge input (and old answers are forgotten now and then).
    async fn webhook_challenges_record(
        &self,
        integration: IntegrationId,
        input: &str,
    ) -> Result<(), ApiError> {
        let challenges = self.store.webhook_challenges();
        challenges
            .record(integration, &sha256_hex(input.as_bytes()))
            .await?;
        if rand::random::<u8>() == 0 {
            let purged = challenges
                .purge_before(companyos_store::now() - CHALLENGE_MEMORY)
                .await?;
            tracing::debug!(purged, "old webhook challenge answers forgotten");
        }
        Ok(())
    }
}
