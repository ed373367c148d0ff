//! Search by meaning beside search by words, when an embeddings endpoint is configured
//! (`search.embeddings_url`).
//!
//! **Indexing.** The node embeds the search documents of the organizations it hosts
//! (in cluster mode, each organization's owner): every `interval`, for each hosted
//! organization, the newest documents without a current vector, in batches of
//! [`MAX_BATCH`], into `search_embeddings` (migration 0014). A batch the endpoint
//! refuses is tried document by document, and a document refused alone is left out
//! until the node restarts (logged); a rate limit or an unreachable endpoint waits for
//! the next round. Vectors are stored unit length, so similarity is a dot product.
//!
//! **Searching.** Whichever node answers keeps the vectors of the organizations asked
//! about in memory (loaded from the database on the first search, then only what was
//! embedded since; dropped after ten idle minutes) and compares the query's vector with
//! each, exhaustively — exact; BENCHMARKS.md has the time of a scan of 100,000
//! documents. Candidates below `min_similarity` are not matches. The two lists — the
//! full-text hits and the nearest documents — are fused by reciprocal rank (k = 60):
//! a document found both ways comes first, and one found by meaning alone can appear
//! although none of its words were typed. When the query cannot be embedded, the
//! answer is full-text alone and says so.
//!
//! pgvector is not used: it is an extension the database server may not have, and the
//! vectors are few per organization.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use companyos_integrations::llm::LlmError;
use companyos_integrations::llm::embeddings::{Embedder, MAX_BATCH};
use companyos_store::{
    MAX_SEARCH_HITS, OrgId, PendingDocument, SearchHit, SearchKind, Store, StoreError,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Counted as documents are embedded (`outcome`: embedded, refused, failed).
pub const EMBEDDINGS_TOTAL: &str = "companyos_search_embeddings_total";

/// Reciprocal rank fusion's constant: how little a first place outweighs a tenth.
const FUSION_K: f64 = 60.0;
/// An organization's vectors are dropped from memory after this long without a search.
const IDLE_INDEX: Duration = Duration::from_secs(600);
/// Query vectors remembered (a search box sends the same words again and again).
const QUERY_CACHE: usize = 512;

/// How search by meaning runs.
#[derive(Clone, Debug)]
pub struct SemanticSettings {
    pub embeddings: companyos_integrations::llm::embeddings::EmbeddingsConfig,
    /// The kinds of documents embedded (events are many and machine-written: not by
    /// default).
    pub kinds: Vec<SearchKind>,
    /// How often the indexer looks for documents without a vector.
    pub interval: Duration,
    /// The least cosine similarity of a match by meaning (0–1).
    pub min_similarity: f32,
}

impl SemanticSettings {
    /// Every kind but events.
    pub fn default_kinds() -> Vec<SearchKind> {
        vec![
            SearchKind::PullRequest,
            SearchKind::Finding,
            SearchKind::Deployment,
            SearchKind::Component,
            SearchKind::Post,
        ]
    }
}

/// How a document was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    Words,
    Meaning,
    Both,
}

/// How a search was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchMode {
    /// Full-text: no embeddings endpoint is configured.
    FullText,
    /// Full-text and meaning, fused.
    Hybrid,
    /// Full-text only, because the query could not be embedded now.
    FullTextFallback,
}

/// One document found.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub hit: SearchHit,
    pub matched_by: MatchedBy,
    /// The cosine similarity to the query, when compared by meaning.
    pub similarity: Option<f32>,
}

/// A search's answer, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchOutcome {
    pub mode: SearchMode,
    pub hits: Vec<Found>,
}

/// The answer to a search by words alone.
pub(crate) fn words_only(hits: Vec<SearchHit>, mode: SearchMode) -> SearchOutcome {
    SearchOutcome {
        mode,
        hits: hits
            .into_iter()
            .map(|hit| Found {
                hit,
                matched_by: MatchedBy::Words,
                similarity: None,
            })
            .collect(),
    }
}

#[derive(Default)]
struct OrgVectors {
    /// Where the next refresh starts: the latest `embedded_at` read.
    loaded_until: Option<DateTime<Utc>>,
    vectors: VectorSet,
    used: Option<Instant>,
}

