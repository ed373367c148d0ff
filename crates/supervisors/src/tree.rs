//! The supervision tree: `root → org:<id> → agents`. The root supervises one
//! [`OrgSupervisor`] per organization; an organization supervisor starts its agents
//! from the `agents` table and applies the [`RestartPolicy`] when one fails: restart
//! (immediately, then with backoff), or — past the intensity limit — disable the agent,
//! record the escalation, and count it against the organization's own limit.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use companyos_actors::{
    AgentActor, AgentArgs, AgentHandle, AgentIdentity, AgentKind, AgentMessage, AgentSnapshot,
    AgentTypeRegistry, EventBus, RuntimeEvent,
};
use companyos_store::{AgentId, AgentStatus, EventActorType, NewEvent, OrgId, Store, TaskQueue};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use serde_json::json;

use crate::directory::{AgentDirectory, Location};
use crate::policy::{Decision, RestartHistory, RestartPolicy, Strategy};

/// What every supervisor of a node shares.
pub struct Deps {
    pub store: Store,
    pub queue: Arc<dyn TaskQueue>,
    pub bus: EventBus,
    pub registry: AgentTypeRegistry,
    pub directory: AgentDirectory,
    pub agent_policy: RestartPolicy,
    pub organization_policy: RestartPolicy,
}

/// One actor of the live tree, as operators see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ActorInfo {
    /// `root/org:<id>/<kind>s/agent:<id>`.
    pub path: String,
    pub agent_id: Option<AgentId>,
    pub kind: Option<AgentKind>,
    /// The agent's lifecycle state (`None` when it is busy and did not answer in time).
    pub status: Option<AgentStatus>,
    pub restarts: u32,
    pub messages_handled: u64,
    /// Messages waiting in the agent's mailbox.
    pub mailbox: usize,
}

// ─── organization ──────────────────────────────────────────────────────────────

pub struct OrgSupervisor;

pub struct OrgArgs {
    pub(crate) organization_id: OrgId,
    pub(crate) deps: Arc<Deps>,
}

pub struct OrgState {
    organization_id: OrgId,
    deps: Arc<Deps>,
    /// In start order (rest_for_one depends on it).
    children: Vec<Child>,
    escalations: RestartHistory,
}

struct Child {
    agent_id: AgentId,
    kind: AgentKind,
    actor: Option<AgentHandle>,
    history: RestartHistory,
}

pub enum OrgMessage {
    /// Starts (or restarts, if stopped) the agent with this id from its row.
    StartAgent(AgentId, RpcReplyPort<Result<(), String>>),
    /// Stops the agent and forgets it (disable, delete).
    StopAgent(AgentId, RpcReplyPort<()>),
    /// A backoff delay has passed: start the failed agent again.
    RestartAgent(AgentId),
    /// The organization's part of the live tree.
    Describe(RpcReplyPort<Vec<ActorInfo>>),
}

impl OrgState {
    fn child_index(&self, agent: AgentId) -> Option<usize> {
        self.children
            .iter()
            .position(|child| child.agent_id == agent)
    }

