//! The kind supervisor: `root/org:<id>/<kind>s` — the watchers, executors, coordinators
//! or analysts of one organization. It starts its agents from their rows and applies its
//! kind's [`RestartPolicy`] when one fails: restart (immediately, then with backoff)
//! under the kind's strategy, or — past the intensity limit — disable the agent, record
//! the escalation, and count it against its own limit (`group_policy`). Past that limit
//! the kind supervisor fails, and its organization supervisor decides.

use companyos_actors::respond;
use std::sync::Arc;
use std::time::{Duration, Instant};

use companyos_actors::{
    AgentActor, AgentArgs, AgentHandle, AgentIdentity, AgentKind, AgentMessage, AgentSnapshot,
    Behaviour, Mailbox, RuntimeEvent,
};
use companyos_store::{Agent, AgentId, AgentStatus, EventActorType, NewEvent, OrgId};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use serde_json::json;

use crate::children::{Child, Children, Ending};
use crate::directory::{Location, Passive};
use crate::error::StartError;
use crate::policy::{Decision, RestartHistory, RestartPolicy, Strategy};
use crate::tree::{ActorInfo, Deps};

pub struct KindSupervisor;

pub struct KindArgs {
    pub(crate) organization_id: OrgId,
    pub(crate) kind: AgentKind,
    pub(crate) deps: Arc<Deps>,
    /// The rows of the agents to start, as the organization supervisor read them.
    pub(crate) agents: Vec<Agent>,
}

pub struct KindState {
    organization_id: OrgId,
    kind: AgentKind,
    policy: RestartPolicy,
    deps: Arc<Deps>,
    /// In start order (rest_for_one depends on it).
    children: Children<Started, AgentHandle>,
    /// Agents this supervisor gave up on (disabled), counted against `group_policy`.
    escalations: RestartHistory,
}

/// An agent as its kind supervisor started it.
struct Started {
    agent_id: AgentId,
    /// The row the agent was started from: a crash restart reuses it instead of reading
    /// the table again (disabling or deleting an agent stops it first, so the row cannot
    /// say it should stay down). A passive agent keeps none: its activation reads it.
    row: Option<Box<Agent>>,
    /// Whether it may be passivated when idle: not a watcher (the router decides with
    /// it), not a listener to broadcast topics (its process groups need an actor).
    passivates: bool,
    /// Passivated: hosted, no actor until it is needed.
    passive: bool,
}

pub enum KindMessage {
    /// Starts (or restarts, if stopped) the agent with this id from its row.
    StartAgent(AgentId, RpcReplyPort<Result<(), StartError>>),
    /// Stops the agent and forgets it (disable, delete, organization moved).
    StopAgent(AgentId, RpcReplyPort<()>),
    /// A backoff delay has passed: start the failed agent again.
    RestartAgent(AgentId),
    /// This subtree's agents, as operators see them.
    Describe(RpcReplyPort<Vec<ActorInfo>>),
    /// Passivate the agents idle for `RuntimeConfig::passivate_after` (sent on a timer).
    Passivate,
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for KindMessage {}

/// The path segment of a kind's subtree: `executors`, `watchers`, ….
pub(crate) fn subtree_name(kind: AgentKind) -> String {
    format!("{}s", kind.as_str())
}

impl KindState {
    fn child_index(&self, agent: AgentId) -> Option<usize> {
        self.children.position(|started| started.agent_id == agent)
    }

    /// Reads the agent's row and starts it. A disabled or deleted agent is not started.
    async fn start_by_id(
        &mut self,
        myself: &ActorRef<KindMessage>,
        agent_id: AgentId,
    ) -> Result<(), StartError> {
        match self
            .deps
            .store
            .agents()
            .get(self.organization_id, agent_id)
            .await
        {
            Ok(agent) => self.start_agent(myself, agent).await,
            Err(error) => {
                self.children
                    .retain_mut(|child| child.spec.agent_id != agent_id);
                self.deps.directory.remove(agent_id);
                Err(error.into())
            }
        }
    }

