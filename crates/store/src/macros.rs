//! `reader!` and `writer!`: run one query text on whichever backend the store has; and
//! `put_back_lapsed!`, the one rule for a task whose lease lapsed.
//!
//! The body is written once and compiled twice, once per backend, with `$pool` bound
//! to that backend's pool. It evaluates to `Result<T, sqlx::Error>`; the macro turns it
//! into `Result<T, StoreError>`. Writes go through `writer!` so that SQLite sees one
//! writer at a time.

macro_rules! reader {
    ($store:expr, |$pool:ident| $body:expr) => {{
        let result: ::std::result::Result<_, ::sqlx::Error> = match &$store.pools {
            $crate::db::Pools::Postgres($pool) => $body,
            $crate::db::Pools::Sqlite { read: $pool, .. } => $body,
        };
        result.map_err($crate::error::StoreError::from)
    }};
}

macro_rules! writer {
    ($store:expr, |$pool:ident| $body:expr) => {{
        let result: ::std::result::Result<_, ::sqlx::Error> = match &$store.pools {
            $crate::db::Pools::Postgres($pool) => $body,
            $crate::db::Pools::Sqlite { write: $pool, .. } => $body,
        };
        result.map_err($crate::error::StoreError::from)
    }};
}

/// The `SET` list that puts an in-progress task back as a lapsed lease: pending to run
/// again, or failed when its attempts are spent. `$1` is the time, `$2` the reason.
/// Shared by the queue's reclaim of expired leases and by a cluster takeover.
macro_rules! put_back_lapsed {
    () => {
        "status = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
         retry_count = CASE WHEN attempt >= max_attempts THEN retry_count ELSE retry_count + 1 END,
         completed_at = CASE WHEN attempt >= max_attempts THEN $1 ELSE NULL END,
         error_message = $2,
         run_after = $1, lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $1"
    };
}
