//! The `companyos` binary as an operator meets it: started with no configuration, it
//! serves /healthz and /readyz on SQLite under ./data; bad settings, an unreachable
//! database and a port in use are one-line errors with exit code 2.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_companyos");

/// A command with no COMPANYOS_* or DATABASE_URL from the test's own environment.
fn companyos(directory: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(directory).env_remove("DATABASE_URL");
    for (name, _) in std::env::vars() {
        if name.starts_with("COMPANYOS_") {
            command.env_remove(name);
        }
    }
    command
}

struct Node {
    child: Child,
    base_url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `companyos serve` with `args` and waits for its "listening on" log line.
fn start(directory: &Path, args: &[&str]) -> Node {
    let mut child = companyos(directory)
        .arg("serve")
        .args(args)
        .arg("--log-format")
        .arg("json")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start companyos");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        let entry: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        if let Some(address) = entry["address"].as_str() {
            // Keep draining the pipe so the node never blocks on a full buffer.
            std::thread::spawn(move || lines.for_each(drop));
            return Node {
                child,
                base_url: format!("http://{address}"),
            };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("companyos serve never logged its address");
}

fn get(url: &str) -> (u16, serde_json::Value) {
    let response = ureq_get(url);
    (
        response.0,
        serde_json::from_str(&response.1).unwrap_or(serde_json::Value::Null),
    )
}

/// A minimal HTTP/1.1 GET, so the test needs no HTTP client crate.
fn ureq_get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map(|(host, path)| (host, format!("/{path}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn with_no_configuration_a_node_serves_on_sqlite_under_data() {
    let directory = tempfile::tempdir().expect("tempdir");
    let node = start(directory.path(), &["--listen", "127.0.0.1:0"]);
    assert_eq!(
        get(&format!("{}/healthz", node.base_url)),
        (200, serde_json::json!({"status": "ok"}))
    );
    let (status, body) = get(&format!("{}/readyz", node.base_url));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["database"].as_str()),
        (Some("ready"), Some("sqlite"))
    );
    assert!(body["migrations"].as_u64().is_some_and(|count| count >= 1));
    assert!(
        directory.path().join("data/companyos.db").exists(),
        "the database lives under ./data"
    );
    let (status, page) = ureq_get(&format!("{}/", node.base_url));
    assert_eq!(status, 200);
    assert!(page.contains("CompanyOS"));
}

/// The console's files are served compressed to a browser that accepts it, and as they
/// are to one that does not.
#[test]
fn the_console_is_served_compressed() {
    use std::io::{Read, Write};
    let directory = tempfile::tempdir().expect("tempdir");
    let console = directory.path().join("console");
    std::fs::create_dir_all(console.join("assets")).expect("console dir");
    std::fs::write(
        console.join("index.html"),
        "<!doctype html><title>CompanyOS</title>",
    )
    .expect("index");
    let script = "export const words = 'the console, compressed';\n".repeat(400);
    std::fs::write(console.join("assets/main.js"), &script).expect("script");
    std::fs::write(
        directory.path().join("companyos.toml"),
        "[console]\ndir = \"console\"\n",
    )
    .expect("config");
    let node = start(directory.path(), &["--listen", "127.0.0.1:0"]);
    let host = node.base_url.trim_start_matches("http://").to_owned();
    let fetch = |encoding: &str| {
        let mut stream = std::net::TcpStream::connect(&host).expect("connect");
        write!(
            stream,
            "GET /assets/main.js HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let split = response
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("headers");
        let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
        (head, response.len() - split - 4)
    };
    for encoding in ["br", "gzip"] {
        let (head, length) = fetch(encoding);
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(
            head.contains(&format!("content-encoding: {encoding}")),
            "{encoding}: {head}"
        );
        assert!(length < script.len() / 4, "{encoding}: {length} bytes");
    }
    let (head, length) = fetch("identity");
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(length >= script.len(), "{length} bytes");
}

/// The data directory holds password hashes, webhook URL tokens and keys: it is the
/// owner's alone, and so are the database and its journal files — also when an older
/// node left them readable by others.
#[cfg(unix)]
#[test]
fn the_data_directory_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let directory = tempfile::tempdir().expect("tempdir");
    let data = directory.path().join("data");
    std::fs::create_dir_all(&data).expect("data");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(data.join("companyos.db-wal"), b"").expect("a stale journal");
    std::fs::set_permissions(
        data.join("companyos.db-wal"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let node = start(directory.path(), &["--listen", "127.0.0.1:0"]);
    let (status, _) = get(&format!("{}/readyz", node.base_url));
    assert_eq!(status, 200);
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&data), 0o700, "the data directory");
    for entry in std::fs::read_dir(&data).expect("list") {
        let path = entry.expect("entry").path();
        // Files are their owner's to read; folders (the payload archive) to open.
        let private = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), private, "{}", path.display());
    }
    assert!(
        data.join("archive").is_dir(),
        "the payload archive's folder"
    );
}

