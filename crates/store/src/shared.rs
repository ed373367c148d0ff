//! What the nodes of a cluster share through Redis (setting `redis.url`): token buckets
//! for rate limits, the agents' LLM spend, and a stream for the event bus's fan-out.
//!
//! Redis is never the truth — the database is — so every caller has a local fallback,
//! and this handle is built to fail fast: each command has a short deadline, and after
//! a failure Redis is not asked again for [`REST`], so a Redis that is down or paused
//! costs a request at most one deadline, not one per request. The first failure and the
//! recovery are logged once each; `companyos_redis_up` says which it is now.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ::redis::AsyncCommands;
use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::streams::{StreamMaxlen, StreamRangeReply, StreamReadOptions, StreamReadReply};

use crate::AgentId;

/// How long one command may take before Redis counts as unavailable.
const DEADLINE: Duration = Duration::from_millis(250);
/// How long Redis is left alone after a failure.
pub const REST: Duration = Duration::from_secs(1);

/// Why Redis did not answer; the caller falls back to what this node knows.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    #[error("Redis did not answer within {} ms", DEADLINE.as_millis())]
    Timeout,
    #[error("Redis failed a moment ago; this node counts alone until it is asked again")]
    Resting,
    #[error("Redis: {0}")]
    Redis(#[from] ::redis::RedisError),
}

/// Why a `redis.url` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SharedConfigError {
    #[error("expected redis://host:port[/db]: {0}")]
    Url(::redis::RedisError),
    #[error(
        "rediss:// (TLS) is not supported yet: reach Redis over a private network with redis://"
    )]
    Tls,
}

/// An LLM budget that is spent, and how long until its window turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spent {
    TokensToday { limit: u64, wait: Duration },
    RequestsThisMinute { limit: u32, wait: Duration },
}

/// A cheap-to-clone handle on the cluster's Redis.
#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    client: ::redis::Client,
    manager: ConnectionManager,
    prefix: String,
    health: Mutex<Health>,
    bucket: ::redis::Script,
    reserve: ::redis::Script,
}

/// What the last command found.
#[derive(Default)]
struct Health {
    down: bool,
    /// Set after a failure: Redis is not asked before this instant.
    retry_at: Option<Instant>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

/// A token bucket refilled continuously, on the server's clock so that every node agrees:
/// `KEYS[1]` the bucket, `ARGV[1]` its capacity, `ARGV[2]` tokens per second. Answers the
/// seconds to wait, as text (0 when a token was taken).
const BUCKET: &str = r"
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return tostring(wait)
";

/// Takes one request of an agent's minute unless a budget is spent: `KEYS[1]` the day's
/// tokens, `KEYS[2]` the minute's requests, `ARGV[1]` and `ARGV[2]` their limits (-1: none),
/// `ARGV[3]` the minute key's lifetime in seconds. Answers 0 (taken), 1 (tokens spent) or
/// 2 (requests spent).
const RESERVE: &str = r"
local tokens = tonumber(redis.call('GET', KEYS[1]) or '0')
local token_limit = tonumber(ARGV[1])
if token_limit >= 0 and tokens >= token_limit then return 1 end
local requests = tonumber(redis.call('GET', KEYS[2]) or '0')
local request_limit = tonumber(ARGV[2])
if request_limit >= 0 and requests >= request_limit then return 2 end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 0
";

const DAY_SECS: u64 = 24 * 60 * 60;

impl Redis {
    /// A handle on the Redis at `url`, keys and channels under `prefix`. Nothing is
    /// dialled yet: a Redis that is down at start is not an error (the node counts alone
    /// until it answers); only an address that cannot be one is.
    pub fn new(url: &str, prefix: &str) -> Result<Redis, SharedConfigError> {
        if url.starts_with("rediss://") {
            return Err(SharedConfigError::Tls);
        }
        let client = ::redis::Client::open(url).map_err(SharedConfigError::Url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEADLINE))
            .set_response_timeout(Some(DEADLINE))
            .set_number_of_retries(1)
            .set_max_delay(REST);
        let manager = client
            .get_connection_manager_lazy(config)
            .map_err(SharedConfigError::Url)?;
        Ok(Redis {
            inner: Arc::new(Inner {
                client,
                manager,
                prefix: prefix.to_owned(),
                health: Mutex::default(),
                bucket: ::redis::Script::new(BUCKET),
                reserve: ::redis::Script::new(RESERVE),
            }),
        })
    }

