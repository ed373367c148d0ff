//! [`AgentActor`]: the one ractor actor type every agent runs as. Its state carries
//! the agent's [`Behaviour`]; its messages are the ways the runtime and other agents
//! reach it. Each lifecycle transition it makes is written to `agents.status` and
//! published on the [`EventBus`].

use crate::respond;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use companyos_store::{AgentStatus, AgentTask, Assignee, NewTask, OrgId, Store, TaskId, TaskQueue};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, MessagingErr, RpcReplyPort};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::behaviour::{
    AgentIdentity, AgentKind, Behaviour, RoutedEvent, TaskContext, TaskFailure, TaskRequest,
};
use crate::events::{EventBus, RuntimeEvent};
use crate::lifecycle::LifecycleWriter;
use crate::port::IntegrationPort;

/// The actor behind every agent.
pub struct AgentActor;

/// What an agent is started with (and restarted with, by its supervisor).
pub struct AgentArgs {
    /// What the agent's handles and supervisor know of its mailbox (see [`Mailbox`]).
    pub mailbox: Arc<Mailbox>,
    pub identity: AgentIdentity,
    pub configuration: Value,
    pub behaviour: Box<dyn Behaviour>,
    pub store: Store,
    pub queue: Arc<dyn TaskQueue>,
    pub bus: EventBus,
    pub lifecycle: LifecycleWriter,
    pub integrations: Option<Arc<dyn IntegrationPort>>,
    /// The node's language models (a gate with no model when none is configured).
    pub llm: Arc<crate::llm::LlmGate>,
}

pub struct AgentState {
    mailbox: Arc<Mailbox>,
    identity: Arc<AgentIdentity>,
    kind: AgentKind,
    configuration: Arc<Value>,
    behaviour: Box<dyn Behaviour>,
    store: Store,
    queue: Arc<dyn TaskQueue>,
    bus: EventBus,
    lifecycle: LifecycleWriter,
    integrations: Option<Arc<dyn IntegrationPort>>,
    llm: Arc<crate::llm::LlmGate>,
    /// The token of work no person can cancel (events, broadcasts, questions): one per
    /// agent, cloned, rather than a new one per message.
    never_cancelled: CancellationToken,
    status: AgentStatus,
    current_task: Option<TaskId>,
    messages_handled: u64,
}

/// Why an agent did not do what it was asked (decide about an event, answer a
/// question).
#[derive(Clone, Debug, thiserror::Error)]
pub enum AgentError {
    /// Its behaviour failed.
    #[error(transparent)]
    Behaviour(#[from] TaskFailure),
    /// The tasks it decided on could not be written.
    #[error("the tasks could not be written: {0}")]
    Store(Arc<companyos_store::StoreError>),
}

impl From<companyos_store::StoreError> for AgentError {
    fn from(error: companyos_store::StoreError) -> Self {
        AgentError::Store(Arc::new(error))
    }
}

/// How a task ended, as the agent reports it to the dispatcher.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskOutcome {
    Completed(Option<Value>),
    Failed(TaskFailure),
    Cancelled,
}

/// What an agent says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentSnapshot {
    pub identity: AgentIdentity,
    pub kind: AgentKind,
    pub status: AgentStatus,
    pub current_task: Option<TaskId>,
    pub messages_handled: u64,
}

