//! Rate limiting: a token bucket per key, refilled continuously; an empty bucket answers
//! 429 with `Retry-After`. The authentication routes are limited per client address
//! (password guessing, registration floods) — the TCP peer, as the router is served with
//! connect info, so behind a proxy every client shares the proxy's bucket; every other
//! route per signed-in user (checked where the access token is verified).
//!
//! With Redis (`redis.url`) a bucket is shared by every node of the cluster, counted on
//! Redis's clock; while Redis does not answer, each node counts with its own buckets
//! (`companyos_redis_fallbacks_total{use="rate_limit"}`), so a client may get up to that
//! many times its share — never fewer requests than it is owed.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use companyos_store::shared::Redis;

use crate::AppState;
use crate::error::ApiError;

/// Buckets kept before full ones are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
    /// The cluster's Redis and the name its buckets are kept under.
    shared: Option<(Redis, &'static str)>,
}

impl<K: Hash + Eq + std::fmt::Display> RateLimiter<K> {
    /// `per_minute` requests a minute per address, in bursts of at most that many.
    pub fn new(per_minute: u32) -> RateLimiter<K> {
        RateLimiter {
            per_minute: per_minute.max(1),
            buckets: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Keeps the buckets in `redis` under `name`, shared by every node.
    pub fn shared(mut self, redis: Redis, name: &'static str) -> RateLimiter<K> {
        self.shared = Some((redis, name));
        self
    }

    /// Takes one token for `key` — from the cluster's bucket when there is one and it
    /// answers, else from this node's — or says how long until one is free.
    pub async fn take(&self, key: K) -> Result<(), Duration> {
        if let Some((redis, name)) = &self.shared {
            match redis
                .take_token(&format!("{name}:{key}"), self.per_minute)
                .await
            {
                Ok(taken) => return taken,
                Err(_) => {
                    metrics::counter!("companyos_redis_fallbacks_total", "use" => "rate_limit")
                        .increment(1);
                }
            }
        }
        self.check(key, Instant::now())
    }

    /// Takes one token for `address`, or says how long until one is free.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_TRACKED {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, at) = buckets.entry(key).or_insert((capacity, now));
        let available =
            (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if available >= 1.0 {
            *tokens = available - 1.0;
            Ok(())
        } else {
            *tokens = available;
            Err(Duration::from_secs_f64((1.0 - available) / per_second))
        }
    }
}

pub(crate) async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    match state.auth.rate_limiter.take(address).await {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.as_secs() + 1;
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                format!("too many authentication requests from this address; retry in {seconds} s"),
            )
            .retry_after(seconds)
            .into_response()
        }
    }
}

/// The client's address as the server saw it (unspecified where no server put it there,
/// as in a router driven without one).
pub(crate) struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::{Duration, Instant};

    use super::RateLimiter;

    #[test]
    fn a_bucket_empties_refills_and_is_per_address() {
        let limiter = RateLimiter::new(60);
        let (one, two) = (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        );
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.check(one, start).is_ok());
        }
        let wait = limiter.check(one, start).expect_err("empty");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(
            limiter.check(two, start).is_ok(),
            "another address has its own bucket"
        );
        assert!(
            limiter
                .check(one, start + Duration::from_millis(1100))
                .is_ok(),
            "one token a second comes back"
        );
    }
}
