//! Faults the runtime survives, on SQLite and on PostgreSQL: crashes inside tasks,
//! agents that keep crashing, a node that dies mid-task, a flood for one agent,
//! cancellation, request/response timeouts, and event routing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use companyos_actors::{
    AgentKind, AgentType, AgentTypeRegistry, Behaviour, Configuration, RuntimeEvent, TaskContext,
    TaskFailure,
};
use companyos_integrations::normalise::{EventPayload, normalise};
use companyos_store::testing::{TestDb, until};
use companyos_store::*;
use companyos_supervisors::{
    ActorInfo, ConsensusRule, DispatcherConfig, GatewayMessage, Placement, RemoteError,
    RestartPolicy, Runtime, RuntimeConfig, RuntimeError, SchedulerConfig, Strategy,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The stored payload of a GitHub `pull_request.opened` delivery, as the adapter
/// writes it.
fn pull_request_opened(number: u64, title: &str) -> Value {
    let body = json!({
        "action": "opened",
        "number": number,
        "pull_request": {"number": number, "title": title},
        "repository": {"full_name": "acme/web"},
    });
    EventPayload::new(
        None,
        None,
        normalise(Service::Github, Some("pull_request"), &body).event,
    )
    .to_metadata()
}

companyos_store::contract_tests!(
    strategies_apply_per_subtree,
    a_subtree_that_keeps_losing_agents_fails_to_its_organization,
    events_left_unrouted_are_routed_at_start_up,
    deliveries_recorded_before_a_crash_become_tasks_at_start_up,
    the_gateway_serves_requests_by_id,
    a_crashed_dispatcher_is_restarted_and_work_goes_on,
    a_panicking_agent_is_restarted_and_its_task_retried,
    an_agent_that_keeps_crashing_is_disabled_until_enabled,
    a_node_stopped_mid_task_finishes_every_task_after_restart,
    a_flood_for_one_agent_does_not_starve_the_others,
    cancelling_a_running_task_reaches_the_agent,
    asking_an_agent_answers_or_times_out,
    watchers_turn_events_into_tasks_once,
    a_schedule_missed_while_down_runs_once_on_start_up,
    a_coordinator_stopped_between_steps_resumes_at_that_step,
    consensus_combines_opinions_by_the_stated_rule,
    an_organization_moves_to_another_node_from_the_database_alone,
    the_tree_shows_mailbox_depth_and_metrics_count_the_work,
    broadcasts_reach_the_agents_listening_to_the_topic,
);

// ─── test agents ───────────────────────────────────────────────────────────────

/// Panics on a task's first attempt, succeeds on the next.
struct CrashesOnFirstAttempt;

#[async_trait]
impl Behaviour for CrashesOnFirstAttempt {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }
    async fn perform(
        &mut self,
        _: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        assert!(
            task.attempt > 1,
            "simulated crash on attempt {}",
            task.attempt
        );
        Ok(Some(json!({"attempt": task.attempt})))
    }
}

/// Panics while the switch is on.
struct CrashesWhile(Arc<AtomicBool>);

#[async_trait]
impl Behaviour for CrashesWhile {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }
    async fn perform(
        &mut self,
        _: &TaskContext,
        _: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        assert!(!self.0.load(Ordering::SeqCst), "simulated crash");
        Ok(None)
    }
}

/// Takes a while, and records each task id it finished — the side effect that must be
/// idempotent by task id.
struct Slow {
    delay: Duration,
    done: Arc<Mutex<Vec<TaskId>>>,
}

#[async_trait]
impl Behaviour for Slow {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }
    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        tokio::select! {
            () = tokio::time::sleep(self.delay) => {}
            () = context.cancel.cancelled() => return Err(TaskFailure::Permanent("cancelled".into())),
        }
        self.done.lock().expect("lock").push(task.id);
        Ok(None)
    }
    async fn answer(&mut self, _: &TaskContext, _: &Value) -> Result<Value, TaskFailure> {
        tokio::time::sleep(self.delay).await;
        Ok(json!("late"))
    }
}

/// Listens to `deployment.completed` and asks for a summary count of each.
struct Listener;

#[async_trait]
impl Behaviour for Listener {
    fn kind(&self) -> AgentKind {
        AgentKind::Watcher
    }
    fn topics(&self) -> Vec<String> {
        vec!["deployment.completed".into()]
    }
    async fn on_broadcast(
        &mut self,
        _: &TaskContext,
        _topic: &str,
        payload: &Value,
    ) -> Result<Vec<companyos_actors::TaskRequest>, TaskFailure> {
        Ok(vec![companyos_actors::TaskRequest {
            assign_to_type: "text_stats".into(),
            task_type: "count_text".into(),
            input: json!({"text": payload["summary"]}),
            priority: 6,
            requires_human_approval: false,
        }])
    }
}

/// Answers every question with the decision in its configuration.
struct Voter(VoterConfig);

/// A voter's configuration: the decision it gives.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
struct VoterConfig {
    #[garde(skip)]
    decision: String,
}

impl Configuration for VoterConfig {}

fn voter(decision: &str) -> AgentType {
    AgentType::configured("voter", AgentKind::Analyst, vec![], |config| {
        Box::new(Voter(config))
    })
    .with_default(json!({ "decision": decision }))
}

#[async_trait]
impl Behaviour for Voter {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }
    async fn answer(&mut self, _: &TaskContext, _: &Value) -> Result<Value, TaskFailure> {
        Ok(json!({"decision": self.0.decision, "confidence": 0.9}))
    }
}

fn register(
    registry: &mut AgentTypeRegistry,
    name: &str,
    kind: AgentKind,
    factory: impl Fn() -> Box<dyn Behaviour> + Send + Sync + 'static,
) {
    registry.register(AgentType::plain(name, kind, vec![], factory));
}

// ─── helpers ───────────────────────────────────────────────────────────────────

fn fast_config(policy: RestartPolicy) -> RuntimeConfig {
    RuntimeConfig {
        dispatcher: DispatcherConfig {
            worker: "test-node".into(),
            lease: Duration::from_secs(2),
            max_in_flight: 16,
            per_agent_limit: 1,
            per_organization_limit: 16,
            release_delay: Duration::from_millis(20),
            poll_interval: Duration::from_millis(20),
            transport_poll_interval: Duration::from_millis(20),
            reclaim_interval: Duration::from_millis(100),
        },
        agent_policy: policy,
        kind_policies: HashMap::new(),
        group_policy: RestartPolicy {
            max_restarts: 10,
            ..RestartPolicy::default()
        },
        organization_policy: RestartPolicy {
            max_restarts: 10,
            ..RestartPolicy::default()
        },
        scheduler: SchedulerConfig {
            tick: Duration::from_millis(50),
        },
        placement: Placement::AllOrganizations,
        adapters: Default::default(),
        llm: None,
        redis: None,
        transport: None,
        deliveries: companyos_supervisors::DeliveriesConfig {
            sweep_every: Duration::from_millis(200),
            ..Default::default()
        },
        passivate_after: None,
        semantic: None,
    }
}

fn fast_queue(store: &Store) -> Arc<dyn TaskQueue> {
    Arc::new(
        DbTaskQueue::new(store.clone()).with_retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        }),
    )
}

async fn start(store: &Store, registry: AgentTypeRegistry, policy: RestartPolicy) -> Runtime {
    Runtime::start(
        store.clone(),
        fast_queue(store),
        registry,
        fast_config(policy),
    )
    .await
    .expect("start runtime")
}

async fn organization(store: &Store) -> OrgId {
    companyos_store::testing::organization_with_owner(store, "acme")
        .await
        .0
        .id
}

/// True when every one of `tasks` has completed.
async fn all_completed(store: &Store, org: OrgId, tasks: &[TaskId]) -> bool {
    for task in tasks {
        if status_of(store, org, *task).await != TaskStatus::Completed {
            return false;
        }
    }
    true
}

