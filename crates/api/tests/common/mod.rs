//! The edge under test: the router on a port of its own, with a real runtime on the
//! test database running the agent types CompanyOS ships, reached with reqwest. A test
//! about the edge rather than an agent's work may stand in for the executors that call
//! vendors ([`executors`]), and says why.

#![allow(dead_code)]

pub mod mail;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use companyos_api::{AppState, AuthConfig, WebhookConfig, router};
use companyos_integrations::crypto::MasterKey;
use companyos_store::testing::{TestDb, eventually};
use companyos_store::{AgentTask, DbTaskQueue, Service, TaskQueue};
use companyos_supervisors::{
    AdapterConfig, AgentKind, AgentType, AgentTypeRegistry, Behaviour, Runtime, RuntimeConfig,
    TaskContext, TaskFailure,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The executors the action routes hand work to that call a vendor, or are yet to ship
/// (`content`, `component_generator`): [`executors`] stands in for them.
pub const STAND_INS: [&str; 4] = [
    "code_review",
    "deployment",
    "content",
    "component_generator",
];

/// The shipped agent types the action routes and webhooks hand work to.
pub const ROUTED_TYPES: [&str; 7] = [
    "code_review",
    "deployment",
    "github_watcher",
    "vercel_watcher",
    "figma_watcher",
    "slack_watcher",
    "social_watcher",
];

/// Finishes every task with `{"done": <task type>}`.
struct StandIn(AgentKind);

#[async_trait]
impl Behaviour for StandIn {
    fn kind(&self) -> AgentKind {
        self.0
    }

    async fn perform(
        &mut self,
        _: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        Ok(Some(json!({"done": task.task_type})))
    }
}

/// The agent types CompanyOS ships, with the executors of [`STAND_INS`] replaced by
/// stand-ins that finish every task with `{"done": <task type>}`: for tests of the edge
/// (the webhook entry, the sync routes) that need a task finished without the vendor the
/// real agent would call.
pub fn executors() -> AgentTypeRegistry {
    let mut registry = AgentTypeRegistry::builtin();
    for name in STAND_INS {
        registry.register(stand_in(&registry, name, AgentKind::Executor));
    }
    registry
}

/// A stand-in for the shipped type `name`: it accepts that type's configuration (what
/// the routes that start it write) and finishes every task.
fn stand_in(shipped: &AgentTypeRegistry, name: &str, kind: AgentKind) -> AgentType {
    let mut stand_in = AgentType::plain(name, kind, vec![name.into()], move || {
        Box::new(StandIn(kind))
    });
    if let Some(real) = shipped.get(name) {
        stand_in.configuration = real.configuration.clone();
        stand_in.factory = Arc::new(move |_| Ok(Box::new(StandIn(kind))));
    }
    stand_in
}

/// The agent types CompanyOS ships: what a default test node runs.
pub fn registry() -> AgentTypeRegistry {
    AgentTypeRegistry::builtin()
}

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub runtime: Arc<Runtime>,
    pub keys: Arc<MasterKey>,
    /// Every mail the node sent (verification, reset and invitation links).
    pub mail: mail::MailCatcher,
}

pub async fn serve(db: &TestDb, configure: impl FnOnce(&mut AuthConfig)) -> Server {
    serve_with(db, configure, WebhookConfig::default(), registry()).await
}

/// A node with the given webhook entry (a fixed clock, a small body limit) and agent
/// types.
pub async fn serve_with(
    db: &TestDb,
    configure: impl FnOnce(&mut AuthConfig),
    webhooks: WebhookConfig,
    registry: AgentTypeRegistry,
) -> Server {
    serve_node(db, configure, webhooks, registry, HashMap::new(), None).await
}

/// A node whose integration adapters call the services at `base_urls` (local stand-ins),
/// with the master key the edge seals credentials with, syncing on their own every
/// `sync_interval` if given.
pub async fn serve_node(
    db: &TestDb,
    configure: impl FnOnce(&mut AuthConfig),
    webhooks: WebhookConfig,
    registry: AgentTypeRegistry,
    base_urls: HashMap<Service, String>,
    sync_interval: Option<Duration>,
) -> Server {
    serve_node_with_llm(
        db,
        configure,
        webhooks,
        registry,
        base_urls,
        sync_interval,
        None,
    )
    .await
}

