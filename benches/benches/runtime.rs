//! The agent runtime's costs, printed as a table (a plain harness: several of these are
//! distributions or memory, not criterion throughputs):
//!
//! 1. a request/response message through an agent actor vs a bare ractor actor doing
//!    the same work (count the words of a short text);
//! 2. end-to-end task throughput — submit → claimed → performed by a trivial executor →
//!    completed — on SQLite and PostgreSQL;
//! 3. restart latency — panic → restarted and idle — p50 and p99, first restart (no
//!    backoff);
//! 4. memory per idle agent (RSS growth over N agents, minus the same for bare actors).
//!
//! Run: `cargo bench -p companyos-benches --bench runtime` (PostgreSQL from
//! `DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/postgres). Under
//! `cargo test` (no `--bench` argument) it runs once at a tiny scale, as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use companyos_actors::{
    AgentKind, AgentType, AgentTypeRegistry, Behaviour, RuntimeEvent, TaskContext, TaskFailure,
};
use companyos_benches::resident_bytes;
use companyos_store::testing::{TestBackend, TestDb};
use companyos_store::{DbTaskQueue, NewTask, OrgId, Store, TaskQueue, TaskStatus};
use companyos_supervisors::{DispatcherConfig, RestartPolicy, Runtime, RuntimeConfig};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde_json::{Value, json};

const TEXT: &str = "the quick brown fox jumps over the lazy dog";

// ─── the bare actor: same work, no runtime ────────────────────────────────────

struct BareCounter;

enum BareMessage {
    Count(Value, RpcReplyPort<Value>),
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for BareMessage {}

impl Actor for BareCounter {
    type Msg = BareMessage;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<BareMessage>, _: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<BareMessage>,
        message: BareMessage,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        let BareMessage::Count(question, reply) = message;
        let text = question
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let _ = reply.send(json!({"words": text.split_whitespace().count()}));
        Ok(())
    }
}

/// Panics when asked to, answers otherwise.
struct Fragile;

#[async_trait]
impl Behaviour for Fragile {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }
    async fn answer(&mut self, _: &TaskContext, question: &Value) -> Result<Value, TaskFailure> {
        assert!(question.get("panic").is_none(), "asked to crash");
        Ok(json!("ok"))
    }
}

fn registry() -> AgentTypeRegistry {
    let mut registry = AgentTypeRegistry::builtin();
    registry.register(AgentType::plain(
        "fragile",
        AgentKind::Executor,
        vec![],
        || Box::new(Fragile),
    ));
    registry
}

async fn organization(store: &Store) -> OrgId {
    companyos_store::testing::organization_with_owner(store, "bench")
        .await
        .0
        .id
}

fn config(policy: RestartPolicy) -> RuntimeConfig {
    RuntimeConfig {
        dispatcher: DispatcherConfig {
            max_in_flight: 32,
            per_agent_limit: 4,
            poll_interval: Duration::from_millis(5),
            ..DispatcherConfig::default()
        },
        agent_policy: policy,
        ..RuntimeConfig::default()
    }
}

async fn start(store: &Store, policy: RestartPolicy) -> Runtime {
    let queue: Arc<dyn TaskQueue> = Arc::new(DbTaskQueue::new(store.clone()));
    Runtime::start(store.clone(), queue, registry(), config(policy))
        .await
        .expect("runtime")
}

fn percentile(samples: &mut [Duration], fraction: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
    samples[index]
}

/// Sizes: full under `cargo bench`, tiny under `cargo test`.
#[derive(Clone, Copy)]
struct Scale {
    messages: u32,
    tasks: usize,
    restarts: usize,
    agents: usize,
}

async fn message_cost(store: &Store, scale: Scale) {
    let messages = scale.messages;
    let runtime = start(store, RestartPolicy::default()).await;
    let org = organization(store).await;
    let agent = runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("agent")
        .id;
    let (bare, _) = Actor::spawn(None, BareCounter, ())
        .await
        .expect("bare actor");
    let question = json!({ "text": TEXT });
    // Alternating rounds (the first a warm-up), each side measured right after the
    // other so that background load hits both alike; the median ratio is reported.
    const ROUNDS: usize = 7;
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..=ROUNDS {
        let started = Instant::now();
        for _ in 0..messages {
            let question = question.clone();
            bare.call(|reply| BareMessage::Count(question, reply), None)
                .await
                .expect("bare call");
        }
        let bare_rate = f64::from(messages) / started.elapsed().as_secs_f64();
        let started = Instant::now();
        for _ in 0..messages {
            runtime
                .ask(org, agent, question.clone(), Duration::from_secs(5))
                .await
                .expect("agent call");
        }
        let agent_rate = f64::from(messages) / started.elapsed().as_secs_f64();
        if round > 0 {
            rounds.push((bare_rate / agent_rate, bare_rate, agent_rate));
        }
    }
    rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (ratio, bare_rate, agent_rate) = rounds[rounds.len() / 2];
    println!(
        "| request/response, bare ractor actor | {:.0} msg/s |",
        bare_rate
    );
    println!(
        "| request/response, agent actor (Runtime::ask) | {:.0} msg/s |",
        agent_rate
    );
    println!(
        "| agent cost / bare cost, median of {ROUNDS} rounds (range {:.2}–{:.2}) | {:.2}× |",
        rounds[0].0,
        rounds[rounds.len() - 1].0,
        ratio
    );
    bare.stop(None);
    runtime.shutdown().await;
}