#[test]
fn the_listen_setting_comes_from_flag_environment_or_file() {
    let directory = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        directory.path().join("companyos.toml"),
        "listen = \"127.0.0.1:1\"\ndata_dir = \"state\"\n",
    )
    .expect("write config");
    // The environment overrides the file's port 1 (which could not be bound).
    let mut command = companyos(directory.path());
    command.env("COMPANYOS_LISTEN", "127.0.0.1:0");
    let output = command.arg("config").output().expect("run");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("listen = \"127.0.0.1:0\""), "{text}");
    assert!(text.contains("data_dir = \"state\""), "{text}");
    let node = start(
        directory.path(),
        &["--listen", "127.0.0.1:0", "--data-dir", "elsewhere"],
    );
    assert_eq!(get(&format!("{}/readyz", node.base_url)).0, 200);
    assert!(
        directory.path().join("elsewhere/companyos.db").exists(),
        "--data-dir beats the file"
    );
}

fn fails_with(directory: &Path, args: &[&str], environment: &[(&str, &str)], expected: &[&str]) {
    let mut command = companyos(directory);
    command.args(args);
    for (name, value) in environment {
        command.env(name, value);
    }
    let output = command.output().expect("run companyos");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, no backtrace: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for fragment in expected {
        assert!(
            stderr.contains(fragment),
            "{fragment:?} missing from {stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_configuration_is_one_line_and_exit_code_2() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path();
    std::fs::write(path.join("typo.toml"), "[database]\nmax_conections = 3\n").expect("write");
    std::fs::write(
        path.join("broken.toml"),
        "listen = \"127.0.0.1:8080\"\n[log\n",
    )
    .expect("write");
    fails_with(
        path,
        &["serve", "--config", "typo.toml"],
        &[],
        &["typo.toml", "line 2", "max_conections"],
    );
    fails_with(
        path,
        &["serve", "--config", "broken.toml"],
        &[],
        &["broken.toml", "line 2"],
    );
    fails_with(
        path,
        &["serve", "--config", "missing.toml"],
        &[],
        &["missing.toml"],
    );
    fails_with(
        path,
        &["serve"],
        &[("COMPANYOS_CONFIG", "missing.toml")],
        &["missing.toml"],
    );
    fails_with(
        path,
        &["serve", "--listen", "localhost"],
        &[],
        &["listen", "--listen"],
    );
    fails_with(
        path,
        &["serve"],
        &[("COMPANYOS_LOG_FORMAT", "xml")],
        &["log.format", "COMPANYOS_LOG_FORMAT"],
    );
    fails_with(
        path,
        &["serve"],
        &[("COMPANYOS_LISTN", "127.0.0.1:0")],
        &["COMPANYOS_LISTN"],
    );
    fails_with(
        path,
        &["serve"],
        &[("DATABASE_URL", "mysql://u:secret@h/db")],
        &["database.url", "DATABASE_URL"],
    );
}

#[test]
fn cluster_mode_is_refused_where_it_could_not_be_safe() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path();
    fails_with(
        path,
        &["serve", "--listen", "127.0.0.1:0"],
        &[("COMPANYOS_CLUSTER_ENABLED", "true")],
        &["cluster.enabled", "SQLite", "database.url"],
    );
    let server = companyos_store::testing::database_url();
    // What a cluster node needs besides: PostgreSQL and the shared secrets.
    let shared = [
        ("COMPANYOS_CLUSTER_ENABLED", "true"),
        ("DATABASE_URL", server.as_str()),
        (
            "COMPANYOS_AUTH_JWT_SECRET",
            "0123456789abcdef0123456789abcdef",
        ),
        (
            "COMPANYOS_MASTER_KEY",
            "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
        ),
    ];
    fails_with(
        path,
        &["serve", "--listen", "127.0.0.1:0"],
        &[
            ("COMPANYOS_CLUSTER_ENABLED", "true"),
            ("DATABASE_URL", server.as_str()),
        ],
        &["auth.jwt_secret", "every node"],
    );
    fails_with(
        path,
        &["serve", "--listen", "127.0.0.1:0"],
        &[
            &shared[..],
            &[
                ("COMPANYOS_CLUSTER_LEASE_TTL_MS", "1000"),
                ("COMPANYOS_CLUSTER_RENEW_INTERVAL_MS", "500"),
            ],
        ]
        .concat(),
        &["cluster.renew_interval_ms", "a third"],
    );
    fails_with(
        path,
        &["serve"],
        &[("COMPANYOS_CLUSTER_NODE", "node one")],
        &["cluster.node", "COMPANYOS_CLUSTER_NODE"],
    );
    std::fs::write(path.join("node.pem"), "not a certificate").expect("write");
    fails_with(
        path,
        &["serve", "--listen", "127.0.0.1:0"],
        &[
            &shared[..],
            &[("COMPANYOS_CLUSTER_TLS_CERT_FILE", "node.pem")],
        ]
        .concat(),
        &[
            "cluster.tls_key_file",
            "cluster.tls_ca_file",
            "only cluster.tls_cert_file",
        ],
    );
    fails_with(
        path,
        &["serve", "--listen", "127.0.0.1:0"],
        &[
            &shared[..],
            &[
                ("COMPANYOS_CLUSTER_TLS_CERT_FILE", "node.pem"),
                ("COMPANYOS_CLUSTER_TLS_KEY_FILE", "node.key"),
                ("COMPANYOS_CLUSTER_TLS_CA_FILE", "ca.pem"),
            ],
        ]
        .concat(),
        &["cluster.tls_key_file", "node.key"],
    );
    fails_with(
        path,
        &["serve"],
        &[(
            "COMPANYOS_CLUSTER_REDIS_URL",
            "rediss://cache.internal:6380",
        )],
        &["cluster.redis_url", "redis://"],
    );
    fails_with(
        path,
        &["serve"],
        &[("COMPANYOS_CLUSTER_AMQP_URL", "http://broker.internal:5672")],
        &["cluster.amqp_url", "amqp://"],
    );
    // The task transport publishes from an outbox in a shared PostgreSQL database.
    fails_with(
        path,
        &["serve", "--listen", "127.0.0.1:0"],
        &[(
            "COMPANYOS_CLUSTER_AMQP_URL",
            "amqp://guest:hunter2@broker.internal:5672/%2f",
        )],
        &["cluster.amqp_url", "SQLite", "PostgreSQL"],
    );
}

#[test]
fn an_unreachable_database_is_one_line_and_exit_code_2() {
    let directory = tempfile::tempdir().expect("tempdir");
    // Nothing listens on port 1.
    fails_with(
        directory.path(),
        &["serve", "--listen", "127.0.0.1:0"],
        &[(
            "DATABASE_URL",
            "postgres://postgres:hunter2@127.0.0.1:1/companyos",
        )],
        &["cannot open the database", "127.0.0.1:1", "DATABASE_URL"],
    );
    let output = companyos(directory.path())
        .args([
            "migrate",
            "--database-url",
            "postgres://postgres:hunter2@127.0.0.1:1/x",
        ])
        .output()
        .expect("run");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("hunter2"),
        "passwords never printed"
    );
}

