//! The event router (`root/system/events`): hands stored events to the watchers of
//! their organization and marks each one routed once every watcher has written the
//! tasks it calls for (idempotently, by event and task type — routing an event twice
//! writes nothing new).
//!
//! Each organization has a lane of its own — a task that routes its events in the
//! order they came, taking those waiting as a batch (the organization's agents read
//! once, the routed marks written together) — so one organization's routing never
//! waits for another's. A watcher's decision is pure ([`Decide`](companyos_actors::Decide)) and is
//! made here, without the watcher's mailbox: a watcher busy with a long sync holds no
//! event back. (A watcher without a pure decision is asked in its mailbox, with a
//! timeout.)
//!
//! When it starts, whenever an organization starts on this node, and every
//! [`SWEEP_INTERVAL`], it sweeps the events left unrouted (a node that died between
//! recording an event and routing it, a write that failed): the oldest first, a batch
//! per message, only those of organizations hosted here.

use companyos_actors::respond;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use companyos_actors::assign::AssigneeMemo;
use companyos_actors::{
    AgentError, AgentKind, AgentMessage, RoutedEvent, RuntimeEvent, TaskWriter,
};
use companyos_store::{Event, EventId, OrgId, TaskId};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use crate::error::{RuntimeError, TreeError};
use crate::tree::Deps;

/// How long a watcher may take to decide about one event.
const WATCHER_TIMEOUT: Duration = Duration::from_secs(10);
/// Events an organization's lane routes together at most (those waiting when it looks).
const ROUTE_BATCH: usize = 128;
/// Unrouted events read per sweep message.
const SWEEP_BATCH: u32 = 256;
/// How often the router looks for events left unrouted.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

pub(crate) struct EventRouter;

/// One event for an organization's lane, and who waits for its tasks (if anyone).
struct Job {
    event: Event,
    reply: Option<oneshot::Sender<Result<Vec<TaskId>, RuntimeError>>>,
    /// The trace of the delivery the event was made from (W3C `traceparent`).
    traceparent: Option<String>,
}

/// The router's state: what it needs to route, and one lane per organization.
pub(crate) struct RouterState {
    deps: Arc<Deps>,
    lanes: HashMap<OrgId, mpsc::UnboundedSender<Job>>,
}

impl RouterState {
    /// Queues an event on its organization's lane, starting the lane when it has none
    /// (or when the last one ended).
    fn enqueue(&mut self, job: Job) {
        let org = job.event.organization_id;
        let job = match self.lanes.get(&org) {
            Some(lane) => match lane.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (sender, mut receiver) = mpsc::unbounded_channel::<Job>();
        let deps = self.deps.clone();
        tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(ROUTE_BATCH);
            while receiver.recv_many(&mut jobs, ROUTE_BATCH).await > 0 {
                route_batch(&deps, org, std::mem::take(&mut jobs)).await;
            }
        });
        if sender.send(job).is_err() {
            tracing::error!(organization = %org, "an organization's routing lane ended as it started");
        }
        self.lanes.insert(org, sender);
    }
}