pub enum AgentMessage {
    /// Perform one task; the outcome goes to `reply`. `cancel` fires when a person
    /// cancels the task, even while the agent is busy with it.
    Perform {
        task: Box<AgentTask>,
        cancel: CancellationToken,
        reply: RpcReplyPort<TaskOutcome>,
        /// The sender's span (the task's, with its id and organization): the work is
        /// done inside it, so one task can be followed across actors in the logs.
        span: tracing::Span,
    },
    /// Decide about an event (watchers): the ids of the tasks written for it.
    Route {
        event: Box<RoutedEvent>,
        reply: RpcReplyPort<Result<Vec<TaskId>, AgentError>>,
        /// The router's span (the event's, with its id and delivery).
        span: tracing::Span,
    },
    /// A broadcast on one of the agent's topics (no reply: fire and forget).
    Broadcast {
        topic: String,
        payload: Value,
        broadcast_id: uuid::Uuid,
    },
    /// Answer a question from another agent.
    Ask {
        question: Value,
        reply: RpcReplyPort<Result<Value, AgentError>>,
    },
    /// Report the agent's state.
    Snapshot(RpcReplyPort<AgentSnapshot>),
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for AgentMessage {}

impl AgentState {
    fn context(&self, cancel: CancellationToken) -> TaskContext {
        TaskContext {
            agent: self.identity.clone(),
            configuration: self.configuration.clone(),
            store: self.store.clone(),
            queue: self.queue.clone(),
            cancel,
            integrations: self.integrations.clone(),
            bus: self.bus.clone(),
            llm: self.llm.clone(),
        }
    }

    /// Records a lifecycle transition: queued for the database (in order, see
    /// [`LifecycleWriter`]) and published on the bus.
    fn transition(&mut self, status: AgentStatus, task: Option<TaskId>) {
        self.status = status;
        self.current_task = task;
        let (org, agent) = (self.identity.organization_id, self.identity.id);
        self.lifecycle.status(org, agent, status, task);
        self.bus.publish(RuntimeEvent::AgentStatusChanged {
            organization_id: org,
            agent_id: agent,
            status,
            task_id: task,
        });
    }

    /// Writes the tasks a behaviour asked for (see [`TaskWriter::write`]).
    async fn spawn_tasks(
        &self,
        cause: &str,
        description: &str,
        requests: Vec<TaskRequest>,
    ) -> Result<Vec<TaskId>, AgentError> {
        let writer = TaskWriter {
            store: &self.store,
            queue: self.queue.as_ref(),
            bus: &self.bus,
            assignees: None,
        };
        writer
            .write(self.identity.organization_id, cause, description, requests)
            .await
    }
}

/// What writes the tasks a watcher decided on: the store (to find assignees), the
/// queue and the bus that announces new tasks.
pub struct TaskWriter<'a> {
    pub store: &'a Store,
    pub queue: &'a dyn TaskQueue,
    pub bus: &'a EventBus,
    /// The agents already read for a batch of writes, if the writer is one of many.
    pub assignees: Option<&'a crate::assign::AssigneeMemo>,
}

impl TaskWriter<'_> {
    /// Writes the tasks a watcher asked for, each idempotent by (event, task type) in
    /// the organization — whichever agents exist — so that routing an event twice
    /// writes nothing twice. A type's tasks are spread across its enabled agents by a
    /// hash of the event and task type, so more agents of a type take more of its work.
    /// A task for a type the organization has no enabled agent of is kept, waiting with
    /// its reason, and is given to the first such agent that starts.
    pub async fn write(
        &self,
        org: OrgId,
        cause: &str,
        description: &str,
        requests: Vec<TaskRequest>,
    ) -> Result<Vec<TaskId>, AgentError> {
        // Without a batch's memo, one for this write: its requests share the reads.
        let own;
        let assignees = match self.assignees {
            Some(memo) => memo,
            None => {
                own = crate::assign::AssigneeMemo::default();
                &own
            }
        };
        let mut written = Vec::with_capacity(requests.len());
        for request in requests {
            let key = task_key(cause, &request.task_type);
            let assignee = assignees
                .assign(
                    self.store,
                    org,
                    &request.assign_to_type,
                    Some(&key),
                    crate::assign::any,
                )
                .await
                .map_err(AgentError::from)?;
            if let Assignee::Waiting { agent_type, .. } = &assignee {
                tracing::info!(
                    %agent_type,
                    task_type = %request.task_type,
                    "no enabled agent of this type; the task waits for one"
                );
            }
            let mut task = NewTask::for_assignee(org, assignee, request.task_type.clone());
            task.input = Some(request.input);
            task.priority = request.priority;
            task.requires_human_approval = request.requires_human_approval;
            task.idempotency_key = Some(key);
            task.description = Some(format!("{} from {description}", request.task_type));
            let enqueued = self.queue.enqueue(task).await.map_err(AgentError::from)?;
            if enqueued.created {
                self.bus.publish(RuntimeEvent::TaskChanged {
                    organization_id: org,
                    task_id: enqueued.task.id,
                    agent_id: enqueued.task.agent_id,
                    status: enqueued.task.status,
                });
            }
            tracing::debug!(
                task = %enqueued.task.id,
                task_type = %enqueued.task.task_type,
                agent = ?enqueued.task.agent_id,
                created = enqueued.created,
                "task written"
            );
            written.push(enqueued.task.id);
        }
        Ok(written)
    }
}

