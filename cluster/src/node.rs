//! Running a node: open the store, apply migrations, serve the HTTP edge until a
//! signal arrives.

use std::sync::Arc;
use std::time::Duration;

use companyos_actors::AgentTypeRegistry;
use companyos_integrations::crypto::MasterKey;
use companyos_store::archive::{Archive, ArchiveError, ArchivedDelivery};
use companyos_store::shared::Redis;
use companyos_store::transport::TransportSettings;
use companyos_store::{
    ConnectOptions, DbTaskQueue, DeliveryId, DeliveryStatus, NewDelivery, Recorded, RetryPolicy,
    Service, Store, StoreError, TaskQueue, redact_url,
};
use companyos_supervisors::{
    AdapterConfig, ClusterSettings, DeliveriesConfig, DispatcherConfig, PeerSettings, PeerTls,
    Placement, Runtime, RuntimeConfig,
};

use crate::config::{Config, ConfigError};

/// A start-up failure: the binary prints it as one line and exits with code 2.
#[derive(Debug)]
pub struct Fatal(pub String);

impl From<ConfigError> for Fatal {
    fn from(error: ConfigError) -> Self {
        Fatal(error.to_string())
    }
}

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The data directory holds the SQLite database (password hashes, webhook URL tokens)
/// and the keys: it is made readable by its owner only (0700), and the database and
/// its journal files likewise (0600) — created so before SQLite opens them, and
/// tightened when an older node left them wider.
pub fn prepare_data_dir(config: &Config) -> Result<(), Fatal> {
    let directory = &config.data_dir;
    let failed = |error: std::io::Error| {
        Fatal(format!(
            "cannot prepare the data directory {} ({error}); check data_dir / --data-dir / COMPANYOS_DATA_DIR",
            directory.display()
        ))
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(directory).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = |path: &std::path::Path, mode: u32| -> std::io::Result<()> {
            match std::fs::metadata(path) {
                Ok(meta) if meta.permissions().mode() & 0o777 != mode => {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                }
                _ => Ok(()),
            }
        };
        private(directory, 0o700).map_err(failed)?;
        if config.database.url.is_empty() {
            let database = directory.join("companyos.db");
            // Created empty and private before SQLite opens it: SQLite gives its
            // -wal and -shm files the database file's permissions.
            let mut options = std::fs::OpenOptions::new();
            options.create(true).append(true);
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(&database).map_err(failed)?;
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let path = directory.join(format!("companyos.db{suffix}"));
                private(&path, 0o600).map_err(failed)?;
            }
        }
    }
    Ok(())
}

pub async fn open_store(config: &Config) -> Result<Store, Fatal> {
    prepare_data_dir(config)?;
    let url = config.database_url();
    let mut options = ConnectOptions::new(url.clone());
    options.max_connections = config.database.max_connections;
    options.acquire_timeout = Duration::from_secs(config.database.connect_timeout_secs);
    let store = Store::connect(&options)
        .await
        .map_err(|error| database_error(&url, error))?;
    store.migrate().await.map_err(|error| {
        Fatal(format!(
            "cannot apply migrations to {}: {error}",
            redact_url(&url)
        ))
    })?;
    tracing::info!(database = store.backend().as_str(), url = %redact_url(&url), "database ready, migrations applied");
    Ok(store)
}

/// The payload archive `archive.url` names, or `None` when it is off.
pub fn archive(config: &Config) -> Result<Option<Archive>, Fatal> {
    let Some(location) = config.archive_location() else {
        return Ok(None);
    };
    let archive = Archive::open(&location).map_err(|error| {
        Fatal(format!(
            "{error}; check archive.url / COMPANYOS_ARCHIVE_URL (a folder, s3://bucket/prefix, or off)"
        ))
    })?;
    tracing::info!(
        archive = archive.location(),
        "webhook deliveries are archived"
    );
    Ok(Some(archive))
}

/// What `companyos deliveries replay` did.
pub struct Replay {
    pub original: DeliveryId,
    /// Where the delivery was read from: the archive, or the database.
    pub source: String,
    pub service: Service,
    pub event_type: String,
    pub replay: DeliveryId,
    /// The event it became, when the replay was waited for.
    pub outcome: Option<ReplayOutcome>,
}

pub enum ReplayOutcome {
    Event(companyos_store::EventId),
    NotProcessed(DeliveryStatus, Option<String>),
    StillWaiting,
}

