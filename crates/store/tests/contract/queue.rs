//! The task queue contract: ordering, leases, retries, approval, cancellation, and
//! exactly-once completion under concurrent claimers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use companyos_store::testing::TestDb;
use companyos_store::{
    ApprovalChannel, ClaimRequest, DbTaskQueue, DecidedBy, FailOutcome, NewTask, RetryPolicy,
    StoreError, TaskId, TaskQueue, TaskStatus, now,
};
use serde_json::json;

use crate::fixtures;

companyos_store::contract_tests!(
    with_transport;
    claims_highest_priority_then_oldest,
    tasks_wait_for_run_after,
    only_the_current_lease_may_finish_a_task,
    failures_retry_with_backoff_then_fail_with_the_error,
    non_retryable_failures_fail_at_once,
    expired_leases_are_reclaimed_and_old_holders_refused,
    approval_parks_tasks_until_decided,
    cancelling_reaches_pending_and_running_tasks,
    idempotency_keys_return_the_existing_task,
    bad_tasks_are_refused_with_the_field_named,
    eight_claimers_complete_two_thousand_tasks_exactly_once,
    a_dead_claimers_task_is_reclaimed_and_completed_by_another,
    a_flood_for_one_agent_does_not_starve_the_others,
    each_organization_is_held_to_its_limit,
    a_released_task_runs_later_without_losing_an_attempt,
    a_completion_claims_the_agents_next_task_while_its_organization_has_room,
    the_relaxed_queue_is_the_same_queue_committing_without_waiting_for_the_disk,
);

fn claim_one(worker: &str, lease: Duration) -> ClaimRequest {
    ClaimRequest::new(worker, lease, 1)
}

const LONG_LEASE: Duration = Duration::from_secs(60);

async fn claims_highest_priority_then_oldest(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut expected = Vec::new();
    for (index, priority) in [3, 9, 5, 9, 1].into_iter().enumerate() {
        let mut task = NewTask::new(org.id, agent.id, format!("task-{index}"));
        task.priority = priority;
        let enqueued = queue.enqueue(task).await.expect("enqueue");
        assert!(enqueued.created);
        assert_eq!(enqueued.task.status, TaskStatus::Pending);
        expected.push((priority, enqueued.task.id));
    }
    // Priority descending, and for equal priority the older task first.
    expected.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    let mut claimed = Vec::new();
    while let Some(task) = queue
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim")
        .pop()
    {
        assert_eq!(task.task.status, TaskStatus::InProgress);
        assert_eq!(task.task.attempt, 1);
        assert_eq!(task.task.lease_owner.as_deref(), Some("w"));
        claimed.push((task.task.priority, task.task.id));
    }
    assert_eq!(claimed, expected);

    // A batch claim returns the same order.
    for priority in [2, 7, 4] {
        let mut task = NewTask::new(org.id, agent.id, "batch");
        task.priority = priority;
        queue.enqueue(task).await.expect("enqueue");
    }
    let batch = queue
        .claim(&ClaimRequest::new("w", LONG_LEASE, 10))
        .await
        .expect("claim");
    let priorities: Vec<i32> = batch.iter().map(|task| task.task.priority).collect();
    assert_eq!(priorities, vec![7, 4, 2]);
}

async fn tasks_wait_for_run_after(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut later = NewTask::new(org.id, agent.id, "later");
    later.run_after = Some(now() + chrono::Duration::hours(1));
    later.priority = 10;
    queue.enqueue(later).await.expect("enqueue");
    let now_task = queue
        .enqueue(NewTask::new(org.id, agent.id, "now"))
        .await
        .expect("enqueue")
        .task;
    let claimed = queue
        .claim(&ClaimRequest::new("w", LONG_LEASE, 10))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "the future task must not be claimed");
    assert_eq!(claimed[0].task.id, now_task.id);
}

