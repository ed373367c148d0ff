//! `/ws`: the seed's channel API over WebSocket. A client connects with its access
//! token (`Authorization: Bearer …`, or `?token=…` where a browser cannot set headers)
//! and its organization (`X-Organization-Id`, or `?organization_id=…`; optional for a
//! member of one organization), then sends
//! `{"type": "subscribe", "channel": "deployments"}` — channels `agent_tasks`, `agents`,
//! `deployments`, `pull_requests` (optionally with `"repoId"`) and `events` — and
//! receives `{"event": "agent_task.completed", "data": {…}}` with the seed's event
//! names, for its organization only.
//!
//! The connection is bound to its token and membership (`live.rs`): it closes with 4401
//! when the token expires — unless the client sends a fresh one first as
//! `{"type": "authenticate", "token": "…"}` — or its session ends, and with 4403 when
//! the member is removed from the organization.
//!
//! A client that does not keep up is dropped rather than buffered without bound: when
//! its queue of unsent messages is full, or it fell behind the runtime's event bus, the
//! server closes the socket with code 1008 and a reason; a send that does not finish in
//! ten seconds drops the connection.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use companyos_store::{
    DeploymentId, OrgId, PullRequestId, RepositoryId, ResourceKind, TaskId, TaskStatus,
};
use companyos_supervisors::RuntimeEvent;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::AppState;
use crate::error::ApiError;
use crate::live::{Binding, Closing};
use crate::rbac::{ORGANIZATION_HEADER, Org, Permission, parse_organization};
use crate::views;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

/// Messages waiting to be written to one client before it counts as too slow.
pub const CLIENT_QUEUE: usize = 256;
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// WebSocket close code "policy violation": used for a client that is too slow.
pub const CLOSE_TOO_SLOW: u16 = 1008;

pub const CHANNELS: [&str; 5] = [
    "agent_tasks",
    "agents",
    "deployments",
    "pull_requests",
    "events",
];

#[derive(Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    channel: Option<String>,
    #[serde(rename = "repoId")]
    repo_id: Option<String>,
    /// A fresh access token (`authenticate`).
    token: Option<String>,
}

async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .or(query.get("token").map(String::as_str))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "send an access token: Authorization: Bearer <token>, or ?token=",
            )
        })?;
    let claims = crate::auth::authenticate(&state, token).await?;
    let user = claims.user;
    let named = headers
        .get(ORGANIZATION_HEADER)
        .and_then(|value| value.to_str().ok())
        .or(query.get("organization_id").map(String::as_str))
        .map(parse_organization)
        .transpose()?;
    let Org(access) = Org::resolve(&state, user, named).await?;
    access.require(Permission::ViewDashboard)?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "WebSocket required",
            format!("connect with a WebSocket client: {rejection}"),
        )
    })?;
    let events = state.runtime.subscribe();
    let binding = Binding::new(&claims, Some(access.organization));
    Ok(upgrade.on_upgrade(move |socket| serve(socket, state, binding, events)))
}

/// What one connection asked for.
#[derive(Default)]
struct Subscriptions {
    channels: BTreeSet<&'static str>,
    /// `pull_requests` for one repository only.
    repository: Option<RepositoryId>,
}

/// Why the server ends a connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    TooSlow(&'static str),
    Gone,
    /// The token expired, the session ended or the membership did (`live.rs`).
    Closed(Closing),
}

/// Queues a message for the client; a full queue means the client is too slow.
pub fn deliver(out: &mpsc::Sender<Message>, message: Message) -> Result<(), Ending> {
    match out.try_send(message) {
        Ok(()) => Ok(()),
        Err(mpsc::error::TrySendError::Full(_)) => {
            Err(Ending::TooSlow("too slow: too many unsent messages"))
        }
        Err(mpsc::error::TrySendError::Closed(_)) => Err(Ending::Gone),
    }
}

