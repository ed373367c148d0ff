//! The event router (`root/system/events`): hands stored events to the watchers of
//! their organization, one event at a time and in the order asked, and marks each one
//! routed once every watcher has written the tasks it calls for (idempotently, by event
//! and task type — routing an event twice writes nothing new).
//!
//! When it starts, and whenever an organization starts on this node, it sweeps the
//! events left unrouted (a node that died between recording an event and routing it):
//! the oldest first, a batch per message, only those of organizations hosted here.

use companyos_actors::respond;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

use companyos_actors::{AgentKind, AgentMessage, RoutedEvent, RuntimeEvent};
use companyos_store::{Event, EventId, OrgId, TaskId};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use crate::error::RuntimeError;
use crate::tree::Deps;

/// How long a watcher may take to decide about one event.
const WATCHER_TIMEOUT: Duration = Duration::from_secs(10);
/// Unrouted events read per sweep message.
const SWEEP_BATCH: u32 = 256;

pub(crate) struct EventRouter;

pub enum RouterMessage {
    Route {
        organization_id: OrgId,
        event_id: EventId,
        reply: RpcReplyPort<Result<Vec<TaskId>, RuntimeError>>,
    },
    /// Route an event just stored (by an integration's adapter); nobody waits. One that
    /// fails to route stays unrouted for the next sweep.
    RouteStored(Box<Event>),
    /// Route a batch of events left unrouted; another sweep follows while batches route.
    Sweep,
}

impl Actor for EventRouter {
    type Msg = RouterMessage;
    type State = Arc<Deps>;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        myself: ActorRef<RouterMessage>,
        deps: Arc<Deps>,
    ) -> Result<Arc<Deps>, ActorProcessingErr> {
        myself.send_message(RouterMessage::Sweep)?;
        Ok(deps)
    }

    async fn handle(
        &self,
        myself: ActorRef<RouterMessage>,
        message: RouterMessage,
        deps: &mut Arc<Deps>,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RouterMessage::Route {
                organization_id,
                event_id,
                reply,
            } => {
                respond(
                    reply,
                    route(deps, organization_id, event_id).await,
                    "route event",
                );
            }
            RouterMessage::RouteStored(event) => {
                if let Err(error) = route_stored(deps, &event).await {
                    tracing::warn!(event = %event.id, %error, "event not routed; the next sweep retries it");
                }
            }
            RouterMessage::Sweep => {
                let batch = deps.store.events().unrouted(SWEEP_BATCH).await?;
                let mut routed = 0;
                for event in &batch {
                    if !deps.node.hosts(event.organization_id) {
                        continue;
                    }
                    match route_stored(deps, event).await {
                        Ok(_) => routed += 1,
                        Err(error) => {
                            tracing::warn!(event = %event.id, %error, "unrouted event still not routed")
                        }
                    }
                }
                if routed > 0 {
                    tracing::info!(routed, "routed events left unrouted");
                }
                if routed > 0 && batch.len() == SWEEP_BATCH as usize {
                    myself.send_message(RouterMessage::Sweep)?;
                }
            }
        }
        Ok(())
    }
}

/// Reads the event and routes it (see [`route_stored`]).
async fn route(deps: &Deps, org: OrgId, event: EventId) -> Result<Vec<TaskId>, RuntimeError> {
    let event = deps.store.events().get(org, event).await?;
    route_stored(deps, &event).await
}

/// Hands one stored event to every running watcher of its organization; marks it
/// routed when all of them accepted it. Returns the tasks written for it.
async fn route_stored(deps: &Deps, event: &Event) -> Result<Vec<TaskId>, RuntimeError> {
    // The payload is read once, here; every watcher receives the typed event.
    let event = RoutedEvent::read(event.clone());
    let delivery = event
        .payload
        .as_ref()
        .and_then(|payload| payload.delivery_id)
        .map(|id| id.to_string())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "event",
        event = %event.row.id,
        event_type = %event.row.event_type,
        organization = %event.row.organization_id,
        delivery = %delivery,
    );
    let routed = route_stored_in(deps, &event).instrument(span.clone()).await;
    span.in_scope(|| match &routed {
        Ok(tasks) => tracing::info!(tasks = tasks.len(), "event routed"),
        Err(error) => tracing::warn!(%error, "event not routed; it is routed again at start-up"),
    });
    routed
}

async fn route_stored_in(deps: &Deps, event: &RoutedEvent) -> Result<Vec<TaskId>, RuntimeError> {
    let org = event.row.organization_id;
    let mut tasks = Vec::new();
    for (agent, location) in deps
        .directory
        .of_organization(org, Some(AgentKind::Watcher))
    {
        let event = Box::new(event.clone());
        match location
            .handle
            .call(
                |reply| AgentMessage::Route {
                    event,
                    reply,
                    span: tracing::Span::current(),
                },
                Some(WATCHER_TIMEOUT),
            )
            .await
        {
            Ok(CallResult::Success(Ok(ids))) => tasks.extend(ids),
            Ok(CallResult::Success(Err(reason))) => {
                return Err(RuntimeError::Refused { agent, reason });
            }
            Ok(CallResult::Timeout) => {
                return Err(RuntimeError::Timeout {
                    agent,
                    timeout_ms: WATCHER_TIMEOUT.as_millis() as u64,
                });
            }
            Ok(CallResult::SenderError) | Err(_) => {
                return Err(RuntimeError::AgentNotRunning(agent));
            }
        }
    }
    deps.store.events().mark_routed(org, event.row.id).await?;
    crate::metrics::event_routed();
    deps.bus.publish(RuntimeEvent::EventCreated {
        event: Box::new(event.row.clone()),
    });
    if !tasks.is_empty() {
        deps.dispatch.wake.notify_one();
    }
    Ok(tasks)
}
