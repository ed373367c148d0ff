//! [`LifecycleWriter`]: every lifecycle transition and statistics update of the node's
//! agents goes to the `agents` table through one ordered queue, applied in batches —
//! each write its own row update, a batch one transaction.
//!
//! Why not write inline: an agent that waited for its `working` row before starting a
//! task, and a supervisor that waited for the `error` row before restarting a crashed
//! agent, put a database round trip (and on PostgreSQL a commit's fsync) on every task
//! and every restart. Why one queue: order. A supervisor's `error` must land before the
//! restarted agent's `idle`, and a `disabled` after whatever the agent wrote before it
//! was stopped; one queue applied in order guarantees both.
//!
//! What is given up: the last few milliseconds of transitions of a node that dies
//! outright. They are restated when the tree is rebuilt (every agent writes `idle` when it
//! starts); a lost statistics update can be repaired with `recompute_statistics`. Tasks
//! themselves never go through here — their rows are written by the queue, durably.

use std::time::Duration;

use companyos_store::{AgentId, AgentStatus, LifecycleWrite, OrgId, Store, TaskId, now};
use tokio::sync::{mpsc, oneshot};

/// Writes applied in one transaction at most.
const BATCH: usize = 512;
/// Attempts for a batch the database refuses (it may be restarting) before it is dropped.
const ATTEMPTS: u32 = 5;

enum Request {
    Write(LifecycleWrite),
    /// Answered once everything queued before it is applied (or dropped).
    Flush(oneshot::Sender<()>),
}

/// The sending side; cheap to clone (one per agent).
#[derive(Clone, Debug)]
pub struct LifecycleWriter {
    requests: mpsc::UnboundedSender<Request>,
}

impl LifecycleWriter {
    /// Starts the writer's task; it ends when the last clone is dropped, after applying
    /// what is queued.
    pub fn start(store: Store) -> LifecycleWriter {
        let (requests, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(store, receiver));
        LifecycleWriter { requests }
    }

    /// Queues a lifecycle transition, stamped now.
    pub fn status(&self, org: OrgId, agent: AgentId, status: AgentStatus, task: Option<TaskId>) {
        self.send(LifecycleWrite::Status {
            organization_id: org,
            agent_id: agent,
            status,
            task_id: task,
            at: now(),
        });
    }

    /// Queues a finished task for the agent's statistics.
    pub fn outcome(&self, org: OrgId, agent: AgentId, succeeded: bool, duration_seconds: i32) {
        self.send(LifecycleWrite::Outcome {
            organization_id: org,
            agent_id: agent,
            succeeded,
            duration_seconds,
            at: now(),
        });
    }

    /// Waits until every write queued before this call is applied.
    pub async fn flush(&self) {
        let (done, applied) = oneshot::channel();
        if self.requests.send(Request::Flush(done)).is_err() || applied.await.is_err() {
            tracing::error!("lifecycle writer stopped; nothing left to wait for");
        }
    }

    fn send(&self, write: LifecycleWrite) {
        if self.requests.send(Request::Write(write)).is_err() {
            tracing::error!(?write, "lifecycle writer stopped; transition not recorded");
        }
    }
}

async fn run(store: Store, mut requests: mpsc::UnboundedReceiver<Request>) {
    let mut writes = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = requests.recv().await {
        let mut next = Some(first);
        while let Some(request) = next {
            match request {
                Request::Write(write) => writes.push(write),
                Request::Flush(done) => flushes.push(done),
            }
            next = if writes.len() < BATCH {
                requests.try_recv().ok()
            } else {
                None
            };
        }
        apply(&store, &writes).await;
        writes.clear();
        for done in flushes.drain(..) {
            // A flusher that stopped waiting needs no answer.
            done.send(()).ok();
        }
    }
}

async fn apply(store: &Store, writes: &[LifecycleWrite]) {
    for attempt in 1..=ATTEMPTS {
        match store.agents().apply_lifecycle(writes).await {
            Ok(()) => return,
            Err(error) if attempt < ATTEMPTS => {
                tracing::warn!(%error, attempt, "lifecycle writes not applied; retrying");
                tokio::time::sleep(Duration::from_millis(50) * attempt).await;
            }
            Err(error) => {
                tracing::error!(%error, count = writes.len(), "lifecycle writes dropped");
            }
        }
    }
}