fn text(value: Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    binding: Binding,
    mut events: broadcast::Receiver<RuntimeEvent>,
) {
    let Some(org) = binding.organization else {
        return;
    };
    let ended = binding.ended(&state);
    tokio::pin!(ended);
    metrics::gauge!(crate::metrics::WS_CONNECTIONS).increment(1.0);
    let (mut sink, mut stream) = socket.split();
    let (out, mut queue) = mpsc::channel::<Message>(CLIENT_QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(message) = queue.recv().await {
            let closing = matches!(message, Message::Close(_));
            match tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await {
                Ok(Ok(())) if !closing => {}
                _ => break,
            }
        }
        if let Err(error) = sink.close().await {
            tracing::debug!(%error, "websocket closed uncleanly");
        }
    });
    let mut subscriptions = Subscriptions::default();
    let ended = loop {
        tokio::select! {
            // Events first: what happened before a client's message is pushed before
            // the answer to it.
            biased;
            closing = &mut ended => break Ending::Closed(closing),
            event = events.recv() => match event {
                Ok(event) if event.organization_id() == org => {
                    let mut failed = None;
                    for message in push(&state, org, &subscriptions, &event).await {
                        if let Err(ending) = deliver(&out, text(message)) {
                            failed = Some(ending);
                            break;
                        }
                    }
                    if let Some(ending) = failed {
                        break ending;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    break Ending::TooSlow("too slow: fell behind the event stream");
                }
                Err(broadcast::error::RecvError::Closed) => break Ending::Gone,
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(body))) => {
                    let reply = handle(&state, org, &binding, &mut subscriptions, body.as_str()).await;
                    if let Err(ending) = deliver(&out, text(reply)) {
                        break ending;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break Ending::Gone,
                Some(Ok(_)) => {}
            },
        }
    };
    let close = match ended {
        Ending::TooSlow(reason) => {
            tracing::info!(%org, reason, "dropping a slow WebSocket client");
            metrics::counter!(crate::metrics::WS_DROPPED_TOTAL).increment(1);
            Some((CLOSE_TOO_SLOW, reason))
        }
        Ending::Closed(closing) => {
            tracing::info!(%org, ?closing, "closing a WebSocket connection");
            Some(closing.frame())
        }
        Ending::Gone => None,
    };
    if let Some((code, reason)) = close {
        // Past a full queue: wait a little for room for the close frame, then give up.
        let close = Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        }));
        if tokio::time::timeout(SEND_TIMEOUT, out.send(close))
            .await
            .is_err()
        {
            tracing::debug!(%org, "no room for the close frame; dropping the connection");
        }
    }
    drop(out);
    if let Err(error) = writer.await {
        tracing::warn!(%error, "websocket writer ended abnormally");
    }
    metrics::gauge!(crate::metrics::WS_CONNECTIONS).decrement(1.0);
}