/// `companyos deliveries replay <id>`: records the delivery again — read from the
/// archive, or from the database when the archive does not have it — as a new delivery
/// of the same integration, which the node running its organization makes into an
/// event as it would a new one (within `DeliveriesConfig::sweep_every`). With `wait`,
/// follows it until it is processed or `wait` has passed.
pub async fn replay_delivery(
    config: Config,
    id: DeliveryId,
    wait: Option<Duration>,
) -> Result<Replay, Fatal> {
    let store = open_store(&config).await?;
    let archived = match archive(&config)? {
        Some(archive) => match archive.get(id).await {
            Ok(archived) => Some((archived, format!("the archive at {}", archive.location()))),
            Err(ArchiveError::NotFound(_)) => None,
            Err(error) => return Err(Fatal(error.to_string())),
        },
        None => None,
    };
    let (archived, source) = match archived {
        Some(found) => found,
        None => match store.deliveries().find(id).await {
            Ok(row) => (ArchivedDelivery::from(row), "the database".to_owned()),
            Err(StoreError::NotFound { .. }) => {
                return Err(Fatal(format!(
                    "delivery {id} is neither in the payload archive nor in the database; the id is the delivery_id a webhook's answer gives, also shown by GET /api/integrations/{{service}}/deliveries"
                )));
            }
            Err(error) => return Err(store_error(error)),
        },
    };
    let github_event = archived
        .headers
        .get("x-github-event")
        .and_then(serde_json::Value::as_str);
    let event_type =
        companyos_integrations::normalise::received_type(archived.service, github_event);
    let new = NewDelivery {
        integration_id: archived.integration_id,
        service: archived.service,
        delivery_key: format!("replay:{id}:{}", DeliveryId::new()),
        event_type: event_type.clone(),
        headers: archived.headers.clone(),
        body: archived.body.clone(),
        status: DeliveryStatus::Received,
        error: None,
        traceparent: None,
    };
    let replay = match store
        .deliveries()
        .record(archived.organization_id, new)
        .await
    {
        Ok(Recorded::New(replay) | Recorded::Duplicate(replay)) => replay,
        Err(StoreError::NotFound { .. } | StoreError::Invalid { .. }) => {
            return Err(Fatal(format!(
                "delivery {id} cannot be replayed: its {} integration ({}) no longer exists",
                archived.service, archived.integration_id
            )));
        }
        Err(error) => return Err(store_error(error)),
    };
    let mut done = Replay {
        original: id,
        source,
        service: archived.service,
        event_type,
        replay,
        outcome: None,
    };
    let Some(wait) = wait else {
        return Ok(done);
    };
    println!(
        "recorded {replay}, a replay of {id} ({} {}) read from {}",
        done.service, done.event_type, done.source
    );
    let progress =
        crate::progress::Progress::spinner("waiting for the node running its organization");
    let until = std::time::Instant::now() + wait;
    loop {
        let row = store
            .deliveries()
            .get(archived.organization_id, replay)
            .await
            .map_err(store_error)?;
        match (row.status, row.event_id) {
            (DeliveryStatus::Processed, Some(event)) => {
                progress.finish(&format!("processed into event {event}"));
                done.outcome = Some(ReplayOutcome::Event(event));
                break;
            }
            (DeliveryStatus::Received, _) if std::time::Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            (DeliveryStatus::Received, _) => {
                progress.finish("not processed yet");
                done.outcome = Some(ReplayOutcome::StillWaiting);
                break;
            }
            (status, _) => {
                progress.finish(status.as_str());
                done.outcome = Some(ReplayOutcome::NotProcessed(status, row.error));
                break;
            }
        }
    }
    Ok(done)
}

fn database_error(url: &str, error: StoreError) -> Fatal {
    let hint = if url.starts_with("sqlite:") {
        "check that the data directory (data_dir / --data-dir / COMPANYOS_DATA_DIR) is writable"
    } else {
        "check database.url / DATABASE_URL and that the server is running"
    };
    Fatal(format!(
        "cannot open the database at {}: {error}; {hint}",
        redact_url(url)
    ))
}

/// `companyos backup <file>`: a consistent copy of the embedded SQLite database, taken
/// while the node may keep running. Returns the copy's size in bytes.
pub async fn backup(config: Config, to: &std::path::Path) -> Result<u64, Fatal> {
    if !config.database_url().starts_with("sqlite:") {
        return Err(Fatal(
            "backup copies the embedded SQLite database; for PostgreSQL use pg_dump --format=custom --file=<file> <database.url>, and pg_restore to restore".into(),
        ));
    }
    if to.exists() {
        return Err(Fatal(format!(
            "{} exists: name a new file (a backup never overwrites)",
            to.display()
        )));
    }
    let store = open_store(&config).await?;
    let progress = crate::progress::Progress::spinner("copying the database");
    let copied = store.backup_to(to).await;
    progress.finish(if copied.is_ok() { "copied" } else { "failed" });
    store.close().await;
    copied.map_err(|error| Fatal(format!("backup to {} failed: {error}", to.display())))?;
    std::fs::metadata(to)
        .map(|meta| meta.len())
        .map_err(|error| {
            Fatal(format!(
                "the backup {} cannot be read: {error}",
                to.display()
            ))
        })
}