/// The idempotency key of a task a watcher or a broadcast listener asked for: its cause
/// (`event:<id>`, `broadcast:<id>:<agent>`) and its type.
pub fn task_key(cause: &str, task_type: &str) -> String {
    format!("{cause}:{task_type}")
}

/// The key of the task of `task_type` written for the same cause as the task keyed
/// `key` (the analysis of the failed build an incident was opened for, say), when `key`
/// is such a key.
pub fn sibling_key(key: &str, own_type: &str, task_type: &str) -> Option<String> {
    let cause = key.strip_suffix(own_type)?.strip_suffix(':')?;
    cause
        .starts_with("event:")
        .then(|| task_key(cause, task_type))
}

pub use crate::assign::waiting_reason;

impl Actor for AgentActor {
    type Msg = AgentMessage;
    type State = AgentState;
    type Arguments = AgentArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: AgentArgs,
    ) -> Result<AgentState, ActorProcessingErr> {
        let kind = args.behaviour.kind();
        let mut state = AgentState {
            mailbox: args.mailbox,
            identity: Arc::new(args.identity),
            kind,
            configuration: Arc::new(args.configuration),
            behaviour: args.behaviour,
            store: args.store,
            queue: args.queue,
            bus: args.bus,
            lifecycle: args.lifecycle,
            integrations: args.integrations,
            llm: args.llm,
            never_cancelled: CancellationToken::new(),
            status: AgentStatus::Idle,
            current_task: None,
            messages_handled: 0,
        };
        let scope = topic_scope(state.identity.organization_id);
        for topic in state.behaviour.topics() {
            ractor::pg::join_scoped(scope.clone(), topic, vec![myself.get_cell()]);
        }
        state.transition(AgentStatus::Idle, None);
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: AgentMessage,
        state: &mut AgentState,
    ) -> Result<(), ActorProcessingErr> {
        state.messages_handled += 1;
        // Being looked at (the tree's snapshot) is not activity: it keeps no agent from
        // being passivated.
        let activity = !matches!(message, AgentMessage::Snapshot(_));
        if state.mailbox.begin(activity) {
            crate::metrics::mailbox_changed(-1.0);
        }
        let started = Instant::now();
        // ractor keeps each actor's message loop in one allocation sized for the largest
        // handler future, for as long as the actor lives. The task and event handlers
        // (the behaviour's futures, the writes) would make every idle agent carry several
        // kilobytes, so they are boxed: that memory exists only while one runs. A
        // question's future is small (the behaviour's is boxed already) and stays inline,
        // keeping request/response free of an allocation.
        let result = match message {
            AgentMessage::Ask { question, reply } => {
                answer(state, question, reply).await;
                Ok(())
            }
            message => Box::pin(self.handle_message(message, state)).await,
        };
        if activity {
            state.mailbox.end();
        }
        crate::metrics::message_handled(state.kind, started.elapsed());
        result
    }
}

/// Request/response: the behaviour's answer, or why it has none.
async fn answer(
    state: &mut AgentState,
    question: Value,
    reply: RpcReplyPort<Result<Value, AgentError>>,
) {
    let context = state.context(state.never_cancelled.clone());
    let answer = state
        .behaviour
        .answer(&context, &question)
        .await
        .map_err(AgentError::from);
    respond(reply, answer, "agent answer");
}

