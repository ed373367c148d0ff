//! The runtime's metrics, declared once here (names: `companyos_<subsystem>_<name>_<unit>`).

use std::time::Duration;

use companyos_store::{AgentStatus, Store, StoreError, TaskStatus};
use metrics::{counter, gauge, histogram};

pub const AGENT_RESTARTS_TOTAL: &str = "companyos_agent_restarts_total";
pub const SUBTREE_RESTARTS_TOTAL: &str = "companyos_supervisor_subtree_restarts_total";
pub const EVENTS_ROUTED_TOTAL: &str = "companyos_events_routed_total";
pub const TASKS_FINISHED_TOTAL: &str = "companyos_tasks_finished_total";
pub const TASK_DURATION_SECONDS: &str = "companyos_task_duration_seconds";
pub const QUEUE_WAIT_SECONDS: &str = "companyos_queue_wait_seconds";
pub const DELIVERIES_PROCESSED_TOTAL: &str = "companyos_webhook_deliveries_processed_total";
pub const AGENTS: &str = "companyos_agents";
pub const TASKS: &str = "companyos_tasks";
pub const DEPLOYMENTS_FAILING: &str = "companyos_deployments_failing";
pub const CLUSTER_JOINS_TOTAL: &str = "companyos_cluster_joins_total";
pub const CLUSTER_LEASES_LOST_TOTAL: &str = "companyos_cluster_leases_lost_total";
pub const CLUSTER_ORGANIZATIONS_CLAIMED_TOTAL: &str =
    "companyos_cluster_organizations_claimed_total";
pub const CLUSTER_NUDGES_LOST_TOTAL: &str = "companyos_cluster_nudges_lost_total";
/// Set by `companyos_store::shared::Redis` as commands succeed or fail.
pub const REDIS_UP: &str = "companyos_redis_up";
/// Counted where a caller of Redis falls back to this node's own count or to NOTIFY.
pub const REDIS_FALLBACKS_TOTAL: &str = "companyos_redis_fallbacks_total";
/// Set by `companyos_store::transport` as the connection to RabbitMQ comes and goes.
pub const AMQP_UP: &str = "companyos_amqp_up";
/// Counted by `companyos_store::transport`'s relay.
pub const OUTBOX_PUBLISHED_TOTAL: &str = "companyos_outbox_published_total";
pub const OUTBOX_PUBLISH_FAILURES_TOTAL: &str = "companyos_outbox_publish_failures_total";
/// Task messages the dispatcher acted on, by what it did (claimed here, forwarded to
/// the owner, requeued while draining).
pub const TASK_MESSAGES_TOTAL: &str = "companyos_task_messages_total";
/// Agents hosted on this node, by whether an actor runs for them (`state`: active,
/// passive).
pub const AGENTS_HOSTED: &str = "companyos_agents_hosted";
pub const AGENT_PASSIVATIONS_TOTAL: &str = "companyos_agent_passivations_total";
pub const AGENT_ACTIVATION_SECONDS: &str = "companyos_agent_activation_seconds";
/// Deliveries written to the payload archive, by outcome (archived, failed).
pub const ARCHIVE_WRITES_TOTAL: &str = "companyos_archive_writes_total";
/// Deliveries the archiver left to its next sweep (too many batches in flight).
pub const ARCHIVE_DEFERRED_TOTAL: &str = "companyos_archive_deferred_total";
pub const ARCHIVE_EXPIRED_TOTAL: &str = "companyos_archive_expired_total";
/// Deliveries still `received` that nobody had handed to their adapter.
pub const DELIVERIES_HANDED_OVER_TOTAL: &str = "companyos_webhook_deliveries_handed_over_total";