    /// A key or channel name under this cluster's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.inner.prefix)
    }

    /// Whether Redis answered the last command asked of it.
    pub fn is_up(&self) -> bool {
        !self.health().down
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.inner
            .health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one command within the deadline, minding the rest after a failure.
    async fn run<T, F>(&self, command: F) -> Result<T, SharedError>
    where
        F: std::future::Future<Output = Result<T, ::redis::RedisError>>,
    {
        if self
            .health()
            .retry_at
            .is_some_and(|retry_at| Instant::now() < retry_at)
        {
            return Err(SharedError::Resting);
        }
        let outcome = match tokio::time::timeout(DEADLINE, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(SharedError::Redis(error)),
            Err(_) => Err(SharedError::Timeout),
        };
        let mut health = self.health();
        match &outcome {
            Ok(_) => {
                health.retry_at = None;
                if std::mem::take(&mut health.down) {
                    tracing::info!(
                        "Redis answers again: rate limits, LLM budgets and the event bus are shared by the cluster's nodes again"
                    );
                }
                ::metrics::gauge!("companyos_redis_up").set(1.0);
            }
            Err(error) => {
                if !std::mem::replace(&mut health.down, true) {
                    tracing::warn!(%error, "Redis is unavailable: this node counts rate limits and LLM budgets alone, and the event bus fans out through PostgreSQL, until it answers");
                }
                ::metrics::gauge!("companyos_redis_up").set(0.0);
                health.retry_at = Some(Instant::now() + REST);
            }
        }
        outcome
    }

    /// Asks Redis whether it is there.
    pub async fn ping(&self) -> Result<(), SharedError> {
        let mut connection = self.inner.manager.clone();
        self.run(async move {
            ::redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        })
        .await
        .map(drop)
    }

    /// Takes a token from the bucket `name` (`per_minute` tokens a minute, bursts of as
    /// many): `Ok(Ok(()))` taken, `Ok(Err(wait))` empty for `wait`.
    pub async fn take_token(
        &self,
        name: &str,
        per_minute: u32,
    ) -> Result<Result<(), Duration>, SharedError> {
        let capacity = f64::from(per_minute.max(1));
        let key = self.key(&format!("bucket:{name}"));
        let mut connection = self.inner.manager.clone();
        let script = &self.inner.bucket;
        let wait: String = self
            .run(async move {
                script
                    .key(key)
                    .arg(capacity)
                    .arg(capacity / 60.0)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        let wait: f64 = wait.parse().unwrap_or(0.0);
        Ok(if wait > 0.0 {
            Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::from_secs(60)))
        } else {
            Ok(())
        })
    }

    fn spend_keys(&self, agent: AgentId, now: u64) -> (String, String) {
        (
            self.key(&format!("llm:{agent}:tokens:{}", now / DAY_SECS)),
            self.key(&format!("llm:{agent}:requests:{}", now / 60)),
        )
    }

    /// Counts one request of `agent` against its budgets, unless one is spent. The windows
    /// are the UTC day and the clock's minute.
    pub async fn reserve_request(
        &self,
        agent: AgentId,
        tokens_per_day: Option<u64>,
        requests_per_minute: Option<u32>,
    ) -> Result<Option<Spent>, SharedError> {
        let now = unix_seconds();
        let (tokens, requests) = self.spend_keys(agent, now);
        let mut connection = self.inner.manager.clone();
        let script = &self.inner.reserve;
        let token_limit =
            tokens_per_day.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        let request_limit = requests_per_minute.map_or(-1, i64::from);
        let answer: i64 = self
            .run(async move {
                script
                    .key(tokens)
                    .key(requests)
                    .arg(token_limit)
                    .arg(request_limit)
                    .arg(120)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(match (answer, tokens_per_day, requests_per_minute) {
            (1, Some(limit), _) => Some(Spent::TokensToday {
                limit,
                wait: Duration::from_secs(DAY_SECS - now % DAY_SECS),
            }),
            (2, _, Some(limit)) => Some(Spent::RequestsThisMinute {
                limit,
                wait: Duration::from_secs(60 - now % 60),
            }),
            _ => None,
        })
    }

    /// Adds the tokens an answer used to `agent`'s day.
    pub async fn record_tokens(&self, agent: AgentId, used: u64) -> Result<(), SharedError> {
        let (tokens, _) = self.spend_keys(agent, unix_seconds());
        let mut connection = self.inner.manager.clone();
        self.run(async move {
            ::redis::pipe()
                .atomic()
                .incr(&tokens, used)
                .ignore()
                .expire(&tokens, i64::try_from(2 * DAY_SECS).unwrap_or(i64::MAX))
                .ignore()
                .query_async::<()>(&mut connection)
                .await
        })
        .await
    }

    /// Appends `payload` to the stream `name` (under the prefix), which keeps about the
    /// last [`STREAM_KEEP`] entries.
    pub async fn append(&self, name: &str, payload: &[u8]) -> Result<(), SharedError> {
        let stream = self.key(name);
        let mut connection = self.inner.manager.clone();
        self.run(async move {
            connection
                .xadd_maxlen::<_, _, _, _, ()>(
                    stream,
                    StreamMaxlen::Approx(STREAM_KEEP),
                    "*",
                    &[(PAYLOAD_FIELD, payload)],
                )
                .await
        })
        .await
    }

    /// Follows the stream `name` (under the prefix) from its end as it is when the
    /// follower first reaches Redis.
    pub fn follow(&self, name: &str) -> Follower {
        Follower {
            client: self.inner.client.clone(),
            stream: self.key(name),
            connection: None,
            after: None,
        }
    }
}

/// How many entries a stream keeps (approximately: Redis trims whole nodes).
pub const STREAM_KEEP: usize = 10_000;

/// The field an entry's payload is kept under.
const PAYLOAD_FIELD: &str = "p";

/// A reader of one stream, on a connection of its own (a blocked read would stall
/// every other command on a shared one). It remembers the last entry it read, so a
/// follower whose connection was lost goes on after that entry once it reconnects:
/// nothing appended while it was away is missed, as long as the stream still keeps it.
/// Entries appended to a Redis that then restarted without them are gone; what the
/// stream carries is also in the database.
pub struct Follower {
    client: ::redis::Client,
    stream: String,
    connection: Option<::redis::aio::MultiplexedConnection>,
    /// The id of the last entry read (`None` until the stream's end is first known).
    after: Option<String>,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("stream", &self.stream)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl Follower {
    /// The payloads appended after the last entry read, waiting up to `wait` for one
    /// (an empty batch when none came). An error means Redis did not answer: call again
    /// (after a pause) and the follower dials again and goes on where it was.
    pub async fn next(&mut self, wait: Duration) -> Result<Vec<Vec<u8>>, SharedError> {
        let outcome = self.read(wait).await;
        if outcome.is_err() {
            self.connection = None;
        }
        outcome
    }

    async fn read(&mut self, wait: Duration) -> Result<Vec<Vec<u8>>, SharedError> {
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => {
                let config = ::redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(DEADLINE * 4))
                    .set_response_timeout(Some(wait + DEADLINE * 4));
                self.client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?
            }
        };
        let after = match &self.after {
            Some(after) => after.clone(),
            None => {
                let last: StreamRangeReply = connection
                    .xrevrange_count(&self.stream, "+", "-", 1)
                    .await?;
                let end = last
                    .ids
                    .first()
                    .map_or_else(|| "0-0".to_owned(), |entry| entry.id.clone());
                self.after = Some(end.clone());
                end
            }
        };
        let options = StreamReadOptions::default()
            .block(usize::try_from(wait.as_millis()).unwrap_or(usize::MAX))
            .count(256);
        let reply: Option<StreamReadReply> = connection
            .xread_options(&[&self.stream], &[&after], &options)
            .await?;
        self.connection = Some(connection);
        let entries = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids);
        let mut payloads = Vec::new();
        for entry in entries {
            if let Some(::redis::Value::BulkString(payload)) = entry.map.get(PAYLOAD_FIELD) {
                payloads.push(payload.clone());
            }
            self.after = Some(entry.id);
        }
        Ok(payloads)
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