/// Unit vectors of one length, stored one after another (a scan reads memory in
/// order), each with its document.
#[derive(Clone, Debug, Default)]
pub struct VectorSet {
    dimensions: usize,
    keys: Vec<(SearchKind, Uuid)>,
    slots: HashMap<(SearchKind, Uuid), usize>,
    data: Vec<f32>,
}

impl VectorSet {
    /// Keeps `vector` as the document's (replacing an earlier one). A vector of another
    /// length than the first kept is left out: `false`.
    pub fn insert(&mut self, key: (SearchKind, Uuid), vector: &[f32]) -> bool {
        if self.dimensions == 0 {
            self.dimensions = vector.len();
        }
        if vector.len() != self.dimensions || vector.is_empty() {
            return false;
        }
        match self.slots.get(&key) {
            Some(&slot) => {
                self.data[slot * self.dimensions..(slot + 1) * self.dimensions]
                    .copy_from_slice(vector);
            }
            None => {
                self.slots.insert(key, self.keys.len());
                self.keys.push(key);
                self.data.extend_from_slice(vector);
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `limit` vectors most similar to the unit vector `query` (of `kind`, when
    /// given), at least `min_similarity`, most similar first: an exact scan.
    pub fn closest(
        &self,
        query: &[f32],
        kind: Option<SearchKind>,
        min_similarity: f32,
        limit: usize,
    ) -> Vec<((SearchKind, Uuid), f32)> {
        if query.len() != self.dimensions || limit == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = self
            .data
            .chunks_exact(self.dimensions)
            .enumerate()
            .filter(|(slot, _)| kind.is_none_or(|kind| self.keys[*slot].0 == kind))
            .map(|(slot, vector)| (slot, dot(query, vector)))
            .filter(|(_, similarity)| *similarity >= min_similarity)
            .collect();
        let descending = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1);
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, descending);
            scored.truncate(limit);
        }
        scored.sort_by(descending);
        scored
            .into_iter()
            .map(|(slot, similarity)| (self.keys[slot], similarity))
            .collect()
    }
}

/// The node's semantic index (see the module documentation).
pub struct SemanticIndex {
    embedder: Embedder,
    settings: SemanticSettings,
    store: Store,
    orgs: Mutex<HashMap<OrgId, Arc<tokio::sync::Mutex<OrgVectors>>>>,
    queries: Mutex<HashMap<String, Arc<Vec<f32>>>>,
    /// Documents the endpoint refused alone: not sent again.
    refused: Mutex<std::collections::HashSet<(SearchKind, Uuid)>>,
}

impl std::fmt::Debug for SemanticIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SemanticIndex")
            .field("embedder", &self.embedder)
            .finish_non_exhaustive()
    }
}

/// `vector` scaled to unit length (`None` for a zero vector).
pub fn unit(mut vector: Vec<f32>) -> Option<Vec<f32>> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return None;
    }
    for x in &mut vector {
        *x /= norm;
    }
    Some(vector)
}

