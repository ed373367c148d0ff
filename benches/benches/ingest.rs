//! Webhooks under load: a node's router on a local port (SQLite, then PostgreSQL) with a
//! connected GitHub integration, the real GitHub watcher and four code review agents
//! (which share the reviews) whose work is instant, and a Rust load generator posting
//! signed `pull_request.opened` deliveries (the 28 KB fixture, a unique
//! `X-GitHub-Delivery` each) over keep-alive connections at 10 and 50 connections.
//!
//! Per run it reports:
//! - verified ingest: 202s per second and their p50/p99 (signature + dedupe + persist
//!   + 202), measured while the node also processes what it accepted;
//! - end to end: delivery sent → adapter → event → watcher → `analyze_pr` task →
//!   executor → task completed, per second (202s over the time until the last task
//!   completed) and p50/p99 latency (from the request's start to the completion, seen
//!   on the runtime's event bus);
//! - nothing lost: processed deliveries, stored `pull_request.opened` events and
//!   completed tasks, each equal to the number of 202s.
//!
//! Run: `cargo bench -p companyos-benches --bench ingest` (PostgreSQL from
//! `DATABASE_URL`; `-- postgres` or `-- sqlite` for one backend; `-- archive` also
//! archives every delivery to a folder, as `companyos serve` does by default). Under `cargo test` it runs a few deliveries per backend as a smoke
//! test, with the same checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use companyos_benches::load::{Plan, Target as LoadTarget, open_loop, send};
use companyos_benches::{
    client, connect_github, pull_request_fixture, quantile, register, registry_with_instant_review,
};
use std::time::{Duration, Instant};

use companyos_api::{AppState, AuthConfig, WebhookConfig, router};
use companyos_integrations::crypto::MasterKey;
use companyos_store::testing::{TestBackend, TestDb};
use companyos_store::{
    DbTaskQueue, DeliveryStatus, OrgId, PageRequest, TaskFilter, TaskQueue, TaskStatus,
};
use companyos_supervisors::{Runtime, RuntimeConfig, RuntimeEvent};

const SECRET: &[u8] = b"bench-webhook-secret";

struct Target {
    base: String,
    path: String,
    org: OrgId,
    runtime: Arc<Runtime>,
}

/// Starts the node; with `archive`, every accepted delivery is also written to a
/// payload archive in that folder, as `companyos serve` does by default.
async fn start(db: &TestDb, archive: Option<&std::path::Path>) -> Target {
    let auth = AuthConfig::new(
        b"a bench secret that is long enough!",
        Duration::from_secs(3600),
    )
    .expect("auth");
    let queue: Arc<dyn TaskQueue> = Arc::new(DbTaskQueue::new(db.store.clone()));
    let runtime = Arc::new(
        Runtime::start(
            db.store.clone(),
            queue,
            registry_with_instant_review(),
            RuntimeConfig {
                deliveries: companyos_supervisors::DeliveriesConfig {
                    archive: archive.map(|folder| {
                        companyos_store::archive::Archive::open(
                            &companyos_store::archive::ArchiveLocation::Folder(folder.into()),
                        )
                        .expect("archive")
                    }),
                    ..Default::default()
                },
                ..RuntimeConfig::default()
            },
        )
        .await
        .expect("runtime"),
    );
    let app = router(AppState {
        store: db.store.clone(),
        auth: Arc::new(auth),
        runtime: runtime.clone(),
        keys: Arc::new(MasterKey::generate()),
        webhooks: Arc::new(WebhookConfig::default()),
        console: companyos_api::ConsoleSource::Embedded,
    });
    let base = companyos_benches::serve(app).await;
    let client = client();
    let (token, org) = register(&client, &base, "Bench").await;
    let org_id = OrgId(org.parse().expect("uuid"));
    for (name, agent_type) in [
        ("watcher", "github_watcher"),
        ("reviewer 1", "code_review"),
        ("reviewer 2", "code_review"),
        ("reviewer 3", "code_review"),
        ("reviewer 4", "code_review"),
    ] {
        runtime
            .spawn_agent(org_id, name, agent_type, None)
            .await
            .expect("agent");
    }
    let path = connect_github(&client, &base, &token, &org, SECRET).await;
    Target {
        path,
        base,
        org: org_id,
        runtime,
    }
}

