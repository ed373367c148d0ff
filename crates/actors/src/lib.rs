//! `actors` will own the agents: the watcher, executor, coordinator and analyst kinds
//! as ractor actor behaviours, the agent type registry, and each agent's lifecycle
//! transitions. The agent runtime work fills it; today it only fixes the crate's place
//! in the dependency graph.
//!
//! **Must never import:** `supervisors`, `api` or the binary; an agent never names its
//! supervisor and never speaks HTTP to our own users.
