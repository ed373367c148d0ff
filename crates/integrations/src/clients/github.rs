//! The GitHub REST client: pull requests (list, get, diff, files), reviews and
//! conversation comments, deployments and their statuses, and repository listings.
//!
//! Requests go through octocrab's raw methods (`build_request` + `execute`), which add
//! the bearer token and `X-GitHub-Api-Version`, over a hyper connector built here with
//! rustls and aws-lc-rs given explicitly. The raw methods are used rather than octocrab's
//! typed calls because those drop the response headers, and the rate-limit headers
//! (`x-ratelimit-remaining`, `x-ratelimit-reset`, `retry-after`) decide what happens
//! next; the serde structs below hold the fields the adapters use.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::header::{ACCEPT, USER_AGENT};
use http::{Method, Uri};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use serde::{Deserialize, Serialize};

use super::call::{
    Caller, Delivery, RateLimitHeaders, RawResponse, Replay, SendFailure, error_chain, next_page,
    percent_encode,
};
use super::{RetryPolicy, Secret};
use crate::IntegrationError;

const SERVICE: &str = "github";
const JSON: &str = "application/vnd.github+json";
const DIFF: &str = "application/vnd.github.diff";
const RAW: &str = "application/vnd.github.raw+json";
/// GitHub serves at most 3000 files of a pull request, 100 a page.
const MAX_FILE_PAGES: u32 = 30;

/// Where and how to reach GitHub.
#[derive(Clone, Debug)]
pub struct GitHubConfig {
    /// An installation token, a fine-grained or classic personal token.
    pub token: Secret,
    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    pub base_url: String,
    /// Identifies CompanyOS to GitHub, which rejects requests without one.
    pub user_agent: String,
    /// Bounds each request, body included.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl GitHubConfig {
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            base_url: "https://api.github.com".to_owned(),
            user_agent: concat!("CompanyOS/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// A GitHub REST client. Cheap to clone; clones share the rate-limit state.
#[derive(Clone, Debug)]
pub struct GitHubClient {
    inner: Arc<Inner>,
}

struct Inner {
    octocrab: Octocrab,
    caller: Caller,
    user_agent: http::HeaderValue,
    timeout: Duration,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GitHubClient")
            .field("caller", &self.caller)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One page of a listing and the number of the next, if GitHub's `Link` header has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page: Option<u32>,
}

/// Which page to fetch: `per_page` is at most 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub per_page: u8,
    pub page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            per_page: 100,
            page: 1,
        }
    }
}

/// Filters for listing pull requests.
#[derive(Clone, Debug, Default)]
pub struct PullRequestQuery {
    /// `open` (GitHub's default), `closed` or `all`.
    pub state: Option<String>,
    /// `user:ref-name`.
    pub head: Option<String>,
    pub base: Option<String>,
    /// `created`, `updated`, `popularity` or `long-running`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub direction: Option<String>,
    pub page: PageRequest,
}

/// Filters for listing deployments.
#[derive(Clone, Debug, Default)]
pub struct DeploymentQuery {
    pub sha: Option<String>,
    pub git_ref: Option<String>,
    pub task: Option<String>,
    pub environment: Option<String>,
    pub page: PageRequest,
}

/// A GitHub user or organisation, by login.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub login: String,
}

/// A branch tip a pull request points at.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct GitRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
}

/// A pull request. The listing leaves the merge and size fields out; `get` fills them.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PullRequest {
    /// GitHub's id of the pull request (every listing carries it; absent only in
    /// abridged examples).
    #[serde(default)]
    pub id: Option<u64>,
    pub number: u64,
    pub state: String,
    pub title: String,
    #[serde(default)]
    pub draft: bool,
    pub user: Option<Account>,
    pub head: GitRef,
    pub base: GitRef,
    pub html_url: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub mergeable: Option<bool>,
    #[serde(default)]
    pub mergeable_state: Option<String>,
    #[serde(default)]
    pub merged: Option<bool>,
    #[serde(default)]
    pub additions: Option<u64>,
    #[serde(default)]
    pub deletions: Option<u64>,
    #[serde(default)]
    pub changed_files: Option<u64>,
}

