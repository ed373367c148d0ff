//! `supervisors` owns the supervision tree (`root → org:<id> → <kind>s → agents`, and
//! `root → system → {dispatcher, scheduler, events, gateway}`), the restart policy
//! (strategies, backoff with jitter, intensity limits, disabling and escalation), the
//! dispatcher that feeds tasks from the `TaskQueue` to agents, the scheduler, the event
//! router, the node's gateway, the agent directory, and [`Runtime`], the handle the edge
//! uses.
//!
//! Agents are addressed by id through the [`AgentDirectory`], never by `ActorRef`s held
//! across the code base, so an organization's subtree can move between nodes.
//!
//! **Must never import:** `api`, axum or anything HTTP: supervisors never speak HTTP.

mod approvals;
mod children;
mod commands;
mod consensus;
mod deliveries;
mod directory;
mod dispatcher;
pub mod duties;
mod error;
mod gateway;
mod group;
mod integrations;
pub mod metrics;
mod placement;
mod policy;
mod remote;
mod router;
mod runtime;
mod scheduler;
pub mod semantic;
mod system;
mod transport;
mod tree;

pub use commands::{Command, CommandRefusal};
/// The analysts' reports, which the edge computes when asked.
pub use companyos_actors::analysts;
pub use consensus::{ConsensusOutcome, ConsensusRule, Opinion, decide};
pub use deliveries::DeliveriesConfig;
pub use directory::{AgentDirectory, Location};
pub use dispatcher::DispatcherConfig;
pub use duties::Person;
pub use error::{RemoteError, RuntimeError, StartError, TreeError};
pub use gateway::GatewayMessage;
pub use integrations::sync::AdapterConfig;
pub use integrations::{Delivered, InHand};
pub use placement::{ClusterSettings, owner};
pub use policy::{Decision, RestartHistory, RestartPolicy, Strategy};
pub use remote::{PeerSettings, PeerTls, PeerTlsError};
pub use runtime::{ClusterNode, Placement, Runtime, RuntimeConfig};
pub use scheduler::{ScheduleError, SchedulerConfig, next_run};
pub use tree::ActorInfo;

// What the edge needs of the actors crate, so that it depends on this crate alone: the
// runtime's events (subscriptions, WebSocket) and the registry (agent types to spawn,
// and test agents in the edge's own tests).
/// The development agents' task inputs and names, for the routes that ask for their work.
pub use companyos_actors::assign;
pub use companyos_actors::code_review;
pub use companyos_actors::trace;
pub use companyos_actors::{
    AgentError, AgentKind, AgentType, AgentTypeRegistry, Behaviour, RoutedEvent, RuntimeEvent,
    SlackRequest, SlackResponse, TaskContext, TaskFailure, TaskRequest, input_value, respond,
    waiting_reason,
};
/// The team and content agents' results, which the edge lists; the organization's time
/// zone, which the edge checks.
pub use companyos_actors::{content, design, standup, task_kind, time_zone};
/// The operations agents' task inputs and names (rollback; approvals from Slack).
pub use companyos_actors::{deployment, inputs, llm, names, notification, slack_people, watchers};