/// `companyos restore <file>`: the embedded SQLite database replaced by a backup, after
/// checking that the backup is one (it opens, and its migrations are this build's or
/// older). The database it replaces is kept beside it. Stop the node first.
pub async fn restore(
    config: Config,
    from: &std::path::Path,
) -> Result<Option<std::path::PathBuf>, Fatal> {
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        return Err(Fatal(
            "restore replaces the embedded SQLite database; for PostgreSQL use pg_restore".into(),
        ));
    }
    // The backup is checked where it is, on a copy, before anything is replaced.
    let progress = crate::progress::Progress::spinner("checking the backup on a copy");
    let staging = tempfile::Builder::new()
        .prefix("companyos-restore")
        .tempdir()
        .map_err(|error| Fatal(format!("cannot make a temporary directory: {error}")))?;
    let candidate = staging.path().join("companyos.db");
    std::fs::copy(from, &candidate).map_err(|error| {
        Fatal(format!(
            "cannot read the backup {}: {error}",
            from.display()
        ))
    })?;
    let mut checked = config.clone();
    checked.database.url = format!("sqlite://{}", candidate.display());
    let probe = Store::connect(&ConnectOptions::new(checked.database_url()))
        .await
        .map_err(|error| {
            Fatal(format!(
                "{} is not a CompanyOS backup: {error}",
                from.display()
            ))
        })?;
    let not_ours = |error: StoreError| {
        Fatal(format!(
            "{} is not a CompanyOS backup this build can restore: {error}",
            from.display()
        ))
    };
    let checked = match probe.check_ready().await {
        Ok(_) => Ok(()),
        // Older than this build: brought up to date below, on the copy.
        Err(StoreError::Config(reason)) if reason.starts_with("migrations not applied") => Ok(()),
        Err(other) => Err(other),
    };
    // On the copy: an older backup is migrated, one from a newer build is refused here,
    // before the current database is touched.
    let migrated = match checked {
        Ok(()) => probe.migrate().await,
        Err(error) => Err(error),
    };
    probe.close().await;
    progress.finish(if migrated.is_ok() {
        "it is one"
    } else {
        "refused"
    });
    migrated.map_err(not_ours)?;

    prepare_data_dir(&config)?;
    let target = config.data_dir.join("companyos.db");
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = config
        .data_dir
        .join(format!("companyos.db.before-restore-{stamp}"));
    if target.exists() {
        std::fs::rename(&target, &kept)
            .map_err(|error| Fatal(format!("cannot set {} aside: {error}", target.display())))?;
        // Its write-ahead log belongs to it, not to the restored database.
        for suffix in ["-wal", "-shm"] {
            let side = config.data_dir.join(format!("companyos.db{suffix}"));
            if side.exists() {
                let moved = config
                    .data_dir
                    .join(format!("companyos.db.before-restore-{stamp}{suffix}"));
                std::fs::rename(&side, &moved).map_err(|error| {
                    Fatal(format!("cannot set {} aside: {error}", side.display()))
                })?;
            }
        }
    }
    std::fs::copy(&candidate, &target)
        .map_err(|error| Fatal(format!("cannot write {}: {error}", target.display())))?;
    // What the probe's migrations left in its write-ahead log, if it was not folded in.
    let log = staging.path().join("companyos.db-wal");
    if log.exists() {
        let to = config.data_dir.join("companyos.db-wal");
        std::fs::copy(&log, &to)
            .map_err(|error| Fatal(format!("cannot write {}: {error}", to.display())))?;
    }
    let store = open_store(&config).await?;
    store.close().await;
    Ok(kept.exists().then_some(kept))
}

pub async fn migrate(config: Config) -> Result<(), Fatal> {
    let progress = crate::progress::Progress::spinner("applying migrations");
    let store = open_store(&config).await?;
    progress.finish("up to date");
    let applied = store
        .check_ready()
        .await
        .map_err(|error| Fatal(error.to_string()))?;
    println!(
        "migrations applied: {applied} ({})",
        store.backend().as_str()
    );
    store.close().await;
    Ok(())
}

