//! Cluster mode on PostgreSQL, two runtimes in one process standing for two nodes: each
//! organization runs on exactly one of them; what one node asks of an organization the
//! other runs (an agent created or disabled, a task submitted or approved) is done by
//! the owner; a subscriber on either node hears the other's events; and writes made
//! with a claim the node no longer holds are refused by the database.

use std::time::Duration;

use companyos_actors::{AgentTypeRegistry, RuntimeEvent};
use companyos_store::testing::{TestDb, organization_with_owner, until};
use companyos_store::*;
use companyos_supervisors::{
    ClusterSettings, DispatcherConfig, Person, Placement, Runtime, RuntimeConfig, RuntimeError,
};
use serde_json::json;

fn settings(node: &str) -> ClusterSettings {
    let mut settings = ClusterSettings::new(node, format!("http://{node}.invalid"));
    settings.lease_ttl = Duration::from_millis(1500);
    settings.renew_every = Duration::from_millis(200);
    settings
}

async fn node(store: &Store, name: &str) -> Runtime {
    node_with(store, name, None).await
}

async fn node_with(
    store: &Store,
    name: &str,
    redis: Option<companyos_store::shared::Redis>,
) -> Runtime {
    let config = RuntimeConfig {
        dispatcher: DispatcherConfig {
            worker: name.into(),
            poll_interval: Duration::from_millis(50),
            reclaim_interval: Duration::from_millis(200),
            ..DispatcherConfig::default()
        },
        placement: Placement::Cluster(settings(name)),
        redis,
        ..RuntimeConfig::default()
    };
    Runtime::start(
        store.clone(),
        std::sync::Arc::new(DbTaskQueue::new(store.clone())),
        AgentTypeRegistry::builtin(),
        config,
    )
    .await
    .expect("start runtime")
}

/// The node holding `org` now, by the database.
async fn holder(store: &Store, org: OrgId) -> Option<String> {
    store.cluster().holder(org).await.expect("holder")
}

fn runs(tree: &[companyos_supervisors::ActorInfo], agent: AgentId) -> bool {
    tree.iter().any(|actor| actor.agent_id == Some(agent))
}

