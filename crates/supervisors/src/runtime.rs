//! [`Runtime`]: the handle the edge and the binary use to run agents — spawn, disable,
//! enable and delete agents; submit, cancel, approve and reject tasks; route events to
//! watchers; ask an agent a question; subscribe to lifecycle and task events; read the
//! live tree. Start-up rebuilds the tree from the `agents` table.

use std::sync::Arc;
use std::time::Duration;

use companyos_actors::{
    AgentKind, AgentMessage, AgentTypeRegistry, EventBus, RuntimeEvent, topic_scope,
};
use companyos_store::{
    Agent, AgentId, AgentStatus, AgentTask, CollaborationStatus, CollaborationType, EventId,
    NewAgent, NewSchedule, NewTask, OrgId, Schedule, Store, TaskId, TaskQueue, UserId,
};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::consensus::{self, ConsensusOutcome, ConsensusRule, Opinion};
use crate::directory::AgentDirectory;
use crate::dispatcher::{self, DispatchState, DispatcherConfig};
use crate::error::RuntimeError;
use crate::policy::RestartPolicy;
use crate::scheduler::{self, SchedulerConfig};
use crate::tree::{ActorInfo, Deps, OrgMessage, RootMessage, RootSupervisor};

/// How a runtime runs.
#[derive(Clone, Debug, Default)]
pub struct RuntimeConfig {
    pub dispatcher: DispatcherConfig,
    /// Applied to each agent by its organization supervisor.
    pub agent_policy: RestartPolicy,
    /// Applied to each organization subtree (agents disabled in a row escalate to it).
    pub organization_policy: RestartPolicy,
    pub scheduler: SchedulerConfig,
    pub placement: Placement,
}

/// Which organizations' subtrees a node starts with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// Every organization in the database (a single node).
    #[default]
    AllOrganizations,
    /// None: organizations are started with [`Runtime::start_organization`] (placement
    /// decided elsewhere, as in a cluster).
    Explicit,
}

/// A running supervision tree and its dispatcher.
pub struct Runtime {
    deps: Arc<Deps>,
    root: ActorRef<RootMessage>,
    dispatch: Arc<DispatchState>,
    stop: CancellationToken,
    dispatcher: JoinHandle<()>,
    scheduler: JoinHandle<()>,
}

