//! The supervision tree:
//!
//! ```text
//! root ─┬─ system ─┬─ dispatcher
//!       │          ├─ scheduler
//!       │          ├─ events        (routes stored events to watchers)
//!       │          └─ gateway       (the node's one entry for cross-node traffic)
//!       └─ org:<id> ─┬─ watchers     ─ agent:<id> …
//!                    ├─ executors    ─ agent:<id> …
//!                    ├─ coordinators ─ agent:<id> …
//!                    ├─ analysts     ─ agent:<id> …
//!                    └─ integrations ─ <service> …   (one adapter per connected integration)
//! ```
//!
//! Each level has its own policy: a kind supervisor ([`crate::group`]) restarts its
//! agents under its kind's policy and strategy and disables the ones that keep failing;
//! past its own limit of disabled agents (`group_policy`) it fails, and the organization
//! supervisor restarts it, rebuilt from the table, with `organization_policy`'s backoff;
//! a kind subtree that fails past that limit fails the organization, which the root
//! restarts under the same policy — or, past it again, leaves stopped.
//!
//! A supervisor that fails is not given `post_stop` by ractor, so each one stops its
//! children itself before it returns the error: a restarted subtree never runs next to
//! the remains of the one it replaces.

use companyos_actors::respond;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use companyos_actors::{AgentKind, AgentTypeRegistry, EventBus, LifecycleWriter, RuntimeEvent};
use companyos_store::{Agent, AgentId, AgentStatus, OrgId, Store, TaskQueue};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use crate::children::{Child, Children};
use crate::directory::AgentDirectory;
use crate::dispatcher::DispatchState;
use crate::error::StartError;
use crate::gateway::GatewayMessage;
use crate::group::{KindArgs, KindMessage, KindSupervisor, subtree_name};
use crate::integrations::{IntegrationsArgs, IntegrationsMessage, IntegrationsSupervisor};
use crate::policy::Decision;
use crate::router::RouterMessage;
use crate::runtime::RuntimeConfig;
use crate::system::{SystemMessage, SystemSupervisor};

/// The four kinds, in the order their subtrees start (watchers last: they spawn work
/// for the others).
pub(crate) const KINDS: [AgentKind; 4] = [
    AgentKind::Executor,
    AgentKind::Coordinator,
    AgentKind::Analyst,
    AgentKind::Watcher,
];

/// What every supervisor of a node shares.
pub struct Deps {
    pub store: Store,
    pub queue: Arc<dyn TaskQueue>,
    /// The queue's relaxed mode for the router's tasks (`TaskQueue::relaxed`), or the
    /// queue itself.
    pub(crate) derived_queue: Arc<dyn TaskQueue>,
    pub bus: EventBus,
    pub registry: AgentTypeRegistry,
    pub directory: AgentDirectory,
    pub config: RuntimeConfig,
    pub(crate) dispatch: Arc<DispatchState>,
    pub(crate) node: NodeState,
    /// Every agent row write of this node, in order (see `LifecycleWriter`).
    pub lifecycle: LifecycleWriter,
    /// The node's language models and each agent's spend.
    pub llm: Arc<companyos_actors::llm::LlmGate>,
    /// Cluster mode: this node's membership and claims (set once at start).
    pub(crate) cluster: std::sync::OnceLock<Arc<crate::placement::ClusterState>>,
    /// The task transport (RabbitMQ), when `cluster.amqp_url` is set.
    pub(crate) transport: Option<companyos_store::transport::TaskTransport>,
    /// Search by meaning, when an embeddings endpoint is configured.
    pub(crate) semantic: Option<Arc<crate::semantic::SemanticIndex>>,
}

impl Deps {
    /// Writes a task durably; a new one is announced and wakes the dispatcher (an
    /// existing one, found by its idempotency key, is returned as it is).
    pub(crate) async fn submit(
        &self,
        task: companyos_store::NewTask,
    ) -> Result<companyos_store::AgentTask, companyos_store::StoreError> {
        let enqueued = self.queue.enqueue(task).await?;
        if enqueued.created {
            self.bus.publish(RuntimeEvent::TaskChanged {
                organization_id: enqueued.task.organization_id,
                task_id: enqueued.task.id,
                agent_id: enqueued.task.agent_id,
                status: enqueued.task.status,
            });
            self.dispatch.wake.notify_one();
        }
        Ok(enqueued.task)
    }

    /// Whether task messages come through RabbitMQ now.
    pub(crate) fn transport_up(&self) -> bool {
        self.transport
            .as_ref()
            .is_some_and(companyos_store::transport::TaskTransport::is_up)
    }
}

