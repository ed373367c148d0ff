//! The store's contract suite: every test runs on SQLite and on the running
//! PostgreSQL, each on a fresh database (`contract_tests!`).

mod fixtures;
mod queue;
mod repositories;
mod schema;
mod search;
