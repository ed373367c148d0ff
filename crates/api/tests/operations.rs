//! The operations agents end to end over HTTP on SQLite and PostgreSQL, against local
//! stand-ins for Vercel's and Slack's APIs in their documented formats and for deployed
//! sites that are healthy, slow and failing:
//!
//! - connecting Vercel starts its watcher and a `deployment` agent; a signed
//!   `deployment.succeeded` is health-checked (the score lands on the deployment), a
//!   `deployment.error` is analysed from the build's events, a rollback waits for a
//!   person and then points production back at the previous ready deployment;
//! - connecting Slack starts its watcher and a `notification` agent; notices are posted
//!   with blocks to the routed channel, a mention is answered in its thread, a task
//!   waiting for approval is posted with buttons, and a signed click approves it — but
//!   a bad signature, a stale timestamp or a viewer's click changes nothing.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{
    Caller, Server, agent_of_type, approve, create_task, fixture, serve_node, serve_node_with_llm,
    task, task_where, tasks_of,
};
use companyos_api::WebhookConfig;
use companyos_integrations::webhooks::slack_signature;
use companyos_store::Service;
use companyos_store::testing::{TestDb, until};
use companyos_supervisors::AgentTypeRegistry;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};

use wiremock::{Mock, MockServer, Request, ResponseTemplate};

companyos_store::contract_tests!(
    deployments_are_checked_analysed_and_rolled_back_after_approval,
    notices_and_approvals_travel_through_slack,
    a_pipeline_resumes_at_its_step_and_a_failed_monitor_ends_in_a_resolved_incident,
    a_delivery_the_store_cannot_keep_is_malformed_and_the_rest_go_on,
    a_model_reads_the_error_block_and_changes_the_cause_only_with_evidence,
);

/// The fixture's failed deployment.
const FAILED: &str = "dpl_2euZBFqxYdDMDMqkJ3o4kXcSWpGQ";
const PROJECT: &str = "prj_8Kq3Lm2Np4Qr6St8Uv0Wx2Yz4Ab6";

/// A deployed site: `/` answers `status` after `delay`.
async fn site(status: u16, delay: Duration) -> MockServer {
    let site = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_string("<html></html>")
                .set_delay(delay),
        )
        .mount(&site)
        .await;
    site
}

fn deployment(id: &str, created_at: i64, url: &str) -> Value {
    json!({
        "id": id, "url": url, "name": "my-app", "readyState": "READY", "target": "production",
        "alias": [], "createdAt": created_at, "projectId": PROJECT, "meta": {},
        "creator": {"uid": "Uu1v2W3x4Y5z6A7b8C9d0E1f", "username": "acme"}
    })
}

/// Vercel's API: the failed deployment and its build's events, the healthy one, the
/// project's ready production deployments, rollback and redeploy.
async fn vercel(healthy_id: &str) -> MockServer {
    let vercel = MockServer::start().await;
    let mut failed = deployment(
        FAILED,
        1_700_000_000_000,
        "my-app-4f8s2k1xq-acme.vercel.app",
    );
    failed["readyState"] = json!("ERROR");
    failed["errorMessage"] = json!("Command \"npm run build\" exited with 1");
    Mock::given(method("GET"))
        .and(path(format!("/v13/deployments/{FAILED}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(failed))
        .mount(&vercel)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v3/deployments/{FAILED}/events")))
        .and(query_param("limit", "-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("vercel/api/deployment-events.error.json")),
        )
        .mount(&vercel)
        .await;
    // Built by Vercel from a GitHub commit.
    let mut healthy = deployment(healthy_id, 1_700_000_900_000, "my-app-healthy.vercel.app");
    healthy["meta"] = json!({"githubCommitOrg": "acme", "githubCommitRepo": "my-app",
                             "githubCommitSha": "9f3c2a1b7e6d5c4b3a29180f7e6d5c4b3a291807"});
    Mock::given(method("GET"))
        .and(path(format!("/v13/deployments/{healthy_id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(healthy))
        .mount(&vercel)
        .await;
    let summary = |uid: &str, created: i64| {
        json!({"uid": uid, "name": "my-app", "projectId": PROJECT, "url": format!("{uid}.vercel.app"),
               "created": created, "createdAt": created, "state": "READY", "readyState": "READY",
               "target": "production", "creator": {"uid": "Uu1v2W3x4Y5z6A7b8C9d0E1f"}})
    };
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .and(query_param("projectId", PROJECT))
        .and(query_param("state", "READY"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "pagination": {"count": 3, "next": null, "prev": null},
            "deployments": [
                summary(healthy_id, 1_700_000_900_000),
                summary("dpl_previous_good", 1_700_000_500_000),
                summary("dpl_older_good", 1_700_000_100_000),
            ]
        })))
        .mount(&vercel)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1/projects/{PROJECT}/rollback/dpl_previous_good"
        )))
        .respond_with(ResponseTemplate::new(201))
        .mount(&vercel)
        .await;
    vercel
}

/// GitHub's deployments of the commit Vercel built, and their statuses.
async fn github_deployments() -> MockServer {
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/my-app/deployments"))
        .and(query_param(
            "sha",
            "9f3c2a1b7e6d5c4b3a29180f7e6d5c4b3a291807",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "url": "https://api.github.com/repos/acme/my-app/deployments/1042",
            "id": 1042, "node_id": "MDEwOkRlcGxveW1lbnQxMDQy",
            "sha": "9f3c2a1b7e6d5c4b3a29180f7e6d5c4b3a291807", "ref": "main", "task": "deploy",
            "payload": {}, "original_environment": "Production", "environment": "Production",
            "description": null, "creator": {"login": "vercel[bot]", "id": 35613825},
            "created_at": "2023-11-14T22:13:20Z", "updated_at": "2023-11-14T22:13:20Z",
            "statuses_url": "https://api.github.com/repos/acme/my-app/deployments/1042/statuses",
            "repository_url": "https://api.github.com/repos/acme/my-app"
        }])))
        .mount(&github)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/my-app/deployments/1042/statuses"))
        .and(body_partial_json(json!({"state": "inactive"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 1, "state": "inactive", "description": "rolled back by CompanyOS",
            "environment": "Production", "created_at": "2023-11-14T22:20:00Z",
            "updated_at": "2023-11-14T22:20:00Z"
        })))
        .mount(&github)
        .await;
    github
}

