//! The connection to one database — SQLite or PostgreSQL — its migrations, and the
//! macros that run one query text on whichever backend is configured.
//!
//! Every query in this crate is written once, with `$1…$N` placeholders, and runs on
//! both backends unchanged (sqlx binds `Uuid`, JSON and `DateTime<Utc>` on both). Only
//! the DDL differs, in `migrations/postgres` and `migrations/sqlite`. Where a query must
//! differ, both texts stand side by side.
//!
//! SQLite has one writer at a time. Rather than let concurrent writers race for the
//! file lock (and fail with `SQLITE_BUSY` when a snapshot is stale), every write goes
//! through a pool of exactly one connection; reads use a separate pool.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::StoreError;

pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");
pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// The current time as the store records it: UTC, truncated to microseconds so that a
/// value read back from PostgreSQL equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The store's clock: the time rows are stamped with and leases, schedules and
/// expiries are compared against — the system's clock. Tests (feature `testing`) move
/// it forward instead of sleeping; every clone of a store shares its clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Added to the system's time; only tests change it.
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The current time, as [`now`] gives it, moved by what tests advanced.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = self.offset_micros.load(Ordering::Relaxed);
        now() + chrono::Duration::microseconds(offset)
    }

    /// Moves this clock (and every store sharing it) forward by `by`.
    #[cfg(feature = "testing")]
    pub fn advance(&self, by: Duration) {
        let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pools {
    Postgres(PgPool),
    Sqlite { read: SqlitePool, write: SqlitePool },
}

/// Options for opening a store.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// `postgres://…` or `sqlite://path` (`sqlite::memory:` is refused: the queue needs a
    /// file shared by its connections).
    pub url: String,
    /// Connections in the pool (PostgreSQL), or readers (SQLite).
    pub max_connections: u32,
    /// How long to wait for a connection before giving up.
    pub acquire_timeout: Duration,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        ConnectOptions {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }

    /// A SQLite file at `path`, created if missing.
    pub fn sqlite_file(path: &Path) -> Self {
        Self::new(format!("sqlite://{}", path.display()))
    }
}

/// A handle on the database: cheap to clone, shared by every part of a node.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pools: Pools,
    clock: Clock,
    /// Set when tasks go out through the task transport: the queue then writes an
    /// outbox entry in each transaction that makes a task runnable, and wakes the relay
    /// once it committed (see [`crate::transport`]).
    outbox: Option<std::sync::Arc<tokio::sync::Notify>>,
    /// Cluster mode: the node run whose claim the fenced writes check (see
    /// [`Store::held_by`]).
    holder: Option<crate::cluster::NodeLease>,
    /// PostgreSQL: a second pool whose sessions commit without waiting for the WAL to
    /// reach the disk (see [`Store::relaxed`]).
    relaxed: Option<PgPool>,
}

impl Store {
    /// The same store, with the task outbox written (the task transport is on).
    pub fn with_task_outbox(mut self) -> Store {
        self.outbox
            .get_or_insert_with(|| std::sync::Arc::new(tokio::sync::Notify::new()));
        self
    }