impl AgentActor {
    async fn handle_message(
        &self,
        message: AgentMessage,
        state: &mut AgentState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            AgentMessage::Perform {
                task,
                cancel,
                reply,
                span,
            } => {
                async {
                    state.transition(AgentStatus::Working, Some(task.id));
                    let context = state.context(cancel.clone());
                    let result = tokio::select! {
                        result = state.behaviour.perform(&context, &task) => Some(result),
                        () = cancel.cancelled() => None,
                    };
                    let outcome = match result {
                        None => {
                            state.transition(AgentStatus::Idle, None);
                            TaskOutcome::Cancelled
                        }
                        Some(Ok(output)) => {
                            state.transition(AgentStatus::Complete, Some(task.id));
                            state.transition(AgentStatus::Idle, None);
                            TaskOutcome::Completed(output)
                        }
                        Some(Err(failure)) => {
                            tracing::warn!(task_id = %task.id, error = %failure, "task failed");
                            state.transition(AgentStatus::Error, Some(task.id));
                            state.transition(AgentStatus::Idle, None);
                            TaskOutcome::Failed(failure)
                        }
                    };
                    // The dispatcher may have given up waiting; that is its business.
                    respond(reply, outcome, "agent task");
                }
                .instrument(span)
                .await;
            }
            AgentMessage::Route { event, reply, span } => {
                async {
                    let context = state.context(state.never_cancelled.clone());
                    let result = match state.behaviour.on_event(&context, &event).await {
                        Ok(requests) => {
                            let cause = format!("event:{}", event.row.id);
                            state
                                .spawn_tasks(&cause, &event.row.event_type, requests)
                                .await
                        }
                        Err(failure) => Err(AgentError::from(failure)),
                    };
                    match &result {
                        Ok(tasks) => tracing::debug!(tasks = tasks.len(), "the watcher decided"),
                        Err(reason) => tracing::warn!(%reason, "the watcher could not decide"),
                    }
                    respond(reply, result, "agent task");
                }
                .instrument(span)
                .await;
            }
            AgentMessage::Broadcast {
                topic,
                payload,
                broadcast_id,
            } => {
                let context = state.context(state.never_cancelled.clone());
                match state
                    .behaviour
                    .on_broadcast(&context, &topic, &payload)
                    .await
                {
                    Ok(requests) => {
                        // One listener's requests are its own: the key names it.
                        let cause = format!("broadcast:{broadcast_id}:{}", state.identity.id);
                        if let Err(error) = state.spawn_tasks(&cause, &topic, requests).await {
                            tracing::warn!(%topic, %error, "tasks for a broadcast not spawned");
                        }
                    }
                    Err(failure) => {
                        tracing::warn!(%topic, error = %failure, "broadcast not handled")
                    }
                }
            }
            AgentMessage::Ask { question, reply } => answer(state, question, reply).await,
            AgentMessage::Snapshot(reply) => {
                respond(
                    reply,
                    AgentSnapshot {
                        identity: (*state.identity).clone(),
                        kind: state.kind,
                        status: state.status,
                        current_task: state.current_task,
                        messages_handled: state.messages_handled,
                    },
                    "agent snapshot",
                );
            }
        }
        Ok(())
    }
}

/// How the runtime reaches a running agent: its actor, and the count of messages sent
/// to it that it has not started handling (its mailbox depth, which ractor does not
/// expose).
#[derive(Clone, Debug)]
pub struct AgentHandle {
    actor: ActorRef<AgentMessage>,
    mailbox: Arc<Mailbox>,
}

/// The process-group scope of an organization's topics: broadcasts never cross
/// organizations.
pub fn topic_scope(organization: companyos_store::OrgId) -> String {
    format!("companyos:org:{organization}")
}