async fn only_the_current_lease_may_finish_a_task(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    queue
        .enqueue(NewTask::new(org.id, agent.id, "review"))
        .await
        .expect("enqueue");
    let claimed = queue
        .claim(&claim_one("w", Duration::from_secs(5)))
        .await
        .expect("claim")
        .remove(0);

    let mut forged = claimed.lease.clone();
    forged.token = uuid::Uuid::new_v4();
    assert!(
        matches!(queue.complete(&forged, None).await, Err(StoreError::LeaseLost(id)) if id == claimed.task.id.0)
    );
    assert!(matches!(
        queue.extend_lease(&forged, LONG_LEASE).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(matches!(
        queue.fail(&forged, "x", true).await,
        Err(StoreError::LeaseLost(_))
    ));

    let extended = queue
        .extend_lease(&claimed.lease, LONG_LEASE)
        .await
        .expect("extend");
    assert!(extended.expires_at > claimed.lease.expires_at);
    let stored = db
        .store
        .tasks()
        .get(org.id, claimed.task.id)
        .await
        .expect("get");
    assert_eq!(stored.lease_expires_at, Some(extended.expires_at));

    let done = queue
        .complete(&extended, Some(json!({"verdict": "approve"})))
        .await
        .expect("complete");
    assert_eq!(done.status, TaskStatus::Completed);
    assert_eq!(done.output_data, Some(json!({"verdict": "approve"})));
    assert!(done.completed_at.is_some() && done.duration_seconds.is_some());
    assert_eq!(done.lease_expires_at, None);
    // Completing twice is refused: the lease ended with the first completion.
    assert!(matches!(
        queue.complete(&extended, None).await,
        Err(StoreError::LeaseLost(_))
    ));
}

async fn failures_retry_with_backoff_then_fail_with_the_error(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let slow = DbTaskQueue::new(db.store.clone()).with_retry_policy(RetryPolicy {
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(60),
    });
    let mut task = NewTask::new(org.id, agent.id, "flaky");
    task.max_attempts = 3;
    let id = slow.enqueue(task).await.expect("enqueue").task.id;

    let first = slow
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim")
        .remove(0);
    let before = now();
    let outcome = slow
        .fail(&first.lease, "github returned 502", true)
        .await
        .expect("fail");
    let FailOutcome::Retrying { run_after } = outcome else {
        panic!("expected a retry, got {outcome:?}")
    };
    assert!(
        run_after >= before + chrono::Duration::seconds(29),
        "backoff applied: {run_after} vs {before}"
    );
    let stored = db.store.tasks().get(org.id, id).await.expect("get");
    assert_eq!(stored.status, TaskStatus::Pending);
    assert_eq!(stored.retry_count, 1);
    assert_eq!(stored.error_message.as_deref(), Some("github returned 502"));
    assert!(
        slow.claim(&claim_one("w", LONG_LEASE))
            .await
            .expect("claim")
            .is_empty(),
        "backing off"
    );

    // With no backoff, the remaining attempts run and the last failure is final.
    let fast = DbTaskQueue::new(db.store.clone()).with_retry_policy(RetryPolicy {
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    });
    sqlx_force_due(db, id).await;
    let second = fast
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(second.lease.attempt, 2);
    assert!(matches!(
        fast.fail(&second.lease, "502 again", true).await,
        Ok(FailOutcome::Retrying { .. })
    ));
    let third = fast
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(third.lease.attempt, 3);
    assert_eq!(
        fast.fail(&third.lease, "502 for good", true)
            .await
            .expect("fail"),
        FailOutcome::Failed
    );
    let stored = db.store.tasks().get(org.id, id).await.expect("get");
    assert_eq!(stored.status, TaskStatus::Failed);
    assert_eq!(stored.error_message.as_deref(), Some("502 for good"));
    assert_eq!(stored.retry_count, 2);
    assert!(stored.completed_at.is_some());
    assert!(
        fast.claim(&claim_one("w", LONG_LEASE))
            .await
            .expect("claim")
            .is_empty()
    );
}

/// Makes a backing-off task due now, the way time passing would.
async fn sqlx_force_due(db: &TestDb, id: TaskId) {
    let past = now() - chrono::Duration::seconds(1);
    if let Some(pool) = db.store.postgres_pool() {
        sqlx::query("UPDATE agent_tasks SET run_after = $1 WHERE id = $2")
            .bind(past)
            .bind(id)
            .execute(pool)
            .await
            .expect("update");
    } else if let Some(pool) = db.store.sqlite_write_pool() {
        sqlx::query("UPDATE agent_tasks SET run_after = $1 WHERE id = $2")
            .bind(past)
            .bind(id)
            .execute(pool)
            .await
            .expect("update");
    }
}

async fn non_retryable_failures_fail_at_once(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let id = queue
        .enqueue(NewTask::new(org.id, agent.id, "review"))
        .await
        .expect("enqueue")
        .task
        .id;
    let claimed = queue
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(
        queue
            .fail(&claimed.lease, "pull request 404", false)
            .await
            .expect("fail"),
        FailOutcome::Failed
    );
    let stored = db.store.tasks().get(org.id, id).await.expect("get");
    assert_eq!((stored.status, stored.retry_count), (TaskStatus::Failed, 0));
}

async fn expired_leases_are_reclaimed_and_old_holders_refused(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut task = NewTask::new(org.id, agent.id, "review");
    task.max_attempts = 2;
    let id = queue.enqueue(task).await.expect("enqueue").task.id;

    let first = queue
        .claim(&claim_one("dies", Duration::from_millis(1)))
        .await
        .expect("claim")
        .remove(0);
    db.store.clock().advance(Duration::from_millis(20));
    let reclaimed = queue.reclaim_expired().await.expect("reclaim");
    assert_eq!(reclaimed, vec![id]);
    let stored = db.store.tasks().get(org.id, id).await.expect("get");
    assert_eq!(stored.status, TaskStatus::Pending);
    assert!(
        stored
            .error_message
            .as_deref()
            .is_some_and(|message| message.contains("lease expired"))
    );

    let second = queue
        .claim(&claim_one("lives", Duration::from_millis(1)))
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(second.lease.attempt, 2);
    assert!(matches!(
        queue.complete(&first.lease, None).await,
        Err(StoreError::LeaseLost(_))
    ));

    // The second holder also dies: attempts are spent, so the task fails for good.
    db.store.clock().advance(Duration::from_millis(20));
    assert_eq!(queue.reclaim_expired().await.expect("reclaim"), vec![id]);
    let stored = db.store.tasks().get(org.id, id).await.expect("get");
    assert_eq!(stored.status, TaskStatus::Failed);
}

async fn approval_parks_tasks_until_decided(db: &TestDb) {
    let (org, owner) = fixtures::organization(&db.store, "acme").await;
    let (other_org, other_owner) = fixtures::organization(&db.store, "other").await;
    let agent = fixtures::agent(&db.store, org.id, "deployer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut rollback = NewTask::new(org.id, agent.id, "rollback");
    rollback.requires_human_approval = true;
    let parked = queue.enqueue(rollback.clone()).await.expect("enqueue").task;
    assert_eq!(parked.status, TaskStatus::NeedsApproval);
    assert!(
        queue
            .claim(&claim_one("w", LONG_LEASE))
            .await
            .expect("claim")
            .is_empty(),
        "parked tasks do not run"
    );

    // Another organization cannot see, let alone approve, the task.
    assert!(matches!(
        queue
            .approve(
                other_org.id,
                parked.id,
                DecidedBy {
                    user: other_owner.id,
                    via: ApprovalChannel::Api
                }
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));

    let approved = queue
        .approve(
            org.id,
            parked.id,
            DecidedBy {
                user: owner.id,
                via: ApprovalChannel::Slack,
            },
        )
        .await
        .expect("approve");
    assert_eq!(
        (approved.status, approved.approved_by, approved.approved_via),
        (
            TaskStatus::Pending,
            Some(owner.id),
            Some(ApprovalChannel::Slack)
        )
    );
    assert!(approved.approved_at.is_some());
    assert!(matches!(
        queue
            .approve(
                org.id,
                parked.id,
                DecidedBy {
                    user: owner.id,
                    via: ApprovalChannel::Console
                }
            )
            .await,
        Err(StoreError::InvalidTaskState {
            operation: "approve",
            ..
        })
    ));
    assert_eq!(
        queue
            .claim(&claim_one("w", LONG_LEASE))
            .await
            .expect("claim")
            .len(),
        1
    );

    let second = queue.enqueue(rollback).await.expect("enqueue").task;
    let rejected = queue
        .reject(
            org.id,
            second.id,
            DecidedBy {
                user: owner.id,
                via: ApprovalChannel::Graphql,
            },
            Some("not during the launch"),
        )
        .await
        .expect("reject");
    assert_eq!(rejected.status, TaskStatus::Rejected);
    assert_eq!(rejected.approved_via, Some(ApprovalChannel::Graphql));
    assert_eq!(rejected.rejected_by, Some(owner.id));
    assert_eq!(
        rejected.error_message.as_deref(),
        Some("not during the launch")
    );
    assert!(
        queue
            .claim(&claim_one("w", LONG_LEASE))
            .await
            .expect("claim")
            .is_empty()
    );
}

async fn cancelling_reaches_pending_and_running_tasks(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let running_id = queue
        .enqueue(NewTask::new(org.id, agent.id, "a"))
        .await
        .expect("enqueue")
        .task
        .id;
    let running = queue
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(running.task.id, running_id);
    let pending_id = queue
        .enqueue(NewTask::new(org.id, agent.id, "b"))
        .await
        .expect("enqueue")
        .task
        .id;

    let (cancelled, was_running) = queue.cancel(org.id, pending_id).await.expect("cancel");
    assert_eq!(
        (cancelled.status, was_running),
        (TaskStatus::Cancelled, false)
    );
    let (cancelled, was_running) = queue.cancel(org.id, running_id).await.expect("cancel");
    assert_eq!(
        (cancelled.status, was_running),
        (TaskStatus::Cancelled, true)
    );
    // The worker's late result is refused.
    assert!(matches!(
        queue.complete(&running.lease, None).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(matches!(
        queue.cancel(org.id, running_id).await,
        Err(StoreError::InvalidTaskState {
            operation: "cancel",
            ..
        })
    ));
    assert!(
        queue
            .claim(&claim_one("w", LONG_LEASE))
            .await
            .expect("claim")
            .is_empty()
    );
}

async fn idempotency_keys_return_the_existing_task(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut task = NewTask::new(org.id, agent.id, "analyze_pr");
    task.idempotency_key = Some("event-42:analyze_pr".into());
    let first = queue.enqueue(task.clone()).await.expect("enqueue");
    let second = queue.enqueue(task).await.expect("enqueue again");
    assert!(first.created && !second.created);
    assert_eq!(first.task.id, second.task.id);
    let page = db
        .store
        .tasks()
        .list(org.id, &Default::default(), &Default::default())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 1);
}

/// The router's queue (`TaskQueue::relaxed`) writes the same rows, idempotent by the
/// same keys, through sessions whose commits do not wait for the disk (PostgreSQL);
/// the ordinary queue's still do.
async fn the_relaxed_queue_is_the_same_queue_committing_without_waiting_for_the_disk(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let relaxed = queue
        .relaxed()
        .expect("the database queue has a relaxed mode");
    let mut task = NewTask::new(org.id, agent.id, "analyze_pr");
    task.idempotency_key = Some("event-7:analyze_pr".into());
    let written = relaxed.enqueue(task.clone()).await.expect("enqueue");
    assert!(written.created);
    let again = queue.enqueue(task).await.expect("enqueue again");
    assert!(!again.created, "the same key, the same task");
    assert_eq!(again.task.id, written.task.id);
    let claimed = queue
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|c| c.task.id).collect::<Vec<_>>(),
        vec![written.task.id]
    );
    let setting = |pool: &sqlx::PgPool| {
        let pool = pool.clone();
        async move {
            let (value,): (String,) = sqlx::query_as("SHOW synchronous_commit")
                .fetch_one(&pool)
                .await
                .expect("show");
            value
        }
    };
    match (db.store.postgres_pool(), db.store.relaxed().postgres_pool()) {
        (Some(ordinary), Some(derived)) => {
            assert_eq!(setting(ordinary).await, "on");
            assert_eq!(setting(derived).await, "off");
        }
        (None, None) => {
            // SQLite: one store; its commits in WAL mode do not wait for the disk.
            assert!(db.store.sqlite_write_pool().is_some());
        }
        _ => panic!("a relaxed store on another backend than its store"),
    }
}

async fn bad_tasks_are_refused_with_the_field_named(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    for priority in [0, 11, -1] {
        let mut task = NewTask::new(org.id, agent.id, "x");
        task.priority = priority;
        assert!(matches!(
            queue.enqueue(task).await,
            Err(StoreError::Invalid {
                field: "priority",
                ..
            })
        ));
    }
    assert!(matches!(
        queue.enqueue(NewTask::new(org.id, agent.id, " ")).await,
        Err(StoreError::Invalid {
            field: "task_type",
            ..
        })
    ));
    // An agent of another organization is not found from this one.
    assert!(matches!(
        queue.enqueue(NewTask::new(other.id, agent.id, "x")).await,
        Err(StoreError::NotFound {
            entity: "agent",
            ..
        })
    ));
}

async fn eight_claimers_complete_two_thousand_tasks_exactly_once(db: &TestDb) {
    const TASKS: usize = 2_000;
    const CLAIMERS: usize = 8;
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "worker").await;
    let queue = Arc::new(DbTaskQueue::new(db.store.clone()));
    for index in 0..TASKS {
        let mut task = NewTask::new(org.id, agent.id, "unit");
        task.priority = (index % 10) as i32 + 1;
        queue.enqueue(task).await.expect("enqueue");
    }
    let in_flight: Arc<Mutex<HashSet<TaskId>>> = Arc::default();
    let completions: Arc<Mutex<HashMap<TaskId, usize>>> = Arc::default();
    let mut claimers = Vec::new();
    for claimer in 0..CLAIMERS {
        let queue = queue.clone();
        let in_flight = in_flight.clone();
        let completions = completions.clone();
        claimers.push(tokio::spawn(async move {
            let request = ClaimRequest::new(format!("claimer-{claimer}"), LONG_LEASE, 4);
            loop {
                let batch = queue.claim(&request).await.expect("claim");
                if batch.is_empty() {
                    break;
                }
                for claimed in batch {
                    assert!(
                        in_flight.lock().expect("lock").insert(claimed.task.id),
                        "task {} handed to two claimers at once",
                        claimed.task.id
                    );
                    tokio::task::yield_now().await;
                    assert!(in_flight.lock().expect("lock").remove(&claimed.task.id));
                    queue
                        .complete(&claimed.lease, Some(json!({"by": claimer})))
                        .await
                        .expect("complete");
                    *completions
                        .lock()
                        .expect("lock")
                        .entry(claimed.task.id)
                        .or_default() += 1;
                }
            }
        }));
    }
    for claimer in claimers {
        claimer.await.expect("claimer panicked");
    }
    let completions = completions.lock().expect("lock").clone();
    assert_eq!(completions.len(), TASKS, "every task completed");
    assert!(
        completions.values().all(|count| *count == 1),
        "no task completed twice"
    );
    let counts = db
        .store
        .tasks()
        .count_by_status(org.id)
        .await
        .expect("count");
    assert_eq!(counts, vec![(TaskStatus::Completed, TASKS as i64)]);
}

async fn a_dead_claimers_task_is_reclaimed_and_completed_by_another(db: &TestDb) {
    const TASKS: usize = 40;
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "worker").await;
    let queue = Arc::new(DbTaskQueue::new(db.store.clone()));
    for _ in 0..TASKS {
        queue
            .enqueue(NewTask::new(org.id, agent.id, "unit"))
            .await
            .expect("enqueue");
    }
    // The dead claimer takes one task with a short lease and never renews or finishes it.
    let dead = queue
        .claim(&claim_one("dead", Duration::from_millis(300)))
        .await
        .expect("claim")
        .remove(0);

    let completions: Arc<Mutex<HashMap<TaskId, (usize, i32)>>> = Arc::default();
    let mut claimers = Vec::new();
    for claimer in 0..4 {
        let queue = queue.clone();
        let completions = completions.clone();
        claimers.push(tokio::spawn(async move {
            let request = claim_one(&format!("live-{claimer}"), LONG_LEASE);
            loop {
                if completions.lock().expect("lock").len() == TASKS {
                    break;
                }
                let Some(claimed) = queue.claim(&request).await.expect("claim").pop() else {
                    queue.reclaim_expired().await.expect("reclaim");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                queue
                    .complete(&claimed.lease, None)
                    .await
                    .expect("complete");
                let mut completions = completions.lock().expect("lock");
                let entry = completions.entry(claimed.task.id).or_insert((0, 0));
                entry.0 += 1;
                entry.1 = claimed.lease.attempt;
            }
        }));
    }
    for claimer in claimers {
        claimer.await.expect("claimer panicked");
    }
    let completions = completions.lock().expect("lock").clone();
    assert_eq!(completions.len(), TASKS, "nothing lost");
    assert!(
        completions.values().all(|(count, _)| *count == 1),
        "nothing completed twice"
    );
    assert_eq!(
        completions.get(&dead.task.id).map(|(_, attempt)| *attempt),
        Some(2),
        "reclaimed on a second attempt"
    );
    assert!(matches!(
        queue.complete(&dead.lease, None).await,
        Err(StoreError::LeaseLost(_))
    ));
    let stored = db
        .store
        .tasks()
        .get(org.id, dead.task.id)
        .await
        .expect("get");
    assert_eq!(
        (stored.status, stored.retry_count),
        (TaskStatus::Completed, 1)
    );
}

async fn a_flood_for_one_agent_does_not_starve_the_others(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let flooded = fixtures::agent(&db.store, org.id, "flooded").await;
    let quiet = fixtures::agent(&db.store, org.id, "quiet").await;
    let urgent = fixtures::agent(&db.store, org.id, "urgent").await;
    let queue = DbTaskQueue::new(db.store.clone());
    for _ in 0..200 {
        queue
            .enqueue(NewTask::new(org.id, flooded.id, "bulk"))
            .await
            .expect("enqueue");
    }
    // Enqueued after the flood, at the same priority.
    let quiet_task = queue
        .enqueue(NewTask::new(org.id, quiet.id, "small"))
        .await
        .expect("enqueue")
        .task;
    let mut high = NewTask::new(org.id, urgent.id, "urgent");
    high.priority = 9;
    let urgent_task = queue.enqueue(high).await.expect("enqueue").task;

    let mut request = ClaimRequest::new("w", LONG_LEASE, 3);
    request.per_agent_limit = Some(2);
    let first = queue.claim(&request).await.expect("claim");
    let agents: Vec<_> = first.iter().map(|claimed| claimed.task.agent_id).collect();
    assert_eq!(
        first[0].task.id, urgent_task.id,
        "priority still comes first"
    );
    assert!(
        first.iter().any(|claimed| claimed.task.id == quiet_task.id),
        "the quiet agent is not starved: {agents:?}"
    );
    assert_eq!(
        agents
            .iter()
            .filter(|agent| **agent == Some(flooded.id))
            .count(),
        1
    );

    // The flooded agent may have two in progress: one more, then none until one ends.
    let second = queue.claim(&request).await.expect("claim");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].task.agent_id, Some(flooded.id));
    assert!(
        queue.claim(&request).await.expect("claim").is_empty(),
        "per-agent limit reached"
    );
    queue
        .complete(&second[0].lease, None)
        .await
        .expect("complete");
    assert_eq!(
        queue.claim(&request).await.expect("claim").len(),
        1,
        "a slot freed up"
    );
}