    async fn start_agent(
        &mut self,
        myself: &ActorRef<KindMessage>,
        agent: Agent,
    ) -> Result<(), StartError> {
        match self.behaviour_of(&agent).await? {
            Some(behaviour) => self.spawn_agent(myself, agent, behaviour).await,
            None => Ok(()),
        }
    }

    /// Hosts the agent passive when it may be (its actor starts with its first task or
    /// question), and starts it otherwise.
    async fn host_agent(
        &mut self,
        myself: &ActorRef<KindMessage>,
        agent: Agent,
    ) -> Result<(), StartError> {
        let Some(behaviour) = self.behaviour_of(&agent).await? else {
            return Ok(());
        };
        if self.deps.config.passivate_after.is_none() || !self.passivates(behaviour.as_ref()) {
            return self.spawn_agent(myself, agent, behaviour).await;
        }
        if !matches!(agent.status, AgentStatus::Idle | AgentStatus::Error) {
            // Left `working` by a node that stopped: idle, as a start would say.
            self.record_status(agent.id, AgentStatus::Idle);
        }
        let agent_id = agent.id;
        let child = match self.child_index(agent_id) {
            Some(index) => &mut self.children[index],
            None => self.children.push(Child::new(Started {
                agent_id,
                row: None,
                passivates: true,
                passive: true,
            })),
        };
        child.spec.passive = true;
        let passive = self.passive_entry(myself);
        self.deps.directory.passivate(agent_id, passive);
        Ok(())
    }

    /// How the directory finds this supervisor to activate one of its passive agents.
    fn passive_entry(&self, myself: &ActorRef<KindMessage>) -> Passive {
        Passive {
            organization_id: self.organization_id,
            kind: self.kind,
            supervisor: myself.clone(),
        }
    }

    fn passivates(&self, behaviour: &dyn Behaviour) -> bool {
        self.kind != AgentKind::Watcher
            && behaviour.decider().is_none()
            && behaviour.topics().is_empty()
    }

    /// The agent's behaviour, checked against this subtree; `None` for a disabled agent
    /// (not started). A configuration its type refuses leaves the agent in `error` and
    /// its tasks waiting with the reason.
    async fn behaviour_of(
        &mut self,
        agent: &Agent,
    ) -> Result<Option<Box<dyn Behaviour>>, StartError> {
        let agent_id = agent.id;
        if agent.status == AgentStatus::Disabled {
            self.children
                .retain_mut(|child| child.spec.agent_id != agent_id);
            self.deps.directory.remove(agent_id);
            return Ok(None);
        }
        let agent_type = self
            .deps
            .registry
            .get(&agent.agent_type)
            .ok_or_else(|| StartError::UnknownAgentType(agent.agent_type.clone()))?;
        if agent_type.kind != self.kind {
            return Err(StartError::WrongKind {
                agent: agent_id,
                actual: agent_type.kind.as_str(),
                expected: self.kind.as_str(),
            });
        }
        match (agent_type.factory)(&agent.configuration) {
            Ok(behaviour) => Ok(Some(behaviour)),
            Err(error) => {
                // Kept, and visible: the agent in error, its tasks waiting with the reason.
                self.deps.lifecycle.status(
                    self.organization_id,
                    agent_id,
                    AgentStatus::Error,
                    None,
                );
                if let Err(failure) = self
                    .deps
                    .store
                    .tasks()
                    .set_waiting_reason_of_agent(
                        self.organization_id,
                        agent_id,
                        Some(&format!(
                            "waiting: its agent {} cannot start, {error}; fix its configuration (PATCH /api/agents/{agent_id}) and the task runs",
                            agent.name
                        )),
                    )
                    .await
                {
                    tracing::warn!(agent = %agent_id, error = %failure, "the waiting reason was not written");
                }
                Err(StartError::Configuration {
                    agent: agent_id,
                    error,
                })
            }
        }
    }

