//! `supervisors` owns the supervision tree (`root → org:<id> → agents`), the restart
//! policy (strategies, backoff with jitter, intensity limits, disabling and escalation),
//! the dispatcher that feeds tasks from the `TaskQueue` to agents, the agent directory,
//! and [`Runtime`], the handle the edge uses.
//!
//! Agents are addressed by id through the [`AgentDirectory`], never by `ActorRef`s held
//! across the code base, so an organization's subtree can move between nodes.
//!
//! **Must never import:** `api`, axum or anything HTTP: supervisors never speak HTTP.

mod directory;
mod dispatcher;
mod error;
pub mod metrics;
mod policy;
mod runtime;
mod tree;

pub use directory::{AgentDirectory, Location};
pub use dispatcher::DispatcherConfig;
pub use error::RuntimeError;
pub use policy::{Decision, RestartHistory, RestartPolicy, Strategy};
pub use runtime::{Runtime, RuntimeConfig};
pub use tree::ActorInfo;
