//! The durable task queue: the [`TaskQueue`] trait and its database backend.
//!
//! The `agent_tasks` row is the truth. A claim takes a **lease**: a fresh token and an
//! expiry. Only the holder of the current token may extend, complete or fail the task;
//! once a lease expires, [`TaskQueue::reclaim_expired`] puts the task back (or fails it
//! when its attempts are spent) and the old holder's result is refused with
//! [`StoreError::LeaseLost`]. Delivery is at least once; handlers are idempotent by
//! task id.
//!
//! Claim order is priority (10 first), then age. On PostgreSQL concurrent claimers
//! skip each other's rows (`FOR UPDATE SKIP LOCKED`); on SQLite the claim is one
//! `UPDATE … RETURNING` statement on the store's single writer connection.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::cluster::NodeLease;
use crate::db::{Backend, Store};
use crate::enums::TaskStatus;
use crate::error::StoreError;
use crate::ids::{AgentId, OrgId, TaskId, UserId};
use crate::tasks::{AgentTask, DecidedBy};
use crate::validate::non_empty;

/// One task write (`$query`, yielding `Result<Option<AgentTask>, sqlx::Error>` with
/// `$exec` as its executor) and, when the store keeps the task outbox and the task it
/// returns is runnable (`pending`), the task's outbox entry in the same transaction; the
/// relay is woken once it committed. Without the outbox the write runs alone, as before.
macro_rules! outboxed {
    ($queue:expr, $at:expr, |$exec:ident| $query:expr) => {{
        let written: Result<Option<AgentTask>, StoreError> = writer!($queue.store, |pool| {
            async {
                if $queue.store.task_outbox().is_none() {
                    let $exec = pool;
                    return $query.await;
                }
                let mut tx = pool.begin().await?;
                let task: Option<AgentTask> = {
                    let $exec = &mut *tx;
                    $query.await?
                };
                if let Some(task) = &task
                    && task.status == TaskStatus::Pending
                {
                    sqlx::query(
                        "INSERT INTO task_outbox (id, task_id, organization_id, priority, created_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(crate::ids::OutboxId::new())
                    .bind(task.id)
                    .bind(task.organization_id)
                    .bind(task.priority)
                    .bind($at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(task)
            }
            .await
        });
        if let (Ok(Some(task)), Some(relay)) = (&written, $queue.store.task_outbox())
            && task.status == TaskStatus::Pending
        {
            relay.notify_one();
        }
        written
    }};
}

/// A task to enqueue.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub organization_id: OrgId,
    /// Who performs the task: one agent, or any agent of a type (the task waits, with
    /// its reason, until the organization has one).
    pub assignee: Assignee,
    pub task_type: String,
    pub description: Option<String>,
    /// 1–10; higher runs first.
    pub priority: i32,
    pub input: Option<Value>,
    /// Parks the task in `needs_approval` until a person approves or rejects it.
    pub requires_human_approval: bool,
    /// When set, enqueueing the same key in the organization again returns the existing
    /// task instead of creating a second one (whichever agent holds it).
    pub idempotency_key: Option<String>,
    /// Claims allowed before the task is failed for good (at least 1).
    pub max_attempts: i32,
    /// Not claimable before this time; `None` means now.
    pub run_after: Option<DateTime<Utc>>,
    /// The member who asked for the task by hand (`None`: an agent or an event did).
    pub requested_by: Option<UserId>,
    /// The W3C `traceparent` of the work that asks for the task (`None`: not traced).
    pub traceparent: Option<String>,
}

/// Who a new task is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assignee {
    /// This agent (of the organization).
    Agent(AgentId),
    /// No agent of this type exists: the task waits, saying why, until one starts.
    Waiting { agent_type: String, reason: String },
}

/// Where a new task finds the trace it continues (see [`set_trace_source`]).
static TRACE_SOURCE: std::sync::OnceLock<fn() -> Option<String>> = std::sync::OnceLock::new();

/// Sets, once per process, where [`NewTask`] finds the W3C `traceparent` it records:
/// the runtime gives the current span's, so that a task made inside a traced request,
/// event or task continues that trace wherever it runs. Unset, tasks record none.
pub fn set_trace_source(source: fn() -> Option<String>) {
    // Set once; every runtime of the process gives the same function.
    let _ = TRACE_SOURCE.set(source);
}

impl NewTask {
    /// A task with the defaults: priority 5, 3 attempts, runnable now, no approval.
    pub fn new(organization_id: OrgId, agent_id: AgentId, task_type: impl Into<String>) -> Self {
        NewTask::for_assignee(organization_id, Assignee::Agent(agent_id), task_type)
    }

    /// A task for whoever `assignee` says, with the defaults.
    pub fn for_assignee(
        organization_id: OrgId,
        assignee: Assignee,
        task_type: impl Into<String>,
    ) -> Self {
        NewTask {
            organization_id,
            assignee,
            task_type: task_type.into(),
            description: None,
            priority: 5,
            input: None,
            requires_human_approval: false,
            idempotency_key: None,
            max_attempts: 3,
            run_after: None,
            requested_by: None,
            traceparent: TRACE_SOURCE.get().and_then(|source| source()),
        }
    }

    fn validate(&self) -> Result<(), StoreError> {
        non_empty("task_type", &self.task_type, 100)?;
        if !(1..=10).contains(&self.priority) {
            return Err(StoreError::Invalid {
                field: "priority",
                reason: format!("{} is not in 1–10", self.priority),
            });
        }
        if self.max_attempts < 1 {
            return Err(StoreError::Invalid {
                field: "max_attempts",
                reason: "must be at least 1".into(),
            });
        }
        if let Some(key) = &self.idempotency_key {
            non_empty("idempotency_key", key, 255)?;
        }
        Ok(())
    }
}

/// The result of an enqueue.
#[derive(Clone, Debug)]
pub struct Enqueued {
    pub task: AgentTask,
    /// False when the idempotency key matched an existing task, which is returned.
    pub created: bool,
}

/// What a claimer asks for.
#[derive(Clone, Debug)]
pub struct ClaimRequest {
    /// Who holds the lease (a node and worker name), recorded for operators.
    pub worker: String,
    /// How long the lease lasts unless extended.
    pub lease: Duration,
    /// At most this many tasks.
    pub limit: u32,
    /// At most this many tasks of one agent in progress at once (counting those already
    /// running), and fair ordering between agents within a priority; `None` for the
    /// plain priority-then-age order, which is cheaper (see BENCHMARKS.md).
    pub per_agent_limit: Option<u32>,
    /// At most this many tasks of one organization in progress at once; `None` for no
    /// limit. Either limit selects the ranked claim.
    pub per_organization_limit: Option<u32>,
    /// In cluster mode, the node run whose organizations the claim may take: only
    /// tasks of organizations it holds now (see [`crate::Cluster`]). The leases it
    /// hands out carry it, so their extension, completion and failure are refused
    /// once the node no longer holds the organization. `None` on a single node.
    pub holder: Option<NodeLease>,
}

impl ClaimRequest {
    /// A claim of up to `limit` tasks with no per-agent or per-organization limit.
    pub fn new(worker: impl Into<String>, lease: Duration, limit: u32) -> Self {
        ClaimRequest {
            worker: worker.into(),
            lease,
            limit,
            per_agent_limit: None,
            per_organization_limit: None,
            holder: None,
        }
    }
}

/// Proof of holding a task. Only the current lease may extend, complete or fail it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub task_id: TaskId,
    pub token: Uuid,
    /// Which claim of the task this is (1 for the first).
    pub attempt: i32,
    pub claimed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The node run that claimed it in cluster mode: writes with this lease also need
    /// that run to hold the task's organization still.
    pub holder: Option<NodeLease>,
}