/// [`serve_node`] whose agents may use the language model of `llm`.
pub async fn serve_node_with_llm(
    db: &TestDb,
    configure: impl FnOnce(&mut AuthConfig),
    webhooks: WebhookConfig,
    registry: AgentTypeRegistry,
    base_urls: HashMap<Service, String>,
    sync_interval: Option<Duration>,
    llm: Option<companyos_supervisors::llm::LlmSettings>,
) -> Server {
    serve_tuned(
        db,
        configure,
        webhooks,
        registry,
        base_urls,
        sync_interval,
        llm,
        |_| {},
    )
    .await
}

/// [`serve_node_with_llm`] with its runtime's configuration changed by `tune`. Test
/// nodes probe their local stand-ins (`Reach::Anywhere`) unless `tune` says otherwise.
#[allow(clippy::too_many_arguments)]
pub async fn serve_tuned(
    db: &TestDb,
    configure: impl FnOnce(&mut AuthConfig),
    webhooks: WebhookConfig,
    registry: AgentTypeRegistry,
    base_urls: HashMap<Service, String>,
    sync_interval: Option<Duration>,
    llm: Option<companyos_supervisors::llm::LlmSettings>,
    tune: impl FnOnce(&mut RuntimeConfig),
) -> Server {
    serve_keyed(
        db,
        configure,
        webhooks,
        registry,
        base_urls,
        sync_interval,
        llm,
        tune,
        Arc::new(MasterKey::generate()),
    )
    .await
}

