//! The edge under load: a node's router on a local port (SQLite, then PostgreSQL), an
//! organization with 500 tasks, and a Rust load generator (keep-alive connections,
//! closed loop) at rising concurrency over two cached-auth read paths:
//!
//! - `GET /api/agent-tasks?limit=50` — a page of 50 tasks;
//! - `POST /graphql` `{ agents { items { id name type status } } }`.
//!
//! Prints requests/s and p50/p99 latency per concurrency. The generator shares the
//! machine's cores with the node, as a co-located client would.
//!
//! Run: `cargo bench -p companyos-benches --bench http` (PostgreSQL from `DATABASE_URL`).
//! Under `cargo test` it runs a few requests per path as a smoke test.

use std::sync::Arc;

use companyos_benches::client;
use std::time::{Duration, Instant};

use companyos_api::{AppState, AuthConfig, router};
use companyos_integrations::crypto::MasterKey;
use companyos_store::testing::{TestBackend, TestDb};
use companyos_store::{DbTaskQueue, NewTask, OrgId, TaskQueue};
use companyos_supervisors::{AgentTypeRegistry, Runtime, RuntimeConfig};
use serde_json::json;

struct Target {
    base: String,
    token: String,
    org: String,
    runtime: Arc<Runtime>,
}

async fn start(db: &TestDb, tasks: usize) -> Target {
    let mut auth = AuthConfig::new(
        b"a bench secret that is long enough!",
        Duration::from_secs(3600),
    )
    .expect("auth");
    auth.token_rate_limiter = companyos_api::RateLimiter::new(10_000_000);
    let queue: Arc<dyn TaskQueue> = Arc::new(DbTaskQueue::new(db.store.clone()));
    let runtime = Arc::new(
        Runtime::start(
            db.store.clone(),
            queue.clone(),
            AgentTypeRegistry::builtin(),
            RuntimeConfig::default(),
        )
        .await
        .expect("runtime"),
    );
    let app = router(AppState {
        store: db.store.clone(),
        auth: Arc::new(auth),
        runtime: runtime.clone(),
        keys: Arc::new(MasterKey::generate()),
        webhooks: Arc::new(companyos_api::WebhookConfig::default()),
        console: companyos_api::ConsoleSource::Embedded,
    });
    let base = companyos_benches::serve(app).await;
    let client = client();
    let (token, org) = companyos_benches::register(&client, &base, "Bench").await;
    let org_id = OrgId(org.parse().expect("uuid"));
    // A parked agent's tasks: they stay put while the reads run.
    let agent = runtime
        .spawn_agent(org_id, "counter", "text_stats", None)
        .await
        .expect("agent");
    for n in 0..tasks {
        let mut task = NewTask::new(org_id, agent.id, "count_text");
        task.requires_human_approval = true;
        task.description = Some(format!("task {n}"));
        queue.enqueue(task).await.expect("task");
    }
    Target {
        base,
        token,
        org,
        runtime,
    }
}

#[derive(Clone, Copy)]
enum Path {
    Tasks,
    GraphQl,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::Tasks => "GET /api/agent-tasks?limit=50",
            Path::GraphQl => "POST /graphql agents",
        }
    }

    async fn call(self, client: &reqwest::Client, target: &Target) {
        let request = match self {
            Path::Tasks => client.get(format!("{}/api/agent-tasks?limit=50", target.base)),
            Path::GraphQl => client
                .post(format!("{}/graphql", target.base))
                .json(&json!({"query": "{ agents { items { id name type status } } }"})),
        };
        let response = request
            .bearer_auth(&target.token)
            .header("x-organization-id", &target.org)
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "{}", response.status());
        let body = response.bytes().await.expect("body");
        assert!(!body.is_empty());
    }
}

struct Measured {
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn load(
    target: &Arc<Target>,
    path: Path,
    concurrency: usize,
    duration: Duration,
) -> Measured {
    let client = client();
    // Warm the pool.
    for _ in 0..concurrency.min(8) {
        path.call(&client, target).await;
    }
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    path.call(&client, &target).await;
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Measured {
        requests: latencies.len(),
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

async fn run(backend: TestBackend, label: &str, smoke: bool) {
    let db = TestDb::new(backend).await;
    let target = Arc::new(start(&db, if smoke { 60 } else { 500 }).await);
    let (levels, duration): (&[usize], Duration) = if smoke {
        (&[2], Duration::from_millis(200))
    } else {
        (&[1, 8, 32, 64, 128], Duration::from_secs(5))
    };
    for path in [Path::Tasks, Path::GraphQl] {
        for &concurrency in levels {
            let measured = load(&target, path, concurrency, duration).await;
            println!(
                "{label:<10} {:<32} c={concurrency:<4} {:>6} req  {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
                path.name(),
                measured.requests,
                measured.per_second,
                measured.p50.as_secs_f64() * 1000.0,
                measured.p99.as_secs_f64() * 1000.0,
            );
        }
    }
    target.runtime.shutdown().await;
    db.cleanup().await;
}

fn main() {
    let smoke = !std::env::args().any(|argument| argument == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        run(TestBackend::Sqlite, "sqlite", smoke).await;
        run(TestBackend::Postgres, "postgres", smoke).await;
    });
}
