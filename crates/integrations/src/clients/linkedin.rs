//! The LinkedIn client: create a post (`POST /rest/posts`) and read the member the token
//! acts for (`GET /v2/userinfo`, which a sync uses to check the token). Posts name the
//! API version they speak (`LinkedIn-Version: YYYYMM`) and Rest.li 2.0; the new post's
//! URN comes back in the `x-restli-id` header of an empty 201.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::call::{Caller, RateLimitHeaders, Replay};
use super::{RetryPolicy, Secret};
use crate::IntegrationError;

const SERVICE: &str = "linkedin";

/// A LinkedIn API version still served (each is supported for about a year).
pub const DEFAULT_VERSION: &str = "202511";

/// Where and how to reach LinkedIn.
#[derive(Clone, Debug)]
pub struct LinkedInConfig {
    /// A member or organisation access token with `w_member_social` or
    /// `w_organization_social`.
    pub token: Secret,
    /// `LinkedIn-Version`, `YYYYMM`; sunset versions are refused by LinkedIn.
    pub version: String,
    /// `https://api.linkedin.com`.
    pub base_url: String,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl LinkedInConfig {
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            version: DEFAULT_VERSION.to_owned(),
            base_url: "https://api.linkedin.com".to_owned(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// A LinkedIn client. Cheap to clone; clones share the rate-limit state.
#[derive(Clone, Debug)]
pub struct LinkedInClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    version: String,
    caller: Caller,
}

/// How a post reaches the feed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Distribution {
    pub feed_distribution: String,
    pub target_entities: Vec<serde_json::Value>,
    pub third_party_distribution_channels: Vec<serde_json::Value>,
}

/// A text post.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LinkedInPost {
    /// `urn:li:person:{id}` or `urn:li:organization:{id}`.
    pub author: String,
    /// In LinkedIn's "little text" format; see [`LinkedInPost::plain_text`].
    pub commentary: String,
    /// `PUBLIC`, `CONNECTIONS`…
    pub visibility: String,
    pub distribution: Distribution,
    pub lifecycle_state: String,
    pub is_reshare_disabled_by_author: bool,
}

impl LinkedInPost {
    /// A public main-feed post of `text`, with little-text's reserved characters
    /// escaped so they show as typed.
    pub fn plain_text(author: impl Into<String>, text: &str) -> Self {
        Self {
            author: author.into(),
            commentary: escape_little_text(text),
            visibility: "PUBLIC".to_owned(),
            distribution: Distribution {
                feed_distribution: "MAIN_FEED".to_owned(),
                target_entities: Vec::new(),
                third_party_distribution_channels: Vec::new(),
            },
            lifecycle_state: "PUBLISHED".to_owned(),
            is_reshare_disabled_by_author: false,
        }
    }
}

/// Escapes the characters little text reserves for mentions, hashtags and markup.
pub fn escape_little_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(
            character,
            '\\' | '|'
                | '{'
                | '}'
                | '@'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '#'
                | '*'
                | '_'
                | '~'
        ) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// The member the token acts for, as OpenID Connect's `GET /v2/userinfo` describes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct UserInfo {
    /// The member id (`urn:li:person:{sub}` as an author).
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
}

/// A post's likes and comments, as `GET /rest/socialActions/{urn}` summarises them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocialActions {
    pub likes: u64,
    pub comments: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SocialActionsBody {
    #[serde(default)]
    likes_summary: Option<LikesSummary>,
    #[serde(default)]
    comments_summary: Option<CommentsSummary>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LikesSummary {
    #[serde(default)]
    total_likes: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentsSummary {
    #[serde(default)]
    aggregated_total_comments: Option<u64>,
    #[serde(default)]
    total_first_level_comments: u64,
}

impl LinkedInClient {
    pub fn new(config: LinkedInConfig) -> Result<Self, IntegrationError> {
        let caller = Caller::new(
            SERVICE,
            config.retry,
            RateLimitHeaders::RETRY_AFTER_ONLY,
            config.token,
        );
        caller.bearer()?;
        if config.version.len() != 6 || !config.version.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(caller.invalid_request("the api version must be YYYYMM, such as 202511"));
        }
        let http = crate::http::client(config.timeout)
            .map_err(|error| caller.invalid_request(error.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                version: config.version,
                caller,
            }),
        })
    }

    /// `POST /rest/posts`; returns the new post's URN (`urn:li:share:…` or
    /// `urn:li:ugcPost:…`).
    pub async fn create_post(&self, post: &LinkedInPost) -> Result<String, IntegrationError> {
        let inner = &self.inner;
        let url = format!("{}/rest/posts", inner.base_url);
        let bearer = inner.caller.bearer()?;
        let what = format!("author {}", post.author);
        let response = inner
            .caller
            .call(Replay::OnlyIfUnsent, &what, || {
                let request = inner
                    .http
                    .post(&url)
                    .header(http::header::AUTHORIZATION, bearer.clone())
                    .header("LinkedIn-Version", inner.version.as_str())
                    .header("X-Restli-Protocol-Version", "2.0.0")
                    .json(post);
                Caller::send_reqwest(request)
            })
            .await?;
        response
            .headers
            .get("x-restli-id")
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|urn| urn.starts_with("urn:li:"))
            .map(str::to_owned)
            .ok_or_else(|| {
                inner
                    .caller
                    .invalid_response("the post was accepted but no x-restli-id header named it")
            })
    }

    /// `GET /rest/socialActions/{urn}`: a post's likes and comments (all levels where
    /// LinkedIn gives the total).
    pub async fn social_actions(&self, urn: &str) -> Result<SocialActions, IntegrationError> {
        let inner = &self.inner;
        if !urn.starts_with("urn:li:") {
            return Err(inner
                .caller
                .invalid_request(format!("{urn:?} is not a LinkedIn URN")));
        }
        let encoded: String = form_urlencoded::byte_serialize(urn.as_bytes()).collect();
        let url = format!("{}/rest/socialActions/{encoded}", inner.base_url);
        let bearer = inner.caller.bearer()?;
        let what = format!("the social actions of {urn}");
        let response = inner
            .caller
            .call(Replay::Safe, &what, || {
                let request = inner
                    .http
                    .get(&url)
                    .header(http::header::AUTHORIZATION, bearer.clone())
                    .header("LinkedIn-Version", inner.version.as_str())
                    .header("X-Restli-Protocol-Version", "2.0.0");
                Caller::send_reqwest(request)
            })
            .await?;
        let body: SocialActionsBody = inner.caller.parse_json(&response)?;
        Ok(SocialActions {
            likes: body.likes_summary.map_or(0, |likes| likes.total_likes),
            comments: body.comments_summary.map_or(0, |comments| {
                comments
                    .aggregated_total_comments
                    .unwrap_or(comments.total_first_level_comments)
            }),
        })
    }

    /// `GET /v2/userinfo`: who the token acts for (scope `openid profile`).
    pub async fn userinfo(&self) -> Result<UserInfo, IntegrationError> {
        let inner = &self.inner;
        let url = format!("{}/v2/userinfo", inner.base_url);
        let bearer = inner.caller.bearer()?;
        let response = inner
            .caller
            .call(Replay::Safe, "the token's member", || {
                let request = inner
                    .http
                    .get(&url)
                    .header(http::header::AUTHORIZATION, bearer.clone());
                Caller::send_reqwest(request)
            })
            .await?;
        inner.caller.parse_json(&response)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(
            super::escape_little_text("Ship it (v2) #release @team"),
            "Ship it \\(v2\\) \\#release \\@team"
        );
    }
}
