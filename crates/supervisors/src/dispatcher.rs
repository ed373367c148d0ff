//! The dispatcher (`root/system/dispatcher`): claims tasks from the [`TaskQueue`] — it never knows which backend —
//! and delivers each to its agent through the directory, at most `max_in_flight` at a
//! time, `per_agent_limit` per agent and `per_organization_limit` per organization.
//! While an agent works, the dispatcher renews the task's lease; when it answers, the
//! dispatcher completes or fails the task. A task whose agent crashed mid-way is failed
//! as retryable, so its retry policy applies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use companyos_actors::{AgentMessage, RuntimeEvent, TaskFailure, TaskOutcome};
use companyos_store::{
    ClaimRequest, ClaimedTask, FailOutcome, Lease, StoreError, TaskId, TaskStatus,
};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::metrics;
use crate::tree::Deps;

/// How the dispatcher claims and delivers.
#[derive(Clone, Debug)]
pub struct DispatcherConfig {
    /// The lease holder's name in `agent_tasks.lease_owner`.
    pub worker: String,
    pub lease: Duration,
    pub max_in_flight: usize,
    pub per_agent_limit: u32,
    /// Tasks of one organization running at once on this node's dispatcher, so one busy
    /// organization cannot take every slot.
    pub per_organization_limit: u32,
    /// How long to wait before claiming again when the queue was empty.
    pub poll_interval: Duration,
    /// The same while the task transport (RabbitMQ) is up: its messages wake the
    /// dispatcher, and this slower sweep finds what has no message (a task released
    /// for later, or one whose message was lost with a node).
    pub transport_poll_interval: Duration,
    /// How often expired leases are handed out again.
    pub reclaim_interval: Duration,
    /// How long a task whose agent is not on this node waits before it is claimable again.
    pub release_delay: Duration,
}

impl DispatcherConfig {
    /// A claim of up to `limit` tasks under this dispatcher's lease and limits.
    fn claim(&self, limit: u32) -> ClaimRequest {
        let mut request = ClaimRequest::new(self.worker.clone(), self.lease, limit);
        request.per_agent_limit = Some(self.per_agent_limit);
        request.per_organization_limit = Some(self.per_organization_limit);
        request
    }
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            worker: "node".into(),
            lease: Duration::from_secs(30),
            max_in_flight: 64,
            per_agent_limit: 1,
            per_organization_limit: 16,
            poll_interval: Duration::from_millis(200),
            transport_poll_interval: Duration::from_secs(2),
            reclaim_interval: Duration::from_secs(5),
            release_delay: Duration::from_millis(500),
        }
    }
}

/// Shared between the dispatch loop, its task runners and the runtime handle.
#[derive(Default)]
pub(crate) struct DispatchState {
    pub wake: Notify,
    /// Claim rounds finished: a task message is acknowledged once a round has
    /// finished since it arrived.
    pub rounds: Rounds,
    pub in_flight: AtomicUsize,
    /// Set when the node drains before leaving the cluster: nothing more is claimed.
    pub draining: std::sync::atomic::AtomicBool,
    /// Running tasks, their organization, and how to cancel them: a task stays here
    /// until its outcome is recorded.
    running: Mutex<HashMap<TaskId, (companyos_store::OrgId, CancellationToken)>>,
}

/// A count of finished claim rounds that can be waited on.
pub(crate) struct Rounds(tokio::sync::watch::Sender<u64>);

impl Default for Rounds {
    fn default() -> Self {
        Rounds(tokio::sync::watch::Sender::new(0))
    }
}

impl Rounds {
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }

    fn finished(&self) {
        self.0
            .send_modify(|rounds| *rounds = rounds.wrapping_add(1));
    }
}

/// Counts the round as finished however `handle` returns.
struct RoundGuard(Arc<DispatchState>);

impl Drop for RoundGuard {
    fn drop(&mut self) {
        self.0.rounds.finished();
    }
}

impl DispatchState {
    /// Cancels a running task's work, if it runs here.
    pub fn cancel(&self, task: TaskId) -> bool {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        running
            .get(&task)
            .map(|(_, token)| token.cancel())
            .is_some()
    }

