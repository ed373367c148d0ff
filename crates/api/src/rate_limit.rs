//! Rate limiting: a token bucket per key, refilled continuously; an empty bucket answers
//! 429 with `Retry-After`. The authentication routes are limited per client address
//! (password guessing, registration floods) — the TCP peer, as the router is served with
//! connect info, so behind a proxy every client shares the proxy's bucket; every other
//! route per signed-in user (checked where the access token is verified).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// Buckets kept before full ones are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// `per_minute` requests a minute per address, in bursts of at most that many.
    pub fn new(per_minute: u32) -> RateLimiter<K> {
        RateLimiter {
            per_minute: per_minute.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
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
    match state.auth.rate_limiter.check(address, Instant::now()) {
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