/// Starts the agent runtime on the store: the supervision tree rebuilt from the
/// `agents` table, and the dispatcher on the database task queue.
/// `address` is where the node listens (its port picked by the system when the
/// `listen` setting's is 0).
pub async fn start_runtime(
    config: &Config,
    store: &Store,
    address: std::net::SocketAddr,
    redis: Option<Redis>,
    tls: Option<PeerTls>,
) -> Result<Runtime, Fatal> {
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(config.queue.retry_base_delay_ms),
        max_delay: Duration::from_secs(config.queue.retry_max_delay_secs),
    };
    // With the task transport, the queue writes the outbox its relay publishes.
    let transport = (!config.cluster.amqp_url.is_empty())
        .then(|| TransportSettings::new(&config.cluster.amqp_url, &config.cluster.amqp_prefix));
    let store = match transport {
        Some(_) => store.clone().with_task_outbox(),
        None => store.clone(),
    };
    let store = &store;
    let queue: Arc<dyn TaskQueue> =
        Arc::new(DbTaskQueue::new(store.clone()).with_retry_policy(retry));
    let placement = placement(config, store, address, tls)?;
    // Who holds a task's lease (`agent_tasks.lease_owner`): in a cluster the node's
    // name (every container's process may be number 1).
    let worker = match &placement {
        Placement::Cluster(settings) => settings.node.clone(),
        _ => format!("companyos-{}", std::process::id()),
    };
    let runtime_config = RuntimeConfig {
        dispatcher: DispatcherConfig {
            worker,
            lease: Duration::from_secs(config.queue.lease_secs),
            ..DispatcherConfig::default()
        },
        adapters: adapter_config(config)?,
        llm: llm_settings(config)?,
        semantic: semantic_settings(config)?,
        placement,
        redis,
        transport,
        passivate_after: (config.agents.passivate_after_secs > 0)
            .then(|| Duration::from_secs(config.agents.passivate_after_secs)),
        deliveries: DeliveriesConfig {
            archive: archive(config)?,
            retention: (config.archive.retention_days > 0)
                .then(|| Duration::from_secs(u64::from(config.archive.retention_days) * 86_400)),
            ..DeliveriesConfig::default()
        },
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::start(
        store.clone(),
        queue,
        AgentTypeRegistry::builtin(),
        runtime_config,
    )
    .await
    .map_err(|error| Fatal(format!("cannot start the agent runtime: {error}")))?;
    tracing::info!("agent runtime started");
    Ok(runtime)
}

/// Cluster mode is refused where it could not be safe — on SQLite (one process's file),
/// with a token secret or master key generated per node (the nodes must read each
/// other's tokens and sealed credentials), with renewals too sparse for the lease, with
/// TLS files incomplete or unreadable — before anything is opened. Returns the TLS of
/// node sessions, when configured.
pub fn check_cluster(config: &Config) -> Result<Option<PeerTls>, Fatal> {
    let cluster = &config.cluster;
    if !cluster.amqp_url.is_empty() && !config.database_url().starts_with("postgres") {
        return Err(Fatal(
            "cluster.amqp_url is set but the database is SQLite: the task transport publishes from an outbox in a PostgreSQL database shared by the nodes; set database.url (DATABASE_URL) to one, or leave cluster.amqp_url empty".into(),
        ));
    }
    if !cluster.enabled {
        return Ok(None);
    }
    if !config.database_url().starts_with("postgres") {
        return Err(Fatal(
            "cluster.enabled is true but the database is SQLite, which serves one node: set database.url (DATABASE_URL) to a PostgreSQL database shared by every node, or turn cluster mode off".into(),
        ));
    }
    for (key, value) in [
        ("auth.jwt_secret", &config.auth.jwt_secret),
        ("auth.master_key", &config.auth.master_key),
    ] {
        if value.trim().is_empty() {
            return Err(Fatal(format!(
                "cluster.enabled is true but {key} is empty: every node must use the same one (set it on every node) instead of one generated under each node's data directory"
            )));
        }
    }
    if cluster.renew_interval_ms * 3 > cluster.lease_ttl_ms {
        return Err(Fatal(format!(
            "cluster.renew_interval_ms ({}) must be at most a third of cluster.lease_ttl_ms ({}), so that a slow renewal does not lose the lease",
            cluster.renew_interval_ms, cluster.lease_ttl_ms
        )));
    }
    peer_tls(cluster)
}

