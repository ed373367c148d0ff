//! What an operator runs beside a node, with the real binary: the raw payload archive
//! in an S3-compatible bucket (moto's server, started here), `companyos deliveries
//! replay`, and traces exported over OTLP/HTTP to a receiver in this test.
//!
//! One signed GitHub `pull_request` delivery (the fixture) goes in through the webhook
//! URL. It is archived byte for byte; its request, the adapter's work on it, the
//! router's event, the code review agent's task and that task's calls to GitHub and to
//! the model (stand-ins speaking GitHub's and OpenAI's formats) are one trace, each span
//! the child of the one before; and replayed from the archive by the command line, it becomes a new event.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use companyos_store::archive::{Archive, ArchiveLocation, S3Location};
use companyos_store::testing::S3Server;
use companyos_store::{ConnectOptions, DeliveryId, Store};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod otlp;

use otlp::{Span, otlp_receiver};

const BINARY: &str = env!("CARGO_BIN_EXE_companyos");
const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const MASTER_KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const WEBHOOK_SECRET: &str = "operations-secret";
const BUCKET: &str = "deliveries";

/// A node killed with the test.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The environment every `companyos` process of the test gets.
struct Environment {
    data_dir: PathBuf,
    s3: String,
    otlp: String,
    github: String,
}

impl Environment {
    fn command(&self) -> Command {
        let mut command = Command::new(BINARY);
        for (variable, _) in std::env::vars() {
            if variable.starts_with("COMPANYOS_") || variable == "DATABASE_URL" {
                command.env_remove(variable);
            }
        }
        command
            .env("COMPANYOS_DATA_DIR", &self.data_dir)
            .env("COMPANYOS_AUTH_JWT_SECRET", SECRET)
            .env("COMPANYOS_MASTER_KEY", MASTER_KEY)
            .env("COMPANYOS_AUTH_GITHUB_API_URL", &self.github)
            // The code review agent asks a model too (an OpenAI-compatible stand-in).
            .env("COMPANYOS_LLM_PROVIDER", "openai")
            .env("COMPANYOS_LLM_BASE_URL", format!("{}/v1", self.github))
            .env("COMPANYOS_LLM_MODEL", "gpt-4o-mini")
            .env("COMPANYOS_LLM_API_KEY", "sk-operations")
            .env("COMPANYOS_ARCHIVE_URL", format!("s3://{BUCKET}/node-a"))
            .env("COMPANYOS_ARCHIVE_S3_ENDPOINT", &self.s3)
            .env("COMPANYOS_ARCHIVE_S3_ACCESS_KEY_ID", "operations")
            .env(
                "COMPANYOS_ARCHIVE_S3_SECRET_ACCESS_KEY",
                "operations-secret",
            )
            .env("COMPANYOS_TELEMETRY_OTLP_ENDPOINT", &self.otlp)
            .env("COMPANYOS_TELEMETRY_SERVICE_NAME", "companyos-operations")
            // Spans leave in batches every 100 ms instead of OTel's 5 s.
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("COMPANYOS_LOG_LEVEL", "info");
        command
    }

    fn archive(&self) -> Archive {
        Archive::open(&ArchiveLocation::S3(S3Location {
            bucket: BUCKET.into(),
            prefix: "node-a".into(),
            endpoint: self.s3.clone(),
            region: "us-east-1".into(),
            access_key_id: "operations".into(),
            secret_access_key: "operations-secret".into(),
        }))
        .expect("open the archive")
    }
}

/// Starts `companyos serve` and waits for its address in the log.
fn serve(environment: &Environment) -> (Process, String) {
    let mut child = environment
        .command()
        .args(["serve", "--log-format", "json", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start companyos");
    let stdout = child.stdout.take().expect("stdout");
    let node = Process(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        let entry: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if let Some(address) = entry["address"].as_str()
            && line.contains("listening on")
        {
            let base = format!("http://{address}");
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    if line.contains("WARN") || line.contains("ERROR") || line.contains("archive") {
                        eprintln!("[node] {line}");
                    }
                }
            });
            return (node, base);
        }
    }
    panic!("the node never logged its address");
}

fn fixture() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/github/pull_request/opened.payload.json"),
    )
    .expect("the pull_request fixture")
}

