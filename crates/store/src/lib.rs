//! `store` owns CompanyOS's persistent state: the typed domain model (ids, statuses,
//! rows), the repositories that read and write it on SQLite or PostgreSQL, the
//! migrations (applied at start-up), and the durable task queue.
//!
//! Every query that reads tenant data takes the caller's [`OrgId`] and filters on it:
//! a row of another organization is reported as not found.
//!
//! **Must never import:** ractor, axum, async-graphql, or any other workspace crate.
//! `store` is a leaf; everything else builds on it.

#[macro_use]
mod macros;

mod agents;
pub mod archive;
mod challenges;
mod cluster;
mod collaborations;
mod db;
mod deliveries;
mod deployments;
mod design_components;
mod email_tokens;
mod embeddings;
mod enums;
mod error;
mod events;
mod figma_files;
mod forecasts;
mod history;
mod ids;
mod integrations;
mod invitations;
mod metrics;
mod organizations;
mod outbox;
mod page;
mod pull_requests;
mod queue;
mod repositories;
mod risk;
mod schedules;
mod search;
mod sessions;
pub mod shared;
mod social_accounts;
mod social_posts;
mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
mod users;
mod validate;
mod workflows;

pub use agents::*;
pub use challenges::*;
pub use cluster::*;
pub use collaborations::*;
pub use db::{Backend, Clock, ConnectOptions, Store, now, redact_url};
pub use deliveries::*;
pub use deployments::*;
pub use design_components::*;
pub use email_tokens::*;
pub use embeddings::*;
pub use enums::*;
pub use error::{DbRule, InvalidEnumValue, StoreError};
pub use events::*;
pub use figma_files::*;
pub use forecasts::*;
pub use history::*;
pub use ids::*;
pub use integrations::*;
pub use invitations::*;
pub use metrics::*;
pub use organizations::*;
pub use outbox::*;
pub use page::{Cursor, MAX_BATCH, MAX_PAGE_SIZE, Page, PageRequest};
pub use pull_requests::*;
pub use queue::*;
pub use repositories::*;
pub use risk::*;
pub use schedules::*;
pub use search::*;
pub use sessions::*;
pub use social_accounts::*;
pub use social_posts::*;
pub use tasks::*;
pub use users::*;
pub use workflows::*;