/// A claimed task and its lease.
#[derive(Clone, Debug)]
pub struct ClaimedTask {
    pub task: AgentTask,
    pub lease: Lease,
}

impl ClaimedTask {
    /// A task a claim under `request` took with `token` at `claimed_at`.
    fn taken(
        task: AgentTask,
        token: Uuid,
        claimed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        request: &ClaimRequest,
    ) -> ClaimedTask {
        let lease = Lease {
            task_id: task.id,
            token,
            attempt: task.attempt,
            claimed_at,
            expires_at,
            holder: request.holder.clone(),
        };
        ClaimedTask { task, lease }
    }
}

/// What became of a failed task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// Back to `pending`, claimable again from `run_after`.
    Retrying { run_after: DateTime<Utc> },
    /// Attempts spent (or the error was not retryable): `failed` for good.
    Failed,
}

/// Backoff between attempts: `base × 2^(attempt−1)`, capped at `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt after attempt number `attempt` failed.
    pub fn delay_after(&self, attempt: i32) -> Duration {
        let exponent = attempt.saturating_sub(1).clamp(0, 30) as u32;
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }
}

/// The task queue every part of CompanyOS uses; the runtime never knows which backend
/// it has. Implementations must pass the contract suite in `crates/store/tests`.
#[async_trait]
pub trait TaskQueue: Send + Sync + 'static {
    /// Writes the task durably before anything runs it.
    async fn enqueue(&self, task: NewTask) -> Result<Enqueued, StoreError>;

    /// The same queue for tasks derived from rows already durable and written again
    /// when lost (the router's, from an event: see `Store::relaxed`): their enqueue need
    /// not wait for the disk, since the claim that runs one waits for everything
    /// written before it. `None` when the queue has no such mode.
    fn relaxed(&self) -> Option<Arc<dyn TaskQueue>> {
        None
    }

    /// Claims up to `request.limit` runnable tasks, highest priority then oldest first.
    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedTask>, StoreError>;

    /// Pushes the lease's expiry to `now + duration`.
    async fn extend_lease(&self, lease: &Lease, duration: Duration) -> Result<Lease, StoreError>;

    /// Records success and the task's output.
    async fn complete(&self, lease: &Lease, output: Option<Value>)
    -> Result<AgentTask, StoreError>;

    /// Records success like [`complete`](Self::complete) and, in the same commit, claims
    /// the same agent's next runnable task under `request`'s lease and limits — the
    /// agent keeps its slot and the next task costs no claim round and no commit of its
    /// own. Only when the organization has a slot to spare beyond this one: a full
    /// organization's slot goes back to the claim round, which is fair between its
    /// agents. The next task is `None` when the agent has none runnable (or the backend
    /// claims only in rounds, as this default does).
    async fn complete_and_claim_next(
        &self,
        lease: &Lease,
        output: Option<Value>,
        _request: &ClaimRequest,
        _agent: AgentId,
    ) -> Result<(AgentTask, Option<ClaimedTask>), StoreError> {
        Ok((self.complete(lease, output).await?, None))
    }

    /// Records a failure: retried with backoff while attempts remain and `retryable`
    /// holds, failed for good otherwise.
    async fn fail(
        &self,
        lease: &Lease,
        error: &str,
        retryable: bool,
    ) -> Result<FailOutcome, StoreError>;

    /// Gives a claimed task back without running it — its agent is not here (restarting,
    /// or its organization is hosted elsewhere) — claimable again after `delay`. The
    /// claim does not count as an attempt.
    async fn release(&self, lease: &Lease, delay: Duration) -> Result<(), StoreError>;

    /// Hands out again every task whose lease has expired (its worker died or hung),
    /// or fails it when its attempts are spent. Returns the tasks touched.
    async fn reclaim_expired(&self) -> Result<Vec<TaskId>, StoreError>;

    /// Releases a task parked in `needs_approval` to run.
    async fn approve(
        &self,
        org: OrgId,
        task: TaskId,
        by: DecidedBy,
    ) -> Result<AgentTask, StoreError>;

    /// Ends a task parked in `needs_approval` without running it.
    async fn reject(
        &self,
        org: OrgId,
        task: TaskId,
        by: DecidedBy,
        reason: Option<&str>,
    ) -> Result<AgentTask, StoreError>;

    /// Cancels a task that has not finished. Returns the task and whether it was running
    /// (the runtime then tells the agent to stop).
    async fn cancel(&self, org: OrgId, task: TaskId) -> Result<(AgentTask, bool), StoreError>;

    /// Cancels, with `reason`, the tasks not yet started (pending, or waiting for
    /// approval) whose idempotency key starts with `key_prefix`, except the one keyed
    /// `keep`: the older versions of a piece of work a newer one replaces (the review of
    /// an older commit of a pull request, say). Returns the tasks cancelled.
    async fn supersede(
        &self,
        org: OrgId,
        key_prefix: &str,
        keep: &str,
        reason: &str,
    ) -> Result<Vec<AgentTask>, StoreError>;

    /// Puts a failed or cancelled task back to run, as new: pending now, its attempts,
    /// error and output cleared. Any other state is [`StoreError::InvalidTaskState`].
    async fn retry(&self, org: OrgId, task: TaskId) -> Result<AgentTask, StoreError>;
}

