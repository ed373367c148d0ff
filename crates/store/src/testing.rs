//! Fresh databases for tests (feature `testing`): a SQLite file in a temporary
//! directory, or a new database on the PostgreSQL server that `DATABASE_URL` names
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). Tests never share a
//! database, and a server that is down fails the test loudly — it is never skipped.

use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::db::{ConnectOptions, Store};
use crate::organizations::Organization;
use crate::users::{NewUser, User};

/// The PostgreSQL server tests use when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Prefix of every database a test creates, so leftovers are easy to find and drop.
pub const TEST_DATABASE_PREFIX: &str = "companyos_test_";

/// Which backend a contract test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
    /// PostgreSQL with the task transport on: the queue writes the outbox, and a
    /// relay publishes it to the RabbitMQ that `AMQP_URL` names, under a prefix of the
    /// test's own; a consumer takes every message. At the end the test checks that
    /// every due entry was published and every published one was received.
    PostgresWithTransport,
}

/// A migrated, empty database that belongs to one test.
pub struct TestDb {
    pub store: Store,
    /// The URL the store was opened with (to open a second store on the same data).
    pub url: String,
    cleanup: Cleanup,
    transport: Option<TestTransport>,
}

/// The task transport of a [`TestBackend::PostgresWithTransport`] test.
struct TestTransport {
    transport: crate::transport::TaskTransport,
    prefix: String,
    /// The tasks whose messages the consumer took.
    received: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<crate::ids::TaskId>>>,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server_url: String,
        database: String,
    },
}

/// The server URL from `DATABASE_URL`, or the default.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|index| index + 3).unwrap_or(0);
    let authority_end = base[scheme_end..]
        .find('/')
        .map(|index| scheme_end + index)
        .unwrap_or(base.len());
    let mut result = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

impl TestDb {
    pub async fn new(backend: TestBackend) -> TestDb {
        match backend {
            TestBackend::Sqlite => TestDb::sqlite().await,
            TestBackend::Postgres => TestDb::postgres().await,
            TestBackend::PostgresWithTransport => TestDb::postgres_with_transport().await,
        }
    }

    /// A PostgreSQL database whose store keeps the task outbox, with the task
    /// transport running on the test's own queues.
    pub async fn postgres_with_transport() -> TestDb {
        let mut db = TestDb::postgres().await;
        db.store = db.store.with_task_outbox();
        let prefix = amqp_prefix();
        let mut settings = crate::transport::TransportSettings::new(amqp_url(), prefix.clone());
        settings.queue_expiry = Some(std::time::Duration::from_secs(600));
        let (transport, mut deliveries) =
            crate::transport::TaskTransport::start(db.store.clone(), settings);
        let received = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
        let taken = received.clone();
        tokio::spawn(async move {
            while let Some(delivery) = deliveries.recv().await {
                taken
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(delivery.message.task_id);
                delivery.ack().await;
            }
        });
        let mut up = transport.watch();
        if tokio::time::timeout(EVENTUALLY, up.wait_for(|up| *up))
            .await
            .is_err()
        {
            panic!(
                "RabbitMQ is not reachable at {}; start it (see .ci/run) or set AMQP_URL",
                crate::redact_url(&amqp_url())
            );
        }
        db.transport = Some(TestTransport {
            transport,
            prefix,
            received,
        });
        db
    }

    pub async fn sqlite() -> TestDb {
        let directory = tempfile::tempdir().expect("create a temporary directory");
        let url = format!(
            "sqlite://{}",
            directory.path().join("companyos.db").display()
        );
        let store = Store::open(&ConnectOptions::new(url.clone()))
            .await
            .expect("open a fresh SQLite store");
        TestDb {
            store,
            url,
            cleanup: Cleanup::Sqlite(directory),
            transport: None,
        }
    }

