//! Webhooks in, through real HTTP on SQLite and PostgreSQL: every vector of the
//! fixtures' `vectors.json` posted to a connected integration's `webhook_url` (valid ones
//! accepted, invalid ones 401), the vendors' handshakes, deduplication, bad deliveries,
//! and one signed GitHub `pull_request` delivery followed to a completed `analyze_pr`
//! task through the adapter, the real GitHub watcher and a code review agent.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use common::{Caller, Server, executors, serve_with};
use companyos_api::WebhookConfig;
use companyos_integrations::webhooks::github_signature;
use companyos_store::testing::{TestDb, eventually, until};
use companyos_store::{DeliveryStatus, OrgId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

companyos_store::contract_tests!(
    every_vector_is_accepted_or_refused_over_http,
    a_pull_request_delivery_becomes_a_completed_review_task_once,
    bad_deliveries_get_clear_errors_and_lose_nothing,
    a_types_tasks_are_spread_across_its_agents,
    a_review_waits_for_a_reviewer_and_runs_when_one_starts,
);

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The clock the vectors' Slack timestamps are checked against; the vector suite holds
/// `CLOCK_USER` while it sets it, so the two backends' runs take turns.
static NOW: AtomicI64 = AtomicI64::new(0);
static CLOCK_USER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn test_clock() -> i64 {
    NOW.load(Ordering::SeqCst)
}

async fn node(db: &TestDb, max_body_bytes: usize) -> Server {
    let mut webhooks = WebhookConfig::new(None, max_body_bytes)
        .with_rejection_tally_every(std::time::Duration::from_millis(50));
    webhooks.clock = test_clock;
    // The webhook entry is the subject: a delivery's task is finished by a stand-in for
    // the executor (no GitHub to read the pull request from), so a test sees the task
    // the delivery caused, with the input the real watcher wrote.
    serve_with(db, |_| {}, webhooks, executors()).await
}

/// Connects `service` with `secret`; returns the webhook URL's path and query.
async fn connect(server: &Server, owner: &Caller, service: &str, secret: &str) -> String {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/api/integrations/{service}/connect"),
            owner,
            Some(json!({"credentials": {"token": format!("{service}-token")}, "webhook_secret": secret})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let url = body["webhook_url"].as_str().expect("webhook_url");
    assert!(
        url.starts_with(&server.base),
        "absolute, on this node: {url}"
    );
    assert!(
        !body.to_string().contains(secret),
        "the secret is never returned"
    );
    url[server.base.len()..].to_owned()
}

async fn deliver(
    server: &Server,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .post(format!("{}{path}", server.base))
        .body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    common::read(request.send().await.expect("send")).await
}

fn service_of(vector: &Value) -> &str {
    match vector["service"].as_str().expect("service") {
        "x" => "twitter",
        other => other,
    }
}

fn secret_of(vector: &Value) -> &str {
    [
        "secret",
        "consumer_secret",
        "client_secret",
        "configured_passcode",
    ]
    .iter()
    .find_map(|field| vector[*field].as_str())
    .expect("secret")
}

/// What each vector gets: 401 for the invalid ones; for valid ones 202 (recorded), or
/// 200 for a handshake or a redelivery, or 400 when the signed body is not JSON.
fn expected(id: &str) -> StatusCode {
    match id {
        "github.docs" | "github.docs.sha1-legacy" => StatusCode::BAD_REQUEST,
        "github.fixture.ping"
        | "slack.fixture.url_verification.docs"
        // The same signed request as slack.docs, 300 s later: a redelivery.
        | "slack.docs.edge-300s" => StatusCode::OK,
        "github.docs.tampered"
        | "github.docs.uppercase-prefix"
        | "github.fixture.push.wrong-secret"
        | "slack.docs.stale"
        | "vercel.sha256-is-wrong"
        | "x.post.hex-is-wrong"
        | "linkedin.signature.interpretation-B"
        | "figma.passcode.mismatch" => StatusCode::UNAUTHORIZED,
        _ => StatusCode::ACCEPTED,
    }
}

async fn every_vector_is_accepted_or_refused_over_http(db: &TestDb) {
    let _clock = CLOCK_USER.lock().await;
    let server = node(db, companyos_api::DEFAULT_MAX_BODY_BYTES).await;
    let (owner, org) = server.owner("owner@vectors.test", "Vectors").await;
    let owner = Caller::new(&owner, &org);
    let text = std::fs::read_to_string(fixtures().join("vectors.json")).expect("vectors");
    let vectors: Value = serde_json::from_str(&text).expect("json");
    let vectors = vectors["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 30);
    let mut accepted = 0;
    for vector in vectors {
        let id = vector["id"].as_str().expect("id");
        let service = service_of(vector);
        let path = connect(&server, &owner, service, secret_of(vector)).await;
        match vector["kind"].as_str() {
            Some("crc") => {
                let token = vector["crc_token"].as_str().expect("crc_token");
                let (status, body) = server.get(&format!("{path}&crc_token={token}"), None).await;
                assert_eq!(status, StatusCode::OK, "{id}: {body}");
                assert_eq!(body, vector["expected_response"], "{id}");
                continue;
            }
            Some("challenge") => {
                let code = vector["challenge_code"].as_str().expect("challenge_code");
                let (status, body) = server
                    .get(&format!("{path}&challengeCode={code}"), None)
                    .await;
                assert_eq!(status, StatusCode::OK, "{id}: {body}");
                assert_eq!(body, vector["expected_response"], "{id}");
                continue;
            }
            _ => {}
        }
        NOW.store(vector["now"].as_i64().unwrap_or(0), Ordering::SeqCst);
        let body = match vector["body_inline"].as_str() {
            Some(inline) => inline.as_bytes().to_vec(),
            None => fixture(vector["body_file"].as_str().expect("body_file")),
        };
        let mut headers: Vec<(String, String)> = vector["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.as_str().expect("value").to_owned()))
            .collect();
        if vector["body_file"]
            .as_str()
            .is_some_and(|file| file.ends_with(".txt"))
        {
            // Slack's slash commands are form posts.
            headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        let (status, answer) = deliver(&server, &path, &headers, body).await;
        assert_eq!(status, expected(id), "{id}: {answer}");
        match status {
            StatusCode::UNAUTHORIZED => {
                assert!(
                    answer["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("refused")),
                    "{id}: {answer}"
                )
            }
            StatusCode::BAD_REQUEST => assert!(
                answer["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("kept for inspection")),
                "{id}: {answer}"
            ),
            StatusCode::ACCEPTED => {
                assert_eq!(answer["status"], "received", "{id}");
                accepted += 1;
            }
            _ => {}
        }
        if id == "slack.fixture.url_verification.docs" {
            assert!(
                answer["challenge"].is_string(),
                "the challenge is echoed: {answer}"
            );
        }
        if id == "github.fixture.ping" {
            assert!(answer["zen"].is_string(), "{answer}");
        }
    }
    assert_eq!(accepted, 14);

    // Each recorded delivery becomes an event, and the domain rows follow.
    let org_id = OrgId(org.parse().expect("org"));
    until("the deliveries to be processed", || async {
        db.store
            .deliveries()
            .count(org_id, DeliveryStatus::Processed)
            .await
            .expect("count")
            == 14
    })
    .await;
    let (_, deployments) = server
        .call(Method::GET, "/api/deployments", &owner, None)
        .await;
    let mut states: Vec<&str> = deployments["items"]
        .as_array()
        .expect("deployments")
        .iter()
        .filter_map(|deployment| deployment["state"].as_str())
        .collect();
    states.sort();
    assert_eq!(
        states,
        ["canceled"],
        "the four fixtures are one deployment's life, in delivery order (the third-party vector names no project)"
    );
    let (_, pulls) = server
        .call(Method::GET, "/api/pull-requests", &owner, None)
        .await;
    assert_eq!(pulls["items"].as_array().map(Vec::len), Some(1), "{pulls}");
    let (_, files) = server
        .call(Method::GET, "/api/figma/files", &owner, None)
        .await;
    assert_eq!(files["items"].as_array().map(Vec::len), Some(1), "{files}");
    let (_, events) = server
        .call(Method::GET, "/api/analytics/events?limit=100", &owner, None)
        .await;
    let types: Vec<&str> = events["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["event_type"].as_str())
        .collect();
    for wanted in [
        "pull_request.opened",
        "push",
        "slack.command",
        "slack.app_mention",
        "vercel.deployment.canceled",
        "twitter.tweet_create",
        "figma.file_update",
        "figma.ping",
    ] {
        assert!(types.contains(&wanted), "{wanted} in {types:?}");
    }
    server.stop().await;
}

async fn a_pull_request_delivery_becomes_a_completed_review_task_once(db: &TestDb) {
    let server = node(db, companyos_api::DEFAULT_MAX_BODY_BYTES).await;
    let (owner, org) = server.owner("owner@review.test", "Review").await;
    let owner = Caller::new(&owner, &org);
    for (name, agent_type) in [("GitHub", "github_watcher"), ("Reviewer", "code_review")] {
        let (status, body) = server
            .call(
                Method::POST,
                "/api/agents",
                &owner,
                Some(json!({"name": name, "type": agent_type})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let path = connect(&server, &owner, "github", "review-secret").await;
    let body = fixture("github/pull_request/opened.payload.json");
    let headers = pull_request_headers(
        b"review-secret",
        "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        &body,
    );
    let (status, first) = deliver(&server, &path, &headers, body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, again) = deliver(&server, &path, &headers, body).await;
    assert_eq!(status, StatusCode::OK, "a redelivery: {again}");
    assert_eq!(
        (again["status"].as_str(), &again["delivery_id"]),
        (Some("duplicate"), &first["delivery_id"])
    );

    let task = loop_for_task(&server, &owner).await;
    assert_eq!(task["task_type"], "analyze_pr");
    assert_eq!(task["input_data"]["number"], 2);
    assert_eq!(task["input_data"]["repository"], "Codertocat/Hello-World");
    assert_eq!(task["output_data"]["done"], "analyze_pr");

    let (_, pulls) = server
        .call(Method::GET, "/api/pull-requests", &owner, None)
        .await;
    let pulls = pulls["items"].as_array().expect("pull requests");
    assert_eq!(pulls.len(), 1);
    assert_eq!(
        (pulls[0]["number"].as_i64(), pulls[0]["state"].as_str()),
        (Some(2), Some("open"))
    );
    assert_eq!(task["input_data"]["pull_request_id"], pulls[0]["id"]);
    let (_, events) = server
        .call(
            Method::GET,
            "/api/analytics/events?type=pull_request.opened",
            &owner,
            None,
        )
        .await;
    assert_eq!(
        events["items"].as_array().map(Vec::len),
        Some(1),
        "one event for two deliveries of the same id: {events}"
    );
    let (_, tasks) = server
        .call(Method::GET, "/api/agent-tasks", &owner, None)
        .await;
    assert_eq!(tasks["items"].as_array().map(Vec::len), Some(1), "{tasks}");
    server.stop().await;
}

/// The headers of a signed GitHub `pull_request` delivery.
fn pull_request_headers(secret: &[u8], delivery: &str, body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("x-github-event".to_owned(), "pull_request".to_owned()),
        ("x-github-delivery".to_owned(), delivery.to_owned()),
        (
            "x-hub-signature-256".to_owned(),
            github_signature(secret, body),
        ),
    ]
}

/// Two reviewers share the reviews: each event's task goes to one of them, chosen by a
/// hash of the event (so that routing it again finds the same task).
async fn a_types_tasks_are_spread_across_its_agents(db: &TestDb) {
    const DELIVERIES: usize = 40;
    let server = node(db, companyos_api::DEFAULT_MAX_BODY_BYTES).await;
    let (owner, org) = server.owner("owner@spread.test", "Spread").await;
    let owner = Caller::new(&owner, &org);
    let mut reviewers = Vec::new();
    for (name, agent_type) in [
        ("GitHub", "github_watcher"),
        ("Reviewer one", "code_review"),
        ("Reviewer two", "code_review"),
    ] {
        let (status, body) = server
            .call(
                Method::POST,
                "/api/agents",
                &owner,
                Some(json!({"name": name, "type": agent_type})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        if agent_type == "code_review" {
            reviewers.push(body["id"].as_str().expect("id").to_owned());
        }
    }
    let path = connect(&server, &owner, "github", "spread-secret").await;
    let body = fixture("github/pull_request/opened.payload.json");
    for n in 0..DELIVERIES {
        let headers = pull_request_headers(b"spread-secret", &format!("spread-{n}"), &body);
        let (status, answer) = deliver(&server, &path, &headers, body.clone()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    }
    let tasks = eventually("one completed review per delivery", || async {
        let (_, page) = server
            .call(
                Method::GET,
                "/api/agent-tasks?status=completed&limit=100",
                &owner,
                None,
            )
            .await;
        let tasks = page["items"].as_array().cloned().unwrap_or_default();
        if tasks.len() == DELIVERIES {
            Ok(tasks)
        } else {
            Err(tasks.len())
        }
    })
    .await;
    assert_eq!(tasks.len(), DELIVERIES, "one review per delivery");
    for reviewer in &reviewers {
        let share = tasks
            .iter()
            .filter(|task| task["agent_id"].as_str() == Some(reviewer.as_str()))
            .count();
        assert!(
            share > 0 && share < DELIVERIES,
            "each reviewer takes a share: {share} of {DELIVERIES} for {reviewer}"
        );
    }
    server.stop().await;
}

/// The organization's one task, once completed.
async fn loop_for_task(server: &Server, owner: &Caller) -> Value {
    eventually("a completed task", || async {
        let (_, tasks) = server
            .call(
                Method::GET,
                "/api/agent-tasks?status=completed&include=data",
                owner,
                None,
            )
            .await;
        match tasks["items"].as_array().and_then(|tasks| tasks.first()) {
            Some(task) => Ok(task.clone()),
            None => Err(tasks),
        }
    })
    .await
}

/// A pull request opened for an organization with a GitHub watcher but no reviewer: the
/// review task is kept, listed as waiting with its reason, and runs as soon as a
/// reviewer is created. Routing the event again (a redelivery) makes nothing new.
async fn a_review_waits_for_a_reviewer_and_runs_when_one_starts(db: &TestDb) {
    let server = node(db, companyos_api::DEFAULT_MAX_BODY_BYTES).await;
    let (owner, org) = server.owner("owner@waiting.test", "Waiting").await;
    let owner = Caller::new(&owner, &org);
    let (status, body) = server
        .call(
            Method::POST,
            "/api/agents",
            &owner,
            Some(json!({"name": "GitHub", "type": "github_watcher"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let path = connect(&server, &owner, "github", "waiting-secret").await;
    // Connecting GitHub started a code review agent; this organization deletes it.
    let (_, reviewers) = server
        .call(Method::GET, "/api/agents?type=code_review", &owner, None)
        .await;
    for reviewer in reviewers["items"].as_array().expect("agents") {
        let id = reviewer["id"].as_str().expect("id");
        let (status, _) = server
            .call(Method::DELETE, &format!("/api/agents/{id}"), &owner, None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let body = fixture("github/pull_request/opened.payload.json");
    let headers = pull_request_headers(b"waiting-secret", "waiting-delivery-1", &body);
    let (status, answer) = deliver(&server, &path, &headers, body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");

    let waiting = eventually("the review task, waiting", || async {
        let (_, tasks) = server
            .call(Method::GET, "/api/agent-tasks?status=pending", &owner, None)
            .await;
        match tasks["items"].as_array().and_then(|tasks| tasks.first()) {
            Some(task) => Ok(task.clone()),
            None => Err(tasks),
        }
    })
    .await;
    assert_eq!(waiting["task_type"], "analyze_pr", "{waiting}");
    assert!(waiting["agent_id"].is_null(), "{waiting}");
    assert!(
        waiting["waiting_reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("code_review")),
        "{waiting}"
    );
    let graphql = server
        .call(
            Method::POST,
            "/graphql",
            &owner,
            Some(json!({"query": "{ agentTasks { items { id status agentType waitingReason agent { name } } } }"})),
        )
        .await
        .1;
    let listed = &graphql["data"]["agentTasks"]["items"][0];
    assert_eq!(listed["agentType"], "code_review", "{graphql}");
    assert!(listed["waitingReason"].is_string(), "{graphql}");
    assert!(listed["agent"].is_null());

    let (status, reviewer) = server
        .call(
            Method::POST,
            "/api/agents",
            &owner,
            Some(json!({"name": "Reviewer", "type": "code_review"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reviewer}");
    let task = loop_for_task(&server, &owner).await;
    assert_eq!(task["id"], waiting["id"], "the waiting task ran");
    assert_eq!(task["agent_id"], reviewer["id"]);
    let (_, all) = server
        .call(Method::GET, "/api/agent-tasks", &owner, None)
        .await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(1),
        "one task for one event: {all}"
    );

    // The supervision tree shows the reviewer under the executors, with its policy,
    // and the organization's subtree only.
    let (status, tree) = server
        .call(Method::GET, "/api/supervision/tree", &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    let nodes = tree["nodes"].as_array().expect("nodes");
    let reviewer_node = nodes
        .iter()
        .find(|node| node["agent_name"] == "Reviewer")
        .unwrap_or_else(|| panic!("no reviewer in {tree}"));
    assert_eq!(reviewer_node["role"], "agent");
    assert_eq!(reviewer_node["agent_type"], "code_review");
    assert!(
        reviewer_node["parent"]
            .as_str()
            .is_some_and(|parent| parent.ends_with("/executors")),
        "{reviewer_node}"
    );
    assert!(
        reviewer_node["policy"]["max_restarts"].is_u64(),
        "{reviewer_node}"
    );
    assert!(nodes.iter().any(|node| node["role"] == "root"));
    assert!(
        nodes
            .iter()
            .filter_map(|node| node["path"].as_str())
            .filter(|path| path.starts_with("root/org:"))
            .all(|path| path.starts_with(&format!("root/org:{org}"))),
        "nothing of another organization: {tree}"
    );
    server.stop().await;
}

async fn bad_deliveries_get_clear_errors_and_lose_nothing(db: &TestDb) {
    let server = node(db, 4096).await;
    let (owner, org) = server.owner("owner@bad.test", "Bad").await;
    let owner = Caller::new(&owner, &org);
    let path = connect(&server, &owner, "github", "bad-delivery-secret").await;
    let signed = |body: &[u8]| {
        vec![
            ("x-github-event".to_owned(), "push".to_owned()),
            (
                "x-hub-signature-256".to_owned(),
                github_signature(b"bad-delivery-secret", body),
            ),
        ]
    };
    let ok = br#"{"ref":"refs/heads/main"}"#.to_vec();

    let (status, body) = deliver(
        &server,
        "/api/webhooks/gitlab/receive?token=x",
        &signed(&ok),
        ok.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown service: {body}");
    let (status, body) = deliver(
        &server,
        "/api/webhooks/github/receive",
        &signed(&ok),
        ok.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no token: {body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("webhook_url")),
        "{body}"
    );
    let (status, _) = deliver(
        &server,
        "/api/webhooks/github/receive?token=guess",
        &signed(&ok),
        ok.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a wrong token");
    let vercel_path = path.replace("/github/", "/vercel/");
    let (status, _) = deliver(&server, &vercel_path, &signed(&ok), ok.clone()).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the token of another service's integration"
    );

    let (status, body) = deliver(&server, &path, &[], ok.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("X-Hub-Signature-256")),
        "{body}"
    );

    let large = vec![b' '; 5000];
    let (status, body) = deliver(&server, &path, &signed(&large), large.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    // The two refusals are the organization's, for the anomaly detector: tallied by
    // reason into its metrics.
    let org_id = OrgId(org.parse().expect("org"));
    until("the refusals to be tallied", || async {
        let points = db
            .store
            .metrics()
            .series(
                org_id,
                "webhooks.rejected",
                chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                db.store.now() + chrono::Duration::days(1),
            )
            .await
            .expect("metrics");
        let count = |reason: &str| -> f64 {
            points
                .iter()
                .filter(|point| {
                    point.dimensions["reason"] == reason && point.dimensions["service"] == "github"
                })
                .map(|point| point.value)
                .sum()
        };
        count("bad_signature") == 1.0 && count("too_large") == 1.0
    })
    .await;

    let broken = b"{\"ref\": ".to_vec();
    let (status, body) = deliver(&server, &path, &signed(&broken), broken.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let integration = db
        .store
        .integrations()
        .get(org_id, companyos_store::Service::Github)
        .await
        .expect("integration");
    let kept = db
        .store
        .deliveries()
        .list(org_id, integration.id, Some(DeliveryStatus::Malformed), 10)
        .await
        .expect("kept");
    assert_eq!(kept.len(), 1, "the malformed delivery is kept");
    assert_eq!(kept[0].body, broken, "byte for byte");

    let (status, body) = deliver(&server, &path, &signed(&ok), ok.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    until("the deliveries to be processed", || async {
        db.store
            .deliveries()
            .count(org_id, DeliveryStatus::Processed)
            .await
            .expect("count")
            == 1
    })
    .await;

    let (status, _) = server
        .call(
            Method::DELETE,
            "/api/integrations/github/disconnect",
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = deliver(&server, &path, &signed(&ok), ok).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "not connected any more: {body}"
    );
    server.stop().await;
}