/// A second node on the database of `before` (stopped), with its master key: what a
/// node restarted after a crash finds.
pub async fn restart(
    db: &TestDb,
    before: &Server,
    registry: AgentTypeRegistry,
    base_urls: HashMap<Service, String>,
) -> Server {
    serve_keyed(
        db,
        |_| {},
        WebhookConfig::default(),
        registry,
        base_urls,
        None,
        None,
        |_| {},
        before.keys.clone(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn serve_keyed(
    db: &TestDb,
    configure: impl FnOnce(&mut AuthConfig),
    webhooks: WebhookConfig,
    registry: AgentTypeRegistry,
    base_urls: HashMap<Service, String>,
    sync_interval: Option<Duration>,
    llm: Option<companyos_supervisors::llm::LlmSettings>,
    tune: impl FnOnce(&mut RuntimeConfig),
    keys: Arc<MasterKey>,
) -> Server {
    let mut auth = AuthConfig::new(
        b"a test secret that is long enough!!",
        Duration::from_secs(900),
    )
    .expect("auth");
    let mail = mail::MailCatcher::start().await;
    auth.mailer = companyos_api::mail::Mailer::new(&mail.url, "CompanyOS <node@test.example>")
        .expect("mailer");
    auth.console_url = "http://console.test".into();
    auth.clock = db.store.clock().clone();
    configure(&mut auth);
    let queue: Arc<dyn TaskQueue> = Arc::new(DbTaskQueue::new(db.store.clone()));
    // A test node never reaches a vendor on the internet: a service the test gives no
    // stand-in for is called at a closed local port (the call fails at once, saying so).
    let mut base_urls = base_urls;
    for service in Service::ALL {
        base_urls
            .entry(*service)
            .or_insert_with(|| "http://127.0.0.1:9".to_owned());
    }
    let mut config = RuntimeConfig {
        adapters: AdapterConfig {
            keys: Some((*keys).clone()),
            base_urls,
            sync_interval,
            probe_reach: companyos_integrations::probe::Reach::Anywhere,
            ..AdapterConfig::default()
        },
        llm,
        ..RuntimeConfig::default()
    };
    tune(&mut config);
    let runtime = Arc::new(
        Runtime::start(db.store.clone(), queue, registry, config)
            .await
            .expect("runtime"),
    );
    let app = router(AppState {
        store: db.store.clone(),
        auth: Arc::new(auth),
        runtime: runtime.clone(),
        keys: keys.clone(),
        webhooks: Arc::new(webhooks),
        console: companyos_api::ConsoleSource::Embedded,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(companyos_api::server::serve(
        listener,
        app,
        companyos_api::server::ServerLimits::default(),
        std::future::pending(),
    ));
    Server {
        base: format!("http://{address}"),
        client: companyos_integrations::http::builder()
            .and_then(|builder| builder.build().map_err(Into::into))
            .expect("client"),
        runtime,
        keys,
        mail,
    }
}

/// Who is calling, and for which organization (`X-Organization-Id`).
#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub token: Option<String>,
    pub organization: Option<String>,
}

impl Caller {
    pub fn new(token: &str, organization: &str) -> Caller {
        Caller {
            token: Some(token.to_owned()),
            organization: Some(organization.to_owned()),
        }
    }
}

/// A WebSocket to the node.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection to `/graphql/ws` signed in with `access`,
/// acknowledged.
pub async fn graphql_ws(server: &Server, access: &str) -> Socket {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let mut request = format!("{}/graphql/ws", server.base.replace("http", "ws"))
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("protocol"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {access}")}});
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("init");
    match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => assert!(text.contains("connection_ack"), "{text}"),
        other => panic!("no ack: {other:?}"),
    }
    socket
}

/// A vendor's payload from the project's fixtures (`fixtures/<path>`).
pub fn fixture(path: &str) -> Value {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path);
    serde_json::from_slice(&std::fs::read(&file).expect("fixture")).expect("json")
}

impl Server {
    /// Connects GitHub with `token` and the signing secret `secret`: the path of the
    /// webhook URL it gives.
    pub async fn connect_github(&self, caller: &Caller, token: &str, secret: &str) -> String {
        let (status, connected) = self
            .call(
                Method::POST,
                "/api/integrations/github/connect",
                caller,
                Some(json!({"credentials": {"token": token}, "webhook_secret": secret})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{connected}");
        connected["webhook_url"].as_str().expect("url")[self.base.len()..].to_owned()
    }

    /// Connects Vercel with `token` and the signing secret `vercel-secret`: the answer,
    /// and the path of the webhook URL it gives.
    pub async fn connect_vercel(&self, owner: &Caller, token: &str) -> (Value, String) {
        let (status, connected) = self
            .call(
                Method::POST,
                "/api/integrations/vercel/connect",
                owner,
                Some(json!({"credentials": {"token": token}, "webhook_secret": "vercel-secret"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{connected}");
        let hook = connected["webhook_url"].as_str().expect("url")[self.base.len()..].to_owned();
        (connected, hook)
    }

    /// Delivers `payload` to the Vercel webhook at `path`, signed as Vercel signs.
    pub async fn deliver_vercel(&self, path: &str, payload: &Value) {
        let body = serde_json::to_vec(payload).expect("body");
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header(
                "x-vercel-signature",
                companyos_integrations::webhooks::vercel_signature(b"vercel-secret", &body),
            )
            .body(body)
            .send()
            .await
            .expect("deliver");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }

    pub async fn stop(&self) {
        self.runtime.shutdown().await;
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        caller: &Caller,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &caller.token {
            request = request.bearer_auth(token);
        }
        if let Some(organization) = &caller.organization {
            request = request.header("x-organization-id", organization);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("request")).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request")).await
    }

    pub async fn register(&self, email: &str, extra: Value) -> (StatusCode, Value) {
        let mut body = json!({"email": email, "name": "Someone", "password": "correct horse"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.post("/api/auth/register", None, body).await
    }

    /// Registers as a person would: the node's first account is signed in at once
    /// (201); with open registration, another one follows the link mailed to it and
    /// chooses its password there (the registration's own answer is a 202). The
    /// answer holds the session, and the organization when there is one.
    pub async fn sign_up(&self, email: &str, extra: Value) -> (StatusCode, Value) {
        let (status, body) = self.register(email, extra).await;
        if status != StatusCode::ACCEPTED {
            return (status, body);
        }
        let link = self.mail.token(email, "verify-email").await;
        let (status, mut session) = self
            .post(
                "/api/auth/verify-email",
                None,
                json!({"token": link, "password": "correct horse"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{session}");
        let (status, organizations) = self
            .get("/api/organizations", Some(token(&session, "access_token")))
            .await;
        assert_eq!(status, StatusCode::OK, "{organizations}");
        if let Some(first) = organizations
            .as_array()
            .or_else(|| organizations["items"].as_array())
            .and_then(|items| items.first())
        {
            session["organization"] = first.clone();
        }
        (StatusCode::CREATED, session)
    }

    /// An account that owns a new organization: (token, org id).
    pub async fn owner(&self, email: &str, organization: &str) -> (String, String) {
        let (status, body) = self
            .sign_up(email, json!({"organization": organization}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            token(&body, "access_token").to_owned(),
            body["organization"]["id"]
                .as_str()
                .expect("organization id")
                .to_owned(),
        )
    }

    /// Invites `email` with `role`: the token of the link mailed to them.
    pub async fn invite(&self, owner: &str, org: &str, email: &str, role: &str) -> String {
        let (status, invitation) = self
            .post(
                &format!("/api/organizations/{org}/members"),
                Some(owner),
                json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{invitation}");
        assert!(
            invitation.get("invitation_token").is_none(),
            "the inviter never sees the token: {invitation}"
        );
        self.mail.token(email, "accept-invitation").await
    }

    /// Posts a `pull_request` delivery with `body` to the webhook `path`, signed with
    /// `secret` as GitHub signs it: the node's answer.
    pub async fn deliver_github(
        &self,
        path: &str,
        secret: &[u8],
        delivery: &str,
        body: Vec<u8>,
    ) -> StatusCode {
        self.deliver_github_event(path, secret, "pull_request", delivery, body)
            .await
    }

    /// Posts a delivery of GitHub's `event` with `body` to the webhook `path`, signed
    /// with `secret`: the node's answer.
    pub async fn deliver_github_event(
        &self,
        path: &str,
        secret: &[u8],
        event: &str,
        delivery: &str,
        body: Vec<u8>,
    ) -> StatusCode {
        let signature = companyos_integrations::webhooks::github_signature(secret, &body);
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await
            .expect("deliver")
            .status()
    }

    /// Invites `email` with `role` and registers them from the mailed link: their
    /// access token.
    pub async fn member(&self, owner: &str, org: &str, email: &str, role: &str) -> String {
        let invitation = self.invite(owner, org, email, role).await;
        let (status, joined) = self
            .register(email, json!({"invitation_token": invitation}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{joined}");
        token(&joined, "access_token").to_owned()
    }
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == "application/problem+json");
    let text = response.text().await.expect("body");
    let body: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    if status.is_client_error() || status.is_server_error() {
        assert!(
            problem,
            "an error is application/problem+json: {status} {body}"
        );
        assert_eq!(body["status"], status.as_u16(), "{body}");
    }
    (status, body)
}

pub fn token<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}

/// Polls the task until it reaches `status` (the runtime works in the background).
pub async fn wait_for_task(server: &Server, caller: &Caller, id: &str, status: &str) -> Value {
    eventually(format!("task {id} to become {status}"), || async {
        let (code, task) = server
            .call(Method::GET, &format!("/api/agent-tasks/{id}"), caller, None)
            .await;
        assert_eq!(code, StatusCode::OK, "{task}");
        if task["status"] == status {
            Ok(task)
        } else {
            Err(task)
        }
    })
    .await
}

/// The organization's tasks of `task_type` (the newest hundred), with their inputs and
/// outputs.
pub async fn tasks_of(server: &Server, caller: &Caller, task_type: &str) -> Vec<Value> {
    let (_, tasks) = server
        .call(
            Method::GET,
            "/api/agent-tasks?limit=100&include=data",
            caller,
            None,
        )
        .await;
    tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|task| task["task_type"] == task_type)
        .cloned()
        .collect()
}

/// Waits for a task of `task_type` in `status` that `also` accepts.
pub async fn task_where(
    server: &Server,
    caller: &Caller,
    task_type: &str,
    status: &str,
    also: impl Fn(&Value) -> bool,
) -> Value {
    eventually(format!("a {task_type} task to become {status}"), || async {
        let seen = tasks_of(server, caller, task_type).await;
        match seen
            .iter()
            .find(|task| task["status"] == status && also(task))
        {
            Some(task) => Ok(task.clone()),
            None => Err(seen),
        }
    })
    .await
}

pub async fn task(server: &Server, caller: &Caller, task_type: &str, status: &str) -> Value {
    task_where(server, caller, task_type, status, |_| true).await
}

/// Creates a task by hand (`POST /api/agent-tasks` with `body`): the task, once the
/// answer is 201.
pub async fn create_task(server: &Server, caller: &Caller, body: Value) -> Value {
    let (status, created) = server
        .call(Method::POST, "/api/agent-tasks", caller, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// The answer to `method route` as `caller`, which must be a success (2xx).
pub async fn call_ok(
    server: &Server,
    caller: &Caller,
    method: Method,
    route: &str,
    body: Option<Value>,
) -> Value {
    let (status, answer) = server.call(method, route, caller, body).await;
    assert!(status.is_success(), "{route}: {status} {answer}");
    answer
}

/// Approves a task waiting for approval; the answer must be 200.
pub async fn approve(server: &Server, caller: &Caller, task: &str) {
    let (status, answer) = server
        .call(
            Method::POST,
            &format!("/api/agent-tasks/{task}/approve"),
            caller,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// The id of the organization's agent of `agent_type` (the first listed).
pub async fn agent_of_type(server: &Server, caller: &Caller, agent_type: &str) -> String {
    let (_, agents) = server
        .call(Method::GET, "/api/agents?limit=100", caller, None)
        .await;
    agents["items"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|agent| agent["type"] == agent_type || agent["agent_type"] == agent_type)
        .and_then(|agent| agent["id"].as_str())
        .unwrap_or_else(|| panic!("no {agent_type} agent in {agents}"))
        .to_owned()
}
