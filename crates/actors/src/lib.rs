//! `actors` owns the agents: one ractor actor type ([`AgentActor`]) that every agent
//! runs as, the four kinds of behaviour it can carry (watcher, executor, coordinator,
//! analyst — [`Behaviour`]), the registry of agent types, the lifecycle transitions an
//! agent records (idle → working → complete → idle; error), and a few real agents.
//!
//! Restarting, disabling and dispatching are the supervisors' business: an agent never
//! names its supervisor; a crash inside a task simply fails the actor, and its parent
//! learns of it through ractor's `SupervisionEvent`.
//!
//! **Must never import:** `supervisors`, `api` or the binary, axum or anything that
//! speaks HTTP to our own users.

mod agent;
pub mod analysts;
pub mod assign;
mod behaviour;
pub mod build_log;
pub mod builtin;
pub mod code_review;
pub mod content;
pub mod coordinator;
pub mod deployment;
pub mod design;
mod events;
pub mod inputs;
mod lifecycle;
pub mod llm;
pub mod metrics;
pub mod names;
pub mod notification;
pub mod operations;
mod port;
mod registry;
pub mod review;
pub mod slack_people;
pub mod standup;
pub mod task_kind;
pub mod time_zone;
pub mod trace;
pub mod watchers;

pub use agent::{
    Admitted, AgentActor, AgentArgs, AgentError, AgentHandle, AgentMessage, AgentSnapshot,
    AgentState, Mailbox, TaskOutcome, TaskWriter, topic_scope, waiting_reason,
};
pub use behaviour::{
    AgentIdentity, AgentKind, Behaviour, Decide, RoutedEvent, TaskContext, TaskFailure,
    TaskRequest, input_value,
};
pub use events::{EventBus, RuntimeEvent};
pub use lifecycle::LifecycleWriter;
pub use metrics::respond;
pub use port::{
    GitHubRequest, GitHubResponse, IntegrationPort, PostCounts, SlackRequest, SlackResponse,
    SocialCall, SocialRequest, SocialResponse, SyncReport, SyncRequest, VendorRequest,
    VendorResponse, VercelRequest, VercelResponse,
};
pub use registry::{
    AgentType, AgentTypeRegistry, BehaviourFactory, ConfigError, ConfigSpec, Configuration,
    DefaultSchedule, NoConfiguration,
};