#[test]
fn a_port_in_use_is_one_line_and_exit_code_2() {
    let directory = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    fails_with(
        directory.path(),
        &["serve", "--listen", &address],
        &[],
        &["cannot listen on", &address, "COMPANYOS_LISTEN"],
    );
}

#[test]
fn migrate_applies_migrations_and_exits() {
    let directory = tempfile::tempdir().expect("tempdir");
    let output = companyos(directory.path())
        .arg("migrate")
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied: 16 (sqlite)"));
    // Again: nothing to do, still fine.
    assert!(
        companyos(directory.path())
            .arg("migrate")
            .status()
            .expect("run")
            .success()
    );
}

#[test]
fn users_are_created_headlessly_with_the_password_on_stdin() {
    use std::io::Write;
    let directory = tempfile::tempdir().expect("tempdir");
    let create = |args: &[&str], password: &str| {
        let mut child = companyos(directory.path())
            .args(["user", "create"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(password.as_bytes())
            .expect("write password");
        child.wait_with_output().expect("wait")
    };
    let created = create(
        &[
            "--email",
            "root@example.com",
            "--org",
            "Acme Ops",
            "--role",
            "owner",
        ],
        "a long password\n",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert!(
        stdout.contains("root@example.com")
            && stdout.contains("owner")
            && stdout.contains("acme-ops"),
        "{stdout}"
    );
    let joined = create(
        &[
            "--email",
            "viewer@example.com",
            "--org",
            "acme-ops",
            "--role",
            "viewer",
        ],
        "another long password\n",
    );
    assert!(
        joined.status.success(),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    for (args, password, expected) in [
        (
            vec!["--email", "root@example.com", "--org", "acme-ops"],
            "a long password\n",
            "account with this email exists",
        ),
        (
            vec![
                "--email",
                "x@example.com",
                "--org",
                "nowhere",
                "--role",
                "member",
            ],
            "a long password\n",
            "no organization",
        ),
        (
            vec![
                "--email",
                "y@example.com",
                "--org",
                "acme-ops",
                "--role",
                "member",
            ],
            "",
            "standard input",
        ),
        (
            vec![
                "--email",
                "z@example.com",
                "--org",
                "acme-ops",
                "--role",
                "member",
            ],
            "short\n",
            "password",
        ),
        (
            vec![
                "--email",
                "w@example.com",
                "--org",
                "acme-ops",
                "--role",
                "king",
            ],
            "a long password\n",
            "--role",
        ),
    ] {
        let refused = create(&args, password);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn metrics_are_prometheus_text_that_promtool_accepts() {
    let directory = tempfile::tempdir().expect("tempdir");
    let node = start(directory.path(), &["--listen", "127.0.0.1:0"]);
    assert_eq!(get(&format!("{}/healthz", node.base_url)).0, 200);
    assert_eq!(ureq_get(&format!("{}/api/nowhere", node.base_url)).0, 404);
    // The gauges appear with the scheduler's first sample.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let (status, text) = ureq_get(&format!("{}/metrics", node.base_url));
        assert_eq!(status, 200, "{text}");
        if text.contains("companyos_agents{") && text.contains("companyos_tasks{") {
            break text;
        }
        assert!(Instant::now() < deadline, "no runtime gauges in:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    for expected in [
        "# HELP companyos_agents ",
        "# TYPE companyos_http_requests_total counter",
        "companyos_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"2xx\"} 1",
        "# TYPE companyos_http_request_duration_seconds histogram",
        "companyos_agents{status=\"idle\"} 0",
        "companyos_deployments_failing 0",
        // Rare events' counters exist at 0 before the first one.
        "companyos_cluster_leases_lost_total 0",
        "companyos_supervisor_subtree_restarts_total{level=\"organization\"} 0",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(
        !text.contains("/nowhere"),
        "only route templates are labels"
    );
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; scripts/services.sh installs it) must be installed");
    {
        use std::io::Write;
        promtool
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("feed promtool");
    }
    let checked = promtool.wait_with_output().expect("promtool");
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn help_names_the_commands_and_settings() {
    let output = Command::new(BINARY).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "serve",
        "migrate",
        "settings",
        "--config",
        "--data-dir",
        "COMPANYOS_DATA_DIR",
        "./data",
    ] {
        assert!(help.contains(expected), "{expected} missing from --help");
    }
    let output = Command::new(BINARY)
        .args(["serve", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("--listen")
            && help.contains("COMPANYOS_LISTEN")
            && help.contains("127.0.0.1:8080")
    );
}

#[test]
fn keys_rotate_moves_every_secret_to_a_new_key() {
    use companyos_integrations::crypto::MasterKey;
    use companyos_store::{ConnectOptions, Service, Store, WebhookSetup};

    let directory = tempfile::tempdir().expect("tempdir");
    let data = directory.path().join("data");
    assert!(
        companyos(directory.path())
            .arg("migrate")
            .status()
            .expect("migrate")
            .success()
    );
    let old = MasterKey::load_or_create(None, &data).expect("key");
    let url = format!("sqlite://{}", data.join("companyos.db").display());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let read = |store: &Store| {
        runtime.block_on(async {
            let integration = store.integrations().list_all().await.expect("list");
            let integration = integration.first().expect("one").clone();
            (
                integration.credentials_encrypted,
                integration.webhook_secret_encrypted.expect("secret"),
            )
        })
    };
    let store = runtime.block_on(async {
        let store = Store::open(&ConnectOptions::new(url.clone()))
            .await
            .expect("open");
        let (org, _) = companyos_store::testing::organization_with_owner(&store, "acme").await;
        store
            .integrations()
            .connect(
                org.id,
                Service::Github,
                &old.seal(b"ghp_secret_token"),
                serde_json::json!({}),
                WebhookSetup {
                    token: "t",
                    secret_encrypted: Some(&old.seal(b"whsec")),
                },
            )
            .await
            .expect("connect");
        store
    });

    let output = companyos(directory.path())
        .args(["keys", "rotate"])
        .output()
        .expect("rotate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("re-encrypted 2 secrets"), "{stdout}");
    // Not a terminal: progress comes as plain lines before the answer.
    assert!(
        stdout.contains("moving secrets to the new key (rows): 0/1")
            && stdout.contains("moving secrets to the new key (rows): 1/1, 2 secrets re-encrypted"),
        "{stdout}"
    );
    let new = MasterKey::load_or_create(None, &data).expect("the new key file");
    assert_ne!(new.id(), old.id());
    assert!(
        data.join(format!("master.key.{}.old", old.id())).exists(),
        "the old key is kept"
    );
    let (credentials, secret) = read(&store);
    assert_eq!(
        new.open(&credentials).expect("credentials"),
        b"ghp_secret_token"
    );
    assert_eq!(new.open(&secret).expect("secret"), b"whsec");
    assert!(old.open(&credentials).is_err());

    // A configured key: the operator gives (or is given) the new one to install.
    let next = MasterKey::generate_text();
    let output = companyos(directory.path())
        .args(["keys", "rotate", "--new-key", &next])
        .env(
            "COMPANYOS_MASTER_KEY",
            std::fs::read_to_string(data.join("master.key")).expect("key"),
        )
        .output()
        .expect("rotate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "set COMPANYOS_MASTER_KEY (auth.master_key) to {next}"
        )),
        "{stdout}"
    );
    let (credentials, _) = read(&store);
    let next = MasterKey::parse(&next).expect("next");
    assert_eq!(
        next.open(&credentials).expect("credentials"),
        b"ghp_secret_token"
    );

    // The wrong current key: one line, exit code 2, nothing changed.
    fails_with(
        directory.path(),
        &["keys", "rotate"],
        &[("COMPANYOS_MASTER_KEY", &MasterKey::generate_text())],
        &["cannot be opened with the current key"],
    );
    assert_eq!(read(&store).0, credentials);
}

#[test]
fn the_embedded_database_is_backed_up_and_restored() {
    use std::io::Write;
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path();
    let run = |args: &[&str], input: Option<&str>| {
        let mut child = companyos(path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run");
        let mut stdin = child.stdin.take().expect("stdin");
        if let Some(input) = input {
            stdin.write_all(input.as_bytes()).expect("write");
        }
        drop(stdin);
        child.wait_with_output().expect("wait")
    };
    let create = |email: &str| {
        run(
            &[
                "user", "create", "--email", email, "--org", "Acme", "--role", "owner",
            ],
            Some("a long enough password\n"),
        )
    };
    assert!(create("before@example.com").status.success());
    let backed_up = run(&["backup", "snapshot.db"], None);
    assert!(
        backed_up.status.success(),
        "{}",
        String::from_utf8_lossy(&backed_up.stderr)
    );
    assert!(String::from_utf8_lossy(&backed_up.stdout).contains("backed up to snapshot.db"));
    // After the backup: another account, which the restore takes back.
    assert!(create("after@example.com").status.success());

    let restored = run(&["restore", "snapshot.db"], None);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let said = String::from_utf8_lossy(&restored.stdout).into_owned();
    assert!(said.contains("kept at"), "{said}");
    let kept = std::fs::read_dir(path.join("data"))
        .expect("data")
        .filter_map(Result::ok)
        .any(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("companyos.db.before-restore-")
        });
    assert!(kept, "the replaced database is kept");
    // The restored database has the account made before the backup, not the one after.
    let again = create("before@example.com");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    assert!(
        create("after@example.com").status.success(),
        "the account made after the backup is gone"
    );

    // Refusals: one line, exit code 2, nothing replaced.
    fails_with(
        path,
        &["backup", "snapshot.db"],
        &[],
        &["snapshot.db", "exists"],
    );
    std::fs::write(path.join("not-a-backup.db"), "hello").expect("write");
    fails_with(
        path,
        &["restore", "not-a-backup.db"],
        &[],
        &["not-a-backup.db", "not a CompanyOS backup"],
    );
    fails_with(path, &["restore", "missing.db"], &[], &["missing.db"]);
    let server = companyos_store::testing::database_url();
    fails_with(
        path,
        &["backup", "pg.db"],
        &[("DATABASE_URL", server.as_str())],
        &["pg_dump"],
    );
}
