//! `/ws` with a real WebSocket client (tokio-tungstenite), on SQLite and PostgreSQL:
//! authentication at the handshake, subscriptions, the seed's event names with row data,
//! the repository filter, and nothing of another organization.

mod common;

use std::time::Duration;

use common::{Caller, Server, Socket, graphql_ws, serve, wait_for_task};
use companyos_store::testing::TestDb;
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

companyos_store::contract_tests!(
    channels_push_the_organizations_events,
    the_handshake_needs_a_token_and_a_membership,
);

async fn connect(server: &Server, token: &str, org: &str) -> Socket {
    let url = format!(
        "{}/ws?organization_id={org}",
        server.base.replace("http", "ws")
    );
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("open")
            .expect("message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

/// Reads until a message with `event` arrives; returns it.
async fn until(socket: &mut Socket, event: &str) -> Value {
    for _ in 0..100 {
        let message = next(socket).await;
        if message["event"] == event {
            return message;
        }
    }
    panic!("no {event}");
}

/// Subscribes and waits for the acknowledgement; events of channels subscribed before
/// may still arrive first (an audit event written just after its change), and are
/// passed over.
async fn subscribe(socket: &mut Socket, message: Value) {
    send(socket, message).await;
    let mut reply = next(socket).await;
    while reply.get("event").is_some() {
        reply = next(socket).await;
    }
    assert_eq!(reply["type"], "subscribed", "{reply}");
}

async fn channels_push_the_organizations_events(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let (status, stranger) = server
        .sign_up("other@example.com", json!({"organization": "Other"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let stranger_token = common::token(&stranger, "access_token").to_owned();
    let stranger_org = stranger["organization"]["id"]
        .as_str()
        .expect("org")
        .to_owned();

    let mut socket = connect(&server, &owner, &org).await;
    let mut other = connect(&server, &stranger_token, &stranger_org).await;
    for channel in ["agent_tasks", "agents", "deployments", "events"] {
        subscribe(
            &mut socket,
            json!({"type": "subscribe", "channel": channel}),
        )
        .await;
        subscribe(&mut other, json!({"type": "subscribe", "channel": channel})).await;
    }
    subscribe(
        &mut other,
        json!({"type": "subscribe", "channel": "pull_requests"}),
    )
    .await;

    // A task's life, pushed with its row.
    let caller = Caller::new(&owner, &org);
    let (_, agent) = server
        .call(
            Method::POST,
            "/api/agents",
            &caller,
            Some(json!({"name": "counter", "type": "text_stats"})),
        )
        .await;
    let (_, task) = server
        .call(
            Method::POST,
            "/api/agent-tasks",
            &caller,
            Some(json!({"agent_id": agent["id"], "task_type": "count_text", "input": {"text": "a b c"}})),
        )
        .await;
    let created = until(&mut socket, "agent_task.created").await;
    assert_eq!(created["data"]["id"], task["id"]);
    let completed = until(&mut socket, "agent_task.completed").await;
    assert_eq!(completed["data"]["output_data"]["words"], 3, "{completed}");
    wait_for_task(
        &server,
        &caller,
        task["id"].as_str().expect("id"),
        "completed",
    )
    .await;
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/api/agents/{}/disable", agent["id"].as_str().expect("id")),
            &caller,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let disabled = until(&mut socket, "agent.status_changed").await;
    assert_eq!(disabled["data"]["agent_id"], agent["id"]);

    // A Vercel delivery, through the adapter, reaches the deployments channel with the
    // deployment's view, the events channel as event.created, and a GraphQL subscriber.
    let mut subscriber = graphql_ws(&server, &owner).await;
    send(
        &mut subscriber,
        json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { deploymentStatusChanged { projectName state vercelDeploymentId } }"
        }}),
    )
    .await;
    // The subscription is in place once the node has answered something after it.
    send(&mut subscriber, json!({"type": "ping"})).await;
    loop {
        let message = next(&mut subscriber).await;
        if message["type"] == "pong" {
            break;
        }
    }
    let (_, hook) = server.connect_vercel(&caller, "vercel-token").await;
    let succeeded = common::fixture("vercel/deployment.succeeded.json");
    server.deliver_vercel(&hook, &succeeded).await;
    let ready = until(&mut socket, "vercel.deployment.succeeded").await;
    assert_eq!(ready["data"]["project_name"], "my-app", "{ready}");
    assert_eq!(
        ready["data"]["vercel_deployment_id"], succeeded["payload"]["deployment"]["id"],
        "{ready}"
    );
    assert!(
        ready["data"].get("metadata").is_some(),
        "the deployment's view: {ready}"
    );
    let created = loop {
        let created = until(&mut socket, "event.created").await;
        if created["data"]["event_type"] == "vercel.deployment.succeeded" {
            break created;
        }
    };
    assert_eq!(created["data"]["resource_type"], "deployment", "{created}");
    let pushed = loop {
        let message = next(&mut subscriber).await;
        if message["type"] == "next" {
            break message;
        }
    };
    assert_eq!(
        pushed["payload"]["data"]["deploymentStatusChanged"]["vercelDeploymentId"],
        succeeded["payload"]["deployment"]["id"],
        "{pushed}"
    );
    assert_eq!(
        pushed["payload"]["data"]["deploymentStatusChanged"]["projectName"], "my-app",
        "{pushed}"
    );

    // Pull requests of one repository only, when asked so: GitHub deliveries, through the
    // adapter, for two repositories.
    send(
        &mut socket,
        json!({"type": "subscribe", "channel": "pull_requests", "repoId": "nope"}),
    )
    .await;
    let mut reply = next(&mut socket).await;
    while reply.get("event").is_some() {
        reply = next(&mut socket).await;
    }
    assert_eq!(reply["type"], "error", "{reply}");
    let github = server
        .connect_github(&caller, "ghp_live", "live-secret")
        .await;
    let opened = common::fixture("github/pull_request/opened.payload.json");
    let in_repository = |repository: i64, name: &str, number: i64| {
        let mut payload = opened.clone();
        payload["repository"]["id"] = json!(repository);
        payload["repository"]["name"] = json!(name);
        payload["repository"]["full_name"] = json!(format!("acme/{name}"));
        payload["number"] = json!(number);
        payload["pull_request"]["number"] = json!(number);
        payload["pull_request"]["id"] = json!(repository * 1000 + number);
        serde_json::to_vec(&payload).expect("payload")
    };
    let status = server
        .deliver_github(
            &github,
            b"live-secret",
            "d-web-1",
            in_repository(1, "web", 1),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    while until(&mut socket, "event.created").await["data"]["event_type"] != "pull_request.opened" {
    }
    let (_, repositories) = server
        .call(Method::GET, "/api/repositories", &caller, None)
        .await;
    let web = repositories["items"]
        .as_array()
        .expect("repositories")
        .iter()
        .find(|repository| repository["name"] == "web")
        .unwrap_or_else(|| panic!("web in {repositories}"))["id"]
        .clone();
    subscribe(
        &mut socket,
        json!({"type": "subscribe", "channel": "pull_requests", "repoId": web}),
    )
    .await;
    for (delivery, body) in [
        ("d-api-1", in_repository(2, "api", 1)),
        ("d-web-2", in_repository(1, "web", 2)),
    ] {
        let status = server
            .deliver_github(&github, b"live-secret", delivery, body)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let opened = until(&mut socket, "pull_request.opened").await;
    assert_eq!(
        (&opened["data"]["repository_id"], &opened["data"]["number"]),
        (&web, &json!(2)),
        "only the asked repository: {opened}"
    );

    // The other organization saw none of it: its next message answers its ping.
    send(&mut other, json!({"type": "ping"})).await;
    let reply = next(&mut other).await;
    assert_eq!(
        reply,
        json!({"type": "pong"}),
        "nothing of another organization"
    );

    // Bad messages get an error, and the connection stays usable.
    for bad in [
        json!({"type": "subscribe", "channel": "gossip"}),
        json!({"type": "dance"}),
        json!("not an object"),
    ] {
        send(&mut socket, bad.clone()).await;
        let mut reply = next(&mut socket).await;
        while reply.get("event").is_some() {
            reply = next(&mut socket).await;
        }
        assert_eq!(reply["type"], "error", "{bad}: {reply}");
    }
    send(
        &mut socket,
        json!({"type": "unsubscribe", "channel": "agents"}),
    )
    .await;
    let mut reply = next(&mut socket).await;
    while reply.get("event").is_some() {
        reply = next(&mut socket).await;
    }
    assert_eq!(reply["type"], "unsubscribed");
    server.stop().await;
}

async fn the_handshake_needs_a_token_and_a_membership(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let (_, other) = server
        .sign_up("other@example.com", json!({"organization": "Other"}))
        .await;
    let other_token = common::token(&other, "access_token");
    let base = server.base.replace("http", "ws");
    for (url, token, expected) in [
        (format!("{base}/ws"), None, 401),
        (format!("{base}/ws?token=garbage"), None, 401),
        (
            format!("{base}/ws?organization_id={org}"),
            Some(other_token),
            404,
        ),
        (
            format!("{base}/ws?organization_id=acme"),
            Some(owner.as_str()),
            400,
        ),
    ] {
        let mut request = url.clone().into_client_request().expect("request");
        if let Some(token) = token {
            request.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
        }
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), expected, "{url}");
            }
            other => panic!("{url}: expected HTTP {expected}, got {other:?}"),
        }
    }
    // A token in the query string works where headers cannot be set (browsers).
    let url = format!("{base}/ws?token={owner}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(next(&mut socket).await, json!({"type": "pong"}));
    // A plain HTTP request is told to upgrade.
    let (status, body) = server
        .call(Method::GET, "/ws", &Caller::new(&owner, &org), None)
        .await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED, "{body}");
    server.stop().await;
}
