//! [`Runtime`]: the handle the edge and the binary use to run agents — spawn, disable,
//! enable and delete agents; submit, cancel, approve and reject tasks; route events to
//! watchers; ask an agent a question; subscribe to lifecycle and task events; read the
//! live tree. Start-up rebuilds the tree from the `agents` table.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use companyos_actors::{AgentKind, AgentTypeRegistry, EventBus, LifecycleWriter, RuntimeEvent};
use companyos_store::{
    Agent, AgentId, AgentPatch, AgentStatus, AgentTask, ApprovalChannel, CollaborationStatus,
    CollaborationType, DecidedBy, DeliveryId, EventId, IntegrationId, NewAgent, NewSchedule,
    NewTask, OrgId, Schedule, Store, StoreError, TaskId, TaskQueue,
};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::consensus::{self, ConsensusOutcome, ConsensusRule, Opinion};
use crate::directory::AgentDirectory;
use crate::dispatcher::{DispatchState, DispatcherConfig};
use crate::duties::Person;
use crate::error::{RemoteError, RuntimeError, TreeError};
use crate::gateway::{self, GatewayMessage};
use crate::group::KindMessage;
use crate::integrations::sync::AdapterConfig;
use crate::integrations::{Delivered, InHand, IntegrationsMessage};
use crate::placement::{ClusterSettings, Nudge};
use crate::policy::RestartPolicy;
use crate::router::RouterMessage;
use crate::scheduler::{self, SchedulerConfig};
use crate::tree::{ActorInfo, Deps, NodeState, OrgMessage, RootMessage, RootSupervisor};

/// How a runtime runs.
#[derive(Clone, Debug, Default)]
pub struct RuntimeConfig {
    pub dispatcher: DispatcherConfig,
    /// How a kind supervisor restarts its agents (strategy among the agents of that
    /// kind, backoff, and the limit past which an agent is disabled)…
    pub agent_policy: RestartPolicy,
    /// …unless its kind has a policy of its own here.
    pub kind_policies: HashMap<AgentKind, RestartPolicy>,
    /// A kind supervisor's own intensity: it fails to its organization when more than
    /// `max_restarts` of its agents are disabled within `window`. Also how the system
    /// supervisor restarts a failed system actor.
    pub group_policy: RestartPolicy,
    /// How an organization restarts a failed kind subtree and the root a failed
    /// organization: with this backoff, at most `max_restarts` times within `window`;
    /// one more and the organization fails to the root — or, at the root, stays stopped
    /// until started again.
    pub organization_policy: RestartPolicy,
    pub scheduler: SchedulerConfig,
    pub placement: Placement,
    /// How integration adapters reach their services (the master key, base URLs, the
    /// periodic sync).
    pub adapters: AdapterConfig,
    /// The language model agents may use (`None`: they do without).
    pub llm: Option<companyos_actors::llm::LlmSettings>,
    /// The cluster's Redis (`redis.url`): the agents' LLM budgets are counted there, and
    /// in cluster mode the event bus fans out through it (through PostgreSQL while it
    /// does not answer, and always without it).
    pub redis: Option<companyos_store::shared::Redis>,
    /// The task transport (RabbitMQ, `cluster.amqp_url`): the store must keep the task
    /// outbox ([`Store::with_task_outbox`]), and the queue be built on that store.
    pub transport: Option<companyos_store::transport::TransportSettings>,
    /// Agents idle this long are passivated (their actor stopped, their row kept) and
    /// activated again by their next task or question; with it set, an organization's
    /// agents also start passive (`None`: every agent's actor runs while it is
    /// enabled). Watchers and agents that listen to broadcast topics stay active.
    pub passivate_after: Option<Duration>,
    /// The payload archive, and the sweep for deliveries left unarchived or unnamed.
    pub deliveries: crate::deliveries::DeliveriesConfig,
    /// Search by meaning beside words (`None`: by words only).
    pub semantic: Option<crate::semantic::SemanticSettings>,
}

impl RuntimeConfig {
    /// The policy a kind supervisor applies to its agents.
    pub fn policy_for(&self, kind: AgentKind) -> RestartPolicy {
        self.kind_policies
            .get(&kind)
            .copied()
            .unwrap_or(self.agent_policy)
    }
}

/// Which organizations' subtrees a node starts with.
#[derive(Clone, Debug, Default)]
pub enum Placement {
    /// Every organization in the database (a single node).
    #[default]
    AllOrganizations,
    /// None: organizations are started with [`Runtime::start_organization`] (placement
    /// decided elsewhere).
    Explicit,
    /// Cluster mode (PostgreSQL): the organizations rendezvous hashing gives this node
    /// among the live members, claimed and fenced (see [`crate::placement`]).
    Cluster(ClusterSettings),
}

/// This node in cluster mode, as [`Runtime::cluster_node`] shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNode {
    pub node: String,
    /// How often members renew their leases.
    pub renew_every: Duration,
}

/// A running supervision tree: the organizations hosted here and the system actors
/// (dispatcher, scheduler, event router, gateway).
#[derive(Clone)]
pub struct Runtime {
    deps: Arc<Deps>,
    root: ActorRef<RootMessage>,
    /// Ends the cluster loops (cluster mode).
    stop: CancellationToken,
}

const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a node leaving the cluster waits for its running tasks.
const DRAIN_LIMIT: Duration = Duration::from_secs(20);

