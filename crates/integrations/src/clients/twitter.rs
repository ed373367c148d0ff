//! The X (formerly Twitter) API v2 client: create a post (`POST /2/tweets`), read posts'
//! public metrics (`GET /2/tweets?ids=…`) and the token's own account (`GET /2/users/me`,
//! name and follower count) with an OAuth 2.0 user-context bearer token. Budget headers
//! are `x-rate-limit-*`.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::call::{Caller, RateLimitHeaders, Replay};
use super::{RetryPolicy, Secret};
use crate::IntegrationError;

const SERVICE: &str = "twitter";

/// Where and how to reach X.
#[derive(Clone, Debug)]
pub struct TwitterConfig {
    /// An OAuth 2.0 user-context access token with `tweet.write`.
    pub token: Secret,
    /// `https://api.x.com` (`https://api.twitter.com` serves the same API).
    pub base_url: String,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl TwitterConfig {
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            base_url: "https://api.x.com".to_owned(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// An X API v2 client. Cheap to clone; clones share the rate-limit state.
#[derive(Clone, Debug)]
pub struct TwitterClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    caller: Caller,
}

/// The post this one replies to.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Reply {
    pub in_reply_to_tweet_id: String,
}

/// A post to create. The API refuses unknown fields, so only these are sent.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct NewPost {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_tweet_id: Option<String>,
}

impl NewPost {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// The created post.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CreatedPost {
    pub id: String,
    pub text: String,
    /// `edit_history_post_ids` in the current API, `edit_history_tweet_ids` before.
    #[serde(default, alias = "edit_history_tweet_ids")]
    pub edit_history_post_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// The token's own account, as `GET /2/users/me` describes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub username: String,
    #[serde(default)]
    pub profile_image_url: Option<String>,
    #[serde(default)]
    pub public_metrics: Option<PublicMetrics>,
}

/// An account's counts (`user.fields=public_metrics`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct PublicMetrics {
    #[serde(default)]
    pub followers_count: u64,
    #[serde(default)]
    pub following_count: u64,
    #[serde(default)]
    pub tweet_count: u64,
}

/// A post's public counts (`tweet.fields=public_metrics`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct PostMetrics {
    #[serde(default)]
    pub like_count: u64,
    #[serde(default)]
    pub reply_count: u64,
    #[serde(default)]
    pub retweet_count: u64,
    #[serde(default)]
    pub quote_count: u64,
    #[serde(default)]
    pub bookmark_count: u64,
    /// Views; X gives it for the author's own posts.
    #[serde(default)]
    pub impression_count: u64,
}

/// A post found by id, with its counts.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FoundPost {
    pub id: String,
    #[serde(default)]
    pub public_metrics: PostMetrics,
}

/// The most ids one `GET /2/tweets` takes.
pub const MAX_LOOKUP_IDS: usize = 100;

#[derive(Deserialize)]
struct Lookup {
    #[serde(default)]
    data: Vec<FoundPost>,
}

impl TwitterClient {
    pub fn new(config: TwitterConfig) -> Result<Self, IntegrationError> {
        let caller = Caller::new(
            SERVICE,
            config.retry,
            RateLimitHeaders {
                remaining: Some("x-rate-limit-remaining"),
                reset: Some("x-rate-limit-reset"),
                forbidden_may_be_rate_limit: false,
            },
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

    /// `POST /2/tweets`.
    pub async fn create_post(&self, post: &NewPost) -> Result<CreatedPost, IntegrationError> {
        let inner = &self.inner;
        if post.text.trim().is_empty() {
            return Err(inner.caller.invalid_request("a post needs text"));
        }
        let url = format!("{}/2/tweets", inner.base_url);
        let bearer = inner.caller.bearer()?;
        let response = inner
            .caller
            .call(Replay::OnlyIfUnsent, "post", || {
                let request = inner
                    .http
                    .post(&url)
                    .header(http::header::AUTHORIZATION, bearer.clone())
                    .json(post);
                Caller::send_reqwest(request)
            })
            .await?;
        let envelope: Envelope<CreatedPost> = inner.caller.parse_json(&response)?;
        Ok(envelope.data)
    }

    /// `GET /2/tweets?ids=…&tweet.fields=public_metrics`: the posts of `ids` (at most
    /// [`MAX_LOOKUP_IDS`]) that still exist, with their counts. A deleted or hidden post
    /// is missing from the answer (X lists it under `errors`).
    pub async fn post_metrics(&self, ids: &[String]) -> Result<Vec<FoundPost>, IntegrationError> {
        let inner = &self.inner;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > MAX_LOOKUP_IDS
            || !ids
                .iter()
                .all(|id| !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_digit()))
        {
            return Err(inner
                .caller
                .invalid_request(format!("post ids are 1 to {MAX_LOOKUP_IDS} numbers")));
        }
        let url = format!(
            "{}/2/tweets?ids={}&tweet.fields=public_metrics",
            inner.base_url,
            ids.join(",")
        );
        let bearer = inner.caller.bearer()?;
        let response = inner
            .caller
            .call(Replay::Safe, "posts' metrics", || {
                let request = inner
                    .http
                    .get(&url)
                    .header(http::header::AUTHORIZATION, bearer.clone());
                Caller::send_reqwest(request)
            })
            .await?;
        let lookup: Lookup = inner.caller.parse_json(&response)?;
        Ok(lookup.data)
    }

    /// `GET /2/users/me` with the account's name, picture and counts.
    pub async fn me(&self) -> Result<Me, IntegrationError> {
        let inner = &self.inner;
        let url = format!(
            "{}/2/users/me?user.fields=public_metrics,profile_image_url",
            inner.base_url
        );
        let bearer = inner.caller.bearer()?;
        let response = inner
            .caller
            .call(Replay::Safe, "the token's account", || {
                let request = inner
                    .http
                    .get(&url)
                    .header(http::header::AUTHORIZATION, bearer.clone());
                Caller::send_reqwest(request)
            })
            .await?;
        let envelope: Envelope<Me> = inner.caller.parse_json(&response)?;
        Ok(envelope.data)
    }
}
