//! The call policy every client shares: waiting out rate limits (or refusing with
//! `RateLimited` when the wait is long), retrying transient failures with backoff and
//! jitter, and turning whatever went wrong into one `IntegrationError`.
//!
//! A client hands [`Caller::call`] a closure that sends one attempt and returns a
//! [`RawResponse`]; the same loop serves reqwest and octocrab.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::Secret;
use crate::IntegrationError;

/// How hard a client tries before giving up, and how long it will wait in place for a
/// rate limit to lift.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least one is always made).
    pub max_attempts: u32,
    /// Backoff before the first retry; it doubles for each retry after that.
    pub initial_backoff: Duration,
    /// Longest backoff between two attempts.
    pub max_backoff: Duration,
    /// Longest rate-limit wait slept in place; a longer one returns `RateLimited`.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (1 for the first retry): exponential,
    /// capped, with "equal jitter" (a uniform pick in the upper half) so that clients
    /// that failed together do not retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1_u32 << exponent)
            .min(self.max_backoff);
        let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        if ceiling_micros < 2 {
            return ceiling;
        }
        let half = ceiling_micros / 2;
        Duration::from_micros(rand::random_range(half..=ceiling_micros))
    }
}

/// When a service gives no hint how long to wait after a 429, wait this long.
const FALLBACK_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// One HTTP response, read in full.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Whether a failed attempt may have reached the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The connection was never made: the service cannot have acted on it.
    NotSent,
    /// It may have arrived (a timeout, a connection dropped mid-way).
    Unknown,
}

/// An attempt that produced no HTTP response.
#[derive(Debug)]
pub(crate) struct SendFailure {
    pub message: String,
    pub delivery: Delivery,
    pub retryable: bool,
}

impl SendFailure {
    pub(crate) fn from_reqwest(error: &reqwest::Error) -> Self {
        let delivery = if error.is_connect() {
            Delivery::NotSent
        } else {
            Delivery::Unknown
        };
        Self {
            message: error_chain(error),
            delivery,
            retryable: error.is_connect()
                || error.is_timeout()
                || error.is_request()
                || error.is_body(),
        }
    }
}

/// `error` and its sources, joined, so "error sending request" says why.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

/// Whether a call may be sent again after a failure whose outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Reads, and writes that are harmless to repeat.
    Safe,
    /// Creates something: retried only when it surely was not acted on.
    OnlyIfUnsent,
}

/// Which headers carry a service's request budget.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateLimitHeaders {
    /// Requests left in the window.
    pub remaining: Option<&'static str>,
    /// When the window resets, in UTC epoch seconds.
    pub reset: Option<&'static str>,
    /// GitHub answers 403 (as well as 429) when a rate limit is hit.
    pub forbidden_may_be_rate_limit: bool,
}

impl RateLimitHeaders {
    /// A service that documents no budget headers, only `Retry-After` on 429.
    pub(crate) const RETRY_AFTER_ONLY: Self = Self {
        remaining: None,
        reset: None,
        forbidden_may_be_rate_limit: false,
    };
}

/// "No requests until T", shared by every call a client makes.
#[derive(Debug, Default)]
struct RateLimitGate {
    blocked_until: Mutex<Option<Instant>>,
}

impl RateLimitGate {
    fn block_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut blocked_until = self
            .blocked_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if blocked_until.is_none_or(|current| current < until) {
            *blocked_until = Some(until);
        }
    }

    fn remaining(&self) -> Option<Duration> {
        let mut blocked_until = self
            .blocked_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let until = (*blocked_until)?;
        let now = Instant::now();
        if until <= now {
            *blocked_until = None;
            return None;
        }
        Some(until - now)
    }
}

/// The shared half of every client: its service name, policy, rate-limit state and the
/// credential to scrub from messages.
#[derive(Debug)]
pub(crate) struct Caller {
    service: &'static str,
    policy: RetryPolicy,
    headers: RateLimitHeaders,
    gate: RateLimitGate,
    secret: Secret,
}

impl Caller {
    pub(crate) fn new(
        service: &'static str,
        policy: RetryPolicy,
        headers: RateLimitHeaders,
        secret: Secret,
    ) -> Self {
        Self {
            service,
            policy,
            headers,
            gate: RateLimitGate::default(),
            secret,
        }
    }