    pub async fn postgres() -> TestDb {
        let server_url = database_url();
        let database = format!("{TEST_DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
        let options = PgConnectOptions::from_str(&server_url)
            .expect("DATABASE_URL is a valid PostgreSQL URL");
        let mut admin = PgConnection::connect_with(&options).await.unwrap_or_else(|error| {
            panic!(
                "PostgreSQL is not reachable at {} ({error}); start it (see .ci/run) or set DATABASE_URL",
                crate::redact_url(&server_url)
            )
        });
        // The name is our prefix and a UUID in hex: nothing from outside.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.ok();
        let url = with_database(&server_url, &database);
        let mut connect = ConnectOptions::new(url.clone());
        connect.max_connections = 12;
        let store = Store::open(&connect)
            .await
            .expect("open the fresh PostgreSQL store");
        TestDb {
            store,
            url,
            cleanup: Cleanup::Postgres {
                server_url,
                database,
            },
            transport: None,
        }
    }

    /// Closes the store and drops the database. A test that panics before this leaves
    /// its database behind; `.ci/run` drops leftovers before each run.
    pub async fn cleanup(self) {
        if let Some(transport) = &self.transport {
            self.transport_delivered_everything(transport).await;
            transport.transport.stop();
            if let Err(error) =
                crate::transport::delete_queues(&amqp_url(), &transport.prefix).await
            {
                eprintln!("test queues {}* left behind: {error}", transport.prefix);
            }
        }
        self.store.close().await;
        if let Cleanup::Postgres {
            server_url,
            database,
        } = self.cleanup
            && let Ok(options) = PgConnectOptions::from_str(&server_url)
            && let Ok(mut admin) = PgConnection::connect_with(&options).await
        {
            if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            {
                eprintln!("test database {database} left behind: {error}");
            }
            admin.close().await.ok();
        }
    }
}

impl TestDb {
    /// With the transport on: every due outbox entry gets published, and every
    /// published entry's message reaches the consumer.
    async fn transport_delivered_everything(&self, transport: &TestTransport) {
        let outbox = self.store.outbox();
        eventually("every due outbox entry is published", || async {
            match outbox.owed().await {
                Ok(0) => Ok(()),
                Ok(owed) => Err(format!("{owed} owed")),
                Err(error) => Err(error.to_string()),
            }
        })
        .await;
        let published: Vec<(crate::ids::TaskId,)> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT task_id FROM task_outbox WHERE published_at IS NOT NULL")
                .fetch_all(pool)
                .await
        })
        .expect("published entries");
        eventually("every published message reaches the consumer", || async {
            let received = transport
                .received
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone();
            let missing = published
                .iter()
                .filter(|(task,)| !received.contains(task))
                .count();
            if missing == 0 {
                Ok(())
            } else {
                Err(format!("{missing} of {} not received", published.len()))
            }
        })
        .await;
    }
}

/// The RabbitMQ tests use: `AMQP_URL`, or the local broker's default.
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A queue-name prefix of a test's own, so that tests share the broker without
/// seeing each other's messages.
pub fn amqp_prefix() -> String {
    format!("companyos-test-{}.", uuid::Uuid::new_v4().simple())
}

