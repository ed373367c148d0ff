//! The runtime's own events — lifecycle transitions and task changes — published on an
//! in-process bus that the edge (GraphQL subscriptions, WebSocket) and tests subscribe
//! to. Slow subscribers lose the oldest events rather than slowing agents down.

use companyos_store::{AgentId, AgentStatus, Event, OrgId, TaskId, TaskStatus};
use std::sync::{Arc, OnceLock};

use tokio::sync::broadcast;

/// In cluster mode every variant but [`RuntimeEvent::EventCreated`] crosses to the
/// other nodes as it is (JSON); a stored event crosses as its id and is read back.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuntimeEvent {
    AgentStatusChanged {
        organization_id: OrgId,
        agent_id: AgentId,
        status: AgentStatus,
        task_id: Option<TaskId>,
    },
    AgentRestarted {
        organization_id: OrgId,
        agent_id: AgentId,
        restarts: u32,
    },
    AgentDisabled {
        organization_id: OrgId,
        agent_id: AgentId,
        reason: String,
    },
    TaskChanged {
        organization_id: OrgId,
        task_id: TaskId,
        /// `None` while the task waits for an agent of its type.
        agent_id: Option<AgentId>,
        status: TaskStatus,
    },
    /// A stored event was handed to the organization's watchers (a webhook delivery, a
    /// deployment or pull request change, …).
    #[serde(skip)]
    EventCreated { event: Box<Event> },
}

impl RuntimeEvent {
    /// The seed's event name for WebSocket and subscription clients.
    pub fn name(&self) -> &'static str {
        match self {
            RuntimeEvent::AgentStatusChanged { .. } => "agent.status_changed",
            RuntimeEvent::AgentRestarted { .. } => "agent.restarted",
            RuntimeEvent::AgentDisabled { .. } => "agent.disabled",
            RuntimeEvent::TaskChanged { status, .. } => match status {
                TaskStatus::Pending => "agent_task.created",
                TaskStatus::NeedsApproval => "agent_task.needs_approval",
                TaskStatus::InProgress => "agent_task.started",
                TaskStatus::Completed => "agent_task.completed",
                TaskStatus::Failed => "agent_task.failed",
                TaskStatus::Rejected => "agent_task.rejected",
                TaskStatus::Cancelled => "agent_task.cancelled",
            },
            RuntimeEvent::EventCreated { .. } => "event.created",
        }
    }

    pub fn organization_id(&self) -> OrgId {
        match self {
            RuntimeEvent::AgentStatusChanged {
                organization_id, ..
            }
            | RuntimeEvent::AgentRestarted {
                organization_id, ..
            }
            | RuntimeEvent::AgentDisabled {
                organization_id, ..
            }
            | RuntimeEvent::TaskChanged {
                organization_id, ..
            } => *organization_id,
            RuntimeEvent::EventCreated { event } => event.organization_id,
        }
    }
}

/// Where a bus hands what is published on this node to the other nodes (cluster
/// mode): called once per event, on the publisher's thread, so it must not block.
pub type Relay = Arc<dyn Fn(&RuntimeEvent) + Send + Sync>;

/// A cheap-to-clone handle on the bus. Subscribers hear what is published on this node
/// and, once a relay is set, what other nodes publish ([`EventBus::publish_local`]).
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<RuntimeEvent>,
    relay: Arc<OnceLock<Relay>>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("subscribers", &self.sender.receiver_count())
            .field("relayed", &self.relay.get().is_some())
            .finish()
    }
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        EventBus {
            sender: broadcast::channel(capacity.max(16)).0,
            relay: Arc::new(OnceLock::new()),
        }
    }

    /// Hands every event published from now on to `relay` as well (once; a second
    /// relay is refused and returned).
    pub fn set_relay(&self, relay: Relay) -> Result<(), Relay> {
        self.relay.set(relay)
    }

    /// Publishes on this node and, through the relay, to the other nodes.
    pub fn publish(&self, event: RuntimeEvent) {
        if let Some(relay) = self.relay.get() {
            relay(&event);
        }
        self.publish_local(event);
    }

    /// Publishes to this node's subscribers only (an event another node relayed).
    pub fn publish_local(&self, event: RuntimeEvent) {
        // No subscriber is not an error (nobody is watching live, and events are also
        // in the database): the send's only failure is exactly that.
        if self.sender.send(event).is_err() {
            tracing::trace!("runtime event published with no subscriber");
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<RuntimeEvent> {
        self.sender.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new(4096)
    }
}
