//! GraphQL over real HTTP and WebSocket, on SQLite and PostgreSQL: queries with nested
//! relations, filters and pages; mutations through the runtime; the permission matrix
//! and tenant isolation on fields; depth and complexity limits; and a subscription
//! received by the real `graphql-ws` npm client.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{Caller, Server, serve, wait_for_task};
use companyos_store::testing::{TestDb, until};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

companyos_store::contract_tests!(
    queries_and_mutations_go_through_the_runtime,
    fields_follow_the_matrix_and_stay_in_their_organization,
    oversized_queries_are_refused,
    the_graphql_ws_client_receives_created_tasks,
    a_single_node_says_it_is_not_a_cluster,
);

async fn graphql(server: &Server, caller: &Caller, query: &str, variables: Value) -> Value {
    let (status, body) = server
        .call(
            Method::POST,
            "/graphql",
            caller,
            Some(json!({"query": query, "variables": variables})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn data(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    &body["data"]
}

fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {body}"))
}

async fn queries_and_mutations_go_through_the_runtime(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let caller = Caller::new(&owner, &org);

    let spawned = graphql(
        &server,
        &caller,
        r#"mutation { spawnAgent(type: "text_stats", name: "counter") { id name type status } }"#,
        json!({}),
    )
    .await;
    let agent = data(&spawned)["spawnAgent"].clone();
    assert_eq!(agent["type"], "text_stats");
    assert_eq!(agent["status"], "IDLE");
    let agent_id = agent["id"].as_str().expect("id").to_owned();

    let mut ids = Vec::new();
    for n in 0..5 {
        let created = graphql(
            &server,
            &caller,
            "mutation($input: CreateAgentTaskInput!) { createAgentTask(input: $input) { id status requiresApproval } }",
            json!({"input": {"agentId": agent_id, "taskType": "count_text", "input": {"text": format!("{n} words here")}, "requiresApproval": n == 0}}),
        )
        .await;
        ids.push(
            data(&created)["createAgentTask"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let approve = "mutation($id: ID!) { approveAgentTask(taskId: $id) { id status approvedVia requestedBy } }";
    // The requester does not approve their own task…
    let refused = graphql(&server, &caller, approve, json!({"id": ids[0]})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    // …unless the organization allows it (a team of one).
    let (status, organization) = server
        .call(
            Method::PATCH,
            &format!("/api/organizations/{org}"),
            &caller,
            Some(json!({"settings": {"allow_self_approval": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{organization}");
    let approved = graphql(&server, &caller, approve, json!({"id": ids[0]})).await;
    let approved = &data(&approved)["approveAgentTask"];
    assert_eq!(approved["id"], ids[0].as_str());
    assert_eq!(approved["approvedVia"], "GRAPHQL", "{approved}");
    assert!(approved["requestedBy"].is_string(), "{approved}");
    for id in &ids {
        wait_for_task(&server, &caller, id, "completed").await;
    }
    // Statistics are written by the lifecycle writer just after each completion.
    until("the agent's statistics to count five tasks", || async {
        let (_, row) = server
            .call(
                Method::GET,
                &format!("/api/agents/{agent_id}"),
                &caller,
                None,
            )
            .await;
        row["total_tasks_completed"] == 5
    })
    .await;

    // Nested relations, filters and pages.
    let page = graphql(
        &server,
        &caller,
        r#"query { agentTasks(filters: {status: COMPLETED, taskType: "count_text"}, first: 3) {
            items { id status output agent { id name stats { totalTasksCompleted } } }
            nextCursor } }"#,
        json!({}),
    )
    .await;
    let first = &data(&page)["agentTasks"];
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3), "{first}");
    for item in first["items"].as_array().expect("items") {
        assert_eq!(item["agent"]["id"], agent_id.as_str());
        assert_eq!(item["agent"]["stats"]["totalTasksCompleted"], 5);
        assert_eq!(item["output"]["words"], 3);
    }
    let rest = graphql(
        &server,
        &caller,
        "query($after: String) { agentTasks(first: 3, after: $after) { items { id } nextCursor } }",
        json!({"after": first["nextCursor"]}),
    )
    .await;
    assert_eq!(
        data(&rest)["agentTasks"]["items"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(data(&rest)["agentTasks"]["nextCursor"].is_null());

    let organization = graphql(
        &server,
        &caller,
        "query { organization { name slug role members { email role } agents { name } } }",
        json!({}),
    )
    .await;
    let organization = &data(&organization)["organization"];
    assert_eq!(organization["name"], "Acme");
    assert_eq!(organization["role"], "OWNER");
    assert_eq!(organization["members"][0]["email"], "owner@example.com");
    assert_eq!(organization["agents"][0]["name"], "counter");

    let disabled = graphql(
        &server,
        &caller,
        "mutation($id: ID!) { disableAgent(id: $id) { status } }",
        json!({"id": agent_id}),
    )
    .await;
    assert_eq!(data(&disabled)["disableAgent"]["status"], "DISABLED");
    let filtered = graphql(
        &server,
        &caller,
        "query { agents(filters: {status: DISABLED}) { items { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        data(&filtered)["agents"]["items"][0]["id"],
        agent_id.as_str()
    );

    // Bad input is an error naming what is wrong, never a crash.
    let bad = graphql(
        &server,
        &caller,
        "query { agentTasks(first: 0) { items { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let bad = graphql(
        &server,
        &caller,
        r#"query { agentTasks(after: "garbage") { items { id } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let bad = graphql(
        &server,
        &caller,
        r#"mutation { spawnAgent(type: "no_such") { id } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let bad = graphql(&server, &caller, "query { nonsense }", json!({})).await;
    assert!(bad["errors"].is_array(), "{bad}");
    // The earliest time there is: no 30 days before it to count from, said as much.
    let bad = graphql(
        &server,
        &caller,
        r#"query { analytics(query: {metricTypes: ["x"], to: "-262143-01-10T00:00:00Z"}) { from } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT", "{bad}");
    server.stop().await;
}

async fn fields_follow_the_matrix_and_stay_in_their_organization(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let viewer = server
        .member(&owner, &org, "viewer@example.com", "viewer")
        .await;
    let (status, other) = server
        .sign_up("other@example.com", json!({"organization": "Other"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let stranger = common::token(&other, "access_token").to_owned();
    let stranger_org = other["organization"]["id"]
        .as_str()
        .expect("org")
        .to_owned();

    let as_owner = Caller::new(&owner, &org);
    let spawned = graphql(
        &server,
        &as_owner,
        r#"mutation { spawnAgent(type: "text_stats") { id } }"#,
        json!({}),
    )
    .await;
    let agent_id = data(&spawned)["spawnAgent"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // A viewer reads but cannot act.
    let as_viewer = Caller::new(&viewer, &org);
    let read = graphql(
        &server,
        &as_viewer,
        "query { agents { items { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(data(&read)["agents"]["items"][0]["id"], agent_id.as_str());
    for mutation in [
        r#"mutation { spawnAgent(type: "text_stats") { id } }"#.to_owned(),
        format!(r#"mutation {{ disableAgent(id: "{agent_id}") {{ id }} }}"#),
        format!(
            r#"mutation {{ createAgentTask(input: {{agentId: "{agent_id}", taskType: "x"}}) {{ id }} }}"#
        ),
    ] {
        let refused = graphql(&server, &as_viewer, &mutation, json!({})).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{mutation}: {refused}");
        assert!(
            refused["data"].is_null()
                || refused["data"]
                    .as_object()
                    .is_some_and(|d| d.values().all(Value::is_null))
        );
    }

    // Someone of another organization: naming it is a 404, its ids are unknown in
    // their own organization, and their lists are empty.
    let naming = Caller::new(&stranger, &org);
    let probe = graphql(
        &server,
        &naming,
        "query { agents { items { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        error_code(&probe),
        "NOT_FOUND",
        "a header naming someone else's organization"
    );
    let own = Caller::new(&stranger, &stranger_org);
    let probe = graphql(
        &server,
        &own,
        &format!(r#"query {{ agent(id: "{agent_id}") {{ id }} }}"#),
        json!({}),
    )
    .await;
    assert_eq!(error_code(&probe), "NOT_FOUND");
    let probe = graphql(
        &server,
        &own,
        &format!(r#"query {{ agents(organizationId: "{org}") {{ items {{ id }} }} }}"#),
        json!({}),
    )
    .await;
    assert_eq!(error_code(&probe), "NOT_FOUND");
    let probe = graphql(
        &server,
        &own,
        &format!(r#"mutation {{ disableAgent(id: "{agent_id}") {{ id }} }}"#),
        json!({}),
    )
    .await;
    assert_eq!(error_code(&probe), "NOT_FOUND");
    let lists = graphql(
        &server,
        &own,
        "query { agents { items { id } } agentTasks { items { id } } deployments { items { id } } events { items { id } } }",
        json!({}),
    )
    .await;
    for list in ["agents", "agentTasks", "deployments", "events"] {
        assert_eq!(data(&lists)[list]["items"], json!([]), "{list}");
    }

    // No token: 401 before any field runs.
    let (status, _) = server
        .call(
            Method::POST,
            "/graphql",
            &Caller::default(),
            Some(json!({"query": "{ agents { items { id } } }"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A browser's GET is sent to GraphiQL, a page of the console.
    let browser = companyos_integrations::http::builder()
        .expect("tls")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = browser
        .get(format!("{}/graphql", server.base))
        .send()
        .await
        .expect("graphiql");
    assert!(page.status().is_redirection(), "{}", page.status());
    assert_eq!(page.headers()["location"], "/graphiql");
    server.stop().await;
}

async fn oversized_queries_are_refused(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let caller = Caller::new(&owner, &org);
    let mut deep = "id".to_owned();
    for _ in 0..6 {
        deep = format!("agent {{ currentTask {{ {deep} }} }}");
    }
    let body = graphql(
        &server,
        &caller,
        &format!("query {{ agentTasks {{ items {{ {deep} }} }} }}"),
        json!({}),
    )
    .await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too deep"), "{body}");

    let wide = "query { agentTasks(first: 200) { items { id taskType status priority description \
                input output errorMessage attempt createdAt agent { id name status } } } }";
    let body = graphql(&server, &caller, wide, json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("complex"), "{body}");
    // The same fields over a normal page are fine.
    let normal = wide.replace("first: 200", "first: 50");
    let body = graphql(&server, &caller, &normal, json!({})).await;
    data(&body);
    server.stop().await;
}

async fn the_graphql_ws_client_receives_created_tasks(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let (status, other) = server
        .sign_up("other@example.com", json!({"organization": "Other"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let stranger = common::token(&other, "access_token").to_owned();
    let stranger_org = other["organization"]["id"]
        .as_str()
        .expect("org")
        .to_owned();
    let caller = Caller::new(&owner, &org);
    let (_, agent) = server
        .call(
            Method::POST,
            "/api/agents",
            &caller,
            Some(json!({"name": "counter", "type": "text_stats"})),
        )
        .await;

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/graphql-ws/subscribe.mjs"
    );
    let modules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/graphql-ws/node_modules/graphql-ws"
    );
    assert!(
        std::path::Path::new(modules).exists(),
        "the graphql-ws client is not installed: npm ci --prefix crates/api/tests/graphql-ws (scripts/test.sh does it)"
    );
    let url = format!("{}/graphql/ws", server.base.replace("http", "ws"));
    let mut node = tokio::process::Command::new("node")
        .args([script, &url, &owner, &org])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node (Node.js) must be installed");
    let mut lines = BufReader::new(node.stdout.take().expect("stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the client connects")
        .expect("read");
    assert_eq!(ready.as_deref(), Some("ready"));
    // Someone of another organization, subscribed the same way, must hear nothing.
    let mut quiet = tokio::process::Command::new("node")
        .args([script, &url, &stranger, &stranger_org, "--expect-none=4000"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let mut quiet_lines = BufReader::new(quiet.stdout.take().expect("stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), quiet_lines.next_line())
        .await
        .expect("the other client connects")
        .expect("read");
    assert_eq!(ready.as_deref(), Some("ready"));

    // Tasks until the client reports one (its subscription starts right after "ready").
    let mut received = None;
    for _ in 0..20 {
        let (status, _) = server
            .call(
                Method::POST,
                "/api/agent-tasks",
                &caller,
                Some(json!({"agent_id": agent["id"], "task_type": "count_text", "input": {"text": "hi"}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        if let Ok(line) = tokio::time::timeout(Duration::from_millis(500), lines.next_line()).await
        {
            received = line.expect("read");
            break;
        }
    }
    let received: Value = serde_json::from_str(&received.expect("a task")).expect("JSON");
    assert_eq!(received["taskType"], "count_text", "{received}");
    assert_eq!(received["agent"]["name"], "counter");
    let status = node.wait().await.expect("node exits");
    assert!(status.success(), "the client exits cleanly");
    let heard = quiet_lines.next_line().await.expect("read");
    assert_eq!(
        heard.as_deref(),
        Some("none"),
        "another organization's subscriber heard {heard:?}"
    );
    assert!(quiet.wait().await.expect("exits").success());

    // A bad token is refused at connection_init.
    let refused = tokio::process::Command::new("node")
        .args([script, &url, "not-a-token", &org])
        .output()
        .await
        .expect("node");
    assert!(!refused.status.success(), "a bad token is refused");
    server.stop().await;
}

/// On a node not in cluster mode, REST and GraphQL say so the same way; a request
/// without a token is refused.
async fn a_single_node_says_it_is_not_a_cluster(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let caller = Caller::new(&owner, &org);
    let (status, body) = server
        .call(Method::GET, "/api/cluster", &caller, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"enabled": false, "members": []}));
    let answer = graphql(
        &server,
        &caller,
        "{ cluster { enabled members { node status epoch leaseAgeMs organizations yourOrganizations thisNode } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        data(&answer)["cluster"],
        json!({"enabled": false, "members": []})
    );
    let (status, _) = server
        .call(
            Method::GET,
            "/api/cluster",
            &Caller {
                token: None,
                organization: None,
            },
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}
