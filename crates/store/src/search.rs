//! Search: full-text over the documents the triggers of migration 0013 keep — events,
//! pull requests, review findings, deployments, design components and social posts —
//! of one organization. PostgreSQL ranks with `ts_rank` over a GIN-indexed `tsvector`;
//! SQLite with FTS5's `bm25`. A query is read as words (anything else is ignored), all
//! of which must match, the last one also as a prefix (so that a search box finds as
//! the person types).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::{Backend, Store};
use crate::enums::SearchKind;
use crate::error::StoreError;
use crate::ids::OrgId;

/// The most hits one search returns.
pub const MAX_SEARCH_HITS: u32 = 50;
/// The most words of a query that are searched for.
const MAX_WORDS: usize = 12;

/// One document found.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub resource_id: Uuid,
    pub title: String,
    /// Where the body matched, the matches between « and ».
    pub snippet: String,
    /// Higher is better; comparable within one search only.
    pub rank: f64,
    pub updated_at: DateTime<Utc>,
}

/// A query as the words it searches for: letters and digits, lowercased, at most
/// twelve; `None` when there are none.
pub fn query_words(query: &str) -> Option<Vec<String>> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_WORDS)
        .map(str::to_lowercase)
        .collect();
    (!words.is_empty()).then_some(words)
}

/// The words as a PostgreSQL `tsquery`: all of them, the last also as a prefix.
fn ts_query(words: &[String]) -> String {
    let mut parts: Vec<String> = words.iter().map(|word| word.to_owned()).collect();
    if let Some(last) = parts.last_mut() {
        last.push_str(":*");
    }
    parts.join(" & ")
}

/// The words as an FTS5 query: each quoted, all of them, the last also as a prefix.
fn fts_query(words: &[String]) -> String {
    let last = words.len() - 1;
    words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            if i == last {
                format!("\"{word}\"*")
            } else {
                format!("\"{word}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const SEARCH_POSTGRES: &str = "
    SELECT d.kind, d.resource_id, d.title,
           ts_headline('english', d.body, q, 'MaxWords=24, MinWords=8, StartSel=«, StopSel=», MaxFragments=1, FragmentDelimiter=…') AS snippet,
           d.rank, d.updated_at
    FROM (
        SELECT s.kind, s.resource_id, s.title, s.body, s.updated_at,
               CAST(ts_rank(s.tsv, q) AS DOUBLE PRECISION) AS rank
        FROM search_documents s, to_tsquery('english', $2) q
        WHERE s.organization_id = $1 AND s.tsv @@ q AND ($3 IS NULL OR s.kind = $3)
        ORDER BY rank DESC, s.updated_at DESC LIMIT $4
    ) d, to_tsquery('english', $2) q
    ORDER BY d.rank DESC, d.updated_at DESC";

const SEARCH_SQLITE: &str = "
    SELECT d.kind, d.resource_id, d.title,
           snippet(search_fts, 1, '«', '»', '…', 16) AS snippet,
           -bm25(search_fts, 10.0, 1.0) AS rank, d.updated_at
    FROM search_fts JOIN search_documents d ON d.rowid = search_fts.rowid
    WHERE search_fts MATCH $2 AND d.organization_id = $1 AND ($3 IS NULL OR d.kind = $3)
    ORDER BY bm25(search_fts, 10.0, 1.0), d.updated_at DESC LIMIT $4";

pub struct Search<'a> {
    store: &'a Store,
}

impl Search<'_> {
    /// The best `limit` (1–50) documents of `org` matching `query`, of `kind` when given,
    /// best first. A query with no words finds nothing.
    pub async fn find(
        &self,
        org: OrgId,
        query: &str,
        kind: Option<SearchKind>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some(words) = query_words(query) else {
            return Ok(Vec::new());
        };
        let limit = i64::from(limit.clamp(1, MAX_SEARCH_HITS));
        let (sql, text) = match self.store.backend() {
            Backend::Postgres => (SEARCH_POSTGRES, ts_query(&words)),
            Backend::Sqlite => (SEARCH_SQLITE, fts_query(&words)),
        };
        reader!(self.store, |pool| {
            sqlx::query_as(sql)
                .bind(org)
                .bind(&text)
                .bind(kind)
                .bind(limit)
                .fetch_all(pool)
                .await
        })
    }

    /// How many documents `org` has, by kind.
    pub async fn count(&self, org: OrgId) -> Result<Vec<(SearchKind, i64)>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT kind, COUNT(*) FROM search_documents WHERE organization_id = $1
                 GROUP BY kind ORDER BY kind",
            )
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }
}

impl Store {
    pub fn search(&self) -> Search<'_> {
        Search { store: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_its_words_and_nothing_else() {
        assert_eq!(query_words("  "), None);
        assert_eq!(query_words("\"*:&|()"), None);
        assert_eq!(
            query_words("Deploy: web-app's \"login\" OR *"),
            Some(
                vec!["deploy", "web", "app", "s", "login", "or"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )
        );
        let words = query_words("fix login").expect("words");
        assert_eq!(ts_query(&words), "fix & login:*");
        assert_eq!(fts_query(&words), "\"fix\" \"login\"*");
    }
}