async fn call<M, T>(
    actor: &ActorRef<M>,
    build: impl FnOnce(ractor::RpcReplyPort<T>) -> M,
) -> Result<T, RuntimeError>
where
    M: ractor::Message,
    T: Send + 'static,
{
    match actor.call(build, Some(CALL_TIMEOUT)).await {
        Ok(CallResult::Success(value)) => Ok(value),
        Ok(CallResult::Timeout) => Err(RuntimeError::Tree(TreeError::NoAnswer)),
        Ok(CallResult::SenderError) | Err(_) => {
            Err(RuntimeError::Tree(TreeError::SupervisorStopped))
        }
    }
}

impl Runtime {
    /// Starts the tree — one subtree per organization, each agent that is not disabled —
    /// and the dispatcher. Tasks left in progress by a node that died are handed out
    /// again once their leases expire.
    pub async fn start(
        store: Store,
        queue: Arc<dyn TaskQueue>,
        registry: AgentTypeRegistry,
        config: RuntimeConfig,
    ) -> Result<Runtime, RuntimeError> {
        // A task made inside a traced span (a request, an event, a task) continues it.
        companyos_store::set_trace_source(companyos_actors::trace::traceparent);
        let (transport, deliveries) = match &config.transport {
            Some(settings) => {
                if store.task_outbox().is_none() {
                    return Err(RuntimeError::Start(crate::error::StartError::NoOutbox));
                }
                let (transport, deliveries) = companyos_store::transport::TaskTransport::start(
                    store.clone(),
                    settings.clone(),
                );
                (Some(transport), Some(deliveries))
            }
            None => (None, None),
        };
        let semantic = match &config.semantic {
            Some(settings) => Some(Arc::new(
                crate::semantic::SemanticIndex::new(store.clone(), settings.clone()).map_err(
                    |error| RuntimeError::Start(crate::error::StartError::Semantic(error)),
                )?,
            )),
            None => None,
        };
        let deps = Arc::new(Deps {
            store: store.clone(),
            semantic,
            derived_queue: queue.relaxed().unwrap_or_else(|| queue.clone()),
            queue,
            bus: EventBus::default(),
            registry,
            directory: AgentDirectory::default(),
            config: config.clone(),
            dispatch: Arc::new(DispatchState::default()),
            node: NodeState::default(),
            // Relaxed: an agent's status is written again when it next changes (and
            // when the agent starts); a crash of the database loses at most the last
            // counts of finished tasks.
            lifecycle: LifecycleWriter::start(store.relaxed()),
            llm: Arc::new(
                companyos_actors::llm::LlmGate::new(config.llm.clone())
                    .with_redis(config.redis.clone()),
            ),
            cluster: std::sync::OnceLock::new(),
            transport,
        });
        let (root, _) = Actor::spawn(None, RootSupervisor, deps.clone())
            .await
            .map_err(|error| RuntimeError::Tree(TreeError::RootNotStarted(error)))?;
        crate::approvals::start(&deps);
        if let (Some(transport), Some(deliveries)) = (&deps.transport, deliveries) {
            crate::transport::start(deps.clone(), transport.clone(), deliveries);
        }
        let runtime = Runtime {
            deps,
            root,
            stop: CancellationToken::new(),
        };
        if let Some(semantic) = &runtime.deps.semantic {
            let deps = runtime.deps.clone();
            semantic
                .clone()
                .start(move || deps.node.hosted(), runtime.stop.clone());
        }
        let organizations = match &config.placement {
            Placement::AllOrganizations => store.organizations().list_all().await?,
            Placement::Explicit => Vec::new(),
            Placement::Cluster(settings) => {
                let peers = match &settings.peers {
                    Some(peers) => Some(
                        crate::remote::start(runtime.clone(), &settings.node, peers)
                            .await
                            .map_err(|source| {
                                RuntimeError::Start(crate::error::StartError::Spawn {
                                    child: "the node server".into(),
                                    source,
                                })
                            })?,
                    ),
                    None => None,
                };
                let state = crate::placement::start(
                    runtime.clone(),
                    settings.clone(),
                    peers,
                    runtime.stop.clone(),
                );
                if runtime.deps.cluster.set(state).is_err() {
                    tracing::error!("cluster state set twice");
                }
                Vec::new()
            }
        };
        for organization in organizations {
            runtime.start_organization(organization.id).await?;
        }
        Ok(runtime)
    }