async fn end_to_end(store: &Store, label: &str, scale: Scale) {
    let tasks = scale.tasks;
    const AGENTS: usize = 4;
    let runtime = start(store, RestartPolicy::default()).await;
    let org = organization(store).await;
    let mut agents = Vec::new();
    for index in 0..AGENTS {
        agents.push(
            runtime
                .spawn_agent(org, &format!("counter-{index}"), "text_stats", None)
                .await
                .expect("agent")
                .id,
        );
    }
    let mut events = runtime.subscribe();
    let started = Instant::now();
    for index in 0..tasks {
        let mut task = NewTask::new(org, agents[index % AGENTS], "count_text");
        task.input = Some(json!({ "text": TEXT }));
        runtime.submit(task).await.expect("submit");
    }
    let mut completed = 0;
    while completed < tasks {
        match events.recv().await {
            Ok(RuntimeEvent::TaskChanged {
                status: TaskStatus::Completed,
                ..
            }) => completed += 1,
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                let counts = store.tasks().count_by_status(org).await.expect("counts");
                completed = counts
                    .iter()
                    .find(|(status, _)| *status == TaskStatus::Completed)
                    .map_or(0, |(_, n)| *n as usize);
            }
            Err(error) => panic!("event bus closed: {error}"),
        }
    }
    let rate = tasks as f64 / started.elapsed().as_secs_f64();
    println!("| end to end on {label} ({AGENTS} agents, {tasks} tasks) | {rate:.0} tasks/s |");
    runtime.shutdown().await;
}

async fn restart_latency(store: &Store, scale: Scale) {
    let restarts = scale.restarts;
    // A window of zero: every crash is a first restart, with no backoff.
    let policy = RestartPolicy {
        max_restarts: 1,
        window: Duration::ZERO,
        ..RestartPolicy::default()
    };
    let runtime = start(store, policy).await;
    let org = organization(store).await;
    let agent = runtime
        .spawn_agent(org, "fragile", "fragile", None)
        .await
        .expect("agent")
        .id;
    let mut events = runtime.subscribe();
    // Twice: with the process's panic hook (which, under RUST_BACKTRACE=1, captures and
    // prints a symbolised backtrace for every crash), and with a silent hook — the cost
    // of the restart itself.
    for silent in [false, true] {
        let default_hook = silent.then(std::panic::take_hook);
        if silent {
            std::panic::set_hook(Box::new(|_| {}));
        }
        let mut samples = Vec::with_capacity(restarts);
        for _ in 0..restarts {
            let started = Instant::now();
            let _ = runtime
                .ask(org, agent, json!({"panic": true}), Duration::from_secs(5))
                .await;
            loop {
                match events.recv().await.expect("event") {
                    RuntimeEvent::AgentRestarted { agent_id, .. } if agent_id == agent => break,
                    _ => {}
                }
            }
            samples.push(started.elapsed());
        }
        if let Some(hook) = default_hook {
            std::panic::set_hook(hook);
        }
        let label = if silent {
            "silent panic hook"
        } else {
            "default panic hook"
        };
        let p50 = percentile(&mut samples, 0.5);
        let p99 = percentile(&mut samples, 0.99);
        println!(
            "| restart latency, panic → restarted and idle (SQLite, {label}), p50 | {:.0} µs |",
            p50.as_secs_f64() * 1e6
        );
        println!(
            "| restart latency ({label}), p99 | {:.0} µs |",
            p99.as_secs_f64() * 1e6
        );
    }
    runtime.shutdown().await;
}

async fn memory_per_agent(store: &Store, scale: Scale) {
    let agent_count = scale.agents;
    let runtime = start(store, RestartPolicy::default()).await;
    let org = organization(store).await;
    let before = resident_bytes();
    let mut bare = Vec::with_capacity(agent_count);
    for _ in 0..agent_count {
        bare.push(Actor::spawn(None, BareCounter, ()).await.expect("bare").0);
    }
    let bare_bytes = resident_bytes().saturating_sub(before) as f64 / agent_count as f64;
    let before = resident_bytes();
    for index in 0..agent_count {
        runtime
            .spawn_agent(org, &format!("idle-{index}"), "text_stats", None)
            .await
            .expect("agent");
    }
    let agent_bytes = resident_bytes().saturating_sub(before) as f64 / agent_count as f64;
    println!(
        "| memory per idle bare actor ({agent_count}) | {:.0} B |",
        bare_bytes
    );
    println!(
        "| memory per idle agent ({agent_count}) | {:.0} B (+{:.0} B over bare) |",
        agent_bytes,
        agent_bytes - bare_bytes
    );
    for actor in bare {
        actor.stop(None);
    }
    runtime.shutdown().await;
}

fn main() {
    let full = std::env::args().any(|argument| argument == "--bench");
    let scale = if full {
        Scale {
            messages: 50_000,
            tasks: 2_000,
            restarts: 300,
            agents: 10_000,
        }
    } else {
        Scale {
            messages: 200,
            tasks: 20,
            restarts: 5,
            agents: 50,
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        println!("| measure | value |\n|---|---|");
        let db = TestDb::new(TestBackend::Sqlite).await;
        message_cost(&db.store, scale).await;
        db.cleanup().await;

        for (backend, label) in [
            (TestBackend::Sqlite, "SQLite"),
            (TestBackend::Postgres, "PostgreSQL"),
        ] {
            let db = TestDb::new(backend).await;
            end_to_end(&db.store, label, scale).await;
            db.cleanup().await;
        }

        let db = TestDb::new(TestBackend::Sqlite).await;
        restart_latency(&db.store, scale).await;
        db.cleanup().await;

        let db = TestDb::new(TestBackend::Sqlite).await;
        memory_per_agent(&db.store, scale).await;
        db.cleanup().await;
    });
}