/// One file a pull request touches. `patch` is absent for binary and very large files.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PullRequestFile {
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`.
    pub status: String,
    pub additions: u64,
    pub deletions: u64,
    pub changes: u64,
    #[serde(default)]
    pub patch: Option<String>,
    #[serde(default)]
    pub previous_filename: Option<String>,
    #[serde(default)]
    pub sha: Option<String>,
}

/// What a review concludes; with none the review stays pending.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewEvent {
    Approve,
    RequestChanges,
    Comment,
}

/// The side of a diff a comment is on: `Left` is the old text, `Right` the new.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiffSide {
    Left,
    Right,
}

/// An inline comment in a review, on `line` (or `start_line..=line`) of `path`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ReviewComment {
    pub path: String,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<DiffSide>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_side: Option<DiffSide>,
    /// The older way to place a comment: lines down from the first hunk header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

impl ReviewComment {
    /// A comment on one line of the new version of `path`.
    pub fn on_line(path: impl Into<String>, line: u64, body: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            body: body.into(),
            line: Some(line),
            side: Some(DiffSide::Right),
            start_line: None,
            start_side: None,
            position: None,
        }
    }
}

/// A review to submit on a pull request.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct NewReview {
    /// The commit reviewed; GitHub takes the head when it is left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<ReviewEvent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<ReviewComment>,
}

/// A submitted (or pending) review.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Review {
    pub id: u64,
    pub state: String,
    #[serde(default)]
    pub body: Option<String>,
    pub html_url: String,
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub commit_id: Option<String>,
}

/// A comment in a pull request's (or issue's) conversation.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct IssueComment {
    pub id: u64,
    pub html_url: String,
    #[serde(default)]
    pub body: Option<String>,
    pub user: Option<Account>,
}

/// A deployment of a ref to an environment.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub task: String,
    pub environment: String,
    pub creator: Option<Account>,
    pub created_at: DateTime<Utc>,
    pub statuses_url: String,
}

/// One status a deployment went through (`success`, `failure`, `in_progress`…).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DeploymentStatus {
    pub state: String,
    #[serde(default)]
    pub environment_url: Option<String>,
    #[serde(default)]
    pub log_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A status to add to a deployment.
#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
pub struct NewDeploymentStatus {
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_url: Option<String>,
}

/// A repository the token can see.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Repository {
    pub id: u64,
    pub name: String,
    pub full_name: String,
    pub private: bool,
    pub owner: Account,
    pub html_url: String,
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// `GET …/git/trees/{sha}`: a tree's entries.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Tree {
    pub sha: String,
    pub tree: Vec<TreeEntry>,
    #[serde(default)]
    pub truncated: bool,
}

/// One entry of a [`Tree`]: `blob` (a file), `tree` (a folder) or `commit` (a
/// submodule).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    #[serde(default)]
    pub size: Option<u64>,
}

/// A git reference (`refs/heads/main`) and the object it points at.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct GitReference {
    #[serde(rename = "ref")]
    pub name: String,
    pub object: GitObject,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct GitObject {
    pub sha: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A file to write as a commit on a branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    pub path: String,
    pub content: String,
    pub message: String,
    pub branch: String,
    /// The blob replaced, when the file exists on the branch.
    pub sha: Option<String>,
}

/// `PUT …/contents/{path}`'s answer: the commit made.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FileCommit {
    pub commit: CommitRef,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CommitRef {
    pub sha: String,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// `POST …/pulls`' body.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NewPullRequest {
    pub title: String,
    /// The branch with the changes.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    pub body: String,
}

#[derive(Deserialize)]
struct InstallationRepositories {
    repositories: Vec<Repository>,
}

#[derive(Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

impl GitHubClient {
    /// Builds a client; fails on a base URL that is not an absolute http(s) URL or a
    /// token that cannot be sent in a header.
    pub fn new(config: GitHubConfig) -> Result<Self, IntegrationError> {
        let caller = Caller::new(
            SERVICE,
            config.retry,
            RateLimitHeaders {
                remaining: Some("x-ratelimit-remaining"),
                reset: Some("x-ratelimit-reset"),
                forbidden_may_be_rate_limit: true,
            },
            config.token.clone(),
        );
        caller.bearer()?;
        let base_uri: Uri = config
            .base_url
            .trim_end_matches('/')
            .parse()
            .map_err(|_| caller.invalid_request("the base url is not a url"))?;
        if !matches!(base_uri.scheme_str(), Some("http" | "https")) || base_uri.host().is_none() {
            return Err(caller.invalid_request("the base url must start with https:// or http://"));
        }
        let user_agent = http::HeaderValue::from_str(&config.user_agent)
            .map_err(|_| caller.invalid_request("the user agent is not a valid header value"))?;

        let mut http_connector = HttpConnector::new();
        http_connector.enforce_http(false);
        http_connector.set_connect_timeout(Some(Duration::from_secs(10)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(
                crate::http::tls().map_err(|error| caller.invalid_request(error.to_string()))?,
            )
            .https_or_http()
            .enable_http1()
            .wrap_connector(http_connector);
        let hyper = HyperClient::builder(hyper_util::rt::TokioExecutor::new())
            .build::<_, OctoBody>(connector);
        let octocrab = match OctocrabBuilder::new_empty()
            .with_service(hyper)
            .with_layer(&BaseUriLayer::new(base_uri))
            .with_auth(AuthState::AccessToken {
                token: config.token.expose().to_owned().into(),
            })
            .build()
        {
            Ok(octocrab) => octocrab,
            Err(never) => match never {},
        };
        Ok(Self {
            inner: Arc::new(Inner {
                octocrab,
                caller,
                user_agent,
                timeout: config.timeout,
            }),
        })
    }

    /// `GET /repos/{owner}/{repo}/pulls`: one page of pull requests.
    pub async fn list_pull_requests(
        &self,
        owner: &str,
        repo: &str,
        query: &PullRequestQuery,
    ) -> Result<Page<PullRequest>, IntegrationError> {
        let mut params = page_params(query.page);
        push_optional(&mut params, "state", query.state.as_deref());
        push_optional(&mut params, "head", query.head.as_deref());
        push_optional(&mut params, "base", query.base.as_deref());
        push_optional(&mut params, "sort", query.sort.as_deref());
        push_optional(&mut params, "direction", query.direction.as_deref());
        let path = format!("{}/pulls", self.repo_path(owner, repo)?);
        let what = format!("repository {owner}/{repo}");
        self.get_page(&path, &params, &what).await
    }

    /// `GET /repos/{owner}/{repo}/pulls/{number}`.
    pub async fn get_pull_request(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
    ) -> Result<PullRequest, IntegrationError> {
        let path = format!("{}/pulls/{number}", self.repo_path(owner, repo)?);
        let what = format!("pull request {owner}/{repo}#{number}");
        let response = self.send(Method::GET, &path, JSON, None, &what).await?;
        self.inner.caller.parse_json(&response)
    }

    /// The pull request as a unified diff (`Accept: application/vnd.github.diff`).
    pub async fn pull_request_diff(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
    ) -> Result<String, IntegrationError> {
        let path = format!("{}/pulls/{number}", self.repo_path(owner, repo)?);
        let what = format!("pull request {owner}/{repo}#{number}");
        let response = self.send(Method::GET, &path, DIFF, None, &what).await?;
        Ok(String::from_utf8_lossy(&response.body).into_owned())
    }

    /// Every file the pull request touches, following pages of 100 (GitHub stops at
    /// 3000 files).
    pub async fn pull_request_files(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<PullRequestFile>, IntegrationError> {
        let path = format!("{}/pulls/{number}/files", self.repo_path(owner, repo)?);
        let what = format!("pull request {owner}/{repo}#{number}");
        let mut files = Vec::new();
        let mut page = PageRequest::default();
        loop {
            let batch: Page<PullRequestFile> =
                self.get_page(&path, &page_params(page), &what).await?;
            files.extend(batch.items);
            match batch.next_page {
                Some(next) if next > page.page && next <= MAX_FILE_PAGES => page.page = next,
                _ => return Ok(files),
            }
        }
    }

    /// `GET /repos/{owner}/{repo}/contents/{path}?ref=…` as raw text: a file at a commit
    /// (`None` when there is no such file there).
    pub async fn file_contents(
        &self,
        owner: &str,
        repo: &str,
        path: &str,
        reference: &str,
    ) -> Result<Option<String>, IntegrationError> {
        let encoded = encode_path(path);
        let reference = encode_path(reference);
        let path_and_query = format!(
            "{}/contents/{encoded}?ref={reference}",
            self.repo_path(owner, repo)?
        );
        let what = format!("file {path} in {owner}/{repo}");
        match self
            .send(Method::GET, &path_and_query, RAW, None, &what)
            .await
        {
            Ok(response) => Ok(Some(String::from_utf8_lossy(&response.body).into_owned())),
            Err(IntegrationError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `GET /repos/{owner}/{repo}/git/trees/{reference}?recursive=1`: every path of the
    /// tree at a branch, tag or commit. `truncated` says GitHub cut the listing short
    /// (past 100,000 entries or 7 MB).
    pub async fn tree(
        &self,
        owner: &str,
        repo: &str,
        reference: &str,
    ) -> Result<Tree, IntegrationError> {
        let path = format!(
            "{}/git/trees/{}?recursive=1",
            self.repo_path(owner, repo)?,
            encode_path(reference)
        );
        let what = format!("tree {reference} of {owner}/{repo}");
        let response = self.send(Method::GET, &path, JSON, None, &what).await?;
        self.inner.caller.parse_json(&response)
    }

    /// `GET /repos/{owner}/{repo}/git/ref/heads/{branch}`: the commit a branch points at.
    pub async fn branch_head(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<GitReference, IntegrationError> {
        let path = format!(
            "{}/git/ref/heads/{}",
            self.repo_path(owner, repo)?,
            encode_path(branch)
        );
        let what = format!("branch {branch} of {owner}/{repo}");
        let response = self.send(Method::GET, &path, JSON, None, &what).await?;
        self.inner.caller.parse_json(&response)
    }

    /// `POST /repos/{owner}/{repo}/git/refs`: a new branch at `sha`.
    pub async fn create_branch(
        &self,
        owner: &str,
        repo: &str,
        branch: &str,
        sha: &str,
    ) -> Result<GitReference, IntegrationError> {
        let path = format!("{}/git/refs", self.repo_path(owner, repo)?);
        let what = format!("branch {branch} of {owner}/{repo}");
        let body = serde_json::json!({"ref": format!("refs/heads/{branch}"), "sha": sha});
        let response = self
            .send(Method::POST, &path, JSON, Some(&body), &what)
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `PUT /repos/{owner}/{repo}/contents/{path}`: one file written on `branch` as a
    /// commit (`sha` is the blob replaced, for a file that exists).
    pub async fn put_file(
        &self,
        owner: &str,
        repo: &str,
        file: &NewFile,
    ) -> Result<FileCommit, IntegrationError> {
        use base64::Engine as _;
        let path = format!(
            "{}/contents/{}",
            self.repo_path(owner, repo)?,
            encode_path(&file.path)
        );
        let what = format!("file {} in {owner}/{repo}", file.path);
        let mut body = serde_json::json!({
            "message": file.message,
            "content": base64::engine::general_purpose::STANDARD.encode(file.content.as_bytes()),
            "branch": file.branch,
        });
        if let Some(sha) = &file.sha {
            body["sha"] = serde_json::Value::String(sha.clone());
        }
        let response = self
            .send(Method::PUT, &path, JSON, Some(&body), &what)
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `POST /repos/{owner}/{repo}/pulls`.
    pub async fn create_pull_request(
        &self,
        owner: &str,
        repo: &str,
        pull_request: &NewPullRequest,
    ) -> Result<PullRequest, IntegrationError> {
        let path = format!("{}/pulls", self.repo_path(owner, repo)?);
        let what = format!("a pull request to {owner}/{repo}");
        let body = self.to_json(pull_request)?;
        let response = self
            .send(Method::POST, &path, JSON, Some(&body), &what)
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `GET /repos/{owner}/{repo}/commits?path=…`: the logins of the people who last
    /// changed `path`, newest first, each once.
    pub async fn recent_authors(
        &self,
        owner: &str,
        repo: &str,
        path: &str,
    ) -> Result<Vec<String>, IntegrationError> {
        #[derive(Deserialize)]
        struct Commit {
            author: Option<Account>,
        }
        let params = vec![("path", path.to_owned()), ("per_page", "20".to_owned())];
        let endpoint = format!("{}/commits", self.repo_path(owner, repo)?);
        let what = format!("history of {path} in {owner}/{repo}");
        let page: Page<Commit> = self.get_page(&endpoint, &params, &what).await?;
        let mut authors: Vec<String> = Vec::new();
        for login in page
            .items
            .into_iter()
            .filter_map(|commit| commit.author)
            .map(|account| account.login)
        {
            if !authors.contains(&login) {
                authors.push(login);
            }
        }
        Ok(authors)
    }

    /// `POST /repos/{owner}/{repo}/pulls/{number}/reviews`, inline comments included.
    pub async fn create_review(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        review: &NewReview,
    ) -> Result<Review, IntegrationError> {
        let path = format!("{}/pulls/{number}/reviews", self.repo_path(owner, repo)?);
        let what = format!("pull request {owner}/{repo}#{number}");
        let body = self.to_json(review)?;
        let response = self
            .send(Method::POST, &path, JSON, Some(&body), &what)
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `POST /repos/{owner}/{repo}/issues/{number}/comments`: a comment in a pull
    /// request's conversation (pull requests are issues here).
    pub async fn create_issue_comment(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<IssueComment, IntegrationError> {
        let path = format!("{}/issues/{number}/comments", self.repo_path(owner, repo)?);
        let what = format!("issue or pull request {owner}/{repo}#{number}");
        let json = self.to_json(&CommentBody { body })?;
        let response = self
            .send(Method::POST, &path, JSON, Some(&json), &what)
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `GET /repos/{owner}/{repo}/deployments`: one page, newest first.
    pub async fn list_deployments(
        &self,
        owner: &str,
        repo: &str,
        query: &DeploymentQuery,
    ) -> Result<Page<Deployment>, IntegrationError> {
        let mut params = page_params(query.page);
        push_optional(&mut params, "sha", query.sha.as_deref());
        push_optional(&mut params, "ref", query.git_ref.as_deref());
        push_optional(&mut params, "task", query.task.as_deref());
        push_optional(&mut params, "environment", query.environment.as_deref());
        let path = format!("{}/deployments", self.repo_path(owner, repo)?);
        let what = format!("repository {owner}/{repo}");
        self.get_page(&path, &params, &what).await
    }

    /// `GET /repos/{owner}/{repo}/deployments/{id}/statuses`: one page, newest first.
    pub async fn list_deployment_statuses(
        &self,
        owner: &str,
        repo: &str,
        deployment_id: u64,
        page: PageRequest,
    ) -> Result<Page<DeploymentStatus>, IntegrationError> {
        let path = format!(
            "{}/deployments/{deployment_id}/statuses",
            self.repo_path(owner, repo)?
        );
        let what = format!("deployment {deployment_id} in {owner}/{repo}");
        self.get_page(&path, &page_params(page), &what).await
    }

    /// `POST /repos/{owner}/{repo}/deployments/{id}/statuses`: a new status of a
    /// deployment (`success`, `failure`, `inactive`, `error`…).
    pub async fn create_deployment_status(
        &self,
        owner: &str,
        repo: &str,
        deployment_id: u64,
        status: &NewDeploymentStatus,
    ) -> Result<DeploymentStatus, IntegrationError> {
        let path = format!(
            "{}/deployments/{deployment_id}/statuses",
            self.repo_path(owner, repo)?
        );
        let what = format!("deployment {deployment_id} in {owner}/{repo}");
        let body = self.to_json(status)?;
        let response = self
            .send(Method::POST, &path, JSON, Some(&body), &what)
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `GET /installation/repositories`: what an installation token may reach.
    pub async fn list_installation_repositories(
        &self,
        page: PageRequest,
    ) -> Result<Page<Repository>, IntegrationError> {
        let path = format!(
            "/installation/repositories?{}",
            query_string(&page_params(page))
        );
        let response = self
            .send(Method::GET, &path, JSON, None, "installation")
            .await?;
        let listing: InstallationRepositories = self.inner.caller.parse_json(&response)?;
        Ok(Page {
            items: listing.repositories,
            next_page: next_page(&response.headers),
        })
    }

    /// `GET /user/repos`: what a user token may reach.
    pub async fn list_user_repositories(
        &self,
        page: PageRequest,
    ) -> Result<Page<Repository>, IntegrationError> {
        self.get_page("/user/repos", &page_params(page), "user")
            .await
    }

    /// `GET /orgs/{org}/repos`.
    pub async fn list_org_repositories(
        &self,
        org: &str,
        page: PageRequest,
    ) -> Result<Page<Repository>, IntegrationError> {
        let path = format!(
            "/orgs/{}/repos",
            self.inner.caller.path_segment("organisation", org)?
        );
        let what = format!("organisation {org}");
        self.get_page(&path, &page_params(page), &what).await
    }

    fn repo_path(&self, owner: &str, repo: &str) -> Result<String, IntegrationError> {
        let caller = &self.inner.caller;
        Ok(format!(
            "/repos/{}/{}",
            caller.path_segment("owner", owner)?,
            caller.path_segment("repository", repo)?
        ))
    }

    fn to_json<T: Serialize>(&self, value: &T) -> Result<serde_json::Value, IntegrationError> {
        serde_json::to_value(value)
            .map_err(|error| self.inner.caller.invalid_request(error.to_string()))
    }

    async fn get_page<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&'static str, String)],
        what: &str,
    ) -> Result<Page<T>, IntegrationError> {
        let path_and_query = format!("{path}?{}", query_string(params));
        let response = self
            .send(Method::GET, &path_and_query, JSON, None, what)
            .await?;
        Ok(Page {
            items: self.inner.caller.parse_json(&response)?,
            next_page: next_page(&response.headers),
        })
    }

    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        accept: &'static str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<RawResponse, IntegrationError> {
        let replay = if method == Method::GET {
            Replay::Safe
        } else {
            Replay::OnlyIfUnsent
        };
        let inner = &self.inner;
        inner
            .caller
            .call(replay, what, || {
                let method = method.clone();
                async move { inner.attempt(method, path_and_query, accept, body).await }
            })
            .await
    }
}

impl Inner {
    async fn attempt(
        &self,
        method: Method,
        path_and_query: &str,
        accept: &'static str,
        body: Option<&serde_json::Value>,
    ) -> Result<RawResponse, SendFailure> {
        let builder = http::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(ACCEPT, accept)
            .header(USER_AGENT, self.user_agent.clone());
        let request = self
            .octocrab
            .build_request(builder, body)
            .map_err(|error| SendFailure {
                message: format!("could not build the request: {}", error_chain(&error)),
                delivery: Delivery::NotSent,
                retryable: false,
            })?;
        let exchange = async {
            let response = self
                .octocrab
                .execute(request)
                .await
                .map_err(|error| octocrab_failure(&error))?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|error| SendFailure {
                message: format!("reading the response failed: {}", error_chain(&error)),
                delivery: Delivery::Unknown,
                retryable: true,
            })?;
            Ok(RawResponse {
                status: parts.status,
                headers: parts.headers,
                body: body.to_bytes().to_vec(),
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(SendFailure {
                    message: format!("no response within {}s", self.timeout.as_secs_f32()),
                    delivery: Delivery::Unknown,
                    retryable: true,
                })
            })
    }
}

fn octocrab_failure(error: &octocrab::Error) -> SendFailure {
    let connect_failed = match error {
        octocrab::Error::Service { source, .. } => source
            .downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(hyper_util::client::legacy::Error::is_connect),
        _ => false,
    };
    SendFailure {
        message: error_chain(error),
        delivery: if connect_failed {
            Delivery::NotSent
        } else {
            Delivery::Unknown
        },
        retryable: true,
    }
}

fn page_params(page: PageRequest) -> Vec<(&'static str, String)> {
    vec![
        ("per_page", page.per_page.clamp(1, 100).to_string()),
        ("page", page.page.max(1).to_string()),
    ]
}

fn push_optional(params: &mut Vec<(&'static str, String)>, key: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        params.push((key, value.to_owned()));
    }
}

fn query_string(params: &[(&'static str, String)]) -> String {
    params
        .iter()
        .map(|(key, value)| format!("{key}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A path (or reference) percent-encoded segment by segment for a URL's path.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|part| {
            part.bytes()
                .map(|byte| match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        char::from(byte).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The id git gives a file's content (`sha1("blob {len}\0" + content)`), as trees list
/// it: a file already as wanted is not written again.
pub fn git_blob_sha(content: &str) -> String {
    use sha1::Digest as _;
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content.as_bytes());
    hex::encode(hasher.finalize())
}
