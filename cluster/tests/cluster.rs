//! Cluster mode with real processes: three `companyos serve` nodes on one PostgreSQL
//! database, tasks submitted through every node while one node is killed (`kill -9`)
//! and another is paused (`SIGSTOP`) past its lease and resumed. Nothing submitted is
//! lost, every organization ends up on a live node, and the paused node notices that
//! it lost its lease, stops what it ran and joins again. The nodes share the machine's
//! Redis (each test under its own prefix); in that test their sessions are mutual TLS,
//! so every supervision tree read through a peer crosses an encrypted session.
//!
//! The times the cluster took (detection, re-homing) are printed for BENCHMARKS.md; no
//! assertion depends on them beyond generous bounds that only a hang would exceed.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod otlp;

use std::sync::{Arc, Mutex};

use companyos_store::testing::TestDb;
use companyos_store::{AgentTask, NewAgent, OrgId, Store, TaskStatus};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_companyos");
const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const MASTER_KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const LEASE_TTL_MS: u64 = 1500;
const RENEW_MS: u64 = 300;

struct Node {
    name: String,
    child: Child,
    base_url: String,
    /// Whether it said, starting, that its sessions are mutual TLS.
    tls: bool,
}

impl Node {
    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} {}", self.name);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too; resuming it first keeps its exit prompt.
        let _ = Command::new("kill")
            .args(["-CONT", &self.pid()])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Redis the tests' nodes share (`REDIS_URL`, default the machine's).
fn redis_url() -> String {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
}

/// The task queues' prefix of the nodes on `database_url`'s database.
fn amqp_prefix(database_url: &str) -> String {
    format!("{}.", database_url.rsplit('/').next().unwrap_or("cluster"))
}

/// Deletes the test's task queues once its nodes are gone.
async fn delete_queues(database_url: &str) {
    companyos_store::transport::delete_queues(
        &companyos_store::testing::amqp_url(),
        &amqp_prefix(database_url),
    )
    .await
    .expect("delete the test's task queues");
}

/// Starts one node of the cluster and waits for its "listening" log line.
fn start(name: &str, database_url: &str, data_dir: &std::path::Path, otlp: &str) -> Node {
    let mut command = Command::new(BINARY);
    for (variable, _) in std::env::vars() {
        if variable.starts_with("COMPANYOS_") {
            command.env_remove(variable);
        }
    }
    let tls = data_dir.join("tls");
    if tls.join("ca.pem").exists() {
        command
            .env("COMPANYOS_CLUSTER_TLS_CA_FILE", tls.join("ca.pem"))
            .env("COMPANYOS_CLUSTER_TLS_CERT_FILE", tls.join("node.pem"))
            .env("COMPANYOS_CLUSTER_TLS_KEY_FILE", tls.join("node.key"));
    }
    let mut child = command
        .args(["serve", "--log-format", "json", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env("COMPANYOS_DATA_DIR", data_dir.join(name))
        .env("COMPANYOS_CLUSTER_ENABLED", "true")
        .env("COMPANYOS_CLUSTER_NODE", name)
        .env("COMPANYOS_CLUSTER_LEASE_TTL_MS", LEASE_TTL_MS.to_string())
        .env("COMPANYOS_CLUSTER_RENEW_INTERVAL_MS", RENEW_MS.to_string())
        .env("COMPANYOS_QUEUE_LEASE_SECS", "3")
        .env("COMPANYOS_AUTH_JWT_SECRET", SECRET)
        .env("COMPANYOS_MASTER_KEY", MASTER_KEY)
        // The nodes of one test share the machine's Redis under a prefix of their own.
        .env("COMPANYOS_CLUSTER_REDIS_URL", redis_url())
        .env(
            "COMPANYOS_CLUSTER_REDIS_PREFIX",
            format!("{}:", database_url.rsplit('/').next().unwrap_or(name)),
        )
        // And the machine's RabbitMQ, under queue names of their own: tasks reach the
        // dispatchers through it.
        .env(
            "COMPANYOS_CLUSTER_AMQP_URL",
            companyos_store::testing::amqp_url(),
        )
        .env("COMPANYOS_CLUSTER_AMQP_PREFIX", amqp_prefix(database_url))
        .env("COMPANYOS_LOG_LEVEL", "info")
        // Traces to the test's receiver, in batches every 100 ms.
        .env("COMPANYOS_TELEMETRY_OTLP_ENDPOINT", otlp)
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start companyos");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut tls = false;
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        tls |= line.contains("sessions between nodes are mutual TLS");
        let entry: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if let Some(address) = entry["fields"]["address"]
            .as_str()
            .or(entry["address"].as_str())
            && entry.to_string().contains("listening on")
        {
            let address = address.to_owned();
            let node = name.to_owned();
            // Keep draining the pipe so the node never blocks on a full buffer; the
            // lines about the cluster are shown with the test's output.
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    if line.contains("cluster") || line.contains("organization") {
                        eprintln!("[{node}] {line}");
                    }
                }
            });
            return Node {
                name: name.to_owned(),
                child,
                base_url: format!("http://{address}"),
                tls,
            };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{name} never logged its address");
}

