//! Search embeddings (migration 0014): one vector per search document, written by the
//! node that hosts its organization, read by whichever node answers a search. A vector
//! is stale when its document changed after it or was embedded by another model; a
//! deleted document takes its vector with it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::Store;
use crate::enums::SearchKind;
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::search::SearchHit;

/// The most characters of a document's body shown for a hit found by meaning alone.
const SNIPPET_CHARS: u32 = 240;

/// A document waiting for its vector.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct PendingDocument {
    pub kind: SearchKind,
    pub resource_id: Uuid,
    pub title: String,
    pub body: String,
}

impl PendingDocument {
    /// What is embedded: the title, then the body.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }
}

/// A stored vector.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredVector {
    pub kind: SearchKind,
    pub resource_id: Uuid,
    pub vector: Vec<f32>,
    pub embedded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct VectorRow {
    kind: SearchKind,
    resource_id: Uuid,
    vector: Vec<u8>,
    embedded_at: DateTime<Utc>,
}

/// `vector` as little-endian f32 bytes.
pub fn vector_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Bytes written by [`vector_bytes`] as the vector (`None` when they cannot be one).
pub fn bytes_vector(bytes: &[u8]) -> Option<Vec<f32>> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect(),
    )
}

pub struct Embeddings<'a> {
    store: &'a Store,
}

impl Embeddings<'_> {
    /// At most `limit` documents of `org` among `kinds` that have no vector of `model`,
    /// or whose vector is older than the document; newest first.
    pub async fn pending(
        &self,
        org: OrgId,
        model: &str,
        kinds: &[SearchKind],
        limit: u32,
    ) -> Result<Vec<PendingDocument>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "SELECT d.kind, d.resource_id, d.title, d.body
             FROM search_documents d
             LEFT JOIN search_embeddings e ON e.kind = d.kind AND e.resource_id = d.resource_id
             WHERE d.organization_id = $1 AND d.kind IN ({})
               AND (e.resource_id IS NULL OR e.model <> $2 OR e.source_updated_at <> d.updated_at)
             ORDER BY d.updated_at DESC LIMIT $3",
            placeholders.join(", ")
        );
        reader!(self.store, |pool| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(org)
                .bind(model)
                .bind(i64::from(limit));
            for kind in kinds {
                query = query.bind(*kind);
            }
            query.fetch_all(pool).await
        })
    }

    /// Keeps `vector` (of `model`) as the vector of `document`, unless the document changed
    /// since it was read (then it stays pending) or is gone. Whether it was kept.
    pub async fn save(
        &self,
        org: OrgId,
        document: &PendingDocument,
        model: &str,
        vector: &[f32],
    ) -> Result<bool, StoreError> {
        if vector.is_empty() || vector.iter().any(|x| !x.is_finite()) {
            return Err(StoreError::Invalid {
                field: "vector",
                reason: "empty or not finite".into(),
            });
        }
        let bytes = vector_bytes(vector);
        let written = writer!(self.store, |pool| {
            sqlx::query(
                "INSERT INTO search_embeddings (kind, resource_id, organization_id, model, vector,
                        source_updated_at, embedded_at)
                 SELECT d.kind, d.resource_id, d.organization_id, $4, $5, d.updated_at, $6
                 FROM search_documents d
                 WHERE d.kind = $1 AND d.resource_id = $2 AND d.organization_id = $3
                   AND d.title = $7 AND d.body = $8
                 ON CONFLICT (kind, resource_id) DO UPDATE SET
                        model = excluded.model, vector = excluded.vector,
                        source_updated_at = excluded.source_updated_at,
                        embedded_at = excluded.embedded_at",
            )
            .bind(document.kind)
            .bind(document.resource_id)
            .bind(org)
            .bind(model)
            .bind(&bytes)
            .bind(self.store.now())
            .bind(&document.title)
            .bind(&document.body)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(written > 0)
    }

    /// The vectors of `model` for `org`'s documents embedded at or after `since` (all of
    /// them without), oldest first.
    pub async fn vectors(
        &self,
        org: OrgId,
        model: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredVector>, StoreError> {
        let rows: Vec<VectorRow> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT kind, resource_id, vector, embedded_at FROM search_embeddings
                 WHERE organization_id = $1 AND model = $2 AND ($3 IS NULL OR embedded_at >= $3)
                 ORDER BY embedded_at",
            )
            .bind(org)
            .bind(model)
            .bind(since)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(StoredVector {
                    kind: row.kind,
                    resource_id: row.resource_id,
                    vector: bytes_vector(&row.vector)?,
                    embedded_at: row.embedded_at,
                })
            })
            .collect())
    }

    /// How many documents of `org` have a vector of `model`.
    pub async fn count(&self, org: OrgId, model: &str) -> Result<i64, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM search_embeddings WHERE organization_id = $1 AND model = $2",
            )
            .bind(org)
            .bind(model)
            .fetch_one(pool)
            .await
        })
    }

    /// `org`'s documents among `keys` as hits (rank 0, the body's start as the snippet),
    /// in no particular order; those that are gone are left out.
    pub async fn documents(
        &self,
        org: OrgId,
        keys: &[(SearchKind, Uuid)],
    ) -> Result<Vec<SearchHit>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(200) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT kind, resource_id, title, substr(body, 1, {SNIPPET_CHARS}) AS snippet,
                        CAST(0 AS DOUBLE PRECISION) AS rank, updated_at
                 FROM search_documents WHERE organization_id = $1 AND resource_id IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<SearchHit> = reader!(self.store, |pool| {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org);
                for (_, id) in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(pool).await
            })?;
            found.extend(
                rows.into_iter()
                    .filter(|hit| chunk.contains(&(hit.kind, hit.resource_id))),
            );
        }
        Ok(found)
    }
}

impl Store {
    pub fn embeddings(&self) -> Embeddings<'_> {
        Embeddings { store: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_their_bytes() {
        let vector = vec![0.25, -1.5, f32::MIN_POSITIVE, 3.0e7];
        assert_eq!(bytes_vector(&vector_bytes(&vector)), Some(vector));
        assert_eq!(bytes_vector(&[1, 2, 3]), None);
        assert_eq!(bytes_vector(&[]), None);
    }
}
