//! The GraphQL SDL kept in `crates/api/schema.graphql` is the schema the code builds:
//! a change to the schema must come with the file (regenerate it with
//! `UPDATE_SCHEMA=1 cargo test -p companyos-api --test schema`).

use std::path::Path;

#[test]
fn the_exported_sdl_matches_the_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let current = companyos_api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &current).expect("write schema.graphql");
    }
    let exported = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        exported == current,
        "crates/api/schema.graphql is out of date: run UPDATE_SCHEMA=1 cargo test -p companyos-api --test schema, and commit it"
    );
    for needed in [
        "type Query",
        "pullRequests(",
        "agentTasks(",
        "spawnAgent(",
        "approveAgentTask(",
        "rollbackDeployment(",
        "agentTaskCreated(",
        "newEvent(",
    ] {
        assert!(current.contains(needed), "the schema has {needed}");
    }
}
