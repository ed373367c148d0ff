//! The durable task queue's throughput: enqueue + claim + complete per task, on SQLite
//! and PostgreSQL, with 1 and 8 concurrent workers — and beside it the bare-SQL
//! baseline on the same database (one INSERT and one UPDATE per task, no queue logic).
//!
//! Run: `cargo bench -p companyos-benches --bench queue` (PostgreSQL from
//! `DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/postgres).

use std::sync::Arc;
use std::time::{Duration, Instant};

use companyos_store::testing::{TestBackend, TestDb};
use companyos_store::{
    AgentId, ClaimRequest, DbTaskQueue, NewAgent, OrgId, Store, TaskId, TaskQueue, now,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

struct Fixture {
    db: TestDb,
    org: OrgId,
    agent: AgentId,
}

async fn fixture(backend: TestBackend) -> Fixture {
    let db = TestDb::new(backend).await;
    let org = companyos_store::testing::organization_with_owner(&db.store, "bench")
        .await
        .0
        .id;
    let agent = db
        .store
        .agents()
        .create(
            org,
            NewAgent {
                name: "worker".into(),
                agent_type: "bench".into(),
                capabilities: vec![],
                configuration: serde_json::json!({}),
            },
        )
        .await
        .expect("agent")
        .id;
    Fixture { db, org, agent }
}

/// One worker's share of `tasks`: enqueue one, claim one, complete it. `fair` claims
/// with a per-agent limit: the ranked claim the dispatcher uses.
async fn queue_worker(
    queue: Arc<DbTaskQueue>,
    org: OrgId,
    agent: AgentId,
    tasks: u64,
    worker: usize,
    fair: bool,
) {
    let mut request = ClaimRequest::new(format!("bench-{worker}"), Duration::from_secs(60), 1);
    if fair {
        request.per_agent_limit = Some(64);
    }
    let mut done = 0;
    while done < tasks {
        queue
            .enqueue(companyos_store::NewTask::new(org, agent, "bench"))
            .await
            .expect("enqueue");
        if let Some(claimed) = queue.claim(&request).await.expect("claim").pop() {
            queue
                .complete(&claimed.lease, None)
                .await
                .expect("complete");
            done += 1;
        }
    }
}

/// The baseline: the same rows, one INSERT and one UPDATE each, no leases or ordering.
async fn bare_sql_worker(store: Store, org: OrgId, agent: AgentId, tasks: u64) {
    const INSERT: &str =
        "INSERT INTO agent_tasks (id, organization_id, agent_id, task_type, status, priority,
        run_after, created_at, updated_at, agent_type)
        VALUES ($1, $2, $3, 'bench', 'pending', 5, $4, $4, $4, 'bench')";
    const UPDATE: &str = "UPDATE agent_tasks SET status = 'completed', completed_at = $2, updated_at = $2 WHERE id = $1";
    for _ in 0..tasks {
        let id = TaskId::new();
        let at = now();
        if let Some(pool) = store.postgres_pool() {
            sqlx::query(INSERT)
                .bind(id)
                .bind(org)
                .bind(agent)
                .bind(at)
                .execute(pool)
                .await
                .expect("insert");
            sqlx::query(UPDATE)
                .bind(id)
                .bind(at)
                .execute(pool)
                .await
                .expect("update");
        } else if let Some(pool) = store.sqlite_write_pool() {
            sqlx::query(INSERT)
                .bind(id)
                .bind(org)
                .bind(agent)
                .bind(at)
                .execute(pool)
                .await
                .expect("insert");
            sqlx::query(UPDATE)
                .bind(id)
                .bind(at)
                .execute(pool)
                .await
                .expect("update");
        }
    }
}

fn split(total: u64, workers: usize, index: usize) -> u64 {
    total / workers as u64 + u64::from((index as u64) < total % workers as u64)
}

fn queue_throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("queue");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(6));
    for (backend, name) in [
        (TestBackend::Sqlite, "sqlite"),
        (TestBackend::Postgres, "postgres"),
    ] {
        let fixture = runtime.block_on(fixture(backend));
        let queue = Arc::new(DbTaskQueue::new(fixture.db.store.clone()));
        for workers in [1usize, 8] {
            for (label, fair) in [
                ("enqueue_claim_complete", false),
                ("enqueue_claim_complete_fair", true),
            ] {
                group.bench_function(BenchmarkId::new(format!("{name}/{label}"), workers), |b| {
                    b.to_async(&runtime).iter_custom(|tasks| {
                        let queue = queue.clone();
                        let (org, agent) = (fixture.org, fixture.agent);
                        async move {
                            let start = Instant::now();
                            let handles: Vec<_> = (0..workers)
                                .map(|worker| {
                                    tokio::spawn(queue_worker(
                                        queue.clone(),
                                        org,
                                        agent,
                                        split(tasks, workers, worker),
                                        worker,
                                        fair,
                                    ))
                                })
                                .collect();
                            for handle in handles {
                                handle.await.expect("worker");
                            }
                            start.elapsed()
                        }
                    });
                });
            }
            group.bench_function(
                BenchmarkId::new(format!("{name}/bare_sql_baseline"), workers),
                |b| {
                    b.to_async(&runtime).iter_custom(|tasks| {
                        let store = fixture.db.store.clone();
                        let (org, agent) = (fixture.org, fixture.agent);
                        async move {
                            let start = Instant::now();
                            let handles: Vec<_> = (0..workers)
                                .map(|worker| {
                                    tokio::spawn(bare_sql_worker(
                                        store.clone(),
                                        org,
                                        agent,
                                        split(tasks, workers, worker),
                                    ))
                                })
                                .collect();
                            for handle in handles {
                                handle.await.expect("worker");
                            }
                            start.elapsed()
                        }
                    });
                },
            );
        }
        runtime.block_on(fixture.db.cleanup());
    }
    group.finish();
}

criterion_group!(benches, queue_throughput);
criterion_main!(benches);
