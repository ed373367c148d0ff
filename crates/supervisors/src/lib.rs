//! `supervisors` will own the supervision tree (`root → org:<id> → kinds → agents`),
//! restart policy with backoff and escalation, task dispatch from the `TaskQueue`,
//! scheduling and the agent registry. The agent runtime work fills it; today it only
//! fixes the crate's place in the dependency graph.
//!
//! **Must never import:** `api`, axum or anything HTTP: supervisors never speak HTTP.