async fn each_organization_is_held_to_its_limit(db: &TestDb) {
    let (busy, _) = fixtures::organization(&db.store, "busy").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let first = fixtures::agent(&db.store, busy.id, "first").await;
    let second = fixtures::agent(&db.store, busy.id, "second").await;
    let theirs = fixtures::agent(&db.store, other.id, "theirs").await;
    let queue = DbTaskQueue::new(db.store.clone());
    for agent in [first.id, second.id] {
        for _ in 0..3 {
            queue
                .enqueue(NewTask::new(busy.id, agent, "work"))
                .await
                .expect("enqueue");
        }
    }
    for _ in 0..2 {
        queue
            .enqueue(NewTask::new(other.id, theirs.id, "work"))
            .await
            .expect("enqueue");
    }
    let mut request = ClaimRequest::new("w", LONG_LEASE, 10);
    request.per_agent_limit = Some(5);
    request.per_organization_limit = Some(2);
    let claimed = queue.claim(&request).await.expect("claim");
    let of = |org: companyos_store::OrgId| {
        claimed
            .iter()
            .filter(|task| task.task.organization_id == org)
            .count()
    };
    assert_eq!((of(busy.id), of(other.id)), (2, 2), "two per organization");
    // Within the busy organization, fair between its agents.
    let agents: std::collections::HashSet<_> = claimed
        .iter()
        .filter(|task| task.task.organization_id == busy.id)
        .map(|task| task.task.agent_id)
        .collect();
    assert_eq!(agents.len(), 2);
    assert!(
        queue.claim(&request).await.expect("claim").is_empty(),
        "both organizations at their limit"
    );
    let done = claimed
        .iter()
        .find(|task| task.task.organization_id == busy.id)
        .expect("a busy task");
    queue.complete(&done.lease, None).await.expect("complete");
    let next = queue.claim(&request).await.expect("claim");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].task.organization_id, busy.id);
}

