//! What an agent does, separate from how it is run: the [`Behaviour`] trait that each
//! kind of agent implements, and the context a behaviour works in.

use std::sync::Arc;

use async_trait::async_trait;
use companyos_integrations::normalise::{DomainEvent, EventPayload};
use companyos_store::{AgentId, AgentTask, Event, OrgId, Service, Store, TaskQueue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The four kinds of agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// Reacts to integration events and spawns tasks.
    Watcher,
    /// Performs one task at a time.
    Executor,
    /// Runs multi-step workflows whose steps are tasks for other agents.
    Coordinator,
    /// Aggregates and predicts; runs on a schedule or on request.
    Analyst,
}

impl AgentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Watcher => "watcher",
            AgentKind::Executor => "executor",
            AgentKind::Coordinator => "coordinator",
            AgentKind::Analyst => "analyst",
        }
    }
}

/// Who an agent is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentIdentity {
    pub id: AgentId,
    pub organization_id: OrgId,
    pub name: String,
    pub agent_type: String,
}

/// What a behaviour may use while it works.
pub struct TaskContext {
    /// Shared with the agent's state: building a context per message clones two `Arc`s,
    /// not the agent's strings and configuration.
    pub agent: Arc<AgentIdentity>,
    pub configuration: Arc<Value>,
    pub store: Store,
    pub queue: Arc<dyn TaskQueue>,
    /// Cancelled when a person cancels the running task; long work should check it.
    pub cancel: CancellationToken,
    /// The node's integration adapters, for the work only they can do (a sync through
    /// the service's API). `None` where no adapters run (a bare runtime in a test).
    pub integrations: Option<Arc<dyn crate::port::IntegrationPort>>,
    /// The node's event bus: tasks a behaviour spawns are announced on it.
    pub bus: crate::events::EventBus,
    /// The node's language models, within the agent's budgets.
    pub llm: Arc<crate::llm::LlmGate>,
}

impl TaskContext {
    /// Writes a task this one leads to (idempotent by its key) and announces it. A task
    /// for a type with no enabled agent in the organization is kept waiting for one.
    pub async fn spawn(&self, request: TaskRequest, key: String) -> Result<AgentTask, TaskFailure> {
        let org = self.agent.organization_id;
        let assignee = crate::assign::assign(
            &self.store,
            org,
            &request.assign_to_type,
            Some(&key),
            crate::assign::any,
        )
        .await?;
        let mut task =
            companyos_store::NewTask::for_assignee(org, assignee, request.task_type.clone());
        task.input = Some(request.input);
        task.priority = request.priority;
        task.requires_human_approval = request.requires_human_approval;
        task.idempotency_key = Some(key);
        task.description = Some(format!(
            "{} from {} {}",
            request.task_type, self.agent.agent_type, self.agent.name
        ));
        let enqueued = self.queue.enqueue(task).await?;
        if enqueued.created {
            self.bus.publish(crate::events::RuntimeEvent::TaskChanged {
                organization_id: org,
                task_id: enqueued.task.id,
                agent_id: enqueued.task.agent_id,
                status: enqueued.task.status,
            });
        }
        Ok(enqueued.task)
    }

    /// Waits until the bus announces a change of one of `tasks`, or [`RECHECK`] passed
    /// (the bus is a live view and can miss an event), or this task is cancelled. The
    /// caller reads the rows again after each wait: a coordinator waiting hours for an
    /// approval reads them every [`RECHECK`], not every few milliseconds. Subscribe
    /// (`self.bus.subscribe()`) before the first read, so that no change falls between.
    pub async fn until_changed(
        &self,
        heard: &mut tokio::sync::broadcast::Receiver<crate::events::RuntimeEvent>,
        tasks: &[companyos_store::TaskId],
    ) -> Result<(), TaskFailure> {
        use tokio::sync::broadcast::error::RecvError;
        let org = self.agent.organization_id;
        let changed = async {
            loop {
                match heard.recv().await {
                    Ok(crate::events::RuntimeEvent::TaskChanged {
                        organization_id,
                        task_id,
                        ..
                    }) if organization_id == org && tasks.contains(&task_id) => return,
                    Ok(_) => {}
                    // Missed events, or no bus any more: read the rows now.
                    Err(RecvError::Lagged(_) | RecvError::Closed) => return,
                }
            }
        };
        tokio::select! {
            () = changed => Ok(()),
            () = tokio::time::sleep(RECHECK) => Ok(()),
            () = self.cancel.cancelled() => Err(TaskFailure::Permanent("cancelled".into())),
        }
    }

    /// The node's integration adapters, or a permanent failure saying none run here.
    pub fn integrations(&self) -> Result<&Arc<dyn crate::port::IntegrationPort>, TaskFailure> {
        self.integrations.as_ref().ok_or_else(|| {
            TaskFailure::Permanent("no integration adapters run on this node".into())
        })
    }
}

/// How long a coordinator waiting for its steps goes without reading them again when
/// the bus announces nothing.
pub const RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// A task's output, written as JSON.
pub fn output<T: Serialize>(value: &T) -> Result<Option<Value>, TaskFailure> {
    serde_json::to_value(value)
        .map(Some)
        .map_err(|error| TaskFailure::Permanent(format!("the output cannot be written: {error}")))
}

