//! The Vercel REST client: list deployments, get one, read its build's events, redeploy
//! it, and roll a project back to an earlier deployment, optionally scoped to a team
//! (`teamId`).

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

/// One event of a deployment's build, as `GET /v3/deployments/{id}/events` lists them:
/// `type` is `command`, `stdout`, `stderr`, `exit`, `delimiter`, `deployment-state`…
/// The log line is `text` at the top level, as Vercel's CLI reads it; the nested shape
/// of the same event carries it in `payload.text`. Both are read.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DeploymentEvent {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub payload: Option<DeploymentEventPayload>,
}

/// The payload of a [`DeploymentEvent`]; only the fields read here.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct DeploymentEventPayload {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub date: Option<i64>,
    #[serde(default)]
    pub serial: Option<String>,
}

impl DeploymentEvent {
    /// The event's log text, if it has any.
    pub fn line(&self) -> Option<&str> {
        self.payload
            .as_ref()
            .and_then(|payload| payload.text.as_deref())
            .or(self.text.as_deref())
            .filter(|line| !line.is_empty())
    }
}

/// What `POST /v13/deployments` needs to build an existing deployment again.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Redeploy {
    /// The project's name.
    pub name: String,
    /// The deployment whose source is built again.
    pub deployment_id: String,
    /// `production`, or `None` for a preview.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
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
            .map_err(|error| caller.invalid_request(error.to_string()))?;
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

    /// `GET /v3/deployments/{id}/events?limit=-1`: every event of the deployment's
    /// build, oldest first.
    pub async fn deployment_events(
        &self,
        id_or_url: &str,
    ) -> Result<Vec<DeploymentEvent>, IntegrationError> {
        let path = format!(
            "/v3/deployments/{}/events",
            self.inner.caller.path_segment("deployment id", id_or_url)?
        );
        let params = vec![
            ("direction", "forward".to_owned()),
            ("follow", "0".to_owned()),
            ("limit", "-1".to_owned()),
        ];
        let what = format!("deployment {id_or_url}");
        let response = self.send(reqwest::Method::GET, path, params, &what).await?;
        // The list may hold `null` entries.
        let events: Vec<Option<DeploymentEvent>> = self.inner.caller.parse_json(&response)?;
        Ok(events.into_iter().flatten().collect())
    }

    /// `POST /v13/deployments`: builds an existing deployment's source again as a new
    /// deployment. Not repeated when the first attempt may have arrived (it would build
    /// twice).
    pub async fn redeploy(&self, redeploy: &Redeploy) -> Result<Deployment, IntegrationError> {
        let body = serde_json::to_vec(redeploy)
            .map_err(|error| self.inner.caller.invalid_request(error.to_string()))?;
        let what = format!("deployment {}", redeploy.deployment_id);
        let response = self
            .send_with(
                reqwest::Method::POST,
                "/v13/deployments".to_owned(),
                vec![("forceNew", "1".to_owned())],
                Some((body, Replay::OnlyIfUnsent)),
                &what,
            )
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// A call without a body, repeated while it fails transiently (every one here is
    /// safe to repeat).
    async fn send(
        &self,
        method: reqwest::Method,
        path: String,
        params: Vec<(&str, String)>,
        what: &str,
    ) -> Result<super::call::RawResponse, IntegrationError> {
        self.send_with(method, path, params, None, what).await
    }

    /// A call scoped to the team, with a JSON body and its replay rule when given.
    async fn send_with(
        &self,
        method: reqwest::Method,
        path: String,
        mut params: Vec<(&str, String)>,
        body: Option<(Vec<u8>, Replay)>,
        what: &str,
    ) -> Result<super::call::RawResponse, IntegrationError> {
        let inner = &self.inner;
        if let Some(team_id) = &inner.team_id {
            params.push(("teamId", team_id.clone()));
        }
        let url = format!("{}{path}", inner.base_url);
        let bearer = inner.caller.bearer()?;
        let replay = body.as_ref().map_or(Replay::Safe, |(_, replay)| *replay);
        inner
            .caller
            .call(replay, what, || {
                let mut request = inner
                    .http
                    .request(method.clone(), &url)
                    .header(http::header::AUTHORIZATION, bearer.clone())
                    .query(&params);
                if let Some((body, _)) = &body {
                    request = request
                        .header(http::header::CONTENT_TYPE, "application/json")
                        .body(body.clone());
                }
                Caller::send_reqwest(request)
            })
            .await
    }
}
