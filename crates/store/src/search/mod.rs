//! Search: full-text over the documents the triggers of migration 0013 keep — events,
//! pull requests, review findings, deployments, design components and social posts —
//! of one organization. A query is read as words (anything else is ignored), all of
//! which must match, the last one also as a prefix (so that a search box finds as the
//! person types).
//!
//! The database finds the matches inside the organization (migration 0015 names the
//! organization in the full-text index: a lexeme of PostgreSQL's GIN-indexed
//! `tsvector`, a token of SQLite's FTS5 `scope` column) and reads the newest
//! [`RANKED_CANDIDATES`] of them; [`rank`] scores those with BM25 and cuts the snippets,
//! the same on both databases. A word in most of an organization's documents so costs
//! a search what a rarer one does, at the price of ranking only its newest matches.

mod rank;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::{Pools, Store};
use crate::enums::SearchKind;
use crate::error::StoreError;
use crate::ids::OrgId;

/// The most hits one search returns.
pub const MAX_SEARCH_HITS: u32 = 50;
/// How many of the newest matching documents a search ranks.
pub const RANKED_CANDIDATES: i64 = 200;
/// How much of a document's body (in characters) is read to rank it and cut its snippet.
const BODY_READ: i32 = 4000;
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

/// An organization's token in the full-text index (migration 0015): 'o' and its id's
/// 32 hex digits.
fn organization_token(org: OrgId) -> String {
    format!("o{}", org.0.simple())
}

/// The words as an FTS5 query inside `org` (and `kind`): the `scope` column's tokens,
/// then the words in the title or body, each quoted, the last also as a prefix.
fn fts_query(org: OrgId, kind: Option<SearchKind>, words: &[String]) -> String {
    let last = words.len() - 1;
    let words = words
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
        .join(" ");
    let kind = kind
        .map(|kind| format!(" \"k{}\"", kind.as_str().replace('_', "")))
        .unwrap_or_default();
    format!(
        "scope : (\"{}\"{kind}) AND {{title body}} : ({words})",
        organization_token(org)
    )
}

/// A document that matched, to be ranked.
#[derive(sqlx::FromRow)]
struct Candidate {
    kind: SearchKind,
    resource_id: Uuid,
    title: String,
    body: String,
    updated_at: DateTime<Utc>,
}

/// The newest matches inside the organization: the GIN index answers for the
/// organization's lexeme and the words together (an empty query — stop words only —
/// matches nothing), newest first; the organization is checked again on the row. Each
/// search is planned with its words (an unnamed statement), since how many documents a
/// word matches decides between reading the index's matches and reading the newest
/// documents until enough match.
const CANDIDATES_POSTGRES: &str = "
    SELECT c.kind, c.resource_id, c.title, c.body, c.updated_at
    FROM (
        SELECT organization_id, kind, resource_id, title, left(body, $6) AS body, updated_at
        FROM search_documents
        WHERE tsv @@ (to_tsquery('english', $2) && CAST($3 AS tsquery))
          AND numnode(to_tsquery('english', $2)) > 0
          AND ($4::text IS NULL OR kind = $4)
        ORDER BY updated_at DESC LIMIT $5
    ) c
    WHERE c.organization_id = $1";

/// The newest matches inside the organization (and kind): FTS5 matches the `scope`
/// tokens and the words together, newest document first; the organization is checked
/// again on the row.
const CANDIDATES_SQLITE: &str = "
    SELECT d.kind, d.resource_id, d.title, substr(d.body, 1, $4) AS body, d.updated_at
    FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH $2 ORDER BY rowid DESC LIMIT $3) c
    JOIN search_documents d ON d.rowid = c.rowid
    WHERE d.organization_id = $1";

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
        let limit = limit.clamp(1, MAX_SEARCH_HITS) as usize;
        let candidates: Vec<Candidate> = match &self.store.pools {
            Pools::Postgres(pool) => {
                sqlx::query_as(CANDIDATES_POSTGRES)
                    .persistent(false)
                    .bind(org)
                    .bind(ts_query(&words))
                    .bind(organization_token(org))
                    .bind(kind)
                    .bind(RANKED_CANDIDATES)
                    .bind(BODY_READ)
                    .fetch_all(pool)
                    .await
            }
            Pools::Sqlite { read, .. } => {
                sqlx::query_as(CANDIDATES_SQLITE)
                    .bind(org)
                    .bind(fts_query(org, kind, &words))
                    .bind(RANKED_CANDIDATES)
                    .bind(BODY_READ)
                    .fetch_all(read)
                    .await
            }
        }?;
        let terms = rank::Terms::new(&words);
        let texts: Vec<(&str, &str)> = candidates
            .iter()
            .map(|candidate| (candidate.title.as_str(), candidate.body.as_str()))
            .collect();
        let scores = rank::scores(&terms, &texts);
        let mut ranked: Vec<(f64, &Candidate)> = scores.into_iter().zip(&candidates).collect();
        ranked.sort_by(|(a, first), (b, second)| {
            b.total_cmp(a)
                .then_with(|| second.updated_at.cmp(&first.updated_at))
        });
        Ok(ranked
            .into_iter()
            .take(limit)
            .map(|(rank, candidate)| SearchHit {
                kind: candidate.kind,
                resource_id: candidate.resource_id,
                title: candidate.title.clone(),
                snippet: rank::snippet(&terms, &candidate.body),
                rank,
                updated_at: candidate.updated_at,
            })
            .collect())
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
        let org = OrgId(Uuid::from_u128(0xab));
        assert_eq!(
            fts_query(org, None, &words),
            "scope : (\"o000000000000000000000000000000ab\") AND {title body} : (\"fix\" \"login\"*)"
        );
        assert_eq!(
            fts_query(org, Some(SearchKind::PullRequest), &words[..1]),
            "scope : (\"o000000000000000000000000000000ab\" \"kpullrequest\") AND {title body} : (\"fix\"*)"
        );
    }
}