/// Where this node's organizations come from: all of them on a single node; in cluster
/// mode (settings checked by [`check_cluster`], which gave `tls`), those placement gives
/// it.
fn placement(
    config: &Config,
    store: &Store,
    address: std::net::SocketAddr,
    tls: Option<PeerTls>,
) -> Result<Placement, Fatal> {
    let cluster = &config.cluster;
    if !cluster.enabled {
        return Ok(Placement::AllOrganizations);
    }
    if store.backend() == companyos_store::Backend::Sqlite {
        return Err(Fatal("cluster mode needs PostgreSQL".into()));
    }
    let node = if cluster.node.is_empty() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "node".to_owned());
        format!("{host}-{}", address.port())
    } else {
        cluster.node.clone()
    };
    let address = if cluster.advertise_url.is_empty() {
        format!("http://{address}")
    } else {
        cluster.advertise_url.clone()
    };
    let host = address
        .split_once("://")
        .map_or(address.as_str(), |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    // `[::1]:8080` → `::1`, `host:8080` → `host`.
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
    .trim_start_matches('[')
    .trim_end_matches(']')
    .to_owned();
    let port = if cluster.peer_port == 0 {
        // Any free port: found by binding it, then handed to the node server.
        std::net::TcpListener::bind((address_ip(config), 0))
            .and_then(|listener| listener.local_addr())
            .map(|bound| bound.port())
            .map_err(|error| {
                Fatal(format!(
                    "cannot find a free port for the node server (set cluster.peer_port): {error}"
                ))
            })?
    } else {
        cluster.peer_port
    };
    let cookie = if cluster.cookie.is_empty() {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(format!(
            "companyos cluster cookie\n{}",
            config.auth.jwt_secret
        ));
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    } else {
        cluster.cookie.clone()
    };
    let mut settings = ClusterSettings::new(node, address);
    settings.lease_ttl = Duration::from_millis(cluster.lease_ttl_ms);
    settings.renew_every = Duration::from_millis(cluster.renew_interval_ms);
    settings.peers = Some(PeerSettings {
        port,
        host,
        cookie,
        tls,
    });
    if settings
        .peers
        .as_ref()
        .is_some_and(|peers| peers.tls.is_some())
    {
        tracing::info!("cluster sessions between nodes are mutual TLS");
    }
    tracing::info!(node = %settings.node, address = %settings.address, "cluster mode: organizations are placed among the live nodes");
    Ok(Placement::Cluster(settings))
}

/// Mutual TLS for node sessions, from `cluster.tls_*`: all three files or none.
fn peer_tls(cluster: &crate::config::ClusterConfig) -> Result<Option<PeerTls>, Fatal> {
    let files = [
        ("cluster.tls_cert_file", &cluster.tls_cert_file),
        ("cluster.tls_key_file", &cluster.tls_key_file),
        ("cluster.tls_ca_file", &cluster.tls_ca_file),
    ];
    let set: Vec<&str> = files
        .iter()
        .filter(|(_, path)| !path.is_empty())
        .map(|(key, _)| *key)
        .collect();
    if set.is_empty() {
        return Ok(None);
    }
    if set.len() < files.len() {
        return Err(Fatal(format!(
            "TLS between nodes needs cluster.tls_cert_file, cluster.tls_key_file and cluster.tls_ca_file; only {} is set",
            set.join(" and ")
        )));
    }
    let read = |(key, path): &(&str, &String)| {
        std::fs::read(path).map_err(|error| Fatal(format!("{key} ({path}): {error}")))
    };
    let [chain, key, authority] = [read(&files[0])?, read(&files[1])?, read(&files[2])?];
    let tls = PeerTls::from_pem(&chain, &key, &authority)
        .map_err(|error| Fatal(format!("TLS between nodes (cluster.tls_*): {error}")))?;
    Ok(Some(tls))
}

/// The address the node listens on, for finding a free port on the same interface.
fn address_ip(config: &Config) -> std::net::IpAddr {
    config.listen.ip()
}

/// The language model agents may use, from the `llm.*` settings: none when no provider
/// is set. A provider without a model, or a key file that cannot be read, stops the node
/// with the reason.
fn llm_settings(config: &Config) -> Result<Option<companyos_actors::llm::LlmSettings>, Fatal> {
    use companyos_integrations::llm::{LlmConfig, LlmProvider};
    let llm = &config.llm;
    if llm.provider.is_empty() {
        return Ok(None);
    }
    let provider: LlmProvider = llm
        .provider
        .parse()
        .map_err(|error| Fatal(format!("llm.provider: {error}")))?;
    if llm.model.is_empty() {
        return Err(Fatal(
            "llm.model is empty: name the model to use with llm.provider (COMPANYOS_LLM_MODEL)"
                .into(),
        ));
    }
    let key = if !llm.api_key.is_empty() || llm.api_key_file.is_empty() {
        llm.api_key.clone()
    } else {
        std::fs::read_to_string(&llm.api_key_file)
            .map_err(|error| {
                Fatal(format!(
                    "llm.api_key_file {}: cannot be read: {error}",
                    llm.api_key_file
                ))
            })?
            .trim()
            .to_owned()
    };
    let mut model = LlmConfig::new(provider, llm.model.clone(), key);
    if !llm.base_url.is_empty() {
        model.base_url = llm.base_url.clone();
    }
    let limit = |value: u64| (value > 0).then_some(value);
    tracing::info!(provider = %provider, model = %llm.model, "agents may use a language model");
    Ok(Some(companyos_actors::llm::LlmSettings {
        config: model,
        tokens_per_day: limit(llm.tokens_per_day),
        requests_per_minute: (llm.requests_per_minute > 0).then_some(llm.requests_per_minute),
        allowed_models: llm.allowed_models.clone(),
    }))
}

