//! `IntegrationError`: every way talking to a connected service can fail, and the two
//! questions a caller asks of a failure — may it be retried, and after how long.
//!
//! Messages never carry credentials: clients hold tokens in [`crate::clients::Secret`]
//! and only the vendor's own error text (scrubbed of the token) is passed through.

use std::time::Duration;

/// Every way talking to a connected service can fail.
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error(
        "unknown service {0:?}; expected one of github, vercel, figma, slack, twitter, linkedin"
    )]
    UnknownService(String),

    /// The service asked us to slow down for longer than the client waits in place:
    /// re-queue the work and try again after `retry_after`.
    #[error(
        "{service} is rate limiting requests; re-queue the task and retry in {}s",
        retry_after.as_secs().max(1)
    )]
    RateLimited {
        service: &'static str,
        retry_after: Duration,
    },

    /// The credentials were rejected (missing, expired or revoked).
    #[error("{service} rejected the credentials; reconnect the integration or replace its token")]
    Unauthorized { service: &'static str },

    /// The credentials are valid but may not do this.
    #[error(
        "{service} refused the request: {message}; check the token's scopes and the app's permissions"
    )]
    Forbidden {
        service: &'static str,
        message: String,
    },

    /// The thing asked for does not exist, or the token cannot see it.
    #[error("{service} has no {what}; check the identifier and that the token can see it")]
    NotFound { service: &'static str, what: String },

    /// Any other error status, with the vendor's own message.
    #[error("{service} answered {status}: {message}")]
    Api {
        service: &'static str,
        status: u16,
        message: String,
    },

    /// The request did not complete: connection refused, DNS, TLS, timeout.
    #[error("could not reach {service}: {message}; check the network and the configured base url")]
    Transport {
        service: &'static str,
        message: String,
    },

    /// The service answered with a success status but a body we cannot read.
    #[error("{service} sent a response that could not be read: {message}")]
    InvalidResponse {
        service: &'static str,
        message: String,
    },

    /// Slack answered HTTP 200 with `"ok": false` and this error code.
    #[error("slack refused the call with {error:?}; see the method's documented errors")]
    Slack { error: String },

    /// The request could not be built from what the caller gave (an empty id, a token
    /// that cannot be sent in a header, a base url that is not a url).
    #[error("invalid {service} request: {message}")]
    InvalidRequest {
        service: &'static str,
        message: String,
    },
}

impl IntegrationError {
    /// Whether trying the same call again later may succeed: rate limits, transport
    /// failures and server-side errors, but not bad credentials or bad requests.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } => true,
            Self::Api { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            Self::Slack { error } => matches!(
                error.as_str(),
                "ratelimited" | "service_unavailable" | "internal_error" | "fatal_error"
            ),
            Self::UnknownService(_)
            | Self::Unauthorized { .. }
            | Self::Forbidden { .. }
            | Self::NotFound { .. }
            | Self::InvalidResponse { .. }
            | Self::InvalidRequest { .. } => false,
        }
    }

    /// How long the service asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The service the failure came from, when there was one.
    pub fn service(&self) -> Option<&'static str> {
        match self {
            Self::RateLimited { service, .. }
            | Self::Unauthorized { service }
            | Self::Forbidden { service, .. }
            | Self::NotFound { service, .. }
            | Self::Api { service, .. }
            | Self::Transport { service, .. }
            | Self::InvalidResponse { service, .. }
            | Self::InvalidRequest { service, .. } => Some(service),
            Self::Slack { .. } => Some("slack"),
            Self::UnknownService(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_and_server_errors_are_retryable_and_client_errors_are_not() {
        let rate_limited = IntegrationError::RateLimited {
            service: "github",
            retry_after: Duration::from_secs(90),
        };
        assert!(rate_limited.is_retryable());
        assert_eq!(rate_limited.retry_after(), Some(Duration::from_secs(90)));
        assert!(rate_limited.to_string().contains("retry in 90s"));

        let server = IntegrationError::Api {
            service: "vercel",
            status: 502,
            message: "bad gateway".into(),
        };
        assert!(server.is_retryable());
        assert_eq!(server.retry_after(), None);

        let unprocessable = IntegrationError::Api {
            service: "github",
            status: 422,
            message: "validation failed".into(),
        };
        assert!(!unprocessable.is_retryable());
        assert!(!IntegrationError::Unauthorized { service: "figma" }.is_retryable());
        assert!(
            !IntegrationError::Slack {
                error: "channel_not_found".into()
            }
            .is_retryable()
        );
        assert!(
            IntegrationError::Slack {
                error: "ratelimited".into()
            }
            .is_retryable()
        );
    }
}
