//! The agents CompanyOS ships, end to end over HTTP on SQLite and PostgreSQL, against a
//! local stand-in for GitHub's REST API in its documented formats: connecting GitHub
//! starts a watcher and a code review agent; a signed `pull_request.opened` delivery is
//! reviewed from the pull request's files (a planted secret and risky SQL found on their
//! lines, reviewers suggested from CODEOWNERS), the review waits for approval before it
//! is posted (with the secret masked), and the secret sends a `security_scan` that waits
//! for a security agent, which then scans the whole files and blocks the pull request.

mod common;

use std::collections::HashMap;

use common::{
    Caller, approve, create_task, serve_node, serve_node_with_llm, task, task_where, tasks_of,
};
use companyos_api::WebhookConfig;
use companyos_store::Service;
use companyos_store::testing::TestDb;
use companyos_supervisors::AgentTypeRegistry;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

companyos_store::contract_tests!(
    a_pull_request_is_reviewed_posted_on_approval_and_escalated,
    the_model_writes_part_of_a_review_within_the_agents_budget,
    the_nodes_model_key_goes_only_to_the_nodes_model,
    configurations_are_checked_by_their_type_and_published_as_schemas,
);

/// A key of AWS's documented shape (random body, not a real credential).
const PLANTED_KEY: &str = "AKIAQ7XK2M4P9RZ5TW3N";

/// A key of OpenAI's project-key shape (random body, not a real credential).
const TITLE_KEY: &str = "sk-proj-iIOSXFc6Nh7-PtZNYAAvjIrXTa9cDxIzLjz9ilp2nM8Z4WwcT3BlbkFJ1bjKbdWZrmhEu4DgwhUd7470jQd60gMiaCCOW9ojAp0yWNvF";

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/github/pull_request/opened.payload.json");
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json")
}

fn patch() -> String {
    format!(
        "@@ -1,3 +1,7 @@\n use std::env;\n+const AWS_ACCESS_KEY_ID: &str = \"{PLANTED_KEY}\";\n+\n+fn find(db: &Db, name: &str) {{\n+    db.query(&format!(\"SELECT * FROM users WHERE name = '{{}}'\", name));\n+}}\n fn main() {{}}\n"
    )
}

/// GitHub's API for the fixture's pull request (Codertocat/Hello-World#2).
async fn github() -> MockServer {
    let github = MockServer::start().await;
    let repo = "/repos/Codertocat/Hello-World";
    let mut pull = fixture()["pull_request"].clone();
    // A key pasted into the title: masked before anything reaches a model.
    pull["title"] = json!(format!("Rotate the model key {TITLE_KEY}"));
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pulls/2")))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pulls/2/files")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"sha": "bbcd538c8e72b8c175046e27cc8f907076331401", "filename": "src/db.rs",
             "status": "modified", "additions": 4, "deletions": 0, "changes": 4,
             "patch": patch()},
            {"sha": "cccd538c8e72b8c175046e27cc8f907076331401", "filename": "README.md",
             "status": "modified", "additions": 1, "deletions": 0, "changes": 1,
             "patch": "@@ -1 +1,2 @@\n # Hello\n+More words."}
        ])))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{repo}/contents/.github/CODEOWNERS")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("* @Codertocat/maintainers\nsrc/ @octocat\n"),
        )
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{repo}/contents/src/db.rs")))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "use std::env;\nconst AWS_ACCESS_KEY_ID: &str = \"{PLANTED_KEY}\";\nfn main() {{}}\n"
        )))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{repo}/contents/README.md")))
        .respond_with(ResponseTemplate::new(200).set_body_string("# Hello\nMore words.\n"))
        .mount(&github)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{repo}/pulls/2/reviews")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 80, "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=", "state": "COMMENTED",
            "body": "review", "html_url": "https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-80",
            "submitted_at": "2019-11-17T17:43:43Z", "commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
        })))
        .mount(&github)
        .await;
    github
}

