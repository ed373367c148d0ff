//! `RuntimeError`: every way a runtime operation can fail.

use companyos_store::{AgentId, OrgId, StoreError};
use serde::{Deserialize, Serialize};

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
    /// A task of a type its agent does not perform.
    #[error("a {agent_type} agent does not perform {task_type} tasks (it performs {})", capabilities.join(", "))]
    UnsupportedTaskType {
        agent_type: String,
        task_type: String,
        capabilities: Vec<String>,
    },
    #[error("invalid schedule: {0}")]
    InvalidSchedule(#[from] crate::scheduler::ScheduleError),
    /// A configuration its agent type does not accept.
    #[error(transparent)]
    InvalidConfiguration(#[from] companyos_actors::ConfigError),
    /// The configuration's `llm` object would be ignored by the agent.
    #[error("configuration.llm: {0}")]
    InvalidLlmConfiguration(#[from] companyos_actors::llm::LlmConfigError),
    /// Separation of duties: the person may not ask for or approve this.
    #[error(transparent)]
    NotAllowed(#[from] crate::duties::Refusal),
    /// A command that cannot be carried out as asked.
    #[error(transparent)]
    Command(#[from] crate::commands::CommandRefusal),
    /// Cluster mode: the organization's agents run on another node, and this request
    /// needs them here (an answer from an agent, routing now).
    #[error("organization {organization} runs on another node of the cluster{}", node.as_deref().map(|node| format!(" ({node})")).unwrap_or_default())]
    HostedElsewhere {
        organization: OrgId,
        node: Option<String>,
    },
    /// The organization's owner, asked through its peer gateway, answered with an error.
    #[error("on node {node}: {error}")]
    Remote { node: String, error: RemoteError },
    #[error("the supervision tree could not serve the request: {0}")]
    Tree(#[from] TreeError),
    #[error(transparent)]
    Start(#[from] StartError),
}

/// What in the supervision tree kept a request from being served: for the node's log;
/// a client is told only that the runtime is busy.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("a supervisor did not answer in time")]
    NoAnswer,
    #[error("a supervisor stopped")]
    SupervisorStopped,
    #[error("organization {0} did not start")]
    OrganizationNotStarted(OrgId),
    #[error("the {kind} of organization {organization} are restarting")]
    GroupRestarting {
        organization: OrgId,
        kind: &'static str,
    },
    #[error("the organization's routing lane ended")]
    LaneEnded,
    #[error("the event router is restarting")]
    RouterRestarting,
    #[error("the event router did not answer")]
    RouterNoAnswer,
    #[error("the event router stopped while routing")]
    RouterStopped,
    #[error("the integrations supervisor stopped")]
    IntegrationsStopped,
    #[error("the root supervisor could not start: {0}")]
    RootNotStarted(#[source] ractor::SpawnErr),
}

/// Why a supervisor could not start a child.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("unknown agent type {0:?}")]
    UnknownAgentType(String),
    #[error("agent {agent} is a {actual}, not a {expected}")]
    WrongKind {
        agent: AgentId,
        actual: &'static str,
        expected: &'static str,
    },
    /// A configuration stored before its type checked it, which it does not accept.
    #[error("agent {agent} cannot start: {error}")]
    Configuration {
        agent: AgentId,
        #[source]
        error: companyos_actors::ConfigError,
    },
    #[error("{child} failed to start: {source}")]
    Spawn {
        child: String,
        #[source]
        source: ractor::SpawnErr,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The task transport is configured but the store was opened without the outbox
    /// it publishes from (`Store::with_task_outbox`).
    #[error("the task transport needs a store that keeps the task outbox")]
    NoOutbox,
    /// The embeddings settings cannot make a client.
    #[error("search by meaning cannot start: {0}")]
    Semantic(#[source] companyos_integrations::llm::LlmError),
}

/// A [`RuntimeError`] as it crosses a wire (the gateway's replies to other nodes) or is
/// kept beside a result (a consensus opinion that abstained): cloneable, serialisable,
/// with the facts a caller acts on kept as fields.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteError {
    #[error("organization {organization} is not hosted on this node")]
    NotHosted { organization: OrgId },
    #[error("agent {agent} is not running (disabled, or not hosted on this node)")]
    AgentNotRunning { agent: AgentId },
    #[error("agent {agent} did not answer within {timeout_ms} ms")]
    Timeout { agent: AgentId, timeout_ms: u64 },
    #[error("agent {agent} refused: {reason}")]
    Refused { agent: AgentId, reason: String },
    /// Anything else the node could not do (its store, its tree), in words.
    #[error("{message}")]
    Node { message: String },
}

impl From<RuntimeError> for RemoteError {
    fn from(error: RuntimeError) -> RemoteError {
        match error {
            RuntimeError::AgentNotRunning(agent) => RemoteError::AgentNotRunning { agent },
            RuntimeError::Timeout { agent, timeout_ms } => {
                RemoteError::Timeout { agent, timeout_ms }
            }
            RuntimeError::Refused { agent, reason } => RemoteError::Refused {
                agent,
                reason: reason.to_string(),
            },
            other => RemoteError::Node {
                message: other.to_string(),
            },
        }
    }
}
