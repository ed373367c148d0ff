//! Syncing integrations through their APIs, over real HTTP on SQLite and PostgreSQL:
//! `POST /api/integrations/{service}/sync` (and a repository's, a Figma file's) is a task
//! the service's real watcher performs by handing it to the integration's adapter, which
//! calls the service — here local stand-ins answering in the shapes the fixtures'
//! `APIS.md` documents — with the token the edge sealed at connect time, and brings the
//! domain tables up to date.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Caller, Server, executors, serve_node, wait_for_task};
use companyos_api::WebhookConfig;
use companyos_store::Service;
use companyos_store::testing::{TestDb, eventually};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

companyos_store::contract_tests!(
    a_github_sync_brings_repositories_pull_requests_and_deployments,
    refused_credentials_fail_the_sync_and_mark_the_integration,
    vercel_figma_and_x_syncs_update_their_tables,
    an_adapter_syncs_on_its_own_without_any_agent,
);

async fn node(db: &TestDb, urls: &[(Service, &str)]) -> Server {
    node_syncing_every(db, urls, None).await
}

async fn node_syncing_every(
    db: &TestDb,
    urls: &[(Service, &str)],
    interval: Option<Duration>,
) -> Server {
    let base_urls: HashMap<Service, String> = urls
        .iter()
        .map(|(service, url)| (*service, (*url).to_owned()))
        .collect();
    // The syncs are the subject: the review and deployment agents a synced pull request
    // or deployment may call on are stood in for, so the GitHub stand-in need only serve
    // what a sync reads.
    serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        executors(),
        base_urls,
        interval,
    )
    .await
}

async fn an_adapter_syncs_on_its_own_without_any_agent(db: &TestDb) {
    let github = MockServer::start().await;
    mount_github(&github, &[pull_request(1001, 1347, "open", false)]).await;
    let server = node_syncing_every(
        db,
        &[(Service::Github, &github.uri())],
        Some(Duration::from_secs(3600)),
    )
    .await;
    let (owner, org) = server.owner("owner@periodic.test", "Periodic").await;
    let owner = Caller::new(&owner, &org);
    // Never synced: the first sync is due at once (within the few seconds' spread).
    connect(&server, &owner, "github", json!({"token": "ghp_periodic"})).await;
    // Deployments are the last rows a repository's sync writes.
    let (pulls, deployments) = eventually("the periodic sync's deployments", || async {
        let pulls = items(&server, &owner, "/api/pull-requests").await;
        let deployments = items(&server, &owner, "/api/deployments").await;
        if deployments.is_empty() {
            Err(pulls)
        } else {
            Ok((pulls, deployments))
        }
    })
    .await;
    assert_eq!(pulls.len(), 1, "synced by the adapter alone");
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    let (_, tasks) = server
        .call(Method::GET, "/api/agent-tasks", &owner, None)
        .await;
    assert_eq!(tasks["items"].as_array().map(Vec::len), Some(0), "{tasks}");
    server.stop().await;
}

async fn agent(server: &Server, owner: &Caller, name: &str, agent_type: &str) {
    let (status, body) = server
        .call(
            Method::POST,
            "/api/agents",
            owner,
            Some(json!({"name": name, "type": agent_type})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn connect(server: &Server, owner: &Caller, service: &str, credentials: Value) {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/api/integrations/{service}/connect"),
            owner,
            Some(json!({"credentials": credentials})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Posts a sync route and waits for its task to end as `status`.
async fn sync(server: &Server, owner: &Caller, route: &str, status: &str) -> Value {
    let (code, body) = server.call(Method::POST, route, owner, None).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    let id = body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a task id in {body}"))
        .to_owned();
    wait_for_task(server, owner, &id, status).await
}

async fn items(server: &Server, owner: &Caller, route: &str) -> Vec<Value> {
    let (status, body) = server.call(Method::GET, route, owner, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

fn pull_request(id: u64, number: u64, state: &str, merged: bool) -> Value {
    json!({
        "id": id,
        "number": number,
        "state": state,
        "title": format!("Change {number}"),
        "body": "Please pull these awesome changes",
        "draft": false,
        "user": {"login": "octocat"},
        "head": {"ref": format!("feature-{number}"), "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
        "base": {"ref": "main", "sha": "e5bd3914e2e596debea16f433f57875b5b90bcd6"},
        "html_url": format!("https://github.com/octocat/Hello-World/pull/{number}"),
        "created_at": "2026-11-20T19:01:12Z",
        "updated_at": "2026-11-21T19:01:12Z",
        "closed_at": if state == "closed" { json!("2026-11-22T10:00:00Z") } else { Value::Null },
        "merged_at": if merged { json!("2026-11-22T10:00:00Z") } else { Value::Null },
        "merged": merged,
    })
}

async fn mount_github(github: &MockServer, open: &[Value]) {
    Mock::given(method("GET"))
        .and(path("/user/repos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "id": 1296269,
            "name": "Hello-World",
            "full_name": "octocat/Hello-World",
            "private": false,
            "owner": {"login": "octocat"},
            "html_url": "https://github.com/octocat/Hello-World",
            "default_branch": "main",
        }])))
        .mount(github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/pulls"))
        .and(query_param("state", "open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(open.to_vec())))
        .mount(github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "id": 42,
            "sha": "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
            "ref": "main",
            "task": "deploy",
            "environment": "production",
            "creator": {"login": "octocat"},
            "created_at": "2026-11-21T10:00:00Z",
            "statuses_url": "https://api.github.com/repos/octocat/Hello-World/deployments/42/statuses",
        }])))
        .mount(github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/deployments/42/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "state": "success",
            "environment_url": "https://hello-world.example.com",
            "log_url": "https://example.com/deployment/42/output",
            "created_at": "2026-11-21T10:05:00Z",
        }])))
        .mount(github)
        .await;
}