async fn started_types(connected: &Value) -> Vec<String> {
    connected["agents_started"]
        .as_array()
        .expect("agents_started")
        .iter()
        .filter_map(|agent| agent["type"].as_str().map(str::to_owned))
        .collect()
}

async fn deployments_are_checked_analysed_and_rolled_back_after_approval(db: &TestDb) {
    let healthy = site(200, Duration::ZERO).await;
    let slow = site(200, Duration::from_millis(600)).await;
    let failing = site(503, Duration::ZERO).await;
    let healthy_id = "dpl_healthy_one";
    let stand_in = vercel(healthy_id).await;
    let github = github_deployments().await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([
            (Service::Vercel, stand_in.uri()),
            (Service::Github, github.uri()),
        ]),
        None,
    )
    .await;
    let (owner_token, org) = server.owner("owner@deploy.example", "Deploy").await;
    let owner = Caller::new(&owner_token, &org);
    let admin = Caller::new(
        &server
            .member(&owner_token, &org, "admin@deploy.example", "admin")
            .await,
        &org,
    );
    let member = Caller::new(
        &server
            .member(&owner_token, &org, "member@deploy.example", "member")
            .await,
        &org,
    );
    let (status, body) = server
        .call(
            Method::POST,
            "/api/integrations/github/connect",
            &owner,
            Some(json!({"credentials": {"token": "ghp_deployments"}, "webhook_secret": "github-secret"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Connecting Vercel starts its watcher and a deployment agent (the analysts came
    // with GitHub).
    let (connected, hook) = server
        .connect_vercel(&owner, "vercel_the_integrations_own")
        .await;
    assert_eq!(
        started_types(&connected).await,
        ["vercel_watcher", "deployment"]
    );
    // Probes judged against a short "slow" so that the slow site loses points.
    let agent = agent_of_type(&server, &owner, "deployment").await;
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/agents/{agent}"),
            &owner,
            Some(json!({"configuration": {"paths": ["/"], "slow_ms": 150, "timeout_ms": 3000, "healthy_at": 70}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A deployment that succeeded is probed; its health lands on the deployment.
    let mut succeeded = fixture("vercel/deployment.succeeded.json");
    succeeded["id"] = json!("whd_healthy");
    succeeded["payload"]["deployment"]["id"] = json!(healthy_id);
    succeeded["payload"]["deployment"]["url"] = json!(healthy.uri());
    server.deliver_vercel(&hook, &succeeded).await;
    let checked = task(&server, &owner, "check_deployment", "completed").await;
    assert_eq!(checked["output_data"]["health_score"], 100, "{checked}");
    assert_eq!(checked["output_data"]["probes"][0]["status"], 200);
    let (_, deployments) = server
        .call(Method::GET, "/api/deployments", &owner, None)
        .await;
    let row = deployments["items"]
        .as_array()
        .expect("deployments")
        .iter()
        .find(|row| row["vercel_deployment_id"] == healthy_id)
        .expect("the deployment")
        .clone();
    assert_eq!(row["health_score"], 100, "{row}");
    assert_eq!(row["agent_checked"], true);

    // Slow and failing sites score lower and raise a notice (waiting for a
    // notification agent, visibly).
    for (site, highest, lowest, vercel_id) in [
        (&slow, 69, 25, "dpl_slow_one"),
        (&failing, 0, 0, "dpl_failing_one"),
    ] {
        let mut succeeded = fixture("vercel/deployment.succeeded.json");
        succeeded["id"] = json!(format!("whd_{vercel_id}"));
        succeeded["payload"]["deployment"]["id"] = json!(vercel_id);
        succeeded["payload"]["deployment"]["url"] = json!(site.uri());
        server.deliver_vercel(&hook, &succeeded).await;
        let done = task_where(&server, &owner, "check_deployment", "completed", |task| {
            task["input_data"]["vercel_deployment_id"] == vercel_id
        })
        .await;
        let score = done["output_data"]["health_score"].as_u64().expect("score");
        assert!(
            (lowest..=highest).contains(&score),
            "{score} not in {lowest}..={highest}: {done}"
        );
        assert_eq!(done["output_data"]["healthy"], false);
        assert!(done["output_data"]["notification_task_id"].is_string());
    }
    let notice = task(&server, &owner, "notify", "pending").await;
    assert!(
        notice["agent_id"].is_null() && notice["waiting_reason"].is_string(),
        "{notice}"
    );
    assert_eq!(notice["input_data"]["kind"], "deployment.unhealthy");

    // A failed deployment is analysed from its build's events.
    let failed = fixture("vercel/deployment.error.json");
    server.deliver_vercel(&hook, &failed).await;
    let analysed = task(&server, &owner, "analyze_deployment_failure", "completed").await;
    let output = &analysed["output_data"];
    assert_eq!(output["cause"], "dependency_install", "{output}");
    // A production deployment that failed opens an incident (waiting here for an
    // incident_response agent).
    let incident = task(&server, &owner, "open_incident", "pending").await;
    assert_eq!(
        incident["input_data"]["deployment"]["vercel_deployment_id"],
        FAILED
    );
    assert!(incident["waiting_reason"].is_string(), "{incident}");
    // Once an incident agent takes it, the incident says why the build failed, as the
    // analysis read it: its timeline and its notice carry the step and the cause.
    create_agent(&server, &owner, "incident_response", json!({})).await;
    let opened = task_where(&server, &owner, "notify", "pending", |task| {
        task["input_data"]["kind"] == "incident.opened"
    })
    .await;
    let text = opened["input_data"]["text"].as_str().expect("text");
    let summary = output["summary"].as_str().expect("summary");
    let sentence = format!("{}{}", summary[..1].to_uppercase(), &summary[1..]);
    assert!(
        text.contains(&sentence) && text.contains("react-dom"),
        "{sentence:?} and its evidence in {text:?}"
    );
    let (_, events) = server
        .call(
            Method::GET,
            "/api/analytics/events?type=incident.cause",
            &owner,
            None,
        )
        .await;
    let entries = events["items"].as_array().expect("events");
    assert_eq!(entries.len(), 1, "{events}");
    let entry = &entries[0]["metadata"];
    assert_eq!(entry["incident"], incident["id"], "{entry}");
    assert_eq!(entry["analysis_task"], analysed["id"], "{entry}");
    assert_eq!(entry["cause"], "dependency_install", "{entry}");
    assert_eq!(entry["step"], output["step"], "{entry}");
    assert!(!entry["step"].is_null(), "{entry}");
    assert_eq!(entry["summary"], output["summary"], "{entry}");
    assert!(
        output["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .any(|line| line["text"]
                .as_str()
                .is_some_and(|text| text.contains("react-dom"))),
        "{output}"
    );

    // A rollback waits for a person, then points production at the previous ready
    // deployment. Only admins and owners ask for one, and not the one who approves it.
    let row_id = row["id"].as_str().expect("id");
    let (status, refused) = server
        .call(
            Method::POST,
            &format!("/api/deployments/{row_id}/rollback"),
            &member,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("admin or owner")),
        "{refused}"
    );
    let (status, rollback) = server
        .call(
            Method::POST,
            &format!("/api/deployments/{row_id}/rollback"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{rollback}");
    assert_eq!(rollback["status"], "needs_approval", "{rollback}");
    let rolled = |requests: &[Request]| {
        requests
            .iter()
            .filter(|request| {
                request.method.as_str() == "POST" && request.url.path().contains("/rollback/")
            })
            .count()
    };
    assert_eq!(
        rolled(&stand_in.received_requests().await.expect("requests")),
        0
    );
    let rollback_id = rollback["id"].as_str().expect("id");
    for (who, refusal) in [
        (&owner, "you asked for this task"),
        (&member, "admin or owner"),
    ] {
        let (status, refused) = server
            .call(
                Method::POST,
                &format!("/api/agent-tasks/{rollback_id}/approve"),
                who,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert!(
            refused["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains(refusal)),
            "{refused}"
        );
    }
    approve(&server, &admin, rollback_id).await;
    let done = task(&server, &owner, "rollback", "completed").await;
    assert_eq!(
        done["output_data"]["rolled_back_to"], "dpl_previous_good",
        "{done}"
    );
    assert_eq!(done["approved_via"], "api", "{done}");
    assert_eq!(done["output_data"]["rolled_back_from"], healthy_id);
    // GitHub's environment shows the rolled-back commit inactive.
    assert_eq!(
        done["output_data"]["github_deployment_status"],
        json!({"deployment": 1042, "state": "inactive"}),
        "{done}"
    );
    let requests = stand_in.received_requests().await.expect("requests");
    assert_eq!(rolled(&requests), 1);
    assert!(
        requests.iter().all(|request| request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            == Some("Bearer vercel_the_integrations_own")),
        "every call uses the integration's token"
    );

    // A rollback asked for by hand waits for approval whatever its request says.
    let created = create_task(&server, &owner, json!({"agent_id": agent, "task_type": "rollback", "input": {"deployment_id": row_id}, "requires_approval": false, "max_attempts": 1})).await;
    assert_eq!(created["status"], "needs_approval", "{created}");
    // A health check written by hand cannot choose the address probed.
    let probed = slow.received_requests().await.expect("requests").len();
    let created = create_task(&server, &owner, json!({"agent_id": agent, "task_type": "check_deployment", "input": {"url": slow.uri(), "project": "my-app"}, "max_attempts": 1})).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let refused = task_where(&server, &owner, "check_deployment", "failed", |task| {
        task["id"] == id.as_str()
    })
    .await;
    assert!(
        refused["error_message"]
            .as_str()
            .is_some_and(|message| message.contains("comes from Vercel")),
        "{refused}"
    );
    assert_eq!(
        slow.received_requests().await.expect("requests").len(),
        probed
    );
    assert_eq!(
        rolled(&stand_in.received_requests().await.expect("requests")),
        1
    );
    server.stop().await;
}

/// Slack's Web API: posting, ephemeral answers, and who two users are.
async fn slack(admin_email: &str, viewer_email: &str) -> MockServer {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("slack/api/chat.postMessage.response.ok.json")),
        )
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat.postEphemeral"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "message_ts": "1502210682.580145"})),
        )
        .mount(&slack)
        .await;
    for (user, email) in [("W0ADMIN", admin_email), ("W0VIEWER", viewer_email)] {
        let mut info = fixture("slack/api/users.info.response.ok.json");
        info["user"]["id"] = json!(user);
        info["user"]["profile"]["email"] = json!(email);
        Mock::given(method("POST"))
            .and(path("/users.info"))
            .and(body_partial_json(json!({"user": user})))
            .respond_with(ResponseTemplate::new(200).set_body_json(info))
            .mount(&slack)
            .await;
    }
    slack
}

fn posted_to(requests: &[Request], endpoint: &str) -> Vec<Value> {
    requests
        .iter()
        .filter(|request| request.url.path() == endpoint)
        .filter_map(|request| serde_json::from_slice(&request.body).ok())
        .collect()
}

/// Sends a Slack delivery signed at `timestamp` with `secret`.
async fn deliver_slack(
    server: &Server,
    hook: &str,
    body: Vec<u8>,
    content_type: &str,
    secret: &[u8],
    timestamp: i64,
) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}{hook}", server.base))
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", timestamp.to_string())
        .header(
            "x-slack-signature",
            slack_signature(secret, timestamp, &body),
        )
        .body(body)
        .send()
        .await
        .expect("deliver");
    common::read(response).await
}

async fn status_of(server: &Server, caller: &Caller, task: &str) -> String {
    let (_, task) = server
        .call(
            Method::GET,
            &format!("/api/agent-tasks/{task}"),
            caller,
            None,
        )
        .await;
    task["status"].as_str().unwrap_or_default().to_owned()
}

/// A click on `action_id` for `task` by `user`, form-encoded as Slack sends it.
fn click(user: &str, action_id: &str, task: &str) -> Vec<u8> {
    let mut payload = fixture("slack/interactions/block_actions.bolt-python.json");
    payload["user"]["id"] = json!(user);
    payload["channel"]["id"] = json!("C0APPROVALS");
    payload["actions"][0]["action_id"] = json!(action_id);
    payload["actions"][0]["value"] = json!(task);
    serde_urlencoded::to_string([("payload", payload.to_string())])
        .expect("form")
        .into_bytes()
}

async fn notices_and_approvals_travel_through_slack(db: &TestDb) {
    let admin_email = "admin@slack.example";
    let viewer_email = "viewer@slack.example";
    let stand_in = slack(admin_email, viewer_email).await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Slack, stand_in.uri())]),
        None,
    )
    .await;
    let (owner_token, org) = server.owner("owner@slack.example", "Slack").await;
    let owner = Caller::new(&owner_token, &org);
    server
        .member(&owner_token, &org, admin_email, "admin")
        .await;
    server
        .member(&owner_token, &org, viewer_email, "viewer")
        .await;

    let (status, connected) = server
        .call(
            Method::POST,
            "/api/integrations/slack/connect",
            &owner,
            Some(json!({"credentials": {"bot_token": "xoxb-the-integrations-own"}, "webhook_secret": "slack-signing-secret"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    assert_eq!(
        started_types(&connected).await,
        ["slack_watcher", "notification", "standup"]
    );
    let hook = connected["webhook_url"].as_str().expect("url")[server.base.len()..].to_owned();
    let notifier = agent_of_type(&server, &owner, "notification").await;
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/agents/{notifier}"),
            &owner,
            Some(json!({"configuration": {
                "default_channel": "C0GENERAL",
                "approvals_channel": "C0APPROVALS",
                "routes": [{"kinds": ["deployment.*"], "min_severity": "high", "channel": "C0OPS"}]
            }})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A notice goes to the channel its route names, with blocks.
    create_task(
        &server,
        &owner,
        json!({"agent_id": notifier, "task_type": "notify", "input": {
            "kind": "deployment.failed", "severity": "high",
            "title": "The deployment of my-app failed", "text": "npm ERR! ERESOLVE"
        }}),
    )
    .await;
    task(&server, &owner, "notify", "completed").await;
    let messages = posted_to(
        &stand_in.received_requests().await.expect("requests"),
        "/chat.postMessage",
    );
    let notice = messages
        .iter()
        .find(|message| message["channel"] == "C0OPS")
        .unwrap_or_else(|| panic!("no notice in C0OPS: {messages:?}"));
    assert!(
        notice["blocks"]
            .to_string()
            .contains("The deployment of my-app failed")
    );

    // A mention by someone Slack and CompanyOS do not know as a member is told so, and
    // nothing else…
    mention(
        &server,
        &hook,
        "W0STRANGER",
        "deployments",
        "1515449600.000001",
    )
    .await;
    task(&server, &owner, "answer_request", "completed").await;
    let refusal = answer_in_thread(&stand_in, "1515449600.000001").await;
    assert!(
        refusal["text"]
            .as_str()
            .is_some_and(|text| text.starts_with("I answer members of this organization only")),
        "{refusal}"
    );
    // …while a member's mention is answered in its thread, from the store.
    mention(&server, &hook, "W0VIEWER", "status", "1515449522.000016").await;
    until("the member's mention to be answered", || async {
        tasks_of(&server, &owner, "answer_request")
            .await
            .iter()
            .filter(|task| task["status"] == "completed")
            .count()
            == 2
    })
    .await;
    let answer = answer_in_thread(&stand_in, "1515449522.000016").await;
    let now = chrono::Utc::now().timestamp();
    assert_eq!(answer["channel"], "C123ABC456");
    assert!(
        answer["text"]
            .as_str()
            .is_some_and(|text| text.contains("agents enabled")),
        "{answer}"
    );

    // A task that waits for approval is posted with buttons.
    let created = create_task(
        &server,
        &owner,
        json!({"agent_id": notifier, "task_type": "notify", "requires_approval": true,
                        "description": "tell the team about the release",
                        "input": {"title": "Release 1.2 is out", "channel": "C0GENERAL"}}),
    )
    .await;
    assert_eq!(created["status"], "needs_approval");
    let waiting = created["id"].as_str().expect("id").to_owned();
    task(&server, &owner, "request_approval", "completed").await;
    let messages = posted_to(
        &stand_in.received_requests().await.expect("requests"),
        "/chat.postMessage",
    );
    let request = messages
        .iter()
        .find(|message| message["channel"] == "C0APPROVALS")
        .unwrap_or_else(|| panic!("no approval request: {messages:?}"));
    let buttons = request["blocks"].to_string();
    assert!(
        buttons.contains("companyos_approve_task") && buttons.contains(&waiting),
        "{buttons}"
    );

    // A bad signature and a stale timestamp are refused before anything is read.
    let (status, _) = deliver_slack(
        &server,
        &hook,
        click("W0ADMIN", "companyos_approve_task", &waiting),
        "application/x-www-form-urlencoded",
        b"not-the-signing-secret",
        now,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = deliver_slack(
        &server,
        &hook,
        click("W0ADMIN", "companyos_approve_task", &waiting),
        "application/x-www-form-urlencoded",
        b"slack-signing-secret",
        now - 3600,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&server, &owner, &waiting).await, "needs_approval");

    // A viewer's click is refused and answered to them alone.
    let (status, answer) = deliver_slack(
        &server,
        &hook,
        click("W0VIEWER", "companyos_approve_task", &waiting),
        "application/x-www-form-urlencoded",
        b"slack-signing-secret",
        now,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "refused", "{answer}");
    assert_eq!(status_of(&server, &owner, &waiting).await, "needs_approval");
    let ephemeral = posted_to(
        &stand_in.received_requests().await.expect("requests"),
        "/chat.postEphemeral",
    );
    assert!(
        ephemeral.iter().any(|message| message["user"] == "W0VIEWER"
            && message["text"]
                .as_str()
                .is_some_and(|text| text.contains("viewer"))),
        "{ephemeral:?}"
    );

    // An admin's click approves it, and it runs.
    let (status, answer) = deliver_slack(
        &server,
        &hook,
        click("W0ADMIN", "companyos_approve_task", &waiting),
        "application/x-www-form-urlencoded",
        b"slack-signing-secret",
        now,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "approved", "{answer}");
    let done = task_where(&server, &owner, "notify", "completed", |task| {
        task["id"] == waiting.as_str()
    })
    .await;
    assert!(done["approved_by"].is_string(), "{done}");
    server.stop().await;
}

/// The pipeline's stand-ins: the source deployment (healthy site), a redeploy that is
/// building at first, the new deployment (the monitored site), the ready production
/// deployments and the rollback.
async fn pipeline_vercel(source_site: &str, new_site: &str) -> MockServer {
    let vercel = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v13/deployments/dpl_source"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(
            "dpl_source",
            1_700_000_500_000,
            source_site,
        )))
        .mount(&vercel)
        .await;
    let mut building = deployment("dpl_new", 1_700_000_900_000, new_site);
    building["readyState"] = json!("BUILDING");
    Mock::given(method("POST"))
        .and(path("/v13/deployments"))
        .and(body_partial_json(
            json!({"name": "my-app", "deploymentId": "dpl_source", "target": "production"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(building))
        .mount(&vercel)
        .await;
    Mock::given(method("GET"))
        .and(path("/v13/deployments/dpl_new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(
            "dpl_new",
            1_700_000_900_000,
            new_site,
        )))
        .mount(&vercel)
        .await;
    let summary = |uid: &str, created: i64| {
        json!({"uid": uid, "name": "my-app", "projectId": PROJECT, "url": format!("{uid}.vercel.app"),
               "created": created, "createdAt": created, "state": "READY", "readyState": "READY",
               "target": "production", "creator": {"uid": "Uu1v2W3x4Y5z6A7b8C9d0E1f"}})
    };
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "pagination": {"count": 2, "next": null, "prev": null},
            "deployments": [summary("dpl_new", 1_700_000_900_000), summary("dpl_source", 1_700_000_500_000)]
        })))
        .mount(&vercel)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/projects/{PROJECT}/rollback/dpl_source")))
        .respond_with(ResponseTemplate::new(201))
        .mount(&vercel)
        .await;
    vercel
}

async fn create_agent(
    server: &Server,
    caller: &Caller,
    agent_type: &str,
    configuration: Value,
) -> String {
    let (status, agent) = server
        .call(
            Method::POST,
            "/api/agents",
            caller,
            Some(json!({"name": agent_type, "type": agent_type, "configuration": configuration})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    agent["id"].as_str().expect("id").to_owned()
}

async fn a_pipeline_resumes_at_its_step_and_a_failed_monitor_ends_in_a_resolved_incident(
    db: &TestDb,
) {
    let source_site = site(200, Duration::ZERO).await;
    // The new deployment answers twice, then fails.
    let new_site = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&new_site)
        .await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(2)
        .mount(&new_site)
        .await;
    let stand_in = pipeline_vercel(&source_site.uri(), &new_site.uri()).await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Vercel, stand_in.uri())]),
        None,
    )
    .await;
    let (owner, org) = server.owner("owner@pipeline.example", "Pipeline").await;
    let owner = Caller::new(&owner, &org);
    server.connect_vercel(&owner, "vercel_token").await;
    let deployer = agent_of_type(&server, &owner, "deployment").await;
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/agents/{deployer}"),
            &owner,
            Some(json!({"configuration": {"ready_poll_ms": 50, "slow_ms": 5000}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let coordinator = create_agent(
        &server,
        &owner,
        "deployment_coordinator",
        json!({"monitor_seconds": 5, "monitor_interval_seconds": 1}),
    )
    .await;
    create_agent(&server, &owner, "incident_response", json!({})).await;

    let pipeline = create_task(
        &server,
        &owner,
        json!({"agent_id": coordinator, "task_type": "deploy_pipeline",
                        "input": {"vercel_deployment_id": "dpl_source", "project": "my-app"}}),
    )
    .await;
    let pipeline_id = pipeline["id"].as_str().expect("id").to_owned();

    // The first monitor round is done: stop the coordinator mid-pipeline, then start it.
    until("the first monitor round's two checks", || async {
        common::tasks_of(&server, &owner, "check_deployment")
            .await
            .iter()
            .filter(|task| task["status"] == "completed")
            .count()
            >= 2
    })
    .await;
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/api/agents/{coordinator}/disable"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/api/agents/{coordinator}/enable"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // It resumed at its step: deployed once, monitored until the site failed.
    let finished = task_where(&server, &owner, "deploy_pipeline", "completed", |task| {
        task["id"] == pipeline_id.as_str()
    })
    .await;
    assert!(
        finished["attempt"]
            .as_i64()
            .is_some_and(|attempt| attempt >= 2),
        "{finished}"
    );
    let output = &finished["output_data"];
    assert_eq!(output["outcome"], "incident", "{output}");
    assert_eq!(output["pre_deployment_check"]["healthy"], true);
    let redeploys = stand_in
        .received_requests()
        .await
        .expect("requests")
        .iter()
        .filter(|request| {
            request.method.as_str() == "POST" && request.url.path() == "/v13/deployments"
        })
        .count();
    assert_eq!(redeploys, 1, "deployed once across both attempts");

    // The incident proposes a rollback; once approved, production is restored and the
    // incident resolved with its time to restore.
    let rollback = task(&server, &owner, "rollback", "needs_approval").await;
    let rollback_id = rollback["id"].as_str().expect("id");
    approve(&server, &owner, rollback_id).await;
    let incident = task(&server, &owner, "open_incident", "completed").await;
    assert_eq!(incident["output_data"]["status"], "resolved", "{incident}");
    assert_eq!(incident["output_data"]["rolled_back_to"], "dpl_source");
    assert!(
        incident["output_data"]["time_to_restore_seconds"]
            .as_f64()
            .is_some_and(|seconds| seconds >= 0.0)
    );
    let (_, events) = server
        .call(Method::GET, "/api/analytics/events?limit=100", &owner, None)
        .await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["event_type"].as_str())
        .filter(|kind| kind.starts_with("incident."))
        .collect();
    for kind in [
        "incident.opened",
        "incident.rollback_proposed",
        "incident.rolled_back",
        "incident.resolved",
    ] {
        assert_eq!(
            kinds.iter().filter(|found| **found == kind).count(),
            1,
            "{kind} once in {kinds:?}"
        );
    }
    server.stop().await;
}

/// A signed delivery whose body holds a NUL character (which PostgreSQL's text and JSON
/// cannot keep) is kept as `malformed` with the reason, and the deliveries after it
/// still become events.
async fn a_delivery_the_store_cannot_keep_is_malformed_and_the_rest_go_on(db: &TestDb) {
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::new(),
        None,
    )
    .await;
    let (owner, org) = server.owner("owner@nul.example", "Nul").await;
    let owner = Caller::new(&owner, &org);
    let (_, hook) = server.connect_vercel(&owner, "vercel_nul").await;
    let mut poisoned = fixture("vercel/deployment.succeeded.json");
    poisoned["id"] = json!("whd_nul");
    poisoned["payload"]["deployment"]["name"] = json!("my\u{0}app");
    server.deliver_vercel(&hook, &poisoned).await;
    let mut clean = fixture("vercel/deployment.succeeded.json");
    clean["id"] = json!("whd_clean_after_nul");
    server.deliver_vercel(&hook, &clean).await;

    let org_id: companyos_store::OrgId = org.parse().expect("org id");
    let integration = db
        .store
        .integrations()
        .get(org_id, Service::Vercel)
        .await
        .expect("integration");
    until("both deliveries to be settled", || async {
        let deliveries = db
            .store
            .deliveries()
            .list(org_id, integration.id, None, 10)
            .await
            .expect("deliveries");
        deliveries.len() == 2
            && deliveries
                .iter()
                .all(|delivery| delivery.status != companyos_store::DeliveryStatus::Received)
    })
    .await;
    let deliveries = db
        .store
        .deliveries()
        .list(org_id, integration.id, None, 10)
        .await
        .expect("deliveries");
    let by_status = |status| {
        deliveries
            .iter()
            .find(|delivery| delivery.status == status)
            .unwrap_or_else(|| panic!("a {status} delivery: {deliveries:?}"))
    };
    let malformed = by_status(companyos_store::DeliveryStatus::Malformed);
    assert!(
        malformed.error.as_deref().is_some_and(
            |reason| reason.contains("NUL") && reason.contains("$.payload.deployment.name")
        ),
        "{malformed:?}"
    );
    assert!(
        by_status(companyos_store::DeliveryStatus::Processed)
            .event_id
            .is_some()
    );
    server.stop().await;
}

