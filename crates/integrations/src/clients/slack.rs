//! The Slack Web API client: `chat.postMessage`, `chat.postEphemeral` and `users.info`.
//! Slack answers HTTP 200 even when the
//! call failed, with `{"ok": false, "error": "<code>"}`; that is an error here.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::call::{Caller, RateLimitHeaders, Replay};
use super::{RetryPolicy, Secret};
use crate::IntegrationError;

const SERVICE: &str = "slack";

/// Slack error codes that mean the token is no good.
const AUTH_ERRORS: [&str; 5] = [
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
];

/// Where and how to reach Slack.
#[derive(Clone, Debug)]
pub struct SlackConfig {
    /// A bot token (`xoxb-…`) with `chat:write`.
    pub token: Secret,
    /// `https://slack.com/api`.
    pub base_url: String,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl SlackConfig {
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            base_url: "https://slack.com/api".to_owned(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// A Slack Web API client. Cheap to clone; clones share the rate-limit state.
#[derive(Clone, Debug)]
pub struct SlackClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    caller: Caller,
}

/// A message to post. `text` is the notification fallback when `blocks` are given.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SlackMessage {
    /// A channel id (`C…`), or a user id for a direct message.
    pub channel: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<serde_json::Value>,
    /// Reply in the thread of this message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_broadcast: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfurl_links: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfurl_media: Option<bool>,
}

impl SlackMessage {
    /// A plain-text message.
    pub fn text(channel: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            channel: channel.into(),
            text: text.into(),
            ..Self::default()
        }
    }
}

/// Where the message landed: `ts` identifies it (and its thread) from now on.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PostedMessage {
    pub channel: String,
    pub ts: String,
    #[serde(default)]
    pub message: Option<serde_json::Value>,
}

/// A Slack user as `users.info` describes them; only the fields read here.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SlackUser {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub profile: SlackProfile,
}

/// The profile of a [`SlackUser`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct SlackProfile {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub real_name: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

impl SlackClient {
    pub fn new(config: SlackConfig) -> Result<Self, IntegrationError> {
        let caller = Caller::new(
            SERVICE,
            config.retry,
            RateLimitHeaders::RETRY_AFTER_ONLY,
            config.token,
        );
        caller.bearer()?;
        let http = crate::http::client(config.timeout)
            .map_err(|error| caller.invalid_request(error.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                caller,
            }),
        })
    }

    /// `POST chat.postMessage`.
    pub async fn post_message(
        &self,
        message: &SlackMessage,
    ) -> Result<PostedMessage, IntegrationError> {
        if message.channel.is_empty() {
            return Err(self.inner.caller.invalid_request("a channel is required"));
        }
        let what = format!("channel {}", message.channel);
        self.api("chat.postMessage", message, &what, Replay::OnlyIfUnsent)
            .await
    }

    /// `POST chat.postEphemeral`: a message only `user` sees, in `channel`.
    pub async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        text: &str,
    ) -> Result<(), IntegrationError> {
        if channel.is_empty() || user.is_empty() {
            return Err(self
                .inner
                .caller
                .invalid_request("a channel and a user are required"));
        }
        let body = serde_json::json!({"channel": channel, "user": user, "text": text});
        let what = format!("channel {channel}");
        let _: serde_json::Value = self
            .api("chat.postEphemeral", &body, &what, Replay::OnlyIfUnsent)
            .await?;
        Ok(())
    }

    /// `POST users.info`: who a Slack user is (with the `users:read.email` scope, their
    /// e-mail address).
    pub async fn user_info(&self, user: &str) -> Result<SlackUser, IntegrationError> {
        #[derive(Deserialize)]
        struct Answer {
            user: SlackUser,
        }
        let body = serde_json::json!({"user": user});
        let what = format!("user {user}");
        let answer: Answer = self.api("users.info", &body, &what, Replay::Safe).await?;
        Ok(answer.user)
    }

    /// One Web API call with a JSON body; `{"ok": false}` is an error.
    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        body: &impl Serialize,
        what: &str,
        replay: Replay,
    ) -> Result<T, IntegrationError> {
        let inner = &self.inner;
        let body = serde_json::to_vec(body)
            .map_err(|error| inner.caller.invalid_request(error.to_string()))?;
        let url = format!("{}/{method}", inner.base_url);
        let bearer = inner.caller.bearer()?;
        let response = inner
            .caller
            .call(replay, what, || {
                let request = inner
                    .http
                    .post(&url)
                    .header(http::header::AUTHORIZATION, bearer.clone())
                    .header(
                        http::header::CONTENT_TYPE,
                        "application/json; charset=utf-8",
                    )
                    .body(body.clone());
                Caller::send_reqwest(request)
            })
            .await?;
        let envelope: Envelope = inner.caller.parse_json(&response)?;
        if !envelope.ok {
            let error = envelope.error.unwrap_or_else(|| "unknown_error".to_owned());
            if AUTH_ERRORS.contains(&error.as_str()) {
                return Err(IntegrationError::Unauthorized { service: SERVICE });
            }
            return Err(IntegrationError::Slack { error });
        }
        inner.caller.parse_json(&response)
    }
}