    async fn spawn_agent(
        &mut self,
        myself: &ActorRef<KindMessage>,
        agent: Agent,
        behaviour: Box<dyn Behaviour>,
    ) -> Result<(), StartError> {
        let agent_id = agent.id;
        let passivates = self.passivates(behaviour.as_ref());
        let decider = behaviour.decider().map(crate::directory::Decider);
        let mailbox = Mailbox::new();
        let args = AgentArgs {
            mailbox: mailbox.clone(),
            identity: AgentIdentity {
                id: agent.id,
                organization_id: agent.organization_id,
                name: agent.name.clone(),
                agent_type: agent.agent_type.clone(),
            },
            configuration: agent.configuration.clone(),
            behaviour,
            store: self.deps.store.clone(),
            queue: self.deps.queue.clone(),
            bus: self.deps.bus.clone(),
            integrations: Some(crate::integrations::port(&self.deps)),
            llm: self.deps.llm.clone(),
            lifecycle: self.deps.lifecycle.clone(),
        };
        let (actor, _) = Actor::spawn_linked(None, AgentActor, args, myself.get_cell())
            .await
            .map_err(|source| StartError::Spawn {
                child: format!("agent {agent_id}"),
                source,
            })?;
        let handle = AgentHandle::new(actor, mailbox);
        self.deps.directory.insert(
            agent_id,
            Location {
                organization_id: self.organization_id,
                kind: self.kind,
                handle: handle.clone(),
                decider,
            },
        );
        let row = Some(Box::new(agent));
        let child = match self.child_index(agent_id) {
            Some(index) => {
                self.children[index].spec.row = row;
                &mut self.children[index]
            }
            None => self.children.push(Child::new(Started {
                agent_id,
                row,
                passivates,
                passive: false,
            })),
        };
        child.spec.passivates = passivates;
        child.spec.passive = false;
        child.actor = Some(handle);
        Ok(())
    }

    /// Stops the actors of the agents idle for at least `idle` (after the message in
    /// hand, if one began meanwhile) and keeps them hosted, passive.
    fn passivate_idle(&mut self, myself: &ActorRef<KindMessage>, idle: Duration) {
        let supervisor = myself.get_cell();
        let passive = self.passive_entry(myself);
        for child in self.children.iter_mut() {
            if !child.spec.passivates {
                continue;
            }
            let Some(handle) = &child.actor else {
                continue;
            };
            if !handle.close_if_idle(idle) {
                continue;
            }
            child.stop(&supervisor, Ending::Stop, "passivated");
            child.spec.row = None;
            child.spec.passive = true;
            self.deps
                .directory
                .passivate(child.spec.agent_id, passive.clone());
            crate::metrics::agent_passivated();
            tracing::debug!(agent = %child.spec.agent_id, "agent passivated");
        }
    }

    fn stop_child(&mut self, myself: &ActorRef<KindMessage>, index: usize, reason: &str) {
        let child = &mut self.children[index];
        // Killed, not stopped: a graceful stop would wait for the task in hand to
        // finish; the task is retried instead, once the agent runs again.
        if child.stop(&myself.get_cell(), Ending::Kill, reason) {
            self.deps.directory.remove(child.spec.agent_id);
            tracing::info!(agent = %child.spec.agent_id, reason, "stopping agent");
        } else if child.spec.passive {
            // No actor to stop: it is no longer hosted here.
            self.deps.directory.remove(child.spec.agent_id);
            child.spec.passive = false;
        }
    }

    /// Queued in order with the agent's own transitions (see `LifecycleWriter`): the
    /// restart is not held up by the database.
    fn record_status(&self, agent: AgentId, status: AgentStatus) {
        self.deps
            .lifecycle
            .status(self.organization_id, agent, status, None);
        self.deps.bus.publish(RuntimeEvent::AgentStatusChanged {
            organization_id: self.organization_id,
            agent_id: agent,
            status,
            task_id: None,
        });
    }

