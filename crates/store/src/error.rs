//! `StoreError`: every way a store operation can fail, in one enum.

use uuid::Uuid;

/// Every error of the store. The edge maps these to HTTP statuses in one place.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row that should exist for this organization does not (or belongs to another one).
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },

    /// A unique key is already taken (an email, a slug, an agent name, ...).
    #[error("{entity} already exists: {detail}")]
    Conflict { entity: String, detail: String },

    /// A value broke a rule the schema or the domain enforces (a priority outside 1–10,
    /// a foreign key to nothing, ...). The message names the field.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    /// A string read from the database is not one of the enum's values: the data is
    /// corrupt or was written by a newer version. Never silently mapped to a default.
    #[error("invalid {type_name} value {value:?} read from the database")]
    InvalidEnum {
        type_name: &'static str,
        value: String,
    },

    /// The task's state does not allow the operation (approving a running task, ...).
    #[error("task {task_id} is {status}; cannot {operation}")]
    InvalidTaskState {
        task_id: Uuid,
        status: String,
        operation: &'static str,
    },

    /// The caller's lease on a task expired or was taken over: its result is refused.
    #[error("lease on task {0} was lost (expired, reclaimed or cancelled)")]
    LeaseLost(Uuid),

    /// In cluster mode, a write made for an organization this node's run no longer
    /// holds (its membership passed, or another node claimed it): refused, so a node
    /// that wakes from a pause commits nothing stale.
    #[error("organization {0} is no longer run by this node")]
    NotHeld(Uuid),

    /// A membership change the organization's rules refuse (its last owner leaving).
    #[error("{0}")]
    MembershipRefused(crate::organizations::MembershipRefusal),

    /// The database refused a row by one of its own rules (a reference to nothing, a
    /// check, a missing value) that the domain did not catch first. `detail` is the
    /// database's words, for the log: they name its tables and constraints.
    #[error("the database refused the row ({rule:?}): {detail}")]
    Refused { rule: DbRule, detail: String },

    /// A pagination cursor that this store did not produce.
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),

    /// The database URL or options are unusable.
    #[error("invalid database configuration: {0}")]
    Config(String),

    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error(transparent)]
    Db(sqlx::Error),
}

impl StoreError {
    pub(crate) fn not_found(entity: &'static str, id: impl std::fmt::Display) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// True when the database itself is unreachable or refused the connection, as
    /// opposed to a query that failed.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
            )
        )
    }
}

/// What a fenced write's check raises inside a query's body (see `fenced_writer!`),
/// turned into [`StoreError::NotHeld`] on the way out.
#[derive(Debug, thiserror::Error)]
#[error("organization {0} is no longer run by this node")]
pub(crate) struct NotHeldMarker(pub Uuid);

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Decode(source) = &error
            && let Some(NotHeldMarker(org)) = source.downcast_ref::<NotHeldMarker>()
        {
            return StoreError::NotHeld(*org);
        }
        if let sqlx::Error::ColumnDecode { source, .. } = &error
            && let Some(invalid) = source.downcast_ref::<InvalidEnumValue>()
        {
            return StoreError::InvalidEnum {
                type_name: invalid.type_name,
                value: invalid.value.clone(),
            };
        }
        if let sqlx::Error::Database(db_error) = &error {
            let detail = match db_error.constraint() {
                Some(constraint) => format!("{} ({constraint})", db_error.message()),
                None => db_error.message().to_owned(),
            };
            match db_error.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    let entity = db_error.table().unwrap_or("row").to_owned();
                    return StoreError::Conflict { entity, detail };
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::Refused {
                        rule: DbRule::Reference,
                        detail,
                    };
                }
                sqlx::error::ErrorKind::CheckViolation => {
                    return StoreError::Refused {
                        rule: DbRule::Check,
                        detail,
                    };
                }
                sqlx::error::ErrorKind::NotNullViolation => {
                    return StoreError::Refused {
                        rule: DbRule::Required,
                        detail,
                    };
                }
                _ => {}
            }
        }
        StoreError::Db(error)
    }
}

/// Which of the database's own rules refused a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbRule {
    /// A reference to a row that does not exist.
    Reference,
    /// A value outside what a column allows.
    Check,
    /// A value that must be given.
    Required,
}

/// The decode error behind [`StoreError::InvalidEnum`].
#[derive(Debug, thiserror::Error)]
#[error("invalid {type_name} value {value:?}")]
pub struct InvalidEnumValue {
    pub type_name: &'static str,
    pub value: String,
}