/// Search by meaning, from the `search.embeddings_*` settings: none without a url.
fn semantic_settings(
    config: &Config,
) -> Result<Option<companyos_supervisors::semantic::SemanticSettings>, Fatal> {
    use companyos_integrations::llm::embeddings::EmbeddingsConfig;
    let search = &config.search;
    if search.embeddings_url.is_empty() {
        return Ok(None);
    }
    let mut kinds = Vec::with_capacity(search.embeddings_kinds.len());
    for kind in &search.embeddings_kinds {
        kinds.push(
            kind.parse::<companyos_store::SearchKind>()
                .map_err(|error| Fatal(format!("search.embeddings_kinds: {error}")))?,
        );
    }
    let mut embeddings = EmbeddingsConfig::new(
        search.embeddings_url.clone(),
        search.embeddings_model.clone(),
        search.embeddings_api_key.clone(),
    );
    embeddings.dimensions =
        (search.embeddings_dimensions > 0).then_some(search.embeddings_dimensions);
    tracing::info!(url = %search.embeddings_url, model = %search.embeddings_model, "search finds by meaning too");
    Ok(Some(companyos_supervisors::semantic::SemanticSettings {
        embeddings,
        kinds,
        interval: Duration::from_secs(search.embeddings_interval_secs),
        min_similarity: search.embeddings_min_similarity,
    }))
}

/// How integration adapters reach their services: the master key that opens their
/// credentials, the API addresses, the periodic sync.
fn adapter_config(config: &Config) -> Result<AdapterConfig, Fatal> {
    let integrations = &config.integrations;
    let base_urls = [
        (Service::Github, &config.auth.github_api_url),
        (Service::Vercel, &integrations.vercel_api_url),
        (Service::Figma, &integrations.figma_api_url),
        (Service::Twitter, &integrations.twitter_api_url),
        (Service::Linkedin, &integrations.linkedin_api_url),
    ]
    .into_iter()
    .map(|(service, url)| (service, url.clone()))
    .collect();
    Ok(AdapterConfig {
        keys: Some(master_key(config)?),
        base_urls,
        sync_interval: (integrations.sync_interval_secs > 0)
            .then(|| Duration::from_secs(integrations.sync_interval_secs)),
        probe_reach: if integrations.probe_private_networks {
            companyos_integrations::probe::Reach::Anywhere
        } else {
            companyos_integrations::probe::Reach::PublicHttps
        },
        ..AdapterConfig::default()
    })
}

/// Token signing from the `auth.*` settings (a secret generated under the data
/// directory when none is configured).
pub fn auth_config(config: &Config) -> Result<companyos_api::AuthConfig, Fatal> {
    let secret = companyos_api::load_or_create_secret(&config.auth.jwt_secret, &config.data_dir)
        .map_err(|reason| {
            Fatal(format!(
                "{reason}; check that the data directory (data_dir / --data-dir / COMPANYOS_DATA_DIR) is writable, or set auth.jwt_secret"
            ))
        })?;
    let mut auth = companyos_api::AuthConfig::new(
        &secret,
        std::time::Duration::from_secs(config.auth.access_token_ttl_secs),
    )
    .map_err(|reason| Fatal(format!("auth.jwt_secret: {reason}")))?;
    auth.open_registration = config.auth.open_registration;
    auth.max_organizations_per_user = config.auth.max_organizations_per_user;
    auth.metrics_token = Some(config.metrics.token.clone()).filter(|token| !token.is_empty());
    auth.console_url = public_url(config);
    auth.mailer = companyos_api::mail::Mailer::new(&config.mail.smtp_url, &config.mail.from)
        .map_err(|error| Fatal(format!("mail.smtp_url / mail.from: {error}")))?;
    if config.mail.smtp_url.is_empty() {
        tracing::info!(
            "no mail server configured (mail.smtp_url): links that would be mailed are written to this log"
        );
    }
    auth.rate_limiter = companyos_api::RateLimiter::new(config.auth.rate_limit_per_minute);
    auth.token_rate_limiter =
        companyos_api::RateLimiter::new(config.auth.token_rate_limit_per_minute);
    if !config.auth.github_client_id.is_empty() {
        if config.auth.github_client_secret.is_empty() {
            return Err(Fatal(
                "auth.github_client_id is set but auth.github_client_secret is empty: set both for GitHub login, or neither".into(),
            ));
        }
        let public_url = public_url(config);
        let http = companyos_integrations::http::client(companyos_api::oauth::TIMEOUT)
            .map_err(|error| Fatal(format!("cannot build the HTTP client: {error}")))?;
        auth.github = Some(companyos_api::oauth::GitHubOAuth {
            client_id: config.auth.github_client_id.clone(),
            client_secret: config.auth.github_client_secret.clone(),
            authorize_url: format!("{}/login/oauth/authorize", config.auth.github_url),
            token_url: format!("{}/login/oauth/access_token", config.auth.github_url),
            api_url: config.auth.github_api_url.clone(),
            redirect_uri: format!("{public_url}/api/auth/github/callback"),
            http,
        });
    }
    Ok(auth)
}