    async fn restart(&mut self, myself: &ActorRef<KindMessage>, agent: AgentId) {
        let Some(row) = self
            .child_index(agent)
            .map(|index| self.children[index].spec.row.clone())
        else {
            return;
        };
        let started = match row {
            Some(row) => self.start_agent(myself, *row).await,
            None => self.start_by_id(myself, agent).await,
        };
        match started {
            Ok(()) => {
                let restarts = self
                    .child_index(agent)
                    .map_or(0, |index| self.children[index].history.total());
                crate::metrics::agent_restarted();
                self.deps.bus.publish(RuntimeEvent::AgentRestarted {
                    organization_id: self.organization_id,
                    agent_id: agent,
                    restarts,
                });
            }
            Err(error) => tracing::error!(%agent, %error, "agent could not be restarted"),
        }
    }

    /// The child at `index` failed and `decision` is the policy's: apply it.
    async fn on_child_failed(
        &mut self,
        myself: &ActorRef<KindMessage>,
        index: usize,
        decision: Decision,
        error: String,
    ) -> Result<(), ActorProcessingErr> {
        let agent = self.children[index].spec.agent_id;
        self.deps.directory.remove(agent);
        tracing::warn!(%agent, %error, "agent crashed");
        self.record_status(agent, AgentStatus::Error);
        let policy = self.policy;
        match decision {
            Decision::Restart { delay, .. } => {
                let targets: Vec<usize> = match policy.strategy {
                    Strategy::OneForOne => vec![index],
                    Strategy::OneForAll => (0..self.children.len()).collect(),
                    Strategy::RestForOne => (index..self.children.len()).collect(),
                };
                // A passive sibling holds no state to lose: it stays passive.
                let targets: Vec<usize> = targets
                    .into_iter()
                    .filter(|&target| target == index || !self.children[target].spec.passive)
                    .collect();
                for &target in &targets {
                    if target != index {
                        self.stop_child(myself, target, "restarted with a failed sibling");
                    }
                }
                for target in targets {
                    let target = self.children[target].spec.agent_id;
                    if delay.is_zero() {
                        self.restart(myself, target).await;
                    } else {
                        myself.send_after(delay, move || KindMessage::RestartAgent(target));
                    }
                }
                Ok(())
            }
            Decision::GiveUp { restarts } => {
                self.children.remove(index);
                let reason = format!(
                    "crashed {} times within {:?} (last: {error}); disabled until re-enabled",
                    restarts + 1,
                    policy.window
                );
                tracing::error!(%agent, %reason, "agent disabled");
                self.record_status(agent, AgentStatus::Disabled);
                self.deps.bus.publish(RuntimeEvent::AgentDisabled {
                    organization_id: self.organization_id,
                    agent_id: agent,
                    reason: reason.clone(),
                });
                let escalation = NewEvent {
                    event_type: "agent.disabled".into(),
                    event_source: "supervisor".into(),
                    actor_type: Some(EventActorType::System),
                    actor_id: None,
                    resource_type: Some(companyos_store::ResourceKind::Agent),
                    resource_id: Some(agent.0),
                    metadata: json!({
                        "reason": reason,
                        "restarts": restarts,
                        "window_secs": policy.window.as_secs(),
                        "subtree": subtree_name(self.kind),
                    }),
                };
                if let Err(error) = self
                    .deps
                    .store
                    .events()
                    .record(self.organization_id, escalation)
                    .await
                {
                    tracing::error!(%error, "cannot record the escalation");
                }
                // Escalate: this subtree's own intensity limit applies in turn.
                let group_policy = self.deps.config.group_policy;
                match self
                    .escalations
                    .record_failure(&group_policy, Instant::now())
                {
                    Decision::Restart { .. } => Ok(()),
                    Decision::GiveUp { .. } => {
                        // ractor runs no post_stop for a failed actor: stop the agents here.
                        for index in 0..self.children.len() {
                            self.stop_child(myself, index, "subtree failed");
                        }
                        Err(format!(
                        "{} of organization {} exceeded their restart intensity ({} agents disabled within {:?})",
                        subtree_name(self.kind),
                        self.organization_id,
                        group_policy.max_restarts + 1,
                        group_policy.window
                    )
                    .into())
                    }
                }
            }
        }
    }

