//! Webhooks end to end on a cluster of 1, 2 and 3 nodes: runtimes in cluster mode on one
//! PostgreSQL database, each with its own HTTP edge on a local port, in this one process
//! (so they share its two cores with the load generator and the database). Six
//! organizations, each with a connected GitHub integration, the real GitHub watcher and
//! two code review agents whose work is instant, are placed among the nodes by
//! rendezvous hashing. The load generator posts signed `pull_request.opened` deliveries
//! (the 28 KB fixture) to every node in turn and every organization in turn, so most
//! deliveries are accepted by a node that does not run their organization: the owner is
//! nudged through PostgreSQL and its adapter processes them.
//!
//! Each size runs three times: the bus's events crossing between nodes through
//! PostgreSQL `NOTIFY` and the dispatchers polling the task table; then the events
//! through Redis (`REDIS_URL`); then also the tasks announced through RabbitMQ
//! (`AMQP_URL`, the task transport), as the chart deploys it.
//!
//! Per cluster size it reports verified ingest (202s per second, p50/p99), end-to-end
//! throughput (202s over the time until the last task completed) and end-to-end latency
//! from the delivery's row to its task's completion (both stamped by the database
//! writers' clocks), and checks that nothing was lost: every 202 is a processed
//! delivery, a stored event and a completed task.
//!
//! Run: `cargo bench -p companyos-benches --bench cluster`. Under `cargo test` it runs
//! two nodes with Redis and RabbitMQ for a moment as a smoke test, with the same checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use companyos_api::{AppState, AuthConfig, WebhookConfig, router};
use companyos_benches::{
    client, connect_github, pull_request_fixture, quantile, register, registry_with_instant_review,
};
use companyos_integrations::crypto::MasterKey;
use companyos_integrations::webhooks::github_signature;
use companyos_store::testing::TestDb;
use companyos_store::transport::TransportSettings;
use companyos_store::{DbTaskQueue, DeliveryStatus, OrgId, TaskQueue, TaskStatus};
use companyos_supervisors::{ClusterSettings, DispatcherConfig, Placement, Runtime, RuntimeConfig};
use serde_json::{Value, json};

const SECRET: &[u8] = b"bench-webhook-secret";
const ORGANIZATIONS: usize = 6;

/// What the nodes share besides PostgreSQL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shared {
    /// Nothing: events cross through `NOTIFY`, dispatchers poll the table.
    Postgres,
    /// Redis carries the bus's events.
    Redis,
    /// Redis, and RabbitMQ carries word of runnable tasks (the task transport).
    RedisAndRabbitmq,
}

impl Shared {
    fn label(self) -> &'static str {
        match self {
            Shared::Postgres => "",
            Shared::Redis => " redis",
            Shared::RedisAndRabbitmq => " redis+rabbitmq",
        }
    }
}

struct Node {
    base: String,
    runtime: Arc<Runtime>,
}

async fn node(
    db: &TestDb,
    name: &str,
    auth: &Arc<AuthConfig>,
    keys: &MasterKey,
    redis: Option<companyos_store::shared::Redis>,
    transport: Option<TransportSettings>,
) -> Node {
    // A pool of its own, as a node process has (the test database's is the harness's).
    let mut store =
        companyos_store::Store::connect(&companyos_store::ConnectOptions::new(db.url.clone()))
            .await
            .expect("the node's own pool");
    if transport.is_some() {
        store = store.with_task_outbox();
    }
    let queue: Arc<dyn TaskQueue> = Arc::new(DbTaskQueue::new(store.clone()));
    let registry = registry_with_instant_review();
    let mut settings = ClusterSettings::new(name, format!("http://{name}.invalid"));
    settings.lease_ttl = Duration::from_millis(3000);
    settings.renew_every = Duration::from_millis(1000);
    let config = RuntimeConfig {
        dispatcher: DispatcherConfig {
            worker: name.into(),
            ..DispatcherConfig::default()
        },
        placement: Placement::Cluster(settings),
        redis,
        transport,
        ..RuntimeConfig::default()
    };
    let runtime = Arc::new(
        Runtime::start(store.clone(), queue, registry, config)
            .await
            .expect("runtime"),
    );
    let app = router(AppState {
        store,
        auth: auth.clone(),
        runtime: runtime.clone(),
        keys: Arc::new(keys.clone()),
        webhooks: Arc::new(WebhookConfig::default()),
        console: companyos_api::ConsoleSource::Embedded,
    });
    Node {
        base: companyos_benches::serve(app).await,
        runtime,
    }
}

/// One organization's webhook path and id.
struct Organization {
    id: OrgId,
    path: String,
}