struct Measured {
    accepted: usize,
    ingest_per_second: f64,
    ingest_p50: Duration,
    ingest_p99: Duration,
    e2e_per_second: f64,
    e2e_p50: Duration,
    e2e_p99: Duration,
    /// When each stage had done its part.
    stages: String,
}

/// How deliveries are offered: by a number of connections that each wait for their
/// answer (closed loop), or at a fixed rate whatever the answers (open loop).
#[derive(Clone, Copy, Debug)]
enum Offered {
    Closed(usize),
    Open(f64),
}

impl std::fmt::Display for Offered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Offered::Closed(concurrency) => write!(f, "c={concurrency}"),
            Offered::Open(rate) => write!(f, "{rate:.0}/s"),
        }
    }
}

async fn load(
    db: &TestDb,
    target: &Arc<Target>,
    body: &Arc<Vec<u8>>,
    offered: Offered,
    duration: Duration,
) -> Measured {
    let store = &db.store;
    let stages_before = stages(store, target.org).await;
    // Completions as the runtime announces them.
    let mut bus = target.runtime.subscribe();
    let finished: Arc<Mutex<HashMap<companyos_store::TaskId, Instant>>> = Arc::default();
    let listener = {
        let finished = finished.clone();
        tokio::spawn(async move {
            loop {
                match bus.recv().await {
                    Ok(RuntimeEvent::TaskChanged {
                        task_id,
                        status: TaskStatus::Completed,
                        ..
                    }) => {
                        finished
                            .lock()
                            .expect("lock")
                            .insert(task_id, Instant::now());
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        })
    };
    let started = Instant::now();
    let sent = match offered {
        Offered::Closed(concurrency) => closed_loop(target, body, concurrency, duration).await,
        Offered::Open(rate) => {
            let report = open_loop(
                &client(),
                &LoadTarget::github(
                    format!("{}{}", target.base, target.path),
                    SECRET,
                    "pull_request",
                    body.as_ref().clone(),
                ),
                Plan {
                    rate,
                    duration,
                    max_in_flight: 4096,
                },
            )
            .await;
            let refused = report.refused();
            assert!(
                refused.is_empty() && report.not_sent == 0,
                "open loop at {rate:.0}/s: refused {refused:?}, not sent {}",
                report.not_sent
            );
            report
                .sent
                .into_iter()
                .filter_map(|sent| Some((sent.delivery_id?, sent.due, sent.latency)))
                .collect()
        }
    };
    let sending = started.elapsed();
    let accepted = sent.len();
    // Wait for the pipeline to finish what was accepted, noting when each stage had
    // done its part: the stage that finishes long after the one before it is the one
    // that holds the pipeline back.
    let wait_until = Instant::now() + Duration::from_secs(300);
    let mut done_at: [Option<Duration>; 3] = [None; 3];
    let mut at_sending_end = None;
    loop {
        let now = stages(store, target.org).await;
        let progress = [0, 1, 2].map(|stage| now[stage] - stages_before[stage]);
        at_sending_end.get_or_insert(progress);
        for (stage, done) in done_at.iter_mut().enumerate() {
            if done.is_none() && progress[stage] >= accepted as u64 {
                *done = Some(started.elapsed());
            }
        }
        if done_at[2].is_some() {
            break;
        }
        assert!(
            Instant::now() < wait_until,
            "tasks did not all complete: {progress:?} of {accepted}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let seconds = |done: Option<Duration>| done.map_or(f64::NAN, |done| done.as_secs_f64());
    let at_sending_end = at_sending_end.unwrap_or_default();
    let stages = format!(
        "stages: sending ended at {:.1} s with {} adapted, {} routed, {} completed; adapted all at {:.1} s, routed all at {:.1} s, completed all at {:.1} s",
        sending.as_secs_f64(),
        at_sending_end[0],
        at_sending_end[1],
        at_sending_end[2],
        seconds(done_at[0]),
        seconds(done_at[1]),
        seconds(done_at[2]),
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    listener.abort();
    let finished = finished.lock().expect("lock").clone();
    // Task → delivery, from the tasks' inputs.
    let mut by_delivery = HashMap::new();
    let mut page = PageRequest::first(100);
    let filter = TaskFilter {
        status: Some(TaskStatus::Completed),
        ..TaskFilter::default()
    };
    loop {
        let tasks = store
            .tasks()
            .list(target.org, &filter, &page)
            .await
            .expect("tasks");
        for task in &tasks.items {
            if let (Some(delivery), Some(done)) = (
                task.input_data
                    .as_ref()
                    .and_then(|input| input["delivery_id"].as_str()),
                finished.get(&task.id),
            ) {
                by_delivery.insert(delivery.to_owned(), *done);
            }
        }
        match tasks.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    let mut ingest: Vec<Duration> = sent.iter().map(|(_, _, latency)| *latency).collect();
    ingest.sort();
    let mut e2e: Vec<Duration> = sent
        .iter()
        .filter_map(|(id, at, _)| by_delivery.get(id).map(|done| done.duration_since(*at)))
        .collect();
    e2e.sort();
    let last = sent
        .iter()
        .filter_map(|(id, _, _)| by_delivery.get(id))
        .max()
        .copied()
        .unwrap_or_else(Instant::now);
    Measured {
        accepted,
        ingest_per_second: accepted as f64 / sending.as_secs_f64(),
        ingest_p50: quantile(&ingest, 0.50),
        ingest_p99: quantile(&ingest, 0.99),
        e2e_per_second: accepted as f64 / last.duration_since(started).as_secs_f64(),
        e2e_p50: quantile(&e2e, 0.50),
        e2e_p99: quantile(&e2e, 0.99),
        stages,
    }
}

/// Deliveries processed by the adapter, tasks written by the router (one per
/// delivery here), tasks completed.
async fn stages(store: &companyos_store::Store, org: OrgId) -> [u64; 3] {
    let processed = store
        .deliveries()
        .count(org, DeliveryStatus::Processed)
        .await
        .expect("count");
    let by_status = store.tasks().count_by_status(org).await.expect("count");
    let written = by_status.iter().map(|(_, count)| *count as u64).sum();
    let done = by_status
        .iter()
        .find(|(status, _)| *status == TaskStatus::Completed)
        .map_or(0, |(_, count)| *count as u64);
    [processed, written, done]
}

/// Each of `concurrency` connections sends a delivery, waits for its answer, and sends
/// the next, for `duration`: the delivery ids, when each was sent and its latency.
async fn closed_loop(
    target: &Arc<Target>,
    body: &Arc<Vec<u8>>,
    concurrency: usize,
    duration: Duration,
) -> Vec<(String, Instant, Duration)> {
    let client = client();
    let delivery = LoadTarget::github(
        format!("{}{}", target.base, target.path),
        SECRET,
        "pull_request",
        body.as_ref().clone(),
    );
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, delivery) = (client.clone(), delivery.clone());
            tokio::spawn(async move {
                let mut sent = Vec::new();
                while Instant::now() < deadline {
                    let answer = send(&client, &delivery, Instant::now()).await;
                    assert_eq!(answer.status, Some(202), "{answer:?}");
                    let id = answer.delivery_id.expect("id");
                    sent.push((id, answer.due, answer.latency));
                }
                sent
            })
        })
        .collect();
    let mut sent = Vec::new();
    for worker in workers {
        sent.extend(worker.await.expect("worker"));
    }
    sent
}

async fn completed(store: &companyos_store::Store, org: OrgId) -> u64 {
    store
        .tasks()
        .count_by_status(org)
        .await
        .expect("count")
        .iter()
        .find(|(status, _)| *status == TaskStatus::Completed)
        .map_or(0, |(_, count)| *count as u64)
}

async fn run(backend: TestBackend, label: &str, smoke: bool, archive: bool) {
    let db = TestDb::new(backend).await;
    let folder = tempfile::tempdir().expect("tempdir");
    let target = Arc::new(
        start(
            &db,
            archive.then(|| folder.path().join("archive")).as_deref(),
        )
        .await,
    );
    let body = Arc::new(pull_request_fixture());
    let (levels, duration): (&[usize], Duration) = if smoke {
        (&[2], Duration::from_millis(200))
    } else {
        (&[10, 50], Duration::from_secs(10))
    };
    let mut total = 0;
    let report = |offered: Offered, measured: &Measured| {
        println!(
            "{label:<9} {:<7} {:>6} deliveries  ingest {:>7.0}/s p50 {:>6.2} ms p99 {:>6.2} ms  end to end {:>7.0}/s p50 {:>7.2} ms p99 {:>7.2} ms",
            offered.to_string(),
            measured.accepted,
            measured.ingest_per_second,
            measured.ingest_p50.as_secs_f64() * 1000.0,
            measured.ingest_p99.as_secs_f64() * 1000.0,
            measured.e2e_per_second,
            measured.e2e_p50.as_secs_f64() * 1000.0,
            measured.e2e_p99.as_secs_f64() * 1000.0,
        );
        println!("{label:<9} {:<7} {}", offered.to_string(), measured.stages);
    };
    let mut sustained = None;
    for &concurrency in levels {
        let offered = Offered::Closed(concurrency);
        let measured = load(&db, &target, &body, offered, duration).await;
        total += measured.accepted;
        report(offered, &measured);
        sustained.get_or_insert(measured.e2e_per_second);
    }
    // Open loop at 80 % of the end-to-end rate the first level sustained: the latency
    // a delivery sees when the node keeps up.
    let rate = (sustained.unwrap_or(10.0) * 0.8).max(10.0);
    let offered = Offered::Open(rate);
    let measured = load(&db, &target, &body, offered, duration).await;
    total += measured.accepted;
    report(offered, &measured);
    // Nothing lost: every 202 is a processed delivery, a stored event and a completed task.
    let store = &db.store;
    let processed = store
        .deliveries()
        .count(target.org, DeliveryStatus::Processed)
        .await
        .expect("count");
    let events = store
        .events()
        .count(target.org, Some("pull_request.opened"))
        .await
        .expect("count");
    let tasks = completed(store, target.org).await;
    println!(
        "{label:<9} 202s {total}  processed deliveries {processed}  events {events}  completed tasks {tasks}"
    );
    assert_eq!(
        (processed, events, tasks),
        (total as u64, total as u64, total as u64),
        "nothing lost"
    );
    if archive {
        // Every delivery archived too, by the edge or by a sweep.
        let started = Instant::now();
        let far = store.now() + chrono::Duration::days(1);
        loop {
            let left = store
                .deliveries()
                .unarchived(far, 1)
                .await
                .expect("unarchived");
            if left.is_empty() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "deliveries left unarchived"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        println!(
            "{label:<9} archived all {total} deliveries ({:.1} s after the counts above)",
            started.elapsed().as_secs_f64()
        );
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
    // `cargo bench … -- postgres` (or `sqlite`) runs one backend.
    let only = |name: &str| {
        let named: Vec<String> = std::env::args()
            .filter(|argument| argument == "sqlite" || argument == "postgres")
            .collect();
        named.is_empty() || named.iter().any(|argument| argument == name)
    };
    // `… -- archive` also archives every delivery to a folder (the binary's default).
    let archive = std::env::args().any(|argument| argument == "archive");
    runtime.block_on(async {
        if only("sqlite") {
            run(TestBackend::Sqlite, "sqlite", smoke, archive).await;
        }
        if only("postgres") {
            run(TestBackend::Postgres, "postgres", smoke, archive).await;
        }
    });
}