/// Registers each metric's help text (Prometheus `# HELP`) with the installed recorder,
/// the agents' included.
pub fn describe() {
    companyos_actors::metrics::describe();
    metrics::describe_counter!(AGENT_RESTARTS_TOTAL, "Agents restarted after a crash.");
    metrics::describe_counter!(
        SUBTREE_RESTARTS_TOTAL,
        "Supervisor subtrees restarted, by level (kind, organization, system)."
    );
    metrics::describe_counter!(EVENTS_ROUTED_TOTAL, "Stored events routed to watchers.");
    metrics::describe_counter!(
        TASKS_FINISHED_TOTAL,
        "Tasks that left an agent, by outcome."
    );
    metrics::describe_histogram!(
        TASK_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Time from a task's delivery to its recorded outcome."
    );
    metrics::describe_histogram!(
        QUEUE_WAIT_SECONDS,
        metrics::Unit::Seconds,
        "Time a task waited between becoming runnable and being claimed."
    );
    metrics::describe_counter!(
        DELIVERIES_PROCESSED_TOTAL,
        "Webhook deliveries made into events by their adapter, by service."
    );
    metrics::describe_gauge!(AGENTS, "Agents by lifecycle status (all organizations).");
    metrics::describe_gauge!(TASKS, "Tasks by status (all organizations).");
    metrics::describe_gauge!(
        DEPLOYMENTS_FAILING,
        "Projects whose latest production deployment is in error (all organizations)."
    );
    metrics::describe_counter!(
        CLUSTER_JOINS_TOTAL,
        "Times this node joined the cluster (once per start, again after a lost lease)."
    );
    metrics::describe_counter!(
        CLUSTER_LEASES_LOST_TOTAL,
        "Times this node lost its membership lease and stopped its organizations."
    );
    metrics::describe_counter!(
        CLUSTER_ORGANIZATIONS_CLAIMED_TOTAL,
        "Organizations this node claimed and started (at start, and when one moved here)."
    );
    metrics::describe_counter!(
        CLUSTER_NUDGES_LOST_TOTAL,
        "Cross-node notifications that could not be sent (the database's state still reaches the owner)."
    );
    metrics::describe_gauge!(
        REDIS_UP,
        "1 while the cluster's Redis answers, 0 while this node counts alone (cluster.redis_url set)."
    );
    metrics::describe_counter!(
        REDIS_FALLBACKS_TOTAL,
        "Uses of Redis that fell back to this node (use: rate_limit, llm_budget, bus)."
    );
    metrics::describe_gauge!(
        AMQP_UP,
        "1 while the task transport's RabbitMQ answers, 0 while the dispatcher polls the table (cluster.amqp_url set)."
    );
    metrics::describe_counter!(
        OUTBOX_PUBLISHED_TOTAL,
        "Task outbox entries published to RabbitMQ and confirmed by it."
    );
    metrics::describe_counter!(
        OUTBOX_PUBLISH_FAILURES_TOTAL,
        "Task outbox entries RabbitMQ refused or did not confirm (they are published again)."
    );
    metrics::describe_counter!(
        TASK_MESSAGES_TOTAL,
        "Task messages from RabbitMQ, by what this node did (action: claim, forward, requeue)."
    );
    metrics::describe_gauge!(
        AGENTS_HOSTED,
        "Agents hosted on this node, by state: active (an actor runs) or passive (idle, its actor stopped until its next task or question)."
    );
    metrics::describe_counter!(
        AGENT_PASSIVATIONS_TOTAL,
        "Idle agents whose actors this node stopped (agents.passivate_after_seconds)."
    );
    metrics::describe_histogram!(
        AGENT_ACTIVATION_SECONDS,
        metrics::Unit::Seconds,
        "Time to start a passive agent's actor again for its next task or question."
    );
    metrics::describe_counter!(
        ARCHIVE_WRITES_TOTAL,
        "Webhook deliveries written to the payload archive, by outcome (archived, failed: written again at the next sweep)."
    );
    metrics::describe_counter!(
        ARCHIVE_DEFERRED_TOTAL,
        "Webhook deliveries left to the archive's next sweep because object storage was behind."
    );
    metrics::describe_counter!(
        ARCHIVE_EXPIRED_TOTAL,
        "Archived webhook deliveries deleted past archive.retention_days."
    );
    metrics::describe_counter!(
        crate::semantic::EMBEDDINGS_TOTAL,
        "Search documents sent to the embeddings endpoint, by outcome (embedded, refused, failed)."
    );
    metrics::describe_counter!(
        DELIVERIES_HANDED_OVER_TOTAL,
        "Webhook deliveries found waiting that nobody had handed to their adapter (a node stopped in between, or a replay)."
    );
    // Counters of rare events exist at 0 from the start, so that the first event is an
    // increase a rate or an alert can see, not a series appearing at 1.
    counter!(AGENT_RESTARTS_TOTAL).increment(0);
    for level in ["system", "organization", "kind", "integrations", "adapter"] {
        counter!(SUBTREE_RESTARTS_TOTAL, "level" => level).increment(0);
    }
    counter!(CLUSTER_LEASES_LOST_TOTAL).increment(0);
    counter!(CLUSTER_NUDGES_LOST_TOTAL).increment(0);
    counter!(AGENT_PASSIVATIONS_TOTAL).increment(0);
    for outcome in ["archived", "failed"] {
        counter!(ARCHIVE_WRITES_TOTAL, "outcome" => outcome).increment(0);
    }
    counter!(ARCHIVE_DEFERRED_TOTAL).increment(0);
    counter!(DELIVERIES_HANDED_OVER_TOTAL).increment(0);
}