#[tokio::test]
async fn a_request_to_any_node_is_carried_out_by_the_organization_s_owner() {
    let db = TestDb::postgres().await;
    let store = db.store.clone();
    let mut orgs = Vec::new();
    let mut owners = Vec::new();
    for n in 0..4 {
        let (organization, owner) = organization_with_owner(&store, &format!("team-{n}")).await;
        orgs.push(organization.id);
        owners.push(owner.id);
    }
    let first = node(&store, "node-a").await;
    let second = node(&store, "node-b").await;
    // Each organization runs where rendezvous hashing over the two puts it, and only
    // there (the first node may hold everything for a moment, until the second joins).
    let names = ["node-a", "node-b"];
    for org in &orgs {
        let owner = companyos_supervisors::owner(*org, names).expect("an owner");
        let (here, there) = if owner == "node-a" {
            (&first, &second)
        } else {
            (&second, &first)
        };
        until("the owner holds and runs the organization", || async {
            holder(&store, *org).await.as_deref() == Some(owner) && here.hosts(*org)
        })
        .await;
        assert!(!there.hosts(*org), "{org} runs on both nodes");
    }
    // The first organization, asked through the node that does not run it: below,
    // node B is the one that runs it and node A the one asked.
    let (org, owner) = (orgs[0], owners[0]);
    let b_name = companyos_supervisors::owner(org, names).expect("an owner");
    let (b, a) = if b_name == "node-a" {
        (first, second)
    } else {
        (second, first)
    };
    let mut heard = a.subscribe();
    let agent = a
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn through node A");
    until("node B starts the agent created through node A", || async {
        b.tree().await.is_ok_and(|tree| runs(&tree, agent.id))
    })
    .await;
    assert!(!runs(&a.tree().await.expect("tree"), agent.id));

    let mut task = NewTask::new(org, agent.id, "count_text");
    task.input = Some(json!({"text": "one two three"}));
    let submitted = a.submit(task).await.expect("submit through node A");
    // Node A's subscriber hears node B complete it.
    let completed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match heard.recv().await {
                Ok(RuntimeEvent::TaskChanged {
                    task_id,
                    status: TaskStatus::Completed,
                    ..
                }) if task_id == submitted.id => return,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(error) => panic!("subscription ended: {error}"),
            }
        }
    })
    .await;
    assert!(
        completed.is_ok(),
        "node A never heard the task complete on node B"
    );
    let done = store.tasks().get(org, submitted.id).await.expect("task");
    assert_eq!(done.status, TaskStatus::Completed);
    assert_eq!(done.output_data.expect("output")["words"], 3);

    // An approval given through node A runs the task on node B.
    let mut gated = NewTask::new(org, agent.id, "count_text");
    gated.input = Some(json!({"text": "approved words"}));
    gated.requires_human_approval = true;
    let waiting = a.submit(gated).await.expect("submit gated");
    assert_eq!(waiting.status, TaskStatus::NeedsApproval);
    a.approve(
        org,
        waiting.id,
        Person {
            user: owner,
            role: MemberRole::Owner,
        },
        ApprovalChannel::Console,
    )
    .await
    .expect("approve through node A");
    until("the approved task completes on node B", || async {
        store
            .tasks()
            .get(org, waiting.id)
            .await
            .is_ok_and(|task| task.status == TaskStatus::Completed)
    })
    .await;

    // A webhook delivery accepted by node A is processed by node B's adapter, and
    // node A's subscriber hears the event it became.
    let integration = store
        .integrations()
        .connect(
            org,
            Service::Github,
            "k:sealed",
            json!({}),
            WebhookSetup {
                token: "token",
                secret_encrypted: None,
            },
        )
        .await
        .expect("integration");
    a.integrations_changed(org)
        .await
        .expect("integrations changed through node A");
    until("node B starts the GitHub adapter", || async {
        b.tree().await.is_ok_and(|tree| {
            tree.iter()
                .any(|actor| actor.path == format!("root/org:{org}/integrations/github"))
        })
    })
    .await;
    let body = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/github/pull_request/opened.payload.json"),
    )
    .expect("fixture");
    let Recorded::New(delivery) = store
        .deliveries()
        .record(
            org,
            NewDelivery {
                integration_id: integration.id,
                service: Service::Github,
                delivery_key: "cluster-1".into(),
                event_type: "pull_request.opened".into(),
                headers: json!({"x-github-event": "pull_request", "content-type": "application/json"}),
                body,
                status: DeliveryStatus::Received,
                error: None,
                traceparent: None,
            },
        )
        .await
        .expect("delivery")
    else {
        panic!("a new delivery");
    };
    a.deliver(org, integration.id, delivery)
        .await
        .expect("delivered through node A");
    let event = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match heard.recv().await {
                Ok(RuntimeEvent::EventCreated { event }) if event.organization_id == org => {
                    return event;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(error) => panic!("subscription ended: {error}"),
            }
        }
    })
    .await
    .expect("node A hears the event node B made of the delivery");
    assert_eq!(event.event_type, "pull_request.opened");
    assert_eq!(
        store
            .deliveries()
            .get(org, delivery)
            .await
            .expect("delivery")
            .status,
        DeliveryStatus::Processed
    );

    // Asking an agent needs its actor: node A says where it runs instead.
    match a
        .ask(
            org,
            agent.id,
            json!({"question": "status"}),
            Duration::from_secs(1),
        )
        .await
    {
        Err(RuntimeError::HostedElsewhere { organization, node }) => {
            assert_eq!(organization, org);
            assert_eq!(node.as_deref(), Some(b_name));
        }
        other => panic!("expected HostedElsewhere, got {other:?}"),
    }

    // Disabling through node A stops it on node B.
    a.disable_agent(org, agent.id).await.expect("disable");
    until("node B stops the agent disabled through node A", || async {
        b.tree().await.is_ok_and(|tree| !runs(&tree, agent.id))
    })
    .await;

    // Node B leaves: node A takes its organizations at once (released, not expired).
    b.shutdown().await;
    for org in &orgs {
        until(
            "node A holds every organization after node B left",
            || async {
                let held = holder(&store, *org).await;
                held.is_some() && held.as_deref() != Some(b_name) && a.hosts(*org)
            },
        )
        .await;
    }
    a.shutdown().await;
    db.cleanup().await;
}