    /// Stops the dispatcher and the other system actors, then every organization's
    /// subtree. Tasks still running keep their rows `in_progress`; their leases expire
    /// and another node (or the next start) runs them.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        if let Some(transport) = &self.deps.transport {
            // First, so that a draining node is not handed messages it would only
            // requeue: those not acknowledged go back to their queues for the others.
            transport.stop();
        }
        if let Some(cluster) = self.deps.cluster.get() {
            self.drain(DRAIN_LIMIT).await;
            crate::placement::leave(self, cluster).await;
        }
        if let Err(error) = self
            .root
            .stop_and_wait(
                Some("runtime shut down".into()),
                Some(Duration::from_secs(30)),
            )
            .await
        {
            tracing::warn!(%error, "the supervision tree did not stop in time");
        }
        self.deps.lifecycle.flush().await;
    }

    /// Stops claiming and waits, at most `limit`, for the tasks running here to finish,
    /// so that leaving the cluster spends no task's attempt. What is still running after
    /// `limit` is handed back when its organization stops (see the dispatcher).
    async fn drain(&self, limit: Duration) {
        use std::sync::atomic::Ordering;
        self.deps.dispatch.draining.store(true, Ordering::Release);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let running = self.deps.dispatch.in_flight.load(Ordering::Acquire);
            if running == 0 {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(
                    running,
                    "tasks still running after the drain: handed back to the queue"
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits, at most `limit`, until no task of `org` running here is still recording
    /// its outcome.
    pub(crate) async fn settle(&self, org: OrgId, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.deps.dispatch.running_in(org) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The node's gateway: the entry for requests that come from other nodes (`None`
    /// while it restarts).
    pub fn gateway(&self) -> Option<ActorRef<GatewayMessage>> {
        self.deps.node.gateway()
    }

    pub fn store(&self) -> &Store {
        &self.deps.store
    }

    /// Lifecycle and task events, as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<RuntimeEvent> {
        self.deps.bus.subscribe()
    }

    pub fn registry(&self) -> &AgentTypeRegistry {
        &self.deps.registry
    }

    /// The policies and settings the tree was started with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.deps.config
    }

    async fn organization(&self, org: OrgId) -> Result<ActorRef<OrgMessage>, RuntimeError> {
        if let Some(actor) = call(&self.root, |reply| RootMessage::Organization(org, reply)).await?
        {
            return Ok(actor);
        }
        if self.elsewhere(org) {
            return Err(self.hosted_elsewhere(org).await);
        }
        // An organization created after start-up: its subtree starts on first use.
        self.start_organization(org).await?;
        call(&self.root, |reply| RootMessage::Organization(org, reply))
            .await?
            .ok_or_else(|| RuntimeError::Tree(TreeError::OrganizationNotStarted(org)))
    }

    /// The supervisor of the organization's agents of `kind`.
    async fn group(
        &self,
        org: OrgId,
        kind: AgentKind,
    ) -> Result<ActorRef<KindMessage>, RuntimeError> {
        let organization = self.organization(org).await?;
        call(&organization, |reply| OrgMessage::Group(kind, reply))
            .await?
            .ok_or_else(|| {
                RuntimeError::Tree(TreeError::GroupRestarting {
                    organization: org,
                    kind: kind.as_str(),
                })
            })
    }

    /// The kind of a stored agent, from its type (`None` when the type is not
    /// registered here — such an agent never runs on this node).
    fn kind_of(&self, agent: &Agent) -> Option<AgentKind> {
        self.deps
            .registry
            .get(&agent.agent_type)
            .map(|agent_type| agent_type.kind)
    }

    async fn start_agent(&self, agent: &Agent) -> Result<(), RuntimeError> {
        if self.elsewhere(agent.organization_id) {
            // Its owner starts it when nudged (see `Runtime::nudge_agents`).
            return Ok(());
        }
        let kind = self
            .kind_of(agent)
            .ok_or_else(|| RuntimeError::UnknownAgentType(agent.agent_type.clone()))?;
        let group = self.group(agent.organization_id, kind).await?;
        Ok(call(&group, |reply| KindMessage::StartAgent(agent.id, reply)).await??)
    }

    async fn stop_agent(&self, agent: &Agent) -> Result<(), RuntimeError> {
        if self.elsewhere(agent.organization_id) {
            return Ok(());
        }
        let Some(kind) = self.kind_of(agent) else {
            return Ok(());
        };
        let group = self.group(agent.organization_id, kind).await?;
        call(&group, |reply| KindMessage::StopAgent(agent.id, reply)).await
    }

    /// Creates an agent of a registered type (its default configuration unless one is
    /// given) and starts it.
    pub async fn spawn_agent(
        &self,
        org: OrgId,
        name: &str,
        agent_type: &str,
        configuration: Option<Value>,
    ) -> Result<Agent, RuntimeError> {
        let new = self.new_agent(name, agent_type, configuration)?;
        let agent = self.deps.store.agents().create(org, new).await?;
        self.adopt_agent(&agent).await
    }

    /// The row of a new agent of `agent_type`, checked as [`Runtime::spawn_agent`]
    /// checks it (a type this node runs, a configuration whose `llm` the agent reads),
    /// for a caller that writes it with other rows in one transaction and then starts
    /// it with [`Runtime::adopt_agent`].
    pub fn new_agent(
        &self,
        name: &str,
        agent_type: &str,
        configuration: Option<Value>,
    ) -> Result<NewAgent, RuntimeError> {
        let registered = self
            .deps
            .registry
            .get(agent_type)
            .ok_or_else(|| RuntimeError::UnknownAgentType(agent_type.to_owned()))?;
        let configuration = configuration.unwrap_or_else(|| registered.default_configuration());
        registered.configuration.check(&configuration)?;
        companyos_actors::llm::check_agent_llm(&configuration, self.config().llm.as_ref())?;
        Ok(NewAgent {
            name: name.to_owned(),
            agent_type: agent_type.to_owned(),
            capabilities: registered.capabilities.clone(),
            configuration,
        })
    }

    /// Starts an agent whose row was just written and gives it the tasks that waited
    /// for its type: the agent as it is now.
    pub async fn adopt_agent(&self, agent: &Agent) -> Result<Agent, RuntimeError> {
        self.start_agent(agent).await?;
        self.default_schedules(agent).await?;
        self.assign_waiting(agent).await?;
        self.nudge_agents(agent.organization_id);
        Ok(self
            .deps
            .store
            .agents()
            .get(agent.organization_id, agent.id)
            .await?)
    }

    /// Creates the schedules agents of `agent`'s type run on their own (the daily
    /// delivery metrics, the hourly anomaly scan…), unless the organization already has
    /// a schedule of that name (one agent of the type runs them).
    async fn default_schedules(&self, agent: &Agent) -> Result<(), RuntimeError> {
        let Some(registered) = self.deps.registry.get(&agent.agent_type) else {
            return Ok(());
        };
        if registered.schedules.is_empty() {
            return Ok(());
        }
        let org = agent.organization_id;
        let existing = self.deps.store.schedules().list(org).await?;
        for schedule in &registered.schedules {
            if existing.iter().any(|row| row.name == schedule.name) {
                continue;
            }
            let created = self
                .create_schedule(
                    org,
                    NewSchedule {
                        agent_id: agent.id,
                        name: schedule.name.into(),
                        cron_expression: schedule.cron.into(),
                        task_type: schedule.task_type.into(),
                        input_data: None,
                        priority: 4,
                        next_run_at: None,
                    },
                )
                .await;
            match created {
                Ok(row) => {
                    tracing::info!(agent = %agent.id, schedule = %row.name, cron = %row.cron_expression, "default schedule created")
                }
                // Another node created it first.
                Err(RuntimeError::Store(StoreError::Conflict { .. })) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Gives `agent` the organization's tasks that were waiting for an agent of its
    /// type, and wakes the dispatcher for them.
    async fn assign_waiting(&self, agent: &Agent) -> Result<(), RuntimeError> {
        let assigned = self
            .deps
            .store
            .tasks()
            .assign_waiting(agent.organization_id, &agent.agent_type, agent.id)
            .await?;
        if !assigned.is_empty() {
            tracing::info!(agent = %agent.id, tasks = assigned.len(), "waiting tasks assigned");
            for task in &assigned {
                self.publish_task(task);
            }
            self.wake(agent.organization_id);
        }
        Ok(())
    }

    /// Stops the agent and marks it disabled; it stays down until enabled.
    pub async fn disable_agent(&self, org: OrgId, agent: AgentId) -> Result<Agent, RuntimeError> {
        let row = self.deps.store.agents().get(org, agent).await?;
        self.stop_agent(&row).await?;
        // After whatever the agent queued before it was stopped.
        self.deps
            .lifecycle
            .status(org, agent, AgentStatus::Disabled, None);
        self.deps.lifecycle.flush().await;
        let disabled = self.deps.store.agents().get(org, agent).await?;
        self.deps
            .store
            .tasks()
            .set_waiting_reason_of_agent(
                org,
                agent,
                Some(&format!(
                    "waiting: its agent {} is disabled; enable it (POST /api/agents/{agent}/enable) and the task runs",
                    disabled.name
                )),
            )
            .await?;
        self.deps.bus.publish(RuntimeEvent::AgentStatusChanged {
            organization_id: org,
            agent_id: agent,
            status: AgentStatus::Disabled,
            task_id: None,
        });
        self.nudge_agents(org);
        Ok(disabled)
    }

    /// Brings a disabled agent back: idle, restart history cleared.
    pub async fn enable_agent(&self, org: OrgId, agent: AgentId) -> Result<Agent, RuntimeError> {
        // An unknown agent's write is skipped; the read after the flush reports it.
        self.deps
            .lifecycle
            .status(org, agent, AgentStatus::Idle, None);
        self.deps.lifecycle.flush().await;
        let row = self.deps.store.agents().get(org, agent).await?;
        self.start_agent(&row).await?;
        self.deps
            .store
            .tasks()
            .set_waiting_reason_of_agent(org, agent, None)
            .await?;
        self.assign_waiting(&row).await?;
        self.nudge_agents(org);
        Ok(self.deps.store.agents().get(org, agent).await?)
    }

    /// Renames or reconfigures an agent. A running agent is restarted so that its
    /// behaviour is rebuilt from the new configuration; a disabled one stays down.
    pub async fn update_agent(
        &self,
        org: OrgId,
        agent: AgentId,
        patch: AgentPatch,
    ) -> Result<Agent, RuntimeError> {
        let reconfigured = patch.configuration.is_some();
        if let Some(configuration) = &patch.configuration {
            let row = self.deps.store.agents().get(org, agent).await?;
            if let Some(registered) = self.deps.registry.get(&row.agent_type) {
                registered.configuration.check(configuration)?;
            }
            companyos_actors::llm::check_agent_llm(configuration, self.config().llm.as_ref())?;
        }
        let updated = self.deps.store.agents().update(org, agent, patch).await?;
        if reconfigured && updated.status != AgentStatus::Disabled {
            if let Some(cluster) = self.cluster_elsewhere(org) {
                cluster.nudge(Nudge::Restart {
                    organization_id: org,
                    agent_id: agent,
                });
            }
            self.stop_agent(&updated).await?;
            self.start_agent(&updated).await?;
            // Tasks that waited for a configuration it can start with run now.
            self.deps
                .store
                .tasks()
                .set_waiting_reason_of_agent(org, agent, None)
                .await?;
        }
        Ok(updated)
    }

    /// Stops the agent and deletes it with its tasks.
    pub async fn delete_agent(&self, org: OrgId, agent: AgentId) -> Result<(), RuntimeError> {
        let row = self.deps.store.agents().get(org, agent).await?;
        self.stop_agent(&row).await?;
        self.deps.store.agents().delete(org, agent).await?;
        self.nudge_agents(org);
        Ok(())
    }

    /// Writes a task durably and wakes the dispatcher.
    pub async fn submit(&self, task: NewTask) -> Result<AgentTask, RuntimeError> {
        Ok(self.deps.submit(task).await?)
    }

    /// Whether an agent of `agent_type` performs `task_type` tasks: a type the registry
    /// does not know (registered elsewhere, say) is not second-guessed.
    pub fn check_task_type(&self, agent_type: &str, task_type: &str) -> Result<(), RuntimeError> {
        match self.deps.registry.get(agent_type) {
            Some(registered)
                if !registered
                    .capabilities
                    .iter()
                    .any(|capability| capability == task_type) =>
            {
                Err(RuntimeError::UnsupportedTaskType {
                    agent_type: agent_type.to_owned(),
                    task_type: task_type.to_owned(),
                    capabilities: registered.capabilities.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Puts a failed or cancelled task back to run, as new.
    pub async fn retry(&self, org: OrgId, task: TaskId) -> Result<AgentTask, RuntimeError> {
        let task = self.deps.queue.retry(org, task).await?;
        self.publish_task(&task);
        self.wake(org);
        Ok(task)
    }

    /// Submits a task a person asked for by hand (REST, GraphQL, a route's action): the
    /// rules of [`crate::duties`] first — gated types wait for approval, rollbacks need
    /// an admin — and the person is recorded as its requester.
    pub async fn submit_by(
        &self,
        mut task: NewTask,
        person: Person,
    ) -> Result<AgentTask, RuntimeError> {
        crate::duties::request(&mut task, person)?;
        self.submit(task).await
    }

    /// Releases a task waiting for approval, if `person` may approve it: not the person
    /// who asked for it (unless the organization allows it), a rollback only by an admin
    /// or owner. Records how the approval was given.
    pub async fn approve(
        &self,
        org: OrgId,
        task: TaskId,
        person: Person,
        via: ApprovalChannel,
    ) -> Result<AgentTask, RuntimeError> {
        let waiting = self.deps.store.tasks().get(org, task).await?;
        let settings = self.deps.store.organizations().get(org).await?.settings;
        crate::duties::approve(&waiting, person, &settings)?;
        let task = self
            .deps
            .queue
            .approve(
                org,
                task,
                DecidedBy {
                    user: person.user,
                    via,
                },
            )
            .await?;
        self.publish_task(&task);
        self.wake(org);
        Ok(task)
    }

    pub async fn reject(
        &self,
        org: OrgId,
        task: TaskId,
        by: DecidedBy,
        reason: Option<&str>,
    ) -> Result<AgentTask, RuntimeError> {
        let task = self.deps.queue.reject(org, task, by, reason).await?;
        self.publish_task(&task);
        Ok(task)
    }

    /// Cancels a task; if it is running here, its agent is told to stop.
    pub async fn cancel(&self, org: OrgId, task: TaskId) -> Result<AgentTask, RuntimeError> {
        let (task, was_running) = self.deps.queue.cancel(org, task).await?;
        if was_running {
            self.deps.dispatch.cancel(task.id);
        }
        self.publish_task(&task);
        Ok(task)
    }

    /// A webhook delivery of the integration was recorded: its adapter makes an event of
    /// it and routes it to the organization's watchers. Nobody waits for that; the
    /// delivery row is the promise (an adapter drains `received` deliveries when it
    /// starts, so one recorded while the organization runs elsewhere or restarts is
    /// processed there, or then).
    pub async fn deliver(
        &self,
        org: OrgId,
        integration: IntegrationId,
        delivery: DeliveryId,
    ) -> Result<(), RuntimeError> {
        self.hand_over(org, integration, Delivered::Recorded(delivery))
            .await
    }

    /// [`deliver`](Self::deliver), with the delivery in hand: an adapter on this node
    /// makes its event without reading it back from the database.
    pub async fn deliver_in_hand(
        &self,
        org: OrgId,
        integration: IntegrationId,
        delivery: InHand,
    ) -> Result<(), RuntimeError> {
        self.hand_over(org, integration, Delivered::InHand(Box::new(delivery)))
            .await
    }

    /// Hands deliveries just recorded to the payload archive (`root/system/deliveries`).
    /// Never waits: what is not written now is written by a later sweep.
    pub fn archive(&self, batch: Vec<companyos_store::archive::ArchivedDelivery>) {
        if batch.is_empty() || self.deps.config.deliveries.archive.is_none() {
            return;
        }
        if let Some(deliveries) = self.deps.node.deliveries()
            && deliveries
                .send_message(crate::deliveries::DeliveriesMessage::Archive(batch))
                .is_err()
        {
            tracing::debug!("the archiver is restarting; its sweep archives the deliveries");
        }
    }

    async fn hand_over(
        &self,
        org: OrgId,
        integration: IntegrationId,
        delivery: Delivered,
    ) -> Result<(), RuntimeError> {
        let supervisor = match self.deps.node.integrations(org) {
            Some(supervisor) => supervisor,
            None if let Some(cluster) = self.cluster_elsewhere(org) => {
                // The row is written: its owner's adapter processes it.
                cluster.nudge(Nudge::Delivery {
                    organization_id: org,
                    integration_id: integration,
                    delivery_id: delivery.id(),
                });
                return Ok(());
            }
            None => {
                // Not started here yet: starting it drains the delivery.
                self.organization(org).await?;
                return Ok(());
            }
        };
        supervisor
            .send_message(IntegrationsMessage::Deliver(integration, delivery))
            .map_err(|_| RuntimeError::Tree(TreeError::IntegrationsStopped))
    }

    /// The organization's integrations were connected or disconnected: start or stop
    /// their adapters (starting the organization's subtree if it has not run yet, so
    /// that an integration is synced even before any agent exists).
    pub async fn integrations_changed(&self, org: OrgId) -> Result<(), RuntimeError> {
        match self.deps.node.integrations(org) {
            Some(supervisor) => {
                if let Err(error) = supervisor.send_message(IntegrationsMessage::Refresh) {
                    // Stopping: it reads the table again when the organization restarts.
                    tracing::warn!(%org, %error, "integrations supervisor not told of the change");
                }
            }
            None if let Some(cluster) = self.cluster_elsewhere(org) => {
                cluster.nudge(Nudge::Integrations {
                    organization_id: org,
                });
            }
            // Starting it starts the adapters of what is connected now.
            None => {
                self.organization(org).await?;
            }
        }
        Ok(())
    }

    /// Hands a stored event to every watcher of its organization, through the event
    /// router of the node that runs it (in cluster mode, another node's, through the
    /// node servers); the watchers write the tasks it calls for (idempotently), then
    /// the event is marked routed. Returns the tasks.
    pub async fn route_event(
        &self,
        org: OrgId,
        event: EventId,
    ) -> Result<Vec<TaskId>, RuntimeError> {
        self.deps.store.events().get(org, event).await?;
        // The organization's router runs on its owner: routed there.
        if let Some(node) = self.remote_owner(org).await? {
            return crate::remote::route(&node, org, event).await;
        }
        self.organization(org).await?;
        gateway::route(&self.deps, org, event).await
    }

    /// Request/response: asks a running agent a question and waits at most `timeout`.
    pub async fn ask(
        &self,
        org: OrgId,
        agent: AgentId,
        question: Value,
        timeout: Duration,
    ) -> Result<Value, RuntimeError> {
        match self.remote_owner(org).await? {
            Some(node) => crate::remote::ask(&node, org, agent, question, timeout).await,
            None => gateway::ask(&self.deps, org, agent, question, timeout).await,
        }
    }

    /// Event-bus broadcast: delivers `payload` on `topic` to every agent of the
    /// organization that listens to it (ractor process groups, one scope per
    /// organization). When `from` names the sending agent, each delivery is recorded as a
    /// broadcast collaboration. Returns how many agents it reached.
    pub async fn broadcast(
        &self,
        org: OrgId,
        from: Option<AgentId>,
        topic: &str,
        payload: Value,
    ) -> Result<usize, RuntimeError> {
        let broadcast_id = uuid::Uuid::now_v7();
        let reached = gateway::broadcast_local(&self.deps, org, topic, &payload, broadcast_id);
        if let Some(from) = from {
            for agent in &reached {
                self.deps
                    .store
                    .collaborations()
                    .record(
                        org,
                        from,
                        *agent,
                        None,
                        CollaborationType::Broadcast,
                        json!({"topic": topic, "broadcast_id": broadcast_id}),
                    )
                    .await?;
            }
        }
        Ok(reached.len())
    }

    /// Consensus: asks each of `agents` the same question (all at once, each within
    /// `timeout`), combines the answers by `rule`, and records the rule, every opinion
    /// and the decision as a consensus collaboration of `initiator` with each agent.
    pub async fn consensus(
        &self,
        org: OrgId,
        initiator: AgentId,
        agents: &[AgentId],
        question: Value,
        rule: ConsensusRule,
        timeout: Duration,
    ) -> Result<ConsensusOutcome, RuntimeError> {
        let asks = agents.iter().map(|agent| {
            let question = question.clone();
            async move {
                let answer = self
                    .ask(org, *agent, question, timeout)
                    .await
                    .map_err(RemoteError::from);
                Opinion {
                    agent_id: *agent,
                    answer,
                }
            }
        });
        let opinions = futures::future::join_all(asks).await;
        let decision = consensus::decide(&rule, &opinions);
        let outcome = ConsensusOutcome {
            decision,
            rule,
            opinions,
        };
        let record = outcome.record();
        for agent in agents {
            let collaboration = self
                .deps
                .store
                .collaborations()
                .record(
                    org,
                    initiator,
                    *agent,
                    None,
                    CollaborationType::Consensus,
                    record.clone(),
                )
                .await?;
            self.deps
                .store
                .collaborations()
                .finish(org, collaboration.id, CollaborationStatus::Completed, None)
                .await?;
        }
        Ok(outcome)
    }

    /// Every actor of the live tree — the root, the system actors, each organization,
    /// its kind supervisors and their agents — with kind, state, mailbox depth and
    /// restart count.
    pub async fn tree(&self) -> Result<Vec<ActorInfo>, RuntimeError> {
        call(&self.root, |reply| RootMessage::Describe(None, reply)).await
    }

    /// [`Runtime::tree`] with only `org`'s subtree of this node described in full (the
    /// other organizations as their top nodes).
    pub(crate) async fn local_tree_of(&self, org: OrgId) -> Result<Vec<ActorInfo>, RuntimeError> {
        call(&self.root, |reply| RootMessage::Describe(Some(org), reply)).await
    }

    /// How many agents this node hosts: (active, passive). A passive agent's actor is
    /// stopped while it is idle (`RuntimeConfig::passivate_after`).
    pub fn agents_hosted(&self) -> (usize, usize) {
        self.deps.directory.counts()
    }

    /// [`Runtime::tree`] with `org`'s subtree wherever it runs: in cluster mode, from
    /// the node that runs it when that is not this one (the root and system actors are
    /// this node's). Without a session to that node, its subtree is left out and the
    /// reason logged.
    pub async fn tree_for(&self, org: OrgId) -> Result<Vec<ActorInfo>, RuntimeError> {
        let mut tree = self.local_tree_of(org).await?;
        let subtree = match self.remote_owner(org).await {
            Ok(Some(node)) => crate::remote::tree(&node, org).await,
            Ok(None) => return Ok(tree),
            Err(error) => Err(error),
        };
        match subtree {
            Ok(subtree) => tree.extend(subtree),
            Err(error) => {
                tracing::warn!(%error, organization = %org, "the organization's subtree could not be read from its node")
            }
        }
        Ok(tree)
    }

    /// Creates a cron-style schedule (five fields, read in the organization's time zone)
    /// that enqueues its task for the agent each time it matches. The first run is
    /// computed from the expression; `next_run_at` in `schedule` is ignored.
    pub async fn create_schedule(
        &self,
        org: OrgId,
        schedule: NewSchedule,
    ) -> Result<Schedule, RuntimeError> {
        let zone = scheduler::zone_of(&self.deps.store, org).await?;
        let next_run_at =
            scheduler::next_run(&schedule.cron_expression, self.deps.store.now(), zone)?;
        let schedule = NewSchedule {
            next_run_at: Some(next_run_at),
            ..schedule
        };
        Ok(self.deps.store.schedules().create(org, schedule).await?)
    }

    /// The organization's time zone changed: every schedule's next run is computed
    /// again, on the new clocks. Returns how many schedules moved.
    pub async fn reschedule(&self, org: OrgId) -> Result<usize, RuntimeError> {
        let zone = scheduler::zone_of(&self.deps.store, org).await?;
        let now = self.deps.store.now();
        let mut moved = 0;
        for schedule in self.deps.store.schedules().list(org).await? {
            let Ok(next) = scheduler::next_run(&schedule.cron_expression, now, zone) else {
                continue;
            };
            if schedule.next_run_at != Some(next)
                && self
                    .deps
                    .store
                    .schedules()
                    .set_next_run(org, schedule.id, next)
                    .await?
            {
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// A new organization exists: on a single node its subtree starts here; in cluster
    /// mode placement starts it on the node rendezvous hashing gives, at that node's
    /// next round (starting it here would run it where no claim fences it).
    pub async fn organization_created(&self, org: OrgId) -> Result<(), RuntimeError> {
        if self.deps.cluster.get().is_some() {
            return Ok(());
        }
        self.start_organization(org).await
    }

    /// Starts an organization's subtree on this node from the database alone: its
    /// agents, as the `agents` table describes them; then routes the organization's
    /// events that were left unrouted.
    pub async fn start_organization(&self, org: OrgId) -> Result<(), RuntimeError> {
        self.deps.store.organizations().get(org).await?;
        // In cluster mode only a claim this node holds may start a subtree.
        if let Some(cluster) = self.deps.cluster.get()
            && cluster.fence(org).is_none()
        {
            return Err(self.hosted_elsewhere(org).await);
        }
        call(&self.root, |reply| {
            RootMessage::StartOrganization(org, reply)
        })
        .await??;
        // Tasks that waited for a type an agent of which exists now (one created while
        // the organization ran elsewhere, say).
        let waiting = self.deps.store.tasks().waiting_types(org).await?;
        if !waiting.is_empty() {
            let agents = self.deps.store.agents().list_all(org).await?;
            for (agent_type, _) in waiting {
                if let Some(agent) = agents.iter().find(|agent| {
                    agent.agent_type == agent_type && agent.status != AgentStatus::Disabled
                }) {
                    self.assign_waiting(agent).await?;
                }
            }
        }
        // The router sweeps when it (re)starts anyway.
        if let Some(router) = self.deps.node.router()
            && let Err(error) = router.cast(RouterMessage::Sweep)
        {
            tracing::warn!(%error, "event router not asked to sweep");
        }
        Ok(())
    }

    /// Stops an organization's subtree on this node (to start it on another).
    pub async fn stop_organization(&self, org: OrgId) -> Result<(), RuntimeError> {
        call(&self.root, |reply| {
            RootMessage::StopOrganization(org, reply)
        })
        .await
    }

    /// The node's integration adapters, as agents reach them: for the edge's own calls
    /// to a vendor (answering a Slack interaction), through the same adapters and rate
    /// limits.
    pub fn integrations(&self) -> Arc<dyn companyos_actors::IntegrationPort> {
        crate::integrations::port(&self.deps)
    }

    /// The event bus of this node (in cluster mode, it also hears the other nodes).
    pub(crate) fn bus(&self) -> &EventBus {
        &self.deps.bus
    }

    /// Whether the task transport (RabbitMQ) answers now; `None` without one.
    pub fn transport_up(&self) -> Option<bool> {
        self.deps
            .transport
            .as_ref()
            .map(companyos_store::transport::TaskTransport::is_up)
    }

    /// Searches `org`'s documents: by words, and by meaning too when an embeddings
    /// endpoint is configured (see [`crate::semantic`]).
    pub async fn search(
        &self,
        org: OrgId,
        query: &str,
        kind: Option<companyos_store::SearchKind>,
        limit: u32,
    ) -> Result<crate::semantic::SearchOutcome, RuntimeError> {
        match &self.deps.semantic {
            Some(semantic) => Ok(semantic.search(org, query, kind, limit).await?),
            None => Ok(crate::semantic::words_only(
                self.deps
                    .store
                    .search()
                    .find(org, query, kind, limit)
                    .await?,
                crate::semantic::SearchMode::FullText,
            )),
        }
    }

    /// Whether this node runs the organization's subtree now.
    pub fn hosts(&self, org: OrgId) -> bool {
        self.deps.node.hosts(org)
    }

    /// The organizations whose subtrees run on this node.
    pub(crate) fn hosted(&self) -> Vec<OrgId> {
        self.deps.node.hosted()
    }

    /// In cluster mode, this node's name and how often members renew their leases.
    pub fn cluster_node(&self) -> Option<ClusterNode> {
        let cluster = self.deps.cluster.get()?;
        Some(ClusterNode {
            node: cluster.settings.node.clone(),
            renew_every: cluster.settings.renew_every,
        })
    }

    /// Cluster mode, and the organization is not hosted here: its owner (or whoever
    /// claims it next) does the actor work, told by a nudge.
    fn elsewhere(&self, org: OrgId) -> bool {
        self.cluster_elsewhere(org).is_some()
    }

    fn cluster_elsewhere(&self, org: OrgId) -> Option<&crate::placement::ClusterState> {
        self.deps
            .cluster
            .get()
            .filter(|_| !self.deps.node.hosts(org))
            .map(Arc::as_ref)
    }

    async fn hosted_elsewhere(&self, org: OrgId) -> RuntimeError {
        let node = self
            .deps
            .store
            .cluster()
            .holder(org)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read who holds the organization");
                None
            });
        RuntimeError::HostedElsewhere {
            organization: org,
            node,
        }
    }

    /// Where a request that needs `org`'s actors goes: `None` when they run here (or
    /// this is a single node), the node that runs them when it can be reached through
    /// the node servers, and otherwise [`RuntimeError::HostedElsewhere`].
    async fn remote_owner(&self, org: OrgId) -> Result<Option<String>, RuntimeError> {
        let Some(cluster) = self.cluster_elsewhere(org) else {
            return Ok(None);
        };
        match self.hosted_elsewhere(org).await {
            RuntimeError::HostedElsewhere {
                node: Some(node), ..
            } if cluster.peers.is_some() => Ok(Some(node)),
            elsewhere => Err(elsewhere),
        }
    }

    /// The organization's agent rows changed: if another node runs it, tell it.
    fn nudge_agents(&self, org: OrgId) {
        if let Some(cluster) = self.cluster_elsewhere(org) {
            cluster.nudge(Nudge::Agents {
                organization_id: org,
            });
        }
    }

    /// Tasks of the organization became runnable: wake this node's dispatcher, and
    /// the owner's when it runs elsewhere.
    fn wake(&self, org: OrgId) {
        self.deps.dispatch.wake.notify_one();
        if let Some(cluster) = self.cluster_elsewhere(org) {
            cluster.nudge(Nudge::Tasks {
                organization_id: org,
            });
        }
    }

    pub(crate) fn wake_dispatcher(&self) {
        self.deps.dispatch.wake.notify_one();
    }

    /// Brings the organization's running agents in line with its rows (after another
    /// node changed them): disabled or deleted ones stop, the others run.
    pub(crate) async fn reconcile_organization(&self, org: OrgId) {
        if !self.hosts(org) {
            return;
        }
        let rows = match self.deps.store.agents().list_all(org).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, organization = %org, "agents not reconciled");
                return;
            }
        };
        // Hosted, active or passive: a passive agent is running as far as its row goes.
        let running = self.deps.directory.hosted_of_organization(org);
        for row in &rows {
            let is_running = running.iter().any(|(id, _)| *id == row.id);
            let outcome = match (row.status == AgentStatus::Disabled, is_running) {
                (true, true) => self.stop_agent(row).await,
                (false, false) if self.kind_of(row).is_some() => {
                    match self.start_agent(row).await {
                        Ok(()) => self.assign_waiting(row).await,
                        Err(error) => Err(error),
                    }
                }
                _ => Ok(()),
            };
            if let Err(error) = outcome {
                tracing::warn!(%error, agent = %row.id, "agent not reconciled");
            }
        }
        for (agent, kind) in running {
            if rows.iter().any(|row| row.id == agent) {
                continue;
            }
            let stopped = match self.group(org, kind).await {
                Ok(group) => call(&group, |reply| KindMessage::StopAgent(agent, reply)).await,
                Err(error) => Err(error),
            };
            if let Err(error) = stopped {
                tracing::warn!(%error, %agent, "deleted agent not stopped");
            }
        }
        self.wake_dispatcher();
    }

    /// Restarts a running agent so that it reads its configuration again.
    pub(crate) async fn restart_agent(
        &self,
        org: OrgId,
        agent: AgentId,
    ) -> Result<(), RuntimeError> {
        let row = self.deps.store.agents().get(org, agent).await?;
        if row.status == AgentStatus::Disabled {
            return Ok(());
        }
        self.stop_agent(&row).await?;
        self.start_agent(&row).await
    }

    fn publish_task(&self, task: &AgentTask) {
        self.deps.bus.publish(RuntimeEvent::TaskChanged {
            organization_id: task.organization_id,
            task_id: task.id,
            agent_id: task.agent_id,
            status: task.status,
        });
    }
}