/// Where people reach this node: `public_url`, else its listen address.
fn public_url(config: &Config) -> String {
    if config.public_url.is_empty() {
        format!("http://{}", config.listen)
    } else {
        config.public_url.clone()
    }
}

/// The key that seals integration credentials (generated under the data directory when
/// none is configured).
pub fn master_key(config: &Config) -> Result<MasterKey, Fatal> {
    let configured = Some(config.auth.master_key.as_str());
    MasterKey::load_or_create(configured, &config.data_dir).map_err(|error| {
        Fatal(format!(
            "auth.master_key / COMPANYOS_MASTER_KEY: {error}; check that the data directory is writable, or set the key"
        ))
    })
}

/// What `companyos keys rotate` did.
pub struct Rotation {
    pub old_id: String,
    pub new_id: String,
    /// Ciphertexts moved to the new key (credentials and webhook secrets).
    pub resealed: usize,
    /// The new key's text when the operator must install it (a configured key);
    /// `None` when it was written under the data directory.
    pub install: Option<String>,
}

/// `companyos keys rotate`: every sealed credential and webhook secret is opened with
/// the current key and sealed under a new one (given, or generated). With a key kept
/// under the data directory, the new key is written there first as `master.key.next`
/// and takes the place of `master.key` only once every row is moved — an interrupted
/// rotation is finished by running the command again. With a configured key, the new
/// key is printed for the operator to set on every node.
pub async fn rotate_keys(config: Config, new_key: Option<String>) -> Result<Rotation, Fatal> {
    let configured = !config.auth.master_key.trim().is_empty();
    let current = master_key(&config)?;
    let next_path = config.data_dir.join("master.key.next");
    let text = match new_key {
        Some(text) => text,
        None if !configured => match std::fs::read_to_string(&next_path) {
            Ok(text) => text,
            Err(_) => MasterKey::generate_text(),
        },
        None => MasterKey::generate_text(),
    };
    let next = MasterKey::parse(&text)
        .map_err(|error| Fatal(format!("the new key is not a key: {error}")))?;
    if next.id() == current.id() {
        return Err(Fatal(
            "the new key is the current key: give a different one".into(),
        ));
    }
    if !configured {
        write_private(&next_path, text.trim())
            .map_err(|error| Fatal(format!("cannot write {}: {error}", next_path.display())))?;
    }
    let store = open_store(&config).await?;
    let reseal = |sealed: &str| {
        next.reseal(&current, sealed).map_err(|error| {
            Fatal(format!(
                "a stored credential cannot be opened with the current key ({error}); nothing was lost: fix the key and run the command again"
            ))
        })
    };
    let integrations = store.integrations().list_all().await.map_err(store_error)?;
    let accounts = store
        .social_accounts()
        .list_all()
        .await
        .map_err(store_error)?;
    let mut progress = crate::progress::Progress::counted(
        "moving secrets to the new key (rows)",
        (integrations.len() + accounts.len()) as u64,
    );
    let mut resealed = 0;
    for integration in integrations {
        progress.step();
        let credentials = reseal(&integration.credentials_encrypted)?;
        let secret = match &integration.webhook_secret_encrypted {
            Some(sealed) => reseal(sealed)?,
            None => None,
        };
        if credentials.is_none() && secret.is_none() {
            continue;
        }
        resealed += usize::from(credentials.is_some()) + usize::from(secret.is_some());
        let credentials = credentials.unwrap_or(integration.credentials_encrypted.clone());
        let secret = secret.or(integration.webhook_secret_encrypted.clone());
        store
            .integrations()
            .replace_credentials(integration.id, &credentials, secret.as_deref())
            .await
            .map_err(store_error)?;
    }
    for account in accounts {
        progress.step();
        if let Some(credentials) = reseal(&account.credentials_encrypted)? {
            store
                .social_accounts()
                .replace_credentials(account.id, &credentials)
                .await
                .map_err(store_error)?;
            resealed += 1;
        }
    }
    progress.finish(&format!("{resealed} secrets re-encrypted"));
    store.close().await;
    let install = if configured {
        Some(text.trim().to_owned())
    } else {
        let path = config.data_dir.join("master.key");
        let old = config
            .data_dir
            .join(format!("master.key.{}.old", current.id()));
        std::fs::rename(&path, &old)
            .and_then(|()| std::fs::rename(&next_path, &path))
            .map_err(|error| Fatal(format!("rows moved, but the key file could not be replaced ({error}): move {} to {} by hand", next_path.display(), path.display())))?;
        None
    };
    Ok(Rotation {
        old_id: current.id().to_owned(),
        new_id: next.id().to_owned(),
        resealed,
        install,
    })
}