/// Delivers the documented `app_mention` by `user` asking `question` in a message of
/// timestamp `ts`, signed as Slack signs it.
async fn mention(server: &Server, hook: &str, user: &str, question: &str, ts: &str) {
    let mut mention = fixture("slack/events/event_callback.app_mention.docs.json");
    mention["event"]["text"] = json!(format!("<@U0LAN0Z89> {question}"));
    mention["event"]["user"] = json!(user);
    mention["event"]["ts"] = json!(ts);
    mention["event_id"] = json!(format!("Ev{}", ts.replace('.', "")));
    let (status, body) = deliver_slack(
        server,
        hook,
        serde_json::to_vec(&mention).expect("body"),
        "application/json",
        b"slack-signing-secret",
        chrono::Utc::now().timestamp(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// The message Slack's stand-in received in the thread of `ts`.
async fn answer_in_thread(slack: &MockServer, ts: &str) -> Value {
    let messages = posted_to(
        &slack.received_requests().await.expect("requests"),
        "/chat.postMessage",
    );
    messages
        .iter()
        .find(|message| message["thread_ts"] == ts)
        .cloned()
        .unwrap_or_else(|| panic!("no answer in the thread of {ts}: {messages:?}"))
}

/// With a model, the deployment agent shows it the error block of a failed build (and
/// nothing else of the log) with the rules' reading; the model's cause replaces the
/// rules' because it quotes a line of the block and gives a reason.
async fn a_model_reads_the_error_block_and_changes_the_cause_only_with_evidence(db: &TestDb) {
    use companyos_integrations::llm::{LlmConfig, LlmProvider};
    let stand_in = vercel("dpl_unused").await;
    let model = MockServer::start().await;
    let answer = json!({
        "cause": "build_error",
        "reason": "next build loads react-dom, which package.json does not list",
        "quote": "Cannot find module 'react-dom'"
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-build", "object": "chat.completion", "created": 1_700_000_000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": answer.to_string()}}],
            "usage": {"prompt_tokens": 400, "completion_tokens": 40, "total_tokens": 440}
        })))
        .mount(&model)
        .await;
    let mut config = LlmConfig::new(LlmProvider::OpenAiCompatible, "gpt-4o-mini", "sk-build-key");
    config.base_url = format!("{}/v1", model.uri());
    let server = serve_node_with_llm(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Vercel, stand_in.uri())]),
        None,
        Some(companyos_supervisors::llm::LlmSettings {
            config,
            tokens_per_day: None,
            requests_per_minute: None,
            allowed_models: Vec::new(),
        }),
    )
    .await;
    let (owner, org) = server.owner("owner@build.example", "Build").await;
    let owner = Caller::new(&owner, &org);
    let (_, hook) = server.connect_vercel(&owner, "vercel_build").await;
    server
        .deliver_vercel(&hook, &fixture("vercel/deployment.error.json"))
        .await;
    let analysed = task(&server, &owner, "analyze_deployment_failure", "completed").await;
    let output = &analysed["output_data"];
    assert_eq!(output["cause"], "build_error", "{output}");
    assert_eq!(output["step"], "build", "{output}");
    assert_eq!(output["model"]["accepted"], true, "{output}");
    assert!(
        output["summary"]
            .as_str()
            .is_some_and(|summary| summary.contains("which package.json does not list")),
        "{output}"
    );
    let asked = model.received_requests().await.expect("requests");
    assert_eq!(asked.len(), 1);
    let prompt = String::from_utf8_lossy(&asked[0].body).into_owned();
    assert!(
        prompt.contains("Cannot find module 'react-dom'"),
        "{prompt}"
    );
    assert!(
        prompt.contains("dependency_install"),
        "the rules' reading: {prompt}"
    );
    assert!(
        !prompt.contains("Cloning github.com/acme/my-app"),
        "only the error block and the commands: {prompt}"
    );
    server.stop().await;
}
