//! Passivation: an agent idle for `passivate_after` has its actor stopped and stays
//! hosted (its row, its place in the tree); its next task or question starts it again,
//! transparently to whoever sent it. A busy agent, a watcher and a listener to broadcast
//! topics are not passivated; with passivation on, a node starts its agents passive.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use companyos_actors::{
    AgentKind, AgentType, AgentTypeRegistry, Behaviour, TaskContext, TaskFailure, names,
};
use companyos_store::testing::{TestBackend, TestDb, organization_with_owner, until};
use companyos_store::*;
use companyos_supervisors::{ActorInfo, DispatcherConfig, Runtime, RuntimeConfig};
use serde_json::{Value, json};

/// Sleeps for `input.ms` milliseconds.
struct Sleeper;

#[async_trait]
impl Behaviour for Sleeper {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }
    async fn perform(
        &mut self,
        _: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let ms = task
            .input_data
            .as_ref()
            .and_then(|input| input["ms"].as_u64())
            .unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(Some(json!({"slept_ms": ms})))
    }
}

fn registry() -> AgentTypeRegistry {
    let mut registry = AgentTypeRegistry::builtin();
    registry.register(AgentType::plain(
        "sleeper",
        AgentKind::Executor,
        vec!["sleep".into()],
        || Box::new(Sleeper),
    ));
    registry
}

fn config(passivate_after: Duration) -> RuntimeConfig {
    RuntimeConfig {
        dispatcher: DispatcherConfig {
            poll_interval: Duration::from_millis(20),
            release_delay: Duration::from_millis(20),
            ..DispatcherConfig::default()
        },
        passivate_after: Some(passivate_after),
        ..RuntimeConfig::default()
    }
}

/// The agent's node of the organization's live tree.
async fn node_of(runtime: &Runtime, org: OrgId, agent: AgentId) -> Option<ActorInfo> {
    runtime
        .tree_for(org)
        .await
        .expect("tree")
        .into_iter()
        .find(|node| node.agent_id == Some(agent))
}

async fn is_passive(runtime: &Runtime, org: OrgId, agent: AgentId) -> bool {
    node_of(runtime, org, agent)
        .await
        .is_some_and(|node| node.passive)
}

async fn finished(store: &Store, org: OrgId, task: TaskId) -> AgentTask {
    until("the task finishes", || async {
        let task = store.tasks().get(org, task).await.expect("task");
        matches!(task.status, TaskStatus::Completed | TaskStatus::Failed)
    })
    .await;
    store.tasks().get(org, task).await.expect("task")
}