/// The dot product, in eight running sums (which the compiler can keep in one vector
/// register; a single running sum would have to add in order).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (whole_a, whole_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = whole_a
        .remainder()
        .iter()
        .zip(whole_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in whole_a.zip(whole_b) {
        for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SemanticIndex {
    pub fn new(store: Store, settings: SemanticSettings) -> Result<Self, LlmError> {
        Ok(Self {
            embedder: Embedder::new(settings.embeddings.clone())?,
            settings,
            store,
            orgs: Mutex::default(),
            queries: Mutex::default(),
            refused: Mutex::default(),
        })
    }

    /// Runs the indexer until `stop`, over the organizations `hosted` names each round.
    pub(crate) fn start(
        self: Arc<Self>,
        hosted: impl Fn() -> Vec<OrgId> + Send + 'static,
        stop: CancellationToken,
    ) {
        tokio::spawn(async move {
            loop {
                let mut wait = self.settings.interval;
                for org in hosted() {
                    match self.index(org).await {
                        Ok(_) => {}
                        Err(Pause(Some(longer))) => wait = wait.max(longer),
                        Err(Pause(None)) => {}
                    }
                }
                self.forget_idle();
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        });
    }

    /// Embeds `org`'s documents that have no current vector, until none is left or the
    /// endpoint fails: how many were stored.
    pub async fn index(&self, org: OrgId) -> Result<usize, Pause> {
        let model = self.embedder.model().to_owned();
        let mut stored = 0;
        loop {
            let refused = lock(&self.refused).len();
            let limit = (MAX_BATCH + refused.min(1_000)) as u32;
            let pending = match self
                .store
                .embeddings()
                .pending(org, &model, &self.settings.kinds, limit)
                .await
            {
                Ok(pending) => pending,
                Err(error) => {
                    tracing::warn!(%error, organization = %org, "cannot read the documents to embed");
                    return Err(Pause(None));
                }
            };
            let batch: Vec<PendingDocument> = {
                let refused = lock(&self.refused);
                pending
                    .into_iter()
                    .filter(|document| !refused.contains(&(document.kind, document.resource_id)))
                    .take(MAX_BATCH)
                    .collect()
            };
            if batch.is_empty() {
                return Ok(stored);
            }
            let full = batch.len() == MAX_BATCH;
            stored += self.embed_batch(org, &model, batch).await?;
            if !full {
                return Ok(stored);
            }
        }
    }

    async fn embed_batch(
        &self,
        org: OrgId,
        model: &str,
        batch: Vec<PendingDocument>,
    ) -> Result<usize, Pause> {
        let texts: Vec<String> = batch.iter().map(PendingDocument::text).collect();
        match self.embedder.embed(&texts).await {
            Ok(vectors) => Ok(self.save(org, model, &batch, vectors).await),
            Err(LlmError::BadRequest(reason)) if batch.len() > 1 => {
                tracing::info!(%reason, "the embeddings endpoint refused a batch: sending its documents one by one");
                let mut stored = 0;
                for document in batch {
                    stored += Box::pin(self.embed_batch(org, model, vec![document])).await?;
                }
                Ok(stored)
            }
            Err(LlmError::BadRequest(reason)) => {
                if let Some(document) = batch.first() {
                    tracing::warn!(%reason, kind = %document.kind, id = %document.resource_id, "the embeddings endpoint refused a document: it is searched by its words only");
                    lock(&self.refused).insert((document.kind, document.resource_id));
                }
                metrics::counter!(EMBEDDINGS_TOTAL, "outcome" => "refused").increment(1);
                Ok(0)
            }
            Err(error) => {
                tracing::warn!(%error, organization = %org, "cannot embed search documents now; trying again next round");
                metrics::counter!(EMBEDDINGS_TOTAL, "outcome" => "failed")
                    .increment(batch.len() as u64);
                Err(Pause(error.retry_after()))
            }
        }
    }

    async fn save(
        &self,
        org: OrgId,
        model: &str,
        batch: &[PendingDocument],
        vectors: Vec<Vec<f32>>,
    ) -> usize {
        let mut stored = 0;
        for (document, vector) in batch.iter().zip(vectors) {
            let Some(vector) = unit(vector) else {
                lock(&self.refused).insert((document.kind, document.resource_id));
                continue;
            };
            match self
                .store
                .embeddings()
                .save(org, document, model, &vector)
                .await
            {
                Ok(true) => stored += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "cannot store a search document's vector");
                }
            }
        }
        metrics::counter!(EMBEDDINGS_TOTAL, "outcome" => "embedded").increment(stored as u64);
        stored
    }

    fn forget_idle(&self) {
        let mut orgs = lock(&self.orgs);
        orgs.retain(|_, vectors| {
            vectors.try_lock().map_or(true, |vectors| {
                vectors.used.is_some_and(|used| used.elapsed() < IDLE_INDEX)
            })
        });
    }

    /// The query's vector (remembered).
    async fn query_vector(&self, query: &str) -> Result<Arc<Vec<f32>>, LlmError> {
        if let Some(vector) = lock(&self.queries).get(query) {
            return Ok(vector.clone());
        }
        let vector = self
            .embedder
            .embed(&[query.to_owned()])
            .await?
            .into_iter()
            .next()
            .and_then(unit)
            .ok_or_else(|| LlmError::Malformed("a zero vector for the query".into()))?;
        let vector = Arc::new(vector);
        let mut queries = lock(&self.queries);
        if queries.len() >= QUERY_CACHE {
            queries.clear();
        }
        queries.insert(query.to_owned(), vector.clone());
        Ok(vector)
    }

    /// The `limit` documents of `org` nearest `query` (of `kind`), at least
    /// `min_similarity`, nearest first.
    async fn nearest(
        &self,
        org: OrgId,
        query: &[f32],
        kind: Option<SearchKind>,
        limit: usize,
    ) -> Result<Vec<((SearchKind, Uuid), f32)>, StoreError> {
        let entry = lock(&self.orgs).entry(org).or_default().clone();
        let mut vectors = entry.lock().await;
        let fresh = self
            .store
            .embeddings()
            .vectors(org, self.embedder.model(), vectors.loaded_until)
            .await?;
        for stored in fresh {
            vectors.loaded_until = Some(
                vectors
                    .loaded_until
                    .map_or(stored.embedded_at, |until| until.max(stored.embedded_at)),
            );
            vectors
                .vectors
                .insert((stored.kind, stored.resource_id), &stored.vector);
        }
        vectors.used = Some(Instant::now());
        Ok(vectors
            .vectors
            .closest(query, kind, self.settings.min_similarity, limit))
    }

    /// Searches `org` by words and by meaning, fused (see the module documentation).
    pub async fn search(
        &self,
        org: OrgId,
        query: &str,
        kind: Option<SearchKind>,
        limit: u32,
    ) -> Result<SearchOutcome, StoreError> {
        let words = self
            .store
            .search()
            .find(org, query, kind, MAX_SEARCH_HITS)
            .await?;
        let vector = match self.query_vector(query).await {
            Ok(vector) => vector,
            Err(error) => {
                tracing::warn!(%error, "cannot embed a search query: answering by words only");
                let mut hits = words;
                hits.truncate(limit as usize);
                return Ok(words_only(hits, SearchMode::FullTextFallback));
            }
        };
        let near = self
            .nearest(org, &vector, kind, MAX_SEARCH_HITS as usize)
            .await?;
        let missing: Vec<(SearchKind, Uuid)> = near
            .iter()
            .map(|(key, _)| *key)
            .filter(|key| !words.iter().any(|hit| (hit.kind, hit.resource_id) == *key))
            .collect();
        let documents = self.store.embeddings().documents(org, &missing).await?;
        Ok(SearchOutcome {
            mode: SearchMode::Hybrid,
            hits: fuse(words, &near, documents, limit as usize),
        })
    }
}

/// Why the indexer stopped a round early: the endpoint's requested wait, when it gave
/// one.
#[derive(Debug)]
pub struct Pause(pub Option<Duration>);

/// Reciprocal rank fusion of the hits by words (in their order) and the nearest by
/// meaning (in theirs; `documents` holds those not among the hits by words): the best
/// `limit`, each with how it was found.
fn fuse(
    words: Vec<SearchHit>,
    near: &[((SearchKind, Uuid), f32)],
    documents: Vec<SearchHit>,
    limit: usize,
) -> Vec<Found> {
    let similarity: HashMap<(SearchKind, Uuid), (usize, f32)> = near
        .iter()
        .enumerate()
        .map(|(rank, (key, similarity))| (*key, (rank, *similarity)))
        .collect();
    let score = |word_rank: Option<usize>, near_rank: Option<usize>| {
        word_rank.map_or(0.0, |rank| 1.0 / (FUSION_K + 1.0 + rank as f64))
            + near_rank.map_or(0.0, |rank| 1.0 / (FUSION_K + 1.0 + rank as f64))
    };
    let mut found: Vec<Found> = words
        .into_iter()
        .enumerate()
        .map(|(rank, mut hit)| {
            let by_meaning = similarity.get(&(hit.kind, hit.resource_id)).copied();
            hit.rank = score(Some(rank), by_meaning.map(|(rank, _)| rank));
            Found {
                hit,
                matched_by: if by_meaning.is_some() {
                    MatchedBy::Both
                } else {
                    MatchedBy::Words
                },
                similarity: by_meaning.map(|(_, similarity)| similarity),
            }
        })
        .collect();
    for mut hit in documents {
        let Some((rank, value)) = similarity.get(&(hit.kind, hit.resource_id)).copied() else {
            continue;
        };
        hit.rank = score(None, Some(rank));
        found.push(Found {
            hit,
            matched_by: MatchedBy::Meaning,
            similarity: Some(value),
        });
    }
    found.sort_by(|a, b| {
        b.hit
            .rank
            .total_cmp(&a.hit.rank)
            .then(b.hit.updated_at.cmp(&a.hit.updated_at))
    });
    found.truncate(limit);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: SearchKind, id: u128, title: &str) -> SearchHit {
        SearchHit {
            kind,
            resource_id: Uuid::from_u128(id),
            title: title.into(),
            snippet: String::new(),
            rank: 1.0,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn found_both_ways_comes_first_then_by_either_rank() {
        let pr = |id| (SearchKind::PullRequest, Uuid::from_u128(id));
        let words = vec![
            hit(SearchKind::PullRequest, 1, "by words first"),
            hit(SearchKind::PullRequest, 2, "by words and meaning"),
        ];
        let near = vec![(pr(3), 0.9), (pr(2), 0.8)];
        let documents = vec![hit(SearchKind::PullRequest, 3, "by meaning first")];
        let found = fuse(words, &near, documents, 10);
        let titles: Vec<(&str, MatchedBy)> = found
            .iter()
            .map(|found| (found.hit.title.as_str(), found.matched_by))
            .collect();
        assert_eq!(
            titles,
            vec![
                ("by words and meaning", MatchedBy::Both),
                ("by words first", MatchedBy::Words),
                ("by meaning first", MatchedBy::Meaning),
            ]
        );
        // Equal first places (words and meaning) tie on score; the limit cuts.
        assert_eq!(found[1].hit.rank, found[2].hit.rank);
        assert_eq!(fuse(Vec::new(), &near, Vec::new(), 10), Vec::new());
    }

    #[test]
    fn the_closest_are_found_exactly_and_kinds_kept_apart() {
        let key = |kind, n| (kind, Uuid::from_u128(n));
        let mut set = VectorSet::default();
        for n in 0..20u16 {
            let angle = f32::from(n) * 0.1;
            let kind = if n % 2 == 0 {
                SearchKind::PullRequest
            } else {
                SearchKind::Post
            };
            // Nine dimensions: the eight-lane sums and their remainder both count.
            let mut vector = vec![0.0; 9];
            vector[0] = angle.cos();
            vector[8] = angle.sin();
            assert!(set.insert(key(kind, u128::from(n)), &vector));
        }
        assert!(
            !set.insert(key(SearchKind::Post, 99), &[1.0, 0.0]),
            "another length"
        );
        let query = {
            let mut query = vec![0.0; 9];
            query[0] = 1.0;
            query
        };
        let found = set.closest(&query, None, 0.0, 3);
        let ids: Vec<u128> = found.iter().map(|((_, id), _)| id.as_u128()).collect();
        assert_eq!(ids, vec![0, 1, 2]);
        assert!((found[0].1 - 1.0).abs() < 1e-6);
        let posts = set.closest(&query, Some(SearchKind::Post), 0.0, 2);
        let ids: Vec<u128> = posts.iter().map(|((_, id), _)| id.as_u128()).collect();
        assert_eq!(ids, vec![1, 3]);
        // Replacing a vector moves its document; a threshold cuts the rest.
        set.insert(key(SearchKind::PullRequest, 0), &{
            let mut far = vec![0.0; 9];
            far[8] = 1.0;
            far
        });
        let near = set.closest(&query, None, 0.99, 10);
        let ids: Vec<u128> = near.iter().map(|((_, id), _)| id.as_u128()).collect();
        assert_eq!(ids, vec![1]);
        assert_eq!(set.len(), 20);
    }

    #[test]
    fn vectors_are_compared_at_unit_length() {
        let a = unit(vec![3.0, 4.0]).expect("non-zero");
        assert!((dot(&a, &a) - 1.0).abs() < 1e-6);
        assert_eq!(unit(vec![0.0, 0.0]), None);
    }
}
