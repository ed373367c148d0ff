//! `RuntimeError`: every way a runtime operation can fail.

use companyos_store::{AgentId, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unknown agent type {0:?}")]
    UnknownAgentType(String),
    #[error("agent {0} is not running (disabled, or not hosted on this node)")]
    AgentNotRunning(AgentId),
    #[error("agent {agent} did not answer within {timeout_ms} ms")]
    Timeout { agent: AgentId, timeout_ms: u64 },
    #[error("agent {agent} refused: {reason}")]
    Refused {
        agent: AgentId,
        #[source]
        reason: companyos_actors::AgentError,
    },
    #[error("invalid schedule: {0}")]
    InvalidSchedule(#[from] crate::scheduler::ScheduleError),
    #[error("the supervision tree is not running: {0}")]
    Tree(String),
}