/// The node's system actors and hosted organizations, as their supervisors last
/// (re)started them.
#[derive(Default)]
pub(crate) struct NodeState {
    router: RwLock<Option<ActorRef<RouterMessage>>>,
    gateway: RwLock<Option<ActorRef<GatewayMessage>>>,
    deliveries: RwLock<Option<ActorRef<crate::deliveries::DeliveriesMessage>>>,
    organizations: RwLock<HashSet<OrgId>>,
    integrations: RwLock<HashMap<OrgId, ActorRef<IntegrationsMessage>>>,
}

impl NodeState {
    pub fn router(&self) -> Option<ActorRef<RouterMessage>> {
        read(&self.router).clone()
    }

    pub fn set_router(&self, router: Option<ActorRef<RouterMessage>>) {
        *write(&self.router) = router;
    }

    pub fn gateway(&self) -> Option<ActorRef<GatewayMessage>> {
        read(&self.gateway).clone()
    }

    pub fn set_gateway(&self, gateway: Option<ActorRef<GatewayMessage>>) {
        *write(&self.gateway) = gateway;
    }

    pub fn deliveries(&self) -> Option<ActorRef<crate::deliveries::DeliveriesMessage>> {
        read(&self.deliveries).clone()
    }

    pub fn set_deliveries(
        &self,
        deliveries: Option<ActorRef<crate::deliveries::DeliveriesMessage>>,
    ) {
        *write(&self.deliveries) = deliveries;
    }

    /// The organization's integrations supervisor, when it runs on this node.
    pub fn integrations(&self, org: OrgId) -> Option<ActorRef<IntegrationsMessage>> {
        read(&self.integrations).get(&org).cloned()
    }

    pub fn set_integrations(&self, org: OrgId, actor: Option<ActorRef<IntegrationsMessage>>) {
        let mut integrations = write(&self.integrations);
        match actor {
            Some(actor) => {
                integrations.insert(org, actor);
            }
            None => {
                integrations.remove(&org);
            }
        }
    }

    /// Whether this node hosts the organization's subtree.
    pub fn hosts(&self, org: OrgId) -> bool {
        read(&self.organizations).contains(&org)
    }

    /// The organizations whose subtrees run here.
    pub fn hosted(&self) -> Vec<OrgId> {
        read(&self.organizations).iter().copied().collect()
    }