    /// Starts the agent from its stored row. A disabled or deleted agent is not started.
    async fn start_agent(
        &mut self,
        myself: &ActorRef<OrgMessage>,
        agent_id: AgentId,
    ) -> Result<(), String> {
        let agent = match self
            .deps
            .store
            .agents()
            .get(self.organization_id, agent_id)
            .await
        {
            Ok(agent) => agent,
            Err(error) => {
                self.children.retain(|child| child.agent_id != agent_id);
                return Err(error.to_string());
            }
        };
        if agent.status == AgentStatus::Disabled {
            self.children.retain(|child| child.agent_id != agent_id);
            return Ok(());
        }
        let agent_type = self
            .deps
            .registry
            .get(&agent.agent_type)
            .ok_or_else(|| format!("unknown agent type {:?}", agent.agent_type))?;
        let behaviour = (agent_type.factory)(&agent.configuration);
        let kind = behaviour.kind();
        let mailbox = Arc::new(AtomicUsize::new(0));
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
        };
        let (actor, _) = Actor::spawn_linked(None, AgentActor, args, myself.get_cell())
            .await
            .map_err(|error| format!("agent {agent_id} failed to start: {error}"))?;
        let handle = AgentHandle::new(actor, mailbox);
        self.deps.directory.insert(
            agent_id,
            Location {
                organization_id: self.organization_id,
                kind,
                handle: handle.clone(),
            },
        );
        match self.child_index(agent_id) {
            Some(index) => {
                self.children[index].actor = Some(handle);
                self.children[index].kind = kind;
            }
            None => self.children.push(Child {
                agent_id,
                kind,
                actor: Some(handle),
                history: RestartHistory::default(),
            }),
        }
        Ok(())
    }

    fn stop_child(&mut self, myself: &ActorRef<OrgMessage>, index: usize, reason: &str) {
        if let Some(handle) = self.children[index].actor.take() {
            let actor = handle.actor();
            self.deps.directory.remove(self.children[index].agent_id);
            // Unlinked first: a deliberate stop is not a failure to supervise. Killed, not
            // stopped: a graceful stop would wait for the task in hand to finish; the
            // task is retried instead, once the agent runs again.
            actor.unlink(myself.get_cell());
            tracing::info!(agent = %self.children[index].agent_id, reason, "stopping agent");
            actor.kill();
        }
    }

    async fn record_status(&self, agent: AgentId, status: AgentStatus) {
        if let Err(error) = self
            .deps
            .store
            .agents()
            .set_status(self.organization_id, agent, status, None)
            .await
        {
            tracing::error!(%agent, %error, "cannot record the agent's status");
        }
        self.deps.bus.publish(RuntimeEvent::AgentStatusChanged {
            organization_id: self.organization_id,
            agent_id: agent,
            status,
            task_id: None,
        });
    }

    async fn restart(&mut self, myself: &ActorRef<OrgMessage>, agent: AgentId) {
        match self.start_agent(myself, agent).await {
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

    /// The child failed: apply the policy.
    async fn on_child_failed(
        &mut self,
        myself: &ActorRef<OrgMessage>,
        index: usize,
        error: String,
    ) -> Result<(), ActorProcessingErr> {
        let agent = self.children[index].agent_id;
        self.children[index].actor = None;
        self.deps.directory.remove(agent);
        tracing::warn!(%agent, %error, "agent crashed");
        self.record_status(agent, AgentStatus::Error).await;
        let policy = self.deps.agent_policy;
        match self.children[index]
            .history
            .record_failure(&policy, Instant::now())
        {
            Decision::Restart { delay, .. } => {
                let targets: Vec<usize> = match policy.strategy {
                    Strategy::OneForOne => vec![index],
                    Strategy::OneForAll => (0..self.children.len()).collect(),
                    Strategy::RestForOne => (index..self.children.len()).collect(),
                };
                for &target in &targets {
                    if target != index {
                        self.stop_child(myself, target, "restarted with a failed sibling");
                    }
                }
                for target in targets {
                    let target = self.children[target].agent_id;
                    if delay.is_zero() {
                        self.restart(myself, target).await;
                    } else {
                        myself.send_after(delay, move || OrgMessage::RestartAgent(target));
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
                self.record_status(agent, AgentStatus::Disabled).await;
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
                    resource_type: Some("agent".into()),
                    resource_id: Some(agent.0),
                    metadata: json!({"reason": reason, "restarts": restarts, "window_secs": policy.window.as_secs()}),
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
                // Escalate: the organization's own intensity limit applies in turn.
                let organization_policy = self.deps.organization_policy;
                match self.escalations.record_failure(&organization_policy, Instant::now()) {
                    Decision::Restart { .. } => Ok(()),
                    Decision::GiveUp { .. } => Err(format!(
                        "organization {} exceeded its restart intensity ({} agents disabled within {:?})",
                        self.organization_id,
                        organization_policy.max_restarts + 1,
                        organization_policy.window
                    )
                    .into()),
                }
            }
        }
    }
}

impl Actor for OrgSupervisor {
    type Msg = OrgMessage;
    type State = OrgState;
    type Arguments = OrgArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<OrgMessage>,
        args: OrgArgs,
    ) -> Result<OrgState, ActorProcessingErr> {
        let mut state = OrgState {
            organization_id: args.organization_id,
            deps: args.deps,
            children: Vec::new(),
            escalations: RestartHistory::default(),
        };
        for agent in state
            .deps
            .store
            .agents()
            .list_all(state.organization_id)
            .await?
        {
            if agent.status == AgentStatus::Disabled {
                continue;
            }
            if let Err(error) = state.start_agent(&myself, agent.id).await {
                tracing::error!(agent = %agent.id, %error, "agent not started");
            }
        }
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<OrgMessage>,
        state: &mut OrgState,
    ) -> Result<(), ActorProcessingErr> {
        for index in 0..state.children.len() {
            state.stop_child(&myself, index, "organization stopped");
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<OrgMessage>,
        message: OrgMessage,
        state: &mut OrgState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            OrgMessage::StartAgent(agent, reply) => {
                let result = match state.child_index(agent) {
                    Some(index) if state.children[index].actor.is_some() => Ok(()),
                    _ => state.start_agent(&myself, agent).await,
                };
                let _ = reply.send(result);
            }
            OrgMessage::StopAgent(agent, reply) => {
                if let Some(index) = state.child_index(agent) {
                    state.stop_child(&myself, index, "stopped");
                    state.children.remove(index);
                }
                let _ = reply.send(());
            }
            OrgMessage::RestartAgent(agent) => {
                if state
                    .child_index(agent)
                    .is_some_and(|index| state.children[index].actor.is_none())
                {
                    state.restart(&myself, agent).await;
                }
            }
            OrgMessage::Describe(reply) => {
                let mut tree = Vec::with_capacity(state.children.len());
                for child in &state.children {
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
                            "root/org:{}/{}s/agent:{}",
                            state.organization_id,
                            child.kind.as_str(),
                            child.agent_id
                        ),
                        agent_id: Some(child.agent_id),
                        kind: Some(child.kind),
                        status: match (&child.actor, &snapshot) {
                            (_, Some(snapshot)) => Some(snapshot.status),
                            (None, None) => Some(AgentStatus::Error),
                            (Some(_), None) => None,
                        },
                        restarts: child.history.total(),
                        messages_handled: snapshot.map_or(0, |snapshot| snapshot.messages_handled),
                        mailbox,
                    });
                }
                let _ = reply.send(tree);
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<OrgMessage>,
        event: SupervisionEvent,
        state: &mut OrgState,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(cell, error) = event {
            let failed = state.children.iter().position(|child| {
                child
                    .actor
                    .as_ref()
                    .is_some_and(|handle| handle.actor().get_id() == cell.get_id())
            });
            if let Some(index) = failed {
                state
                    .on_child_failed(&myself, index, error.to_string())
                    .await?;
            }
        }
        Ok(())
    }
}

// ─── root ──────────────────────────────────────────────────────────────────────

pub struct RootSupervisor;

pub struct RootState {
    deps: Arc<Deps>,
    organizations: Vec<(OrgId, Option<ActorRef<OrgMessage>>, RestartHistory)>,
}

pub enum RootMessage {
    StartOrganization(OrgId, RpcReplyPort<Result<(), String>>),
    StopOrganization(OrgId, RpcReplyPort<()>),
    RestartOrganization(OrgId),
    Organization(OrgId, RpcReplyPort<Option<ActorRef<OrgMessage>>>),
    Organizations(RpcReplyPort<Vec<(OrgId, ActorRef<OrgMessage>)>>),
}

impl RootState {
    async fn start_organization(
        &mut self,
        myself: &ActorRef<RootMessage>,
        org: OrgId,
    ) -> Result<(), String> {
        let args = OrgArgs {
            organization_id: org,
            deps: self.deps.clone(),
        };
        let (actor, _) = Actor::spawn_linked(None, OrgSupervisor, args, myself.get_cell())
            .await
            .map_err(|error| format!("organization {org} failed to start: {error}"))?;
        match self.organizations.iter_mut().find(|(id, _, _)| *id == org) {
            Some(entry) => entry.1 = Some(actor),
            None => self
                .organizations
                .push((org, Some(actor), RestartHistory::default())),
        }
        Ok(())
    }
}

impl Actor for RootSupervisor {
    type Msg = RootMessage;
    type State = RootState;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        _myself: ActorRef<RootMessage>,
        deps: Arc<Deps>,
    ) -> Result<RootState, ActorProcessingErr> {
        Ok(RootState {
            deps,
            organizations: Vec::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<RootMessage>,
        message: RootMessage,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RootMessage::StartOrganization(org, reply) => {
                let running = state
                    .organizations
                    .iter()
                    .any(|(id, actor, _)| *id == org && actor.is_some());
                let result = if running {
                    Ok(())
                } else {
                    state.start_organization(&myself, org).await
                };
                let _ = reply.send(result);
            }
            RootMessage::StopOrganization(org, reply) => {
                if let Some(index) = state.organizations.iter().position(|(id, _, _)| *id == org) {
                    let (_, actor, _) = state.organizations.remove(index);
                    if let Some(actor) = actor {
                        actor.unlink(myself.get_cell());
                        let _ = actor
                            .stop_and_wait(Some("organization moved or stopped".into()), None)
                            .await;
                    }
                }
                let _ = reply.send(());
            }
            RootMessage::RestartOrganization(org) => {
                let stopped = state
                    .organizations
                    .iter()
                    .any(|(id, actor, _)| *id == org && actor.is_none());
                if stopped && let Err(error) = state.start_organization(&myself, org).await {
                    tracing::error!(%org, %error, "organization could not be restarted");
                }
            }
            RootMessage::Organization(org, reply) => {
                let actor = state
                    .organizations
                    .iter()
                    .find(|(id, _, _)| *id == org)
                    .and_then(|(_, actor, _)| actor.clone());
                let _ = reply.send(actor);
            }
            RootMessage::Organizations(reply) => {
                let running = state
                    .organizations
                    .iter()
                    .filter_map(|(id, actor, _)| actor.clone().map(|actor| (*id, actor)))
                    .collect();
                let _ = reply.send(running);
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<RootMessage>,
        event: SupervisionEvent,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(cell, error) = event {
            let policy = state.deps.organization_policy;
            let Some(entry) = state.organizations.iter_mut().find(|(_, actor, _)| {
                actor
                    .as_ref()
                    .is_some_and(|actor| actor.get_id() == cell.get_id())
            }) else {
                return Ok(());
            };
            entry.1 = None;
            let org = entry.0;
            tracing::error!(%org, %error, "organization subtree failed");
            match entry.2.record_failure(&policy, Instant::now()) {
                Decision::Restart { delay, .. } => {
                    myself.send_after(delay, move || RootMessage::RestartOrganization(org));
                }
                Decision::GiveUp { .. } => {
                    // The root never dies: the organization stays down until restarted.
                    tracing::error!(%org, "organization subtree left stopped: it keeps failing");
                }
            }
        }
        Ok(())
    }
}