/// What an agent's handles and its supervisor know of its mailbox without asking the
/// agent: how many messages wait, whether it still takes any, and since when it has
/// had nothing to do. Its supervisor passivates an agent by closing the mailbox of one
/// that has been idle long enough with nothing waiting ([`Mailbox::close_if_idle`]);
/// from then on no handle can send to it ([`AgentHandle::admit`] says no), so no
/// message is ever left in the mailbox of an agent that stops.
#[derive(Debug)]
pub struct Mailbox {
    /// Messages admitted and not yet begun; [`CLOSED`] once passivated.
    waiting: AtomicUsize,
    /// When the agent last finished a message (see [`clock_millis`]); [`BUSY`] while
    /// it handles one.
    idle_since: AtomicU64,
}

const CLOSED: usize = 1 << (usize::BITS - 1);
const BUSY: u64 = 0;

/// Milliseconds since the process first asked (never [`BUSY`]).
fn clock_millis() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
}

impl Mailbox {
    /// An open, empty mailbox, idle from now.
    pub fn new() -> Arc<Mailbox> {
        Arc::new(Mailbox {
            waiting: AtomicUsize::new(0),
            idle_since: AtomicU64::new(clock_millis()),
        })
    }

    /// Counts one more message in, unless the mailbox is closed.
    fn admit(&self) -> bool {
        self.waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n & CLOSED == 0).then_some(n + 1)
            })
            .is_ok()
    }

    /// Takes back an admission whose message was never sent.
    fn withdraw(&self) {
        let _ = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n & !CLOSED != 0).then(|| n - 1)
            });
    }

    /// The agent begins a message: one fewer waits (when it was counted), and, when the
    /// message is `activity`, the agent is busy. Whether one was counted.
    fn begin(&self, activity: bool) -> bool {
        if activity {
            self.idle_since.store(BUSY, Ordering::Release);
        }
        self.waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n & !CLOSED != 0).then(|| n - 1)
            })
            .is_ok()
    }

    /// The agent finished a message: idle from now.
    fn end(&self) {
        self.idle_since.store(clock_millis(), Ordering::Release);
    }

    /// Messages waiting.
    pub fn depth(&self) -> usize {
        self.waiting.load(Ordering::Acquire) & !CLOSED
    }

    /// Whether the mailbox takes no more messages (the agent was passivated).
    pub fn is_closed(&self) -> bool {
        self.waiting.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Closes the mailbox if the agent has been idle for at least `idle` with nothing
    /// waiting, and says whether it did. A message the agent began in the meantime is
    /// finished before the agent stops (its supervisor stops it after the message in
    /// hand); no message is admitted after this returns `true`.
    pub fn close_if_idle(&self, idle: Duration) -> bool {
        let since = self.idle_since.load(Ordering::Acquire);
        let idle = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        if since == BUSY || clock_millis().saturating_sub(since) < idle {
            return false;
        }
        if self
            .waiting
            .compare_exchange(0, CLOSED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        if self.idle_since.load(Ordering::Acquire) != since {
            // It began a message between the two reads: it is not idle after all.
            self.waiting.store(0, Ordering::Release);
            return false;
        }
        true
    }
}

/// A message admitted to an agent's mailbox and not yet sent: while it is held, the
/// agent cannot be passivated. Dropped unsent, it is taken back.
pub struct Admitted<'a> {
    handle: &'a AgentHandle,
    sent: bool,
}

impl Admitted<'_> {
    /// Sends a message without waiting for anything back.
    pub fn cast(mut self, message: AgentMessage) -> Result<(), MessagingErr<AgentMessage>> {
        self.sent = true;
        crate::metrics::mailbox_changed(1.0);
        self.handle.actor.cast(message)
    }

    /// Sends a request and waits for the reply (at most `timeout`, when given).
    pub async fn call<T: Send + 'static>(
        mut self,
        build: impl FnOnce(RpcReplyPort<T>) -> AgentMessage,
        timeout: Option<Duration>,
    ) -> Result<CallResult<T>, MessagingErr<AgentMessage>> {
        self.sent = true;
        crate::metrics::mailbox_changed(1.0);
        self.handle.actor.call(build, timeout).await
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if !self.sent {
            self.handle.mailbox.withdraw();
        }
    }
}

