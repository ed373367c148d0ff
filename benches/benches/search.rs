//! Search: indexing throughput and full-text query latency over 100,000 documents, on
//! SQLite (FTS5) and PostgreSQL (GIN `tsvector`).
//!
//! Documents are events, written as the adapters write them (batched INSERTs into
//! `events`); the triggers of migration 0013 index each one, so the indexing figure is
//! events written per second with their search documents. The texts are drawn from a
//! 2,000-word vocabulary with Zipf-like frequencies (a few words in most documents,
//! most words in few), across 10 organizations; a second organization's documents are
//! never counted. Then 2,000 searches of one or two words (the last as a prefix, as the
//! command palette sends them) of mixed frequency are timed one after another: p50,
//! p99 and the largest.
//!
//! Run: `cargo bench -p companyos-benches --bench search` (`-- sqlite` or `-- postgres`
//! for one backend; `-- semantic` for search by meaning's exact scan of 100,000 vectors
//! of 256 dimensions instead). Under `cargo test` it indexes 2,000 documents and runs 50 searches,
//! and scans 2,000 vectors 20 times, with the same checks.

use std::time::{Duration, Instant};

use companyos_benches::quantile;
use companyos_store::testing::{TestBackend, TestDb, organization_with_owner};
use companyos_store::{EventId, OrgId, Store};

/// A deterministic generator (xorshift), so that both backends index the same texts.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A word index in 0..2000, Zipf-like: index i about as often as 1/(i+1).
    fn word(&mut self) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((2001.0_f64).powf(u) - 1.0).floor() as usize % 2000
    }
}

/// The vocabulary: pronounceable made-up words, distinct after stemming.
fn vocabulary() -> Vec<String> {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "be", "do", "fa", "gu", "ho", "ji", "ku",
        "pa", "qe", "si", "wu", "ye",
    ];
    (0..2000)
        .map(|i| {
            format!(
                "{}{}{}x",
                SYLLABLES[i % 20],
                SYLLABLES[(i / 20) % 20],
                SYLLABLES[(i / 400) % 20]
            )
        })
        .collect()
}