async fn a_pull_request_is_reviewed_posted_on_approval_and_escalated(db: &TestDb) {
    let stand_in = github().await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Github, stand_in.uri())]),
        None,
    )
    .await;
    let (owner, org) = server.owner("owner@review.example", "Review").await;
    let owner = Caller::new(&owner, &org);

    // Connecting GitHub starts its watcher, a code review agent, a security agent and
    // the analysts.
    let (status, connected) = server
        .call(
            Method::POST,
            "/api/integrations/github/connect",
            &owner,
            Some(json!({"credentials": {"token": "ghp_the_integrations_own"}, "webhook_secret": "review-secret"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    let started: Vec<&str> = connected["agents_started"]
        .as_array()
        .expect("agents_started")
        .iter()
        .filter_map(|agent| agent["type"].as_str())
        .collect();
    assert_eq!(
        started,
        [
            "github_watcher",
            "code_review",
            "security",
            "analytics",
            "anomaly_detection",
            "prediction",
            "recommendation"
        ]
    );
    let url = connected["webhook_url"].as_str().expect("url");
    let path = url[server.base.len()..].to_owned();

    // A signed pull_request.opened delivery.
    let body = serde_json::to_vec(&fixture()).expect("body");
    let status = server
        .deliver_github(&path, b"review-secret", "review-delivery-1", body)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // The review: the secret and the risky SQL on their lines, reviewers from
    // CODEOWNERS, the overall risk.
    let review = task(&server, &owner, "analyze_pr", "completed").await;
    let output = &review["output_data"];
    assert_eq!(output["risk"], "high", "{output}");
    let findings = output["findings"].as_array().expect("findings");
    let at = |category: &str| {
        findings
            .iter()
            .find(|finding| finding["category"] == category)
            .unwrap_or_else(|| panic!("no {category} finding in {output}"))
    };
    assert_eq!(
        (at("secret")["path"].as_str(), at("secret")["line"].as_u64()),
        (Some("src/db.rs"), Some(2))
    );
    assert_eq!(at("security")["line"], 5, "the SQL built by formatting");
    assert!(
        !output.to_string().contains(PLANTED_KEY),
        "never the secret itself"
    );
    // CODEOWNERS: the last matching rule — src/ for src/db.rs, * for README.md.
    let reviewers = output["suggested_reviewers"].as_array().expect("reviewers");
    for owner in ["@octocat", "@Codertocat/maintainers"] {
        assert!(
            reviewers.iter().any(|reviewer| reviewer == owner),
            "{owner} in {reviewers:?}"
        );
    }
    // The pull request shows the review.
    let (_, pulls) = server
        .call(Method::GET, "/api/pull-requests", &owner, None)
        .await;
    let pull = &pulls["items"][0];
    assert_eq!(pull["agent_review_status"], "completed", "{pull}");
    assert_eq!(pull["agent_review"]["risk"], "high");

    // Posting waits for a person; nothing reached GitHub yet.
    let post = task(&server, &owner, "post_review", "needs_approval").await;
    let posted = |requests: &[Request]| {
        requests
            .iter()
            .filter(|request| request.method.as_str() == "POST")
            .count()
    };
    assert_eq!(
        posted(&stand_in.received_requests().await.expect("requests")),
        0
    );
    let post_id = post["id"].as_str().expect("id");
    approve(&server, &owner, post_id).await;
    let done = task(&server, &owner, "post_review", "completed").await;
    assert_eq!(done["output_data"]["posted"]["id"], 80);
    let requests = stand_in.received_requests().await.expect("requests");
    let sent = requests
        .iter()
        .find(|request| request.method.as_str() == "POST")
        .expect("the review was posted");
    let sent_text = String::from_utf8_lossy(&sent.body).into_owned();
    assert!(
        !sent_text.contains(PLANTED_KEY),
        "the secret is masked: {sent_text}"
    );
    let sent: Value = serde_json::from_slice(&sent.body).expect("json");
    assert_eq!(sent["event"], "COMMENT");
    assert_eq!(
        sent["commit_id"],
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    );
    let comments = sent["comments"].as_array().expect("comments");
    assert!(
        comments.iter().any(|comment| comment["path"] == "src/db.rs"
            && comment["line"] == 2
            && comment["side"] == "RIGHT"),
        "{sent}"
    );
    assert!(
        requests.iter().all(|request| request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.contains("ghp_the_integrations_own"))),
        "every call uses the integration's token"
    );

    // The secret escalated: the security agent started with GitHub scans at once.
    let scanned = task(&server, &owner, "security_scan", "completed").await;
    assert_eq!(scanned["output_data"]["blocked"], true, "{scanned}");
    assert_eq!(scanned["output_data"]["files_scanned"], 2);
    let (_, pulls) = server
        .call(Method::GET, "/api/pull-requests", &owner, None)
        .await;
    assert!(
        pulls["items"][0]["blocked_reason"].is_string(),
        "the pull request is blocked: {pulls}"
    );
    let notify = task(&server, &owner, "notify", "pending").await;
    assert_eq!(notify["input_data"]["severity"], "critical");
    assert!(!notify.to_string().contains(PLANTED_KEY));

    // One review per pull request and head commit. Asking for a review again of the
    // same head writes no second post_review, and nothing more reaches GitHub.
    let pull_id = pulls["items"][0]["id"]
        .as_str()
        .expect("pull id")
        .to_owned();
    let first_analysis = review["id"].as_str().expect("id").to_owned();
    let (status, asked) = server
        .call(
            Method::POST,
            &format!("/api/pull-requests/{pull_id}/agent-review"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{asked}");
    task_where(&server, &owner, "analyze_pr", "completed", |task| {
        task["id"] != first_analysis.as_str()
    })
    .await;
    let posts = tasks_of(&server, &owner, "post_review").await;
    assert_eq!(posts.len(), 1, "one post_review for one head: {posts:?}");
    let posted_reviews = |requests: &[Request]| {
        requests
            .iter()
            .filter(|request| {
                request.method.as_str() == "POST" && request.url.path().ends_with("/reviews")
            })
            .count()
    };
    assert_eq!(
        posted_reviews(&stand_in.received_requests().await.expect("requests")),
        1
    );

    // A newer head supersedes the review of the older one still waiting for approval.
    let push = |head: &str| {
        let mut payload = fixture();
        payload["action"] = json!("synchronize");
        payload["pull_request"]["head"]["sha"] = json!(head);
        serde_json::to_vec(&payload).expect("body")
    };
    for (head, delivery) in [
        (
            "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "review-delivery-2",
        ),
        (
            "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "review-delivery-3",
        ),
    ] {
        let status = server
            .deliver_github(&path, b"review-secret", delivery, push(head))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        // Each push is reviewed before the next arrives.
        task_where(&server, &owner, "post_review", "needs_approval", |task| {
            task["input_data"]["head_sha"] == head
        })
        .await;
    }
    let older = task(&server, &owner, "post_review", "cancelled").await;
    assert_eq!(
        older["input_data"]["head_sha"], "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "{older}"
    );
    assert!(
        older["error_message"]
            .as_str()
            .is_some_and(|reason| reason.starts_with("superseded: a newer commit 2222222")),
        "{older}"
    );
    let newest = task(&server, &owner, "post_review", "needs_approval").await;
    assert_eq!(
        newest["input_data"]["head_sha"],
        "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    );
    approve(&server, &owner, newest["id"].as_str().expect("id")).await;
    task_where(&server, &owner, "post_review", "completed", |task| {
        task["id"] == newest["id"]
    })
    .await;
    assert_eq!(
        posted_reviews(&stand_in.received_requests().await.expect("requests")),
        2,
        "the first head's review and the newest's, each once"
    );
    // The posted reviews are in the audit trail with the member who approved them.
    let (_, trail) = server
        .call(
            Method::GET,
            "/api/analytics/events?source=audit&type=review.posted",
            &owner,
            None,
        )
        .await;
    assert_eq!(trail["items"].as_array().map(Vec::len), Some(2), "{trail}");
    assert_eq!(trail["items"][0]["actor_type"], "user");
    server.stop().await;
}

/// The model's review: a summary, a comment on an added line, and one on a line the
/// change did not add (dropped: GitHub refuses comments off the diff).
const MODEL_ANSWER: &str = r#"{"summary": "The change adds a lookup by name; check how the query is built.", "comments": [{"path": "src/db.rs", "line": 5, "body": "Bind the name as a parameter instead."}, {"path": "README.md", "line": 1, "body": "Unchanged line."}]}"#;

/// An OpenAI-compatible server that answers every completion with the same review.
async fn model() -> MockServer {
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            "object": "chat.completion",
            "created": 1741569952,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": MODEL_ANSWER, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 900, "completion_tokens": 100, "total_tokens": 1000},
            "service_tier": "default"
        })))
        .mount(&model)
        .await;
    model
}

/// Connects GitHub (signing secret `secret`): the id of the code review agent it starts.
async fn connect_reviewer(server: &common::Server, owner: &Caller, secret: &str) -> String {
    let (status, connected) = server
        .call(
            Method::POST,
            "/api/integrations/github/connect",
            owner,
            Some(json!({"credentials": {"token": "ghp_the_integrations_own"}, "webhook_secret": secret})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    connected["agents_started"]
        .as_array()
        .expect("started")
        .iter()
        .find(|agent| agent["type"] == "code_review")
        .and_then(|agent| agent["id"].as_str())
        .expect("code_review")
        .to_owned()
}

/// A node whose GitHub is `github` and whose model (`gpt-4o-mini`, with `key`) is
/// `model`, with no budgets unless `tune` sets them.
async fn node_with_model(
    db: &TestDb,
    github: &MockServer,
    model: &MockServer,
    key: &str,
    tune: impl FnOnce(&mut companyos_supervisors::llm::LlmSettings),
) -> common::Server {
    use companyos_integrations::llm::{LlmConfig, LlmProvider};
    let mut config = LlmConfig::new(LlmProvider::OpenAiCompatible, "gpt-4o-mini", key);
    config.base_url = format!("{}/v1", model.uri());
    let mut settings = companyos_supervisors::llm::LlmSettings {
        config,
        tokens_per_day: None,
        requests_per_minute: None,
        allowed_models: Vec::new(),
    };
    tune(&mut settings);
    serve_node_with_llm(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Github, github.uri())]),
        None,
        Some(settings),
    )
    .await
}