/// Writes a key file readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

fn store_error(error: companyos_store::StoreError) -> Fatal {
    Fatal(format!("database: {error}"))
}

/// `companyos user create`: a user with a password, member of an organization.
pub async fn create_user(
    config: Config,
    email: &str,
    name: &str,
    password: &str,
    organization: &str,
    role: &str,
) -> Result<(), Fatal> {
    let role: companyos_store::MemberRole = role.parse().map_err(|_| {
        Fatal(format!(
            "--role {role:?}: expected owner, admin, member or viewer"
        ))
    })?;
    let store = open_store(&config).await?;
    let created =
        companyos_api::bootstrap_user(&store, email, name, password, organization, role).await;
    store.close().await;
    let (user, organization) = created.map_err(|error| {
        let field = error
            .field
            .as_deref()
            .map(|field| format!("{field}: "))
            .unwrap_or_default();
        Fatal(format!("cannot create the user: {field}{}", error.detail))
    })?;
    println!(
        "created user {} ({}) as {} of organization {} ({}, id {})",
        user.email,
        user.id,
        role.as_str(),
        organization.name,
        organization.slug,
        organization.id
    );
    Ok(())
}

/// The cluster's Redis (`cluster.redis_url`), asked once at start so that the log says
/// whether it answers. One that does not is no reason not to start: until it answers,
/// each node counts alone.
async fn redis(config: &Config) -> Result<Option<Redis>, Fatal> {
    let url = &config.cluster.redis_url;
    if url.is_empty() {
        return Ok(None);
    }
    let redis = Redis::new(url, &config.cluster.redis_prefix)
        .map_err(|error| Fatal(format!("cluster.redis_url ({}): {error}", redact_url(url))))?;
    match redis.ping().await {
        Ok(()) => {
            tracing::info!(url = %redact_url(url), "Redis answers: rate limits and LLM budgets are shared by the cluster's nodes")
        }
        Err(error) => {
            tracing::warn!(url = %redact_url(url), %error, "Redis does not answer yet: this node counts alone until it does")
        }
    }
    Ok(Some(redis))
}

pub async fn serve(config: Config) -> Result<(), Fatal> {
    let tls = check_cluster(&config)?;
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| {
            Fatal(format!(
                "cannot listen on {} (listen / --listen / COMPANYOS_LISTEN): {error}",
                config.listen
            ))
        })?;
    let address = listener
        .local_addr()
        .map_err(|error| Fatal(error.to_string()))?;
    let redis = redis(&config).await?;
    let mut auth = auth_config(&config)?;
    if let Some(redis) = &redis {
        auth.rate_limiter = auth.rate_limiter.shared(redis.clone(), "auth");
        auth.token_rate_limiter = auth.token_rate_limiter.shared(redis.clone(), "tokens");
    }
    auth.clock = store.clock().clone();
    let keys = master_key(&config)?;
    // Before the runtime starts, so that its first measurements are recorded.
    companyos_api::metrics::handle();
    let runtime = Arc::new(start_runtime(&config, &store, address, redis, tls).await?);
    let mut webhooks = companyos_api::WebhookConfig::new(
        Some(config.public_url.clone()),
        config.webhooks.max_body_bytes,
    )
    .with_max_buffered_bytes(config.webhooks.max_buffered_bytes)
    .with_min_body_rate(
        config.webhooks.min_body_rate,
        std::time::Duration::from_secs(10),
    );
    // Without public_url, webhook URLs are built only for requests addressed to the
    // node's own address.
    webhooks.trusted_hosts.push(address.to_string());
    let console = if config.console.dir.is_empty() {
        companyos_api::ConsoleSource::Embedded
    } else {
        companyos_api::ConsoleSource::Directory(config.console.dir.clone().into())
    };
    let app = companyos_api::router(companyos_api::AppState {
        store: store.clone(),
        auth: Arc::new(auth),
        runtime: runtime.clone(),
        keys: Arc::new(keys),
        webhooks: Arc::new(webhooks),
        console,
    });
    tracing::info!(%address, "listening on http://{address}");
    let limits = companyos_api::server::ServerLimits {
        header_read_timeout: Duration::from_secs(config.http.header_read_timeout_secs),
        idle_timeout: Duration::from_secs(config.http.idle_timeout_secs),
        max_connections: config.http.max_connections,
    };
    companyos_api::server::serve(listener, app, limits, shutdown_signal()).await;
    tracing::info!("shutting down");
    runtime.shutdown().await;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            // Without the handler, Ctrl-C cannot be heard: wait for SIGTERM alone.
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