/// The queue on the store's own database: the embedded default and the single-node
/// choice on PostgreSQL.
#[derive(Clone, Debug)]
pub struct DbTaskQueue {
    store: Store,
    retry: RetryPolicy,
}

impl DbTaskQueue {
    pub fn new(store: Store) -> Self {
        DbTaskQueue {
            store,
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Tells "no such task here" from "task in the wrong state" after a guarded update
    /// matched nothing.
    async fn state_error(&self, org: OrgId, task: TaskId, operation: &'static str) -> StoreError {
        match self.store.tasks().get(org, task).await {
            Ok(current) => StoreError::InvalidTaskState {
                task_id: task.0,
                status: current.status.as_str().to_owned(),
                operation,
            },
            Err(error) => error,
        }
    }
}

const IN_PROGRESS: &str = "AND status = 'in_progress'";

/// `sql` with, after `anchor`, the condition that the task's organization is held by
/// the node run bound at `$first` (name) and `$first + 1` (epoch): its claim not
/// released and its membership live by the database's clock. With `lock`, the claim
/// row is share-locked until the write commits, so a node taking the organization
/// over waits for it (Temporal's range-id check). Unchanged without a holder — a single
/// node, or SQLite, which never has one.
fn fenced(
    sql: &'static str,
    anchor: &str,
    holder: Option<&NodeLease>,
    first: usize,
    lock: bool,
) -> std::borrow::Cow<'static, str> {
    if holder.is_none() {
        return std::borrow::Cow::Borrowed(sql);
    }
    debug_assert_eq!(sql.matches(anchor).count(), 1, "{sql}");
    let condition = format!(
        "{anchor} AND organization_id IN ({claims}{locking})",
        claims = crate::cluster::held_claims(first),
        locking = if lock { " FOR SHARE OF l" } else { "" },
    );
    std::borrow::Cow::Owned(sql.replacen(anchor, &condition, 1))
}

/// Binds the holder's name and epoch after a query's own parameters, for the
/// condition [`fenced`] added (nothing without a holder).
fn bind_holder<'q, DB, O>(
    query: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>,
    holder: Option<&NodeLease>,
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match holder {
        Some(holder) => query.bind(holder.node.clone()).bind(holder.epoch),
        None => query,
    }
}

fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i32 {
    i32::try_from((to - from).num_seconds().max(0)).unwrap_or(i32::MAX)
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

// Which pending tasks a claim may take: each agent's pending tasks ranked (priority,
// then age), an agent already running `$6` tasks gets no more, an organization already
// running `$7` gets no more, and a disabled agent's tasks wait until it is enabled again.
// Claims then take them highest priority first and, within one priority, each agent's
// first task before any agent's second — fair between agents, so a flood for one agent
// cannot starve the others.
//
// Only the heads of the agents' queues are ranked, never the whole backlog: the agents
// with pending tasks are found by a skip scan of `idx_agent_tasks_agent_pending` (one
// index probe per agent, `pending_agents`), and each gives its first `$6` tasks from the
// same index — a task ranked past `$6` could not be claimed anyway. A claim's cost grows
// with the agents that have work, not with the tasks waiting: with 10,000 tasks pending
// for four agents, 0.7 ms instead of 17 ms, and a claim is made for every task that
// finishes. The heads come from a `LATERAL` subquery on PostgreSQL and from a correlated
// `IN` on SQLite, which has no `LATERAL`; both read the same rows.
macro_rules! pending_agents {
    ($pending:literal) => {
        concat!(
            "WITH RECURSIVE pending_agents (agent_id) AS (
            SELECT (SELECT agent_id FROM agent_tasks ",
            $pending,
            "
                    WHERE status = 'pending' AND agent_id IS NOT NULL
                    ORDER BY agent_id LIMIT 1)
            UNION ALL
            SELECT (SELECT n.agent_id FROM agent_tasks n ",
            $pending,
            "
                    WHERE n.status = 'pending' AND n.agent_id > p.agent_id
                    ORDER BY n.agent_id LIMIT 1)
            FROM pending_agents p WHERE p.agent_id IS NOT NULL
        )
        SELECT h.id, h.agent_id, h.organization_id, h.priority, h.created_at,
               ROW_NUMBER() OVER (PARTITION BY h.agent_id ORDER BY h.priority DESC, h.created_at, h.id)
                   AS agent_rank
        FROM pending_agents p "
        )
    };
}

// SQLite is told which index to read (without statistics its planner takes the status
// index and sorts every pending task for each probe).
macro_rules! agent_heads {
    (postgres) => {
        concat!(
            pending_agents!(""),
            "CROSS JOIN LATERAL (
                SELECT id, agent_id, organization_id, priority, created_at FROM agent_tasks
                WHERE agent_id = p.agent_id AND status = 'pending' AND run_after <= $4
                ORDER BY priority DESC, created_at, id LIMIT $6
            ) h"
        )
    };
    (sqlite) => {
        concat!(
            pending_agents!("INDEXED BY idx_agent_tasks_agent_pending"),
            "JOIN agent_tasks h ON h.id IN (
                SELECT id FROM agent_tasks INDEXED BY idx_agent_tasks_agent_pending
                WHERE agent_id = p.agent_id AND status = 'pending' AND run_after <= $4
                ORDER BY priority DESC, created_at, id LIMIT $6
            )"
        )
    };
}

macro_rules! ranked_candidates {
    ($backend:tt) => {
        concat!(
            "FROM (
            SELECT c.*, ROW_NUMBER() OVER (
                PARTITION BY c.organization_id ORDER BY c.priority DESC, c.agent_rank, c.created_at, c.id
            ) AS org_rank
            FROM (
                SELECT r.id, r.organization_id, r.priority, r.created_at, r.agent_rank
                FROM (",
            agent_heads!($backend),
            "
                    WHERE p.agent_id IS NOT NULL
                      AND p.agent_id NOT IN (SELECT id FROM agents WHERE status = 'disabled')
                ) r
                LEFT JOIN (
                    SELECT agent_id, COUNT(*) AS running FROM agent_tasks
                    WHERE status = 'in_progress' GROUP BY agent_id
                ) b ON b.agent_id = r.agent_id
                WHERE r.agent_rank + COALESCE(b.running, 0) <= $6
            ) c
        ) x
        LEFT JOIN (
            SELECT organization_id, COUNT(*) AS running FROM agent_tasks
            WHERE status = 'in_progress' GROUP BY organization_id
        ) o ON o.organization_id = x.organization_id
        WHERE x.org_rank + COALESCE(o.running, 0) <= $7
        ORDER BY x.priority DESC, x.agent_rank, x.created_at, x.id"
        )
    };
}

// What every claim writes on the task it takes: `$1` the lease token, `$2` the worker,
// `$3` the lease's expiry, `$4` now. `take_picked!` applies it, on PostgreSQL, to the
// rows a `picked` CTE locked.
macro_rules! take_lease {
    () => {
        "SET status = 'in_progress', lease_token = $1, lease_owner = $2, lease_expires_at = $3,
        attempt = attempt + 1, started_at = $4, updated_at = $4, waiting_reason = NULL "
    };
}

macro_rules! take_picked {
    () => {
        concat!(
            " UPDATE agent_tasks t ",
            take_lease!(),
            "FROM picked WHERE t.id = picked.id RETURNING t.*"
        )
    };
}

// Without either limit, a claim is the plain queue order — priority, then age — which
// needs no ranking: PostgreSQL locks straight from the claim index, skipping rows other
// claimers hold. Disabled agents' tasks still wait.
const CLAIM_POSTGRES_FAST: &str = concat!(
    "WITH picked AS MATERIALIZED (
        SELECT id FROM agent_tasks
        WHERE status = 'pending' AND run_after <= $4
          AND agent_id IS NOT NULL
          AND agent_id NOT IN (SELECT id FROM agents WHERE status = 'disabled')
        ORDER BY priority DESC, created_at, id
        LIMIT $5
        FOR UPDATE SKIP LOCKED)",
    take_picked!()
);