async fn a_github_sync_brings_repositories_pull_requests_and_deployments(db: &TestDb) {
    let github = MockServer::start().await;
    mount_github(
        &github,
        &[
            pull_request(1001, 1347, "open", false),
            pull_request(1002, 1348, "open", false),
        ],
    )
    .await;
    let server = node(db, &[(Service::Github, &github.uri())]).await;
    let (owner, org) = server.owner("owner@sync.test", "Sync").await;
    let owner = Caller::new(&owner, &org);
    agent(&server, &owner, "GitHub", "github_watcher").await;
    connect(
        &server,
        &owner,
        "github",
        json!({"token": "ghp_sync_token"}),
    )
    .await;

    let task = sync(
        &server,
        &owner,
        "/api/integrations/github/sync",
        "completed",
    )
    .await;
    let output = &task["output_data"];
    assert_eq!(output["synced"]["repositories"], 1, "{task}");
    let children = output["follow_up_tasks"]
        .as_array()
        .expect("follow-up tasks");
    assert_eq!(children.len(), 1, "one repository sync to follow: {task}");
    let child = wait_for_task(
        &server,
        &owner,
        children[0].as_str().expect("task id"),
        "completed",
    )
    .await;
    assert_eq!(child["task_type"], "sync_repository");
    assert_eq!(
        child["output_data"]["synced"]["pull_requests"], 2,
        "{child}"
    );
    assert_eq!(child["output_data"]["synced"]["deployments"], 1, "{child}");

    let repositories = items(&server, &owner, "/api/repositories").await;
    assert_eq!(repositories.len(), 1);
    assert_eq!(repositories[0]["full_name"], "octocat/Hello-World");
    let mut pulls = items(&server, &owner, "/api/pull-requests").await;
    pulls.sort_by_key(|pull| pull["number"].as_i64());
    assert_eq!(
        pulls
            .iter()
            .map(|pull| (pull["number"].as_i64(), pull["state"].as_str()))
            .collect::<Vec<_>>(),
        vec![(Some(1347), Some("open")), (Some(1348), Some("open"))]
    );
    let deployments = items(&server, &owner, "/api/deployments").await;
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    assert_eq!(deployments[0]["state"], "ready");
    assert_eq!(deployments[0]["url"], "https://hello-world.example.com");
    let (_, integration) = server
        .call(Method::GET, "/api/integrations/github/status", &owner, None)
        .await;
    assert!(
        integration["last_sync_at"].is_string(),
        "the sync is recorded: {integration}"
    );
    let requests = github.received_requests().await.expect("recorded");
    assert!(
        requests.iter().all(|request| request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.ends_with("ghp_sync_token"))),
        "every call carries the token the edge sealed"
    );

    // #1348 was merged on GitHub meanwhile: the repository's sync reads it one by one,
    // as it is no longer in the open listing.
    github.reset().await;
    mount_github(&github, &[pull_request(1001, 1347, "open", false)]).await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/pulls/1348"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(pull_request(1002, 1348, "closed", true)),
        )
        .mount(&github)
        .await;
    let repository = repositories[0]["id"].as_str().expect("id");
    sync(
        &server,
        &owner,
        &format!("/api/repositories/{repository}/sync"),
        "completed",
    )
    .await;
    let merged = items(&server, &owner, "/api/pull-requests?state=merged").await;
    assert_eq!(merged.len(), 1, "{merged:?}");
    assert_eq!(merged[0]["number"], 1348);

    // A rate limit that lasts puts the task back in the queue until GitHub's reset: it
    // waits, saying why, and the wait is not an attempt.
    github.reset().await;
    let reset = chrono::Utc::now().timestamp() + 3600;
    Mock::given(method("GET"))
        .and(path("/user/repos"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .mount(&github)
        .await;
    let (code, body) = server
        .call(Method::POST, "/api/integrations/github/sync", &owner, None)
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    let id = body["id"].as_str().expect("task id").to_owned();
    let task = eventually("the sync task to wait with its reason", || async {
        let (_, task) = server
            .call(Method::GET, &format!("/api/agent-tasks/{id}"), &owner, None)
            .await;
        if task["waiting_reason"].is_string() {
            Ok(task)
        } else {
            Err(task)
        }
    })
    .await;
    assert_eq!(task["status"], "pending", "re-queued, not failed: {task}");
    assert!(
        task["waiting_reason"]
            .as_str()
            .is_some_and(|message| message.contains("rate limiting")),
        "{task}"
    );
    assert_eq!(task["attempt"], 0, "{task}");
    let run_after = task["run_after"]
        .as_str()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .expect("run_after");
    assert!(
        run_after.timestamp() >= reset - 60,
        "not before GitHub's reset: {task}"
    );
    server.stop().await;
}

async fn refused_credentials_fail_the_sync_and_mark_the_integration(db: &TestDb) {
    let vercel = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"error": {"code": "forbidden", "message": "Not authorized"}}),
            ),
        )
        .mount(&vercel)
        .await;
    let server = node(db, &[(Service::Vercel, &vercel.uri())]).await;
    let (owner, org) = server.owner("owner@refused.test", "Refused").await;
    let owner = Caller::new(&owner, &org);
    agent(&server, &owner, "Vercel", "vercel_watcher").await;
    connect(&server, &owner, "vercel", json!({"token": "expired"})).await;
    let task = sync(&server, &owner, "/api/integrations/vercel/sync", "failed").await;
    let message = task["error_message"].as_str().unwrap_or_default();
    assert!(message.contains("rejected the credentials"), "{task}");
    assert!(
        !message.contains("expired"),
        "the token never shows: {task}"
    );
    let (_, status) = server
        .call(Method::GET, "/api/integrations/vercel/status", &owner, None)
        .await;
    assert_eq!(status["status"], "error", "{status}");

    // Slack has nothing to read; its sync says so and succeeds.
    agent(&server, &owner, "Slack", "slack_watcher").await;
    connect(&server, &owner, "slack", json!({"bot_token": "xoxb-1"})).await;
    let task = sync(&server, &owner, "/api/integrations/slack/sync", "completed").await;
    assert!(
        task["output_data"]["notes"][0]
            .as_str()
            .is_some_and(|note| note.contains("nothing to sync")),
        "{task}"
    );
    server.stop().await;
}

