//! The dispatcher's side of the task transport (`cluster.amqp_url`; see
//! `companyos_store::transport`). Each message says a task may run now:
//! - the organization runs here: the dispatcher is woken, and the message is
//!   acknowledged once a claim round has finished since it arrived (the wake-up makes
//!   sure one more follows; a task a limit holds back stays pending and is claimed
//!   when a slot frees, as always);
//! - it runs on another node: that node is nudged, and the message acknowledged;
//! - this node is leaving: the message goes back to its queue for another node.
//!
//! While the broker is down the dispatcher polls the table at its usual interval;
//! the moment the transport goes down it is woken, so that nothing waits for a sweep.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use companyos_store::transport::{TaskDelivery, TaskTransport};
use tokio::sync::mpsc;

use crate::metrics;
use crate::placement::Nudge;
use crate::tree::Deps;

/// How long a message waits for the claim round it triggered before it is
/// acknowledged anyway (the task row is the truth; the sweep finds the task).
const ROUND_WAIT: Duration = Duration::from_secs(10);

pub(crate) fn start(
    deps: Arc<Deps>,
    transport: TaskTransport,
    mut deliveries: mpsc::Receiver<TaskDelivery>,
) {
    let mut up = transport.watch();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                delivery = deliveries.recv() => match delivery {
                    Some(delivery) => {
                        tokio::spawn(act_on(deps.clone(), delivery));
                    }
                    None => return,
                },
                changed = up.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // Down: poll from now on. Up: the relay publishes what waited.
                    if !*up.borrow_and_update() {
                        deps.dispatch.wake.notify_one();
                    }
                }
            }
        }
    });
}

async fn act_on(deps: Arc<Deps>, delivery: TaskDelivery) {
    let org = delivery.message.organization_id;
    if deps.dispatch.draining.load(Ordering::Acquire) {
        ::metrics::counter!(metrics::TASK_MESSAGES_TOTAL, "action" => "requeue").increment(1);
        delivery.requeue().await;
        return;
    }
    if deps.node.hosts(org) {
        let mut rounds = deps.dispatch.rounds.subscribe();
        let seen = *rounds.borrow_and_update();
        deps.dispatch.wake.notify_one();
        if tokio::time::timeout(ROUND_WAIT, rounds.wait_for(|round| *round > seen))
            .await
            .is_err()
        {
            tracing::debug!(task = %delivery.message.task_id, "no claim round finished in time; acknowledged anyway");
        }
        ::metrics::counter!(metrics::TASK_MESSAGES_TOTAL, "action" => "claim").increment(1);
    } else {
        // Its owner claims it; an organization nobody runs now has its tasks claimed
        // when a node starts it.
        if let Some(cluster) = deps.cluster.get() {
            cluster.nudge(Nudge::Tasks {
                organization_id: org,
            });
        }
        ::metrics::counter!(metrics::TASK_MESSAGES_TOTAL, "action" => "forward").increment(1);
    }
    delivery.ack().await;
}