const CLAIM_SQLITE_FAST: &str = concat!(
    "UPDATE agent_tasks ",
    take_lease!(),
    "WHERE status = 'pending' AND id IN (
        SELECT id FROM agent_tasks
        WHERE status = 'pending' AND run_after <= $4
          AND agent_id IS NOT NULL
          AND agent_id NOT IN (SELECT id FROM agents WHERE status = 'disabled')
        ORDER BY priority DESC, created_at, id
        LIMIT $5)
    RETURNING *"
);

// PostgreSQL: window functions cannot be combined with FOR UPDATE, so the ranked
// candidates are computed first (four times as many as wanted, unlocked), then locked
// with SKIP LOCKED, so concurrent claimers that saw the same candidates take the next
// ones instead of coming back empty. Both steps are materialised CTEs: a bare
// `WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` in the UPDATE may be
// re-evaluated per row by the planner and then claims far more than n rows.
const CLAIM_POSTGRES: &str = concat!(
    "WITH candidates AS MATERIALIZED (SELECT x.id, x.agent_rank ",
    ranked_candidates!(postgres),
    " LIMIT $5 * 4),
    picked AS MATERIALIZED (
        SELECT t.id FROM agent_tasks t JOIN candidates c ON c.id = t.id
        WHERE t.status = 'pending'
        ORDER BY t.priority DESC, c.agent_rank, t.created_at, t.id
        LIMIT $5
        FOR UPDATE OF t SKIP LOCKED)",
    take_picked!()
);

// SQLite runs the claim as one statement on its single writer connection, so no other
// claim interleaves and no row locks are needed.
const CLAIM_SQLITE: &str = concat!(
    "UPDATE agent_tasks ",
    take_lease!(),
    "WHERE status = 'pending' AND id IN (SELECT x.id ",
    ranked_candidates!(sqlite),
    " LIMIT $5)
    RETURNING *"
);

/// The completion of the task `lease` holds: `$1` id, `$2` token, `$3` output, `$4` now,
/// `$5` seconds since the claim, then the holder's fence.
fn complete_sql(lease: &Lease) -> std::borrow::Cow<'static, str> {
    fenced(
        "UPDATE agent_tasks SET status = 'completed', output_data = $3, completed_at = $4,
                duration_seconds = $5, error_message = NULL, lease_token = NULL, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = $4
         WHERE id = $1 AND lease_token = $2 AND status = 'in_progress'
         RETURNING *",
        IN_PROGRESS,
        lease.holder.as_ref(),
        6,
        true,
    )
}

fn bind_complete<'q, DB>(
    sql: &'q str,
    lease: &Lease,
    output: Option<&'q Value>,
    at: DateTime<Utc>,
) -> sqlx::query::QueryAs<'q, DB, AgentTask, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    AgentTask: for<'r> sqlx::FromRow<'r, DB::Row>,
    TaskId: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Uuid: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Json<&'q Value>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i32: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    bind_holder(
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(lease.task_id)
            .bind(lease.token)
            .bind(output.map(Json))
            .bind(at)
            .bind(seconds_between(lease.claimed_at, at)),
        lease.holder.as_ref(),
    )
}

// The claim of one agent's next task, made in its last task's completion
// (`complete_and_claim_next`): `$1` token, `$2` worker, `$3` expiry, `$4` now, `$5` the
// agent, `$6` the per-agent limit, `$7` its organization, `$8` the per-organization
// limit, counted after the completion, so the organization must have a slot beyond the
// one this task held. Read from `idx_agent_tasks_agent_pending` like the round's claim.
const CLAIM_NEXT_POSTGRES: &str = concat!(
    "WITH picked AS MATERIALIZED (
        SELECT id FROM agent_tasks
        WHERE agent_id = $5 AND status = 'pending' AND run_after <= $4
          AND NOT EXISTS (SELECT 1 FROM agents WHERE id = $5 AND status = 'disabled')
          AND (SELECT COUNT(*) FROM agent_tasks WHERE agent_id = $5 AND status = 'in_progress') < $6
          AND (SELECT COUNT(*) FROM agent_tasks
               WHERE organization_id = $7 AND status = 'in_progress') + 1 < $8
        ORDER BY priority DESC, created_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED)",
    take_picked!()
);

const CLAIM_NEXT_SQLITE: &str = concat!(
    "UPDATE agent_tasks ",
    take_lease!(),
    "WHERE id = (
        SELECT id FROM agent_tasks INDEXED BY idx_agent_tasks_agent_pending
        WHERE agent_id = $5 AND status = 'pending' AND run_after <= $4
          AND NOT EXISTS (SELECT 1 FROM agents WHERE id = $5 AND status = 'disabled')
          AND (SELECT COUNT(*) FROM agent_tasks WHERE agent_id = $5 AND status = 'in_progress') < $6
          AND (SELECT COUNT(*) FROM agent_tasks
               WHERE organization_id = $7 AND status = 'in_progress') + 1 < $8
        ORDER BY priority DESC, created_at, id
        LIMIT 1)
    RETURNING *"
);

#[async_trait]
impl TaskQueue for DbTaskQueue {
    fn relaxed(&self) -> Option<Arc<dyn TaskQueue>> {
        Some(Arc::new(DbTaskQueue {
            store: self.store.relaxed(),
            retry: self.retry,
        }))
    }