    fn set_hosted(&self, org: OrgId, hosted: bool) {
        let mut organizations = write(&self.organizations);
        if hosted {
            organizations.insert(org);
        } else {
            organizations.remove(&org);
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One actor of the live tree, as operators see it (it crosses between nodes as JSON:
/// a node shows an organization's subtree that runs on another).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActorInfo {
    /// `root`, `root/system/dispatcher`, `root/org:<id>/executors/agent:<id>`, ….
    pub path: String,
    pub agent_id: Option<AgentId>,
    /// The agent's kind, or the kind a kind supervisor supervises.
    pub kind: Option<AgentKind>,
    /// The agent's lifecycle state (`None` for supervisors and system actors, and for an
    /// agent that is busy and did not answer in time).
    pub status: Option<AgentStatus>,
    pub restarts: u32,
    pub messages_handled: u64,
    /// Messages waiting in the actor's mailbox (agents only: ractor does not expose it).
    pub mailbox: usize,
    /// A passive agent: hosted, its actor stopped while it is idle, started again by
    /// its next task or question.
    #[serde(default)]
    pub passive: bool,
}

impl ActorInfo {
    /// A supervisor or system actor: no agent, no lifecycle state.
    pub(crate) fn actor(path: String, kind: Option<AgentKind>, restarts: u32) -> ActorInfo {
        ActorInfo {
            path,
            agent_id: None,
            kind,
            status: None,
            restarts,
            messages_handled: 0,
            mailbox: 0,
            passive: false,
        }
    }
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
    /// The kind subtrees; a kind's failures count against `organization_policy`, and
    /// past its limit the organization fails to the root.
    groups: Children<AgentKind, ActorRef<KindMessage>>,
    integrations: Child<(), ActorRef<IntegrationsMessage>>,
}

pub enum OrgMessage {
    /// The kind supervisor of `kind` (`None` while it restarts).
    Group(AgentKind, RpcReplyPort<Option<ActorRef<KindMessage>>>),
    /// A backoff delay has passed: start the failed kind subtree again.
    RestartGroup(AgentKind),
    /// A backoff delay has passed: start the failed integrations subtree again.
    RestartIntegrations,
    /// The organization's part of the live tree.
    Describe(RpcReplyPort<Vec<ActorInfo>>),
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for OrgMessage {}

impl OrgState {
    /// The organization's agents that are not disabled, by kind. An agent whose type is
    /// not registered on this node is logged and left down.
    async fn agents_by_kind(&self) -> Result<Vec<(AgentKind, Vec<Agent>)>, ActorProcessingErr> {
        // The table must say what this node last decided (an agent disabled a moment
        // ago stays down): let the queued lifecycle writes land first.
        self.deps.lifecycle.flush().await;
        let mut by_kind: Vec<(AgentKind, Vec<Agent>)> =
            KINDS.iter().map(|kind| (*kind, Vec::new())).collect();
        for agent in self
            .deps
            .store
            .agents()
            .list_all(self.organization_id)
            .await?
        {
            if agent.status == AgentStatus::Disabled {
                continue;
            }
            let Some(agent_type) = self.deps.registry.get(&agent.agent_type) else {
                tracing::error!(agent = %agent.id, agent_type = %agent.agent_type, "agent not started: its type is not registered");
                continue;
            };
            if let Some((_, agents)) = by_kind
                .iter_mut()
                .find(|(kind, _)| *kind == agent_type.kind)
            {
                agents.push(agent);
            }
        }
        Ok(by_kind)
    }

    async fn start_group(
        &mut self,
        myself: &ActorRef<OrgMessage>,
        kind: AgentKind,
        agents: Vec<Agent>,
    ) -> Result<(), ActorProcessingErr> {
        let args = KindArgs {
            organization_id: self.organization_id,
            kind,
            deps: self.deps.clone(),
            agents,
        };
        let (actor, _) = Actor::spawn_linked(None, KindSupervisor, args, myself.get_cell()).await?;
        let group = match self.groups.find_mut(|of| *of == kind) {
            Some(group) => group,
            None => self.groups.push(Child::new(kind)),
        };
        group.actor = Some(actor);
        Ok(())
    }

    async fn start_integrations(
        &mut self,
        myself: &ActorRef<OrgMessage>,
    ) -> Result<(), ActorProcessingErr> {
        let args = IntegrationsArgs {
            organization_id: self.organization_id,
            deps: self.deps.clone(),
        };
        let (actor, _) =
            Actor::spawn_linked(None, IntegrationsSupervisor, args, myself.get_cell()).await?;
        self.integrations.actor = Some(actor);
        Ok(())
    }

    /// Stops every child: the integrations, then the kind subtrees.
    async fn stop_groups(&mut self, myself: &ActorRef<OrgMessage>, reason: &str) {
        let supervisor = myself.get_cell();
        let wait = Duration::from_secs(10);
        self.integrations
            .stop_and_wait(&supervisor, reason, Some(wait))
            .await;
        self.groups
            .stop_all_in_turn(&supervisor, reason, wait)
            .await;
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
            groups: Children::default(),
            integrations: Child::new(()),
        };
        for (kind, agents) in state.agents_by_kind().await? {
            if let Err(error) = state.start_group(&myself, kind, agents).await {
                state
                    .stop_groups(&myself, "organization failed to start")
                    .await;
                return Err(error);
            }
        }
        // Last: the adapters feed events to the watchers started above.
        if let Err(error) = state.start_integrations(&myself).await {
            state
                .stop_groups(&myself, "organization failed to start")
                .await;
            return Err(error);
        }
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<OrgMessage>,
        state: &mut OrgState,
    ) -> Result<(), ActorProcessingErr> {
        state.stop_groups(&myself, "organization stopped").await;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<OrgMessage>,
        message: OrgMessage,
        state: &mut OrgState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            OrgMessage::Group(kind, reply) => {
                let actor = state
                    .groups
                    .find(|of| *of == kind)
                    .and_then(|group| group.actor.clone());
                respond(reply, actor, "kind supervisor");
            }
            OrgMessage::RestartGroup(kind) => {
                let stopped = state
                    .groups
                    .find(|of| *of == kind)
                    .is_some_and(|group| group.actor.is_none());
                if stopped {
                    let agents = state
                        .agents_by_kind()
                        .await?
                        .into_iter()
                        .find(|(of, _)| *of == kind)
                        .map(|(_, agents)| agents)
                        .unwrap_or_default();
                    state.start_group(&myself, kind, agents).await?;
                }
            }
            OrgMessage::RestartIntegrations => {
                if state.integrations.actor.is_none() {
                    state.start_integrations(&myself).await?;
                }
            }
            OrgMessage::Describe(reply) => {
                let mut tree = Vec::new();
                for group in state.groups.iter() {
                    tree.push(ActorInfo::actor(
                        format!(
                            "root/org:{}/{}",
                            state.organization_id,
                            subtree_name(group.spec)
                        ),
                        Some(group.spec),
                        group.history.total(),
                    ));
                    if let Some(actor) = &group.actor
                        && let Ok(ractor::rpc::CallResult::Success(agents)) = actor
                            .call(KindMessage::Describe, Some(Duration::from_secs(5)))
                            .await
                    {
                        tree.extend(agents);
                    }
                }
                if let Some(actor) = &state.integrations.actor
                    && let Ok(ractor::rpc::CallResult::Success(adapters)) = actor
                        .call(IntegrationsMessage::Describe, Some(Duration::from_secs(5)))
                        .await
                {
                    let mut adapters = adapters;
                    if let Some(first) = adapters.first_mut() {
                        first.restarts = state.integrations.history.total();
                    }
                    tree.extend(adapters);
                }
                respond(reply, tree, "describe");
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
        let SupervisionEvent::ActorFailed(cell, error) = event else {
            return Ok(());
        };
        let policy = state.deps.config.organization_policy;
        if let Some(decision) = state.integrations.failed(&cell, &policy) {
            tracing::error!(org = %state.organization_id, %error, "integrations subtree failed");
            // Deliveries wait in the table while it is down: never give up, only slow down.
            let delay = match decision {
                Decision::Restart { delay, .. } => delay,
                Decision::GiveUp { .. } => policy.max_backoff,
            };
            crate::metrics::subtree_restarted("integrations");
            myself.send_after(delay, || OrgMessage::RestartIntegrations);
            return Ok(());
        }
        let Some((index, decision)) = state.groups.failed(&cell, &policy) else {
            return Ok(());
        };
        let kind = state.groups[index].spec;
        tracing::error!(org = %state.organization_id, subtree = subtree_name(kind), %error, "kind subtree failed");
        match decision {
            Decision::Restart { delay, .. } => {
                crate::metrics::subtree_restarted("kind");
                if delay.is_zero() {
                    myself.send_message(OrgMessage::RestartGroup(kind))?;
                } else {
                    myself.send_after(delay, move || OrgMessage::RestartGroup(kind));
                }
                Ok(())
            }
            Decision::GiveUp { .. } => {
                state.stop_groups(&myself, "organization gave up").await;
                Err(format!(
                    "organization {}: {} keep failing ({error})",
                    state.organization_id,
                    subtree_name(kind)
                )
                .into())
            }
        }
    }
}

// ─── root ──────────────────────────────────────────────────────────────────────

pub struct RootSupervisor;

pub struct RootState {
    deps: Arc<Deps>,
    system: Child<(), ActorRef<SystemMessage>>,
    organizations: Children<OrgId, ActorRef<OrgMessage>>,
}

pub enum RootMessage {
    StartOrganization(OrgId, RpcReplyPort<Result<(), StartError>>),
    StopOrganization(OrgId, RpcReplyPort<()>),
    RestartOrganization(OrgId),
    RestartSystem,
    Organization(OrgId, RpcReplyPort<Option<ActorRef<OrgMessage>>>),
    /// The tree below the root: the system's actors and every organization's subtree,
    /// or only that of the organization given (the others as their top nodes).
    Describe(Option<OrgId>, RpcReplyPort<Vec<ActorInfo>>),
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for RootMessage {}

impl RootState {
    async fn start_system(&mut self, myself: &ActorRef<RootMessage>) -> Result<(), StartError> {
        let (actor, _) =
            Actor::spawn_linked(None, SystemSupervisor, self.deps.clone(), myself.get_cell())
                .await
                .map_err(|source| StartError::Spawn {
                    child: "the system actors".into(),
                    source,
                })?;
        self.system.actor = Some(actor);
        Ok(())
    }

    async fn start_organization(
        &mut self,
        myself: &ActorRef<RootMessage>,
        org: OrgId,
    ) -> Result<(), StartError> {
        let args = OrgArgs {
            organization_id: org,
            deps: self.deps.clone(),
        };
        let (actor, _) = Actor::spawn_linked(None, OrgSupervisor, args, myself.get_cell())
            .await
            .map_err(|source| StartError::Spawn {
                child: format!("organization {org}"),
                source,
            })?;
        let entry = match self.organizations.find_mut(|id| *id == org) {
            Some(entry) => entry,
            None => self.organizations.push(Child::new(org)),
        };
        entry.actor = Some(actor);
        self.deps.node.set_hosted(org, true);
        Ok(())
    }
}

impl Actor for RootSupervisor {
    type Msg = RootMessage;
    type State = RootState;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        myself: ActorRef<RootMessage>,
        deps: Arc<Deps>,
    ) -> Result<RootState, ActorProcessingErr> {
        let mut state = RootState {
            deps,
            system: Child::new(()),
            organizations: Children::default(),
        };
        state.start_system(&myself).await?;
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<RootMessage>,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        // The system first: no task is handed to an agent that is about to stop.
        let supervisor = myself.get_cell();
        let wait = Some(Duration::from_secs(10));
        state
            .system
            .stop_and_wait(&supervisor, "node stopping", wait)
            .await;
        for entry in state.organizations.iter_mut() {
            entry
                .stop_and_wait(&supervisor, "node stopping", wait)
                .await;
            state.deps.node.set_hosted(entry.spec, false);
        }
        Ok(())
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
                    .find(|id| *id == org)
                    .is_some_and(|entry| entry.actor.is_some());
                let result = if running {
                    Ok(())
                } else {
                    state.start_organization(&myself, org).await
                };
                respond(reply, result, "start organization");
            }
            RootMessage::StopOrganization(org, reply) => {
                if let Some(index) = state.organizations.position(|id| *id == org) {
                    let mut entry = state.organizations.remove(index);
                    state.deps.node.set_hosted(org, false);
                    entry
                        .stop_and_wait(&myself.get_cell(), "organization moved or stopped", None)
                        .await;
                }
                respond(reply, (), "stop organization");
            }
            RootMessage::RestartOrganization(org) => {
                let stopped = state
                    .organizations
                    .find(|id| *id == org)
                    .is_some_and(|entry| entry.actor.is_none());
                if stopped && let Err(error) = state.start_organization(&myself, org).await {
                    tracing::error!(%org, %error, "organization could not be restarted");
                }
            }
            RootMessage::RestartSystem => {
                if state.system.actor.is_none()
                    && let Err(error) = state.start_system(&myself).await
                {
                    tracing::error!(%error, "system actors could not be restarted; retrying");
                    let delay = state.deps.config.organization_policy.max_backoff;
                    myself.send_after(delay, || RootMessage::RestartSystem);
                }
            }
            RootMessage::Organization(org, reply) => {
                let actor = state
                    .organizations
                    .find(|id| *id == org)
                    .and_then(|entry| entry.actor.clone());
                respond(reply, actor, "organization supervisor");
            }
            RootMessage::Describe(only, reply) => {
                let mut tree = vec![ActorInfo::actor("root".into(), None, 0)];
                if let Some(system) = &state.system.actor
                    && let Ok(ractor::rpc::CallResult::Success(actors)) = system
                        .call(SystemMessage::Describe, Some(Duration::from_secs(5)))
                        .await
                {
                    tree.push(ActorInfo::actor(
                        "root/system".into(),
                        None,
                        state.system.history.total(),
                    ));
                    tree.extend(actors);
                }
                for entry in state.organizations.iter() {
                    tree.push(ActorInfo::actor(
                        format!("root/org:{}", entry.spec),
                        None,
                        entry.history.total(),
                    ));
                    if only.is_none_or(|org| org == entry.spec)
                        && let Some(actor) = &entry.actor
                        && let Ok(ractor::rpc::CallResult::Success(actors)) = actor
                            .call(OrgMessage::Describe, Some(Duration::from_secs(10)))
                            .await
                    {
                        tree.extend(actors);
                    }
                }
                respond(reply, tree, "describe");
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
        let SupervisionEvent::ActorFailed(cell, error) = event else {
            return Ok(());
        };
        let policy = state.deps.config.organization_policy;
        if let Some(decision) = state.system.failed(&cell, &policy) {
            tracing::error!(%error, "system actors failed");
            // The node cannot work without them: never give up, only slow down.
            let delay = match decision {
                Decision::Restart { delay, .. } => delay,
                Decision::GiveUp { .. } => policy.max_backoff,
            };
            crate::metrics::subtree_restarted("system");
            myself.send_after(delay, || RootMessage::RestartSystem);
            return Ok(());
        }
        let Some((index, decision)) = state.organizations.failed(&cell, &policy) else {
            return Ok(());
        };
        let org = state.organizations[index].spec;
        tracing::error!(%org, %error, "organization subtree failed");
        match decision {
            Decision::Restart { delay, .. } => {
                crate::metrics::subtree_restarted("organization");
                myself.send_after(delay, move || RootMessage::RestartOrganization(org));
            }
            Decision::GiveUp { .. } => {
                // The root never dies: the organization stays down until started again.
                state.deps.node.set_hosted(org, false);
                tracing::error!(%org, "organization subtree left stopped: it keeps failing");
            }
        }
        Ok(())
    }
}
