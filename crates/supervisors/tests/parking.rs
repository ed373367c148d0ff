//! A coordinator waiting on a person parks: while a workflow's approval step waits, the
//! coordinator's task makes no queries (it is woken by the approval on the bus, not by
//! reading the rows again and again), and once approved the workflow goes on.
//!
//! The coordinator's queries are counted from sqlx's statement log (target `sqlx::query`)
//! inside the coordinator task's span. Its own test binary: the count is the process's
//! global subscriber. PostgreSQL only: sqlx runs SQLite's statements on a worker thread,
//! outside the caller's span, so they cannot be told apart there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use companyos_actors::AgentTypeRegistry;
use companyos_store::testing::{TestBackend, TestDb, until};
use companyos_store::*;
use companyos_supervisors::{DispatcherConfig, Person, Runtime, RuntimeConfig};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Statements run inside each task's span, by task id (their summary and text).
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl Statements {
    fn of(&self, task: TaskId) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&task.to_string())
            .cloned()
            .unwrap_or_default()
    }
}

/// A span's `task` field.
struct TaskField(String);

/// The named fields' values, joined.
struct FindFields<'a> {
    names: &'a [&'a str],
    found: Vec<String>,
}

impl Visit for FindFields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if self.names.contains(&field.name()) {
            self.found.push(format!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.names.contains(&field.name()) {
            self.found.push(value.to_owned());
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Statements {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        if attributes.metadata().name() != "task" {
            return;
        }
        let mut visitor = FindFields {
            names: &["task"],
            found: Vec::new(),
        };
        attributes.record(&mut visitor);
        if let (Some(task), Some(span)) = (visitor.found.pop(), context.span(id)) {
            span.extensions_mut().insert(TaskField(task));
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let Some(scope) = context.event_scope(event) else {
            return;
        };
        let mut visitor = FindFields {
            names: &["summary", "db.statement"],
            found: Vec::new(),
        };
        event.record(&mut visitor);
        let statement = visitor.found.join(" ");
        for span in scope {
            if let Some(TaskField(task)) = span.extensions().get::<TaskField>() {
                self.0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .entry(task.clone())
                    .or_default()
                    .push(statement);
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_waiting_for_an_approval_makes_no_queries() {
    let statements = Statements::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(statements.clone()),
    )
    .expect("the test's subscriber");

    let db = TestDb::new(TestBackend::Postgres).await;
    let store = &db.store;
    let queue: Arc<dyn TaskQueue> = Arc::new(DbTaskQueue::new(store.clone()));
    let config = RuntimeConfig {
        dispatcher: DispatcherConfig {
            poll_interval: Duration::from_millis(20),
            ..DispatcherConfig::default()
        },
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::start(store.clone(), queue, AgentTypeRegistry::builtin(), config)
        .await
        .expect("runtime");
    let (organization, owner) =
        companyos_store::testing::organization_with_owner(store, "acme").await;
    let org = organization.id;
    runtime
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn");
    let workflow = json!({"steps": [
        {"stage": 0, "name": "count", "assign_to_type": "text_stats", "task_type": "count_text",
         "input": {"text": "a b c"}, "requires_approval": true},
        {"stage": 1, "name": "recount", "assign_to_type": "text_stats", "task_type": "count_text",
         "input": {"text": "d e"}}
    ]});
    let coordinator = runtime
        .spawn_agent(org, "pipeline", "workflow_coordinator", Some(workflow))
        .await
        .expect("spawn");
    let mut run = NewTask::new(org, coordinator.id, "run_workflow");
    run.input = Some(json!({}));
    let run = runtime.submit(run).await.expect("submit");

    // The approval step waits for a person.
    let waiting = {
        let found = Arc::new(Mutex::new(None));
        until("the approval step waits", || {
            let found = found.clone();
            async move {
                let tasks = store
                    .tasks()
                    .list(org, &TaskFilter::default(), &PageRequest::first(50))
                    .await
                    .expect("tasks");
                let step = tasks.items.into_iter().find(|task| {
                    task.task_type == "count_text" && task.status == TaskStatus::NeedsApproval
                });
                let waits = step.is_some();
                *found.lock().expect("lock") = step;
                waits
            }
        })
        .await;
        found.lock().expect("lock").take().expect("the step")
    };
    // The coordinator has read the step's task since it was written; from then on it
    // waits. Its statements meanwhile are counted over two seconds: polling every 25-50 ms
    // (as coordinators once did) would make dozens; a parked coordinator makes none, or
    // one read of its rows should its safety recheck (every few seconds, in case the
    // bus missed a change) fall in the window.
    until("the coordinator has read its steps", || async {
        statements.of(run.id).len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = statements.of(run.id).len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The dispatcher renewing the task's lease (every ten seconds) is the task's
    // heartbeat, not the coordinator reading.
    let during: Vec<String> = statements.of(run.id)[before..]
        .iter()
        .filter(|statement| !statement.contains("SET lease_expires_at"))
        .cloned()
        .collect();
    assert!(
        during.len() <= 2,
        "the waiting coordinator ran {} statements in two seconds: {during:?}",
        during.len()
    );

    // The approval wakes it, and the workflow goes on to the end.
    runtime
        .approve(
            org,
            waiting.id,
            Person {
                user: owner.id,
                role: MemberRole::Owner,
            },
            ApprovalChannel::Console,
        )
        .await
        .expect("approve");
    until("the workflow completes", || async {
        store.tasks().get(org, run.id).await.expect("task").status == TaskStatus::Completed
    })
    .await;
    let done = store.tasks().get(org, run.id).await.expect("task");
    let steps = &done.output_data.expect("output")["steps"];
    assert_eq!(steps["count"]["words"], 3, "{steps}");
    assert_eq!(steps["recount"]["words"], 2, "{steps}");
    runtime.shutdown().await;
    db.cleanup().await;
}
