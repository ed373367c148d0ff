//! The team and content agents end to end over HTTP, on SQLite and PostgreSQL, against
//! stand-ins that speak the vendors' formats (X's `POST /2/tweets` and post lookup,
//! LinkedIn's `POST /rest/posts` and social actions, Slack's `chat.postMessage`), fed
//! GitHub's own release and pull request deliveries:
//!
//! - a published release becomes a draft for each connected account (X's within 280 as
//!   X counts, LinkedIn's with the notes and the link), each waiting for approval; once
//!   approved the LinkedIn post is published, the X post waits for its scheduled time —
//!   through a node restart — and is published exactly once when the clock reaches it;
//!   the engagement agent then reads both posts' counts into them;
//! - a post a person asks to publish waits for another member's approval, and a
//!   rejection stops it: the post stays a draft and nothing reaches X;
//! - the standup of a fixed day (in the organization's time zone) lists what was opened,
//!   merged and waits for review, and goes to Slack as blocks.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{
    Caller, Server, agent_of_type, approve, call_ok, create_task, fixture, restart, serve_node,
    task_where, tasks_of, wait_for_task,
};
use companyos_api::WebhookConfig;
use companyos_store::Service;
use companyos_store::testing::{TestDb, eventually};
use companyos_supervisors::AgentTypeRegistry;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

companyos_store::contract_tests!(
    a_release_is_drafted_approved_scheduled_published_and_followed,
    a_rejected_post_stops_and_nothing_is_published,
    the_standup_reports_a_fixed_day_to_slack,
);

const X_POST_ID: &str = "1445880548472328192";
const LINKEDIN_URN: &str = "urn:li:share:6844785523593134080";

/// X and LinkedIn, as their APIs answer.
async fn social_stand_in() -> MockServer {
    let services = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(fixture("twitter/create_post.docs-example.json")),
        )
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("twitter/post_lookup.public_metrics.shape.json")),
        )
        .mount(&services)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(ResponseTemplate::new(201).insert_header("x-restli-id", LINKEDIN_URN))
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/rest/socialActions/.+$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("linkedin/social_actions.shape.json")),
        )
        .mount(&services)
        .await;
    services
}

fn urls(services: &MockServer) -> HashMap<Service, String> {
    [Service::Twitter, Service::Linkedin, Service::Slack]
        .into_iter()
        .map(|service| (service, services.uri()))
        .collect()
}

/// Connects `service` (X, LinkedIn: the integration that receives their webhooks and
/// whose adapter makes the accounts' calls): the agents it started, by type.
async fn connect(
    server: &Server,
    owner: &Caller,
    service: &str,
    credentials: Value,
) -> Vec<String> {
    let connected = call_ok(
        server,
        owner,
        Method::POST,
        &format!("/api/integrations/{service}/connect"),
        Some(json!({"credentials": credentials, "webhook_secret": format!("{service}-secret")})),
    )
    .await;
    connected["agents_started"]
        .as_array()
        .expect("agents_started")
        .iter()
        .filter_map(|agent| agent["type"].as_str().map(str::to_owned))
        .collect()
}

async fn account(
    server: &Server,
    owner: &Caller,
    platform: &str,
    id: &str,
    handle: &str,
    token: &str,
) -> String {
    let account = call_ok(
        server,
        owner,
        Method::POST,
        &format!("/api/social/accounts/{platform}/connect"),
        Some(json!({"account_id": id, "handle": handle, "credentials": {"token": token}})),
    )
    .await;
    account["id"].as_str().expect("id").to_owned()
}

async fn post(server: &Server, caller: &Caller, id: &str) -> Value {
    call_ok(
        server,
        caller,
        Method::GET,
        &format!("/api/social/posts/{id}"),
        None,
    )
    .await
}

fn requests_to<'a>(
    requests: &'a [wiremock::Request],
    method_name: &str,
    route: &str,
) -> Vec<&'a wiremock::Request> {
    requests
        .iter()
        .filter(|request| request.method.as_str() == method_name && request.url.path() == route)
        .collect()
}

