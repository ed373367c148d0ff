//! Keyset pagination: lists are ordered newest first by `(created_at, id)` and a cursor
//! is the last row's key, so a page is stable while rows are being added.

use chrono::{DateTime, TimeZone, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Postgres, Sqlite};
use uuid::Uuid;

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::OrgId;

/// The most rows one page may hold.
pub const MAX_PAGE_SIZE: u32 = 200;

/// The key of the last row of a page: where the next page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// An opaque string for clients: `<microseconds since epoch>.<uuid>`.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        )
    }

    pub fn decode(text: &str) -> Result<Cursor, StoreError> {
        let invalid =
            || StoreError::InvalidCursor(format!("{text:?} is not a cursor returned by this API"));
        let (micros, id) = text.split_once('.').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let created_at = Utc.timestamp_micros(micros).single().ok_or_else(invalid)?;
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(Cursor { created_at, id })
    }
}

/// Which page to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: 50,
            after: None,
        }
    }
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        PageRequest { limit, after: None }
    }

    /// The limit to put in SQL: one more than the page, to learn whether another follows.
    pub(crate) fn sql_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, MAX_PAGE_SIZE)) + 1
    }

    pub(crate) fn after_created_at(&self) -> Option<DateTime<Utc>> {
        self.after.map(|cursor| cursor.created_at)
    }

    pub(crate) fn after_id(&self) -> Option<Uuid> {
        self.after.map(|cursor| cursor.id)
    }
}

/// The most ids one batched read takes (far below both backends' bind limits).
pub const MAX_BATCH: usize = 500;

/// Rows of `table` with these ids, of organization `org` only, in no particular order:
/// the batched read behind each repository's `get_many`. Ids that are unknown or of
/// another organization are left out.
pub(crate) async fn rows_by_ids<T, I>(
    store: &Store,
    table: &'static str,
    org: OrgId,
    ids: &[I],
) -> Result<Vec<T>, StoreError>
where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, PgRow> + for<'r> sqlx::FromRow<'r, SqliteRow>,
    I: Copy
        + Send
        + Sync
        + 'static
        + for<'q> sqlx::Encode<'q, Postgres>
        + sqlx::Type<Postgres>
        + for<'q> sqlx::Encode<'q, Sqlite>
        + sqlx::Type<Sqlite>,
{
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_BATCH) {
        // `$2, $3, …`: both backends take numbered placeholders.
        let placeholders: Vec<String> = (2..chunk.len() + 2)
            .map(|index| format!("${index}"))
            .collect();
        let sql = format!(
            "SELECT * FROM {table} WHERE organization_id = $1 AND id IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<T> = reader!(store, |pool| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org);
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await
        })?;
        found.extend(rows);
    }
    Ok(found)
}

/// One page of rows, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more rows follow.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` rows fetched in order.
    pub(crate) fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> Cursor,
    ) -> Page<T> {
        let limit = request.limit.clamp(1, MAX_PAGE_SIZE) as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(key)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            created_at: crate::db::now(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        for garbage in [
            "",
            "abc",
            "12.not-a-uuid",
            "x.0190b1a2b3c4d5e6f708192a3b4c5d6e",
        ] {
            assert!(Cursor::decode(garbage).is_err(), "{garbage:?} accepted");
        }
    }
}
