//! One delivery can be followed in the node's logs, from the request to the agent's
//! completion: the delivery's id is on the line that records its event, the event's id
//! (and the delivery's) on the lines of its routing and of the tasks it writes, and the
//! task's id on every line of its run, through the actors that carry the span in their
//! messages.
//!
//! Its own test binary: the log capture is the process's global subscriber.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Caller, serve_node, task};
use companyos_api::WebhookConfig;
use companyos_integrations::webhooks::github_signature;
use companyos_store::Service;
use companyos_store::testing::{TestBackend, TestDb, eventually};
use companyos_supervisors::AgentTypeRegistry;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Log lines, as the JSON formatter writes them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<Value> {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/github/pull_request/opened.payload.json");
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json")
}

/// A line with `message` whose text holds every one of `values`.
fn line_with<'a>(lines: &'a [Value], message: &str, values: &[&str]) -> Option<&'a Value> {
    lines.iter().find(|line| {
        line["fields"]["message"] == message && {
            let text = line.to_string();
            values.iter().all(|value| text.contains(value))
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_delivery_is_followed_from_the_request_to_the_agents_completion() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_env_filter("info,companyos_actors=debug")
        .with_writer(move || writer.clone())
        .init();

    let db = TestDb::new(TestBackend::Sqlite).await;
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/Codertocat/Hello-World/pulls/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture()["pull_request"].clone()))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/Codertocat/Hello-World/pulls/2/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&github)
        .await;
    let server = serve_node(
        &db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([(Service::Github, github.uri())]),
        None,
    )
    .await;
    let (owner, org) = server.owner("owner@trace.example", "Trace").await;
    let owner = Caller::new(&owner, &org);
    let (status, connected) = server
        .call(
            Method::POST,
            "/api/integrations/github/connect",
            &owner,
            Some(json!({"credentials": {"token": "ghp_trace"}, "webhook_secret": "trace-secret"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    let url = connected["webhook_url"].as_str().expect("url");
    let body = serde_json::to_vec(&fixture()).expect("body");
    let response = server
        .client
        .post(format!("{}{}", server.base, &url[server.base.len()..]))
        .header("content-type", "application/json")
        .header("x-github-event", "pull_request")
        .header("x-github-delivery", "trace-delivery-1")
        .header(
            "x-hub-signature-256",
            github_signature(b"trace-secret", &body),
        )
        .body(body)
        .send()
        .await
        .expect("deliver");
    let (status, delivered) = common::read(response).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{delivered}");
    let delivery = delivered["delivery_id"]
        .as_str()
        .expect("delivery id")
        .to_owned();

    let review = task(&server, &owner, "analyze_pr", "completed").await;
    let task_id = review["id"].as_str().expect("task id").to_owned();
    let (_, events) = server
        .call(Method::GET, "/api/analytics/events?limit=10", &owner, None)
        .await;
    let event = events["items"]
        .as_array()
        .expect("events")
        .iter()
        .find(|event| event["event_type"] == "pull_request.opened")
        .and_then(|event| event["id"].as_str())
        .expect("the event")
        .to_owned();
    // The dispatcher logs a task's end after the agent answers.
    let lines = eventually("the task's end in the log", || async {
        let lines = captured.lines();
        if line_with(&lines, "task finished", &[&task_id]).is_some() {
            Ok(lines)
        } else {
            Err(lines.len())
        }
    })
    .await;

    assert!(
        line_with(&lines, "delivery recorded", &[&delivery]).is_some(),
        "the request"
    );
    assert!(
        line_with(&lines, "event recorded", &[&delivery, &event]).is_some(),
        "the adapter, in the delivery's span"
    );
    assert!(
        line_with(&lines, "event routed", &[&event, &delivery]).is_some(),
        "the router, in the event's span with the delivery"
    );
    assert!(
        line_with(&lines, "task written", &[&event, &task_id]).is_some(),
        "the watcher, in the event's span carried to its actor"
    );
    let finished = line_with(&lines, "task finished", &[&task_id]).expect("the dispatcher");
    assert_eq!(finished["fields"]["outcome"], "completed", "{finished}");
    server.stop().await;
    db.cleanup().await;
}