    /// The same store, writing through sessions that commit without waiting for the
    /// write-ahead log to reach the disk (PostgreSQL's `synchronous_commit = off`) — for
    /// the writes that are derived from rows already durable and are made again when
    /// lost: an adapter's events and projections (from the recorded delivery, which
    /// stays `received` until its event exists), the router's tasks and routed marks
    /// (from the event, routed again by the sweep, each task idempotent by its key), the
    /// agents' lifecycle columns. Such a commit is visible at once and never reordered:
    /// a crash of the database server loses at most the last fraction of a second of
    /// them, never one that a later ordinary commit (a claim, a completion, a recorded
    /// delivery) depended on, since that commit flushes the log up to itself. Nothing
    /// changes on SQLite, whose commits in WAL mode already do not wait for the disk.
    pub fn relaxed(&self) -> Store {
        match &self.relaxed {
            Some(pool) => Store {
                pools: Pools::Postgres(pool.clone()),
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    /// The same store, whose fenced writes (an organization's domain rows and
    /// deliveries, as its adapter writes them) are refused with
    /// [`StoreError::NotHeld`] unless `holder` still holds the organization — its claim
    /// not released and its membership live by the database's clock — and share-lock
    /// the claim until they commit, so a node taking the organization over waits for
    /// them. `None` (a single node, or SQLite): no check.
    pub fn held_by(&self, holder: Option<crate::cluster::NodeLease>) -> Store {
        Store {
            holder,
            ..self.clone()
        }
    }

    /// The node run this store's fenced writes check, if any.
    pub fn holder(&self) -> Option<&crate::cluster::NodeLease> {
        self.holder.as_ref()
    }

    /// Whether the queue writes outbox entries, and how the relay hears of them.
    pub fn task_outbox(&self) -> Option<&std::sync::Arc<tokio::sync::Notify>> {
        self.outbox.as_ref()
    }

    /// The time as this store keeps it (see [`Clock`]).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The store's clock, to share with what compares times against the store's rows.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Connects without migrating. Fails at once when the database cannot be reached.
    pub async fn connect(options: &ConnectOptions) -> Result<Store, StoreError> {
        let url = options.url.as_str();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // A transaction left open by a frozen process (paused, starved, its host
            // suspended) holds its row locks until the server ends it: after 10 s idle
            // in a transaction the session is closed, so a frozen cluster node cannot
            // keep the others from taking its organizations over. No transaction of
            // ours waits on anything but the database.
            let connect = PgConnectOptions::from_str(url)
                .map_err(|error| StoreError::Config(error.to_string()))?
                .options([("idle_in_transaction_session_timeout", "10000")]);
            // One direct connection first: a pool that cannot connect only reports that
            // it timed out, hiding the cause (refused, unknown host, bad password, ...).
            let probe = tokio::time::timeout(
                options.acquire_timeout,
                PgConnection::connect_with(&connect),
            )
            .await
            .map_err(|_| {
                StoreError::Config(format!("no answer within {:?}", options.acquire_timeout))
            })??;
            probe.close().await?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect.clone())
                .await?;
            // Connected when first used; a third of the connections (the pipeline's
            // derived writes are few statements each).
            let relaxed = PgPoolOptions::new()
                .max_connections(options.max_connections.div_ceil(3).max(2))
                .acquire_timeout(options.acquire_timeout)
                .connect_lazy_with(connect.options([("synchronous_commit", "off")]));
            Ok(Store {
                clock: Clock::default(),
                pools: Pools::Postgres(pool),
                outbox: None,
                holder: None,
                relaxed: Some(relaxed),
            })
        } else if url.starts_with("sqlite:") {
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(StoreError::Config(
                    "in-memory SQLite is not supported; give a file path such as sqlite://data/companyos.db".into(),
                ));
            }
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|error| StoreError::Config(error.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(parent) = connect.get_filename().parent()
                && !parent.as_os_str().is_empty()
                && !parent.exists()
            {
                std::fs::create_dir_all(parent).map_err(|error| {
                    StoreError::Config(format!(
                        "cannot create directory {}: {error}",
                        parent.display()
                    ))
                })?;
            }
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(options.acquire_timeout.max(Duration::from_secs(30)))
                .connect_with(connect.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect.read_only(true))
                .await?;
            Ok(Store {
                clock: Clock::default(),
                pools: Pools::Sqlite { read, write },
                outbox: None,
                holder: None,
                relaxed: None,
            })
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL {:?}: expected postgres://… or sqlite://…",
                redact_url(url)
            )))
        }
    }

    /// Connects and applies every pending migration.
    pub async fn open(options: &ConnectOptions) -> Result<Store, StoreError> {
        let store = Store::connect(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Postgres(_) => Backend::Postgres,
            Pools::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// Applies every migration this build carries that the database lacks.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
            Pools::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
        }
        Ok(())
    }

    /// Ready means: the database answers, and every migration of this build is applied
    /// successfully. Returns the number of applied migrations.
    pub async fn check_ready(&self) -> Result<usize, StoreError> {
        let migrator = match self.backend() {
            Backend::Postgres => &POSTGRES_MIGRATIONS,
            Backend::Sqlite => &SQLITE_MIGRATIONS,
        };
        let applied: Vec<(i64,)> = reader!(self, |pool| {
            sqlx::query_as(
                "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
            )
            .fetch_all(pool)
            .await
        })
        .map_err(|error| match error {
            // The table is missing: nothing was ever migrated.
            StoreError::Db(sqlx::Error::Database(_)) => {
                StoreError::Config("migrations have not been applied".into())
            }
            other => other,
        })?;
        let missing: Vec<i64> = migrator
            .iter()
            .map(|migration| migration.version)
            .filter(|version| !applied.iter().any(|(applied,)| applied == version))
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::Config(format!(
                "migrations not applied: {missing:?}"
            )));
        }
        Ok(applied.len())
    }

    /// Writes a consistent copy of the embedded SQLite database to `to` (which must not
    /// exist) while the node may keep running: SQLite's `VACUUM INTO`, one read
    /// transaction, the copy compacted. On PostgreSQL the server's own tools do this
    /// (`pg_dump`), and this says so.
    pub async fn backup_to(&self, to: &std::path::Path) -> Result<(), StoreError> {
        let Pools::Sqlite { read, .. } = &self.pools else {
            return Err(StoreError::Config(
                "backup copies the embedded SQLite database; for PostgreSQL use pg_dump --format=custom --file=<file> <database.url>, and pg_restore to restore".into(),
            ));
        };
        let path = to
            .to_str()
            .ok_or_else(|| StoreError::Config(format!("{} is not a UTF-8 path", to.display())))?;
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(read)
            .await?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        if let Some(relaxed) = &self.relaxed {
            relaxed.close().await;
        }
        match &self.pools {
            Pools::Postgres(pool) => pool.close().await,
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
        }
    }

    /// The PostgreSQL pool, for the few callers (benches, tests) that need raw SQL.
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pools {
            Pools::Postgres(pool) => Some(pool),
            Pools::Sqlite { .. } => None,
        }
    }

    /// The SQLite writer pool, for the few callers (benches, tests) that need raw SQL.
    pub fn sqlite_write_pool(&self) -> Option<&SqlitePool> {
        match &self.pools {
            Pools::Sqlite { write, .. } => Some(write),
            Pools::Postgres(_) => None,
        }
    }
}

/// The URL with any password replaced, fit for an error message or a log line.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((credentials, host)) => match credentials.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:secret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