async fn a_release_is_drafted_approved_scheduled_published_and_followed(db: &TestDb) {
    let services = social_stand_in().await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        urls(&services),
        None,
    )
    .await;
    let (token, org) = server.owner("owner@content.test", "Content").await;
    let owner = Caller::new(&token, &org);
    let hook = server
        .connect_github(&owner, "ghp_content", "gh-secret")
        .await;
    let started = connect(&server, &owner, "twitter", json!({"token": "x-app-token"})).await;
    assert_eq!(
        started,
        [
            "social_watcher",
            "content_writer",
            "content_pipeline",
            "engagement"
        ]
    );
    assert!(
        connect(
            &server,
            &owner,
            "linkedin",
            json!({"token": "li-app-token"})
        )
        .await
        .is_empty()
    );
    let x = account(
        &server,
        &owner,
        "twitter",
        "2244994945",
        "acme",
        "x-user-token",
    )
    .await;
    let linkedin = account(
        &server,
        &owner,
        "linkedin",
        "Xq7nO1",
        "acme-co",
        "li-user-token",
    )
    .await;

    // GitHub's own release delivery.
    let release = fixture("github/release/published.payload.json");
    let status = server
        .deliver_github_event(
            &hook,
            b"gh-secret",
            "release",
            "release-1",
            serde_json::to_vec(&release).expect("body"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let drafted = task_where(&server, &owner, "draft_post", "completed", |_| true).await;
    let drafts = drafted["output_data"]["drafts"]
        .as_array()
        .cloned()
        .expect("drafts");
    assert_eq!(drafts.len(), 2, "{drafted}");
    let draft_of = |platform: &str| {
        drafts
            .iter()
            .find(|draft| draft["platform"] == platform)
            .cloned()
            .unwrap_or_else(|| panic!("no {platform} draft: {drafted}"))
    };
    let (x_draft, linkedin_draft) = (draft_of("twitter"), draft_of("linkedin"));
    assert_eq!(x_draft["limit"], 280);
    assert!(
        x_draft["characters"].as_u64().is_some_and(|n| n <= 280),
        "{x_draft}"
    );
    assert_eq!(x_draft["written_by"], "template");
    let x_post = post(
        &server,
        &owner,
        x_draft["social_post_id"].as_str().expect("id"),
    )
    .await;
    let release_url = "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1";
    assert_eq!(
        x_post["content"],
        format!("Codertocat/Hello-World 0.0.1 is out: a new release {release_url}"),
        "{x_post}"
    );
    assert_eq!(x_post["status"], "draft");
    assert_eq!(x_post["agent_generated"], true);
    assert_eq!(x_post["characters"], x_draft["characters"], "{x_post}");
    let linkedin_post = post(
        &server,
        &owner,
        linkedin_draft["social_post_id"].as_str().expect("id"),
    )
    .await;
    assert!(
        linkedin_post["content"]
            .as_str()
            .is_some_and(|text| text.ends_with(release_url)),
        "{linkedin_post}"
    );

    // Both wait for a person's approval; the same release delivered again drafts nothing new.
    for draft in [&x_draft, &linkedin_draft] {
        let id = draft["publish_task_id"].as_str().expect("task");
        wait_for_task(&server, &owner, id, "needs_approval").await;
    }
    let status = server
        .deliver_github_event(
            &hook,
            b"gh-secret",
            "release",
            "release-1-again",
            serde_json::to_vec(&release).expect("body"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    eventually("the second draft_post", || async {
        let done: Vec<Value> = tasks_of(&server, &owner, "draft_post")
            .await
            .into_iter()
            .filter(|task| task["status"] == "completed")
            .collect();
        if done.len() == 2 { Ok(done) } else { Err(done) }
    })
    .await;
    assert_eq!(
        tasks_of(&server, &owner, "publish_post").await.len(),
        2,
        "one pipeline per draft"
    );
    let (status, page) = server
        .call(Method::GET, "/api/social/posts?limit=100", &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2), "{page}");

    // The X post is scheduled two hours ahead; both are approved.
    let now = db.store.now();
    let at = now + chrono::Duration::hours(2);
    call_ok(
        &server,
        &owner,
        Method::PATCH,
        &format!("/api/social/posts/{}", x_post["id"].as_str().expect("id")),
        Some(json!({"scheduled_for": at, "status": "scheduled"})),
    )
    .await;
    let x_task = x_draft["publish_task_id"]
        .as_str()
        .expect("task")
        .to_owned();
    let linkedin_task = linkedin_draft["publish_task_id"]
        .as_str()
        .expect("task")
        .to_owned();
    approve(&server, &owner, &linkedin_task).await;
    approve(&server, &owner, &x_task).await;

    let published = wait_for_task(&server, &owner, &linkedin_task, "completed").await;
    assert_eq!(
        published["output_data"]["external_post_id"], LINKEDIN_URN,
        "{published}"
    );
    let linkedin_post = post(&server, &owner, linkedin_post["id"].as_str().expect("id")).await;
    assert_eq!(linkedin_post["status"], "published");
    assert_eq!(linkedin_post["external_post_id"], LINKEDIN_URN);
    let requests = services.received_requests().await.expect("recorded");
    let shared = requests_to(&requests, "POST", "/rest/posts");
    assert_eq!(shared.len(), 1);
    let body: Value = serde_json::from_slice(&shared[0].body).expect("json");
    assert_eq!(body["author"], "urn:li:person:Xq7nO1");
    assert_eq!(
        shared[0]
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok()),
        Some("Bearer li-user-token")
    );

    // The X post waits for its time, saying so — and nothing reached X.
    let waiting = eventually("the X post to wait for its time", || async {
        let task = wait_for_task(&server, &owner, &x_task, "pending").await;
        if task["waiting_reason"]
            .as_str()
            .is_some_and(|why| why.contains("scheduled for"))
        {
            Ok(task)
        } else {
            Err(task)
        }
    })
    .await;
    assert!(
        requests_to(
            &services.received_requests().await.expect("recorded"),
            "POST",
            "/2/tweets"
        )
        .is_empty(),
        "{waiting}"
    );

    // The node stops; another starts on the same database, and the clock reaches the time.
    server.stop().await;
    let server = restart(db, &server, AgentTypeRegistry::builtin(), urls(&services)).await;
    db.store.clock().advance(Duration::from_secs(2 * 3600 + 60));
    // Two hours on, the access token has expired: sign in again.
    let (status, signed_in) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "owner@content.test", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    let owner = Caller::new(common::token(&signed_in, "access_token"), &org);
    let published = wait_for_task(&server, &owner, &x_task, "completed").await;
    assert_eq!(
        published["output_data"]["external_post_id"], X_POST_ID,
        "{published}"
    );
    let requests = services.received_requests().await.expect("recorded");
    let tweets = requests_to(&requests, "POST", "/2/tweets");
    assert_eq!(tweets.len(), 1, "published exactly once");
    let body: Value = serde_json::from_slice(&tweets[0].body).expect("json");
    assert_eq!(body, json!({"text": x_post["content"]}));
    assert_eq!(
        tweets[0]
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok()),
        Some("Bearer x-user-token")
    );

    // Engagement: both posts' counts, from each platform's own answer.
    let engagement = agent_of_type(&server, &owner, "engagement").await;
    let run = create_task(
        &server,
        &owner,
        json!({"agent_id": engagement, "task_type": "poll_engagement"}),
    )
    .await;
    let done = wait_for_task(
        &server,
        &owner,
        run["id"].as_str().expect("id"),
        "completed",
    )
    .await;
    assert_eq!(done["output_data"]["posts"], 2, "{done}");
    assert_eq!(done["output_data"]["updated"], 2, "{done}");
    let x_post = post(&server, &owner, x_post["id"].as_str().expect("id")).await;
    assert_eq!(
        (
            &x_post["engagement_likes"],
            &x_post["engagement_comments"],
            &x_post["engagement_shares"],
            &x_post["engagement_views"]
        ),
        (&json!(12), &json!(1), &json!(3), &json!(480)),
        "{x_post}"
    );
    let linkedin_post = post(&server, &owner, linkedin_post["id"].as_str().expect("id")).await;
    assert_eq!(
        (
            &linkedin_post["engagement_likes"],
            &linkedin_post["engagement_comments"]
        ),
        (&json!(9), &json!(3)),
        "{linkedin_post}"
    );
    // A second round finds the same counts and writes nothing.
    let run = create_task(
        &server,
        &owner,
        json!({"agent_id": engagement, "task_type": "poll_engagement"}),
    )
    .await;
    let again = wait_for_task(
        &server,
        &owner,
        run["id"].as_str().expect("id"),
        "completed",
    )
    .await;
    assert_eq!(
        (
            &again["output_data"]["updated"],
            &again["output_data"]["unchanged"]
        ),
        (&json!(0), &json!(2)),
        "{again}"
    );
    let requests = services.received_requests().await.expect("recorded");
    let lookup = requests_to(&requests, "GET", "/2/tweets");
    assert_eq!(lookup.len(), 2);
    assert_eq!(
        lookup[0].url.query(),
        Some(format!("ids={X_POST_ID}&tweet.fields=public_metrics").as_str())
    );
    let _ = (x, linkedin);
    server.stop().await;
}