async fn a_released_task_runs_later_without_losing_an_attempt(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut new = NewTask::new(org.id, agent.id, "review");
    new.max_attempts = 1;
    let id = queue.enqueue(new).await.expect("enqueue").task.id;
    let claimed = queue
        .claim(&claim_one("elsewhere", LONG_LEASE))
        .await
        .expect("claim")
        .remove(0);
    queue
        .release(&claimed.lease, Duration::from_secs(3600))
        .await
        .expect("release");
    let stored = db.store.tasks().get(org.id, id).await.expect("get");
    assert_eq!((stored.status, stored.attempt), (TaskStatus::Pending, 0));
    assert!(
        queue
            .claim(&claim_one("w", LONG_LEASE))
            .await
            .expect("claim")
            .is_empty(),
        "not before the delay"
    );
    assert!(matches!(
        queue.release(&claimed.lease, Duration::ZERO).await,
        Err(StoreError::LeaseLost(_))
    ));
    sqlx_force_due(db, id).await;
    // Its one attempt is still there: it runs and completes.
    let again = queue
        .claim(&claim_one("w", LONG_LEASE))
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(again.lease.attempt, 1);
    queue.complete(&again.lease, None).await.expect("complete");
}

async fn a_completion_claims_the_agents_next_task_while_its_organization_has_room(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let other = fixtures::agent(&db.store, org.id, "other").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut ids = Vec::new();
    for priority in [5, 5, 9, 5] {
        let mut task = NewTask::new(org.id, agent.id, "review");
        task.priority = priority;
        ids.push(queue.enqueue(task).await.expect("enqueue").task.id);
    }
    let later = {
        let mut task = NewTask::new(org.id, agent.id, "later");
        task.priority = 10;
        task.run_after = Some(now() + chrono::Duration::hours(1));
        queue.enqueue(task).await.expect("enqueue").task.id
    };
    let theirs = queue
        .enqueue(NewTask::new(org.id, other.id, "theirs"))
        .await
        .expect("enqueue")
        .task
        .id;
    let mut request = ClaimRequest::new("w", LONG_LEASE, 1);
    request.per_agent_limit = Some(1);
    request.per_organization_limit = Some(3);
    let first = queue.claim(&request).await.expect("claim").remove(0);
    assert_eq!(first.task.id, ids[2], "the highest priority first");

    // Completed, and the agent's next task (not the other agent's, not one due later)
    // claimed in the same commit, with a lease of its own.
    let (done, next) = queue
        .complete_and_claim_next(&first.lease, Some(json!({"ok": true})), &request, agent.id)
        .await
        .expect("complete");
    assert_eq!(done.status, TaskStatus::Completed);
    assert_eq!(done.output_data, Some(json!({"ok": true})));
    let next = next.expect("the agent's next task");
    assert_eq!(next.task.id, ids[0], "oldest of equal priority");
    assert_eq!(next.task.status, TaskStatus::InProgress);
    assert_eq!(next.task.attempt, 1);
    assert_ne!(next.lease.token, first.lease.token);
    assert!(next.task.id != later && next.task.id != theirs);
    // The old lease finished nothing more.
    assert!(matches!(
        queue
            .complete_and_claim_next(&first.lease, None, &request, agent.id)
            .await,
        Err(StoreError::LeaseLost(_))
    ));

    // The organization full (its limit is 3: the other agent's task, this one's and a
    // third taken by hand): the slot goes back to the round, no next task.
    let theirs_claimed = queue.claim(&request).await.expect("claim");
    assert_eq!(
        theirs_claimed
            .iter()
            .map(|claimed| claimed.task.id)
            .collect::<Vec<_>>(),
        vec![theirs]
    );
    let mut roomy = ClaimRequest::new("w", LONG_LEASE, 1);
    roomy.per_agent_limit = Some(5);
    let third = queue.claim(&roomy).await.expect("claim").remove(0);
    assert_eq!(third.task.id, ids[1]);
    roomy.per_organization_limit = Some(3);
    let (_, none) = queue
        .complete_and_claim_next(&next.lease, None, &roomy, agent.id)
        .await
        .expect("complete");
    assert!(none.is_none(), "no slot to spare in the organization");
    // With room again, the next one comes; after it only a task due later is left.
    let (_, last) = queue
        .complete_and_claim_next(&third.lease, None, &roomy, agent.id)
        .await
        .expect("complete");
    let last = last.expect("room again");
    assert_eq!(last.task.id, ids[3]);
    let (_, none) = queue
        .complete_and_claim_next(&last.lease, None, &roomy, agent.id)
        .await
        .expect("complete");
    assert!(none.is_none(), "only a task due later is left");
    let later_task = db.store.tasks().get(org.id, later).await.expect("task");
    assert_eq!(later_task.status, TaskStatus::Pending);
}