#[tokio::test]
async fn an_organization_created_on_any_node_runs_only_where_placement_puts_it() {
    let db = TestDb::postgres().await;
    let store = db.store.clone();
    let a = node(&store, "node-a").await;
    let b = node(&store, "node-b").await;
    until("both nodes are members", || async {
        store
            .cluster()
            .members()
            .await
            .is_ok_and(|members| members.iter().filter(|member| member.live).count() == 2)
    })
    .await;
    let mut orgs = Vec::new();
    for n in 0..4 {
        let (organization, _) = organization_with_owner(&store, &format!("new-{n}")).await;
        // Created through node A, as the REST API does.
        a.organization_created(organization.id)
            .await
            .expect("created");
        orgs.push(organization.id);
    }
    for org in orgs {
        let owner = companyos_supervisors::owner(org, ["node-a", "node-b"]).expect("an owner");
        let (here, there) = if owner == "node-a" {
            (&a, &b)
        } else {
            (&b, &a)
        };
        until("the owner holds and runs the new organization", || async {
            holder(&store, org).await.as_deref() == Some(owner) && here.hosts(org)
        })
        .await;
        assert!(!there.hosts(org), "{org} runs on both nodes");
        // Starting it by hand where no claim is held is refused.
        assert!(matches!(
            there.start_organization(org).await,
            Err(RuntimeError::HostedElsewhere { .. })
        ));
        assert!(!there.hosts(org));
    }
    a.shutdown().await;
    b.shutdown().await;
    db.cleanup().await;
}

/// Waits until `heard` hears `task` complete.
async fn hears_completed(
    heard: &mut tokio::sync::broadcast::Receiver<RuntimeEvent>,
    task: TaskId,
) -> bool {
    let wait = async {
        loop {
            match heard.recv().await {
                Ok(RuntimeEvent::TaskChanged {
                    task_id,
                    status: TaskStatus::Completed,
                    ..
                }) if task_id == task => return true,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
            }
        }
    };
    tokio::time::timeout(companyos_store::testing::EVENTUALLY, wait)
        .await
        .unwrap_or(false)
}

