//! The task transport against a RabbitMQ of the test's own, stopped and started as a
//! crash would: what was written while it was down is published once it is back, and
//! what it had taken but nobody acknowledged is delivered again — nothing is lost.

use std::collections::HashSet;
use std::time::Duration;

use companyos_store::testing::{EVENTUALLY, RabbitServer, TestDb, organization_with_owner, until};
use companyos_store::transport::{TaskDelivery, TaskTransport, TransportSettings};
use companyos_store::*;
use tokio::sync::mpsc;

async fn enqueue(queue: &DbTaskQueue, org: OrgId, agent: AgentId, count: usize) -> Vec<TaskId> {
    let mut ids = Vec::new();
    for n in 0..count {
        let mut task = NewTask::new(org, agent, format!("unit-{n}"));
        task.priority = [2, 5, 9][n % 3];
        ids.push(queue.enqueue(task).await.expect("enqueue").task.id);
    }
    ids
}

/// Takes messages until every one of `wanted` came, acknowledging each when `ack`
/// (else returning them, held).
async fn receive(
    deliveries: &mut mpsc::Receiver<TaskDelivery>,
    wanted: &[TaskId],
    ack: bool,
) -> Vec<TaskDelivery> {
    let mut missing: HashSet<TaskId> = wanted.iter().copied().collect();
    let mut held = Vec::new();
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    while !missing.is_empty() {
        match tokio::time::timeout_at(deadline, deliveries.recv()).await {
            Ok(Some(delivery)) => {
                missing.remove(&delivery.message.task_id);
                if ack {
                    delivery.ack().await;
                } else {
                    held.push(delivery);
                }
            }
            Ok(None) => panic!("the transport stopped"),
            Err(_) => panic!(
                "gave up waiting ({EVENTUALLY:?}): {} of {} tasks' messages never came: {:?}",
                missing.len(),
                wanted.len(),
                wanted
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| missing.contains(id))
                    .map(|(at, _)| at)
                    .collect::<Vec<_>>()
            ),
        }
    }
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_that_dies_loses_nothing() {
    // RUST_LOG=companyos_store=debug shows the transport's view of the broker.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut broker = RabbitServer::start().await;
    let db = TestDb::postgres().await;
    let store = db.store.clone().with_task_outbox();
    let (org, _) = organization_with_owner(&store, "acme").await;
    let agent = store
        .agents()
        .create(
            org.id,
            NewAgent {
                name: "worker".into(),
                agent_type: "text_stats".into(),
                capabilities: Vec::new(),
                configuration: serde_json::json!({}),
            },
        )
        .await
        .expect("agent");
    let queue = DbTaskQueue::new(store.clone());
    let (transport, mut deliveries) = TaskTransport::start(
        store.clone(),
        TransportSettings::new(broker.url(), "companyos."),
    );
    let mut up = transport.watch();
    tokio::time::timeout(Duration::from_secs(60), up.wait_for(|up| *up))
        .await
        .expect("the transport comes up")
        .expect("watch");

    // Published with confirms and consumed, in every band.
    let first = enqueue(&queue, org.id, agent.id, 12).await;
    receive(&mut deliveries, &first, true).await;

    // Taken by the consumer but never acknowledged when the broker dies: persistent
    // messages on durable queues, so they come again after its restart.
    let unacknowledged = enqueue(&queue, org.id, agent.id, 6).await;
    let held = receive(&mut deliveries, &unacknowledged, false).await;
    // A moment for the broker to write them down. Killed within ~60 ms of handing
    // them out, RabbitMQ 3.10's classic queues did not deliver the messages of one
    // queue again (1 run in 8 with version 1 queues, 3 in 10 with version 2; none in
    // 10 with this pause), though it had confirmed them: a task whose message is lost
    // so is still a waiting row, which the dispatcher's sweep claims (see
    // ARCHITECTURE.md).
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker.stop().await;
    until("the transport sees the broker gone", || async {
        !transport.is_up()
    })
    .await;
    drop(held);

    // Written while it is down: they wait in the outbox, owed.
    let while_down = enqueue(&queue, org.id, agent.id, 9).await;
    assert_eq!(store.outbox().owed().await.expect("owed"), 9);

    broker.resume().await;
    until("the transport reconnects on its own", || async {
        transport.is_up()
    })
    .await;
    let mut again: Vec<TaskId> = unacknowledged.clone();
    again.extend(&while_down);
    receive(&mut deliveries, &again, true).await;
    until("the outbox owes nothing", || async {
        store.outbox().owed().await.is_ok_and(|owed| owed == 0)
    })
    .await;

    transport.stop();
    db.cleanup().await;
}