    /// How many of the organization's tasks are running here, outcome not yet recorded.
    pub fn running_in(&self, org: companyos_store::OrgId) -> usize {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .filter(|(of, _)| *of == org)
            .count()
    }
}

/// The dispatcher actor (`root/system/dispatcher`). Each `Tick` is one round: hand
/// out expired leases when due, claim as many tasks as there are free slots, start a
/// delivery for each. The next round comes at once when the claim filled every slot,
/// otherwise when a delivery finishes, work is submitted, or the poll interval passes.
pub(crate) struct Dispatcher;

pub(crate) enum DispatcherMessage {
    Tick,
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for DispatcherMessage {}

pub(crate) struct DispatcherActorState {
    deps: Arc<Deps>,
    last_reclaim: Option<Instant>,
}

impl Actor for Dispatcher {
    type Msg = DispatcherMessage;
    type State = DispatcherActorState;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        myself: ActorRef<DispatcherMessage>,
        deps: Arc<Deps>,
    ) -> Result<DispatcherActorState, ActorProcessingErr> {
        myself.send_message(DispatcherMessage::Tick)?;
        Ok(DispatcherActorState {
            deps,
            last_reclaim: None,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<DispatcherMessage>,
        DispatcherMessage::Tick: DispatcherMessage,
        state: &mut DispatcherActorState,
    ) -> Result<(), ActorProcessingErr> {
        let deps = &state.deps;
        let _round = RoundGuard(deps.dispatch.clone());
        let config = &deps.config.dispatcher;
        if deps.dispatch.draining.load(Ordering::Acquire) {
            return Ok(());
        }
        if state
            .last_reclaim
            .is_none_or(|at| at.elapsed() >= config.reclaim_interval)
        {
            state.last_reclaim = Some(Instant::now());
            match deps.queue.reclaim_expired().await {
                Ok(reclaimed) if !reclaimed.is_empty() => {
                    tracing::warn!(
                        count = reclaimed.len(),
                        "handed out tasks whose lease expired"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "cannot reclaim expired leases"),
            }
        }
        let free = config
            .max_in_flight
            .saturating_sub(deps.dispatch.in_flight.load(Ordering::Acquire));
        if free == 0 {
            tick_later(&myself, deps);
            return Ok(());
        }
        let mut request = config.claim(free as u32);
        if let Some(cluster) = deps.cluster.get() {
            // Only the organizations this run holds; none while it rejoins.
            match cluster.lease() {
                Some(lease) => request.holder = Some(lease),
                None => {
                    tick_later(&myself, deps);
                    return Ok(());
                }
            }
        }
        let claimed = match deps.queue.claim(&request).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(%error, "cannot claim tasks");
                tick_later(&myself, deps);
                return Ok(());
            }
        };
        let filled = claimed.len() == free;
        for task in claimed {
            deps.dispatch.in_flight.fetch_add(1, Ordering::AcqRel);
            tokio::spawn(deliver(deps.clone(), task));
        }
        if filled {
            myself.send_message(DispatcherMessage::Tick)?;
        } else {
            tick_later(&myself, deps);
        }
        Ok(())
    }
}

/// The next round: when woken (work submitted, a delivery finished, a task message
/// arrived) or after the poll interval (longer while the task transport is up). A wake-up that came during this round is not lost: `Notify` keeps it.
fn tick_later(myself: &ActorRef<DispatcherMessage>, deps: &Deps) {
    let myself = myself.clone();
    let dispatch = deps.dispatch.clone();
    let interval = if deps.transport_up() {
        deps.config.dispatcher.transport_poll_interval
    } else {
        deps.config.dispatcher.poll_interval
    };
    tokio::spawn(async move {
        tokio::select! {
            () = dispatch.wake.notified() => {},
            () = tokio::time::sleep(interval) => {},
        }
        // A dispatcher that stopped in the meantime is not an error.
        if myself.send_message(DispatcherMessage::Tick).is_err() {
            tracing::trace!("dispatcher stopped before its tick");
        }
    });
}

/// Delivers a claimed task to its agent and records the outcome; then, while the
/// agent's completions claim its next task with them, that one in the same slot.
async fn deliver(deps: Arc<Deps>, claimed: ClaimedTask) {
    let mut next = Some(claimed);
    while let Some(claimed) = next.take() {
        let span = tracing::info_span!(
            "task",
            task = %claimed.task.id,
            organization = %claimed.task.organization_id,
            agent = ?claimed.task.agent_id,
            task_type = %claimed.task.task_type,
            attempt = claimed.task.attempt,
        );
        // The task continues the trace of what made it, on whichever node made it.
        companyos_actors::trace::continue_trace(&span, claimed.task.traceparent.as_deref());
        next = deliver_one(&deps, claimed).instrument(span).await;
    }
    deps.dispatch.in_flight.fetch_sub(1, Ordering::AcqRel);
    deps.dispatch.wake.notify_one();
}

/// Delivers one claimed task and records its outcome: the agent's next task when the
/// completion claimed one (see [`TaskQueue::complete_and_claim_next`]).
///
/// [`TaskQueue::complete_and_claim_next`]: companyos_store::TaskQueue::complete_and_claim_next
async fn deliver_one(deps: &Arc<Deps>, claimed: ClaimedTask) -> Option<ClaimedTask> {
    let state = deps.dispatch.clone();
    let config = &deps.config.dispatcher;
    let ClaimedTask { task, mut lease } = claimed;
    let (org, task_id) = (task.organization_id, task.id);
    // A claim takes only tasks assigned to an agent (waiting ones are skipped).
    let Some(agent_id) = task.agent_id else {
        tracing::error!(%task_id, "a claimed task has no agent; released");
        if let Err(error) = deps.queue.release(&lease, config.release_delay).await {
            tracing::warn!(%task_id, %error, "cannot release the task; its lease will expire");
        }
        return None;
    };
    if let Ok(wait) = (lease.claimed_at - task.run_after.max(task.created_at)).to_std() {
        metrics::task_waited(wait);
    }
    deps.bus.publish(RuntimeEvent::TaskChanged {
        organization_id: org,
        task_id,
        agent_id: Some(agent_id),
        status: TaskStatus::InProgress,
    });
    let started = Instant::now();
    let cancel = CancellationToken::new();
    state
        .running
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(task_id, (org, cancel.clone()));

    // A passive agent is activated first.
    let location = crate::directory::locate(&deps.directory, agent_id).await;
    let Some(admitted) = location
        .as_ref()
        .and_then(|location| location.handle.admit())
    else {
        // Restarting, or its organization runs on another node (or passivated in the
        // instant since it was located): give the task back without spending an
        // attempt.
        state
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&task_id);
        match deps.queue.release(&lease, config.release_delay).await {
            Ok(()) => tracing::debug!(%task_id, %agent_id, "agent not here; task released"),
            Err(error) => {
                tracing::warn!(%task_id, %error, "cannot release the task; its lease will expire")
            }
        }
        return None;
    };
    let call = admitted.call(
        |reply| AgentMessage::Perform {
            task: Box::new(task),
            cancel: cancel.clone(),
            reply,
            span: tracing::Span::current(),
        },
        None,
    );
    tokio::pin!(call);
    let renew_every = (config.lease / 3).max(Duration::from_millis(10));
    let outcome = loop {
        tokio::select! {
            result = &mut call => break match result {
                Ok(CallResult::Success(outcome)) => Ok(outcome),
                Ok(CallResult::Timeout) => Err("the agent did not answer".to_owned()),
                Ok(CallResult::SenderError) | Err(_) => Err("the agent crashed while performing the task".to_owned()),
            },
            () = tokio::time::sleep(renew_every) => {
                match deps.queue.extend_lease(&lease, config.lease).await {
                    Ok(renewed) => lease = renewed,
                    Err(StoreError::LeaseLost(_)) => {
                        // Cancelled, or reclaimed after a stall: stop the work.
                        cancel.cancel();
                    }
                    Err(error) => tracing::warn!(%task_id, %error, "cannot renew the lease"),
                }
            }
        }
    };

