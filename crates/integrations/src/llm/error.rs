//! `LlmError`: every way asking a language model can fail, and the two questions a caller
//! asks of a failure — may it be retried, and after how long.
//!
//! Messages never carry the API key: an `Unauthorized` carries nothing of the provider's
//! reply (OpenAI's echoes part of the key), and every other provider message passed on is
//! scrubbed of it first.

use std::time::Duration;

/// Every way a completion can fail.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The provider answered 429: too many requests or tokens for now. Re-queue the work
    /// and try again after `retry_after` (when the provider said how long).
    #[error("the llm provider is rate limiting requests; {}", retry_hint(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },

    /// The provider refused the API key (401) or its permissions (403).
    #[error(
        "the llm provider refused the api key; check the configured key and that its account may use the model"
    )]
    Unauthorized,

    /// The provider is overloaded (Anthropic's 529, a 503): nothing wrong with the request.
    #[error("the llm provider is overloaded; {}", retry_hint(*.retry_after))]
    Overloaded { retry_after: Option<Duration> },

    /// The provider refused the request as it was (400, 404, 422, an exhausted quota), with
    /// its own message: an unknown model, a prompt too long, `max_tokens` out of range.
    #[error("the llm provider rejected the request: {0}; check the model name and the request")]
    BadRequest(String),

    /// No usable reply: the connection failed, the timeout passed, or the provider had a
    /// server error.
    #[error(
        "the llm provider is unavailable: {0}; check the network and the base url, or raise the timeout"
    )]
    Unavailable(String),

    /// A success status with an answer that does not parse.
    #[error(
        "the llm provider sent an answer that could not be read: {0}; check that the base url points at an api of the configured provider"
    )]
    Malformed(String),

    /// The configuration cannot make a client (an unknown provider name, a bad base url).
    #[error("invalid llm configuration: {0}")]
    InvalidConfig(String),
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(
            "re-queue the task and retry in {}s",
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        ),
        None => "re-queue the task and retry later".to_owned(),
    }
}

impl LlmError {
    /// Whether the same request may succeed later: rate limits, overload and unavailability,
    /// but not refused keys, bad requests or unreadable answers.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Overloaded { .. } | Self::Unavailable(_) => true,
            Self::Unauthorized
            | Self::BadRequest(_)
            | Self::Malformed(_)
            | Self::InvalidConfig(_) => false,
        }
    }

    /// What may be shown to the people who see a task: the kind of failure and what to
    /// check, without the provider's (or whatever answered's) own words, which stay in
    /// the operator's log.
    pub fn public_message(&self) -> String {
        match self {
            Self::RateLimited { .. } | Self::Overloaded { .. } | Self::Unauthorized => {
                self.to_string()
            }
            Self::BadRequest(_) => "the llm provider rejected the request; the node's log says why (an unknown model, a prompt too long)".to_owned(),
            Self::Unavailable(_) => "the llm provider is unavailable; the node's log says why".to_owned(),
            Self::Malformed(_) => "the llm provider sent an answer that could not be read; check that llm.base_url points at an api of the configured provider".to_owned(),
            Self::InvalidConfig(_) => "the node's llm settings cannot make a client; the node's log says why".to_owned(),
        }
    }

    /// How long the provider asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Overloaded { retry_after } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_task_shows_never_carries_the_upstream_words() {
        for error in [
            LlmError::BadRequest("internal admin page: secret=42".into()),
            LlmError::Unavailable("internal admin page: secret=42".into()),
            LlmError::Malformed("internal admin page: secret=42".into()),
            LlmError::InvalidConfig("internal admin page: secret=42".into()),
        ] {
            assert!(error.to_string().contains("secret=42"));
            assert!(!error.public_message().contains("secret"), "{error:?}");
        }
    }

    #[test]
    fn waits_are_retryable_and_refusals_are_not() {
        let rate_limited = LlmError::RateLimited {
            retry_after: Some(Duration::from_millis(1_500)),
        };
        assert!(rate_limited.is_retryable());
        assert_eq!(
            rate_limited.retry_after(),
            Some(Duration::from_millis(1_500))
        );
        assert!(
            rate_limited.to_string().contains("retry in 2s"),
            "{rate_limited}"
        );

        let overloaded = LlmError::Overloaded { retry_after: None };
        assert!(overloaded.is_retryable());
        assert_eq!(overloaded.retry_after(), None);
        assert!(overloaded.to_string().ends_with("retry later"));

        assert!(LlmError::Unavailable("timed out".into()).is_retryable());
        for refusal in [
            LlmError::Unauthorized,
            LlmError::BadRequest("model: claude-nope".into()),
            LlmError::Malformed("expected value".into()),
            LlmError::InvalidConfig("unknown provider".into()),
        ] {
            assert!(!refusal.is_retryable(), "{refusal}");
            assert_eq!(refusal.retry_after(), None);
        }
    }
}