async fn passivation(backend: TestBackend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let queue: Arc<dyn TaskQueue> = Arc::new(DbTaskQueue::new(store.clone()));
    let runtime = Runtime::start(
        store.clone(),
        queue.clone(),
        registry(),
        config(Duration::from_millis(200)),
    )
    .await
    .expect("runtime");
    let (organization, _) = organization_with_owner(store, "acme").await;
    let org = organization.id;
    let spawn = |name: &'static str, agent_type: &'static str| {
        let runtime = runtime.clone();
        async move {
            runtime
                .spawn_agent(org, name, agent_type, None)
                .await
                .expect("spawn")
        }
    };
    let counter = spawn("counter", names::TEXT_STATS).await;
    let sleeper = spawn("sleeper", "sleeper").await;
    let watcher = spawn("watcher", names::GITHUB_WATCHER).await;

    // A new agent runs; idle, it is passivated, and stays in the tree.
    until("the idle counter is passivated", || {
        is_passive(&runtime, org, counter.id)
    })
    .await;
    let node = node_of(&runtime, org, counter.id)
        .await
        .expect("in the tree");
    assert_eq!(node.status, Some(AgentStatus::Idle), "{node:?}");
    assert_eq!(node.restarts, 0, "a passivation is not a restart");

    // A question activates it and is answered.
    let answer = runtime
        .ask(
            org,
            counter.id,
            json!({"text": "one two three"}),
            Duration::from_secs(5),
        )
        .await
        .expect("the passive agent answers");
    assert_eq!(answer, json!({"words": 3}));

    // So does a task, once it is passive again.
    until("the counter is passivated again", || {
        is_passive(&runtime, org, counter.id)
    })
    .await;
    let mut count = NewTask::new(org, counter.id, names::COUNT_TEXT);
    count.input = Some(json!({"text": "a b"}));
    let count = runtime.submit(count).await.expect("submit");
    let done = finished(store, org, count.id).await;
    assert_eq!(done.status, TaskStatus::Completed, "{done:?}");
    assert_eq!(
        done.output_data.as_ref().map(|out| &out["words"]),
        Some(&json!(2))
    );
    assert_eq!(done.attempt, 1, "the activation spent no attempt");

    // A busy agent is not passivated, however long its task takes.
    let mut sleep = NewTask::new(org, sleeper.id, "sleep");
    sleep.input = Some(json!({"ms": 3_000}));
    let sleep = runtime.submit(sleep).await.expect("submit");
    until("the sleeper works", || async {
        store.tasks().get(org, sleep.id).await.expect("task").status == TaskStatus::InProgress
    })
    .await;
    // Four times the idle period, with checks every fifty milliseconds.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let working = node_of(&runtime, org, sleeper.id)
        .await
        .expect("in the tree");
    assert!(!working.passive, "passivated while busy: {working:?}");
    let slept = finished(store, org, sleep.id).await;
    assert_eq!(slept.status, TaskStatus::Completed, "{slept:?}");
    assert_eq!(slept.attempt, 1);

    // A watcher is never passivated (the router decides with it).
    let watching = node_of(&runtime, org, watcher.id)
        .await
        .expect("in the tree");
    assert!(!watching.passive, "{watching:?}");

    // Disabled while passive: gone from the tree, and enabled again it runs.
    until("the counter is passive", || {
        is_passive(&runtime, org, counter.id)
    })
    .await;
    runtime
        .disable_agent(org, counter.id)
        .await
        .expect("disable");
    assert!(node_of(&runtime, org, counter.id).await.is_none());
    runtime.enable_agent(org, counter.id).await.expect("enable");
    let again = runtime
        .ask(
            org,
            counter.id,
            json!({"text": "x"}),
            Duration::from_secs(5),
        )
        .await
        .expect("answers once enabled");
    assert_eq!(again, json!({"words": 1}));
    runtime.shutdown().await;

    // A node with passivation on starts its agents passive: nothing runs until needed.
    let runtime = Runtime::start(
        store.clone(),
        queue,
        registry(),
        config(Duration::from_secs(3600)),
    )
    .await
    .expect("runtime");
    until("the organization's tree is up", || async {
        node_of(&runtime, org, counter.id).await.is_some()
    })
    .await;
    assert!(
        is_passive(&runtime, org, counter.id).await,
        "started passive"
    );
    assert!(
        is_passive(&runtime, org, sleeper.id).await,
        "started passive"
    );
    assert!(
        !is_passive(&runtime, org, watcher.id).await,
        "a watcher runs"
    );
    let mut count = NewTask::new(org, counter.id, names::COUNT_TEXT);
    count.input = Some(json!({"text": "a b c d"}));
    let count = runtime.submit(count).await.expect("submit");
    let done = finished(store, org, count.id).await;
    assert_eq!(
        done.output_data.as_ref().map(|out| &out["words"]),
        Some(&json!(4))
    );
    // Active now, and it stays so while not idle for an hour.
    assert!(!is_passive(&runtime, org, counter.id).await);
    assert!(
        is_passive(&runtime, org, sleeper.id).await,
        "untouched, still passive"
    );
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_agents_are_passivated_and_activated_again_on_sqlite() {
    passivation(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_agents_are_passivated_and_activated_again_on_postgres() {
    passivation(TestBackend::Postgres).await;
}