/// Answers one client message.
async fn handle(
    state: &AppState,
    org: OrgId,
    binding: &Binding,
    subscriptions: &mut Subscriptions,
    body: &str,
) -> Value {
    let error = |message: String| json!({"type": "error", "message": message});
    let Ok(message) = serde_json::from_str::<ClientMessage>(body) else {
        return error(
            r#"send JSON such as {"type": "subscribe", "channel": "agent_tasks"}"#.into(),
        );
    };
    match message.kind.as_str() {
        "ping" => json!({"type": "pong"}),
        "authenticate" => match message.token.as_deref() {
            None => error(r#"send {"type": "authenticate", "token": "<access token>"}"#.into()),
            Some(token) => match binding.refresh(state, token).await {
                Ok(expires_at) => json!({"type": "authenticated", "expires_at": expires_at}),
                Err(reason) => error(format!("the token was not taken: {reason}")),
            },
        },
        "subscribe" | "unsubscribe" => {
            let Some(channel) = message
                .channel
                .as_deref()
                .and_then(|name| CHANNELS.iter().copied().find(|known| *known == name))
            else {
                return error(format!("name a channel: one of {}", CHANNELS.join(", ")));
            };
            if message.kind == "unsubscribe" {
                subscriptions.channels.remove(channel);
                return json!({"type": "unsubscribed", "channel": channel});
            }
            if channel == "pull_requests" {
                subscriptions.repository = match message.repo_id.as_deref() {
                    None => None,
                    Some(raw) => {
                        let Ok(id) = raw.parse::<RepositoryId>() else {
                            return error("repoId must be a repository id".into());
                        };
                        if state.store.repositories().get(org, id).await.is_err() {
                            return error("no such repository in this organization".into());
                        }
                        Some(id)
                    }
                };
            }
            subscriptions.channels.insert(channel);
            json!({"type": "subscribed", "channel": channel})
        }
        other => error(format!(
            "unknown message type {other:?}; send subscribe, unsubscribe, authenticate or ping"
        )),
    }
}

/// The messages for `event` on the channels the connection subscribed to.
async fn push(
    state: &AppState,
    org: OrgId,
    subscriptions: &Subscriptions,
    event: &RuntimeEvent,
) -> Vec<Value> {
    let wants = |channel: &str| subscriptions.channels.contains(channel);
    match event {
        RuntimeEvent::TaskChanged {
            task_id, status, ..
        } if wants("agent_tasks") => {
            let data = task_data(state, org, *task_id, *status).await;
            vec![json!({"event": event.name(), "data": data})]
        }
        RuntimeEvent::AgentStatusChanged {
            agent_id,
            status,
            task_id,
            ..
        } if wants("agents") => vec![json!({
            "event": event.name(),
            "data": {"agent_id": agent_id, "status": status, "task_id": task_id},
        })],
        RuntimeEvent::AgentRestarted {
            agent_id, restarts, ..
        } if wants("agents") => vec![json!({
            "event": event.name(),
            "data": {"agent_id": agent_id, "restarts": restarts},
        })],
        RuntimeEvent::AgentDisabled {
            agent_id, reason, ..
        } if wants("agents") => vec![json!({
            "event": event.name(),
            "data": {"agent_id": agent_id, "reason": reason},
        })],
        RuntimeEvent::EventCreated { event: stored } => {
            let kind = stored.event_type.as_str();
            let mut messages = Vec::new();
            if stored.resource_type == Some(ResourceKind::Deployment) && wants("deployments") {
                let row = match stored.resource_id.map(DeploymentId) {
                    Some(id) => state.store.deployments().get(org, id).await.ok(),
                    None => None,
                };
                let data = row.map_or_else(
                    || json!(views::Event::from((**stored).clone())),
                    |row| json!(views::Deployment::from(row)),
                );
                messages.push(json!({"event": kind, "data": data}));
            }
            if stored.resource_type == Some(ResourceKind::PullRequest) && wants("pull_requests") {
                let row = match stored.resource_id.map(PullRequestId) {
                    Some(id) => state.store.pull_requests().get(org, id).await.ok(),
                    None => None,
                };
                let in_scope = match (subscriptions.repository, &row) {
                    (None, _) => true,
                    (Some(repository), Some(row)) => row.repository_id == repository,
                    (Some(_), None) => false,
                };
                if in_scope {
                    let data = row.map_or_else(
                        || json!(views::Event::from((**stored).clone())),
                        |row| json!(views::PullRequest::from(row)),
                    );
                    messages.push(json!({"event": kind, "data": data}));
                }
            }
            if wants("events") {
                messages.push(
                    json!({"event": event.name(), "data": views::Event::from((**stored).clone())}),
                );
            }
            messages
        }
        _ => Vec::new(),
    }
}

/// The task's row, or what the event says of it when the row is gone.
async fn task_data(state: &AppState, org: OrgId, task: TaskId, status: TaskStatus) -> Value {
    match state.store.tasks().get(org, task).await {
        Ok(row) => json!(views::AgentTask::from(row)),
        Err(_) => json!({"id": task, "status": status}),
    }
}

#[cfg(test)]
mod tests {
    use axum::extract::ws::Message;
    use tokio::sync::mpsc;

    use super::{Ending, deliver};

    #[test]
    fn a_full_queue_drops_the_client_instead_of_growing() {
        let (out, mut queue) = mpsc::channel(2);
        let message = || Message::Text("{}".into());
        assert_eq!(deliver(&out, message()), Ok(()));
        assert_eq!(deliver(&out, message()), Ok(()));
        assert!(matches!(deliver(&out, message()), Err(Ending::TooSlow(_))));
        assert!(queue.try_recv().is_ok(), "what was queued is still sent");
        drop(queue);
        assert_eq!(deliver(&out, message()), Err(Ending::Gone));
    }
}