async fn a_rejected_post_stops_and_nothing_is_published(db: &TestDb) {
    let services = social_stand_in().await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        urls(&services),
        None,
    )
    .await;
    let (token, org) = server.owner("owner@rejected.test", "Rejected").await;
    let owner = Caller::new(&token, &org);
    let admin = server
        .member(&token, &org, "admin@rejected.test", "admin")
        .await;
    let admin = Caller::new(&admin, &org);
    connect(&server, &owner, "twitter", json!({"token": "x-app-token"})).await;
    let x = account(
        &server,
        &owner,
        "twitter",
        "2244994945",
        "acme",
        "x-user-token",
    )
    .await;
    let draft = call_ok(
        &server,
        &owner,
        Method::POST,
        "/api/social/posts",
        Some(json!({"social_account_id": x, "content": "Our new docs site is live 🚀 https://docs.example.com/a/very/long/path/that/counts/as/twenty/three"})),
    )
    .await;
    assert_eq!(draft["characters"], 29 + 23, "{draft}");
    assert_eq!(draft["character_limit"], 280, "{draft}");
    let id = draft["id"].as_str().expect("id").to_owned();
    let asked = call_ok(
        &server,
        &owner,
        Method::POST,
        &format!("/api/social/posts/{id}/publish"),
        None,
    )
    .await;
    let task = asked["id"].as_str().expect("task").to_owned();
    let waiting = wait_for_task(&server, &owner, &task, "needs_approval").await;
    assert_eq!(waiting["agent_type"], "content_pipeline", "{waiting}");
    // The person who asked may not approve it; another member rejects it.
    let (status, refused) = server
        .call(
            Method::POST,
            &format!("/api/agent-tasks/{task}/approve"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    call_ok(
        &server,
        &admin,
        Method::POST,
        &format!("/api/agent-tasks/{task}/reject"),
        Some(json!({"reason": "not this week"})),
    )
    .await;
    let rejected = wait_for_task(&server, &owner, &task, "rejected").await;
    assert_eq!(rejected["status"], "rejected");
    // A rejected task is finished: nothing runs it afterwards.
    let post = post(&server, &owner, &id).await;
    assert_eq!(post["status"], "draft", "{post}");
    assert_eq!(post["external_post_id"], Value::Null);
    assert!(
        requests_to(
            &services.received_requests().await.expect("recorded"),
            "POST",
            "/2/tweets"
        )
        .is_empty()
    );
    server.stop().await;
}

async fn the_standup_reports_a_fixed_day_to_slack(db: &TestDb) {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("slack/api/chat.postMessage.response.ok.json")),
        )
        .mount(&slack)
        .await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Slack, slack.uri())]),
        None,
    )
    .await;
    let (token, org) = server.owner("owner@standup.test", "Standup").await;
    let owner = Caller::new(&token, &org);

    // The organization works in New York; an unknown zone is refused.
    let (status, problem) = server
        .call(
            Method::PATCH,
            &format!("/api/organizations/{org}"),
            &owner,
            Some(json!({"settings": {"time_zone": "Mars/Olympus"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("IANA"), "{problem}");
    call_ok(
        &server,
        &owner,
        Method::PATCH,
        &format!("/api/organizations/{org}"),
        Some(json!({"settings": {"time_zone": "America/New_York"}})),
    )
    .await;
    let started = connect(
        &server,
        &owner,
        "slack",
        json!({"bot_token": "xoxb-standup"}),
    )
    .await;
    assert_eq!(started, ["slack_watcher", "notification", "standup"]);
    let notifier = agent_of_type(&server, &owner, "notification").await;
    call_ok(
        &server,
        &owner,
        Method::PATCH,
        &format!("/api/agents/{notifier}"),
        Some(json!({"configuration": {"default_channel": "C0TEAM"}})),
    )
    .await;
    // Its schedule: weekdays at nine, New York's nine.
    let schedules = call_ok(&server, &owner, Method::GET, "/api/schedules", None).await;
    let schedule = schedules["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|item| item["name"] == "Standup, weekdays at nine")
        })
        .cloned()
        .unwrap_or_else(|| panic!("no standup schedule: {schedules}"));
    let next: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(schedule["next_run_at"].clone()).expect("next run");
    let local = next.with_timezone(&companyos_supervisors::time_zone::Tz::America__New_York);
    assert_eq!(local.format("%H:%M").to_string(), "09:00", "{schedule}");

    // GitHub's deliveries of 2019-05-15: pull request #2 opened (and waiting), and #3,
    // opened and merged the same afternoon.
    let hook = server
        .connect_github(&owner, "ghp_standup", "gh-standup")
        .await;
    let opened = fixture("github/pull_request/opened.payload.json");
    let mut merged = fixture("github/pull_request/closed.payload.json");
    merged["number"] = json!(3);
    merged["pull_request"]["number"] = json!(3);
    merged["pull_request"]["id"] = json!(279147438);
    merged["pull_request"]["title"] = json!("Add the checkout coupons");
    merged["pull_request"]["merged"] = json!(true);
    merged["pull_request"]["merged_at"] = json!("2019-05-15T18:00:00Z");
    for (delivery, payload) in [("pr-2", &opened), ("pr-3", &merged)] {
        let status = server
            .deliver_github(
                &hook,
                b"gh-standup",
                delivery,
                serde_json::to_vec(payload).expect("body"),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    eventually("both pull requests", || async {
        let (_, page) = server
            .call(Method::GET, "/api/pull-requests", &owner, None)
            .await;
        let count = page["items"].as_array().map_or(0, Vec::len);
        if count == 2 { Ok(()) } else { Err(page) }
    })
    .await;

    let standup = agent_of_type(&server, &owner, "standup").await;
    let run = create_task(
        &server,
        &owner,
        json!({"agent_id": standup, "task_type": "post_standup", "input": {"day": "2019-05-15"}}),
    )
    .await;
    let done = wait_for_task(
        &server,
        &owner,
        run["id"].as_str().expect("id"),
        "completed",
    )
    .await;
    let report = &done["output_data"];
    assert_eq!(report["day"], "2019-05-15");
    assert_eq!(report["time_zone"], "America/New_York");
    assert_eq!(report["from"], "2019-05-15T04:00:00Z", "{report}");
    let numbers = |list: &str| -> Vec<i64> {
        report[list]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|item| item["number"].as_i64())
            .collect()
    };
    assert_eq!(numbers("opened"), [2, 3], "{report}");
    assert_eq!(numbers("merged"), [3], "{report}");
    assert_eq!(numbers("waiting_for_review"), [2], "{report}");
    assert_eq!(report["summary"], Value::Null, "no model configured");

    // To Slack, as blocks, through the notification agent.
    let notify = report["notify_task_id"]
        .as_str()
        .expect("notify task")
        .to_owned();
    wait_for_task(&server, &owner, &notify, "completed").await;
    let requests = slack.received_requests().await.expect("recorded");
    let message: Value = requests
        .iter()
        .filter(|request| request.url.path() == "/chat.postMessage")
        .map(|request| serde_json::from_slice(&request.body).expect("json"))
        .next()
        .expect("a message");
    assert_eq!(message["channel"], "C0TEAM");
    let blocks = message["blocks"].to_string();
    assert!(blocks.contains("Standup for Wednesday 15 May"), "{blocks}");
    assert!(blocks.contains("*Merged (1)*"), "{blocks}");
    assert!(blocks.contains("Add the checkout coupons"), "{blocks}");
    assert!(blocks.contains("*Waiting for review (1)*"), "{blocks}");

    // Listed for the console's Team page.
    let standups = call_ok(&server, &owner, Method::GET, "/api/team/standups", None).await;
    assert_eq!(standups["items"][0]["day"], "2019-05-15", "{standups}");
    assert_eq!(standups["items"][0]["merged"][0]["number"], 3, "{standups}");
    server.stop().await;
}
