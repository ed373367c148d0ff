//! The `companyos` node: configuration, telemetry and the wiring of every crate into
//! one running process. The binary (`main.rs`) is only its command line.
//!
//! Business logic does not live here: this crate connects the store, the runtime and
//! the edge, and decides nothing about agents, tasks or HTTP semantics.

pub mod config;
pub mod node;
pub mod progress;
pub mod telemetry;