/// Why a task did not complete. Ordinary failures travel back as values; a panic is a
/// crash, which the supervisor handles.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskFailure {
    /// Worth another attempt (a timeout, a 502).
    #[error("{0}")]
    Retryable(String),
    /// Will fail the same way again (bad input, a 404).
    #[error("{0}")]
    Permanent(String),
    /// Cannot run yet, through no fault of its own (a budget spent, a vendor's rate
    /// limit): the task waits `after`, with `reason` shown, and the wait is not counted
    /// as an attempt.
    #[error("{reason}")]
    Later {
        reason: String,
        after: std::time::Duration,
    },
}

/// The store failed under a task (the database unreachable, a lease lost): worth
/// another attempt. Where a store error means something else (a row that does not
/// exist), the caller matches it first.
impl From<companyos_store::StoreError> for TaskFailure {
    fn from(error: companyos_store::StoreError) -> Self {
        TaskFailure::Retryable(error.to_string())
    }
}

/// A task a watcher (or any agent) asks for: the runtime writes it durably, for the
/// organization's agent of `assign_to_type`.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRequest {
    pub assign_to_type: String,
    pub task_type: String,
    pub input: Value,
    pub priority: i32,
    pub requires_human_approval: bool,
}

impl TaskRequest {
    /// A task of `task_type` (a [`crate::names`] constant) for the agent type
    /// `assign_to_type`, with its typed input.
    pub fn new(
        assign_to_type: impl Into<String>,
        task_type: &str,
        input: &impl Serialize,
        priority: i32,
    ) -> TaskRequest {
        TaskRequest {
            assign_to_type: assign_to_type.into(),
            task_type: task_type.to_owned(),
            input: input_value(input),
            priority,
            requires_human_approval: false,
        }
    }
}

/// A typed task input as the JSON the task row stores. Inputs are structs of strings,
/// numbers, ids and lists: serialising one cannot fail.
pub fn input_value(input: &impl Serialize) -> Value {
    serde_json::to_value(input).unwrap_or(Value::Null)
}

/// A stored event as a watcher receives it: its row, and its payload read once (by the
/// router) as the typed event. `payload` is absent for an event that did not come from
/// a vendor's delivery, or whose payload this node cannot read (logged when read).
#[derive(Clone, Debug)]
pub struct RoutedEvent {
    pub row: Event,
    pub payload: Option<EventPayload>,
}

impl RoutedEvent {
    /// Reads the row's payload when the event came from a vendor.
    pub fn read(row: Event) -> RoutedEvent {
        let payload = match row.event_source.parse::<Service>() {
            Ok(_) => match EventPayload::read(&row.metadata) {
                Ok(payload) => Some(payload),
                Err(error) => {
                    tracing::warn!(event = %row.id, %error, "the event's payload is not read; watchers see no typed event");
                    None
                }
            },
            Err(_) => None,
        };
        RoutedEvent { row, payload }
    }

    /// The typed event, when there is one.
    pub fn event(&self) -> Option<&DomainEvent> {
        self.payload.as_ref().map(|payload| &payload.event)
    }

    /// The id of the row the event brought up to date, when it is of `kind`.
    pub fn resource(&self, kind: companyos_store::ResourceKind) -> Option<uuid::Uuid> {
        (self.row.resource_type == Some(kind))
            .then_some(self.row.resource_id)
            .flatten()
    }
}

/// What a watcher decides about an event, as a pure function of the event and the
/// watcher's configuration: the router calls it directly, never through the watcher's
/// mailbox, so an event is never held behind the watcher's long work (a sync).
pub trait Decide: Send + Sync + 'static {
    /// The tasks the event calls for (none for an event the watcher ignores).
    fn decide(&self, event: &RoutedEvent) -> Vec<TaskRequest>;
}

/// The behaviour an agent carries. Every method has a default so that each kind
/// implements only what it does.
#[async_trait]
pub trait Behaviour: Send + Sync + 'static {
    fn kind(&self) -> AgentKind;

    /// Performs one task (executors, coordinators, analysts) and returns its output.
    async fn perform(
        &mut self,
        _context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        Err(TaskFailure::Permanent(format!(
            "a {} agent does not perform {} tasks",
            self.kind().as_str(),
            task.task_type
        )))
    }

    /// The watcher's pure decision about events, when it has one: the router then
    /// decides without the agent's mailbox. A watcher without one is asked through
    /// [`Behaviour::on_event`] in its mailbox.
    fn decider(&self) -> Option<Arc<dyn Decide>> {
        None
    }

    /// Decides what to do about an event (watchers): the tasks to spawn.
    async fn on_event(
        &mut self,
        _context: &TaskContext,
        _event: &RoutedEvent,
    ) -> Result<Vec<TaskRequest>, TaskFailure> {
        Ok(Vec::new())
    }

    /// The event-bus topics this agent listens to (e.g. `deployment.completed`).
    fn topics(&self) -> Vec<String> {
        Vec::new()
    }

    /// Reacts to a broadcast on one of its topics: the tasks to spawn, if any.
    async fn on_broadcast(
        &mut self,
        _context: &TaskContext,
        _topic: &str,
        _payload: &Value,
    ) -> Result<Vec<TaskRequest>, TaskFailure> {
        Ok(Vec::new())
    }

    /// Answers a question from another agent (request/response, consensus).
    async fn answer(
        &mut self,
        _context: &TaskContext,
        _question: &Value,
    ) -> Result<Value, TaskFailure> {
        Err(TaskFailure::Permanent(format!(
            "a {} agent answers no questions",
            self.kind().as_str()
        )))
    }
}