pub fn archive_written(archived: usize, failed: usize) {
    counter!(ARCHIVE_WRITES_TOTAL, "outcome" => "archived").increment(archived as u64);
    counter!(ARCHIVE_WRITES_TOTAL, "outcome" => "failed").increment(failed as u64);
}

pub fn archive_deferred(deliveries: usize) {
    counter!(ARCHIVE_DEFERRED_TOTAL).increment(deliveries as u64);
}

pub fn archive_expired(deleted: u64) {
    counter!(ARCHIVE_EXPIRED_TOTAL).increment(deleted);
}

pub fn delivery_handed_over() {
    counter!(DELIVERIES_HANDED_OVER_TOTAL).increment(1);
}

/// The node's hosted agents, active and passive.
pub fn agents_hosted(active: usize, passive: usize) {
    gauge!(AGENTS_HOSTED, "state" => "active").set(active as f64);
    gauge!(AGENTS_HOSTED, "state" => "passive").set(passive as f64);
}

pub fn agent_passivated() {
    counter!(AGENT_PASSIVATIONS_TOTAL).increment(1);
}

pub fn agent_activated(took: Duration) {
    histogram!(AGENT_ACTIVATION_SECONDS).record(took.as_secs_f64());
}

pub fn cluster_joined() {
    counter!(CLUSTER_JOINS_TOTAL).increment(1);
}

pub fn cluster_lease_lost() {
    counter!(CLUSTER_LEASES_LOST_TOTAL).increment(1);
}

pub fn cluster_organization_moved() {
    counter!(CLUSTER_ORGANIZATIONS_CLAIMED_TOTAL).increment(1);
}

pub fn cluster_nudges_lost(count: usize) {
    counter!(CLUSTER_NUDGES_LOST_TOTAL).increment(count as u64);
}

pub fn agent_restarted() {
    counter!(AGENT_RESTARTS_TOTAL).increment(1);
}

/// `service` is one of the six services.
pub fn delivery_processed(service: &'static str) {
    counter!(DELIVERIES_PROCESSED_TOTAL, "service" => service).increment(1);
}

/// `level` is one of: adapter, integrations, kind, organization, system.
pub fn subtree_restarted(level: &'static str) {
    counter!(SUBTREE_RESTARTS_TOTAL, "level" => level).increment(1);
}

pub fn event_routed() {
    counter!(EVENTS_ROUTED_TOTAL).increment(1);
}

/// `outcome` is one of a small fixed set: completed, failed, deferred, cancelled, crashed, moved (its organization moved to another node mid-task; handed back).
pub fn task_finished(outcome: &'static str, duration: Duration) {
    counter!(TASKS_FINISHED_TOTAL, "outcome" => outcome).increment(1);
    histogram!(TASK_DURATION_SECONDS).record(duration.as_secs_f64());
}

pub fn task_waited(wait: Duration) {
    histogram!(QUEUE_WAIT_SECONDS).record(wait.as_secs_f64());
}

/// Sets the agents-per-state and tasks-per-status gauges from the database, which is
/// the truth for both (every node of a cluster reports the same figures).
pub async fn sample(store: &Store) -> Result<(), StoreError> {
    let agents = store.agents().count_by_status_all().await?;
    for status in AgentStatus::ALL {
        let count = agents
            .iter()
            .find(|(counted, _)| counted == status)
            .map_or(0, |(_, count)| *count);
        gauge!(AGENTS, "status" => status.as_str()).set(count as f64);
    }
    let tasks = store.tasks().count_by_status_all().await?;
    for status in TaskStatus::ALL {
        let count = tasks
            .iter()
            .find(|(counted, _)| counted == status)
            .map_or(0, |(_, count)| *count);
        gauge!(TASKS, "status" => status.as_str()).set(count as f64);
    }
    let failing = store.deployments().failing_projects_all().await?;
    gauge!(DEPLOYMENTS_FAILING).set(failing as f64);
    Ok(())
}
