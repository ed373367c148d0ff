//! A team's first hour, on SQLite and PostgreSQL: a registration that fails leaves
//! nothing behind; one organization's slow vendor holds back no other organization's
//! routing, nor its own events; a task its agent cannot run is refused; a failed task
//! can be retried; decisions and connections are in the audit trail; an integration's
//! card tells the last sync's outcome; schedules, the node's model and its sign-in
//! providers can be read and set.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Caller, create_task, serve, serve_node, task, tasks_of};
use companyos_api::WebhookConfig;
use companyos_store::Service;
use companyos_store::testing::{TestDb, eventually};
use companyos_supervisors::AgentTypeRegistry;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

companyos_store::contract_tests!(
    a_failed_registration_writes_nothing,
    a_slow_sync_holds_back_no_routing,
    tasks_are_refused_retried_and_audited,
    an_integration_card_tells_the_last_sync,
    schedules_the_model_and_sign_in,
);

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/github/pull_request/opened.payload.json");
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json")
}

async fn counts(db: &TestDb) -> (i64, usize) {
    (
        db.store.users().count().await.expect("users"),
        db.store
            .organizations()
            .list_all()
            .await
            .expect("organizations")
            .len(),
    )
}

async fn a_failed_registration_writes_nothing(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    // An organization name over 255 bytes: refused, and no account claims the node.
    let (status, refused) = server
        .register(
            "first@example.com",
            json!({"organization": "a".repeat(300)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "organization", "{refused}");
    assert_eq!(
        counts(db).await,
        (0, 0),
        "nothing of the registration is left"
    );
    // So the same person registers again, as the node's first owner.
    let (owner, org) = server.owner("first@example.com", "Acme").await;
    assert_eq!(counts(db).await, (1, 1));

    // An invited registration that fails leaves no account and the invitation usable.
    let invitation = server
        .invite(&owner, &org, "invited@example.com", "member")
        .await;
    let mut body = json!({"email": "invited@example.com", "name": "n".repeat(300),
        "password": "correct horse", "invitation_token": invitation});
    let (status, refused) = server.post("/api/auth/register", None, body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "name", "{refused}");
    assert_eq!(counts(db).await, (1, 1));
    body["name"] = json!("Invited");
    let (status, joined) = server.post("/api/auth/register", None, body).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    assert_eq!(joined["organization"]["role"], "member");
    assert_eq!(counts(db).await, (2, 1));
    server.stop().await;
}

/// GitHub for two organizations: organization A's token lists its repositories only
/// after `slow` (its sync hangs meanwhile); everything else answers at once.
async fn github(slow: Duration) -> MockServer {
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user/repos"))
        .and(header_regex("authorization", "ghp_slow_tenant"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(slow)
                .set_body_json(json!([])),
        )
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/user/repos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&github)
        .await;
    github
}

async fn deliver(server: &common::Server, path: &str, delivery: &str) {
    let body = serde_json::to_vec(&fixture()).expect("body");
    let status = server
        .deliver_github(path, b"first-hour", delivery, body)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

async fn a_slow_sync_holds_back_no_routing(db: &TestDb) {
    // Longer than the test needs, shorter than the client's timeout: the sync is still
    // hanging when both organizations' pull requests have their tasks.
    let github = github(Duration::from_secs(25)).await;
    let server = serve_node(
        db,
        |auth| auth.open_registration = true,
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Github, github.uri())]),
        None,
    )
    .await;
    let (a_token, a_org) = server.owner("a@example.com", "Slow vendor").await;
    let (b_token, b_org) = server.owner("b@example.com", "Other tenant").await;
    let (a, b) = (Caller::new(&a_token, &a_org), Caller::new(&b_token, &b_org));
    let a_path = server
        .connect_github(&a, "ghp_slow_tenant", "first-hour")
        .await;
    let b_path = server
        .connect_github(&b, "ghp_quick_tenant", "first-hour")
        .await;

    // A's watcher is busy with a sync that hangs on GitHub.
    let (status, sync) = server
        .call(Method::POST, "/api/integrations/github/sync", &a, None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sync}");
    task(&server, &a, "sync_integration", "in_progress").await;

    // A pull request to A, then one to B: both are routed while A's sync hangs.
    deliver(&server, &a_path, "first-hour-a").await;
    deliver(&server, &b_path, "first-hour-b").await;
    for (caller, who) in [(&b, "B"), (&a, "A")] {
        eventually(
            format!("{who}'s pull request to have its analyze_pr"),
            || async {
                let written = tasks_of(&server, caller, "analyze_pr").await;
                if written.is_empty() { Err(()) } else { Ok(()) }
            },
        )
        .await;
    }
    let syncs = tasks_of(&server, &a, "sync_integration").await;
    assert_eq!(
        syncs[0]["status"], "in_progress",
        "A's sync still hangs: the routing did not wait for it"
    );
    server.stop().await;
}

