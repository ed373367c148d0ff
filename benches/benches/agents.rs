//! A million agents on a node: how much memory a node needs for its registered agents
//! when idle agents are passive (`RuntimeConfig::passivate_after`), how long it takes to
//! start, and how long a passive agent takes to answer its first question (activation:
//! its actor started from its row) against an active one.
//!
//! Run: `cargo bench -p companyos-benches --bench agents` (SQLite; `-- postgres` for
//! PostgreSQL from `DATABASE_URL`). 1,000,000 `text_stats` agents across 1,000
//! organizations; under `cargo test` (no `--bench` argument) 2,000 across 4, as a smoke
//! test.

use std::time::{Duration, Instant};

use companyos_actors::AgentTypeRegistry;
use companyos_benches::{quantile, resident_bytes};
use companyos_store::testing::{TestBackend, TestDb};
use companyos_store::{AgentId, DbTaskQueue, NewAgent, NewUser, OrgId, Store, TaskQueue};
use companyos_supervisors::{Runtime, RuntimeConfig};
use serde_json::json;

#[derive(Clone, Copy)]
struct Scale {
    organizations: usize,
    agents_per_organization: usize,
    /// Agents asked a question, each first while passive and then while active.
    sampled: usize,
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The organizations and their agents' rows, written through the store.
async fn seed(store: &Store, scale: Scale) -> Vec<(OrgId, Vec<AgentId>)> {
    let owner = store
        .users()
        .create(NewUser {
            email: "owner@agents.example".into(),
            name: "Owner".into(),
            ..NewUser::default()
        })
        .await
        .expect("owner");
    let mut organizations = Vec::with_capacity(scale.organizations);
    for index in 0..scale.organizations {
        let organization = store
            .organizations()
            .create(&format!("Org {index}"), &format!("org-{index}"), owner.id)
            .await
            .expect("organization");
        organizations.push(organization.id);
    }
    let started = Instant::now();
    let mut seeded = Vec::with_capacity(scale.organizations);
    // A few organizations at a time: each writes its agents one by one.
    for chunk in organizations.chunks(8) {
        let mut writers = tokio::task::JoinSet::new();
        for &org in chunk {
            let store = store.clone();
            let count = scale.agents_per_organization;
            writers.spawn(async move {
                let mut agents = Vec::with_capacity(count);
                for index in 0..count {
                    let agent = store
                        .agents()
                        .create(
                            org,
                            NewAgent {
                                name: format!("counter-{index}"),
                                agent_type: "text_stats".into(),
                                capabilities: vec!["count_text".into()],
                                configuration: json!({}),
                            },
                        )
                        .await
                        .expect("agent");
                    agents.push(agent.id);
                }
                (org, agents)
            });
        }
        while let Some(written) = writers.join_next().await {
            seeded.push(written.expect("writer"));
        }
    }
    let total = scale.organizations * scale.agents_per_organization;
    println!(
        "| agents written ({total} across {} organizations) | {:.1} s |",
        scale.organizations,
        started.elapsed().as_secs_f64()
    );
    seeded
}

async fn run(backend: TestBackend, label: &str, scale: Scale) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let seeded = seed(store, scale).await;
    let total = scale.organizations * scale.agents_per_organization;

    let before = resident_bytes();
    let started = Instant::now();
    let queue: std::sync::Arc<dyn TaskQueue> = std::sync::Arc::new(DbTaskQueue::new(store.clone()));
    let config = RuntimeConfig {
        passivate_after: Some(Duration::from_secs(3600)),
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::start(store.clone(), queue, AgentTypeRegistry::builtin(), config)
        .await
        .expect("runtime");
    let (active, passive) = runtime.agents_hosted();
    assert_eq!(passive, total, "every agent hosted, passive");
    let booted = started.elapsed();
    let after_start = resident_bytes();
    println!(
        "| {label}: node start with {total} agents ({active} active, {passive} passive) | {:.1} s |",
        booted.as_secs_f64()
    );
    println!(
        "| {label}: resident memory, before the node / after its start | {:.0} MiB / {:.0} MiB (+{:.0} B per agent) |",
        mib(before),
        mib(after_start),
        after_start.saturating_sub(before) as f64 / total as f64
    );

    // Agents spread over every organization: the first question activates each.
    let step = (total / scale.sampled).max(1);
    let sample: Vec<(OrgId, AgentId)> = seeded
        .iter()
        .flat_map(|(org, agents)| agents.iter().map(move |agent| (*org, *agent)))
        .step_by(step)
        .take(scale.sampled)
        .collect();
    let question = json!({"text": "how many words are here"});
    let mut activation = Vec::with_capacity(sample.len());
    for &(org, agent) in &sample {
        let asked = Instant::now();
        let answer = runtime
            .ask(org, agent, question.clone(), Duration::from_secs(10))
            .await
            .expect("a passive agent answers");
        activation.push(asked.elapsed());
        assert_eq!(answer, json!({"words": 5}));
    }
    let mut active_answer = Vec::with_capacity(sample.len());
    for &(org, agent) in &sample {
        let asked = Instant::now();
        runtime
            .ask(org, agent, question.clone(), Duration::from_secs(10))
            .await
            .expect("an active agent answers");
        active_answer.push(asked.elapsed());
    }
    activation.sort();
    active_answer.sort();
    let (active, passive) = runtime.agents_hosted();
    println!(
        "| {label}: first question to a passive agent (activation), p50 / p99 ({} agents) | {:.2} ms / {:.2} ms |",
        sample.len(),
        quantile(&activation, 0.5).as_secs_f64() * 1e3,
        quantile(&activation, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "| {label}: the same question once active, p50 / p99 | {:.3} ms / {:.3} ms |",
        quantile(&active_answer, 0.5).as_secs_f64() * 1e3,
        quantile(&active_answer, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "| {label}: resident memory after the activations ({active} active, {passive} passive) | {:.0} MiB |",
        mib(resident_bytes())
    );
    runtime.shutdown().await;
    db.cleanup().await;
}

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    let full = arguments.iter().any(|argument| argument == "--bench");
    let scale = if full {
        Scale {
            organizations: 1_000,
            agents_per_organization: 1_000,
            sampled: 1_000,
        }
    } else {
        Scale {
            organizations: 4,
            agents_per_organization: 500,
            sampled: 40,
        }
    };
    let (backend, label) = if arguments.iter().any(|argument| argument == "postgres") {
        (TestBackend::Postgres, "PostgreSQL")
    } else {
        (TestBackend::Sqlite, "SQLite")
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        println!("| measure | value |\n|---|---|");
        run(backend, label, scale).await;
    });
}
