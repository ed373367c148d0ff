//! The agents' metrics, declared once here (names: `companyos_<subsystem>_<name>_<unit>`;
//! labels from small fixed sets — the agent kind, never an agent id).

use std::time::Duration;

use metrics::{counter, gauge, histogram};

use crate::behaviour::AgentKind;

pub const AGENT_MESSAGES_HANDLED_TOTAL: &str = "companyos_agent_messages_handled_total";
pub const AGENT_MESSAGE_HANDLING_SECONDS: &str = "companyos_agent_message_handling_seconds";
pub const AGENT_MAILBOX_MESSAGES: &str = "companyos_agent_mailbox_messages";
pub const REPLIES_UNDELIVERED_TOTAL: &str = "companyos_actor_replies_undelivered_total";

/// Registers each metric's help text (Prometheus `# HELP`) with the installed recorder.
pub fn describe() {
    metrics::describe_counter!(
        AGENT_MESSAGES_HANDLED_TOTAL,
        "Messages handled by agent actors, by agent kind."
    );
    metrics::describe_histogram!(
        AGENT_MESSAGE_HANDLING_SECONDS,
        metrics::Unit::Seconds,
        "Time an agent actor spent handling one message, by agent kind."
    );
    metrics::describe_gauge!(
        AGENT_MAILBOX_MESSAGES,
        "Messages sent to agents of this node and not yet handled."
    );
    metrics::describe_counter!(
        REPLIES_UNDELIVERED_TOTAL,
        "Answers an actor sent to a caller that had stopped waiting, by what was answered."
    );
}

/// Answers a caller. A caller that stopped waiting (it timed out, or its request was
/// dropped) cannot be told anything more: the answer is logged at debug and counted
/// as `companyos_actor_replies_undelivered_total{to}`, never silently discarded.
pub fn respond<T>(port: ractor::RpcReplyPort<T>, answer: T, to: &'static str) {
    if port.send(answer).is_err() {
        tracing::debug!(to, "the caller stopped waiting for its answer");
        counter!(REPLIES_UNDELIVERED_TOTAL, "to" => to).increment(1);
    }
}

pub(crate) fn message_handled(kind: AgentKind, took: Duration) {
    counter!(AGENT_MESSAGES_HANDLED_TOTAL, "kind" => kind.as_str()).increment(1);
    histogram!(AGENT_MESSAGE_HANDLING_SECONDS, "kind" => kind.as_str()).record(took.as_secs_f64());
}

/// Messages waiting in agents' mailboxes, over all agents of the node.
pub(crate) fn mailbox_changed(delta: f64) {
    gauge!(AGENT_MAILBOX_MESSAGES).increment(delta);
}
