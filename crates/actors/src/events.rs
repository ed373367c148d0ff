//! The runtime's own events — lifecycle transitions and task changes — published on an
//! in-process bus that the edge (GraphQL subscriptions, WebSocket) and tests subscribe
//! to. Slow subscribers lose the oldest events rather than slowing agents down.

use companyos_store::{AgentId, AgentStatus, Event, OrgId, TaskId, TaskStatus};
use tokio::sync::broadcast;

#[derive(Clone, Debug, PartialEq)]
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

/// A cheap-to-clone handle on the bus.
#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<RuntimeEvent>,
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        EventBus {
            sender: broadcast::channel(capacity.max(16)).0,
        }
    }

    pub fn publish(&self, event: RuntimeEvent) {
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