/// A RabbitMQ broker of a test's own, on free ports with its own data directory, that
/// the test stops (as a crash would) and starts again; what it kept on disk (durable
/// queues, persistent messages) survives. Slower to start than Redis (seconds).
pub struct RabbitServer {
    pub port: u16,
    dist_port: u16,
    directory: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl RabbitServer {
    /// Starts one and waits until it accepts AMQP connections.
    pub async fn start() -> RabbitServer {
        let free = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .map(|address| address.port())
                .expect("a free port")
        };
        let port = free();
        // Two free ports, not the same one handed out twice.
        let dist_port = std::iter::repeat_with(free)
            .find(|other| *other != port)
            .expect("a second free port");
        let mut server = RabbitServer {
            port,
            dist_port,
            directory: tempfile::tempdir().expect("a directory for the broker"),
            child: None,
        };
        server.resume().await;
        server
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Starts the broker again after [`RabbitServer::stop`], and waits until it answers.
    pub async fn resume(&mut self) {
        use std::os::unix::process::CommandExt;
        let base = self.directory.path();
        let plugins = base.join("enabled_plugins");
        std::fs::write(&plugins, "[].\n").expect("write the plugins file");
        // The server itself, not Debian's wrapper in /usr/sbin, which switches to the
        // rabbitmq user (who cannot write the test's directory).
        let program = ["/usr/lib/rabbitmq/bin/rabbitmq-server"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .unwrap_or("rabbitmq-server");
        let child = std::process::Command::new(program)
            .current_dir(base)
            .env(
                "RABBITMQ_NODENAME",
                format!("companyos-test-{}@localhost", self.port),
            )
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", base.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", base.join("log"))
            .env("RABBITMQ_PID_FILE", base.join("pid"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", &plugins)
            .env("RABBITMQ_CONFIG_FILE", base.join("none"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            // Its own process group, so that stopping it ends the Erlang VM too.
            .process_group(0)
            .spawn()
            .expect("rabbitmq-server could not be started: is RabbitMQ installed?");
        self.child = Some(child);
        let url = self.url();
        let address = format!("127.0.0.1:{}", self.port);
        until("the test's RabbitMQ accepts connections", || {
            let url = url.clone();
            let address = address.clone();
            async move {
                // The port first: a lapin connect to a port that refuses was seen to
                // never return. Each attempt has a deadline besides.
                if tokio::net::TcpStream::connect(&address).await.is_err() {
                    return false;
                }
                let ready = async {
                    match lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
                        .await
                    {
                        Ok(connection) => connection.close(200, "ready".into()).await.is_ok(),
                        Err(_) => false,
                    }
                };
                tokio::time::timeout(std::time::Duration::from_secs(5), ready)
                    .await
                    .unwrap_or(false)
            }
        })
        .await;
    }

    /// Kills the broker and everything it started (as a crash would), and waits for
    /// its port to close.
    pub async fn stop(&mut self) {
        self.kill();
        let address = format!("127.0.0.1:{}", self.port);
        until("the test's RabbitMQ is gone", || {
            let address = address.clone();
            async move { tokio::net::TcpStream::connect(address).await.is_err() }
        })
        .await;
    }
}

impl RabbitServer {
    /// Kills its process group: the script, the Erlang VM and what that started.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let group = format!("-{}", child.id());
            let _ = std::process::Command::new("kill")
                .args(["-9", "--", &group])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RabbitServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A new organization with the slug `slug` and a fresh owner `owner@<slug>.example`.
pub async fn organization_with_owner(store: &Store, slug: &str) -> (Organization, User) {
    let owner = store
        .users()
        .create(NewUser {
            email: format!("owner@{slug}.example"),
            name: format!("Owner of {slug}"),
            ..NewUser::default()
        })
        .await
        .expect("create the owner");
    let organization = store
        .organizations()
        .create(&format!("Org {slug}"), slug, owner.id)
        .await
        .expect("create the organization");
    (organization, owner)
}

/// Runs the same async test body on SQLite and on PostgreSQL: for every name given,
/// generates `sqlite::<name>` and `postgres::<name>` tests that call
/// `<name>(&TestDb)` on a fresh database and clean it up afterwards. With
/// `with_transport;` first, also `postgres_with_transport::<name>`
/// ([`TestBackend::PostgresWithTransport`]).
#[macro_export]
macro_rules! contract_tests {
    (@on $module:ident, $backend:ident; $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = $crate::testing::TestDb::new($crate::testing::TestBackend::$backend).await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
    (with_transport; $($name:ident),* $(,)?) => {
        $crate::contract_tests!($($name),*);
        $crate::contract_tests!(@on postgres_with_transport, PostgresWithTransport; $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::contract_tests!(@on sqlite, Sqlite; $($name),*);
        $crate::contract_tests!(@on postgres, Postgres; $($name),*);
    };
}

/// How long a test waits for something the node does in the background before it
/// fails: generous, since it bounds a hang, not a speed (no test is timed).
pub const EVENTUALLY: std::time::Duration = std::time::Duration::from_secs(60);

/// Polls `check` until it answers `Ok`, and returns that. After [`EVENTUALLY`] the
/// test fails naming `what` and the last `Err` seen (what the check found instead).
pub async fn eventually<T, E, F, Fut>(what: impl std::fmt::Display, mut check: F) -> T
where
    E: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) if tokio::time::Instant::now() >= deadline => {
                panic!("gave up waiting ({EVENTUALLY:?}): {what}; last seen: {last:?}")
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
        }
    }
}

/// [`eventually`] for a condition with nothing to report but whether it holds.
pub async fn until<F, Fut>(what: impl std::fmt::Display, mut holds: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    eventually(what, || {
        let next = holds();
        async move { if next.await { Ok(()) } else { Err("not yet") } }
    })
    .await
}

/// The Redis tests use when `REDIS_URL` is not set.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The Redis server URL from `REDIS_URL`, or the default.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_REDIS_URL.to_owned())
}

/// A key prefix that belongs to one test, so tests sharing the Redis never meet.
pub fn redis_prefix() -> String {
    format!("companyos-test:{}:", uuid::Uuid::new_v4().simple())
}

/// A handle on the shared test Redis under a prefix of its own. A Redis that is down
/// fails the test loudly.
pub async fn redis() -> crate::shared::Redis {
    let url = redis_url();
    let redis = crate::shared::Redis::new(&url, &redis_prefix())
        .unwrap_or_else(|error| panic!("REDIS_URL={url}: {error}"));
    if let Err(error) = redis.ping().await {
        panic!("Redis at {url} does not answer ({error}): start it (scripts/services.sh)");
    }
    redis
}

/// A `redis-server` of a test's own, on a free port, that the test can stop and start
/// again (on the same port) — to see what the product does while Redis is down. Ended
/// with the value.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Starts one and waits until it answers.
    pub async fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let mut server = RedisServer { port, child: None };
        server.resume().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server again after [`RedisServer::stop`], and waits until it answers.
    pub async fn resume(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server could not be started: is Redis installed?");
        self.child = Some(child);
        let address = format!("127.0.0.1:{}", self.port);
        until("the test's redis-server listens", || {
            let address = address.clone();
            async move { tokio::net::TcpStream::connect(address).await.is_ok() }
        })
        .await;
    }

    /// Kills the server (as a crash would) and waits for it to be gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A certificate authority of a test's own and one certificate it signed, for the
/// hosts given (DNS names or IP addresses), as PEM: what mutual TLS between nodes needs.
pub struct TestPki {
    pub authority: String,
    pub certificate: String,
    pub key: String,
}

impl TestPki {
    pub fn new(hosts: &[&str]) -> TestPki {
        let authority_key = rcgen::KeyPair::generate().expect("a key");
        let mut authority = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        authority.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let authority =
            rcgen::CertifiedIssuer::self_signed(authority, authority_key).expect("authority");
        let key = rcgen::KeyPair::generate().expect("a key");
        let names: Vec<String> = hosts.iter().map(|host| (*host).to_owned()).collect();
        let certificate = rcgen::CertificateParams::new(names)
            .expect("params")
            .signed_by(&key, &*authority)
            .expect("certificate");
        TestPki {
            authority: authority.pem(),
            certificate: certificate.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// moto's server: `MOTO_SERVER`, else `moto_server` on the `PATH`, else the one
/// `scripts/services.sh` installs in `~/.cache/companyos-moto`.
fn moto_server() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return path.into();
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|directory| directory.join("moto_server"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| {
        std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/companyos-moto/bin/moto_server")
    })
}

/// An S3-compatible server for the payload archive's tests: moto's, started on a port
/// of its own with one bucket, stopped when dropped. moto accepts any credentials.
pub struct S3Server {
    process: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    pub bucket: String,
}

impl S3Server {
    /// Starts `moto_server` and creates `bucket`; fails loudly when it cannot.
    pub fn start(bucket: &str) -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = std::process::Command::new(moto_server())
            .args(["-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start moto_server ({error}): install it with pip install 'moto[server]' (the test command does)"
                )
            });
        let server = S3Server {
            process,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: bucket.to_owned(),
        };
        // Creating a bucket in us-east-1 needs no signature on moto, and may be repeated.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            match server.create_bucket(port) {
                Ok(200) => return server,
                outcome => assert!(
                    std::time::Instant::now() < deadline,
                    "moto_server did not create bucket {bucket}: {outcome:?}"
                ),
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    fn create_bucket(&self, port: u16) -> std::io::Result<u16> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
        write!(
            stream,
            "PUT /{} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.bucket
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0))
    }

    /// The archive's location in the bucket, under `prefix`.
    pub fn location(&self, prefix: &str) -> crate::archive::ArchiveLocation {
        crate::archive::ArchiveLocation::S3(crate::archive::S3Location {
            bucket: self.bucket.clone(),
            prefix: prefix.to_owned(),
            endpoint: self.endpoint.clone(),
            region: "us-east-1".into(),
            access_key_id: "testing".into(),
            secret_access_key: "testing-secret".into(),
        })
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