fn text(draw: &mut Draw, words: &[String], length: usize) -> String {
    (0..length)
        .map(|_| words[draw.word()].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes `count` events for the organizations in batches of 500, as one transaction
/// each: the time it took.
async fn index(
    store: &Store,
    orgs: &[OrgId],
    count: usize,
    draw: &mut Draw,
    words: &[String],
) -> Duration {
    let started = Instant::now();
    let mut written = 0;
    while written < count {
        let batch = 500.min(count - written);
        let rows: Vec<(OrgId, String, serde_json::Value)> = (0..batch)
            .map(|i| {
                let org = orgs[(written + i) % orgs.len()];
                let kind = format!("bench.{}", words[draw.word() % 50]);
                let body = serde_json::json!({"summary": text(draw, words, 24)});
                (org, kind, body)
            })
            .collect();
        insert_events(store, &rows).await;
        written += batch;
        if written % 10_000 == 0 {
            eprintln!(
                "  indexed {written}/{count} events ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    started.elapsed()
}

/// One multi-row INSERT of `rows` (organization, type, metadata) into `events`, as the
/// adapters' batches write them; the triggers index each.
async fn insert_events(store: &Store, rows: &[(OrgId, String, serde_json::Value)]) {
    let now = chrono::Utc::now();
    let values: Vec<String> = (0..rows.len())
        .map(|i| {
            let b = i * 5;
            format!(
                "(${}, ${}, ${}, 'bench', ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (id, organization_id, event_type, event_source, metadata, created_at) VALUES {}",
        values.join(", ")
    );
    macro_rules! insert {
        ($pool:expr) => {{
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (org, kind, metadata) in rows {
                query = query
                    .bind(EventId::new())
                    .bind(*org)
                    .bind(kind)
                    .bind(sqlx::types::Json(metadata))
                    .bind(now);
            }
            query.execute($pool).await.expect("events written");
        }};
    }
    if let Some(pool) = store.postgres_pool() {
        insert!(pool)
    } else if let Some(pool) = store.sqlite_write_pool() {
        insert!(pool)
    }
}

async fn run(backend: TestBackend, name: &str, smoke: bool) {
    let db = TestDb::new(backend).await;
    let words = vocabulary();
    let mut orgs = Vec::new();
    for n in 0..10 {
        let (org, _) = organization_with_owner(&db.store, &format!("search-{n}")).await;
        orgs.push(org.id);
    }
    let (documents, searches) = if smoke { (2_000, 50) } else { (100_000, 2_000) };
    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    let took = index(&db.store, &orgs, documents, &mut draw, &words).await;
    let rate = documents as f64 / took.as_secs_f64();
    // PostgreSQL's planner chooses between reading a word's matches from the GIN index
    // and reading the newest documents until enough match by the word's frequency,
    // which it knows once the table is analysed — as autovacuum does after a load like
    // this one, within a minute. SQLite's search does not depend on statistics.
    if let Some(pool) = db.store.postgres_pool() {
        sqlx::query("ANALYZE search_documents")
            .execute(pool)
            .await
            .expect("analysed");
    }
    let counted: i64 = db
        .store
        .search()
        .count(orgs[0])
        .await
        .expect("count")
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        counted as usize,
        documents / orgs.len(),
        "every event indexed once, in its organization"
    );

    let mut latencies = Vec::with_capacity(searches);
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    let mut hits = 0;
    for n in 0..searches {
        if n > 0 && n % 500 == 0 {
            eprintln!("  searched {n}/{searches}");
        }
        let query = if n % 2 == 0 {
            words[draw.word()].clone()
        } else {
            // Two words, the second cut to a prefix.
            let second = &words[draw.word()];
            format!("{} {}", words[draw.word()], &second[..4])
        };
        let org = orgs[n % orgs.len()];
        let started = Instant::now();
        let found = db
            .store
            .search()
            .find(org, &query, None, 20)
            .await
            .expect("search");
        let took = started.elapsed();
        latencies.push(took);
        slowest.push((took, query));
        hits += found.len();
    }
    latencies.sort();
    slowest.sort_by_key(|slow| std::cmp::Reverse(slow.0));
    let slowest: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|(took, query)| format!("{query:?} {:.1} ms", took.as_secs_f64() * 1e3))
        .collect();
    println!(
        "search/{name}: indexed {documents} events in {:.1} s ({rate:.0}/s); {searches} searches over {} documents per organization ({documents} in all): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.1} hits each",
        took.as_secs_f64(),
        documents / orgs.len(),
        quantile(&latencies, 0.50).as_secs_f64() * 1e3,
        quantile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        hits as f64 / searches as f64,
    );
    println!("search/{name}: slowest {}", slowest.join(", "));
    assert!(hits > 0, "the searches found something");
    db.cleanup().await;
}

/// Search by meaning's exact scan (`companyos_supervisors::semantic::closest`): `count`
/// random unit vectors of 256 dimensions, `queries` queries for the 50 nearest.
fn semantic(count: usize, queries: usize) {
    use companyos_store::SearchKind;
    use companyos_supervisors::semantic::{VectorSet, unit};
    const DIMENSIONS: usize = 256;
    let mut draw = Draw(0x2545_F491_4F6C_DD1D);
    let mut random_unit = || {
        unit(
            (0..DIMENSIONS)
                .map(|_| (draw.next() % 2_000_001) as f32 / 1_000_000.0 - 1.0)
                .collect(),
        )
        .expect("a non-zero vector")
    };
    let mut vectors = VectorSet::default();
    for n in 0..count {
        let key = (SearchKind::PullRequest, uuid::Uuid::from_u128(n as u128));
        assert!(vectors.insert(key, &random_unit()));
    }
    let mut latencies = Vec::with_capacity(queries);
    let mut found = 0;
    for _ in 0..queries {
        let query = random_unit();
        let started = Instant::now();
        found += vectors.closest(&query, None, -1.0, 50).len();
        latencies.push(started.elapsed());
    }
    latencies.sort();
    assert_eq!(
        found,
        queries * 50.min(count),
        "each query gets its 50 nearest"
    );
    println!(
        "search/semantic: {queries} exact scans of {count} vectors of {DIMENSIONS} dimensions for the 50 nearest: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        quantile(&latencies, 0.50).as_secs_f64() * 1e3,
        quantile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

fn main() {
    let smoke = !std::env::args().any(|argument| argument == "--bench");
    if std::env::args().any(|argument| argument == "semantic") {
        if smoke {
            semantic(2_000, 20);
        } else {
            semantic(100_000, 200);
        }
        return;
    }
    let only = |name: &str| {
        let named: Vec<String> = std::env::args()
            .filter(|argument| argument == "sqlite" || argument == "postgres")
            .collect();
        named.is_empty() || named.iter().any(|argument| argument == name)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        if only("sqlite") {
            run(TestBackend::Sqlite, "sqlite", smoke).await;
        }
        if only("postgres") {
            run(TestBackend::Postgres, "postgres", smoke).await;
        }
    });
    if smoke {
        semantic(2_000, 20);
    }
}