pub enum RouterMessage {
    Route {
        organization_id: OrgId,
        event_id: EventId,
        reply: RpcReplyPort<Result<Vec<TaskId>, RuntimeError>>,
    },
    /// Route an event just stored (by an integration's adapter), continuing the trace
    /// of its delivery; nobody waits. One that fails to route stays unrouted for the
    /// next sweep.
    RouteStored(Box<Event>, Option<String>),
    /// Route a batch of events left unrouted; another sweep follows while batches route.
    Sweep,
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for RouterMessage {}

impl Actor for EventRouter {
    type Msg = RouterMessage;
    type State = RouterState;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        myself: ActorRef<RouterMessage>,
        deps: Arc<Deps>,
    ) -> Result<RouterState, ActorProcessingErr> {
        myself.send_message(RouterMessage::Sweep)?;
        myself.send_interval(SWEEP_INTERVAL, || RouterMessage::Sweep);
        Ok(RouterState {
            deps,
            lanes: HashMap::new(),
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<RouterMessage>,
        message: RouterMessage,
        state: &mut RouterState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RouterMessage::Route {
                organization_id,
                event_id,
                reply,
            } => {
                let event = match state
                    .deps
                    .store
                    .events()
                    .get(organization_id, event_id)
                    .await
                {
                    Ok(event) => event,
                    Err(error) => {
                        respond(reply, Err(error.into()), "route event");
                        return Ok(());
                    }
                };
                // Answered from the lane, so this mailbox never waits for a route.
                let (sender, receiver) = oneshot::channel();
                state.enqueue(Job {
                    event,
                    reply: Some(sender),
                    traceparent: None,
                });
                tokio::spawn(async move {
                    let routed = receiver
                        .await
                        .unwrap_or_else(|_| Err(RuntimeError::Tree(TreeError::LaneEnded)));
                    respond(reply, routed, "route event");
                });
            }
            RouterMessage::RouteStored(event, traceparent) => state.enqueue(Job {
                event: *event,
                reply: None,
                traceparent,
            }),
            RouterMessage::Sweep => {
                // Each event goes to its lane: one routed in the meantime is routed
                // again harmlessly (its tasks exist, found by their keys).
                let batch = state.deps.store.events().unrouted(SWEEP_BATCH).await?;
                let mut queued = 0;
                for event in batch {
                    if !state.deps.node.hosts(event.organization_id) {
                        continue;
                    }
                    queued += 1;
                    state.enqueue(Job {
                        event,
                        reply: None,
                        traceparent: None,
                    });
                }
                if queued > 0 {
                    tracing::info!(queued, "events left unrouted are routed again");
                }
            }
        }
        Ok(())
    }
}

/// Routes the events waiting in an organization's lane, in order: each is handed to
/// every running watcher of the organization, and those whose tasks were all written
/// are marked routed together, with one statement. Each waiting caller is answered
/// with its event's tasks.
async fn route_batch(deps: &Deps, org: OrgId, jobs: Vec<Job>) {
    // The organization's agents are read once for the batch, not once per task.
    let assignees = AssigneeMemo::default();
    let mut routed = Vec::with_capacity(jobs.len());
    for job in jobs {
        // The payload is read once, here; every watcher receives the typed event.
        let event = RoutedEvent::read(job.event);
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
        companyos_actors::trace::continue_trace(&span, job.traceparent.as_deref());
        let tasks = write_tasks(deps, &event, &assignees)
            .instrument(span.clone())
            .await;
        routed.push((job.reply, event, span, tasks));
    }
    // Relaxed: a routed mark lost with the database is routed again by the sweep, and
    // its tasks are found by their keys.
    let events = deps.store.relaxed();
    let written: Vec<EventId> = routed
        .iter()
        .filter(|(_, _, _, tasks)| tasks.is_ok())
        .map(|(_, event, _, _)| event.row.id)
        .collect();
    let together = events.events().mark_routed_many(org, &written).await;
    if let Err(error) = &together {
        tracing::warn!(%error, events = written.len(), "routed marks not written together; writing them one by one");
    }
    let mut woken = false;
    for (reply, event, span, tasks) in routed {
        let outcome = match (tasks, &together) {
            (Ok(tasks), Ok(())) => Ok(tasks),
            // One by one, so that each event's answer is its own.
            (Ok(tasks), Err(_)) => events
                .events()
                .mark_routed(org, event.row.id)
                .await
                .map(|()| tasks)
                .map_err(RuntimeError::from),
            (Err(error), _) => Err(error),
        };
        span.in_scope(|| match &outcome {
            Ok(tasks) => tracing::info!(tasks = tasks.len(), "event routed"),
            Err(error) => {
                tracing::warn!(%error, "event not routed; the next sweep routes it again");
            }
        });
        if let Ok(tasks) = &outcome {
            crate::metrics::event_routed();
            woken |= !tasks.is_empty();
            deps.bus.publish(RuntimeEvent::EventCreated {
                event: Box::new(event.row),
            });
        }
        if let Some(reply) = reply {
            // The caller may have given up waiting; the event is routed anyway.
            let _ = reply.send(outcome);
        }
    }
    if woken {
        deps.dispatch.wake.notify_one();
    }
}

/// Hands one stored event to every running watcher of its organization and returns the
/// tasks written for it, once all of them accepted it.
async fn write_tasks(
    deps: &Deps,
    event: &RoutedEvent,
    assignees: &AssigneeMemo,
) -> Result<Vec<TaskId>, RuntimeError> {
    let org = event.row.organization_id;
    let mut tasks = Vec::new();
    // Relaxed: a task lost with the database is written again when its event is
    // routed again; the claim that runs it waits for it to be on disk.
    let writer = TaskWriter {
        store: &deps.store,
        queue: deps.derived_queue.as_ref(),
        bus: &deps.bus,
        assignees: Some(assignees),
    };
    let cause = format!("event:{}", event.row.id);
    for (agent, location) in deps
        .directory
        .of_organization(org, Some(AgentKind::Watcher))
    {
        if let Some(decider) = &location.decider {
            let requests = decider.0.decide(event);
            let written = writer
                .write(org, &cause, &event.row.event_type, requests)
                .await
                .map_err(|reason: AgentError| RuntimeError::Refused { agent, reason })?;
            tracing::debug!(%agent, tasks = written.len(), "the watcher decided");
            tasks.extend(written);
            continue;
        }
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
    Ok(tasks)
}