const CALL_TIMEOUT: Duration = Duration::from_secs(10);

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
        Ok(CallResult::Timeout) => Err(RuntimeError::Tree(
            "a supervisor did not answer in time".into(),
        )),
        Ok(CallResult::SenderError) | Err(_) => {
            Err(RuntimeError::Tree("a supervisor stopped".into()))
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
        let deps = Arc::new(Deps {
            store: store.clone(),
            queue,
            bus: EventBus::default(),
            registry,
            directory: AgentDirectory::default(),
            agent_policy: config.agent_policy,
            organization_policy: config.organization_policy,
        });
        let (root, _) = Actor::spawn(None, RootSupervisor, deps.clone())
            .await
            .map_err(|error| RuntimeError::Tree(error.to_string()))?;
        let organizations = match config.placement {
            Placement::AllOrganizations => store.organizations().list_all().await?,
            Placement::Explicit => Vec::new(),
        };
        for organization in organizations {
            call(&root, |reply| {
                RootMessage::StartOrganization(organization.id, reply)
            })
            .await?
            .map_err(RuntimeError::Tree)?;
        }
        let dispatch = Arc::new(DispatchState::default());
        let stop = CancellationToken::new();
        let dispatcher = tokio::spawn(dispatcher::run(
            deps.clone(),
            dispatch.clone(),
            config.dispatcher,
            stop.clone(),
        ));
        let scheduler = tokio::spawn(scheduler::run(
            deps.clone(),
            dispatch.clone(),
            config.scheduler,
            stop.clone(),
        ));
        Ok(Runtime {
            deps,
            root,
            dispatch,
            stop,
            dispatcher,
            scheduler,
        })
    }

    /// Stops the dispatcher and the tree. Tasks still running keep their rows
    /// `in_progress`; their leases expire and another node (or the next start) runs them.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.dispatcher.await;
        let _ = self.scheduler.await;
        let _ = self
            .root
            .stop_and_wait(
                Some("runtime shut down".into()),
                Some(Duration::from_secs(10)),
            )
            .await;
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

    async fn organization(&self, org: OrgId) -> Result<ActorRef<OrgMessage>, RuntimeError> {
        if let Some(actor) = call(&self.root, |reply| RootMessage::Organization(org, reply)).await?
        {
            return Ok(actor);
        }
        // An organization created after start-up: its subtree starts on first use.
        self.deps.store.organizations().get(org).await?;
        call(&self.root, |reply| {
            RootMessage::StartOrganization(org, reply)
        })
        .await?
        .map_err(RuntimeError::Tree)?;
        call(&self.root, |reply| RootMessage::Organization(org, reply))
            .await?
            .ok_or_else(|| RuntimeError::Tree(format!("organization {org} did not start")))
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
        let registered = self
            .deps
            .registry
            .get(agent_type)
            .ok_or_else(|| RuntimeError::UnknownAgentType(agent_type.to_owned()))?;
        let agent = self
            .deps
            .store
            .agents()
            .create(
                org,
                NewAgent {
                    name: name.to_owned(),
                    agent_type: agent_type.to_owned(),
                    capabilities: registered.capabilities.clone(),
                    configuration: configuration
                        .unwrap_or_else(|| registered.default_configuration.clone()),
                },
            )
            .await?;
        let supervisor = self.organization(org).await?;
        call(&supervisor, |reply| OrgMessage::StartAgent(agent.id, reply))
            .await?
            .map_err(RuntimeError::Tree)?;
        Ok(self.deps.store.agents().get(org, agent.id).await?)
    }

    /// Stops the agent and marks it disabled; it stays down until enabled.
    pub async fn disable_agent(&self, org: OrgId, agent: AgentId) -> Result<Agent, RuntimeError> {
        self.deps.store.agents().get(org, agent).await?;
        let supervisor = self.organization(org).await?;
        call(&supervisor, |reply| OrgMessage::StopAgent(agent, reply)).await?;
        let disabled = self
            .deps
            .store
            .agents()
            .set_status(org, agent, AgentStatus::Disabled, None)
            .await?;
        self.deps.bus.publish(RuntimeEvent::AgentStatusChanged {
            organization_id: org,
            agent_id: agent,
            status: AgentStatus::Disabled,
            task_id: None,
        });
        Ok(disabled)
    }

    /// Brings a disabled agent back: idle, restart history cleared.
    pub async fn enable_agent(&self, org: OrgId, agent: AgentId) -> Result<Agent, RuntimeError> {
        self.deps
            .store
            .agents()
            .set_status(org, agent, AgentStatus::Idle, None)
            .await?;
        let supervisor = self.organization(org).await?;
        call(&supervisor, |reply| OrgMessage::StartAgent(agent, reply))
            .await?
            .map_err(RuntimeError::Tree)?;
        Ok(self.deps.store.agents().get(org, agent).await?)
    }

    /// Stops the agent and deletes it with its tasks.
    pub async fn delete_agent(&self, org: OrgId, agent: AgentId) -> Result<(), RuntimeError> {
        self.deps.store.agents().get(org, agent).await?;
        let supervisor = self.organization(org).await?;
        call(&supervisor, |reply| OrgMessage::StopAgent(agent, reply)).await?;
        self.deps.store.agents().delete(org, agent).await?;
        Ok(())
    }

    /// Writes a task durably and wakes the dispatcher.
    pub async fn submit(&self, task: NewTask) -> Result<AgentTask, RuntimeError> {
        let enqueued = self.deps.queue.enqueue(task).await?;
        if enqueued.created {
            self.publish_task(&enqueued.task);
            self.dispatch.wake.notify_one();
        }
        Ok(enqueued.task)
    }

    pub async fn approve(
        &self,
        org: OrgId,
        task: TaskId,
        by: UserId,
    ) -> Result<AgentTask, RuntimeError> {
        let task = self.deps.queue.approve(org, task, by).await?;
        self.publish_task(&task);
        self.dispatch.wake.notify_one();
        Ok(task)
    }

    pub async fn reject(
        &self,
        org: OrgId,
        task: TaskId,
        by: UserId,
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
            self.dispatch.cancel(task.id);
        }
        self.publish_task(&task);
        Ok(task)
    }

    /// Hands a stored event to every watcher of its organization, which write the tasks
    /// it calls for (idempotently); then marks the event routed. Returns the tasks.
    pub async fn route_event(
        &self,
        org: OrgId,
        event: EventId,
    ) -> Result<Vec<TaskId>, RuntimeError> {
        let event = self.deps.store.events().get(org, event).await?;
        self.organization(org).await?;
        let mut tasks = Vec::new();
        for (agent, location) in self
            .deps
            .directory
            .of_organization(org, Some(AgentKind::Watcher))
        {
            let event = Box::new(event.clone());
            match location
                .handle
                .call(
                    |reply| AgentMessage::Route { event, reply },
                    Some(CALL_TIMEOUT),
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
                        timeout_ms: CALL_TIMEOUT.as_millis() as u64,
                    });
                }
                Ok(CallResult::SenderError) | Err(_) => {
                    return Err(RuntimeError::AgentNotRunning(agent));
                }
            }
        }
        self.deps.store.events().mark_routed(org, event.id).await?;
        self.dispatch.wake.notify_one();
        Ok(tasks)
    }

    /// Request/response: asks a running agent a question and waits at most `timeout`.
    pub async fn ask(
        &self,
        org: OrgId,
        agent: AgentId,
        question: Value,
        timeout: Duration,
    ) -> Result<Value, RuntimeError> {
        let location = self
            .deps
            .directory
            .get(agent)
            .filter(|location| location.organization_id == org)
            .ok_or(RuntimeError::AgentNotRunning(agent))?;
        match location
            .handle
            .call(|reply| AgentMessage::Ask { question, reply }, Some(timeout))
            .await
        {
            Ok(CallResult::Success(Ok(answer))) => Ok(answer),
            Ok(CallResult::Success(Err(reason))) => Err(RuntimeError::Refused { agent, reason }),
            Ok(CallResult::Timeout) => Err(RuntimeError::Timeout {
                agent,
                timeout_ms: timeout.as_millis() as u64,
            }),
            Ok(CallResult::SenderError) | Err(_) => Err(RuntimeError::AgentNotRunning(agent)),
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
        let members = ractor::pg::get_scoped_local_members(&topic_scope(org), &topic.to_owned());
        let running = self.deps.directory.of_organization(org, None);
        let broadcast_id = uuid::Uuid::now_v7();
        let mut reached = 0;
        for member in members {
            let Some((agent, location)) = running
                .iter()
                .find(|(_, location)| location.handle.actor().get_id() == member.get_id())
            else {
                continue;
            };
            let message = AgentMessage::Broadcast {
                topic: topic.to_owned(),
                payload: payload.clone(),
                broadcast_id,
            };
            if location.handle.cast(message).is_err() {
                continue;
            }
            reached += 1;
            if let Some(from) = from {
                self.deps
                    .store
                    .collaborations()
                    .record(
                        org,
                        from,
                        *agent,
                        None,
                        CollaborationType::Broadcast,
                        json!({
                            "topic": topic, "broadcast_id": broadcast_id
                        }),
                    )
                    .await?;
            }
        }
        self.dispatch.wake.notify_one();
        Ok(reached)
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
                    .map_err(|error| error.to_string());
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

    /// Every actor of the live tree: organizations and their agents, with kind, state and
    /// restart count.
    pub async fn tree(&self) -> Result<Vec<ActorInfo>, RuntimeError> {
        let organizations = call(&self.root, RootMessage::Organizations).await?;
        let mut tree = vec![ActorInfo {
            path: "root".into(),
            agent_id: None,
            kind: None,
            status: None,
            restarts: 0,
            messages_handled: 0,
            mailbox: 0,
        }];
        for (org, supervisor) in organizations {
            tree.push(ActorInfo {
                path: format!("root/org:{org}"),
                agent_id: None,
                kind: None,
                status: None,
                restarts: 0,
                messages_handled: 0,
                mailbox: 0,
            });
            tree.extend(call(&supervisor, OrgMessage::Describe).await?);
        }
        Ok(tree)
    }

    /// Creates a cron-style schedule (five fields, UTC) that enqueues its task for the
    /// agent each time it matches. The first run is computed from the expression;
    /// `next_run_at` in `schedule` is ignored.
    pub async fn create_schedule(
        &self,
        org: OrgId,
        schedule: NewSchedule,
    ) -> Result<Schedule, RuntimeError> {
        let next_run_at = scheduler::next_run(&schedule.cron_expression, companyos_store::now())
            .map_err(RuntimeError::InvalidSchedule)?;
        let schedule = NewSchedule {
            next_run_at: Some(next_run_at),
            ..schedule
        };
        Ok(self.deps.store.schedules().create(org, schedule).await?)
    }

    /// Starts an organization's subtree on this node from the database alone: its
    /// agents, as the `agents` table describes them.
    pub async fn start_organization(&self, org: OrgId) -> Result<(), RuntimeError> {
        self.organization(org).await.map(|_| ())
    }

    /// Stops an organization's subtree on this node (to start it on another).
    pub async fn stop_organization(&self, org: OrgId) -> Result<(), RuntimeError> {
        call(&self.root, |reply| {
            RootMessage::StopOrganization(org, reply)
        })
        .await
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
