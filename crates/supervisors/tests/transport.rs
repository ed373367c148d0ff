//! The task transport (RabbitMQ) on PostgreSQL. With the dispatcher's polling slowed
//! to an hour, a task written anywhere reaches it through the broker and runs; with the
//! broker down the dispatcher polls the table and nothing waits, and once the broker
//! is back the transport carries tasks again on its own.

use std::sync::Arc;
use std::time::Duration;

use companyos_actors::AgentTypeRegistry;
use companyos_store::testing::{
    RabbitServer, TestDb, amqp_prefix, amqp_url, organization_with_owner, until,
};
use companyos_store::transport::TransportSettings;
use companyos_store::*;
use companyos_supervisors::{DispatcherConfig, Runtime, RuntimeConfig};
use serde_json::json;

const AN_HOUR: Duration = Duration::from_secs(3600);

async fn start(store: &Store, transport: TransportSettings, poll: Duration) -> Runtime {
    let config = RuntimeConfig {
        dispatcher: DispatcherConfig {
            worker: "transport-test".into(),
            poll_interval: poll,
            transport_poll_interval: AN_HOUR,
            ..DispatcherConfig::default()
        },
        transport: Some(transport),
        ..RuntimeConfig::default()
    };
    Runtime::start(
        store.clone(),
        Arc::new(DbTaskQueue::new(store.clone())),
        AgentTypeRegistry::builtin(),
        config,
    )
    .await
    .expect("start runtime")
}

fn settings(url: String, prefix: &str) -> TransportSettings {
    let mut settings = TransportSettings::new(url, prefix);
    settings.queue_expiry = Some(Duration::from_secs(600));
    settings
}

fn count_text(org: OrgId, agent: AgentId) -> NewTask {
    let mut task = NewTask::new(org, agent, "count_text");
    task.input = Some(json!({"text": "one two three"}));
    task
}

/// A task written by another process: its own store on the same database, so this
/// node's dispatcher is not woken and its relay not told.
async fn write_elsewhere(url: &str, org: OrgId, agent: AgentId) -> TaskId {
    let other = Store::open(&ConnectOptions::new(url))
        .await
        .expect("open the database again")
        .with_task_outbox();
    let id = DbTaskQueue::new(other.clone())
        .enqueue(count_text(org, agent))
        .await
        .expect("enqueue")
        .task
        .id;
    other.close().await;
    id
}

/// Waits for the transport to come up, then starts an agent that counts text.
async fn counter_once_up(runtime: &Runtime, org: OrgId) -> Agent {
    until("the transport is up", || async {
        runtime.transport_up() == Some(true)
    })
    .await;
    runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn")
}

async fn completes(store: &Store, org: OrgId, task: TaskId, what: &str) {
    until(what, || async {
        store
            .tasks()
            .get(org, task)
            .await
            .is_ok_and(|task| task.status == TaskStatus::Completed)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_polling_slowed_to_an_hour_tasks_arrive_through_the_broker() {
    let db = TestDb::postgres().await;
    let store = db.store.clone().with_task_outbox();
    let (org, _) = organization_with_owner(&store, "acme").await;
    let prefix = amqp_prefix();
    let runtime = start(&store, settings(amqp_url(), &prefix), AN_HOUR).await;
    let agent = counter_once_up(&runtime, org.id).await;

    let here = runtime
        .submit(count_text(org.id, agent.id))
        .await
        .expect("submit");
    completes(&store, org.id, here.id, "a task submitted here runs").await;
    let elsewhere = write_elsewhere(&db.url, org.id, agent.id).await;
    completes(&store, org.id, elsewhere, "a task written elsewhere runs").await;
    // Both went out through the outbox and were confirmed.
    until("the outbox owes nothing", || async {
        store.outbox().owed().await.is_ok_and(|owed| owed == 0)
    })
    .await;

    runtime.shutdown().await;
    companyos_store::transport::delete_queues(&amqp_url(), &prefix)
        .await
        .expect("delete the test's queues");
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_broker_down_the_dispatcher_polls_and_the_transport_comes_back() {
    let mut broker = RabbitServer::start().await;
    let db = TestDb::postgres().await;
    let store = db.store.clone().with_task_outbox();
    let (org, _) = organization_with_owner(&store, "acme").await;
    let runtime = start(
        &store,
        settings(broker.url(), "companyos."),
        Duration::from_millis(50),
    )
    .await;
    let agent = counter_once_up(&runtime, org.id).await;
    let first = write_elsewhere(&db.url, org.id, agent.id).await;
    completes(&store, org.id, first, "a task runs through the broker").await;

    broker.stop().await;
    until("the node sees the broker gone", || async {
        runtime.transport_up() == Some(false)
    })
    .await;
    // Written while the broker is down: the dispatcher polls the table.
    let mut down = Vec::new();
    for _ in 0..3 {
        down.push(write_elsewhere(&db.url, org.id, agent.id).await);
    }
    down.push(
        runtime
            .submit(count_text(org.id, agent.id))
            .await
            .expect("submit")
            .id,
    );
    for task in down {
        completes(
            &store,
            org.id,
            task,
            "a task written while the broker is down runs",
        )
        .await;
    }

    broker.resume().await;
    until("the transport reconnects on its own", || async {
        runtime.transport_up() == Some(true)
    })
    .await;
    // Polling is an hour again: this one can only come through the broker.
    let after = write_elsewhere(&db.url, org.id, agent.id).await;
    completes(
        &store,
        org.id,
        after,
        "a task runs through the broker again",
    )
    .await;

    runtime.shutdown().await;
    db.cleanup().await;
}
