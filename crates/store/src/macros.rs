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

/// `writer!` for a write about organization `$org` that must be fenced (see
/// [`crate::Store::held_by`]): without a holder the body runs on the pool as it is;
/// with one, in a transaction that first checks (and share-locks) the holder's claim
/// and fails with `StoreError::NotHeld` when it no longer holds the organization.
/// `$conn` is the executor the body's one query runs on.
macro_rules! fenced_writer {
    ($store:expr, $org:expr, |$conn:ident| $body:expr) => {{
        let org: $crate::ids::OrgId = $org;
        writer!($store, |pool| {
            async {
                match $store.holder() {
                    None => {
                        let $conn = pool;
                        $body
                    }
                    Some(holder) => {
                        let mut tx = pool.begin().await?;
                        hold!(tx, org, holder);
                        let $conn = &mut *tx;
                        let value = $body?;
                        tx.commit().await?;
                        Ok(value)
                    }
                }
            }
            .await
        })
    }};
}

/// Inside a transaction `$tx`: fails the body with `StoreError::NotHeld` unless
/// `$holder` (a `NodeLease`) holds organization `$org` now, share-locking the claim
/// until the transaction ends (PostgreSQL only: a holder exists only in cluster mode).
macro_rules! hold {
    ($tx:ident, $org:expr, $holder:expr) => {{
        let held: Option<($crate::ids::OrgId,)> =
            sqlx::query_as(sqlx::AssertSqlSafe($crate::cluster::HOLD.as_str()))
                .bind($org)
                .bind(&$holder.node)
                .bind($holder.epoch)
                .fetch_optional(&mut *$tx)
                .await?;
        if held.is_none() {
            return Err(sqlx::Error::Decode(Box::new($crate::error::NotHeldMarker(
                $org.0,
            ))));
        }
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