    async fn enqueue(&self, task: NewTask) -> Result<Enqueued, StoreError> {
        task.validate()?;
        let at = self.store.now();
        let status = if task.requires_human_approval {
            TaskStatus::NeedsApproval
        } else {
            TaskStatus::Pending
        };
        let existing = |key: String| async move {
            writer!(self.store, |pool| {
                sqlx::query_as::<_, AgentTask>(
                    "SELECT * FROM agent_tasks WHERE organization_id = $1 AND idempotency_key = $2",
                )
                .bind(task.organization_id)
                .bind(key)
                .fetch_optional(pool)
                .await
            })
        };
        // The insert comes first: a task written again (an event routed twice) is the
        // exception, so the common case is one statement, and the conflict on the key
        // finds the exception.
        let (agent, waiting_type, reason) = match &task.assignee {
            Assignee::Agent(agent) => (Some(*agent), None, None),
            Assignee::Waiting { agent_type, reason } => {
                non_empty("agent_type", agent_type, 100)?;
                (None, Some(agent_type.as_str()), Some(reason.as_str()))
            }
        };
        // The type comes from the agent when there is one (which must be the
        // organization's), else from the assignee.
        let inserted: Option<AgentTask> = outboxed!(self, at, |pool| {
            sqlx::query_as(
                "INSERT INTO agent_tasks (id, organization_id, agent_id, task_type, description, status, priority,
                        input_data, idempotency_key, max_attempts, run_after, requires_human_approval,
                        created_at, updated_at, agent_type, waiting_reason, requested_by, traceparent)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13,
                        COALESCE((SELECT agent_type FROM agents WHERE id = $3 AND organization_id = $2), $14), $15, $16, $17
                 WHERE ($3 IS NULL AND $14 IS NOT NULL)
                    OR EXISTS (SELECT 1 FROM agents WHERE id = $3 AND organization_id = $2)
                 ON CONFLICT (organization_id, idempotency_key) DO NOTHING
                 RETURNING *",
            )
            .bind(TaskId::new())
            .bind(task.organization_id)
            .bind(agent)
            .bind(&task.task_type)
            .bind(&task.description)
            .bind(status)
            .bind(task.priority)
            .bind(task.input.as_ref().map(Json))
            .bind(&task.idempotency_key)
            .bind(task.max_attempts)
            .bind(task.run_after.unwrap_or(at))
            .bind(task.requires_human_approval)
            .bind(at)
            .bind(waiting_type)
            .bind(reason)
            .bind(task.requested_by)
            .bind(&task.traceparent)
            .fetch_optional(pool)
        })?;
        if let Some(task) = inserted {
            return Ok(Enqueued {
                task,
                created: true,
            });
        }
        // Either the key is taken, or the agent is not this org's.
        let raced = match &task.idempotency_key {
            Some(key) => existing(key.clone()).await?,
            None => None,
        };
        match (raced, agent) {
            (Some(found), _) => Ok(Enqueued {
                task: found,
                created: false,
            }),
            (None, Some(agent)) => Err(StoreError::not_found("agent", agent)),
            (None, None) => Err(StoreError::Invalid {
                field: "agent_type",
                reason: "a task needs an agent or an agent type".into(),
            }),
        }
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedTask>, StoreError> {
        let claimed_at = self.store.now();
        let token = Uuid::new_v4();
        let expires_at = claimed_at + chrono_duration(request.lease);
        let ranked = request.per_agent_limit.is_some() || request.per_organization_limit.is_some();
        let sql = match (self.store.backend(), ranked) {
            (Backend::Postgres, true) => CLAIM_POSTGRES,
            (Backend::Postgres, false) => CLAIM_POSTGRES_FAST,
            (Backend::Sqlite, true) => CLAIM_SQLITE,
            (Backend::Sqlite, false) => CLAIM_SQLITE_FAST,
        };
        let sql = fenced(
            sql,
            "AND run_after <= $4",
            request.holder.as_ref(),
            8,
            false,
        );
        let mut tasks: Vec<AgentTask> = writer!(self.store, |pool| {
            bind_holder(
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_ref()))
                    .bind(token)
                    .bind(&request.worker)
                    .bind(expires_at)
                    .bind(claimed_at)
                    .bind(i64::from(request.limit.max(1)))
                    .bind(request.per_agent_limit.map_or(i64::MAX, i64::from))
                    .bind(request.per_organization_limit.map_or(i64::MAX, i64::from)),
                request.holder.as_ref(),
            )
            .fetch_all(pool)
            .await
        })?;
        // RETURNING gives no order: restore the claim order.
        tasks.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.created_at.cmp(&b.created_at))
                .then(a.id.cmp(&b.id))
        });
        Ok(tasks
            .into_iter()
            .map(|task| ClaimedTask::taken(task, token, claimed_at, expires_at, request))
            .collect())
    }

    async fn extend_lease(&self, lease: &Lease, duration: Duration) -> Result<Lease, StoreError> {
        let expires_at = self.store.now() + chrono_duration(duration);
        let sql = fenced(
            "UPDATE agent_tasks SET lease_expires_at = $3
             WHERE id = $1 AND lease_token = $2 AND status = 'in_progress'
             RETURNING id",
            IN_PROGRESS,
            lease.holder.as_ref(),
            4,
            true,
        );
        let extended: Option<(TaskId,)> = writer!(self.store, |pool| {
            bind_holder(
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_ref()))
                    .bind(lease.task_id)
                    .bind(lease.token)
                    .bind(expires_at),
                lease.holder.as_ref(),
            )
            .fetch_optional(pool)
            .await
        })?;
        if extended.is_none() {
            return Err(StoreError::LeaseLost(lease.task_id.0));
        }
        Ok(Lease {
            expires_at,
            ..lease.clone()
        })
    }

    async fn complete(
        &self,
        lease: &Lease,
        output: Option<Value>,
    ) -> Result<AgentTask, StoreError> {
        let at = self.store.now();
        let sql = complete_sql(lease);
        let task: Option<AgentTask> = writer!(self.store, |pool| {
            bind_complete(&sql, lease, output.as_ref(), at)
                .fetch_optional(pool)
                .await
        })?;
        task.ok_or(StoreError::LeaseLost(lease.task_id.0))
    }

    async fn complete_and_claim_next(
        &self,
        lease: &Lease,
        output: Option<Value>,
        request: &ClaimRequest,
        agent: AgentId,
    ) -> Result<(AgentTask, Option<ClaimedTask>), StoreError> {
        let at = self.store.now();
        let completion = complete_sql(lease);
        let next = fenced(
            match self.store.backend() {
                Backend::Postgres => CLAIM_NEXT_POSTGRES,
                Backend::Sqlite => CLAIM_NEXT_SQLITE,
            },
            "AND run_after <= $4",
            request.holder.as_ref(),
            9,
            false,
        );
        let token = Uuid::new_v4();
        let expires_at = at + chrono_duration(request.lease);
        let (task, next): (Option<AgentTask>, Option<AgentTask>) = writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let Some(task) = bind_complete(&completion, lease, output.as_ref(), at)
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    return Ok((None, None));
                };
                let next: Option<AgentTask> = bind_holder(
                    sqlx::query_as(sqlx::AssertSqlSafe(next.as_ref()))
                        .bind(token)
                        .bind(&request.worker)
                        .bind(expires_at)
                        .bind(at)
                        .bind(agent)
                        .bind(request.per_agent_limit.map_or(i64::MAX, i64::from))
                        .bind(task.organization_id)
                        .bind(request.per_organization_limit.map_or(i64::MAX, i64::from)),
                    request.holder.as_ref(),
                )
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok((Some(task), next))
            }
            .await
        })?;
        let task = task.ok_or(StoreError::LeaseLost(lease.task_id.0))?;
        let next = next.map(|task| ClaimedTask::taken(task, token, at, expires_at, request));
        Ok((task, next))
    }

    async fn fail(
        &self,
        lease: &Lease,
        error: &str,
        retryable: bool,
    ) -> Result<FailOutcome, StoreError> {
        let at = self.store.now();
        let run_after = at + chrono_duration(self.retry.delay_after(lease.attempt));
        // When not retryable, pretend the attempts are spent.
        let final_attempt: Option<i32> = if retryable { None } else { Some(0) };
        let sql = fenced(
            "UPDATE agent_tasks SET
                status = CASE WHEN attempt >= COALESCE($6, max_attempts) THEN 'failed' ELSE 'pending' END,
                retry_count = CASE WHEN attempt >= COALESCE($6, max_attempts) THEN retry_count ELSE retry_count + 1 END,
                run_after = $3,
                completed_at = CASE WHEN attempt >= COALESCE($6, max_attempts) THEN $4 ELSE NULL END,
                duration_seconds = $7,
                error_message = $5, lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL,
                updated_at = $4
             WHERE id = $1 AND lease_token = $2 AND status = 'in_progress'
             RETURNING *",
            IN_PROGRESS,
            lease.holder.as_ref(),
            8,
            true,
        );
        let task: Option<AgentTask> = outboxed!(self, at, |pool| {
            bind_holder(
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_ref()))
                    .bind(lease.task_id)
                    .bind(lease.token)
                    .bind(run_after)
                    .bind(at)
                    .bind(error)
                    .bind(final_attempt)
                    .bind(seconds_between(lease.claimed_at, at)),
                lease.holder.as_ref(),
            )
            .fetch_optional(pool)
        })?;
        match task {
            None => Err(StoreError::LeaseLost(lease.task_id.0)),
            Some(task) if task.status == TaskStatus::Failed => Ok(FailOutcome::Failed),
            Some(task) => Ok(FailOutcome::Retrying {
                run_after: task.run_after,
            }),
        }
    }

    async fn release(&self, lease: &Lease, delay: Duration) -> Result<(), StoreError> {
        let at = self.store.now();
        let released = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE agent_tasks SET status = 'pending', attempt = attempt - 1, run_after = $3,
                        lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $4
                 WHERE id = $1 AND lease_token = $2 AND status = 'in_progress'",
            )
            .bind(lease.task_id)
            .bind(lease.token)
            .bind(at + chrono_duration(delay))
            .bind(at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if released == 0 {
            Err(StoreError::LeaseLost(lease.task_id.0))
        } else {
            Ok(())
        }
    }

    async fn reclaim_expired(&self) -> Result<Vec<TaskId>, StoreError> {
        let at = self.store.now();
        let rows: Vec<(TaskId,)> = writer!(self.store, |pool| {
            sqlx::query_as(concat!(
                "UPDATE agent_tasks SET ",
                put_back_lapsed!(),
                " WHERE status = 'in_progress' AND lease_expires_at < $1 RETURNING id"
            ))
            .bind(at)
            .bind("lease expired: the worker stopped renewing it (crashed, hung or its node died)")
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn approve(
        &self,
        org: OrgId,
        task: TaskId,
        by: DecidedBy,
    ) -> Result<AgentTask, StoreError> {
        let at = self.store.now();
        let updated: Option<AgentTask> = outboxed!(self, at, |pool| {
            sqlx::query_as(
                "UPDATE agent_tasks SET status = 'pending', approved_by = $3, approved_at = $4, run_after = $4,
                        approved_via = $5, updated_at = $4
                 WHERE id = $1 AND organization_id = $2 AND status = 'needs_approval'
                 RETURNING *",
            )
            .bind(task)
            .bind(org)
            .bind(by.user)
            .bind(at)
            .bind(by.via)
            .fetch_optional(pool)
        })?;
        match updated {
            Some(task) => Ok(task),
            None => Err(self.state_error(org, task, "approve").await),
        }
    }

    async fn reject(
        &self,
        org: OrgId,
        task: TaskId,
        by: DecidedBy,
        reason: Option<&str>,
    ) -> Result<AgentTask, StoreError> {
        let at = self.store.now();
        let updated: Option<AgentTask> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE agent_tasks SET status = 'rejected', rejected_by = $3, rejected_at = $4, completed_at = $4,
                        error_message = COALESCE($5, 'rejected'), approved_via = $6, updated_at = $4
                 WHERE id = $1 AND organization_id = $2 AND status = 'needs_approval'
                 RETURNING *",
            )
            .bind(task)
            .bind(org)
            .bind(by.user)
            .bind(at)
            .bind(reason)
            .bind(by.via)
            .fetch_optional(pool)
            .await
        })?;
        match updated {
            Some(task) => Ok(task),
            None => Err(self.state_error(org, task, "reject").await),
        }
    }

    async fn cancel(&self, org: OrgId, task: TaskId) -> Result<(AgentTask, bool), StoreError> {
        let at = self.store.now();
        let result: Option<(AgentTask, bool)> = writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let current: Option<(TaskStatus,)> =
                    sqlx::query_as("SELECT status FROM agent_tasks WHERE id = $1 AND organization_id = $2")
                        .bind(task)
                        .bind(org)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((status,)) = current else { return Ok(None) };
                if status.is_terminal() {
                    return Ok(None);
                }
                let cancelled: AgentTask = sqlx::query_as(
                    "UPDATE agent_tasks SET status = 'cancelled', completed_at = $3, lease_token = NULL,
                            lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
                     WHERE id = $1 AND organization_id = $2 RETURNING *",
                )
                .bind(task)
                .bind(org)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some((cancelled, status == TaskStatus::InProgress)))
            }
            .await
        })?;
        match result {
            Some(result) => Ok(result),
            None => Err(self.state_error(org, task, "cancel").await),
        }
    }

    async fn supersede(
        &self,
        org: OrgId,
        key_prefix: &str,
        keep: &str,
        reason: &str,
    ) -> Result<Vec<AgentTask>, StoreError> {
        let at = self.store.now();
        writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE agent_tasks SET status = 'cancelled', completed_at = $5, error_message = $4,
                        updated_at = $5
                 WHERE organization_id = $1 AND status IN ('pending', 'needs_approval')
                   AND substr(idempotency_key, 1, length($2)) = $2 AND idempotency_key <> $3
                 RETURNING *",
            )
            .bind(org)
            .bind(key_prefix)
            .bind(keep)
            .bind(reason)
            .bind(at)
            .fetch_all(pool)
            .await
        })
    }

    async fn retry(&self, org: OrgId, task: TaskId) -> Result<AgentTask, StoreError> {
        let at = self.store.now();
        let updated: Option<AgentTask> = outboxed!(self, at, |pool| {
            sqlx::query_as(
                "UPDATE agent_tasks SET attempt = 0, retry_count = 0,
                        status = CASE WHEN requires_human_approval AND approved_by IS NULL
                                      THEN 'needs_approval' ELSE 'pending' END,
                        error_message = NULL, output_data = NULL, started_at = NULL,
                        completed_at = NULL, duration_seconds = NULL, run_after = $3,
                        lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL,
                        updated_at = $3
                 WHERE id = $1 AND organization_id = $2 AND status IN ('failed', 'cancelled')
                 RETURNING *",
            )
            .bind(task)
            .bind(org)
            .bind(at)
            .fetch_optional(pool)
        })?;
        match updated {
            Some(task) => Ok(task),
            None => Err(self.state_error(org, task, "retry").await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
        };
        let delays: Vec<u64> = (1..=5)
            .map(|attempt| policy.delay_after(attempt).as_secs())
            .collect();
        assert_eq!(delays, vec![2, 4, 8, 10, 10]);
        assert_eq!(policy.delay_after(i32::MAX), Duration::from_secs(10));
    }
}