/// Six organizations made through the first node's API, each with its agents and a
/// connected GitHub integration; waits until every one runs on the node placement gives.
async fn organizations(nodes: &[Node]) -> Vec<Organization> {
    let base = &nodes[0].base;
    let client = client();
    let (token, first) = register(&client, base, "Bench 0").await;
    let mut ids = vec![first];
    for n in 1..ORGANIZATIONS {
        let created: Value = client
            .post(format!("{base}/api/organizations"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Bench {n}")}))
            .send()
            .await
            .expect("organization")
            .json()
            .await
            .expect("json");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let mut organizations = Vec::new();
    for id in ids {
        for (name, agent_type) in [
            ("watcher", "github_watcher"),
            ("reviewer 1", "code_review"),
            ("reviewer 2", "code_review"),
        ] {
            let response = client
                .post(format!("{base}/api/agents"))
                .bearer_auth(&token)
                .header("x-organization-id", &id)
                .json(&json!({"name": name, "type": agent_type}))
                .send()
                .await
                .expect("agent");
            assert!(
                response.status().is_success(),
                "{:?}",
                response.text().await
            );
        }
        let path = connect_github(&client, base, &token, &id, SECRET).await;
        organizations.push(Organization {
            id: OrgId(id.parse().expect("uuid")),
            path,
        });
    }
    // Every organization runs somewhere before the load starts.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !organizations
        .iter()
        .all(|org| nodes.iter().any(|node| node.runtime.hosts(org.id)))
    {
        assert!(Instant::now() < deadline, "organizations never placed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    organizations
}

async fn completed(db: &TestDb, orgs: &[Organization]) -> u64 {
    let mut total = 0;
    for org in orgs {
        total += db
            .store
            .tasks()
            .count_by_status(org.id)
            .await
            .expect("count")
            .iter()
            .find(|(status, _)| *status == TaskStatus::Completed)
            .map_or(0, |(_, count)| *count as u64);
    }
    total
}

/// Each completed task's way, from its delivery's row: to the adapter's processing, to
/// the task's row, to its start and to its completion.
struct Ways {
    end_to_end: Vec<Duration>,
    /// Medians of: received → processed, processed → task written, written → started,
    /// started → completed.
    stages: [Duration; 4],
}

async fn ways(db: &TestDb) -> Ways {
    type At = chrono::DateTime<chrono::Utc>;
    let rows: Vec<(At, At, At, At, At)> = sqlx::query_as(
        "SELECT d.received_at, d.processed_at, t.created_at, t.started_at, t.completed_at
         FROM agent_tasks t
         JOIN webhook_deliveries d ON d.id::text = t.input_data->>'delivery_id'
         WHERE t.status = 'completed'",
    )
    .fetch_all(&sqlx::PgPool::connect(&db.url).await.expect("connect"))
    .await
    .expect("latencies");
    let span = |from: At, to: At| (to - from).to_std().unwrap_or_default();
    let median = |mut spans: Vec<Duration>| {
        spans.sort();
        quantile(&spans, 0.5)
    };
    let mut end_to_end: Vec<Duration> = rows.iter().map(|row| span(row.0, row.4)).collect();
    end_to_end.sort();
    Ways {
        end_to_end,
        stages: [
            median(rows.iter().map(|row| span(row.0, row.1)).collect()),
            median(rows.iter().map(|row| span(row.1, row.2)).collect()),
            median(rows.iter().map(|row| span(row.2, row.3)).collect()),
            median(rows.iter().map(|row| span(row.3, row.4)).collect()),
        ],
    }
}

async fn run(size: usize, concurrency: usize, duration: Duration, shared: Shared) {
    let db = TestDb::postgres().await;
    let mut auth = AuthConfig::new(
        b"a bench secret that is long enough!",
        Duration::from_secs(3600),
    )
    .expect("auth");
    auth.max_organizations_per_user = ORGANIZATIONS as u32;
    // One configuration for every node: they share the token secret, as a cluster must.
    let auth = Arc::new(auth);
    let keys = MasterKey::generate();
    let mut nodes = Vec::new();
    // The bus's events cross through Redis (as the chart deploys it) or through NOTIFY.
    let redis = match shared {
        Shared::Postgres => None,
        Shared::Redis | Shared::RedisAndRabbitmq => Some(companyos_store::testing::redis().await),
    };
    // The tasks announced through RabbitMQ, on queues of this run's own.
    let prefix = companyos_store::testing::amqp_prefix();
    let transport = (shared == Shared::RedisAndRabbitmq).then(|| {
        let mut settings =
            TransportSettings::new(companyos_store::testing::amqp_url(), prefix.clone());
        settings.queue_expiry = Some(Duration::from_secs(600));
        settings
    });
    for n in 0..size {
        nodes.push(
            node(
                &db,
                &format!("node-{n}"),
                &auth,
                &keys,
                redis.clone(),
                transport.clone(),
            )
            .await,
        );
    }
    if transport.is_some() {
        let limit = Instant::now() + Duration::from_secs(60);
        while !nodes
            .iter()
            .all(|node| node.runtime.transport_up() == Some(true))
        {
            assert!(
                Instant::now() < limit,
                "RabbitMQ is not reachable (AMQP_URL)"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let orgs = Arc::new(organizations(&nodes).await);
    let bases: Arc<Vec<String>> = Arc::new(nodes.iter().map(|node| node.base.clone()).collect());
    let body = Arc::new(pull_request_fixture());
    let signature = github_signature(SECRET, &body);
    let client = client();
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (client, bases, orgs, body, signature) = (
                client.clone(),
                bases.clone(),
                orgs.clone(),
                body.clone(),
                signature.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut turn = worker;
                while Instant::now() < deadline {
                    let base = &bases[turn % bases.len()];
                    let org = &orgs[(turn / bases.len()) % orgs.len()];
                    turn += 1;
                    let at = Instant::now();
                    let response = client
                        .post(format!("{base}{}", org.path))
                        .header("content-type", "application/json")
                        .header("x-github-event", "pull_request")
                        .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
                        .header("x-hub-signature-256", &signature)
                        .body(body.as_ref().clone())
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
                    latencies.push(at.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut ingest = Vec::new();
    for worker in workers {
        ingest.extend(worker.await.expect("worker"));
    }
    let sending = started.elapsed();
    let accepted = ingest.len() as u64;
    let wait_until = Instant::now() + Duration::from_secs(600);
    while completed(&db, &orgs).await < accepted {
        if Instant::now() >= wait_until {
            let mut seen = Vec::new();
            for org in orgs.iter() {
                let tasks = db.store.tasks().count_by_status(org.id).await;
                let received = db
                    .store
                    .deliveries()
                    .count(org.id, DeliveryStatus::Received)
                    .await;
                let holder = db.store.cluster().holder(org.id).await;
                seen.push(format!(
                    "{}: tasks {tasks:?}, deliveries received {received:?}, held by {holder:?}",
                    org.id
                ));
            }
            panic!("tasks did not all complete:\n{}", seen.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = started.elapsed();
    ingest.sort();
    let ways = ways(&db).await;
    let e2e = &ways.end_to_end;
    println!(
        "{size} node(s){} c={concurrency:<3} {accepted:>6} deliveries  ingest {:>6.0}/s p50 {:>6.2} ms p99 {:>6.2} ms  end to end {:>5.0}/s p50 {:>8.1} ms p99 {:>8.1} ms",
        shared.label(),
        accepted as f64 / sending.as_secs_f64(),
        quantile(&ingest, 0.50).as_secs_f64() * 1000.0,
        quantile(&ingest, 0.99).as_secs_f64() * 1000.0,
        accepted as f64 / drained.as_secs_f64(),
        quantile(e2e, 0.50).as_secs_f64() * 1000.0,
        quantile(e2e, 0.99).as_secs_f64() * 1000.0,
    );
    let [adapter, routed, claimed, performed] =
        ways.stages.map(|stage| stage.as_secs_f64() * 1000.0);
    println!(
        "{size} node(s) medians: received → processed {adapter:.1} ms, → task written {routed:.1} ms, → started {claimed:.1} ms, → completed {performed:.1} ms"
    );
    let (mut processed, mut events) = (0, 0);
    for org in orgs.iter() {
        processed += db
            .store
            .deliveries()
            .count(org.id, DeliveryStatus::Processed)
            .await
            .expect("count");
        events += db
            .store
            .events()
            .count(org.id, Some("pull_request.opened"))
            .await
            .expect("count");
    }
    let tasks = completed(&db, &orgs).await;
    let per_node: Vec<usize> = nodes
        .iter()
        .map(|node| orgs.iter().filter(|org| node.runtime.hosts(org.id)).count())
        .collect();
    println!(
        "{size} node(s) organizations per node {per_node:?}  202s {accepted}  processed deliveries {processed}  events {events}  completed tasks {tasks}"
    );
    assert_eq!(
        (processed, events, tasks),
        (accepted, accepted, accepted),
        "nothing lost"
    );
    assert_eq!(
        per_node.iter().sum::<usize>(),
        ORGANIZATIONS,
        "each organization runs on exactly one node"
    );
    for node in &nodes {
        node.runtime.shutdown().await;
    }
    if transport.is_some() {
        companyos_store::transport::delete_queues(&companyos_store::testing::amqp_url(), &prefix)
            .await
            .expect("delete the run's task queues");
    }
    db.cleanup().await;
}

fn main() {
    let bench = std::env::args().any(|argument| argument == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        if bench {
            for shared in [Shared::Postgres, Shared::Redis, Shared::RedisAndRabbitmq] {
                for size in [1, 2, 3] {
                    run(size, 10, Duration::from_secs(10), shared).await;
                }
            }
        } else {
            run(2, 2, Duration::from_millis(300), Shared::RedisAndRabbitmq).await;
        }
    });
}