async fn eventually<T>(
    what: &str,
    limit: Duration,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_archived_to_s3_replayed_and_traced_end_to_end() {
    // The process's TLS provider, as the binary installs it (the HTTP client needs one).
    companyos_integrations::http::install_default_provider();
    let data = tempfile::tempdir().expect("tempdir");
    let s3 = S3Server::start(BUCKET);
    let (otlp, spans) = otlp_receiver().await;
    let pull_request: Value = serde_json::from_slice(&fixture()).expect("json");
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/Codertocat/Hello-World/pulls/2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(pull_request["pull_request"].clone()),
        )
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/Codertocat/Hello-World/pulls/2/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&github)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            "object": "chat.completion",
            "created": 1741569952,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": "{\"summary\": \"A small change.\", \"comments\": []}", "refusal": null},
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 900, "completion_tokens": 100, "total_tokens": 1000},
            "service_tier": "default"
        })))
        .mount(&github)
        .await;
    let environment = Environment {
        data_dir: data.path().join("node"),
        s3: s3.endpoint.clone(),
        otlp,
        github: github.uri(),
    };

    // An owner, created as an operator would, with the password on standard input.
    let mut create = environment
        .command()
        .args([
            "user",
            "create",
            "--email",
            "ops@operations.example",
            "--org",
            "Operations",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run user create");
    create
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a long enough password\n")
        .expect("password");
    assert!(create.wait().expect("user create").success());

    let (_node, base) = serve(&environment);
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": "ops@operations.example", "password": "a long enough password"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["access_token"].as_str().expect("a token").to_owned();
    let organizations: Value = client
        .get(format!("{base}/api/organizations"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("organizations")
        .json()
        .await
        .expect("json");
    let org = organizations["items"][0]["id"]
        .as_str()
        .or(organizations[0]["id"].as_str())
        .expect("the organization")
        .to_owned();
    let connected = client
        .post(format!("{base}/api/integrations/github/connect"))
        .bearer_auth(&token)
        .header("x-organization-id", &org)
        .json(
            &json!({"credentials": {"token": "ghp_operations"}, "webhook_secret": WEBHOOK_SECRET}),
        )
        .send()
        .await
        .expect("connect");
    assert_eq!(connected.status(), 201);
    let connected: Value = connected.json().await.expect("json");
    let url = connected["webhook_url"].as_str().expect("a webhook url");
    let webhook = format!("{base}{}", &url[url.find("/api/").expect("a path")..]);

    let body = fixture();
    let delivered = client
        .post(&webhook)
        .header("content-type", "application/json")
        .header("x-github-event", "pull_request")
        .header("x-github-delivery", "operations-delivery-1")
        .header(
            "x-hub-signature-256",
            companyos_integrations::webhooks::github_signature(WEBHOOK_SECRET.as_bytes(), &body),
        )
        .body(body.clone())
        .send()
        .await
        .expect("deliver");
    assert_eq!(delivered.status(), 202);
    let delivered: Value = delivered.json().await.expect("json");
    let delivery: DeliveryId = delivered["delivery_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a delivery id");

    // Archived, byte for byte, in the bucket, and marked so in the database.
    let archive = environment.archive();
    let archived = eventually(
        "the delivery in the bucket",
        Duration::from_secs(60),
        async || archive.get(delivery).await.ok(),
    )
    .await;
    assert_eq!(archived.body, body, "the body as GitHub signed it");
    assert_eq!(archived.event_type, "pull_request");
    assert_eq!(
        archived.headers["x-github-delivery"],
        "operations-delivery-1"
    );
    let store = Store::connect(&ConnectOptions::new(format!(
        "sqlite://{}",
        environment.data_dir.join("companyos.db").display()
    )))
    .await
    .expect("open the node's database");
    eventually(
        "the delivery marked archived",
        Duration::from_secs(30),
        async || {
            store
                .deliveries()
                .find(delivery)
                .await
                .ok()
                .and_then(|row| row.archived_at)
        },
    )
    .await;

    // One trace: request → delivery → event → task → the task's call to GitHub, and the
    // task's call to the model.
    let chain = eventually(
        "the delivery's whole trace",
        Duration::from_secs(60),
        async || {
            let spans = spans.lock().expect("spans").clone();
            let request = spans
                .iter()
                .find(|span| span.name == "POST /api/webhooks/{service}/receive")?;
            let child = |parent: &Span, name: &str| {
                spans
                    .iter()
                    .find(|span| {
                        span.name == name
                            && span.trace == parent.trace
                            && span.parent.as_deref() == Some(parent.id.as_str())
                    })
                    .cloned()
            };
            let delivery = child(request, "delivery")?;
            let event = child(&delivery, "event")?;
            let task = child(&event, "task")?;
            let call = child(&task, "vendor call")?;
            let model = child(&task, "model call")?;
            Some([request.clone(), delivery, event, task, call, model])
        },
    )
    .await;
    assert!(
        chain
            .iter()
            .all(|span| span.service == "companyos-operations"),
        "{chain:?}"
    );
    assert_eq!(chain[0].parent, None, "the request starts the trace");

    // Replayed from the archive by the command line: a new delivery, a new event.
    let org_id: companyos_store::OrgId = org.parse().expect("org id");
    let events_before = store.events().count(org_id, None).await.expect("events");
    let replay = environment
        .command()
        .args([
            "deliveries",
            "replay",
            &delivery.to_string(),
            "--wait",
            "90",
        ])
        .output()
        .expect("run deliveries replay");
    let stdout = String::from_utf8_lossy(&replay.stdout);
    assert!(
        replay.status.success(),
        "replay failed: {}{stdout}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(
        stdout.contains("read from the archive at s3://deliveries/node-a"),
        "{stdout}"
    );
    let event: companyos_store::EventId = stdout
        .lines()
        .find(|line| line.starts_with("replayed "))
        .and_then(|line| line.split("event ").nth(1))
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("no event in {stdout}"));
    let row = store
        .events()
        .get(org_id, event)
        .await
        .expect("the replay's event");
    assert_eq!(row.event_type, "pull_request.opened");
    let events_after = store.events().count(org_id, None).await.expect("events");
    assert_eq!(events_after, events_before + 1, "exactly one new event");

    // A delivery that does not exist is one clear line and a failure.
    let missing = environment
        .command()
        .args([
            "deliveries",
            "replay",
            &DeliveryId::new().to_string(),
            "--wait",
            "0",
        ])
        .output()
        .expect("run deliveries replay");
    assert_eq!(missing.status.code(), Some(2));
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        said.contains("is neither in the payload archive nor in the database"),
        "{said}"
    );
}