async fn the_model_writes_part_of_a_review_within_the_agents_budget(db: &TestDb) {
    let stand_in = github().await;
    let model = model().await;
    // One review's worth of tokens a day: the second waits.
    let server = node_with_model(db, &stand_in, &model, "sk-test-model-key", |settings| {
        settings.tokens_per_day = Some(1000);
    })
    .await;
    let (owner, org) = server.owner("owner@model.example", "Model").await;
    let owner = Caller::new(&owner, &org);
    // The node's model as members read it in Settings: never its key.
    let (status, llm) = server
        .call(Method::GET, "/api/settings/llm", &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{llm}");
    assert_eq!(
        (
            &llm["enabled"],
            &llm["provider"],
            &llm["model"],
            &llm["api_key_set"],
            &llm["tokens_per_day"]
        ),
        (
            &json!(true),
            &json!("openai"),
            &json!("gpt-4o-mini"),
            &json!(true),
            &json!(1000)
        ),
        "{llm}"
    );
    assert!(!llm.to_string().contains("sk-test-model-key"), "{llm}");
    let reviewer = connect_reviewer(&server, &owner, "review-secret").await;
    let review = |key: &str| {
        json!({"agent_id": reviewer, "task_type": "analyze_pr", "idempotency_key": key,
               "input": {"repository": "Codertocat/Hello-World", "number": 2}})
    };

    // The model's notes join the rules' review; the secret never reaches the model.
    let first = create_task(&server, &owner, review("first")).await;
    let first_id = first["id"].as_str().expect("id").to_owned();
    let done = task_where(&server, &owner, "analyze_pr", "completed", |task| {
        task["id"] == first_id.as_str()
    })
    .await;
    let output = &done["output_data"];
    assert_eq!(
        output["llm"]["summary"], "The change adds a lookup by name; check how the query is built.",
        "{output}"
    );
    assert_eq!(output["llm"]["input_tokens"], 900);
    assert_eq!(output["llm"]["comments"], 1, "{output}");
    assert_eq!(output["llm"]["comments_dropped"], 1);
    let post = task(&server, &owner, "post_review", "needs_approval").await;
    let planned = post["input_data"]["comments"].as_array().expect("comments");
    assert!(
        planned.iter().any(|comment| comment["path"] == "src/db.rs"
            && comment["line"] == 5
            && comment["body"]
                .as_str()
                .is_some_and(|body| body.contains("Bind the name"))),
        "{planned:?}"
    );
    assert!(planned.iter().all(|comment| comment["path"] != "README.md"));
    assert_eq!(output["risk"], "high", "the rules still decide the risk");
    let asked = model.received_requests().await.expect("requests");
    assert_eq!(asked.len(), 1);
    let prompt = String::from_utf8_lossy(&asked[0].body).into_owned();
    assert!(
        prompt.contains("SELECT * FROM users"),
        "the diff is in the prompt"
    );
    assert!(
        !prompt.contains(PLANTED_KEY),
        "the secret is masked: {prompt}"
    );
    assert!(
        prompt.contains("Rotate the model key") && !prompt.contains("iIOSXFc6Nh7"),
        "the title's key is masked: {prompt}"
    );
    assert!(
        asked[0]
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            == Some("Bearer sk-test-model-key")
    );

    // The day's tokens are spent: the next review waits, saying why, and the model is
    // not asked — even after a member raises the agent's own budget (an agent may only
    // lower the node's).
    let (status, raised) = server
        .call(
            Method::PATCH,
            &format!("/api/agents/{reviewer}"),
            &owner,
            Some(
                json!({"configuration": {"post": "approval", "max_comments": 30,
                "llm": {"tokens_per_day": 1_000_000, "requests_per_minute": 100_000}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{raised}");
    let second = create_task(&server, &owner, review("second")).await;
    let second_id = second["id"].as_str().expect("id").to_owned();
    let waiting = task_where(&server, &owner, "analyze_pr", "pending", |task| {
        task["id"] == second_id.as_str()
            && task["waiting_reason"]
                .as_str()
                .is_some_and(|reason| reason.contains("1000 tokens per day"))
    })
    .await;
    assert_eq!(
        waiting["attempt"], 0,
        "waiting is not an attempt: {waiting}"
    );
    assert_eq!(model.received_requests().await.expect("requests").len(), 1);

    // The recommendations name the reviewer as near its budget, from the spend the model
    // gate kept in metrics: its day's tokens against its 1,000, and the request held back.
    let recommender = common::agent_of_type(&server, &owner, "recommendation").await;
    let run = create_task(
        &server,
        &owner,
        json!({"agent_id": recommender, "task_type": "recommend", "idempotency_key": "budgets"}),
    )
    .await;
    let run_id = run["id"].as_str().expect("id").to_owned();
    let done = task_where(&server, &owner, "recommend", "completed", |task| {
        task["id"] == run_id.as_str()
    })
    .await;
    let recommendations = done["output_data"]["recommendations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let near = recommendations
        .iter()
        .find(|found| found["kind"] == "agent_near_budget")
        .unwrap_or_else(|| panic!("no budget recommendation: {done}"));
    assert_eq!(near["subject"], reviewer.as_str(), "{near}");
    assert_eq!(near["evidence"]["tokens_per_day"], 1000, "{near}");
    assert!(
        near["evidence"]["daily_tokens"][0]["tokens"]
            .as_u64()
            .is_some_and(|tokens| tokens >= 900),
        "{near}"
    );
    assert!(
        near["evidence"]["deferred"]
            .as_u64()
            .is_some_and(|deferred| deferred >= 1),
        "{near}"
    );
    server.stop().await;
}

/// A member cannot point an agent's model elsewhere (their own server would receive the
/// node's key), nor choose a model the operator did not allow; what the provider answers
/// in an error (here an internal service's page) reaches no task's output.
async fn the_nodes_model_key_goes_only_to_the_nodes_model(db: &TestDb) {
    let stand_in = github().await;
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "internal admin console: db_password=hunter2", "type": "invalid_request_error"}
        })))
        .mount(&model)
        .await;
    let elsewhere = MockServer::start().await;
    let server = node_with_model(db, &stand_in, &model, "sk-the-nodes-own-key", |settings| {
        settings.allowed_models = vec!["gpt-4o".into()];
    })
    .await;
    let (owner_token, org) = server.owner("owner@key.example", "Key").await;
    let owner = Caller::new(&owner_token, &org);
    let member = Caller::new(
        &server
            .member(&owner_token, &org, "member@key.example", "member")
            .await,
        &org,
    );
    let (status, llm) = server
        .call(Method::GET, "/api/settings/llm", &member, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{llm}");
    assert_eq!(llm["allowed_models"], json!(["gpt-4o-mini", "gpt-4o"]));
    let reviewer = connect_reviewer(&server, &owner, "key-secret").await;
    let elsewhere_url = format!("{}/v1", elsewhere.uri());
    for (llm, refused) in [
        (json!({"base_url": elsewhere_url}), "llm.base_url"),
        (json!({"provider": "anthropic"}), "llm.provider"),
        (json!({"model": "o1-pro"}), "llm.model"),
    ] {
        let (status, problem) = server
            .call(
                Method::PATCH,
                &format!("/api/agents/{reviewer}"),
                &member,
                Some(json!({"configuration": {"post": "approval", "llm": llm}})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains(refused)),
            "{problem}"
        );
    }
    // An allowed model is a choice a member may make.
    let (status, chosen) = server
        .call(
            Method::PATCH,
            &format!("/api/agents/{reviewer}"),
            &member,
            Some(json!({"configuration": {"post": "approval", "llm": {"model": "gpt-4o"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    let created = create_task(
        &server,
        &member,
        json!({"agent_id": reviewer, "task_type": "analyze_pr",
               "input": {"repository": "Codertocat/Hello-World", "number": 2}}),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    let done = task_where(&server, &member, "analyze_pr", "completed", |task| {
        task["id"] == id.as_str()
    })
    .await;
    let shown = done["output_data"]["llm"].to_string();
    assert!(shown.contains("rejected the request"), "{shown}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("admin console"),
        "{shown}"
    );
    let asked = model.received_requests().await.expect("requests");
    assert_eq!(asked.len(), 1);
    assert!(String::from_utf8_lossy(&asked[0].body).contains("\"gpt-4o\""));
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("requests")
            .is_empty(),
        "the key went nowhere else"
    );
    server.stop().await;
}

/// The console's copy of `GET /api/agents/types` (its forms are built from the schemas
/// in it): `UPDATE_FIXTURE=1` rewrites it from the node.
fn console_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/src/routes/agents/agentTypes.fixture.json")
}

/// Each agent type's configuration is a type the node checks — on REST and GraphQL, on
/// create and update, an unknown key, a wrong type or a value out of range is a 422
/// naming the key, and nothing is kept — and publishes as a JSON Schema (the models the
/// operator allows as the `enum` of `llm.model`), which is the console's copy. A
/// configuration stored before the check leaves its agent in error, saying why.
async fn configurations_are_checked_by_their_type_and_published_as_schemas(db: &TestDb) {
    let stand_in = github().await;
    let model = model().await;
    let server = node_with_model(db, &stand_in, &model, "sk-schema-key", |settings| {
        settings.allowed_models = vec!["gpt-4o".into()];
    })
    .await;
    let (owner_token, org) = server.owner("owner@schema.example", "Schema").await;
    let owner = Caller::new(&owner_token, &org);

    let (status, types) = server
        .call(Method::GET, "/api/agents/types", &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{types}");
    let items = types["items"].as_array().expect("types");
    for item in items {
        let schema = &item["configuration_schema"];
        assert_eq!(schema["type"], "object", "{item}");
        assert_eq!(schema["additionalProperties"], false, "{item}");
    }
    let of = |name: &str| {
        items
            .iter()
            .find(|item| item["type"] == name)
            .unwrap_or_else(|| panic!("{name} in {types}"))
    };
    let deployment = &of("deployment")["configuration_schema"];
    assert_eq!(deployment["properties"]["healthy_at"]["maximum"], 100);
    assert_eq!(deployment["properties"]["healthy_at"]["default"], 70);
    assert_eq!(
        deployment["$defs"]["AgentLlm"]["properties"]["model"]["enum"],
        json!(["gpt-4o-mini", "gpt-4o", null])
    );
    assert!(
        deployment["$defs"]["AgentLlm"]["properties"]
            .get("base_url")
            .is_none(),
        "an address is not offered: {deployment}"
    );
    let fixture = console_fixture();
    if std::env::var_os("UPDATE_FIXTURE").is_some() {
        std::fs::write(
            &fixture,
            serde_json::to_string_pretty(&types).expect("json") + "\n",
        )
        .expect("write the console's fixture");
    }
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(&fixture).expect("the console's fixture"))
            .expect("json");
    assert_eq!(
        kept, types,
        "the console's copy of the agent types differs from the node's: run UPDATE_FIXTURE=1 cargo test -p companyos-api --test agents"
    );

    // Refused on create, by name, and nothing kept.
    for (configuration, field, words) in [
        (
            json!({"healthy_at": 150}),
            "configuration.healthy_at",
            "100",
        ),
        (
            json!({"helthy_at": 80}),
            "configuration.helthy_at",
            "expected one of",
        ),
        (
            json!({"paths": ["api/health"]}),
            "configuration.paths[0]",
            "pattern",
        ),
        (
            json!({"slow_ms": 20000}),
            "configuration.slow_ms",
            "probe timeout",
        ),
        (
            json!({"timeout_ms": "ten seconds"}),
            "configuration.timeout_ms",
            "invalid type",
        ),
    ] {
        let (status, problem) = server
            .call(
                Method::POST,
                "/api/agents",
                &owner,
                Some(json!({"name": "checker", "type": "deployment", "configuration": configuration})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["field"], field, "{problem}");
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains(words), "{words:?} in {detail:?}");
        if field == "configuration.helthy_at" {
            assert!(detail.contains("healthy_at"), "the valid keys: {detail}");
        }
    }
    let (_, kept_agents) = server
        .call(Method::GET, "/api/agents?type=deployment", &owner, None)
        .await;
    assert_eq!(kept_agents["items"], json!([]), "{kept_agents}");

    // GraphQL says the same.
    let (status, answer) = server
        .call(
            Method::POST,
            "/graphql",
            &owner,
            Some(json!({
                "query": "mutation($config: JSON) { spawnAgent(type: \"deployment\", config: $config) { id } }",
                "variables": {"config": {"ready_poll_ms": 1}},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("ready_poll_ms")),
        "{answer}"
    );
    assert!(
        answer["data"].is_null() || answer["data"]["spawnAgent"].is_null(),
        "{answer}"
    );

    // Refused on update; the agent keeps what it had.
    let (status, created) = server
        .call(
            Method::POST,
            "/api/agents",
            &owner,
            Some(json!({"name": "checker", "type": "deployment", "configuration": {"healthy_at": 80}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    assert_eq!(created["configuration"]["healthy_at"], 80);
    let (status, problem) = server
        .call(
            Method::PATCH,
            &format!("/api/agents/{id}"),
            &owner,
            Some(json!({"configuration": {"healthy_at": 80, "llm": {"max_tokens": 0}}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["field"], "configuration.llm.max_tokens",
        "{problem}"
    );
    let (_, agent) = server
        .call(Method::GET, &format!("/api/agents/{id}"), &owner, None)
        .await;
    assert_eq!(agent["configuration"], json!({"healthy_at": 80}), "{agent}");

    // A configuration kept before its type checked it: the agent does not start on
    // defaults, it is in error and says why.
    let org_id = org.parse().expect("organization id");
    let stale = server
        .runtime
        .store()
        .agents()
        .create(
            org_id,
            companyos_store::NewAgent {
                name: "stale".into(),
                agent_type: "deployment".into(),
                capabilities: vec!["check_deployment".into()],
                configuration: json!({"paths": "/"}),
            },
        )
        .await
        .expect("a row written as an older node did");
    let refused = server
        .runtime
        .adopt_agent(&stale)
        .await
        .expect_err("an agent that cannot read its configuration");
    assert!(
        refused.to_string().contains("configuration.paths"),
        "{refused}"
    );
    companyos_store::testing::until("the stale agent in error", || async {
        let (_, agent) = server
            .call(
                Method::GET,
                &format!("/api/agents/{}", stale.id),
                &owner,
                None,
            )
            .await;
        agent["status"] == "error"
    })
    .await;
    server.stop().await;
}
