//! The node's configuration: every setting, listed once here with its default, and
//! the layering that fills it — built-in defaults → the TOML file → `COMPANYOS_*`
//! environment variables → command-line flags (later layers win).
//!
//! The README's settings table is checked against [`SETTINGS`] by a test, so the two
//! cannot drift apart.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One setting, declared once: its key in the TOML file, its environment variable, its
/// default, what it means, how it is read into a [`Config`] (checked) and how it is
/// written back in the same text form.
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    pub default: &'static str,
    pub help: &'static str,
    pub get: fn(&Config) -> String,
    pub set: fn(&mut Config, &str) -> Result<(), SettingError>,
}

/// The setting named `key`; an unknown key is an error naming it.
fn setting(key: &str) -> Result<&'static Setting, SettingError> {
    SETTINGS
        .iter()
        .find(|setting| setting.key == key)
        .ok_or_else(|| SettingError::Unknown(key.to_owned()))
}

/// An http(s) address without its trailing slash, or empty.
fn web_address(value: &str) -> Result<String, SettingError> {
    let web = value.starts_with("http://") || value.starts_with("https://");
    if !value.is_empty() && !web {
        return Err("expected an http:// or https:// address".into());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// A vendor API's http(s) address, without its trailing slash.
fn api_address(value: &str) -> Result<String, SettingError> {
    if value.is_empty() {
        return Err("expected an http:// or https:// address".into());
    }
    web_address(value)
}

/// An HTTP timeout: whole seconds from 1 to 86400.
fn timeout_secs(value: &str) -> Result<u64, SettingError> {
    let seconds: u64 = parse(value, "a whole number of seconds from 1 to 86400")?;
    if !(1..=86_400).contains(&seconds) {
        return Err("expected a whole number of seconds from 1 to 86400".into());
    }
    Ok(seconds)
}

/// Every setting of a node, each declared once. The README's table is checked against
/// it by a test.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "listen",
        env: "COMPANYOS_LISTEN",
        default: "127.0.0.1:8080",
        help: "address the HTTP server binds (flag --listen); use 0.0.0.0:8080 to accept remote connections",
        get: |config| config.listen.to_string(),
        set: |config, value| {
            config.listen = parse(
                value,
                "an address and port such as 127.0.0.1:8080 or 0.0.0.0:8080",
            )?;
            Ok(())
        },
    },
    Setting {
        key: "data_dir",
        env: "COMPANYOS_DATA_DIR",
        default: "./data",
        help: "directory for the embedded SQLite database and generated keys (flag --data-dir)",
        get: |config| config.data_dir.display().to_string(),
        set: |config, value| {
            if value.trim().is_empty() {
                return Err("expected a directory path".into());
            }
            config.data_dir = PathBuf::from(value);
            Ok(())
        },
    },
    Setting {
        key: "log.format",
        env: "COMPANYOS_LOG_FORMAT",
        default: "human",
        help: "log format: human or json (flag --log-format)",
        get: |config| config.log.format.to_string(),
        set: |config, value| {
            config.log.format = match value.trim() {
                "human" => LogFormat::Human,
                "json" => LogFormat::Json,
                _ => return Err("expected human or json".into()),
            };
            Ok(())
        },
    },
    Setting {
        key: "log.level",
        env: "COMPANYOS_LOG_LEVEL",
        default: "info",
        help: "log filter: a level (error, warn, info, debug, trace) or per-target directives like info,sqlx=warn",
        get: |config| config.log.level.clone(),
        set: |config, value| {
            tracing_subscriber::EnvFilter::try_new(value.trim()).map_err(|_| {
                "expected a level (error, warn, info, debug, trace) or directives like info,sqlx=warn".to_owned()
            })?;
            if value.trim().is_empty() {
                return Err("expected a level such as info".into());
            }
            config.log.level = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "database.url",
        env: "COMPANYOS_DATABASE_URL",
        default: "",
        help: "postgres://… selects PostgreSQL; empty means SQLite at <data_dir>/companyos.db. DATABASE_URL is read too",
        get: |config| config.database.url.clone(),
        set: |config, value| {
            let url = value.trim();
            let supported = url.is_empty()
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:");
            if !supported {
                return Err(
                    "expected postgres://user@host:port/database, sqlite://path, or empty for the \
                            embedded SQLite database"
                        .into(),
                );
            }
            config.database.url = url.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "database.max_connections",
        env: "COMPANYOS_DATABASE_MAX_CONNECTIONS",
        default: "10",
        help: "connections in the database pool (readers, on SQLite)",
        get: |config| config.database.max_connections.to_string(),
        set: |config, value| {
            config.database.max_connections = parse(value, "a whole number from 1 to 1000")?;
            if !(1..=1000).contains(&config.database.max_connections) {
                return Err("expected a whole number from 1 to 1000".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "database.connect_timeout_secs",
        env: "COMPANYOS_DATABASE_CONNECT_TIMEOUT_SECS",
        default: "5",
        help: "seconds to wait for a database connection before giving up",
        get: |config| config.database.connect_timeout_secs.to_string(),
        set: |config, value| {
            config.database.connect_timeout_secs =
                parse(value, "a whole number of seconds, at least 1")?;
            if config.database.connect_timeout_secs == 0 {
                return Err("expected a whole number of seconds, at least 1".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "cluster.enabled",
        env: "COMPANYOS_CLUSTER_ENABLED",
        default: "false",
        help: "run as one node of a cluster on a shared PostgreSQL database (refused on SQLite)",
        get: |config| config.cluster.enabled.to_string(),
        set: |config, value| {
            config.cluster.enabled = parse(value, "true or false")?;
            Ok(())
        },
    },
    Setting {
        key: "cluster.node",
        env: "COMPANYOS_CLUSTER_NODE",
        default: "",
        help: "this node's name, unique in the cluster and the same across its restarts; empty: the host name and the listen port",
        get: |config| config.cluster.node.clone(),
        set: |config, value| {
            let valid = value.len() <= 128
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !valid {
                return Err("expected at most 128 letters, digits, '-', '_' or '.'".into());
            }
            config.cluster.node = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.advertise_url",
        env: "COMPANYOS_CLUSTER_ADVERTISE_URL",
        default: "",
        help: "where the other nodes and operators reach this node's HTTP edge; empty: http://<listen>",
        get: |config| config.cluster.advertise_url.clone(),
        set: |config, value| {
            config.cluster.advertise_url = web_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "cluster.lease_ttl_ms",
        env: "COMPANYOS_CLUSTER_LEASE_TTL_MS",
        default: "3000",
        help: "how long a node's membership lasts unrenewed: a node silent this long is dead to the others and stops its organizations itself",
        get: |config| config.cluster.lease_ttl_ms.to_string(),
        set: |config, value| {
            let ms: u64 = parse(value, "a whole number of milliseconds from 300 to 60000")?;
            if !(300..=60_000).contains(&ms) {
                return Err("expected a whole number of milliseconds from 300 to 60000".into());
            }
            config.cluster.lease_ttl_ms = ms;
            Ok(())
        },
    },
    Setting {
        key: "cluster.renew_interval_ms",
        env: "COMPANYOS_CLUSTER_RENEW_INTERVAL_MS",
        default: "1000",
        help: "how often a node renews its membership and recomputes placement; at most a third of cluster.lease_ttl_ms",
        get: |config| config.cluster.renew_interval_ms.to_string(),
        set: |config, value| {
            let ms: u64 = parse(value, "a whole number of milliseconds from 100 to 20000")?;
            if !(100..=20_000).contains(&ms) {
                return Err("expected a whole number of milliseconds from 100 to 20000".into());
            }
            config.cluster.renew_interval_ms = ms;
            Ok(())
        },
    },
    Setting {
        key: "cluster.peer_port",
        env: "COMPANYOS_CLUSTER_PEER_PORT",
        default: "0",
        help: "the port of the node server that carries requests for an organization's agents between nodes (on the advertised host); 0: any free port",
        get: |config| config.cluster.peer_port.to_string(),
        set: |config, value| {
            config.cluster.peer_port = parse(value, "a port number from 0 to 65535")?;
            Ok(())
        },
    },
    Setting {
        key: "cluster.cookie",
        env: "COMPANYOS_CLUSTER_COOKIE",
        default: "",
        help: "the secret node sessions authenticate with, the same on every node; empty: derived from auth.jwt_secret",
        get: |config| config.cluster.cookie.clone(),
        set: |config, value| {
            config.cluster.cookie = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.tls_cert_file",
        env: "COMPANYOS_CLUSTER_TLS_CERT_FILE",
        default: "",
        help: "PEM certificate chain this node shows its peers (it must name the advertised host); with cluster.tls_key_file and cluster.tls_ca_file, sessions between nodes are mutual TLS; empty: plain TCP",
        get: |config| config.cluster.tls_cert_file.clone(),
        set: |config, value| {
            config.cluster.tls_cert_file = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.tls_key_file",
        env: "COMPANYOS_CLUSTER_TLS_KEY_FILE",
        default: "",
        help: "PEM private key of cluster.tls_cert_file",
        get: |config| config.cluster.tls_key_file.clone(),
        set: |config, value| {
            config.cluster.tls_key_file = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.tls_ca_file",
        env: "COMPANYOS_CLUSTER_TLS_CA_FILE",
        default: "",
        help: "PEM certificate authority every peer's certificate must be signed by",
        get: |config| config.cluster.tls_ca_file.clone(),
        set: |config, value| {
            config.cluster.tls_ca_file = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.redis_url",
        env: "COMPANYOS_CLUSTER_REDIS_URL",
        default: "",
        help: "redis://host:port[/db] the nodes share rate limits, LLM budgets and (in cluster mode) the event bus's fan-out through; empty: each node counts alone and events cross through PostgreSQL",
        get: |config| config.cluster.redis_url.clone(),
        set: |config, value| {
            if !value.is_empty() && !value.starts_with("redis://") {
                return Err(
                    "expected redis://host:port[/db] (rediss:// is not supported yet)".into(),
                );
            }
            config.cluster.redis_url = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.redis_prefix",
        env: "COMPANYOS_CLUSTER_REDIS_PREFIX",
        default: "companyos:",
        help: "what every Redis key and channel of this cluster starts with, so that clusters can share one Redis",
        get: |config| config.cluster.redis_prefix.clone(),
        set: |config, value| {
            config.cluster.redis_prefix = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.amqp_url",
        env: "COMPANYOS_CLUSTER_AMQP_URL",
        default: "",
        help: "amqp://user:password@host:port/vhost (or amqps://) of the RabbitMQ that carries word of runnable tasks to the dispatchers, from an outbox written with each task (PostgreSQL only); empty: the dispatchers poll the task table",
        get: |config| config.cluster.amqp_url.clone(),
        set: |config, value| {
            if !value.is_empty() && !value.starts_with("amqp://") && !value.starts_with("amqps://")
            {
                return Err("expected amqp://user:password@host:port/vhost or amqps://…".into());
            }
            config.cluster.amqp_url = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "cluster.amqp_prefix",
        env: "COMPANYOS_CLUSTER_AMQP_PREFIX",
        default: "companyos.",
        help: "what the task queues' names start with (<prefix>tasks.high, .normal, .low), so that clusters can share one RabbitMQ",
        get: |config| config.cluster.amqp_prefix.clone(),
        set: |config, value| {
            config.cluster.amqp_prefix = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "queue.lease_secs",
        env: "COMPANYOS_QUEUE_LEASE_SECS",
        default: "30",
        help: "seconds a claimed task stays leased unless its worker renews the lease",
        get: |config| config.queue.lease_secs.to_string(),
        set: |config, value| {
            config.queue.lease_secs = parse(value, "a whole number of seconds, at least 1")?;
            if config.queue.lease_secs == 0 {
                return Err("expected a whole number of seconds, at least 1".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "queue.retry_base_delay_ms",
        env: "COMPANYOS_QUEUE_RETRY_BASE_DELAY_MS",
        default: "1000",
        help: "backoff before the second attempt of a failed task; doubles per attempt",
        get: |config| config.queue.retry_base_delay_ms.to_string(),
        set: |config, value| {
            config.queue.retry_base_delay_ms = parse(value, "a whole number of milliseconds")?;
            Ok(())
        },
    },
    Setting {
        key: "queue.retry_max_delay_secs",
        env: "COMPANYOS_QUEUE_RETRY_MAX_DELAY_SECS",
        default: "300",
        help: "longest backoff between attempts of a failed task",
        get: |config| config.queue.retry_max_delay_secs.to_string(),
        set: |config, value| {
            config.queue.retry_max_delay_secs = parse(value, "a whole number of seconds")?;
            Ok(())
        },
    },
    Setting {
        key: "agents.passivate_after_secs",
        env: "COMPANYOS_AGENTS_PASSIVATE_AFTER_SECS",
        default: "600",
        help: "seconds an agent may be idle before its actor is stopped (it starts again with its next task or question, and agents start that way); 0 keeps every agent's actor running",
        get: |config| config.agents.passivate_after_secs.to_string(),
        set: |config, value| {
            config.agents.passivate_after_secs = parse(value, "a whole number of seconds")?;
            Ok(())
        },
    },
    Setting {
        key: "auth.jwt_secret",
        env: "COMPANYOS_AUTH_JWT_SECRET",
        default: "",
        help: "secret (32+ bytes) signing access tokens; empty: generated once under data_dir",
        get: |config| config.auth.jwt_secret.clone(),
        set: |config, value| {
            if !value.is_empty() && value.len() < 32 {
                return Err("expected at least 32 characters (or empty to generate one)".into());
            }
            config.auth.jwt_secret = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "auth.access_token_ttl_secs",
        env: "COMPANYOS_AUTH_ACCESS_TOKEN_TTL_SECS",
        default: "900",
        help: "lifetime of an access token",
        get: |config| config.auth.access_token_ttl_secs.to_string(),
        set: |config, value| {
            config.auth.access_token_ttl_secs =
                parse(value, "a whole number of seconds from 60 to 86400")?;
            if !(60..=86_400).contains(&config.auth.access_token_ttl_secs) {
                return Err("expected a whole number of seconds from 60 to 86400".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "auth.open_registration",
        env: "COMPANYOS_AUTH_OPEN_REGISTRATION",
        default: "false",
        help: "whether a registration without an invitation creates a new organization",
        get: |config| config.auth.open_registration.to_string(),
        set: |config, value| {
            config.auth.open_registration = parse(value, "true or false")?;
            Ok(())
        },
    },
    Setting {
        key: "auth.rate_limit_per_minute",
        env: "COMPANYOS_AUTH_RATE_LIMIT_PER_MINUTE",
        default: "30",
        help: "requests a minute per client address to register, login, refresh and logout",
        get: |config| config.auth.rate_limit_per_minute.to_string(),
        set: |config, value| {
            config.auth.rate_limit_per_minute = parse(value, "a whole number from 1 to 100000")?;
            if !(1..=100_000).contains(&config.auth.rate_limit_per_minute) {
                return Err("expected a whole number from 1 to 100000".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "auth.token_rate_limit_per_minute",
        env: "COMPANYOS_AUTH_TOKEN_RATE_LIMIT_PER_MINUTE",
        default: "6000",
        help: "requests a minute per signed-in user on every other route",
        get: |config| config.auth.token_rate_limit_per_minute.to_string(),
        set: |config, value| {
            config.auth.token_rate_limit_per_minute =
                parse(value, "a whole number from 1 to 10000000")?;
            if !(1..=10_000_000).contains(&config.auth.token_rate_limit_per_minute) {
                return Err("expected a whole number from 1 to 10000000".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "auth.master_key",
        env: "COMPANYOS_MASTER_KEY",
        default: "",
        help: "key sealing integration credentials (32 bytes: 64 hex digits or base64); empty: generated once under data_dir",
        get: |config| config.auth.master_key.clone(),
        set: |config, value| {
            if !value.is_empty() {
                companyos_integrations::crypto::MasterKey::parse(value)
                    .map_err(|error| error.to_string())?;
            }
            config.auth.master_key = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "auth.github_client_id",
        env: "COMPANYOS_AUTH_GITHUB_CLIENT_ID",
        default: "",
        help: "client id of the GitHub OAuth app for GitHub login; empty: GitHub login is off",
        get: |config| config.auth.github_client_id.clone(),
        set: |config, value| {
            config.auth.github_client_id = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "auth.github_client_secret",
        env: "COMPANYOS_AUTH_GITHUB_CLIENT_SECRET",
        default: "",
        help: "client secret of the GitHub OAuth app",
        get: |config| config.auth.github_client_secret.clone(),
        set: |config, value| {
            config.auth.github_client_secret = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "auth.github_url",
        env: "COMPANYOS_AUTH_GITHUB_URL",
        default: "https://github.com",
        help: "GitHub's web address (authorize and token endpoints live under /login/oauth)",
        get: |config| config.auth.github_url.clone(),
        set: |config, value| {
            config.auth.github_url = web_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "auth.github_api_url",
        env: "COMPANYOS_AUTH_GITHUB_API_URL",
        default: "https://api.github.com",
        help: "GitHub's REST API address",
        get: |config| config.auth.github_api_url.clone(),
        set: |config, value| {
            config.auth.github_api_url = web_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "metrics.token",
        env: "COMPANYOS_METRICS_TOKEN",
        default: "",
        help: "a bearer token /metrics asks for (metrics name organizations and agents by id); empty: /metrics is open, for a scrape on an internal network only",
        get: |config| config.metrics.token.clone(),
        set: |config, value| {
            config.metrics.token = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "auth.max_organizations_per_user",
        env: "COMPANYOS_AUTH_MAX_ORGANIZATIONS_PER_USER",
        default: "10",
        help: "organizations one person may own at most (creating another is refused)",
        get: |config| config.auth.max_organizations_per_user.to_string(),
        set: |config, value| {
            config.auth.max_organizations_per_user =
                parse(value, "a whole number from 1 to 100000")?;
            if !(1..=100_000).contains(&config.auth.max_organizations_per_user) {
                return Err("expected a whole number from 1 to 100000".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "mail.smtp_url",
        env: "COMPANYOS_MAIL_SMTP_URL",
        default: "",
        help: "SMTP server for verification, password-reset and invitation mail: smtp://host:25, smtp://user:password@host:587?tls=required, smtps://user:password@host:465; empty: links are written to the log instead",
        get: |config| config.mail.smtp_url.clone(),
        set: |config, value| {
            let supported =
                value.is_empty() || value.starts_with("smtp://") || value.starts_with("smtps://");
            if !supported {
                return Err("expected smtp://…, smtps://… or empty (links are logged)".into());
            }
            config.mail.smtp_url = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "mail.from",
        env: "COMPANYOS_MAIL_FROM",
        default: "CompanyOS <companyos@localhost>",
        help: "the sender of the node's mail",
        get: |config| config.mail.from.clone(),
        set: |config, value| {
            if value.trim().is_empty() || !value.contains('@') {
                return Err("expected an address such as CompanyOS <ops@example.com>".into());
            }
            config.mail.from = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "llm.provider",
        env: "COMPANYOS_LLM_PROVIDER",
        default: "",
        help: "the language model agents may use: openai (any OpenAI-compatible server: OpenAI, Ollama, vLLM, llama.cpp) or anthropic; empty: agents work without one",
        get: |config| config.llm.provider.clone(),
        set: |config, value| {
            if !value.is_empty() && value != "openai" && value != "anthropic" {
                return Err("expected openai, anthropic or empty (no model)".into());
            }
            config.llm.provider = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "llm.base_url",
        env: "COMPANYOS_LLM_BASE_URL",
        default: "",
        help: "the provider's API root (http://localhost:11434/v1 for Ollama); empty: the provider's own (https://api.openai.com/v1, https://api.anthropic.com)",
        get: |config| config.llm.base_url.clone(),
        set: |config, value| {
            if !value.is_empty() && !value.starts_with("http://") && !value.starts_with("https://")
            {
                return Err("expected an http:// or https:// address, or empty".into());
            }
            config.llm.base_url = value.trim_end_matches('/').to_owned();
            Ok(())
        },
    },
    Setting {
        key: "llm.model",
        env: "COMPANYOS_LLM_MODEL",
        default: "",
        help: "the model id as the provider names it (gpt-4o-mini, claude-sonnet-4-5, llama3.1); required with llm.provider",
        get: |config| config.llm.model.clone(),
        set: |config, value| {
            config.llm.model = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "llm.allowed_models",
        env: "COMPANYOS_LLM_ALLOWED_MODELS",
        default: "",
        help: "other models of the same provider an agent's configuration may choose (comma-separated); empty: only llm.model. An agent never chooses the provider or the address: the API key goes only to llm.base_url",
        get: |config| config.llm.allowed_models.join(","),
        set: |config, value| {
            config.llm.allowed_models = value
                .split(',')
                .map(str::trim)
                .filter(|model| !model.is_empty())
                .map(str::to_owned)
                .collect();
            Ok(())
        },
    },
    Setting {
        key: "llm.api_key",
        env: "COMPANYOS_LLM_API_KEY",
        default: "",
        help: "the provider's API key (a local server may need none)",
        get: |config| config.llm.api_key.clone(),
        set: |config, value| {
            config.llm.api_key = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "llm.api_key_file",
        env: "COMPANYOS_LLM_API_KEY_FILE",
        default: "",
        help: "a file holding the API key (a mounted secret), read at start; used when llm.api_key is empty",
        get: |config| config.llm.api_key_file.clone(),
        set: |config, value| {
            config.llm.api_key_file = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "llm.tokens_per_day",
        env: "COMPANYOS_LLM_TOKENS_PER_DAY",
        default: "200000",
        help: "each agent's budget of tokens (prompt and answer) per day; 0: no limit; an agent's configuration may set its own (llm.tokens_per_day)",
        get: |config| config.llm.tokens_per_day.to_string(),
        set: |config, value| {
            config.llm.tokens_per_day = parse(value, "a whole number of tokens (0: no limit)")?;
            Ok(())
        },
    },
    Setting {
        key: "llm.requests_per_minute",
        env: "COMPANYOS_LLM_REQUESTS_PER_MINUTE",
        default: "20",
        help: "each agent's budget of model requests per minute; 0: no limit; a task past a budget waits until it refills",
        get: |config| config.llm.requests_per_minute.to_string(),
        set: |config, value| {
            config.llm.requests_per_minute =
                parse(value, "a whole number of requests (0: no limit)")?;
            Ok(())
        },
    },
    Setting {
        key: "search.embeddings_url",
        env: "COMPANYOS_SEARCH_EMBEDDINGS_URL",
        default: "",
        help: "an OpenAI-compatible embeddings API root (https://api.openai.com/v1, http://localhost:11434/v1 for Ollama; /embeddings is appended): search then finds by meaning too; empty: by words only",
        get: |config| config.search.embeddings_url.clone(),
        set: |config, value| {
            if !value.is_empty() && !value.starts_with("http://") && !value.starts_with("https://")
            {
                return Err("expected an http:// or https:// address, or empty".into());
            }
            config.search.embeddings_url = value.trim_end_matches('/').to_owned();
            Ok(())
        },
    },
    Setting {
        key: "search.embeddings_model",
        env: "COMPANYOS_SEARCH_EMBEDDINGS_MODEL",
        default: "text-embedding-3-small",
        help: "the embeddings model as the server names it (text-embedding-3-small, nomic-embed-text); changing it embeds every document again",
        get: |config| config.search.embeddings_model.clone(),
        set: |config, value| {
            if value.trim().is_empty() {
                return Err("expected a model name".into());
            }
            config.search.embeddings_model = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "search.embeddings_api_key",
        env: "COMPANYOS_SEARCH_EMBEDDINGS_API_KEY",
        default: "",
        help: "the embeddings server's API key (a local server may need none)",
        get: |config| config.search.embeddings_api_key.clone(),
        set: |config, value| {
            config.search.embeddings_api_key = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "search.embeddings_dimensions",
        env: "COMPANYOS_SEARCH_EMBEDDINGS_DIMENSIONS",
        default: "256",
        help: "the vectors' length asked of models that can shorten theirs (OpenAI's text-embedding-3); 0: the model's own. Each organization's vectors are held in memory while it searches: 100,000 documents of 256 take 100 MB",
        get: |config| config.search.embeddings_dimensions.to_string(),
        set: |config, value| {
            config.search.embeddings_dimensions =
                parse(value, "a whole number of dimensions (0: the model's own)")?;
            Ok(())
        },
    },
    Setting {
        key: "search.embeddings_kinds",
        env: "COMPANYOS_SEARCH_EMBEDDINGS_KINDS",
        default: "pull_request,finding,deployment,component,post",
        help: "the kinds of documents searched by meaning (comma-separated among event, pull_request, finding, deployment, component, post); the others are searched by words",
        get: |config| config.search.embeddings_kinds.join(","),
        set: |config, value| {
            let kinds: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|kind| !kind.is_empty())
                .map(str::to_owned)
                .collect();
            for kind in &kinds {
                kind.parse::<companyos_store::SearchKind>().map_err(|_| {
                    format!("{kind:?} is not a kind; expected event, pull_request, finding, deployment, component or post")
                })?;
            }
            if kinds.is_empty() {
                return Err("expected at least one kind".into());
            }
            config.search.embeddings_kinds = kinds;
            Ok(())
        },
    },
    Setting {
        key: "search.embeddings_min_similarity",
        env: "COMPANYOS_SEARCH_EMBEDDINGS_MIN_SIMILARITY",
        default: "0.3",
        help: "the least cosine similarity (0–1) of a document found by meaning alone",
        get: |config| config.search.embeddings_min_similarity.to_string(),
        set: |config, value| {
            let similarity: f32 = parse(value, "a number from 0 to 1")?;
            if !(0.0..=1.0).contains(&similarity) {
                return Err("expected a number from 0 to 1".into());
            }
            config.search.embeddings_min_similarity = similarity;
            Ok(())
        },
    },
    Setting {
        key: "search.embeddings_interval_secs",
        env: "COMPANYOS_SEARCH_EMBEDDINGS_INTERVAL_SECS",
        default: "10",
        help: "how often new and changed documents are embedded, in seconds",
        get: |config| config.search.embeddings_interval_secs.to_string(),
        set: |config, value| {
            let secs: u64 = parse(value, "a whole number of seconds, at least 1")?;
            if secs == 0 {
                return Err("expected a whole number of seconds, at least 1".into());
            }
            config.search.embeddings_interval_secs = secs;
            Ok(())
        },
    },
    Setting {
        key: "public_url",
        env: "COMPANYOS_PUBLIC_URL",
        default: "",
        help: "the address people and services reach this node at (OAuth callbacks, webhook URLs); empty: http://<listen>",
        get: |config| config.public_url.clone(),
        set: |config, value| {
            config.public_url = web_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "webhooks.max_body_bytes",
        env: "COMPANYOS_WEBHOOKS_MAX_BODY_BYTES",
        default: "26214400",
        help: "the largest webhook delivery accepted, in bytes (then 413); GitHub sends up to 25 MB",
        get: |config| config.webhooks.max_body_bytes.to_string(),
        set: |config, value| {
            config.webhooks.max_body_bytes = parse(value, "a whole number of bytes from 1024")?;
            if config.webhooks.max_body_bytes < 1024 {
                return Err("expected a whole number of bytes from 1024".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "webhooks.max_buffered_bytes",
        env: "COMPANYOS_WEBHOOKS_MAX_BUFFERED_BYTES",
        default: "104857600",
        help: "webhook body bytes held in memory at once, across all deliveries being received, charged as they arrive; one integration and one client address may hold a quarter of it (at least one whole body); past it: 503 with Retry-After",
        get: |config| config.webhooks.max_buffered_bytes.to_string(),
        set: |config, value| {
            config.webhooks.max_buffered_bytes = parse(value, "a whole number of bytes from 1024")?;
            if config.webhooks.max_buffered_bytes < 1024 {
                return Err("expected a whole number of bytes from 1024".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "webhooks.min_body_rate",
        env: "COMPANYOS_WEBHOOKS_MIN_BODY_RATE",
        default: "1024",
        help: "the slowest a webhook body may arrive, in bytes a second, once 10 s have passed (slower: 408); 0: no minimum",
        get: |config| config.webhooks.min_body_rate.to_string(),
        set: |config, value| {
            config.webhooks.min_body_rate =
                parse(value, "a whole number of bytes a second (0: no minimum)")?;
            Ok(())
        },
    },
    Setting {
        key: "http.header_read_timeout_secs",
        env: "COMPANYOS_HTTP_HEADER_READ_TIMEOUT_SECS",
        default: "10",
        help: "seconds a client has to send a request's headers before its connection is closed",
        get: |config| config.http.header_read_timeout_secs.to_string(),
        set: |config, value| {
            config.http.header_read_timeout_secs = timeout_secs(value)?;
            Ok(())
        },
    },
    Setting {
        key: "http.idle_timeout_secs",
        env: "COMPANYOS_HTTP_IDLE_TIMEOUT_SECS",
        default: "120",
        help: "seconds a connection may stay open without traffic (WebSockets excepted)",
        get: |config| config.http.idle_timeout_secs.to_string(),
        set: |config, value| {
            config.http.idle_timeout_secs = timeout_secs(value)?;
            Ok(())
        },
    },
    Setting {
        key: "http.max_connections",
        env: "COMPANYOS_HTTP_MAX_CONNECTIONS",
        default: "4096",
        help: "connections open at once; past it new connections are closed at once",
        get: |config| config.http.max_connections.to_string(),
        set: |config, value| {
            config.http.max_connections = parse(value, "a whole number from 1 to 1000000")?;
            if !(1..=1_000_000).contains(&config.http.max_connections) {
                return Err("expected a whole number from 1 to 1000000".into());
            }
            Ok(())
        },
    },
    Setting {
        key: "console.dir",
        env: "COMPANYOS_CONSOLE_DIR",
        default: "",
        help: "serve the console from this directory (e.g. web/dist) instead of the copy built into the binary",
        get: |config| config.console.dir.clone(),
        set: |config, value| {
            config.console.dir = value.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "integrations.sync_interval_secs",
        env: "COMPANYOS_INTEGRATIONS_SYNC_INTERVAL_SECS",
        default: "900",
        help: "how often each connected integration is synced through its API (repositories, pull requests, deployments, Figma files, social accounts); 0: only when asked",
        get: |config| config.integrations.sync_interval_secs.to_string(),
        set: |config, value| {
            config.integrations.sync_interval_secs =
                parse(value, "a whole number of seconds (0: only when asked)")?;
            Ok(())
        },
    },
    Setting {
        key: "integrations.probe_private_networks",
        env: "COMPANYOS_INTEGRATIONS_PROBE_PRIVATE_NETWORKS",
        default: "false",
        help: "whether deployment health probes may reach the node's own network (http, loopback and private addresses); false: only public https addresses, checked after name resolution and on every redirect",
        get: |config| config.integrations.probe_private_networks.to_string(),
        set: |config, value| {
            config.integrations.probe_private_networks = parse(value, "true or false")?;
            Ok(())
        },
    },
    Setting {
        key: "integrations.vercel_api_url",
        env: "COMPANYOS_INTEGRATIONS_VERCEL_API_URL",
        default: "https://api.vercel.com",
        help: "Vercel's REST API address (GitHub's is auth.github_api_url)",
        get: |config| config.integrations.vercel_api_url.clone(),
        set: |config, value| {
            config.integrations.vercel_api_url = api_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "integrations.figma_api_url",
        env: "COMPANYOS_INTEGRATIONS_FIGMA_API_URL",
        default: "https://api.figma.com",
        help: "Figma's REST API address",
        get: |config| config.integrations.figma_api_url.clone(),
        set: |config, value| {
            config.integrations.figma_api_url = api_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "integrations.twitter_api_url",
        env: "COMPANYOS_INTEGRATIONS_TWITTER_API_URL",
        default: "https://api.x.com",
        help: "the X API address",
        get: |config| config.integrations.twitter_api_url.clone(),
        set: |config, value| {
            config.integrations.twitter_api_url = api_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "integrations.linkedin_api_url",
        env: "COMPANYOS_INTEGRATIONS_LINKEDIN_API_URL",
        default: "https://api.linkedin.com",
        help: "LinkedIn's API address",
        get: |config| config.integrations.linkedin_api_url.clone(),
        set: |config, value| {
            config.integrations.linkedin_api_url = api_address(value)?;
            Ok(())
        },
    },
    Setting {
        key: "archive.url",
        env: "COMPANYOS_ARCHIVE_URL",
        default: "",
        help: "where every accepted webhook delivery (its headers and raw body) is archived: empty for <data_dir>/archive, a folder, s3://bucket or s3://bucket/prefix, or off",
        get: |config| config.archive.url.clone(),
        set: |config, value| {
            let url = value.trim();
            if let Some(rest) = url.strip_prefix("s3://") {
                let bucket = rest.split('/').next().unwrap_or_default();
                if bucket.is_empty() {
                    return Err("expected s3://bucket or s3://bucket/prefix".into());
                }
            } else if url.contains("://") {
                return Err(
                    "expected a folder, s3://bucket/prefix, off, or empty for <data_dir>/archive"
                        .into(),
                );
            }
            config.archive.url = url.to_owned();
            Ok(())
        },
    },
    Setting {
        key: "archive.s3_endpoint",
        env: "COMPANYOS_ARCHIVE_S3_ENDPOINT",
        default: "",
        help: "address of an S3-compatible server (MinIO, Ceph…) for an s3:// archive.url; empty for AWS",
        get: |config| config.archive.s3_endpoint.clone(),
        set: |config, value| {
            config.archive.s3_endpoint = web_address(value.trim())?;
            Ok(())
        },
    },
    Setting {
        key: "archive.s3_region",
        env: "COMPANYOS_ARCHIVE_S3_REGION",
        default: "us-east-1",
        help: "the bucket's region",
        get: |config| config.archive.s3_region.clone(),
        set: |config, value| {
            if value.trim().is_empty() {
                return Err("expected a region such as us-east-1".into());
            }
            config.archive.s3_region = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "archive.s3_access_key_id",
        env: "COMPANYOS_ARCHIVE_S3_ACCESS_KEY_ID",
        default: "",
        help: "access key for the bucket; empty: the environment's AWS credentials (AWS_ACCESS_KEY_ID…, a web identity, the instance's role)",
        get: |config| config.archive.s3_access_key_id.clone(),
        set: |config, value| {
            config.archive.s3_access_key_id = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "archive.s3_secret_access_key",
        env: "COMPANYOS_ARCHIVE_S3_SECRET_ACCESS_KEY",
        default: "",
        help: "secret of archive.s3_access_key_id",
        get: |config| config.archive.s3_secret_access_key.clone(),
        set: |config, value| {
            config.archive.s3_secret_access_key = value.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "archive.retention_days",
        env: "COMPANYOS_ARCHIVE_RETENTION_DAYS",
        default: "30",
        help: "days an archived delivery is kept (whole days are deleted once past it); 0 keeps them forever",
        get: |config| config.archive.retention_days.to_string(),
        set: |config, value| {
            config.archive.retention_days = parse(value, "a whole number of days (0: forever)")?;
            Ok(())
        },
    },
    Setting {
        key: "telemetry.otlp_endpoint",
        env: "COMPANYOS_TELEMETRY_OTLP_ENDPOINT",
        default: "",
        help: "OpenTelemetry collector's OTLP/HTTP address (such as http://otel-collector:4318): traces of requests, deliveries and agents' work are sent there; empty: no traces",
        get: |config| config.telemetry.otlp_endpoint.clone(),
        set: |config, value| {
            config.telemetry.otlp_endpoint = web_address(value.trim())?;
            Ok(())
        },
    },
    Setting {
        key: "telemetry.service_name",
        env: "COMPANYOS_TELEMETRY_SERVICE_NAME",
        default: "companyos",
        help: "the service.name of the traces",
        get: |config| config.telemetry.service_name.clone(),
        set: |config, value| {
            if value.trim().is_empty() {
                return Err("expected a name such as companyos".into());
            }
            config.telemetry.service_name = value.trim().to_owned();
            Ok(())
        },
    },
];

/// The environment variable that names the configuration file (flag --config).
pub const CONFIG_FILE_ENV: &str = "COMPANYOS_CONFIG";
/// The file read when neither --config nor COMPANYOS_CONFIG names one (if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "companyos.toml";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Human => "human",
            LogFormat::Json => "json",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub jwt_secret: String,
    pub access_token_ttl_secs: u64,
    pub open_registration: bool,
    pub rate_limit_per_minute: u32,
    pub token_rate_limit_per_minute: u32,
    pub master_key: String,
    pub github_client_id: String,
    pub github_client_secret: String,
    pub github_url: String,
    pub github_api_url: String,
    pub max_organizations_per_user: u32,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field(
                "jwt_secret",
                &redact_value("auth.jwt_secret", &self.jwt_secret),
            )
            .field("access_token_ttl_secs", &self.access_token_ttl_secs)
            .field("open_registration", &self.open_registration)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field(
                "token_rate_limit_per_minute",
                &self.token_rate_limit_per_minute,
            )
            .field(
                "master_key",
                &redact_value("auth.master_key", &self.master_key),
            )
            .field("github_client_id", &self.github_client_id)
            .field(
                "github_client_secret",
                &redact_value("auth.github_client_secret", &self.github_client_secret),
            )
            .field("github_url", &self.github_url)
            .field("github_api_url", &self.github_api_url)
            .field(
                "max_organizations_per_user",
                &self.max_organizations_per_user,
            )
            .finish()
    }
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    pub enabled: bool,
    pub node: String,
    pub advertise_url: String,
    pub lease_ttl_ms: u64,
    pub renew_interval_ms: u64,
    pub peer_port: u16,
    pub cookie: String,
    pub tls_cert_file: String,
    pub tls_key_file: String,
    pub tls_ca_file: String,
    pub redis_url: String,
    pub redis_prefix: String,
    pub amqp_url: String,
    pub amqp_prefix: String,
}

impl fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("enabled", &self.enabled)
            .field("node", &self.node)
            .field("advertise_url", &self.advertise_url)
            .field("lease_ttl_ms", &self.lease_ttl_ms)
            .field("renew_interval_ms", &self.renew_interval_ms)
            .field("peer_port", &self.peer_port)
            .field("cookie", &redact_value("cluster.cookie", &self.cookie))
            .field("tls_cert_file", &self.tls_cert_file)
            .field("tls_key_file", &self.tls_key_file)
            .field("tls_ca_file", &self.tls_ca_file)
            .field(
                "redis_url",
                &redact_value("cluster.redis_url", &self.redis_url),
            )
            .field("redis_prefix", &self.redis_prefix)
            .field(
                "amqp_url",
                &redact_value("cluster.amqp_url", &self.amqp_url),
            )
            .field("amqp_prefix", &self.amqp_prefix)
            .finish()
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Config::default().cluster
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentsConfig {
    /// 0: never passivate.
    pub passivate_after_secs: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    pub lease_secs: u64,
    pub retry_base_delay_ms: u64,
    pub retry_max_delay_secs: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    pub max_body_bytes: usize,
    pub max_buffered_bytes: usize,
    pub min_body_rate: usize,
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub smtp_url: String,
    pub from: String,
}

impl fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &redact_value("mail.smtp_url", &self.smtp_url))
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSection {
    pub provider: String,
    pub base_url: String,
    pub model: String,
    pub api_key: String,
    pub api_key_file: String,
    pub tokens_per_day: u64,
    pub requests_per_minute: u32,
    /// Models an agent's configuration may choose besides `model`, at the same address.
    pub allowed_models: Vec<String>,
}

impl fmt::Debug for LlmSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmSection")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &redact_value("llm.api_key", &self.api_key))
            .field("api_key_file", &self.api_key_file)
            .field("tokens_per_day", &self.tokens_per_day)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("allowed_models", &self.allowed_models)
            .finish()
    }
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchSection {
    /// Empty: search by words only.
    pub embeddings_url: String,
    pub embeddings_model: String,
    pub embeddings_api_key: String,
    /// 0: the model's own length.
    pub embeddings_dimensions: u32,
    pub embeddings_kinds: Vec<String>,
    pub embeddings_min_similarity: f32,
    pub embeddings_interval_secs: u64,
}

impl fmt::Debug for SearchSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchSection")
            .field("embeddings_url", &self.embeddings_url)
            .field("embeddings_model", &self.embeddings_model)
            .field(
                "embeddings_api_key",
                &redact_value("search.embeddings_api_key", &self.embeddings_api_key),
            )
            .field("embeddings_dimensions", &self.embeddings_dimensions)
            .field("embeddings_kinds", &self.embeddings_kinds)
            .field("embeddings_min_similarity", &self.embeddings_min_similarity)
            .field("embeddings_interval_secs", &self.embeddings_interval_secs)
            .finish()
    }
}

impl Default for SearchSection {
    fn default() -> Self {
        Config::default().search
    }
}

impl Default for LlmSection {
    fn default() -> Self {
        Config::default().llm
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub header_read_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub max_connections: usize,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    pub dir: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntegrationsConfig {
    pub sync_interval_secs: u64,
    pub probe_private_networks: bool,
    pub vercel_api_url: String,
    pub figma_api_url: String,
    pub twitter_api_url: String,
    pub linkedin_api_url: String,
}

/// The effective configuration of a node.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub log: LogConfig,
    pub database: DatabaseConfig,
    pub queue: QueueConfig,
    pub agents: AgentsConfig,
    pub cluster: ClusterConfig,
    pub auth: AuthConfig,
    /// Where people reach this node; empty means `http://<listen>`.
    pub public_url: String,
    pub webhooks: WebhooksConfig,
    pub integrations: IntegrationsConfig,
    pub mail: MailConfig,
    pub llm: LlmSection,
    pub search: SearchSection,
    pub http: HttpConfig,
    pub console: ConsoleConfig,
    pub metrics: MetricsConfig,
    pub archive: ArchiveConfig,
    pub telemetry: TelemetryConfig,
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Empty: `<data_dir>/archive`; `off`: no archive.
    pub url: String,
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// 0: forever.
    pub retention_days: u32,
}

impl fmt::Debug for ArchiveConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveConfig")
            .field("url", &self.url)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field(
                "s3_secret_access_key",
                &redact_value("archive.s3_secret_access_key", &self.s3_secret_access_key),
            )
            .field("retention_days", &self.retention_days)
            .finish()
    }
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Config::default().archive
    }
}

impl Config {
    /// Where the payload archive is, or `None` when it is off.
    pub fn archive_location(&self) -> Option<companyos_store::archive::ArchiveLocation> {
        use companyos_store::archive::{ArchiveLocation, S3Location};
        let url = self.archive.url.as_str();
        if url == "off" {
            return None;
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            return Some(ArchiveLocation::S3(S3Location {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
                endpoint: self.archive.s3_endpoint.clone(),
                region: self.archive.s3_region.clone(),
                access_key_id: self.archive.s3_access_key_id.clone(),
                secret_access_key: self.archive.s3_secret_access_key.clone(),
            }));
        }
        Some(ArchiveLocation::Folder(if url.is_empty() {
            self.data_dir.join("archive")
        } else {
            PathBuf::from(url)
        }))
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Empty: no traces exported.
    pub otlp_endpoint: String,
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Config::default().telemetry
    }
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub token: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Config::default().metrics
    }
}

impl fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("token", &redact_value("metrics.token", &self.token))
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        let mut config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::new(),
            log: LogConfig {
                format: LogFormat::Human,
                level: String::new(),
            },
            database: DatabaseConfig {
                url: String::new(),
                max_connections: 0,
                connect_timeout_secs: 0,
            },
            queue: QueueConfig {
                lease_secs: 0,
                retry_base_delay_ms: 0,
                retry_max_delay_secs: 0,
            },
            agents: AgentsConfig {
                passivate_after_secs: 0,
            },
            cluster: ClusterConfig {
                enabled: false,
                node: String::new(),
                advertise_url: String::new(),
                lease_ttl_ms: 0,
                renew_interval_ms: 0,
                peer_port: 0,
                cookie: String::new(),
                tls_cert_file: String::new(),
                tls_key_file: String::new(),
                tls_ca_file: String::new(),
                redis_url: String::new(),
                redis_prefix: String::new(),
                amqp_url: String::new(),
                amqp_prefix: String::new(),
            },
            public_url: String::new(),
            webhooks: WebhooksConfig {
                max_body_bytes: 0,
                max_buffered_bytes: 0,
                min_body_rate: 0,
            },
            mail: MailConfig {
                smtp_url: String::new(),
                from: String::new(),
            },
            llm: LlmSection {
                provider: String::new(),
                base_url: String::new(),
                model: String::new(),
                api_key: String::new(),
                api_key_file: String::new(),
                tokens_per_day: 0,
                requests_per_minute: 0,
                allowed_models: Vec::new(),
            },
            search: SearchSection {
                embeddings_url: String::new(),
                embeddings_model: String::new(),
                embeddings_api_key: String::new(),
                embeddings_dimensions: 0,
                embeddings_kinds: Vec::new(),
                embeddings_min_similarity: 0.0,
                embeddings_interval_secs: 0,
            },
            http: HttpConfig {
                header_read_timeout_secs: 0,
                idle_timeout_secs: 0,
                max_connections: 0,
            },
            console: ConsoleConfig { dir: String::new() },
            archive: ArchiveConfig {
                url: String::new(),
                s3_endpoint: String::new(),
                s3_region: String::new(),
                s3_access_key_id: String::new(),
                s3_secret_access_key: String::new(),
                retention_days: 0,
            },
            telemetry: TelemetryConfig {
                otlp_endpoint: String::new(),
                service_name: String::new(),
            },
            metrics: MetricsConfig {
                token: String::new(),
            },
            integrations: IntegrationsConfig {
                sync_interval_secs: 0,
                probe_private_networks: false,
                vercel_api_url: String::new(),
                figma_api_url: String::new(),
                twitter_api_url: String::new(),
                linkedin_api_url: String::new(),
            },
            auth: AuthConfig {
                jwt_secret: String::new(),
                access_token_ttl_secs: 0,
                open_registration: false,
                rate_limit_per_minute: 0,
                token_rate_limit_per_minute: 0,
                master_key: String::new(),
                github_client_id: String::new(),
                github_client_secret: String::new(),
                github_url: String::new(),
                github_api_url: String::new(),
                max_organizations_per_user: 0,
            },
        };
        for setting in SETTINGS {
            config
                .set(setting.key, setting.default)
                .unwrap_or_else(|reason| {
                    unreachable!("built-in default of {} is invalid: {reason}", setting.key)
                });
        }
        config
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Config::default().log
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Config::default().database
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        Config::default().queue
    }
}

impl Default for AgentsConfig {
    fn default() -> Self {
        Config::default().agents
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Config::default().auth
    }
}

impl Default for IntegrationsConfig {
    fn default() -> Self {
        Config::default().integrations
    }
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Config::default().webhooks
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Config::default().mail
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Config::default().http
    }
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Config::default().console
    }
}

/// A configuration error: one line naming the setting and where its value came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {reason}")]
    ReadFile { path: PathBuf, reason: String },
    #[error("configuration file {path}: {reason}")]
    ParseFile { path: PathBuf, reason: String },
    #[error(
        "unknown environment variable {name}; settings are: {known} (each also as <name>_FILE, read from that file)"
    )]
    UnknownEnv { name: String, known: String },
    #[error("both {first} and {second} are set: set one")]
    Ambiguous { first: String, second: String },
    #[error("invalid value {value:?} for {setting} (from {origin}): {reason}")]
    InvalidValue {
        setting: &'static str,
        origin: String,
        value: String,
        reason: SettingError,
    },
    #[error(transparent)]
    Setting(#[from] SettingError),
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
}

/// Why a setting cannot be read or set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting {0:?}; `companyos settings` lists them")]
    Unknown(String),
    /// The value is not one the setting takes: what it expects, in words.
    #[error("{0}")]
    Invalid(String),
}

impl From<&str> for SettingError {
    fn from(expected: &str) -> SettingError {
        SettingError::Invalid(expected.to_owned())
    }
}

impl From<String> for SettingError {
    fn from(expected: String) -> SettingError {
        SettingError::Invalid(expected)
    }
}

fn parse<T: std::str::FromStr>(value: &str, expected: &str) -> Result<T, SettingError> {
    value
        .trim()
        .parse::<T>()
        .map_err(|_| SettingError::Invalid(format!("expected {expected}")))
}

impl Config {
    /// Loads the layered configuration from the process environment.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        Config::load_from(overrides, std::env::vars())
    }

    /// Loads the layered configuration with `environment` standing in for the process
    /// environment (tests pass their own).
    pub fn load_from(
        overrides: &Overrides,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let environment: Vec<(String, String)> = environment.into_iter().collect();
        let env_value = |name: &str| {
            environment
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };

        // 1–2. Defaults, then the file.
        let (file, file_required) = match (&overrides.config_file, env_value(CONFIG_FILE_ENV)) {
            (Some(path), _) => (path.clone(), true),
            (None, Some(path)) if !path.is_empty() => (PathBuf::from(path), true),
            _ => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let mut config = if file_required || file.exists() {
            Config::from_file(&file)?
        } else {
            Config::default()
        };

        // 3. The environment. DATABASE_URL is the conventional name; the COMPANYOS_
        // variable wins when both are set.
        if let Some(url) = env_value("DATABASE_URL").filter(|url| !url.is_empty()) {
            config.set_from("database.url", &url, "DATABASE_URL")?;
        }
        let mut variables: Vec<&(String, String)> = environment
            .iter()
            .filter(|(name, _)| name.starts_with("COMPANYOS_"))
            .collect();
        variables.sort();
        for (name, value) in variables {
            if name == CONFIG_FILE_ENV {
                continue;
            }
            let Some(setting) = SETTINGS.iter().find(|setting| setting.env == name) else {
                // Variables the node reads outside this table.
                if OTHER_ENV.contains(&name.as_str()) {
                    continue;
                }
                // Any setting's value may come from a file (a mounted secret) instead.
                if let Some(setting) = name
                    .strip_suffix(FILE_SUFFIX)
                    .and_then(|stem| SETTINGS.iter().find(|setting| setting.env == stem))
                {
                    if env_value(setting.env).is_some() {
                        return Err(ConfigError::Ambiguous {
                            first: setting.env.to_owned(),
                            second: name.clone(),
                        });
                    }
                    let text =
                        std::fs::read_to_string(value).map_err(|error| ConfigError::ReadFile {
                            path: PathBuf::from(value),
                            reason: format!("{name}: {error}"),
                        })?;
                    // A file ends with a newline; the value does not.
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    let text = text.strip_suffix('\r').unwrap_or(text);
                    config.set_from(setting.key, text, &format!("{name} ({value})"))?;
                    continue;
                }
                let known = SETTINGS
                    .iter()
                    .map(|setting| setting.env)
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(ConfigError::UnknownEnv {
                    name: name.clone(),
                    known,
                });
            };
            config.set_from(setting.key, value, name)?;
        }

        // 4. Flags.
        let flags = [
            ("listen", &overrides.listen, "--listen"),
            ("data_dir", &overrides.data_dir, "--data-dir"),
            ("database.url", &overrides.database_url, "--database-url"),
            ("log.format", &overrides.log_format, "--log-format"),
            ("log.level", &overrides.log_level, "--log-level"),
        ];
        for (key, value, flag) in flags {
            if let Some(value) = value {
                config.set_from(key, value, flag)?;
            }
        }
        Ok(config)
    }

    /// Defaults overlaid with the TOML file at `path`. Unknown keys and values of the
    /// wrong type are errors that name the file, the line and the key.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::ReadFile {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
        let config: Config = toml::from_str(&text).map_err(|error| {
            // The line number, and the line itself: type errors do not name the key.
            let location = error
                .span()
                .map(|span| {
                    let start = span.start.min(text.len());
                    let line = text[..start].matches('\n').count() + 1;
                    let content = text.lines().nth(line - 1).unwrap_or_default().trim();
                    format!("line {line} `{content}`: ")
                })
                .unwrap_or_default();
            ConfigError::ParseFile {
                path: path.to_owned(),
                reason: format!("{location}{}", error.message()),
            }
        })?;
        // Values serde accepted but the node cannot use (an empty log level, ...).
        for setting in SETTINGS {
            let value = config.get(setting.key)?;
            let mut check = Config::default();
            check
                .set(setting.key, &value)
                .map_err(|reason| ConfigError::InvalidValue {
                    setting: setting.key,
                    origin: path.display().to_string(),
                    value,
                    reason,
                })?;
        }
        Ok(config)
    }

    fn set_from(&mut self, key: &str, value: &str, source: &str) -> Result<(), ConfigError> {
        self.set(key, value)
            .map_err(|reason| ConfigError::InvalidValue {
                setting: SETTINGS
                    .iter()
                    .find(|setting| setting.key == key)
                    .map(|setting| setting.key)
                    .unwrap_or("setting"),
                origin: source.to_owned(),
                value: redact_value(key, value),
                reason,
            })
    }

    /// Sets one setting from its text form, checking it.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        (setting(key)?.set)(self, value)
    }

    /// One setting in its text form (the form `set` accepts).
    pub fn get(&self, key: &str) -> Result<String, SettingError> {
        Ok((setting(key)?.get)(self))
    }

    /// The database URL the node uses: the configured one, or SQLite in the data
    /// directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("companyos.db").display())
        } else {
            self.database.url.clone()
        }
    }
}

/// Environment variables the node reads that are not settings of the table.
/// (`COMPANYOS_NEW_MASTER_KEY`: the new key of `companyos keys rotate`.)
const OTHER_ENV: &[&str] = &["COMPANYOS_NEW_MASTER_KEY"];

/// `COMPANYOS_<SETTING>_FILE=<path>`: the setting's value is the file's content (without
/// its final newline) — how mounted secrets are read without entering the environment.
const FILE_SUFFIX: &str = "_FILE";

/// A value fit for an error message, a log line or `companyos config`.
pub fn redact_value(key: &str, value: &str) -> String {
    match key {
        "database.url" | "cluster.redis_url" | "cluster.amqp_url" => {
            companyos_store::redact_url(value)
        }
        "auth.jwt_secret"
        | "auth.master_key"
        | "auth.github_client_secret"
        | "llm.api_key"
        | "search.embeddings_api_key"
        | "metrics.token"
        | "cluster.cookie"
        | "archive.s3_secret_access_key"
            if !value.is_empty() =>
        {
            "***".into()
        }
        // smtp://user:password@host: the password is hidden like a database URL's.
        "mail.smtp_url" => companyos_store::redact_url(value),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn no_file() -> Overrides {
        // No --config and no COMPANYOS_CONFIG: only ./companyos.toml would be read, and
        // the crate directory tests run in has none.
        Overrides::default()
    }

    #[test]
    fn an_unknown_setting_is_an_error_to_read_or_to_set() {
        let mut config = Config::default();
        assert_eq!(
            config.get("log.colour"),
            Err(SettingError::Unknown("log.colour".into()))
        );
        assert_eq!(
            config.set("log.colour", "red"),
            Err(SettingError::Unknown("log.colour".into()))
        );
        assert!(matches!(
            config.set("log.format", "xml"),
            Err(SettingError::Invalid(_))
        ));
    }

    #[test]
    fn defaults_match_the_settings_table() {
        let config = Config::default();
        for setting in SETTINGS {
            assert_eq!(
                config.get(setting.key).as_deref(),
                Ok(setting.default),
                "{}",
                setting.key
            );
            assert!(setting.env.starts_with("COMPANYOS_"), "{}", setting.env);
        }
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url(), "sqlite://./data/companyos.db");
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        let directory = tempfile::tempdir().expect("tempdir");
        let path = directory.path().join("companyos.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7000\"\ndata_dir = \"/from/file\"\n[log]\nlevel = \"debug\"\n",
        )
        .expect("write");
        let mut overrides = Overrides {
            config_file: Some(path),
            ..no_file()
        };
        let environment = env(&[
            ("COMPANYOS_LISTEN", "127.0.0.1:7001"),
            ("COMPANYOS_DATA_DIR", "/from/env"),
        ]);
        let config = Config::load_from(&overrides, environment.clone()).expect("load");
        assert_eq!(config.listen.port(), 7001, "environment over file");
        assert_eq!(config.data_dir, PathBuf::from("/from/env"));
        assert_eq!(config.log.level, "debug", "file over default");
        overrides.listen = Some("127.0.0.1:7002".into());
        let config = Config::load_from(&overrides, environment).expect("load");
        assert_eq!(config.listen.port(), 7002, "flag over environment");
    }

    #[test]
    fn the_file_is_named_by_flag_or_environment() {
        let directory = tempfile::tempdir().expect("tempdir");
        let path = directory.path().join("custom.toml");
        std::fs::write(&path, "[database]\nmax_connections = 3\n").expect("write");
        let environment = env(&[("COMPANYOS_CONFIG", path.to_str().expect("utf-8"))]);
        let config = Config::load_from(&no_file(), environment).expect("load");
        assert_eq!(config.database.max_connections, 3);
        let missing = env(&[("COMPANYOS_CONFIG", "/nonexistent/companyos.toml")]);
        let error = Config::load_from(&no_file(), missing).expect_err("a named file must exist");
        assert!(
            error.to_string().contains("/nonexistent/companyos.toml"),
            "{error}"
        );
    }

    #[test]
    fn any_setting_may_be_read_from_a_file() {
        let directory = tempfile::tempdir().expect("tempdir");
        let secret = directory.path().join("jwt");
        std::fs::write(&secret, "a-secret-of-32-characters-from-a-mounted-file\n").expect("write");
        let secret = secret.to_str().expect("utf-8").to_owned();
        let config = Config::load_from(
            &no_file(),
            env(&[("COMPANYOS_AUTH_JWT_SECRET_FILE", secret.as_str())]),
        )
        .expect("load");
        assert_eq!(
            config.auth.jwt_secret,
            "a-secret-of-32-characters-from-a-mounted-file"
        );

        let both = env(&[
            (
                "COMPANYOS_AUTH_JWT_SECRET",
                "an-inline-secret-of-32-characters-or-more",
            ),
            ("COMPANYOS_AUTH_JWT_SECRET_FILE", secret.as_str()),
        ]);
        let error = Config::load_from(&no_file(), both).expect_err("both");
        assert!(error.to_string().contains("set one"), "{error}");

        let missing = env(&[("COMPANYOS_CLUSTER_REDIS_URL_FILE", "/nonexistent/redis")]);
        let error = Config::load_from(&no_file(), missing).expect_err("missing");
        let text = error.to_string();
        assert!(
            text.contains("/nonexistent/redis")
                && text.contains("COMPANYOS_CLUSTER_REDIS_URL_FILE"),
            "{text}"
        );

        // A bad value from a file names the variable and the file, never the value.
        let key = directory.path().join("key");
        std::fs::write(&key, "not-hex").expect("write");
        let key = key.to_str().expect("utf-8").to_owned();
        let error = Config::load_from(
            &no_file(),
            env(&[("COMPANYOS_MASTER_KEY_FILE", key.as_str())]),
        )
        .expect_err("not a key");
        let text = error.to_string();
        assert!(text.contains("COMPANYOS_MASTER_KEY_FILE"), "{text}");
        assert!(!text.contains("not-hex"), "{text}");
        assert!(
            Config::load_from(&no_file(), env(&[("COMPANYOS_NOTHING_FILE", "x")])).is_err(),
            "a _FILE variable of no setting is unknown"
        );
    }

    #[test]
    fn database_url_selects_postgres_and_companyos_variable_wins() {
        let config = Config::load_from(&no_file(), env(&[("DATABASE_URL", "postgres://u@h/db")]))
            .expect("load");
        assert_eq!(config.database_url(), "postgres://u@h/db");
        let both = env(&[
            ("DATABASE_URL", "postgres://u@h/a"),
            ("COMPANYOS_DATABASE_URL", "postgres://u@h/b"),
        ]);
        assert_eq!(
            Config::load_from(&no_file(), both)
                .expect("load")
                .database
                .url,
            "postgres://u@h/b"
        );
    }

    #[test]
    fn file_errors_name_the_file_the_line_and_the_key() {
        let directory = tempfile::tempdir().expect("tempdir");
        let path = directory.path().join("companyos.toml");
        let cases = [
            (
                "listen = \"127.0.0.1:1\"\nlisen = \"x\"\n",
                "line 2",
                "lisen",
            ),
            (
                "[database]\nmax_connections = \"many\"\n",
                "line 2",
                "max_connections",
            ),
            ("[log]\nformat = \"xml\"\n", "line 2", "xml"),
            ("listen = [\n", "line", ""),
            (
                "[queue]\nlease_secs = 0\n",
                "queue.lease_secs",
                "at least 1",
            ),
        ];
        for (text, location, key) in cases {
            std::fs::write(&path, text).expect("write");
            let error = Config::from_file(&path).expect_err(text).to_string();
            assert!(error.contains(path.to_str().expect("utf-8")), "{error}");
            assert!(error.contains(location), "{text:?} → {error}");
            assert!(error.contains(key), "{text:?} → {error}");
        }
    }

    #[test]
    fn environment_errors_name_the_variable() {
        let error =
            Config::load_from(&no_file(), env(&[("COMPANYOS_LISTN", "x")])).expect_err("unknown");
        assert!(error.to_string().contains("COMPANYOS_LISTN"), "{error}");
        assert!(
            error.to_string().contains("COMPANYOS_LISTEN"),
            "lists the known names: {error}"
        );
        let error = Config::load_from(
            &no_file(),
            env(&[("COMPANYOS_DATABASE_MAX_CONNECTIONS", "lots")]),
        )
        .expect_err("invalid");
        let message = error.to_string();
        assert!(
            message.contains("database.max_connections")
                && message.contains("COMPANYOS_DATABASE_MAX_CONNECTIONS")
        );
        let error = Config::load_from(
            &no_file(),
            env(&[("DATABASE_URL", "mysql://secret:pw@h/db")]),
        )
        .expect_err("bad");
        assert!(
            !error.to_string().contains("pw@"),
            "passwords are redacted: {error}"
        );
    }
}