/// A minimal HTTP/1.1 request, so the test needs no HTTP client crate.
fn request(
    method: &str,
    url: &str,
    token: Option<&str>,
    org: Option<OrgId>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    request_with_head(method, url, token, org, body).map(|(status, _, json)| (status, json))
}

/// [`request`], with the response's head (status line and headers) as text.
fn request_with_head(
    method: &str,
    url: &str,
    token: Option<&str>,
    org: Option<OrgId>,
    body: Option<&Value>,
) -> std::io::Result<(u16, String, Value)> {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map(|(host, path)| (host, format!("/{path}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some(org) = org {
        head.push_str(&format!("X-Organization-Id: {}\r\n", org.0));
    }
    if !body.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    // Chunked bodies: take the JSON between the first chunk size and the end.
    let json = body
        .find(['{', '['])
        .and_then(|start| {
            serde_json::from_str(body[start..].trim_end_matches(|c: char| c != '}' && c != ']'))
                .ok()
        })
        .unwrap_or(Value::Null);
    Ok((status, head.to_ascii_lowercase(), json))
}

/// The cluster as `node` shows it: member name → (status, organizations held).
fn members(node: &Node, token: &str) -> BTreeMap<String, (String, u64)> {
    let Ok((200, view)) = request(
        "GET",
        &format!("{}/api/cluster", node.base_url),
        Some(token),
        None,
        None,
    ) else {
        return BTreeMap::new();
    };
    assert_eq!(view["enabled"], true, "{view}");
    view["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|member| {
            (
                member["node"].as_str().unwrap_or_default().to_owned(),
                (
                    member["status"].as_str().unwrap_or_default().to_owned(),
                    member["organizations"].as_u64().unwrap_or(0),
                ),
            )
        })
        .collect()
}

/// Waits (polling every 50 ms, at most `limit`) until `done` holds; how long it took.
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

/// [`wait_until`], for a condition that says what it saw when it does not hold yet:
/// the last of it is in the failure's message.
fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> Result<(), String>) {
    let started = Instant::now();
    loop {
        match done() {
            Ok(()) => return,
            Err(seen) => assert!(
                started.elapsed() < limit,
                "{what}: not within {limit:?}; last seen: {seen}"
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Which live node holds each organization, from the database.
async fn holders(store: &Store) -> BTreeMap<OrgId, String> {
    store
        .cluster()
        .organization_leases()
        .await
        .expect("read leases")
        .into_iter()
        .filter(|lease| lease.held)
        .map(|lease| (lease.organization_id, lease.node_id))
        .collect()
}

/// Polls who holds each organization (every 50 ms, at most `limit`) until `placed`
/// holds; fails naming `what` and the last placement seen.
async fn until_placed(
    store: &Store,
    what: &str,
    limit: Duration,
    placed: impl Fn(&BTreeMap<OrgId, String>) -> bool,
) {
    let deadline = Instant::now() + limit;
    loop {
        let now = holders(store).await;
        if placed(&now) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Submitter {
    token: String,
    agents: Vec<(OrgId, companyos_store::AgentId)>,
    submitted: usize,
}

impl Submitter {
    /// Submits one `count_text` task per organization through `node`. Every answer
    /// is a 201; nothing else is accepted.
    fn round(&mut self, node: &Node) {
        for (org, agent) in &self.agents {
            let body = json!({
                "agent_id": agent,
                "task_type": "count_text",
                "input": {"text": format!("task {} of the cluster test", self.submitted)},
            });
            let (status, answer) = request(
                "POST",
                &format!("{}/api/agent-tasks", node.base_url),
                Some(&self.token),
                Some(*org),
                Some(&body),
            )
            .unwrap_or_else(|error| panic!("{} refused a connection: {error}", node.name));
            assert_eq!(status, 201, "{}: {answer}", node.name);
            self.submitted += 1;
        }
    }
}

async fn all_tasks(store: &Store, orgs: &[OrgId]) -> Vec<AgentTask> {
    let mut tasks = Vec::new();
    for org in orgs {
        let mut page = companyos_store::PageRequest {
            limit: 100,
            ..Default::default()
        };
        loop {
            let found = store
                .tasks()
                .list(*org, &companyos_store::TaskFilter::default(), &page)
                .await
                .expect("list tasks");
            tasks.extend(found.items);
            match found.next {
                Some(cursor) => page.after = Some(cursor),
                None => break,
            }
        }
    }
    tasks
}

/// A database with an owner of six organizations, each with one agent that counts
/// text, and three nodes on it.
struct Fixture {
    db: TestDb,
    store: Store,
    data: tempfile::TempDir,
    orgs: Vec<OrgId>,
    agents: Vec<(OrgId, companyos_store::AgentId)>,
    token: String,
    /// The spans the nodes exported, and where they send them.
    spans: Arc<Mutex<Vec<otlp::Span>>>,
    otlp: String,
}

/// How the fixture's nodes talk to each other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sessions {
    Plain,
    /// Mutual TLS: one authority, a certificate for 127.0.0.1 (where every node is).
    Tls,
}

async fn fixture(sessions: Sessions) -> (Fixture, Vec<Node>) {
    let db = TestDb::postgres().await;
    let store = db.store.clone();
    let data = tempfile::tempdir().expect("tempdir");
    if sessions == Sessions::Tls {
        let pki = companyos_store::testing::TestPki::new(&["127.0.0.1"]);
        let tls = data.path().join("tls");
        std::fs::create_dir_all(&tls).expect("tls directory");
        for (file, pem) in [
            ("ca.pem", &pki.authority),
            ("node.pem", &pki.certificate),
            ("node.key", &pki.key),
        ] {
            std::fs::write(tls.join(file), pem).expect("write a TLS file");
        }
    }

    // An owner with six organizations, each with one agent that counts text. The
    // owner is created as an operator would, with the password on standard input.
    let email = "owner@cluster.example";
    let password = "a long enough password";
    let mut create = Command::new(BINARY)
        .args([
            "user",
            "create",
            "--email",
            email,
            "--org",
            "Cluster 0",
            "--role",
            "owner",
        ])
        .env("DATABASE_URL", &db.url)
        .env("COMPANYOS_DATA_DIR", data.path().join("cli"))
        .env("COMPANYOS_MASTER_KEY", MASTER_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run user create");
    create
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password");
    assert!(create.wait().expect("user create").success());
    let user = store
        .users()
        .find_by_email(email)
        .await
        .expect("read user")
        .expect("the owner exists");
    let first = store
        .organizations()
        .list_for_user(user.id)
        .await
        .expect("organizations")
        .remove(0)
        .0;
    let mut orgs = vec![first.id];
    for n in 1..6 {
        let organization = store
            .organizations()
            .create(&format!("Cluster {n}"), &format!("cluster-{n}"), user.id)
            .await
            .expect("organization");
        orgs.push(organization.id);
    }
    let mut agents = Vec::new();
    for org in &orgs {
        let agent = store
            .agents()
            .create(
                *org,
                NewAgent {
                    name: "counter".into(),
                    agent_type: "text_stats".into(),
                    capabilities: vec!["count_text".into()],
                    configuration: json!({}),
                },
            )
            .await
            .expect("agent");
        agents.push((*org, agent.id));
    }

    let (otlp, spans) = otlp::otlp_receiver().await;
    let nodes: Vec<Node> = ["node-a", "node-b", "node-c"]
        .iter()
        .map(|name| start(name, &db.url, data.path(), &otlp))
        .collect();
    let (status, login) = request(
        "POST",
        &format!("{}/api/auth/login", nodes[0].base_url),
        None,
        None,
        Some(&json!({"email": email, "password": password})),
    )
    .expect("login");
    assert_eq!(status, 200, "{login}");
    let token = login["access_token"].as_str().expect("a token").to_owned();
    (
        Fixture {
            db,
            store,
            data,
            orgs,
            agents,
            token,
            spans,
            otlp,
        },
        nodes,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_organizations_and_lose_nothing_when_one_dies_or_pauses() {
    // Sessions between the nodes are mutual TLS here (plain in the rolling restart).
    let (fixture, nodes) = fixture(Sessions::Tls).await;
    let Fixture {
        db,
        store,
        data: _data,
        orgs,
        agents,
        token,
        spans,
        ..
    } = fixture;

    assert!(
        nodes.iter().all(|node| node.tls),
        "every node's sessions are mutual TLS"
    );
    // Every node lists three live members that together hold all six organizations.
    wait_until(
        "three live members holding every organization",
        Duration::from_secs(60),
        || {
            let seen = members(&nodes[2], &token);
            seen.len() == 3
                && seen.values().all(|(status, _)| status == "live")
                && seen.values().map(|(_, held)| held).sum::<u64>() == 6
        },
    );
    // The members' counts and the leases are read at different instants: wait until
    // the leases too say that each organization is held by the node rendezvous
    // hashing gives it among the three.
    let names: Vec<String> = nodes.iter().map(|node| node.name.clone()).collect();
    until_placed(
        &store,
        "every organization held by its owner",
        Duration::from_secs(30),
        |now| {
            now.len() == 6
                && now.iter().all(|(org, node)| {
                    companyos_supervisors::owner(*org, names.iter().map(String::as_str))
                        == Some(node.as_str())
                })
        },
    )
    .await;
    let placed = holders(&store).await;
    eprintln!("placement: {placed:?}");
    // Every node shows each organization's subtree, wherever it runs: a node that
    // does not run it asks the one that does, through the node servers' sessions.
    for node in &nodes {
        for (org, owner) in &placed {
            let prefix = format!("root/org:{}", org.0);
            wait_for(
                &format!(
                    "the subtree of {} (on {owner}) seen from {}",
                    org.0, node.name
                ),
                Duration::from_secs(30),
                || {
                    let (status, tree) = request(
                        "GET",
                        &format!("{}/api/supervision/tree", node.base_url),
                        Some(&token),
                        Some(*org),
                        None,
                    )
                    .map_err(|error| error.to_string())?;
                    let seen = tree["nodes"].as_array().is_some_and(|nodes| {
                        nodes.iter().any(|actor| {
                            actor["path"].as_str().is_some_and(|path| {
                                path.starts_with(&prefix) && path.contains("agent:")
                            })
                        })
                    });
                    if status == 200 && seen {
                        Ok(())
                    } else {
                        Err(format!("{status} {tree}"))
                    }
                },
            );
        }
    }
    // Cross-node request latency: the supervision tree of an organization read from
    // the node that runs it and from one that asks it through the node servers.
    {
        let (org, owner) = placed.iter().next().expect("an organization");
        let here = nodes
            .iter()
            .find(|node| node.name == *owner)
            .expect("owner");
        let there = nodes
            .iter()
            .find(|node| node.name != *owner)
            .expect("another");
        let timings = |node: &Node| {
            let mut times: Vec<Duration> = (0..50)
                .map(|_| {
                    let started = Instant::now();
                    let (status, _) = request(
                        "GET",
                        &format!("{}/api/supervision/tree", node.base_url),
                        Some(&token),
                        Some(*org),
                        None,
                    )
                    .expect("tree");
                    assert_eq!(status, 200);
                    started.elapsed()
                })
                .collect();
            times.sort();
            (times[24], times[48])
        };
        let (local_p50, local_p98) = timings(here);
        let (remote_p50, remote_p98) = timings(there);
        eprintln!(
            "supervision tree, 50 reads: on its node p50 {local_p50:?} p98 {local_p98:?}; through a peer p50 {remote_p50:?} p98 {remote_p98:?}"
        );
    }

    let mut submitter = Submitter {
        token: token.clone(),
        agents,
        submitted: 0,
    };
    for node in &nodes {
        submitter.round(node);
    }

    // kill -9 the node that holds the most organizations.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for node in placed.values() {
        *counts.entry(node.as_str()).or_default() += 1;
    }
    let victim_name = counts
        .iter()
        .max_by_key(|(_, count)| **count)
        .map(|(name, _)| (*name).to_owned())
        .expect("a holder");
    let mut nodes = nodes;
    let victim_index = nodes
        .iter()
        .position(|node| node.name == victim_name)
        .expect("victim");
    let victim = nodes.remove(victim_index);
    let moved: HashSet<OrgId> = placed
        .iter()
        .filter(|(_, node)| **node == victim_name)
        .map(|(org, _)| *org)
        .collect();
    let killed_at = Instant::now();
    victim.signal("-KILL");
    drop(victim);
    // The survivors keep taking work while the cluster notices.
    for node in &nodes {
        submitter.round(node);
    }
    wait_until(
        "the killed node is seen dead",
        Duration::from_secs(30),
        || {
            members(&nodes[0], &token)
                .get(&victim_name)
                .is_some_and(|(status, _)| status == "dead")
        },
    );
    let detected = killed_at.elapsed();
    until_placed(
        &store,
        "organizations not re-homed",
        Duration::from_secs(30),
        |now| {
            moved
                .iter()
                .all(|org| now.get(org).is_some_and(|node| *node != victim_name))
        },
    )
    .await;
    let rehomed = killed_at.elapsed();
    eprintln!(
        "kill -9 {victim_name}: seen dead after {:?}, its {} organizations running elsewhere after {:?}",
        detected,
        moved.len(),
        rehomed
    );
    for node in &nodes {
        submitter.round(node);
    }

    // SIGSTOP a survivor past its lease: the last one takes everything.
    let paused = &nodes[0];
    let paused_epoch = store
        .cluster()
        .members()
        .await
        .expect("members")
        .into_iter()
        .find(|member| member.node_id == paused.name)
        .expect("paused member")
        .epoch;
    paused.signal("-STOP");
    let stopped_at = Instant::now();
    // Paused past its lease: the database no longer counts it live. (Rendezvous hashing
    // may have given it no organization, so the placement alone can hold at once.)
    let limit = Instant::now() + Duration::from_secs(30);
    while store
        .cluster()
        .members()
        .await
        .expect("members")
        .iter()
        .any(|member| member.node_id == paused.name && member.live)
    {
        assert!(
            Instant::now() < limit,
            "the paused node's lease did not pass"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until_placed(
        &store,
        "the paused node's organizations were not taken over",
        Duration::from_secs(30),
        |now| now.len() == 6 && now.values().all(|node| *node == nodes[1].name),
    )
    .await;
    let taken_over = stopped_at.elapsed();
    eprintln!(
        "SIGSTOP {}: all organizations on {} after {:?}",
        paused.name, nodes[1].name, taken_over
    );
    submitter.round(&nodes[1]);
    paused.signal("-CONT");
    // It notices its lease is gone and joins again with a new epoch.
    let limit = Instant::now() + Duration::from_secs(30);
    loop {
        let member = store
            .cluster()
            .members()
            .await
            .expect("members")
            .into_iter()
            .find(|member| member.node_id == paused.name)
            .expect("paused member");
        if member.live && member.epoch > paused_epoch {
            break;
        }
        assert!(
            Instant::now() < limit,
            "the resumed node did not rejoin: {member:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, metrics) = request_text(&format!("{}/metrics", paused.base_url));
    assert_eq!(status, 200);
    assert!(
        metrics.lines().any(
            |line| line.starts_with("companyos_cluster_leases_lost_total") && !line.ends_with(" 0")
        ),
        "the resumed node did not count its lost lease:\n{}",
        metrics
            .lines()
            .filter(|line| line.contains("cluster"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    for node in &nodes {
        submitter.round(node);
    }

    // Nothing lost: every task submitted exists and completes, each exactly once.
    let limit = Instant::now() + Duration::from_secs(90);
    loop {
        let tasks = all_tasks(&store, &orgs).await;
        assert_eq!(
            tasks.len(),
            submitter.submitted,
            "a submitted task is missing"
        );
        let open: Vec<_> = tasks
            .iter()
            .filter(|task| task.status != TaskStatus::Completed)
            .map(|task| (task.id, task.status, task.error_message.clone()))
            .collect();
        if open.is_empty() {
            break;
        }
        assert!(
            open.iter().all(|(_, status, _)| matches!(
                status,
                TaskStatus::Pending | TaskStatus::InProgress
            )),
            "a task ended other than completed: {open:?}"
        );
        assert!(Instant::now() < limit, "tasks not completed: {open:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A task asked for on one node and run on another is one trace: the request's
    // span on the first node is the parent of the task's span on the second.
    let limit = Instant::now() + Duration::from_secs(30);
    loop {
        let spans = spans.lock().expect("spans").clone();
        let crossed = spans.iter().any(|task| {
            task.name == "task"
                && task.service == "companyos"
                && spans.iter().any(|request| {
                    request.name == "POST /api/agent-tasks"
                        && task.parent.as_deref() == Some(request.id.as_str())
                        && task.trace == request.trace
                        && !request.node.is_empty()
                        && request.node != task.node
                })
        });
        if crossed {
            break;
        }
        assert!(
            Instant::now() < limit,
            "no task traced across nodes among {} spans",
            spans.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every organization runs on a live node at the end, each on exactly one.
    wait_until(
        "every organization held after the pause",
        Duration::from_secs(30),
        || {
            let seen = members(&nodes[1], &token);
            seen.values()
                .filter(|(status, _)| status != "dead")
                .map(|(_, held)| held)
                .sum::<u64>()
                == 6
        },
    );
    drop(nodes);
    delete_queues(&db.url).await;
    db.cleanup().await;
}

fn request_text(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, response)
}

/// Stops a node as Kubernetes does (SIGTERM) and waits for it to exit on its own.
fn terminate(mut node: Node) {
    node.signal("-TERM");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = node.child.try_wait().expect("wait") {
            assert!(status.success(), "{} exited with {status}", node.name);
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not drain and exit",
            node.name
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_loses_nothing_and_spends_no_attempt() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let (fixture, mut nodes) = fixture(Sessions::Plain).await;
    let store = fixture.store.clone();
    until_placed(
        &store,
        "organizations not placed",
        Duration::from_secs(60),
        |held| held.len() == 6,
    )
    .await;
    // Requests go to the nodes in rotation, as a load balancer sends them: a node is
    // taken out before it is stopped and put back once it is ready.
    let rotation: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(
        nodes.iter().map(|node| node.base_url.clone()).collect(),
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let submitter = {
        let (rotation, stop) = (rotation.clone(), stop.clone());
        let (token, agents) = (fixture.token.clone(), fixture.agents.clone());
        std::thread::spawn(move || {
            let (mut accepted, mut unavailable, mut turn) = (0usize, 0usize, 0usize);
            while !stop.load(Ordering::Acquire) {
                for (org, agent) in &agents {
                    // Held while the request is in flight: a node is taken out of the
                    // rotation only once no request to it is pending, as a load
                    // balancer stops sending to a pod before it is sent SIGTERM.
                    let rotation = rotation.lock().expect("rotation");
                    let url = rotation[turn % rotation.len()].clone();
                    turn += 1;
                    let body = json!({
                        "agent_id": agent,
                        "task_type": "count_text",
                        "input": {"text": format!("rolling {turn}")},
                    });
                    let (status, head, answer) = request_with_head(
                        "POST",
                        &format!("{url}/api/agent-tasks"),
                        Some(&token),
                        Some(*org),
                        Some(&body),
                    )
                    .unwrap_or_else(|error| {
                        panic!("{url} refused a connection while in rotation: {error}")
                    });
                    drop(rotation);
                    match status {
                        201 => accepted += 1,
                        503 if head.contains("retry-after:") => unavailable += 1,
                        _ => panic!("{url} answered {status}: {answer}"),
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            (accepted, unavailable)
        })
    };
    for index in 0..nodes.len() {
        let name = nodes[index].name.clone();
        rotation
            .lock()
            .expect("rotation")
            .retain(|url| *url != nodes[index].base_url);
        // As a StatefulSet restarts a pod: stopped, then started again under its name.
        terminate(nodes.remove(index));
        nodes.insert(
            index,
            start(&name, &fixture.db.url, fixture.data.path(), &fixture.otlp),
        );
        rotation
            .lock()
            .expect("rotation")
            .push(nodes[index].base_url.clone());
        // Back to where rendezvous hashing over the three puts each organization (the
        // restarted node may own none of six: a third each is only the average).
        let names: Vec<String> = nodes.iter().map(|node| node.name.clone()).collect();
        until_placed(
            &store,
            &format!("placement did not settle after {name} restarted"),
            Duration::from_secs(60),
            |held| {
                fixture.orgs.iter().all(|org| {
                    held.get(org).map(String::as_str)
                        == companyos_supervisors::owner(*org, names.iter().map(String::as_str))
                })
            },
        )
        .await;
        eprintln!("restarted {name}");
    }
    stop.store(true, Ordering::Release);
    let (accepted, unavailable) = submitter.join().expect("submitter");
    eprintln!(
        "rolling restart: {accepted} tasks accepted, {unavailable} answered 503 with Retry-After"
    );
    assert!(accepted > 0);
    let limit = Instant::now() + Duration::from_secs(90);
    loop {
        let tasks = all_tasks(&store, &fixture.orgs).await;
        assert_eq!(tasks.len(), accepted, "an accepted task is missing");
        let open = tasks
            .iter()
            .filter(|task| task.status != TaskStatus::Completed)
            .count();
        if open == 0 {
            let retried: Vec<_> = tasks
                .iter()
                .filter(|task| task.retry_count > 0)
                .map(|task| (task.id, task.error_message.clone()))
                .collect();
            assert!(
                retried.is_empty(),
                "a restart spent a task's attempt: {retried:?}"
            );
            break;
        }
        assert!(Instant::now() < limit, "{open} tasks not completed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(nodes);
    let Fixture { db, .. } = fixture;
    delete_queues(&db.url).await;
    db.cleanup().await;
}

/// Runs `cluster/local.sh down` when dropped, so a failed test leaves no node behind.
struct LocalCluster {
    environment: Vec<(&'static str, String)>,
}

impl LocalCluster {
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new("bash");
        command
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/local.sh"))
            .args(args);
        for (variable, _) in std::env::vars() {
            if variable.starts_with("COMPANYOS_") {
                command.env_remove(variable);
            }
        }
        command.envs(
            self.environment
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        command.output().expect("run local.sh")
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        let _ = self.run(&["down"]);
    }
}

/// The first of `count` consecutive ports free now, below the machine's ephemeral range
/// (from 32768 on Linux), so that no other test's client socket or listener on port 0
/// takes one of them before `cluster/local.sh` binds them.
fn free_base_port(count: u16) -> u16 {
    let seed = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| u64::from(since.subsec_nanos()));
    for attempt in 0..1000_u64 {
        let base = 20_000 + u16::try_from((seed + attempt * 7_919) % 10_000).unwrap_or(0);
        let free = (0..count)
            .all(|offset| std::net::TcpListener::bind(("127.0.0.1", base + offset)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no {count} consecutive free ports between 20000 and 30000");
}

#[tokio::test]
async fn local_sh_starts_a_cluster_and_stops_it() {
    let db = TestDb::postgres().await;
    let directory = tempfile::tempdir().expect("tempdir");
    let database = db.url.rsplit('/').next().expect("a database name");
    let database = database.split('?').next().unwrap_or(database).to_owned();
    let port = free_base_port(3);
    let cluster = LocalCluster {
        environment: vec![
            ("DATABASE_URL", companyos_store::testing::database_url()),
            ("LOCAL_CLUSTER_DATABASE", database),
            ("LOCAL_CLUSTER_BIN", BINARY.to_owned()),
            ("LOCAL_CLUSTER_DIR", directory.path().display().to_string()),
            ("LOCAL_CLUSTER_BASE_PORT", port.to_string()),
            ("LOCAL_CLUSTER_REDIS_URL", redis_url()),
            (
                "LOCAL_CLUSTER_AMQP_URL",
                companyos_store::testing::amqp_url(),
            ),
        ],
    };
    let up = cluster.run(&["up", "2"]);
    let stdout = String::from_utf8_lossy(&up.stdout).into_owned();
    assert!(
        up.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let nodes: Vec<(String, String)> = stdout
        .lines()
        .map(|line| {
            let (url, pid) = line.split_once(' ').expect("<base URL> <process id>");
            (url.to_owned(), pid.to_owned())
        })
        .collect();
    assert_eq!(nodes.len(), 2, "{stdout}");
    for (index, (url, pid)) in nodes.iter().enumerate() {
        assert_eq!(*url, format!("http://127.0.0.1:{}", port + index as u16));
        let (status, _) = request_text(&format!("{url}/readyz"));
        assert_eq!(status, 200);
        assert!(
            Command::new("kill")
                .args(["-0", pid])
                .status()
                .expect("kill -0")
                .success()
        );
    }
    let store = db.store.clone();
    let limit = Instant::now() + Duration::from_secs(30);
    while store
        .cluster()
        .members()
        .await
        .expect("members")
        .iter()
        .filter(|member| member.live)
        .count()
        < 2
    {
        assert!(Instant::now() < limit, "the two nodes did not both join");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let down = cluster.run(&["down"]);
    assert!(down.status.success());
    assert!(String::from_utf8_lossy(&down.stdout).contains("stopped 2 node(s)"));
    for (_, pid) in &nodes {
        assert!(
            !Command::new("kill")
                .args(["-0", pid])
                .status()
                .expect("kill -0")
                .success(),
            "{pid} still runs"
        );
    }
    // They left: no live member remains.
    assert!(
        store
            .cluster()
            .members()
            .await
            .expect("members")
            .iter()
            .all(|member| !member.live)
    );
    drop(cluster);
    // local.sh names the queues after the database, as the other tests' nodes.
    delete_queues(&db.url).await;
    db.cleanup().await;
}