    async fn describe(&self) -> Vec<ActorInfo> {
        let mut tree = Vec::with_capacity(self.children.len());
        for child in self.children.iter() {
            let mailbox = child.actor.as_ref().map_or(0, AgentHandle::mailbox_depth);
            let snapshot: Option<AgentSnapshot> = match &child.actor {
                Some(handle) => handle
                    .call(AgentMessage::Snapshot, Some(Duration::from_millis(100)))
                    .await
                    .ok()
                    .and_then(|result| result.success_or(()).ok()),
                None => None,
            };
            tree.push(ActorInfo {
                path: format!(
                    "root/org:{}/{}/agent:{}",
                    self.organization_id,
                    subtree_name(self.kind),
                    child.spec.agent_id
                ),
                agent_id: Some(child.spec.agent_id),
                kind: Some(self.kind),
                status: match (&child.actor, &snapshot) {
                    (_, Some(snapshot)) => Some(snapshot.status),
                    (None, None) if child.spec.passive => Some(AgentStatus::Idle),
                    (None, None) => Some(AgentStatus::Error),
                    (Some(_), None) => None,
                },
                passive: child.spec.passive,
                restarts: child.history.total(),
                messages_handled: snapshot.map_or(0, |snapshot| snapshot.messages_handled),
                mailbox,
            });
        }
        tree
    }
}

impl Actor for KindSupervisor {
    type Msg = KindMessage;
    type State = KindState;
    type Arguments = KindArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<KindMessage>,
        args: KindArgs,
    ) -> Result<KindState, ActorProcessingErr> {
        let mut state = KindState {
            organization_id: args.organization_id,
            kind: args.kind,
            policy: args.deps.config.policy_for(args.kind),
            deps: args.deps,
            children: Children::default(),
            escalations: RestartHistory::default(),
        };
        for agent in args.agents {
            let id = agent.id;
            if let Err(error) = state.host_agent(&myself, agent).await {
                tracing::error!(agent = %id, %error, "agent not started");
            }
        }
        if let Some(idle) = state.deps.config.passivate_after {
            // Checked a few times per idle period, so an agent is passivated within
            // about 1¼ of it.
            let every = (idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(60));
            myself.send_interval(every, || KindMessage::Passivate);
        }
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<KindMessage>,
        state: &mut KindState,
    ) -> Result<(), ActorProcessingErr> {
        for index in 0..state.children.len() {
            state.stop_child(&myself, index, "subtree stopped");
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<KindMessage>,
        message: KindMessage,
        state: &mut KindState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            KindMessage::StartAgent(agent, reply) => {
                let result = match state.child_index(agent) {
                    Some(index) if state.children[index].actor.is_some() => Ok(()),
                    _ => state.start_by_id(&myself, agent).await,
                };
                respond(reply, result, "start agent");
            }
            KindMessage::StopAgent(agent, reply) => {
                if let Some(index) = state.child_index(agent) {
                    state.stop_child(&myself, index, "stopped");
                    state.children.remove(index);
                }
                respond(reply, (), "stop agent");
            }
            KindMessage::RestartAgent(agent) => {
                if state
                    .child_index(agent)
                    .is_some_and(|index| state.children[index].actor.is_none())
                {
                    state.restart(&myself, agent).await;
                }
            }
            KindMessage::Describe(reply) => {
                respond(reply, state.describe().await, "describe");
            }
            KindMessage::Passivate => {
                if let Some(idle) = state.deps.config.passivate_after {
                    state.passivate_idle(&myself, idle);
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<KindMessage>,
        event: SupervisionEvent,
        state: &mut KindState,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(cell, error) = event
            && let Some((index, decision)) = state.children.failed(&cell, &state.policy)
        {
            state
                .on_child_failed(&myself, index, decision, error.to_string())
                .await?;
        }
        Ok(())
    }
}