async fn vercel_figma_and_x_syncs_update_their_tables(db: &TestDb) {
    let services = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .and(query_param("projectId", "prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "pagination": {"count": 1, "next": null, "prev": null},
            "deployments": [{
                "uid": "dpl_2euZBFqxYdDMDG1jTrHFnNZ2eUVa",
                "name": "my-app",
                "projectId": "prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB",
                "url": "my-app-1234.vercel.app",
                "created": 1_764_000_000_000i64,
                "state": "ERROR",
                "readyState": "ERROR",
                "target": "production",
                "meta": {"githubCommitSha": "dc36199b2234c6586ebe05ec94078a895c707e29", "githubCommitRef": "main"},
                "creator": {"uid": "96SnxkFiMyVKsK3pnoHfx3Hz", "username": "john-doe"},
                "inspectorUrl": "https://vercel.com/acme/my-app/2euZBFqxYdDMDG1jTrHFnNZ2eUVa",
                "errorMessage": "Command \"npm run build\" exited with 1",
            }],
        })))
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/teams/team-1/components"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": 200, "error": false,
            "meta": {"components": [component("FILEKEY1", "1:2", "Button")], "cursor": {}},
        })))
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/FILEKEY1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "Design System", "role": "viewer", "lastModified": "2026-11-20T10:00:00Z",
            "editorType": "figma", "thumbnailUrl": "https://example.com/thumb.png", "version": "1234",
            "document": {"id": "0:0", "name": "Document", "type": "DOCUMENT", "children": []},
            "components": {"1:2": {"key": "abc", "name": "Button"}},
            "componentSets": {}, "styles": {}, "schemaVersion": 0,
        })))
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/FILEKEY1/components"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": 200, "error": false,
            "meta": {"components": [component("FILEKEY1", "1:2", "Button"), component("FILEKEY1", "1:3", "Card")]},
        })))
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/FILEKEY1/component_sets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": 200, "error": false, "meta": {"component_sets": []},
        })))
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/FILEKEY1/nodes"))
        .and(query_param("ids", "1:2,1:3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "Design System", "lastModified": "2026-11-20T10:00:00Z", "version": "1234",
            "nodes": {"1:2": null, "1:3": null},
        })))
        .mount(&services)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "id": "2244994945", "name": "Acme", "username": "acme",
            "profile_image_url": "https://pbs.twimg.com/profile_images/acme.jpg",
            "public_metrics": {"followers_count": 5321, "following_count": 10, "tweet_count": 99},
        }})))
        .mount(&services)
        .await;
    let uri = services.uri();
    let server = node(
        db,
        &[
            (Service::Vercel, &uri),
            (Service::Figma, &uri),
            (Service::Twitter, &uri),
        ],
    )
    .await;
    let (owner, org) = server.owner("owner@tables.test", "Tables").await;
    let owner = Caller::new(&owner, &org);
    for (name, agent_type) in [
        ("Vercel", "vercel_watcher"),
        ("Figma", "figma_watcher"),
        ("Social", "social_watcher"),
    ] {
        agent(&server, &owner, name, agent_type).await;
    }

    connect(
        &server,
        &owner,
        "vercel",
        json!({"token": "vercel-token", "project_id": "prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB"}),
    )
    .await;
    let task = sync(
        &server,
        &owner,
        "/api/integrations/vercel/sync",
        "completed",
    )
    .await;
    assert_eq!(task["output_data"]["synced"]["deployments"], 1, "{task}");
    let deployments = items(&server, &owner, "/api/deployments").await;
    assert_eq!(
        (
            deployments[0]["state"].as_str(),
            deployments[0]["url"].as_str(),
            deployments[0]["commit_sha"].as_str()
        ),
        (
            Some("error"),
            Some("https://my-app-1234.vercel.app"),
            Some("dc36199b2234c6586ebe05ec94078a895c707e29")
        ),
        "{deployments:?}"
    );

    connect(
        &server,
        &owner,
        "figma",
        json!({"token": "figd_token", "team_id": "team-1"}),
    )
    .await;
    let task = sync(&server, &owner, "/api/integrations/figma/sync", "completed").await;
    assert_eq!(task["output_data"]["synced"]["figma_files"], 1, "{task}");
    let child = task["output_data"]["follow_up_tasks"][0]
        .as_str()
        .unwrap_or_else(|| panic!("a file sync to follow: {task}"))
        .to_owned();
    let child = wait_for_task(&server, &owner, &child, "completed").await;
    assert_eq!(child["output_data"]["synced"]["components"], 2, "{child}");
    let files = items(&server, &owner, "/api/figma/files").await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["name"], "Design System");
    let components = items(&server, &owner, "/api/design-components").await;
    let mut names: Vec<_> = components
        .iter()
        .filter_map(|component| component["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Button", "Card"]);

    let (status, body) = server
        .call(
            Method::POST,
            "/api/social/accounts/twitter/connect",
            &owner,
            Some(json!({"account_id": "2244994945", "handle": "acme", "credentials": {"token": "x-user-token"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    connect(&server, &owner, "twitter", json!({"token": "x-app-token"})).await;
    let task = sync(
        &server,
        &owner,
        "/api/integrations/twitter/sync",
        "completed",
    )
    .await;
    assert_eq!(
        task["output_data"]["synced"]["social_accounts"], 1,
        "{task}"
    );
    let accounts = items(&server, &owner, "/api/social/accounts").await;
    assert_eq!(accounts[0]["follower_count"], 5321, "{accounts:?}");
    let me = services
        .received_requests()
        .await
        .expect("recorded")
        .into_iter()
        .find(|request| request.url.path() == "/2/users/me")
        .expect("the account was read");
    assert_eq!(
        me.headers
            .get("authorization")
            .and_then(|value| value.to_str().ok()),
        Some("Bearer x-user-token"),
        "each account is read with its own token"
    );
    server.stop().await;
}

fn component(file_key: &str, node_id: &str, name: &str) -> Value {
    json!({
        "key": format!("key-{node_id}"),
        "file_key": file_key,
        "node_id": node_id,
        "thumbnail_url": "https://example.com/c.png",
        "name": name,
        "description": "",
        "created_at": "2026-11-01T00:00:00Z",
        "updated_at": "2026-11-20T00:00:00Z",
        "user": {"id": "1", "handle": "designer"},
        "containing_frame": {"pageId": "0:1", "pageName": "Components", "name": "Buttons", "nodeId": "1:1"},
    })
}