    /// Sends with `attempt` until it succeeds (a 2xx), the policy gives up, or the error
    /// is not worth retrying. `what` names the resource for a `NotFound`.
    pub(crate) async fn call<F, Fut>(
        &self,
        replay: Replay,
        what: &str,
        mut attempt: F,
    ) -> Result<RawResponse, IntegrationError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<RawResponse, SendFailure>>,
    {
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt_number = 0_u32;
        loop {
            attempt_number += 1;
            let last_attempt = attempt_number >= max_attempts;
            self.wait_for_gate().await?;
            match attempt().await {
                Err(failure) => {
                    let may_retry = failure.retryable
                        && (replay == Replay::Safe || failure.delivery == Delivery::NotSent);
                    let message = self.secret.scrub(&failure.message);
                    if may_retry && !last_attempt {
                        let pause = self.policy.backoff(attempt_number);
                        tracing::warn!(
                            service = self.service,
                            attempt = attempt_number,
                            pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                            error = %message,
                            "request failed; retrying"
                        );
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                    return Err(IntegrationError::Transport {
                        service: self.service,
                        message,
                    });
                }
                Ok(response) => {
                    self.note_budget(&response.headers);
                    if let Some(wait) = self.rate_limit_wait(&response) {
                        self.gate.block_for(wait);
                        tracing::warn!(
                            service = self.service,
                            status = response.status.as_u16(),
                            wait_s = wait.as_secs(),
                            "rate limited"
                        );
                        if wait <= self.policy.max_wait && !last_attempt {
                            // The gate sleeps it off at the top of the loop.
                            continue;
                        }
                        return Err(IntegrationError::RateLimited {
                            service: self.service,
                            retry_after: wait,
                        });
                    }
                    if response.status.is_success() {
                        return Ok(response);
                    }
                    if is_transient(response.status) && replay == Replay::Safe && !last_attempt {
                        let pause = retry_after(&response.headers)
                            .unwrap_or_else(|| self.policy.backoff(attempt_number));
                        if pause <= self.policy.max_wait {
                            tracing::warn!(
                                service = self.service,
                                attempt = attempt_number,
                                status = response.status.as_u16(),
                                "server error; retrying"
                            );
                            tokio::time::sleep(pause).await;
                            continue;
                        }
                    }
                    return Err(self.status_error(&response, what));
                }
            }
        }
    }

    async fn wait_for_gate(&self) -> Result<(), IntegrationError> {
        if let Some(wait) = self.gate.remaining() {
            if wait > self.policy.max_wait {
                return Err(IntegrationError::RateLimited {
                    service: self.service,
                    retry_after: wait,
                });
            }
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// A response that says the budget is spent closes the gate until it resets.
    fn note_budget(&self, headers: &HeaderMap) {
        if self.budget_remaining(headers) == Some(0)
            && let Some(wait) = self.reset_wait(headers)
        {
            self.gate.block_for(wait);
        }
    }

    fn budget_remaining(&self, headers: &HeaderMap) -> Option<u64> {
        header_number(headers, self.headers.remaining?)
    }

    fn reset_wait(&self, headers: &HeaderMap) -> Option<Duration> {
        let reset_epoch = header_number(headers, self.headers.reset?)?;
        Some(until_epoch(reset_epoch))
    }

    /// How long to hold off when `response` is a rate-limit refusal.
    fn rate_limit_wait(&self, response: &RawResponse) -> Option<Duration> {
        let too_many = response.status == StatusCode::TOO_MANY_REQUESTS;
        let forbidden =
            response.status == StatusCode::FORBIDDEN && self.headers.forbidden_may_be_rate_limit;
        if !too_many && !forbidden {
            return None;
        }
        if let Some(wait) = retry_after(&response.headers) {
            return Some(wait);
        }
        if self.budget_remaining(&response.headers) == Some(0)
            && let Some(wait) = self.reset_wait(&response.headers)
        {
            return Some(wait);
        }
        if too_many {
            return Some(FALLBACK_RATE_LIMIT_WAIT);
        }
        // GitHub's secondary limits answer 403 and say so only in the message.
        vendor_message(&response.body)
            .to_ascii_lowercase()
            .contains("rate limit")
            .then_some(FALLBACK_RATE_LIMIT_WAIT)
    }

    fn status_error(&self, response: &RawResponse, what: &str) -> IntegrationError {
        let message = self.secret.scrub(&vendor_message(&response.body));
        match response.status {
            StatusCode::UNAUTHORIZED => IntegrationError::Unauthorized {
                service: self.service,
            },
            StatusCode::FORBIDDEN => IntegrationError::Forbidden {
                service: self.service,
                message,
            },
            StatusCode::NOT_FOUND => IntegrationError::NotFound {
                service: self.service,
                what: what.to_owned(),
            },
            status => IntegrationError::Api {
                service: self.service,
                status: status.as_u16(),
                message,
            },
        }
    }

    /// Parses a JSON success body.
    pub(crate) fn parse_json<T: DeserializeOwned>(
        &self,
        response: &RawResponse,
    ) -> Result<T, IntegrationError> {
        serde_json::from_slice(&response.body).map_err(|error| IntegrationError::InvalidResponse {
            service: self.service,
            message: format!("unexpected json from the api: {error}"),
        })
    }

    pub(crate) fn invalid_request(&self, message: impl Into<String>) -> IntegrationError {
        IntegrationError::InvalidRequest {
            service: self.service,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_response(&self, message: impl Into<String>) -> IntegrationError {
        IntegrationError::InvalidResponse {
            service: self.service,
            message: message.into(),
        }
    }

    /// `value` as one URL path segment, percent-encoded; empty, `.` and `..` are refused.
    pub(crate) fn path_segment(&self, name: &str, value: &str) -> Result<String, IntegrationError> {
        if value.is_empty() || value == "." || value == ".." {
            return Err(self.invalid_request(format!("{name} must not be empty, '.' or '..'")));
        }
        Ok(percent_encode(value))
    }

    /// An `Authorization: Bearer` value marked sensitive, or an error if the token
    /// cannot be sent in a header.
    pub(crate) fn bearer(&self) -> Result<http::HeaderValue, IntegrationError> {
        self.sensitive_header(&format!("Bearer {}", self.secret.expose()))
    }

    /// The bare token as a sensitive header value.
    pub(crate) fn token_header(&self) -> Result<http::HeaderValue, IntegrationError> {
        self.sensitive_header(self.secret.expose())
    }

    fn sensitive_header(&self, value: &str) -> Result<http::HeaderValue, IntegrationError> {
        let mut header = http::HeaderValue::from_str(value).map_err(|_| {
            self.invalid_request(
                "the token holds characters a header cannot carry; paste it again without spaces or line breaks",
            )
        })?;
        header.set_sensitive(true);
        Ok(header)
    }

    /// Sends one reqwest request and reads the whole response.
    pub(crate) async fn send_reqwest(
        request: reqwest::RequestBuilder,
    ) -> Result<RawResponse, SendFailure> {
        let response = request
            .send()
            .await
            .map_err(|error| SendFailure::from_reqwest(&error))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|error| SendFailure::from_reqwest(&error))?;
        Ok(RawResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// Statuses worth another try: the service or a proxy in front of it had a bad moment.
fn is_transient(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The time from now until `epoch_seconds` (zero if it has passed).
fn until_epoch(epoch_seconds: u64) -> Duration {
    let reset = UNIX_EPOCH + Duration::from_secs(epoch_seconds);
    reset
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
}

/// `Retry-After`, as delay-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let epoch = u64::try_from(date.timestamp()).ok()?;
    Some(until_epoch(epoch))
}

/// The human part of a vendor's error body: GitHub and LinkedIn `message`, Vercel
/// `error.message`, Figma `err` or `message`, X `errors[0].message` or `detail`,
/// Slack `error`; otherwise the start of the text.
pub(crate) fn vendor_message(body: &[u8]) -> String {
    const LIMIT: usize = 300;
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let candidates = [
            json.get("message"),
            json.pointer("/error/message"),
            json.get("err"),
            json.pointer("/errors/0/message"),
            json.get("detail"),
            json.get("title"),
            json.get("error"),
        ];
        if let Some(text) = candidates
            .into_iter()
            .flatten()
            .find_map(serde_json::Value::as_str)
            .filter(|text| !text.is_empty())
        {
            return truncate(text, LIMIT);
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "no error message given".to_owned()
    } else {
        truncate(text, LIMIT)
    }
}

fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The `page` number of the `rel="next"` link in a `Link` header, if there is one.
pub(crate) fn next_page(headers: &HeaderMap) -> Option<u32> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params.contains("rel=\"next\"") {
            return None;
        }
        let url = target.trim().trim_start_matches('<').trim_end_matches('>');
        let query = url.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("page="))
            .and_then(|page| page.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_stays_under_the_cap_and_keeps_half_of_it() {
        let policy = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            max_wait: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = policy.backoff(2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = policy.backoff(10);
            assert!(capped >= Duration::from_millis(150) && capped <= Duration::from_millis(300));
        }
    }

    #[test]
    fn vendor_messages_are_found_in_each_vendors_shape() {
        let cases: [(&str, &str); 7] = [
            (r#"{"message":"Bad credentials"}"#, "Bad credentials"),
            (
                r#"{"error":{"code":"forbidden","message":"Not authorized"}}"#,
                "Not authorized",
            ),
            (r#"{"status":403,"err":"Invalid token"}"#, "Invalid token"),
            (
                r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#,
                "Rate limit exceeded",
            ),
            (r#"{"title":"Forbidden","detail":"Too long"}"#, "Too long"),
            (r#"{"ok":false,"error":"invalid_auth"}"#, "invalid_auth"),
            ("upstream connect error", "upstream connect error"),
        ];
        for (body, expected) in cases {
            assert_eq!(vendor_message(body.as_bytes()), expected, "{body}");
        }
    }

    #[test]
    fn link_headers_give_the_next_page() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static(
                "<https://api.github.com/repositories/1/pulls/2/files?per_page=100&page=3>; rel=\"next\", <https://api.github.com/repositories/1/pulls/2/files?per_page=100&page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(next_page(&headers), Some(3));
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static(
                "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=1>; rel=\"first\"",
            ),
        );
        assert_eq!(next_page(&headers), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("7"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(percent_encode("a b/c?d"), "a%20b%2Fc%3Fd");
        assert_eq!(percent_encode("dpl_2euZ-x.y~"), "dpl_2euZ-x.y~");
    }
}
