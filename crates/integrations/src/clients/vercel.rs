//! The Vercel REST client: list deployments, get one, and roll a project back to an
//! earlier deployment, optionally scoped to a team (`teamId`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::call::{Caller, RateLimitHeaders, Replay};
use super::{RetryPolicy, Secret};
use crate::IntegrationError;

const SERVICE: &str = "vercel";

/// Where and how to reach Vercel.
#[derive(Clone, Debug)]
pub struct VercelConfig {
    pub token: Secret,
    /// Sent as `?teamId=` on every call when the token acts for a team.
    pub team_id: Option<String>,
    /// `https://api.vercel.com`.
    pub base_url: String,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl VercelConfig {
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            team_id: None,
            base_url: "https://api.vercel.com".to_owned(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// A Vercel REST client. Cheap to clone; clones share the rate-limit state.
#[derive(Clone, Debug)]
pub struct VercelClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    team_id: Option<String>,
    caller: Caller,
}

/// Filters for listing deployments; all optional.
#[derive(Clone, Debug, Default)]
pub struct DeploymentQuery {
    pub project_id: Option<String>,
    /// `production`, `preview`…
    pub target: Option<String>,
    /// Comma list of `BUILDING,ERROR,INITIALIZING,QUEUED,READY,CANCELED,BLOCKED`.
    pub state: Option<String>,
    pub limit: Option<u32>,
    /// Only deployments created before this millisecond timestamp (the `next` cursor).
    pub until: Option<i64>,
    pub since: Option<i64>,
    pub branch: Option<String>,
    pub sha: Option<String>,
}

/// `pagination` of a listing: `next` is the `until` of the following page.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Pagination {
    pub count: u64,
    pub next: Option<i64>,
    pub prev: Option<i64>,
}

/// Who made a deployment.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Creator {
    pub uid: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// A deployment as `GET /v6/deployments` lists it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSummary {
    pub uid: String,
    pub name: String,
    #[serde(default)]
    pub project_id: Option<String>,
    /// Null while the upload is incomplete.
    pub url: Option<String>,
    pub created: i64,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub ready_state: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub meta: BTreeMap<String, serde_json::Value>,
    pub creator: Creator,
    #[serde(default)]
    pub inspector_url: Option<String>,
    #[serde(default)]
    pub building_at: Option<i64>,
    #[serde(default)]
    pub ready: Option<i64>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// One page of deployments.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DeploymentList {
    pub pagination: Pagination,
    pub deployments: Vec<DeploymentSummary>,
}

/// A deployment as `GET /v13/deployments/{id}` returns it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub url: String,
    pub name: String,
    /// `QUEUED`, `BUILDING`, `ERROR`, `INITIALIZING`, `READY`, `CANCELED` or `BLOCKED`.
    pub ready_state: String,
    #[serde(default)]
    pub ready_state_reason: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub alias: Vec<String>,
    #[serde(default)]
    pub alias_assigned: Option<serde_json::Value>,
    pub created_at: i64,
    #[serde(default)]
    pub building_at: Option<i64>,
    #[serde(default)]
    pub ready: Option<i64>,
    #[serde(default)]
    pub meta: BTreeMap<String, serde_json::Value>,
    pub project_id: String,
    #[serde(default)]
    pub inspector_url: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub git_source: Option<serde_json::Value>,
    pub creator: Creator,
}

impl VercelClient {
    pub fn new(config: VercelConfig) -> Result<Self, IntegrationError> {
        let caller = Caller::new(
            SERVICE,
            config.retry,
            RateLimitHeaders {
                remaining: Some("x-ratelimit-remaining"),
                reset: Some("x-ratelimit-reset"),
                forbidden_may_be_rate_limit: false,
            },
            config.token,
        );
        caller.bearer()?;
        let http = crate::http::client(config.timeout)
            .map_err(|message| caller.invalid_request(message))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                team_id: config.team_id,
                caller,
            }),
        })
    }

    /// `GET /v6/deployments`: one page, newest first.
    pub async fn list_deployments(
        &self,
        query: &DeploymentQuery,
    ) -> Result<DeploymentList, IntegrationError> {
        let mut params: Vec<(&str, String)> = Vec::new();
        let text = [
            ("projectId", &query.project_id),
            ("target", &query.target),
            ("state", &query.state),
            ("branch", &query.branch),
            ("sha", &query.sha),
        ];
        for (key, value) in text {
            if let Some(value) = value {
                params.push((key, value.clone()));
            }
        }
        if let Some(limit) = query.limit {
            params.push(("limit", limit.to_string()));
        }
        if let Some(until) = query.until {
            params.push(("until", until.to_string()));
        }
        if let Some(since) = query.since {
            params.push(("since", since.to_string()));
        }
        let response = self
            .send(
                reqwest::Method::GET,
                "/v6/deployments".to_owned(),
                params,
                "deployments",
            )
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `GET /v13/deployments/{id}`; `id_or_url` is a deployment id or its hostname.
    pub async fn get_deployment(&self, id_or_url: &str) -> Result<Deployment, IntegrationError> {
        let path = format!(
            "/v13/deployments/{}",
            self.inner.caller.path_segment("deployment id", id_or_url)?
        );
        let what = format!("deployment {id_or_url}");
        let response = self
            .send(reqwest::Method::GET, path, Vec::new(), &what)
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `POST /v1/projects/{projectId}/rollback/{deploymentId}`: points the project's
    /// production domains back at `deployment_id`. Vercel answers 201 with no body.
    /// Repeating it is harmless, so it is retried like a read.
    pub async fn rollback(
        &self,
        project_id: &str,
        deployment_id: &str,
        description: Option<&str>,
    ) -> Result<(), IntegrationError> {
        let caller = &self.inner.caller;
        let path = format!(
            "/v1/projects/{}/rollback/{}",
            caller.path_segment("project id", project_id)?,
            caller.path_segment("deployment id", deployment_id)?
        );
        let mut params = Vec::new();
        if let Some(description) = description {
            params.push(("description", description.to_owned()));
        }
        let what = format!("project {project_id} or deployment {deployment_id}");
        self.send(reqwest::Method::POST, path, params, &what)
            .await?;
        Ok(())
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: String,
        mut params: Vec<(&str, String)>,
        what: &str,
    ) -> Result<super::call::RawResponse, IntegrationError> {
        let inner = &self.inner;
        if let Some(team_id) = &inner.team_id {
            params.push(("teamId", team_id.clone()));
        }
        let url = format!("{}{path}", inner.base_url);
        let bearer = inner.caller.bearer()?;
        inner
            .caller
            .call(Replay::Safe, what, || {
                let request = inner
                    .http
                    .request(method.clone(), &url)
                    .header(http::header::AUTHORIZATION, bearer.clone())
                    .query(&params);
                Caller::send_reqwest(request)
            })
            .await
    }
}