async fn status_of(store: &Store, org: OrgId, task: TaskId) -> TaskStatus {
    store.tasks().get(org, task).await.expect("task").status
}

fn task(org: OrgId, agent: AgentId, input: Value) -> NewTask {
    let mut task = NewTask::new(org, agent, "count_text");
    task.input = Some(input);
    task
}

// ─── tests ─────────────────────────────────────────────────────────────────────

async fn a_panicking_agent_is_restarted_and_its_task_retried(db: &TestDb) {
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "crashy", AgentKind::Executor, || {
        Box::new(CrashesOnFirstAttempt)
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let mut events = runtime.subscribe();
    let org = organization(&db.store).await;
    let crashy = runtime
        .spawn_agent(org, "crashy", "crashy", None)
        .await
        .expect("spawn");
    let counter = runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn");

    let crashing = runtime
        .submit(task(org, crashy.id, json!({})))
        .await
        .expect("submit");
    let mut others = Vec::new();
    for index in 0..5 {
        others.push(
            runtime
                .submit(task(
                    org,
                    counter.id,
                    json!({"text": format!("task number {index}")}),
                ))
                .await
                .expect("submit")
                .id,
        );
    }
    until("every task completes", || async {
        let mut all = vec![crashing.id];
        all.extend(&others);
        all_completed(&db.store, org, &all).await
    })
    .await;
    let retried = db.store.tasks().get(org, crashing.id).await.expect("task");
    assert_eq!(
        (retried.attempt, retried.retry_count),
        (2, 1),
        "retried once after the crash"
    );
    assert_eq!(retried.output_data, Some(json!({"attempt": 2})));
    let counted = db.store.tasks().get(org, others[0]).await.expect("task");
    assert_eq!(
        counted.output_data,
        Some(json!({"words": 3, "lines": 1, "characters": 13}))
    );

    let mut restarted = false;
    while let Ok(event) = events.try_recv() {
        restarted |=
            matches!(event, RuntimeEvent::AgentRestarted { agent_id, .. } if agent_id == crashy.id);
    }
    assert!(restarted, "the restart was published");
    let tree = runtime.tree().await.expect("tree");
    let node = tree
        .iter()
        .find(|info| info.agent_id == Some(crashy.id))
        .expect("crashy in the tree");
    assert_eq!((node.restarts, node.status), (1, Some(AgentStatus::Idle)));
    assert!(
        node.path
            .ends_with(&format!("executors/agent:{}", crashy.id)),
        "{}",
        node.path
    );
    until("the statistics count the completed task", || async {
        let agent = db.store.agents().get(org, crashy.id).await.expect("agent");
        (agent.status, agent.total_tasks_completed) == (AgentStatus::Idle, 1)
    })
    .await;
    runtime.shutdown().await;
}

async fn an_agent_that_keeps_crashing_is_disabled_until_enabled(db: &TestDb) {
    let crashing = Arc::new(AtomicBool::new(true));
    let mut registry = AgentTypeRegistry::builtin();
    let switch = crashing.clone();
    register(&mut registry, "broken", AgentKind::Executor, move || {
        Box::new(CrashesWhile(switch.clone()))
    });
    register(&mut registry, "steady", AgentKind::Executor, || {
        Box::new(CrashesWhile(Arc::new(AtomicBool::new(false))))
    });
    let policy = RestartPolicy {
        max_restarts: 2,
        base_backoff: Duration::from_millis(5),
        ..RestartPolicy::default()
    };
    let runtime = start(&db.store, registry, policy).await;
    let org = organization(&db.store).await;
    let broken = runtime
        .spawn_agent(org, "broken", "broken", None)
        .await
        .expect("spawn");
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let mut new = task(org, broken.id, json!({}));
        new.max_attempts = 10;
        tasks.push(runtime.submit(new).await.expect("submit").id);
    }
    until("the agent is disabled", || async {
        db.store
            .agents()
            .get(org, broken.id)
            .await
            .expect("agent")
            .status
            == AgentStatus::Disabled
    })
    .await;
    // The escalation is recorded durably (just after the status is written).
    until("the escalation is recorded", || async {
        let filter = EventFilter {
            event_type: Some("agent.disabled".into()),
            ..EventFilter::default()
        };
        let page = db
            .store
            .events()
            .list(org, &filter, &PageRequest::default())
            .await;
        page.expect("events").items.len() == 1
    })
    .await;
    let recorded = db
        .store
        .events()
        .list(
            org,
            &EventFilter {
                event_type: Some("agent.disabled".into()),
                ..EventFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .expect("events");
    assert_eq!(recorded.items.len(), 1);
    assert_eq!(recorded.items[0].resource_id, Some(broken.id.0));
    assert!(
        recorded.items[0].metadata["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("crashed 3 times"))
    );
    assert!(
        runtime
            .tree()
            .await
            .expect("tree")
            .iter()
            .all(|info| info.agent_id != Some(broken.id)),
        "stays down"
    );

    // While disabled, its tasks wait rather than burn their attempts: once a task
    // submitted after the disabling has been dispatched and completed by another agent,
    // the dispatcher has had its rounds, and the disabled agent's tasks are still there.
    let steady = runtime
        .spawn_agent(org, "steady", "steady", None)
        .await
        .expect("spawn");
    let after = runtime
        .submit(task(org, steady.id, json!({})))
        .await
        .expect("submit")
        .id;
    until("a task submitted after the disabling completes", || async {
        all_completed(&db.store, org, &[after]).await
    })
    .await;
    let waiting = db
        .store
        .tasks()
        .list(
            org,
            &TaskFilter {
                status: Some(TaskStatus::Pending),
                ..TaskFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .expect("tasks");
    assert!(
        !waiting.items.is_empty(),
        "some tasks still wait for the agent"
    );

    // A person fixes the cause and re-enables it: every task completes.
    crashing.store(false, Ordering::SeqCst);
    let enabled = runtime.enable_agent(org, broken.id).await.expect("enable");
    assert_eq!(enabled.status, AgentStatus::Idle);
    until("every task completes after re-enabling", || async {
        all_completed(&db.store, org, &tasks).await
    })
    .await;
    runtime.shutdown().await;
}

async fn a_node_stopped_mid_task_finishes_every_task_after_restart(db: &TestDb) {
    const TASKS: usize = 12;
    let done = Arc::new(Mutex::new(Vec::new()));
    let url = db.url.clone();
    // The first node runs on its own tokio runtime, which is torn down abruptly — no
    // more database writes, leases left to expire — as when a process dies.
    let (org, agent, tasks) = {
        let done = done.clone();
        std::thread::spawn(move || {
            let node = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            let result = node.block_on(async move {
                let store = Store::open(&ConnectOptions::new(url)).await.expect("store");
                let mut registry = AgentTypeRegistry::builtin();
                register(&mut registry, "slow", AgentKind::Executor, move || {
                    Box::new(Slow {
                        delay: Duration::from_millis(100),
                        done: done.clone(),
                    })
                });
                let runtime = start(&store, registry, RestartPolicy::default()).await;
                let org = organization(&store).await;
                let agent = runtime
                    .spawn_agent(org, "slow", "slow", None)
                    .await
                    .expect("spawn");
                let mut tasks = Vec::new();
                for index in 0..TASKS {
                    tasks.push(
                        runtime
                            .submit(task(org, agent.id, json!({"n": index})))
                            .await
                            .expect("submit")
                            .id,
                    );
                }
                until("a few tasks are done and one is running", || async {
                    let page = store
                        .tasks()
                        .list(org, &TaskFilter::default(), &PageRequest::first(100))
                        .await
                        .expect("list");
                    let completed = page
                        .items
                        .iter()
                        .filter(|task| task.status == TaskStatus::Completed)
                        .count();
                    let running = page
                        .items
                        .iter()
                        .any(|task| task.status == TaskStatus::InProgress);
                    completed >= 3 && running
                })
                .await;
                std::mem::forget(runtime);
                (org, agent.id, tasks)
            });
            node.shutdown_background();
            result
        })
        .join()
        .expect("first node")
    };
    let in_progress = db
        .store
        .tasks()
        .list(
            org,
            &TaskFilter {
                status: Some(TaskStatus::InProgress),
                ..TaskFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .expect("list");
    assert!(
        !in_progress.items.is_empty(),
        "the node died with a task in progress"
    );
    let completed_before = db
        .store
        .tasks()
        .list(
            org,
            &TaskFilter {
                status: Some(TaskStatus::Completed),
                ..TaskFilter::default()
            },
            &PageRequest::first(100),
        )
        .await
        .expect("list")
        .items
        .len();

    // A new node on the same database.
    let mut registry = AgentTypeRegistry::builtin();
    let second_done = done.clone();
    register(&mut registry, "slow", AgentKind::Executor, move || {
        Box::new(Slow {
            delay: Duration::from_millis(10),
            done: second_done.clone(),
        })
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    until("every accepted task completes", || async {
        all_completed(&db.store, org, &tasks).await
    })
    .await;
    let finished: HashSet<TaskId> = done.lock().expect("lock").iter().copied().collect();
    assert_eq!(
        finished,
        tasks.iter().copied().collect::<HashSet<_>>(),
        "zero lost"
    );
    // Statistics are refreshed just after each completion is recorded, in batches: a
    // node that dies outright may take its last completions' update with it (the task
    // rows are the truth). Every completion of the new node counts.
    until(
        "the agent's statistics count every task after the restart",
        || async {
            let agent_row = db.store.agents().get(org, agent).await.expect("agent");
            let counted = agent_row.total_tasks_completed as usize;
            (TASKS - completed_before..=TASKS).contains(&counted)
        },
    )
    .await;
    runtime.shutdown().await;
}

async fn a_flood_for_one_agent_does_not_starve_the_others(db: &TestDb) {
    const FLOOD: usize = 10_000;
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "bulk", AgentKind::Executor, || {
        Box::new(Slow {
            delay: Duration::from_millis(1),
            done: Arc::default(),
        })
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    let bulk = runtime
        .spawn_agent(org, "bulk", "bulk", None)
        .await
        .expect("spawn");
    let quiet = runtime
        .spawn_agent(org, "quiet", "text_stats", None)
        .await
        .expect("spawn");
    for _ in 0..FLOOD {
        runtime
            .submit(task(org, bulk.id, json!({})))
            .await
            .expect("submit");
    }
    let mut quiet_tasks = Vec::new();
    for _ in 0..5 {
        quiet_tasks.push(
            runtime
                .submit(task(org, quiet.id, json!({"text": "hello"})))
                .await
                .expect("submit")
                .id,
        );
    }
    // The flood runs while it is being submitted: what counts is what was left of it
    // when the quiet agent's tasks arrived.
    let pending = || async {
        let counts = db.store.tasks().count_by_status(org).await.expect("counts");
        counts
            .iter()
            .find(|(status, _)| *status == TaskStatus::Pending)
            .map_or(0, |(_, count)| *count)
    };
    let left_then = pending().await;
    assert!(
        left_then > (FLOOD / 4) as i64,
        "the flood drained while it was submitted ({left_then} pending): the check below would mean nothing"
    );
    until("the quiet agent's tasks complete", || async {
        all_completed(&db.store, org, &quiet_tasks).await
    })
    .await;
    let left_now = pending().await;
    assert!(
        left_now > left_then / 2,
        "the quiet agent waited for the flood: {left_now} of {left_then} still pending"
    );
    runtime.shutdown().await;
}

async fn cancelling_a_running_task_reaches_the_agent(db: &TestDb) {
    let done = Arc::new(Mutex::new(Vec::new()));
    let mut registry = AgentTypeRegistry::builtin();
    let recorded = done.clone();
    register(&mut registry, "slow", AgentKind::Executor, move || {
        Box::new(Slow {
            delay: Duration::from_secs(3600),
            done: recorded.clone(),
        })
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    let agent = runtime
        .spawn_agent(org, "slow", "slow", None)
        .await
        .expect("spawn");
    let long = runtime
        .submit(task(org, agent.id, json!({})))
        .await
        .expect("submit");
    until("the task runs", || async {
        status_of(&db.store, org, long.id).await == TaskStatus::InProgress
    })
    .await;
    let cancelled = runtime.cancel(org, long.id).await.expect("cancel");
    assert_eq!(cancelled.status, TaskStatus::Cancelled);
    until("the agent is idle again", || async {
        db.store
            .agents()
            .get(org, agent.id)
            .await
            .expect("agent")
            .status
            == AgentStatus::Idle
    })
    .await;
    assert!(done.lock().expect("lock").is_empty(), "the work stopped");
    assert_eq!(
        status_of(&db.store, org, long.id).await,
        TaskStatus::Cancelled,
        "stays cancelled"
    );
    assert!(matches!(
        runtime.cancel(org, long.id).await,
        Err(RuntimeError::Store(StoreError::InvalidTaskState { .. }))
    ));
    runtime.shutdown().await;
}

async fn asking_an_agent_answers_or_times_out(db: &TestDb) {
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "slow", AgentKind::Executor, || {
        Box::new(Slow {
            delay: Duration::from_secs(3600),
            done: Arc::default(),
        })
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    let counter = runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn");
    let slow = runtime
        .spawn_agent(org, "slow", "slow", None)
        .await
        .expect("spawn");
    let answer = runtime
        .ask(
            org,
            counter.id,
            json!({"text": "one two three"}),
            Duration::from_secs(5),
        )
        .await
        .expect("answer");
    assert_eq!(answer, json!({"words": 3}));
    let timed_out = runtime
        .ask(org, slow.id, json!({}), Duration::from_millis(50))
        .await;
    assert!(
        matches!(timed_out, Err(RuntimeError::Timeout { timeout_ms: 50, .. })),
        "{timed_out:?}"
    );
    let other_org = {
        let owner = db
            .store
            .users()
            .create(NewUser {
                email: "x@other.example".into(),
                name: "X".into(),
                ..NewUser::default()
            })
            .await
            .expect("user");
        db.store
            .organizations()
            .create("Other", "other", owner.id)
            .await
            .expect("org")
            .id
    };
    assert!(matches!(
        runtime
            .ask(other_org, counter.id, json!({}), Duration::from_secs(1))
            .await,
        Err(RuntimeError::AgentNotRunning(_))
    ));
    runtime.shutdown().await;
}

async fn watchers_turn_events_into_tasks_once(db: &TestDb) {
    let runtime = start(
        &db.store,
        {
            let mut registry = AgentTypeRegistry::builtin();
            register(&mut registry, "code_review", AgentKind::Executor, || {
                Box::new(companyos_actors::builtin::TextStats)
            });
            registry
        },
        RestartPolicy::default(),
    )
    .await;
    let org = organization(&db.store).await;
    runtime
        .spawn_agent(org, "github", "github_watcher", None)
        .await
        .expect("spawn watcher");
    let reviewer = runtime
        .spawn_agent(org, "reviewer", "code_review", None)
        .await
        .expect("spawn reviewer");
    let event = db
        .store
        .events()
        .record(
            org,
            NewEvent {
                event_type: "pull_request.opened".into(),
                event_source: "github".into(),
                actor_type: Some(EventActorType::Webhook),
                actor_id: None,
                resource_type: Some(ResourceKind::PullRequest),
                resource_id: None,
                metadata: pull_request_opened(7, "Add the runtime"),
            },
        )
        .await
        .expect("event");
    let first = runtime.route_event(org, event.id).await.expect("route");
    let again = runtime
        .route_event(org, event.id)
        .await
        .expect("route again");
    assert_eq!(first.len(), 1);
    assert_eq!(first, again, "routing twice spawns nothing twice");
    let spawned = db.store.tasks().get(org, first[0]).await.expect("task");
    assert_eq!(
        (
            spawned.agent_id,
            spawned.task_type.as_str(),
            spawned.priority
        ),
        (Some(reviewer.id), "analyze_pr", 7)
    );
    assert_eq!(
        spawned
            .input_data
            .as_ref()
            .map(|input| (input["repository"].clone(), input["number"].clone())),
        Some((json!("acme/web"), json!(7)))
    );
    assert!(
        db.store
            .events()
            .get(org, event.id)
            .await
            .expect("event")
            .routed_at
            .is_some()
    );
    runtime.shutdown().await;
}

async fn a_schedule_missed_while_down_runs_once_on_start_up(db: &TestDb) {
    let org = organization(&db.store).await;
    let agent = db
        .store
        .agents()
        .create(
            org,
            NewAgent {
                name: "analytics".into(),
                agent_type: "task_analytics".into(),
                capabilities: vec![],
                configuration: json!({}),
            },
        )
        .await
        .expect("agent");
    // Hourly, last due three hours ago: three ticks were missed while no node ran.
    let missed = now() - chrono::Duration::hours(3);
    let schedule = db
        .store
        .schedules()
        .create(
            org,
            NewSchedule {
                agent_id: agent.id,
                name: "hourly success rate".into(),
                cron_expression: "0 * * * *".into(),
                task_type: "task_success_rate".into(),
                input_data: None,
                priority: 4,
                next_run_at: Some(missed),
            },
        )
        .await
        .expect("schedule");
    let runtime = start(
        &db.store,
        AgentTypeRegistry::builtin(),
        RestartPolicy::default(),
    )
    .await;
    until("the missed schedule ran", || async {
        let page = db
            .store
            .tasks()
            .list(org, &TaskFilter::default(), &PageRequest::default())
            .await
            .expect("tasks");
        page.items
            .iter()
            .any(|task| task.status == TaskStatus::Completed)
    })
    .await;
    // A schedule that falls due after it: once its run exists, the scheduler has ticked
    // since, and the missed schedule had every chance to run again. (Its agent's type is
    // not registered here, so its task only waits.)
    let bystander = db
        .store
        .agents()
        .create(
            org,
            NewAgent {
                name: "bystander".into(),
                agent_type: "not_on_this_node".into(),
                capabilities: vec![],
                configuration: json!({}),
            },
        )
        .await
        .expect("agent");
    db.store
        .schedules()
        .create(
            org,
            NewSchedule {
                agent_id: bystander.id,
                name: "signal".into(),
                cron_expression: "0 * * * *".into(),
                task_type: "signal".into(),
                input_data: None,
                priority: 1,
                next_run_at: Some(now()),
            },
        )
        .await
        .expect("schedule");
    let tasks = companyos_store::testing::eventually("the later schedule's run", || async {
        let tasks = db
            .store
            .tasks()
            .list(org, &TaskFilter::default(), &PageRequest::default())
            .await
            .expect("tasks");
        if tasks.items.iter().any(|task| task.task_type == "signal") {
            Ok(tasks)
        } else {
            Err(tasks.items.len())
        }
    })
    .await;
    // It ran once, not once per missed tick.
    let analytics: Vec<&AgentTask> = tasks
        .items
        .iter()
        .filter(|task| task.task_type == "task_success_rate")
        .collect();
    assert_eq!(analytics.len(), 1, "{analytics:?}");
    assert_eq!(analytics[0].priority, 4);
    let after = db
        .store
        .schedules()
        .get(org, schedule.id)
        .await
        .expect("schedule");
    assert!(after.last_run_at.is_some());
    assert!(
        after.next_run_at.is_some_and(|next| next > now()),
        "the next run is in the future"
    );
    // The analyst did its work: a metric was written.
    let rate = db
        .store
        .metrics()
        .series(
            org,
            "task_success_rate",
            missed,
            now() + chrono::Duration::hours(1),
        )
        .await
        .expect("metrics");
    assert_eq!(rate.len(), 1);

    let schedule = |name: &str, cron: &str| NewSchedule {
        agent_id: agent.id,
        name: name.into(),
        cron_expression: cron.into(),
        task_type: "task_success_rate".into(),
        input_data: None,
        priority: 5,
        next_run_at: None,
    };
    let invalid = runtime
        .create_schedule(org, schedule("bad", "at nine"))
        .await;
    assert!(
        matches!(invalid, Err(RuntimeError::InvalidSchedule(_))),
        "{invalid:?}"
    );
    let created = runtime
        .create_schedule(org, schedule("weekdays", "0 9 * * 1-5"))
        .await
        .expect("create");
    assert!(created.next_run_at.is_some_and(|next| next > now()));
    runtime.shutdown().await;
}

async fn a_coordinator_stopped_between_steps_resumes_at_that_step(db: &TestDb) {
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "slow", AgentKind::Executor, || {
        Box::new(Slow {
            delay: Duration::from_millis(400),
            done: Arc::default(),
        })
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn");
    runtime
        .spawn_agent(org, "waiter", "slow", None)
        .await
        .expect("spawn");
    let workflow = json!({"steps": [
        {"stage": 0, "name": "count", "assign_to_type": "text_stats", "task_type": "count_text", "input": {"text": "a b c"}},
        {"stage": 1, "name": "wait", "assign_to_type": "slow", "task_type": "wait"},
        {"stage": 2, "name": "notify", "assign_to_type": "slow", "task_type": "notify", "blocking": false},
        {"stage": 2, "name": "recount", "assign_to_type": "text_stats", "task_type": "count_text", "input": {"text": "d e"}}
    ]});
    let coordinator = runtime
        .spawn_agent(org, "pipeline", "workflow_coordinator", Some(workflow))
        .await
        .expect("spawn");
    let mut run_task = task(org, coordinator.id, json!({}));
    run_task.task_type = "run_workflow".into();
    run_task.max_attempts = 5;
    let run_task = runtime.submit(run_task).await.expect("submit");

    // Stop the coordinator while it waits on stage 1, after stage 0 finished.
    until("the workflow reaches stage 1", || async {
        let runs = db
            .store
            .workflows()
            .runs_for(org, coordinator.id)
            .await
            .expect("runs");
        runs.first().is_some_and(|run| run.current_stage == 1)
    })
    .await;
    runtime
        .disable_agent(org, coordinator.id)
        .await
        .expect("disable");
    runtime
        .enable_agent(org, coordinator.id)
        .await
        .expect("enable");

    until("the workflow completes", || async {
        status_of(&db.store, org, run_task.id).await == TaskStatus::Completed
    })
    .await;
    let runs = db
        .store
        .workflows()
        .runs_for(org, coordinator.id)
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1, "resumed, not started over");
    assert_eq!(
        (runs[0].status, runs[0].current_stage),
        (WorkflowStatus::Completed, 3)
    );
    let finished = db.store.tasks().get(org, run_task.id).await.expect("task");
    assert!(
        finished.attempt >= 2,
        "the coordinator's task ran again after the stop"
    );
    assert_eq!(
        finished
            .output_data
            .as_ref()
            .map(|output| output["steps"]["count"].clone()),
        Some(json!({"words": 3, "lines": 1, "characters": 5}))
    );
    // Every step ran exactly once.
    let tasks = db
        .store
        .tasks()
        .list(org, &TaskFilter::default(), &PageRequest::first(100))
        .await
        .expect("tasks");
    let count_of = |task_type: &str| {
        tasks
            .items
            .iter()
            .filter(|task| task.task_type == task_type)
            .count()
    };
    assert_eq!(
        (count_of("count_text"), count_of("wait"), count_of("notify")),
        (2, 1, 1)
    );
    let steps = db
        .store
        .workflows()
        .steps(org, runs[0].id)
        .await
        .expect("steps");
    assert!(
        steps
            .iter()
            .all(|step| step.status == WorkflowStepStatus::Completed),
        "{steps:?}"
    );
    assert_eq!(
        db.store
            .collaborations()
            .list_for_agent(org, coordinator.id)
            .await
            .expect("collaborations")
            .len(),
        4
    );
    runtime.shutdown().await;
}

async fn consensus_combines_opinions_by_the_stated_rule(db: &TestDb) {
    let mut registry = AgentTypeRegistry::builtin();
    registry.register(voter("approve"));
    register(&mut registry, "slow", AgentKind::Executor, || {
        Box::new(Slow {
            delay: Duration::from_secs(3600),
            done: Arc::default(),
        })
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    let initiator = runtime
        .spawn_agent(org, "deploy-coordinator", "text_stats", None)
        .await
        .expect("spawn");
    let yes_a = runtime
        .spawn_agent(org, "yes-a", "voter", None)
        .await
        .expect("spawn")
        .id;
    let yes_b = runtime
        .spawn_agent(org, "yes-b", "voter", None)
        .await
        .expect("spawn")
        .id;
    let no = runtime
        .spawn_agent(org, "no", "voter", Some(json!({"decision": "reject"})))
        .await
        .expect("spawn")
        .id;
    let silent = runtime
        .spawn_agent(org, "silent", "slow", None)
        .await
        .expect("spawn")
        .id;
    let question = json!({"question": "ship release 1.4?"});

    let majority = runtime
        .consensus(
            org,
            initiator.id,
            &[yes_a, yes_b, no],
            question.clone(),
            ConsensusRule::Majority,
            Duration::from_secs(5),
        )
        .await
        .expect("consensus");
    assert_eq!(majority.decision.as_deref(), Some("approve"));
    assert_eq!(majority.opinions.len(), 3);

    // The silent agent times out and abstains; weights let one expert outvote two.
    let weights = std::collections::BTreeMap::from([(no, 5.0)]);
    let weighted = runtime
        .consensus(
            org,
            initiator.id,
            &[yes_a, yes_b, no, silent],
            question,
            ConsensusRule::Weighted(weights),
            Duration::from_millis(100),
        )
        .await
        .expect("consensus");
    assert_eq!(weighted.decision.as_deref(), Some("reject"));
    let abstained = weighted
        .opinions
        .iter()
        .find(|opinion| opinion.agent_id == silent)
        .expect("silent opinion");
    assert!(
        abstained.answer.as_ref().is_err_and(
            |reason| matches!(reason, RemoteError::Timeout { agent, .. } if *agent == silent)
        ),
        "{abstained:?}"
    );

    // The rule and each opinion are recorded, one collaboration per agent asked.
    let recorded = db
        .store
        .collaborations()
        .list_for_agent(org, initiator.id)
        .await
        .expect("collaborations");
    assert_eq!(recorded.len(), 7);
    assert!(recorded.iter().all(
        |c| c.collaboration_type == Some(CollaborationType::Consensus)
            && c.status == CollaborationStatus::Completed
    ));
    let latest = &recorded[0].metadata;
    assert_eq!(
        (latest["rule"].as_str(), latest["decision"].as_str()),
        (Some("weighted"), Some("reject"))
    );
    assert_eq!(latest["opinions"].as_array().map(Vec::len), Some(4));
    runtime.shutdown().await;
}

async fn an_organization_moves_to_another_node_from_the_database_alone(db: &TestDb) {
    let done = Arc::new(Mutex::new(Vec::new()));
    let registry = || {
        let mut registry = AgentTypeRegistry::builtin();
        let done = done.clone();
        register(&mut registry, "slow", AgentKind::Executor, move || {
            Box::new(Slow {
                delay: Duration::from_millis(50),
                done: done.clone(),
            })
        });
        registry
    };
    let first = start(&db.store, registry(), RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    let agent = first
        .spawn_agent(org, "slow", "slow", None)
        .await
        .expect("spawn");
    let mut tasks = Vec::new();
    for index in 0..10 {
        tasks.push(
            first
                .submit(task(org, agent.id, json!({"n": index})))
                .await
                .expect("submit")
                .id,
        );
    }
    until("the first node has done some", || async {
        done.lock().expect("lock").len() >= 2
    })
    .await;
    first.stop_organization(org).await.expect("stop");
    assert!(
        first
            .tree()
            .await
            .expect("tree")
            .iter()
            .all(|info| info.agent_id != Some(agent.id))
    );

    // A second node that places organizations explicitly takes this one over. The first
    // node's dispatcher still claims the organization's tasks now and then, and gives them
    // back without spending attempts.
    let mut config = fast_config(RestartPolicy::default());
    config.placement = Placement::Explicit;
    let second = Runtime::start(db.store.clone(), fast_queue(&db.store), registry(), config)
        .await
        .expect("second node");
    assert!(
        second
            .tree()
            .await
            .expect("tree")
            .iter()
            .all(|info| info.agent_id.is_none()),
        "starts empty"
    );
    second.start_organization(org).await.expect("move");
    until("every task completes on the second node", || async {
        all_completed(&db.store, org, &tasks).await
    })
    .await;
    let finished: HashSet<TaskId> = done.lock().expect("lock").iter().copied().collect();
    assert_eq!(finished.len(), tasks.len());
    // Only the task running at the moment of the move is retried (its agent was
    // stopped under it); tasks the first node claimed afterwards were given back
    // without spending an attempt.
    let mut retried = 0;
    for id in &tasks {
        let finished = db.store.tasks().get(org, *id).await.expect("task");
        retried += usize::from(finished.retry_count > 0);
    }
    assert!(retried <= 1, "{retried} tasks spent an attempt on the move");
    first.shutdown().await;
    second.shutdown().await;
}

/// The metrics recorder of this test binary (one per process), installed on first use.
fn recorder() -> &'static metrics_util::debugging::Snapshotter {
    static SNAPSHOTTER: std::sync::OnceLock<metrics_util::debugging::Snapshotter> =
        std::sync::OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("install the metrics recorder");
        snapshotter
    })
}

/// Every figure recorded so far, keyed by name and labels. Snapshots reset counters
/// and gauges and drain histograms, and the tests of this binary share the recorder, so
/// each snapshot is merged in here: counters add up, gauges keep their latest non-zero
/// value, histograms count their samples.
fn metric(name: &str, label: Option<(&str, &str)>) -> f64 {
    use metrics_util::debugging::DebugValue;
    /// (name, labels, accumulated value)
    type Figure = (String, Vec<(String, String)>, f64);
    static SEEN: Mutex<Vec<Figure>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().expect("lock");
    for (key, _, _, value) in recorder().snapshot().into_vec() {
        let name = key.key().name().to_owned();
        let labels: Vec<(String, String)> = key
            .key()
            .labels()
            .map(|l| (l.key().to_owned(), l.value().to_owned()))
            .collect();
        let index = match seen.iter().position(|(n, l, _)| *n == name && *l == labels) {
            Some(index) => index,
            None => {
                seen.push((name, labels, 0.0));
                seen.len() - 1
            }
        };
        match value {
            DebugValue::Counter(count) => seen[index].2 += count as f64,
            DebugValue::Gauge(gauge) if gauge.into_inner() != 0.0 => {
                seen[index].2 = gauge.into_inner()
            }
            DebugValue::Gauge(_) => {}
            DebugValue::Histogram(samples) => seen[index].2 += samples.len() as f64,
        }
    }
    seen.iter()
        .filter(|(n, labels, _)| {
            n == name
                && label
                    .is_none_or(|(key, value)| labels.iter().any(|(k, v)| k == key && v == value))
        })
        .map(|(_, _, value)| value)
        .sum()
}

async fn the_tree_shows_mailbox_depth_and_metrics_count_the_work(db: &TestDb) {
    recorder();
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "slow", AgentKind::Executor, || {
        Box::new(Slow {
            delay: Duration::from_millis(300),
            done: Arc::default(),
        })
    });
    let runtime = Arc::new(start(&db.store, registry, RestartPolicy::default()).await);
    let org = organization(&db.store).await;
    let slow = runtime
        .spawn_agent(org, "slow", "slow", None)
        .await
        .expect("spawn")
        .id;
    let counter = runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn")
        .id;

    // Three questions at once to an agent that answers one at a time.
    let asks: Vec<_> = (0..3)
        .map(|_| {
            let runtime = runtime.clone();
            tokio::spawn(async move {
                runtime
                    .ask(org, slow, json!({}), Duration::from_secs(10))
                    .await
            })
        })
        .collect();
    until("two questions wait in the mailbox", || async {
        let tree = runtime.tree().await.expect("tree");
        tree.iter()
            .find(|info| info.agent_id == Some(slow))
            .is_some_and(|info| info.mailbox >= 2)
    })
    .await;
    for ask in asks {
        assert_eq!(ask.await.expect("join").expect("answer"), json!("late"));
    }
    let tree = runtime.tree().await.expect("tree");
    assert_eq!(
        tree.iter()
            .find(|info| info.agent_id == Some(slow))
            .map(|info| info.mailbox),
        Some(0)
    );

    let done = runtime
        .submit(task(org, counter, json!({"text": "metrics count this"})))
        .await
        .expect("submit");
    until("the task completes", || async {
        status_of(&db.store, org, done.id).await == TaskStatus::Completed
    })
    .await;
    // Each figure is recorded just after the work it counts is visible.
    until("the counters and histograms count the work", || async {
        metric(
            "companyos_agent_messages_handled_total",
            Some(("kind", "executor")),
        ) >= 4.0
            && metric("companyos_agent_message_handling_seconds", None) >= 1.0
            && metric(
                "companyos_tasks_finished_total",
                Some(("outcome", "completed")),
            ) >= 1.0
            && metric("companyos_task_duration_seconds", None) >= 1.0
    })
    .await;
    // The gauges come from the database (the runtime samples them every few seconds;
    // other tests share this process's recorder, so sample and read at once).
    companyos_supervisors::metrics::sample(&db.store)
        .await
        .expect("sample");
    let (idle, completed) = (
        metric("companyos_agents", Some(("status", "idle"))),
        metric("companyos_tasks", Some(("status", "completed"))),
    );
    assert!(
        idle >= 1.0 && completed >= 1.0,
        "agents idle {idle}, tasks completed {completed}"
    );
    match Arc::try_unwrap(runtime) {
        Ok(runtime) => runtime.shutdown().await,
        Err(_) => panic!("the runtime is still shared"),
    }
}

async fn broadcasts_reach_the_agents_listening_to_the_topic(db: &TestDb) {
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "listener", AgentKind::Watcher, || {
        Box::new(Listener)
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    let deployer = runtime
        .spawn_agent(org, "deployer", "text_stats", None)
        .await
        .expect("spawn")
        .id;
    runtime
        .spawn_agent(org, "listener-a", "listener", None)
        .await
        .expect("spawn");
    runtime
        .spawn_agent(org, "listener-b", "listener", None)
        .await
        .expect("spawn");
    // Another organization's listener hears nothing of this one's broadcasts.
    let other = companyos_store::testing::organization_with_owner(&db.store, "other")
        .await
        .0
        .id;
    runtime
        .spawn_agent(other, "outsider", "listener", None)
        .await
        .expect("spawn");

    let payload = json!({"deployment": "dpl_1", "summary": "web shipped to production"});
    let reached = runtime
        .broadcast(org, Some(deployer), "deployment.completed", payload)
        .await
        .expect("broadcast");
    assert_eq!(reached, 2);
    assert_eq!(
        runtime
            .broadcast(org, None, "deployment.failed", json!({}))
            .await
            .expect("broadcast"),
        0
    );
    until("each listener's task completes", || async {
        let page = db
            .store
            .tasks()
            .list(org, &TaskFilter::default(), &PageRequest::default())
            .await
            .expect("tasks");
        page.items.len() == 2
            && page
                .items
                .iter()
                .all(|task| task.status == TaskStatus::Completed)
    })
    .await;
    let tasks = db
        .store
        .tasks()
        .list(org, &TaskFilter::default(), &PageRequest::default())
        .await
        .expect("tasks");
    assert!(
        tasks
            .items
            .iter()
            .all(|task| task.agent_id == Some(deployer) && task.task_type == "count_text")
    );
    assert_eq!(
        tasks.items[0].output_data,
        Some(json!({"words": 4, "lines": 1, "characters": 25}))
    );
    let outsider_tasks = db
        .store
        .tasks()
        .list(other, &TaskFilter::default(), &PageRequest::default())
        .await
        .expect("tasks");
    assert!(outsider_tasks.items.is_empty());
    let recorded = db
        .store
        .collaborations()
        .list_for_agent(org, deployer)
        .await
        .expect("collaborations");
    assert_eq!(
        recorded
            .iter()
            .filter(|c| c.collaboration_type == Some(CollaborationType::Broadcast))
            .count(),
        2
    );
    runtime.shutdown().await;
}

// ─── the shape of the tree ─────────────────────────────────────────────────────

/// The paths of the live tree, without the ids in them.
async fn shape(runtime: &Runtime, org: OrgId) -> Vec<String> {
    let tree = runtime.tree().await.expect("tree");
    tree.iter()
        .filter(|info| info.agent_id.is_none())
        .map(|info| info.path.replace(&org.to_string(), "X"))
        .collect()
}

fn restarts_of(tree: &[ActorInfo], path_end: &str) -> u32 {
    tree.iter()
        .find(|info| info.path.ends_with(path_end))
        .unwrap_or_else(|| panic!("{path_end} is not in the tree"))
        .restarts
}

async fn strategies_apply_per_subtree(db: &TestDb) {
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "crashy", AgentKind::Executor, || {
        Box::new(CrashesOnFirstAttempt)
    });
    let mut config = fast_config(RestartPolicy::default());
    config.kind_policies.insert(
        AgentKind::Executor,
        RestartPolicy {
            strategy: Strategy::OneForAll,
            ..RestartPolicy::default()
        },
    );
    let runtime = Runtime::start(db.store.clone(), fast_queue(&db.store), registry, config)
        .await
        .expect("start runtime");
    let org = organization(&db.store).await;
    let crashy = runtime
        .spawn_agent(org, "crashy", "crashy", None)
        .await
        .expect("spawn");
    let sibling = runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn");
    let analyst = runtime
        .spawn_agent(org, "analytics", "task_analytics", None)
        .await
        .expect("spawn");
    assert_eq!(
        shape(&runtime, org).await,
        [
            "root",
            "root/system",
            "root/system/events",
            "root/system/gateway",
            "root/system/scheduler",
            "root/system/deliveries",
            "root/system/dispatcher",
            "root/org:X",
            "root/org:X/executors",
            "root/org:X/coordinators",
            "root/org:X/analysts",
            "root/org:X/watchers",
            "root/org:X/integrations",
        ]
    );
    let mut events = runtime.subscribe();
    let crashed = runtime
        .submit(task(org, crashy.id, json!({})))
        .await
        .expect("submit")
        .id;
    until("the crashed task is retried and completes", || {
        all_completed(&db.store, org, std::slice::from_ref(&crashed))
    })
    .await;
    let mut restarted = HashSet::new();
    while let Ok(event) = events.try_recv() {
        if let RuntimeEvent::AgentRestarted { agent_id, .. } = event {
            restarted.insert(agent_id);
        }
    }
    // one_for_all among the executors: the sibling went down and came back with the
    // crashed agent; the analyst, in another subtree, was left alone.
    assert!(restarted.contains(&crashy.id), "{restarted:?}");
    assert!(restarted.contains(&sibling.id), "{restarted:?}");
    assert!(!restarted.contains(&analyst.id), "{restarted:?}");
    let counted = runtime
        .submit(task(org, sibling.id, json!({"text": "still here"})))
        .await
        .expect("submit")
        .id;
    until("the restarted sibling works", || {
        all_completed(&db.store, org, std::slice::from_ref(&counted))
    })
    .await;
    let tree = runtime.tree().await.expect("tree");
    assert_eq!(restarts_of(&tree, &format!("agent:{}", crashy.id)), 1);
    assert_eq!(
        restarts_of(&tree, "/executors"),
        0,
        "the subtree itself held"
    );
    runtime.shutdown().await;
}

async fn a_subtree_that_keeps_losing_agents_fails_to_its_organization(db: &TestDb) {
    let crashing = Arc::new(AtomicBool::new(true));
    let mut registry = AgentTypeRegistry::builtin();
    let switch = crashing.clone();
    register(&mut registry, "broken", AgentKind::Executor, move || {
        Box::new(CrashesWhile(switch.clone()))
    });
    // The first crash disables the agent; the first disabled agent fails the subtree.
    let mut config = fast_config(RestartPolicy {
        max_restarts: 0,
        ..RestartPolicy::default()
    });
    config.group_policy = RestartPolicy {
        max_restarts: 0,
        ..RestartPolicy::default()
    };
    let runtime = Runtime::start(db.store.clone(), fast_queue(&db.store), registry, config)
        .await
        .expect("start runtime");
    let org = organization(&db.store).await;
    let broken = runtime
        .spawn_agent(org, "broken", "broken", None)
        .await
        .expect("spawn");
    let sibling = runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn");
    let watcher = runtime
        .spawn_agent(org, "github", "github_watcher", None)
        .await
        .expect("spawn");
    runtime
        .submit(task(org, broken.id, json!({})))
        .await
        .expect("submit");
    until(
        "the executors subtree is restarted by its organization",
        || async {
            let tree = runtime.tree().await.expect("tree");
            tree.iter()
                .any(|info| info.path.ends_with("/executors") && info.restarts == 1)
                && tree.iter().any(|info| info.agent_id == Some(sibling.id))
        },
    )
    .await;
    let tree = runtime.tree().await.expect("tree");
    assert_eq!(
        db.store
            .agents()
            .get(org, broken.id)
            .await
            .expect("agent")
            .status,
        AgentStatus::Disabled
    );
    assert!(
        tree.iter().all(|info| info.agent_id != Some(broken.id)),
        "stays down"
    );
    assert_eq!(
        tree.iter()
            .filter(|info| info.agent_id == Some(sibling.id))
            .count(),
        1,
        "the rebuilt subtree runs the sibling once, not next to the old one"
    );
    assert_eq!(restarts_of(&tree, "/watchers"), 0, "other subtrees held");
    assert!(tree.iter().any(|info| info.agent_id == Some(watcher.id)));
    assert_eq!(
        restarts_of(&tree, &format!("org:{org}")),
        0,
        "the organization held"
    );
    let counted = runtime
        .submit(task(org, sibling.id, json!({"text": "after the restart"})))
        .await
        .expect("submit")
        .id;
    until("the sibling in the rebuilt subtree works", || {
        all_completed(&db.store, org, std::slice::from_ref(&counted))
    })
    .await;
    runtime.shutdown().await;
}

/// A GitHub `pull_request` delivery as the edge records it.
fn pull_request_delivery(integration: IntegrationId, key: &str, body: Vec<u8>) -> NewDelivery {
    NewDelivery {
        integration_id: integration,
        service: Service::Github,
        delivery_key: key.into(),
        event_type: "pull_request".into(),
        headers: json!({"x-github-event": "pull_request", "content-type": "application/json"}),
        body,
        status: DeliveryStatus::Received,
        error: None,
        traceparent: None,
    }
}

async fn deliveries_recorded_before_a_crash_become_tasks_at_start_up(db: &TestDb) {
    let org = organization(&db.store).await;
    for (name, agent_type) in [("github", "github_watcher"), ("reviewer", "code_review")] {
        db.store
            .agents()
            .create(
                org,
                NewAgent {
                    name: name.into(),
                    agent_type: agent_type.into(),
                    capabilities: vec![],
                    configuration: json!({}),
                },
            )
            .await
            .expect("agent");
    }
    let integration = db
        .store
        .integrations()
        .connect(
            org,
            Service::Github,
            "k:sealed",
            json!({}),
            WebhookSetup {
                token: "token",
                secret_encrypted: None,
            },
        )
        .await
        .expect("integration");
    // As the edge left it: recorded and acknowledged, then the node died.
    let body = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/github/pull_request/opened.payload.json"),
    )
    .expect("fixture");
    let Recorded::New(delivery) = db
        .store
        .deliveries()
        .record(org, pull_request_delivery(integration.id, "d-1", body))
        .await
        .expect("delivery")
    else {
        panic!("a new delivery");
    };
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "code_review", AgentKind::Executor, || {
        Box::new(CrashesWhile(Arc::new(AtomicBool::new(false))))
    });
    // With a payload archive, in a folder: the delivery, recorded before the node
    // started, was never archived by the edge; the sweep archives it.
    let folder = tempfile::tempdir().expect("tempdir");
    let archive = companyos_store::archive::Archive::open(
        &companyos_store::archive::ArchiveLocation::Folder(folder.path().join("archive")),
    )
    .expect("archive");
    let mut config = fast_config(RestartPolicy::default());
    config.deliveries.archive = Some(archive.clone());
    let runtime = Runtime::start(db.store.clone(), fast_queue(&db.store), registry, config)
        .await
        .expect("start runtime");
    let tree = runtime.tree().await.expect("tree");
    assert!(
        tree.iter()
            .any(|actor| actor.path == format!("root/org:{org}/integrations/github")),
        "one adapter per connected integration: {:?}",
        tree.iter().map(|actor| &actor.path).collect::<Vec<_>>()
    );
    until("the delivery becomes an event", || async {
        db.store
            .deliveries()
            .get(org, delivery)
            .await
            .expect("delivery")
            .status
            == DeliveryStatus::Processed
    })
    .await;
    let filter = TaskFilter {
        task_type: Some("analyze_pr".into()),
        status: Some(TaskStatus::Completed),
        ..TaskFilter::default()
    };
    until("its review task completes", || async {
        db.store
            .tasks()
            .list(org, &filter, &PageRequest::default())
            .await
            .expect("tasks")
            .items
            .len()
            == 1
    })
    .await;
    let pulls = db
        .store
        .pull_requests()
        .list(org, &PullRequestFilter::default(), &PageRequest::default())
        .await
        .expect("pull requests");
    assert_eq!(
        pulls.items.len(),
        1,
        "the pull request row follows the delivery"
    );
    let archived =
        companyos_store::testing::eventually("the sweep archives the delivery", || async {
            archive
                .get(delivery)
                .await
                .map_err(|error| error.to_string())
        })
        .await;
    assert_eq!(archived.delivery_key, "d-1");
    // The sweep writes the archive's object, then marks the row: the mark follows.
    until("the delivery is marked archived", || async {
        db.store
            .deliveries()
            .get(org, delivery)
            .await
            .expect("delivery")
            .archived_at
            .is_some()
    })
    .await;

    // Recorded while the node runs, by a process that hands it to no adapter (a
    // replay from the command line, or a node that died before handing it over): the
    // sweep hands it over, and it becomes an event too.
    let mut redelivered = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/github/pull_request/opened.payload.json"),
    )
    .expect("fixture");
    redelivered.push(b'\n');
    let Recorded::New(unnamed) = db
        .store
        .deliveries()
        .record(
            org,
            pull_request_delivery(integration.id, "d-2", redelivered),
        )
        .await
        .expect("delivery")
    else {
        panic!("a new delivery");
    };
    until(
        "the sweep hands the unnamed delivery to its adapter",
        || async {
            let row = db
                .store
                .deliveries()
                .get(org, unnamed)
                .await
                .expect("delivery");
            row.status == DeliveryStatus::Processed && row.event_id.is_some()
        },
    )
    .await;
    runtime.shutdown().await;
}

async fn events_left_unrouted_are_routed_at_start_up(db: &TestDb) {
    let org = organization(&db.store).await;
    // As a node that died between recording an event and routing it left them.
    for (name, agent_type) in [("github", "github_watcher"), ("reviewer", "code_review")] {
        db.store
            .agents()
            .create(
                org,
                NewAgent {
                    name: name.into(),
                    agent_type: agent_type.into(),
                    capabilities: vec![],
                    configuration: json!({}),
                },
            )
            .await
            .expect("agent");
    }
    let event = db
        .store
        .events()
        .record(
            org,
            NewEvent {
                event_type: "pull_request.opened".into(),
                event_source: "github".into(),
                actor_type: Some(EventActorType::Webhook),
                actor_id: None,
                resource_type: Some(ResourceKind::PullRequest),
                resource_id: None,
                metadata: pull_request_opened(12, "Routed after a crash"),
            },
        )
        .await
        .expect("event");
    let mut registry = AgentTypeRegistry::builtin();
    register(&mut registry, "code_review", AgentKind::Executor, || {
        Box::new(CrashesWhile(Arc::new(AtomicBool::new(false))))
    });
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    until("the event is routed", || async {
        db.store
            .events()
            .get(org, event.id)
            .await
            .expect("event")
            .routed_at
            .is_some()
    })
    .await;
    let filter = TaskFilter {
        task_type: Some("analyze_pr".into()),
        ..TaskFilter::default()
    };
    let tasks = db
        .store
        .tasks()
        .list(org, &filter, &PageRequest::default())
        .await
        .expect("tasks");
    assert_eq!(tasks.items.len(), 1, "one task for the one event");
    let review = [tasks.items[0].id];
    until("the review task completes", || {
        all_completed(&db.store, org, &review)
    })
    .await;
    runtime.shutdown().await;
}

async fn the_gateway_serves_requests_by_id(db: &TestDb) {
    let mut registry = AgentTypeRegistry::builtin();
    registry.register(voter("ship"));
    let runtime = start(&db.store, registry, RestartPolicy::default()).await;
    let org = organization(&db.store).await;
    let voter = runtime
        .spawn_agent(org, "voter", "voter", None)
        .await
        .expect("spawn");
    let gateway = runtime.gateway().expect("a gateway");
    let ask = |agent_id| {
        gateway.call(
            move |reply| GatewayMessage::Ask {
                organization_id: org,
                agent_id,
                question: json!({"release": "1.2"}),
                timeout_ms: 5_000,
                reply,
            },
            Some(Duration::from_secs(10)),
        )
    };
    let answer = ask(voter.id).await.expect("gateway").success_or(()).ok();
    assert_eq!(
        answer
            .and_then(Result::ok)
            .map(|answer| answer["decision"].clone()),
        Some(json!("ship"))
    );
    let unknown = ask(AgentId::new())
        .await
        .expect("gateway")
        .success_or(())
        .ok();
    assert!(
        matches!(&unknown, Some(Err(RemoteError::AgentNotRunning { .. }))),
        "{unknown:?}"
    );
    let elsewhere = gateway
        .call(
            |reply| GatewayMessage::Route {
                organization_id: OrgId::new(),
                event_id: EventId::new(),
                reply,
            },
            Some(Duration::from_secs(10)),
        )
        .await
        .expect("gateway")
        .success_or(())
        .ok();
    assert!(
        matches!(&elsewhere, Some(Err(RemoteError::NotHosted { organization })) if *organization != org),
        "{elsewhere:?}"
    );
    runtime.shutdown().await;
}

/// The real queue, except that its first claim panics (inside the dispatcher).
struct FirstClaimPanics {
    inner: DbTaskQueue,
    panicked: AtomicBool,
}

#[async_trait]
impl TaskQueue for FirstClaimPanics {
    async fn enqueue(&self, task: NewTask) -> Result<Enqueued, StoreError> {
        self.inner.enqueue(task).await
    }
    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedTask>, StoreError> {
        assert!(
            self.panicked.swap(true, Ordering::SeqCst),
            "simulated crash of the dispatcher"
        );
        self.inner.claim(request).await
    }
    async fn extend_lease(&self, lease: &Lease, duration: Duration) -> Result<Lease, StoreError> {
        self.inner.extend_lease(lease, duration).await
    }
    async fn complete(
        &self,
        lease: &Lease,
        output: Option<Value>,
    ) -> Result<AgentTask, StoreError> {
        self.inner.complete(lease, output).await
    }
    async fn fail(
        &self,
        lease: &Lease,
        error: &str,
        retryable: bool,
    ) -> Result<FailOutcome, StoreError> {
        self.inner.fail(lease, error, retryable).await
    }
    async fn release(&self, lease: &Lease, delay: Duration) -> Result<(), StoreError> {
        self.inner.release(lease, delay).await
    }
    async fn reclaim_expired(&self) -> Result<Vec<TaskId>, StoreError> {
        self.inner.reclaim_expired().await
    }
    async fn approve(
        &self,
        org: OrgId,
        task: TaskId,
        by: companyos_store::DecidedBy,
    ) -> Result<AgentTask, StoreError> {
        self.inner.approve(org, task, by).await
    }
    async fn reject(
        &self,
        org: OrgId,
        task: TaskId,
        by: companyos_store::DecidedBy,
        reason: Option<&str>,
    ) -> Result<AgentTask, StoreError> {
        self.inner.reject(org, task, by, reason).await
    }
    async fn cancel(&self, org: OrgId, task: TaskId) -> Result<(AgentTask, bool), StoreError> {
        self.inner.cancel(org, task).await
    }
    async fn supersede(
        &self,
        org: OrgId,
        key_prefix: &str,
        keep: &str,
        reason: &str,
    ) -> Result<Vec<AgentTask>, StoreError> {
        self.inner.supersede(org, key_prefix, keep, reason).await
    }
    async fn retry(&self, org: OrgId, task: TaskId) -> Result<AgentTask, StoreError> {
        self.inner.retry(org, task).await
    }
}

async fn a_crashed_dispatcher_is_restarted_and_work_goes_on(db: &TestDb) {
    let queue = Arc::new(FirstClaimPanics {
        inner: DbTaskQueue::new(db.store.clone()),
        panicked: AtomicBool::new(false),
    });
    let runtime = Runtime::start(
        db.store.clone(),
        queue,
        AgentTypeRegistry::builtin(),
        fast_config(RestartPolicy::default()),
    )
    .await
    .expect("start runtime");
    let org = organization(&db.store).await;
    let counter = runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn");
    let mut tasks = Vec::new();
    for text in ["one", "two words", "three more words"] {
        tasks.push(
            runtime
                .submit(task(org, counter.id, json!({"text": text})))
                .await
                .expect("submit")
                .id,
        );
    }
    until("every task completes", || {
        all_completed(&db.store, org, &tasks)
    })
    .await;
    let tree = runtime.tree().await.expect("tree");
    assert_eq!(restarts_of(&tree, "root/system/dispatcher"), 1);
    assert_eq!(restarts_of(&tree, "root/system/scheduler"), 0);
    runtime.shutdown().await;
}