    let mut next = None;
    let (result, label) = match outcome {
        Ok(TaskOutcome::Completed(output)) => (
            complete(deps, &lease, output, agent_id)
                .await
                .map(|claimed| {
                    next = claimed;
                    TaskStatus::Completed
                }),
            "completed",
        ),
        Ok(TaskOutcome::Failed(TaskFailure::Retryable(error))) => {
            (record_failure(deps, &lease, &error, true).await, "failed")
        }
        Ok(TaskOutcome::Failed(TaskFailure::Permanent(error))) => {
            (record_failure(deps, &lease, &error, false).await, "failed")
        }
        Ok(TaskOutcome::Failed(TaskFailure::Later { reason, after })) => (
            defer(deps, &lease, org, task_id, &reason, after).await,
            "deferred",
        ),
        Ok(TaskOutcome::Cancelled) => (Ok(TaskStatus::Cancelled), "cancelled"),
        // Its organization moved to another node mid-task (cluster mode): the agent was
        // stopped for the move, not by the task. Handed back without spending an
        // attempt; the new owner runs it.
        Err(_)
            if deps
                .cluster
                .get()
                .is_some_and(|cluster| cluster.fence(org).is_none()) =>
        {
            (
                deps.queue
                    .release(&lease, Duration::ZERO)
                    .await
                    .map(|()| TaskStatus::Pending),
                "moved",
            )
        }
        Err(error) => (record_failure(deps, &lease, &error, true).await, "crashed"),
    };
    metrics::task_finished(label, started.elapsed());
    tracing::info!(
        outcome = label,
        seconds = started.elapsed().as_secs_f64(),
        "task finished"
    );
    match result {
        Ok(status) => {
            deps.bus.publish(RuntimeEvent::TaskChanged {
                organization_id: org,
                task_id,
                agent_id: Some(agent_id),
                status,
            });
            if matches!(status, TaskStatus::Completed | TaskStatus::Failed) {
                let succeeded = status == TaskStatus::Completed;
                let seconds = i32::try_from(started.elapsed().as_secs()).unwrap_or(i32::MAX);
                deps.lifecycle.outcome(org, agent_id, succeeded, seconds);
            }
        }
        Err(StoreError::LeaseLost(_)) => {
            tracing::info!(%task_id, "result dropped: the task was cancelled or handed to another worker");
        }
        Err(error) => {
            tracing::error!(%task_id, %error, "cannot record the task's outcome; its lease will expire")
        }
    }
    state
        .running
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(&task_id);
    next
}

