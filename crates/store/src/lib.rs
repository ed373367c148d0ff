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
mod analytics;
mod challenges;
mod db;
mod deliveries;
mod design;
mod development;
mod email_tokens;
mod enums;
mod error;
mod ids;
mod integrations;
mod invitations;
mod orgs;
mod outbox;
mod page;
mod queue;
mod sessions;
mod social;
mod tasks;
#[cfg(feature = "testing")]
pub mod testing;

pub use agents::*;
pub use analytics::*;
pub use challenges::*;
pub use db::{Backend, Clock, ConnectOptions, Store, now, redact_url};
pub use deliveries::*;
pub use design::*;
pub use development::*;
pub use email_tokens::*;
pub use enums::*;
pub use error::{InvalidEnumValue, StoreError};
pub use ids::*;
pub use integrations::*;
pub use invitations::*;
pub use orgs::*;
pub use outbox::*;
pub use page::{Cursor, MAX_BATCH, MAX_PAGE_SIZE, Page, PageRequest};
pub use queue::*;
pub use sessions::*;
pub use social::*;
pub use tasks::*;