impl AgentHandle {
    pub fn new(actor: ActorRef<AgentMessage>, mailbox: Arc<Mailbox>) -> Self {
        AgentHandle { actor, mailbox }
    }

    pub fn actor(&self) -> &ActorRef<AgentMessage> {
        &self.actor
    }

    /// Messages waiting for the agent.
    pub fn mailbox_depth(&self) -> usize {
        self.mailbox.depth()
    }

    /// Whether the agent was passivated: this handle reaches it no more (its
    /// supervisor starts it again on request).
    pub fn is_passivated(&self) -> bool {
        self.mailbox.is_closed()
    }

    /// Closes the agent's mailbox if it has been idle for `idle` with nothing waiting
    /// (see [`Mailbox::close_if_idle`]); its supervisor then stops it.
    pub fn close_if_idle(&self, idle: Duration) -> bool {
        self.mailbox.close_if_idle(idle)
    }

    /// A place in the agent's mailbox for one message, unless it was passivated.
    pub fn admit(&self) -> Option<Admitted<'_>> {
        self.mailbox.admit().then_some(Admitted {
            handle: self,
            sent: false,
        })
    }

    /// Sends a message without waiting for anything back (`ChannelClosed` when the
    /// agent was passivated).
    pub fn cast(&self, message: AgentMessage) -> Result<(), MessagingErr<AgentMessage>> {
        self.admit()
            .ok_or(MessagingErr::ChannelClosed)?
            .cast(message)
    }

    /// Sends a request and waits for the reply (at most `timeout`, when given;
    /// `ChannelClosed` when the agent was passivated).
    pub async fn call<T: Send + 'static>(
        &self,
        build: impl FnOnce(RpcReplyPort<T>) -> AgentMessage,
        timeout: Option<Duration>,
    ) -> Result<CallResult<T>, MessagingErr<AgentMessage>> {
        self.admit()
            .ok_or(MessagingErr::ChannelClosed)?
            .call(build, timeout)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_closes_only_when_idle_long_enough_with_nothing_waiting() {
        let mailbox = Mailbox::new();
        // Idle, but not for long enough.
        assert!(!mailbox.close_if_idle(Duration::from_secs(3600)));
        // A message waiting keeps it open.
        assert!(mailbox.admit());
        assert!(!mailbox.close_if_idle(Duration::ZERO));
        // Begun: busy, so still open.
        assert!(mailbox.begin(true));
        assert_eq!(mailbox.depth(), 0);
        assert!(!mailbox.close_if_idle(Duration::ZERO));
        mailbox.end();
        // Looked at (a snapshot): not activity.
        assert!(mailbox.admit());
        assert!(mailbox.begin(false));
        assert!(mailbox.close_if_idle(Duration::ZERO));
        assert!(mailbox.is_closed());
        // Closed: nothing more is admitted, and the depth is still a count.
        assert!(!mailbox.admit());
        assert_eq!(mailbox.depth(), 0);
    }

    #[test]
    fn an_admission_not_sent_is_taken_back() {
        let mailbox = Mailbox::new();
        assert!(mailbox.admit());
        assert_eq!(mailbox.depth(), 1);
        mailbox.withdraw();
        assert_eq!(mailbox.depth(), 0);
        assert!(mailbox.close_if_idle(Duration::ZERO));
        // Nothing to take back from a closed, empty mailbox.
        mailbox.withdraw();
        assert!(mailbox.is_closed());
    }

    #[test]
    fn a_sibling_is_a_task_of_the_same_event() {
        let key = task_key("event:42", "open_incident");
        assert_eq!(
            sibling_key(&key, "open_incident", "analyze_deployment_failure").as_deref(),
            Some("event:42:analyze_deployment_failure")
        );
        // A coordinator's step, a broadcast's task or another type's key has none.
        for key in [
            "7f1c:open_incident",
            "broadcast:9:agent:open_incident",
            "event:42:rollback",
        ] {
            assert_eq!(
                sibling_key(key, "open_incident", "analyze_deployment_failure"),
                None,
                "{key}"
            );
        }
    }
}