/// Completes the task; with the agent's next task claimed in the same commit unless the
/// node is draining or has no slot to spare (then the slot goes back to the round).
async fn complete(
    deps: &Deps,
    lease: &Lease,
    output: Option<serde_json::Value>,
    agent: companyos_store::AgentId,
) -> Result<Option<ClaimedTask>, StoreError> {
    let config = &deps.config.dispatcher;
    let in_flight = deps.dispatch.in_flight.load(Ordering::Acquire);
    if deps.dispatch.draining.load(Ordering::Acquire) || in_flight >= config.max_in_flight {
        return deps.queue.complete(lease, output).await.map(|_| None);
    }
    let mut request = config.claim(1);
    request.holder = lease.holder.clone();
    let (_, next) = deps
        .queue
        .complete_and_claim_next(lease, output, &request, agent)
        .await?;
    Ok(next)
}

/// Puts a task that cannot run yet back, claimable after `after`, with the reason shown
/// on it; the wait is not an attempt.
async fn defer(
    deps: &Deps,
    lease: &Lease,
    org: companyos_store::OrgId,
    task_id: companyos_store::TaskId,
    reason: &str,
    after: Duration,
) -> Result<TaskStatus, StoreError> {
    deps.queue.release(lease, after).await?;
    let at =
        deps.store.now() + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::days(365));
    deps.store
        .tasks()
        .set_waiting_reason(
            org,
            task_id,
            Some(&format!(
                "waiting: {reason}; it runs again at {}",
                at.format("%Y-%m-%d %H:%M:%S UTC")
            )),
        )
        .await?;
    Ok(TaskStatus::Pending)
}

async fn record_failure(
    deps: &Deps,
    lease: &Lease,
    error: &str,
    retryable: bool,
) -> Result<TaskStatus, StoreError> {
    match deps.queue.fail(lease, error, retryable).await? {
        FailOutcome::Retrying { .. } => Ok(TaskStatus::Pending),
        FailOutcome::Failed => Ok(TaskStatus::Failed),
    }
}