async fn tasks_are_refused_retried_and_audited(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (token, org) = server.owner("owner@example.com", "Acme").await;
    let owner = Caller::new(&token, &org);
    let (status, agent) = server
        .call(
            Method::POST,
            "/api/agents",
            &owner,
            Some(json!({"name": "Counter", "type": "text_stats"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent_id = agent["id"].as_str().expect("id").to_owned();

    // A task its agent cannot run is refused, naming what it can run; nothing is written.
    let (status, refused) = server
        .call(
            Method::POST,
            "/api/agent-tasks",
            &owner,
            Some(json!({"agent_id": agent_id, "task_type": "no_such_task"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "task_type");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("count_text")),
        "{refused}"
    );
    assert!(tasks_of(&server, &owner, "no_such_task").await.is_empty());

    // A task that fails for good (no text to count) can be run again.
    let failing = create_task(
        &server,
        &owner,
        json!({"agent_id": agent_id, "task_type": "count_text", "input": {"words": 3}, "max_attempts": 1}),
    )
    .await;
    assert!(failing["requested_by"].is_string(), "{failing}");
    let failed = task(&server, &owner, "count_text", "failed").await;
    assert!(failed["error_message"].is_string(), "{failed}");
    let id = failed["id"].as_str().expect("id");
    let (status, retried) = server
        .call(
            Method::POST,
            &format!("/api/agent-tasks/{id}/retry"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["status"], "pending");
    assert!(retried["error_message"].is_null(), "{retried}");
    assert_eq!(retried["attempt"], 0);
    task(&server, &owner, "count_text", "failed").await;
    // A task that did not fail is not retried.
    let done = create_task(
        &server,
        &owner,
        json!({"agent_id": agent_id, "task_type": "count_text", "input": {"text": "a b"}}),
    )
    .await;
    let done_id = done["id"].as_str().expect("id");
    task(&server, &owner, "count_text", "completed").await;
    let (status, conflict) = server
        .call(
            Method::POST,
            &format!("/api/agent-tasks/{done_id}/retry"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");

    // Searching tasks: by text in the error, and by agent type.
    let (_, found) = server
        .call(
            Method::GET,
            "/api/agent-tasks?q=MISSING%20FIELD&agent_type=text_stats",
            &owner,
            None,
        )
        .await;
    let found = found["items"].as_array().expect("items");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], id);
    let (_, none) = server
        .call(
            Method::GET,
            "/api/agent-tasks?agent_type=security",
            &owner,
            None,
        )
        .await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));

    // The audit trail: the agent created and the retry, by the owner.
    let me = server.get("/api/auth/me", Some(&token)).await.1;
    let user_id = me["id"].as_str().or(me["user"]["id"].as_str()).expect("me");
    let trail = eventually("the audit trail", || async {
        let (_, trail) = server
            .call(
                Method::GET,
                &format!("/api/analytics/events?source=audit&actor_id={user_id}"),
                &owner,
                None,
            )
            .await;
        let types: Vec<String> = trail["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|event| event["event_type"].as_str().map(str::to_owned))
            .collect();
        if types.contains(&"task.retried".to_owned()) && types.contains(&"agent.created".to_owned())
        {
            Ok(trail)
        } else {
            Err(types)
        }
    })
    .await;
    let retry = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|event| event["event_type"] == "task.retried")
        .expect("retry");
    assert_eq!(retry["actor_type"], "user");
    assert_eq!(retry["resource_id"], id);
    assert!(
        retry["metadata"]["summary"]
            .as_str()
            .is_some_and(|summary| summary.starts_with("Someone retried")),
        "{retry}"
    );
    server.stop().await;
}

async fn an_integration_card_tells_the_last_sync(db: &TestDb) {
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user/repos"))
        .and(header_regex("authorization", "ghp_revoked"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})),
        )
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/user/repos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&github)
        .await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Github, github.uri())]),
        None,
    )
    .await;
    let (token, org) = server.owner("owner@example.com", "Acme").await;
    let owner = Caller::new(&token, &org);
    server
        .connect_github(&owner, "ghp_revoked", "first-hour")
        .await;
    let (status, _) = server
        .call(Method::POST, "/api/integrations/github/sync", &owner, None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let failed = eventually("the failed sync on the card", || async {
        let (_, integration) = server
            .call(Method::GET, "/api/integrations/github", &owner, None)
            .await;
        if integration["last_sync"]["ok"] == false {
            Ok(integration)
        } else {
            Err(integration)
        }
    })
    .await;
    assert_eq!(failed["status"], "error", "{failed}");
    assert!(failed["last_sync"]["error"].is_string(), "{failed}");

    // Reconnecting with a good token syncs at once and clears the stale failure.
    server
        .connect_github(&owner, "ghp_good", "first-hour")
        .await;
    let healthy = eventually("the good sync on the card", || async {
        let (_, integration) = server
            .call(Method::GET, "/api/integrations/github", &owner, None)
            .await;
        if integration["last_sync"]["ok"] == true {
            Ok(integration)
        } else {
            Err(integration)
        }
    })
    .await;
    assert_eq!(healthy["status"], "active", "{healthy}");
    assert!(healthy["last_sync"]["error"].is_null(), "{healthy}");
    let (_, trail) = server
        .call(
            Method::GET,
            "/api/analytics/events?source=audit&type=integration.connected",
            &owner,
            None,
        )
        .await;
    assert_eq!(trail["items"].as_array().map(Vec::len), Some(2), "{trail}");
    server.stop().await;
}