/// Whether an entry about `task` comes on the Redis stream within `wait`.
async fn crossed_on_redis(
    follower: &mut companyos_store::shared::Follower,
    task: TaskId,
    wait: Duration,
) -> bool {
    let id = task.to_string();
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline {
        if let Ok(payloads) = follower.next(Duration::from_millis(200)).await
            && payloads
                .iter()
                .any(|payload| String::from_utf8_lossy(payload).contains(&id))
        {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn events_cross_through_redis_and_through_postgresql_while_it_is_down() {
    use companyos_store::shared::Redis;
    use companyos_store::testing::{RedisServer, redis_prefix};

    let db = TestDb::postgres().await;
    let store = db.store.clone();
    let (organization, _) = organization_with_owner(&store, "redis-team").await;
    let org = organization.id;
    let mut server = RedisServer::start().await;
    let prefix = redis_prefix();
    let url = server.url();
    let handle = || Redis::new(&url, &prefix).expect("address");
    let first = node_with(&store, "node-a", Some(handle())).await;
    let second = node_with(&store, "node-b", Some(handle())).await;
    let b_name = companyos_supervisors::owner(org, ["node-a", "node-b"]).expect("an owner");
    let (b, a) = if b_name == "node-a" {
        (first, second)
    } else {
        (second, first)
    };
    until("node B holds the organization", || async {
        holder(&store, org).await.as_deref() == Some(b_name) && b.hosts(org)
    })
    .await;
    let agent = a
        .spawn_agent(org, "counter", "text_stats", None)
        .await
        .expect("spawn through node A");
    until("node B runs the agent", || async {
        b.tree().await.is_ok_and(|tree| runs(&tree, agent.id))
    })
    .await;
    let count = |text: &str| {
        let mut task = NewTask::new(org, agent.id, "count_text");
        task.input = Some(json!({"text": text}));
        task
    };
    // What crosses the bus stream on Redis, as a third party sees it.
    let channel = handle();
    let mut on_redis = channel.follow("bus");
    on_redis
        .next(Duration::from_millis(10))
        .await
        .expect("the stream's end");
    let mut heard = a.subscribe();

    let through_redis = a.submit(count("one two")).await.expect("submit");
    assert!(
        hears_completed(&mut heard, through_redis.id).await,
        "node A hears node B complete the task"
    );
    assert!(
        crossed_on_redis(
            &mut on_redis,
            through_redis.id,
            companyos_store::testing::EVENTUALLY
        )
        .await,
        "the task's events crossed on Redis"
    );

    // Redis gone: events still reach node A (through PostgreSQL), nothing is lost.
    server.stop();
    for text in ["while redis is down", "still down"] {
        let task = a.submit(count(text)).await.expect("submit with Redis down");
        assert!(
            hears_completed(&mut heard, task.id).await,
            "node A hears a task complete on node B while Redis is down"
        );
    }

    // Redis back: the nodes go back to it on their own.
    server.resume().await;
    let mut on_redis = handle().follow("bus");
    let mut back_on_redis = false;
    for _ in 0..60 {
        let task = a.submit(count("redis is back")).await.expect("submit");
        assert!(
            hears_completed(&mut heard, task.id).await,
            "node A hears it"
        );
        if crossed_on_redis(&mut on_redis, task.id, Duration::from_millis(500)).await {
            back_on_redis = true;
            break;
        }
    }
    assert!(back_on_redis, "the nodes never published on Redis again");
    let counts = store.tasks().count_by_status(org).await.expect("counts");
    assert!(
        counts
            .iter()
            .all(|(status, _)| *status == TaskStatus::Completed),
        "every task completed, none lost or left: {counts:?}"
    );
    a.shutdown().await;
    b.shutdown().await;
    db.cleanup().await;
}

#[tokio::test]
async fn writes_with_a_claim_the_node_no_longer_holds_are_refused() {
    let db = TestDb::postgres().await;
    let store = db.store.clone();
    let (organization, _) = organization_with_owner(&store, "fenced").await;
    let org = organization.id;
    let agent = store
        .agents()
        .create(
            org,
            NewAgent {
                name: "counter".into(),
                agent_type: "text_stats".into(),
                capabilities: vec!["count_text".into()],
                configuration: json!({}),
            },
        )
        .await
        .expect("agent");
    let cluster = store.cluster();
    let ttl = Duration::from_millis(400);
    let old = cluster
        .join("node-old", "http://old.invalid", "", ttl)
        .await
        .expect("join");
    let fence = cluster
        .claim(org, &old)
        .await
        .expect("claim")
        .expect("free");
    assert_eq!(fence, 1);
    // The organization's rows as the old node's adapter writes them: fenced by its run.
    let repository = |name: &str| RepositorySync {
        github_id: 77,
        name: name.into(),
        full_name: format!("acme/{name}"),
        default_branch: "main".into(),
        visibility: None,
        metadata: json!({}),
    };
    let as_old = store.held_by(Some(old.clone()));
    let written = as_old
        .repositories()
        .upsert(org, repository("web"))
        .await
        .expect("written while the old node holds the organization");
    // Claiming again in the same run keeps the fence; another live node cannot claim.
    assert_eq!(cluster.claim(org, &old).await.expect("reclaim"), Some(1));
    let new = cluster
        .join(
            "node-new",
            "http://new.invalid",
            "",
            Duration::from_secs(30),
        )
        .await
        .expect("join");
    assert_eq!(
        cluster.claim(org, &new).await.expect("claim"),
        None,
        "a live holder keeps it"
    );

    // The old node claims a task under its claim.
    let queue = DbTaskQueue::new(store.clone());
    queue
        .enqueue(NewTask::new(org, agent.id, "count_text"))
        .await
        .expect("enqueue");
    let mut request = ClaimRequest::new("node-old", Duration::from_secs(60), 10);
    request.holder = Some(old.clone());
    let claimed = queue.claim(&request).await.expect("claim tasks");
    assert_eq!(claimed.len(), 1);
    let lease = claimed[0].lease.clone();
    assert_eq!(lease.holder.as_ref(), Some(&old));

    // It stops renewing (paused): its membership passes and the new node claims.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert!(
        !cluster.renew(&old, ttl).await.expect("renew"),
        "a passed lease is not renewed"
    );
    assert_eq!(
        cluster.claim(org, &new).await.expect("claim"),
        Some(2),
        "the fence grows"
    );

    // Woken, the old node commits none of the organization's rows…
    assert!(
        matches!(
            as_old.repositories().upsert(org, repository("stale")).await,
            Err(StoreError::NotHeld(id)) if id == org.0
        ),
        "a write by a run that lost the organization is refused"
    );
    assert_eq!(
        store
            .repositories()
            .get(org, written.id)
            .await
            .expect("row")
            .name,
        "web",
        "nothing stale was committed"
    );
    store
        .held_by(Some(new.clone()))
        .repositories()
        .upsert(org, repository("fresh"))
        .await
        .expect("the new holder writes");
    // …and can neither extend, complete nor fail the task, nor claim.
    assert!(matches!(
        queue.extend_lease(&lease, Duration::from_secs(60)).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(matches!(
        queue.complete(&lease, Some(json!({"stale": true}))).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert!(matches!(
        queue.fail(&lease, "stale", true).await,
        Err(StoreError::LeaseLost(_))
    ));
    queue
        .enqueue(NewTask::new(org, agent.id, "count_text"))
        .await
        .expect("enqueue");
    assert!(queue.claim(&request).await.expect("claim").is_empty());
    // The takeover put the task the old node was running back at once, as a lapsed
    // lease (not after its task lease of a minute).
    let put_back = store.tasks().get(org, lease.task_id).await.expect("task");
    assert_eq!(put_back.status, TaskStatus::Pending);
    assert_eq!(put_back.retry_count, 1);
    assert!(
        put_back
            .error_message
            .as_deref()
            .is_some_and(|message| message.contains("moved to another node")),
        "{:?}",
        put_back.error_message
    );
    // The new holder claims both waiting tasks.
    let mut current = ClaimRequest::new("node-new", Duration::from_secs(60), 10);
    current.holder = Some(new.clone());
    assert_eq!(queue.claim(&current).await.expect("claim").len(), 2);

    // Released (a drained move), the organization is claimable at once.
    assert!(cluster.release(org, &new, 2).await.expect("release"));
    let third = cluster
        .join(
            "node-third",
            "http://third.invalid",
            "",
            Duration::from_secs(30),
        )
        .await
        .expect("join");
    assert_eq!(cluster.claim(org, &third).await.expect("claim"), Some(3));
    // Leaving releases what it held and ends the membership.
    cluster.leave(&third).await.expect("leave");
    let members = cluster.members().await.expect("members");
    assert!(
        members
            .iter()
            .any(|member| member.node_id == "node-third" && !member.live)
    );
    assert!(
        cluster
            .organization_leases()
            .await
            .expect("leases")
            .iter()
            .all(|lease| !lease.held)
    );
    db.cleanup().await;
}

#[tokio::test]
async fn cluster_mode_needs_postgresql() {
    let db = TestDb::sqlite().await;
    match db
        .store
        .cluster()
        .join("node", "http://node.invalid", "", Duration::from_secs(1))
        .await
    {
        Err(StoreError::Config(reason)) => assert!(reason.contains("PostgreSQL"), "{reason}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
    db.cleanup().await;
}
