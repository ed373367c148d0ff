//! `reader!` and `writer!`: run one query text on whichever backend the store has.
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