async fn schedules_the_model_and_sign_in(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (providers_status, providers) = server.get("/api/auth/providers", None).await;
    assert_eq!(providers_status, StatusCode::OK);
    assert_eq!(
        providers,
        json!({"github": false, "open_registration": false})
    );
    let (token, org) = server.owner("owner@example.com", "Acme").await;
    let owner = Caller::new(&token, &org);
    let (_, llm) = server
        .call(Method::GET, "/api/settings/llm", &owner, None)
        .await;
    assert_eq!(llm["enabled"], false, "{llm}");
    assert_eq!(llm["api_key_set"], false, "{llm}");

    let (_, agent) = server
        .call(
            Method::POST,
            "/api/agents",
            &owner,
            Some(json!({"name": "Counter", "type": "text_stats"})),
        )
        .await;
    let schedule = |cron: &str, task_type: &str| {
        json!({"name": "Weekdays", "agent_id": agent["id"], "task_type": task_type,
            "cron_expression": cron, "input_data": {"text": "standup"}})
    };
    let (status, bad) = server
        .call(
            Method::POST,
            "/api/schedules",
            &owner,
            Some(schedule("every morning", "count_text")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["field"], "cron_expression");
    let (status, bad) = server
        .call(
            Method::POST,
            "/api/schedules",
            &owner,
            Some(schedule("0 9 * * 1-5", "no_such_task")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["field"], "task_type");
    let (status, created) = server
        .call(
            Method::POST,
            "/api/schedules",
            &owner,
            Some(schedule("0 9 * * 1-5", "count_text")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["next_run_at"].is_string(), "{created}");
    let id = created["id"].as_str().expect("id");
    let (_, listed) = server
        .call(Method::GET, "/api/schedules", &owner, None)
        .await;
    assert_eq!(listed["items"][0]["id"], id);
    let (status, off) = server
        .call(
            Method::PATCH,
            &format!("/api/schedules/{id}"),
            &owner,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(off["enabled"], false);
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/api/schedules/{id}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = server
        .call(Method::GET, "/api/schedules", &owner, None)
        .await;
    assert_eq!(listed["items"], json!([]));
    server.stop().await;
}
