//! Syncing an integration through its service's API: what an adapter does on a
//! schedule and on request (a `sync_*` task, performed by the service's watcher through
//! the [`IntegrationPort`]). Every write is the same idempotent upsert the webhook path
//! uses, so a sync may overlap deliveries or another sync; what the API answers now is
//! the truth, and a sync also repairs what out-of-order or lost deliveries left behind.
//!
//! | service  | `integration` scope                                    | narrower scope                                   |
//! |----------|--------------------------------------------------------|--------------------------------------------------|
//! | GitHub   | repositories (installation, organisation or user)      | `repository`: open pull requests (and those open here but no longer there), recent deployments with their latest status |
//! | Vercel   | recent deployments (of `project_id` when given)       | —                                                |
//! | Figma    | the team's published components' files, `file_keys`   | `figma_file`: the file and its components        |
//! | X        | each connected account's name and follower count       | —                                                |
//! | LinkedIn | each connected account's token checked                 | —                                                |
//! | Slack    | nothing to read: CompanyOS posts to Slack and hears it through events | —                          |
//!
//! Where a service reads its scope from (a GitHub organisation, a Vercel team or project,
//! a Figma team) is the integration's credentials or metadata: `organization` /
//! `installation`, `team_id` / `project_id`, `team_id` / `file_keys`.

mod figma;
mod github;
mod slack;
mod social;
mod vercel;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use companyos_actors::{
    GitHubRequest, GitHubResponse, PostCounts, SlackRequest, SlackResponse, SocialCall,
    SocialRequest, SocialResponse, SyncReport, SyncRequest, TaskFailure, VendorRequest,
    VendorResponse, VercelRequest, VercelResponse,
};
use companyos_integrations::IntegrationError;
use companyos_integrations::clients::{
    FigmaClient, FigmaConfig, GitHubClient, GitHubConfig, LinkedInClient, LinkedInConfig, Secret,
    SlackClient, SlackConfig, TwitterClient, TwitterConfig, VercelClient, VercelConfig,
};
use companyos_integrations::crypto::MasterKey;
use companyos_store::{
    DeploymentEnvironment, DeploymentState, DeploymentSync, FigmaFileSync, Integration, OrgId,
    PageRequest, PullRequestFilter, PullRequestState, PullRequestSync, RepositorySync,
    RepositoryVisibility, Service, SocialPlatform, Store, StoreError,
};
use serde_json::{Value, json};

/// Pages read from one listing at most in a sync (GitHub and Figma pages hold 100).
const MAX_PAGES: u32 = 10;
/// Recent deployments read per repository or Vercel account.
const RECENT_DEPLOYMENTS: u32 = 20;
/// Pull requests open here but not in GitHub's open listing, read one by one per sync.
const MAX_STALE_PULL_REQUESTS: usize = 50;

/// How adapters reach their services.
#[derive(Clone, Debug)]
pub struct AdapterConfig {
    /// Opens the integrations' sealed credentials. Without it adapters still turn
    /// deliveries into events, but cannot call the services.
    pub keys: Option<MasterKey>,
    /// API base URLs by service, where not the vendor's own (GitHub Enterprise Server's
    /// `https://HOST/api/v3`, a local stand-in).
    pub base_urls: HashMap<Service, String>,
    /// How often each adapter syncs on its own; `None`: only when asked.
    pub sync_interval: Option<Duration>,
    /// Bounds each API request.
    pub request_timeout: Duration,
    /// Where deployment health probes may go.
    pub probe_reach: companyos_integrations::probe::Reach,
}

impl Default for AdapterConfig {
    fn default() -> Self {
        Self {
            keys: None,
            base_urls: HashMap::new(),
            sync_interval: Some(Duration::from_secs(15 * 60)),
            request_timeout: Duration::from_secs(30),
            probe_reach: companyos_integrations::probe::Reach::PublicHttps,
        }
    }
}

/// Why a sync did not finish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    #[error(transparent)]
    Service(#[from] IntegrationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The integration cannot be synced as it is (no master key, no token, another
    /// service's request).
    #[error("{0}")]
    Unusable(String),
}

impl SyncError {
    pub(crate) fn into_failure(self) -> TaskFailure {
        let message = self.to_string();
        match &self {
            // The vendor said how long to wait: the task waits that long, not counted
            // as an attempt.
            SyncError::Service(error) if let Some(after) = error.retry_after() => {
                TaskFailure::Later {
                    reason: message,
                    after,
                }
            }
            SyncError::Service(error) if error.is_retryable() => TaskFailure::Retryable(message),
            SyncError::Store(
                StoreError::Db(_)
                | StoreError::LeaseLost(_)
                | StoreError::NotHeld(_)
                | StoreError::Config(_),
            ) => TaskFailure::Retryable(message),
            _ => TaskFailure::Permanent(message),
        }
    }
}

/// The API client an adapter holds for its integration: built from the credentials
/// when first needed, kept (with its rate-limit state) while they stay the same.
#[derive(Clone, Debug)]
pub(crate) enum ServiceClient {
    GitHub(GitHubClient),
    Vercel(VercelClient),
    Figma(FigmaClient),
    /// Slack's bot token: what agents post with (Slack has nothing to sync).
    Slack(SlackClient),
    /// X and LinkedIn accounts carry their own tokens; a Slack integration without a
    /// bot token only hears.
    None,
}

/// What a sync works with.
#[derive(Clone)]
pub(crate) struct Syncer {
    pub store: Store,
    pub config: AdapterConfig,
    pub integration: Arc<Integration>,
    pub credentials: Arc<serde_json::Map<String, Value>>,
    pub client: ServiceClient,
}

/// Opens an integration's credentials (`{"credentials": {…}}` as the edge seals them).
pub(crate) fn open_credentials(
    config: &AdapterConfig,
    integration: &Integration,
) -> Result<serde_json::Map<String, Value>, SyncError> {
    let keys = config.keys.as_ref().ok_or_else(|| {
        SyncError::Unusable(
            "this node has no master key to open the integration's credentials".into(),
        )
    })?;
    let opened = keys
        .open_json(&integration.credentials_encrypted)
        .map_err(|error| SyncError::Unusable(format!("cannot open the credentials: {error}")))?;
    match opened {
        Value::Object(mut sealed) => match sealed.remove("credentials") {
            Some(Value::Object(credentials)) => Ok(credentials),
            _ => Ok(sealed),
        },
        _ => Err(SyncError::Unusable(
            "the sealed credentials are not an object".into(),
        )),
    }
}

/// The access token among the credentials, under any of the names services give it.
fn token(service: &str, credentials: &serde_json::Map<String, Value>) -> Result<Secret, SyncError> {
    ["token", "access_token", "bot_token", "api_token"]
        .iter()
        .find_map(|name| credentials.get(*name).and_then(Value::as_str))
        .filter(|token| !token.trim().is_empty())
        .map(Secret::new)
        .ok_or_else(|| {
            SyncError::Unusable(format!(
                "the {service} credentials hold no token: reconnect with {{\"credentials\": {{\"token\": \"…\"}}}}"
            ))
        })
}

/// A setting of the integration: from its credentials, else its metadata.
fn setting(
    integration: &Integration,
    credentials: &serde_json::Map<String, Value>,
    name: &str,
) -> Option<Value> {
    credentials
        .get(name)
        .or_else(|| integration.metadata.get(name))
        .filter(|value| !value.is_null())
        .cloned()
}

fn setting_text(
    integration: &Integration,
    credentials: &serde_json::Map<String, Value>,
    name: &str,
) -> Option<String> {
    match setting(integration, credentials, name)? {
        Value::String(text) if !text.trim().is_empty() => Some(text),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

pub(crate) fn build_client(
    config: &AdapterConfig,
    integration: &Integration,
    credentials: &serde_json::Map<String, Value>,
) -> Result<ServiceClient, SyncError> {
    let base_url = config.base_urls.get(&integration.service).cloned();
    let service = integration.service.as_str();
    Ok(match integration.service {
        Service::Github => {
            let mut github = GitHubConfig::new(token(service, credentials)?);
            if let Some(url) = base_url {
                github.base_url = url;
            }
            github.timeout = config.request_timeout;
            ServiceClient::GitHub(GitHubClient::new(github)?)
        }
        Service::Vercel => {
            let mut vercel = VercelConfig::new(token(service, credentials)?);
            if let Some(url) = base_url {
                vercel.base_url = url;
            }
            vercel.team_id = setting_text(integration, credentials, "team_id");
            vercel.timeout = config.request_timeout;
            ServiceClient::Vercel(VercelClient::new(vercel)?)
        }
        Service::Figma => {
            let mut figma = FigmaConfig::new(token(service, credentials)?);
            if let Some(url) = base_url {
                figma.base_url = url;
            }
            figma.timeout = config.request_timeout;
            ServiceClient::Figma(FigmaClient::new(figma)?)
        }
        // Slack is connected with its signing secret; posting needs a bot token too.
        Service::Slack => match token(service, credentials) {
            Ok(token) => {
                let mut slack = SlackConfig::new(token);
                if let Some(url) = base_url {
                    slack.base_url = url;
                }
                slack.timeout = config.request_timeout;
                ServiceClient::Slack(SlackClient::new(slack)?)
            }
            Err(_) => ServiceClient::None,
        },
        Service::Twitter | Service::Linkedin => ServiceClient::None,
    })
}

impl Syncer {
    /// A sync of the whole integration that failed is recorded with its reason, for
    /// the integration's card to show.
    pub(crate) async fn record_failure(&self, request: &SyncRequest, error: &SyncError) {
        if !matches!(request, SyncRequest::Integration { .. }) {
            return;
        }
        // The store's own failure is the node's business, not the card's.
        let reason = match error {
            SyncError::Store(_) => {
                "the node could not record what it read; its log says why".to_owned()
            }
            other => other.to_string(),
        };
        if let Err(error) = self
            .store
            .integrations()
            .record_sync(
                self.org(),
                self.integration.service,
                self.store.now(),
                Some(&reason),
            )
            .await
        {
            tracing::warn!(%error, "the failed sync was not recorded");
        }
    }

    /// Credentials the service refuses put the integration in `error`, for a person to
    /// reconnect it.
    pub(crate) async fn mark_if_refused(&self, error: &SyncError) {
        if let SyncError::Service(IntegrationError::Unauthorized { .. }) = error
            && let Err(error) = self
                .store
                .integrations()
                .set_status(
                    self.org(),
                    self.integration.service,
                    companyos_store::IntegrationStatus::Error,
                )
                .await
        {
            tracing::warn!(%error, "integration status not updated");
        }
    }

    fn org(&self) -> OrgId {
        self.integration.organization_id
    }

    fn setting_text(&self, name: &str) -> Option<String> {
        setting_text(&self.integration, &self.credentials, name)
    }

    pub(crate) async fn run(&self, request: &SyncRequest) -> Result<SyncReport, SyncError> {
        let service = self.integration.service;
        let mut report = SyncReport::new(service);
        match (request, &self.client) {
            (SyncRequest::Integration { service: asked }, _) if *asked != service => {
                return Err(SyncError::Unusable(format!(
                    "this is the {service} integration, not {asked}"
                )));
            }
            (SyncRequest::Integration { .. }, ServiceClient::GitHub(client)) => {
                self.github_repositories(client, &mut report).await?;
            }
            (SyncRequest::Integration { .. }, ServiceClient::Vercel(client)) => {
                self.vercel_deployments(client, &mut report).await?;
            }
            (SyncRequest::Integration { .. }, ServiceClient::Figma(client)) => {
                self.figma_files(client, &mut report).await?;
            }
            (SyncRequest::Integration { .. }, ServiceClient::None | ServiceClient::Slack(_)) => match service {
                Service::Twitter => self.social_accounts(SocialPlatform::Twitter, &mut report).await?,
                Service::Linkedin => self.social_accounts(SocialPlatform::Linkedin, &mut report).await?,
                _ => report.notes.push(format!(
                    "{service} has nothing to sync: CompanyOS posts to it and hears it through its events"
                )),
            },
            (SyncRequest::Repository { repository_id }, ServiceClient::GitHub(client)) => {
                let repository = self.store.repositories().get(self.org(), *repository_id).await?;
                self.github_repository(client, &repository, &mut report).await?;
            }
            (SyncRequest::FigmaFile { figma_file_id }, ServiceClient::Figma(client)) => {
                let file = self.store.figma_files().get(self.org(), *figma_file_id).await?;
                self.figma_file(client, &file.figma_file_key, &mut report).await?;
            }
            (request, _) => {
                return Err(SyncError::Unusable(format!(
                    "the {service} integration cannot perform {request:?}"
                )));
            }
        }
        if matches!(request, SyncRequest::Integration { .. }) {
            self.store
                .integrations()
                .record_sync(self.org(), service, self.store.now(), None)
                .await?;
        }
        Ok(report)
    }

    /// Everything: the integration scope, then each narrower sync it leaves (the
    /// adapter's periodic sync).
    pub(crate) async fn run_all(&self) -> Result<SyncReport, SyncError> {
        let service = self.integration.service;
        let mut report = self.run(&SyncRequest::Integration { service }).await?;
        for request in std::mem::take(&mut report.follow_up) {
            match self.run(&request).await {
                Ok(narrower) => {
                    for (kind, count) in narrower.synced {
                        report.count(kind, count);
                    }
                    report.notes.extend(narrower.notes);
                }
                Err(SyncError::Service(error)) if error.retry_after().is_some() => {
                    report.notes.push(format!("stopped early: {error}"));
                    break;
                }
                Err(error) => report.notes.push(format!("{request:?}: {error}")),
            }
        }
        Ok(report)
    }
}

fn millis(at: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(at).single()
}

/// A pull request's state: merged wins over closed.
pub(crate) fn pull_request_state(merged: bool, closed: bool) -> PullRequestState {
    if merged {
        PullRequestState::Merged
    } else if closed {
        PullRequestState::Closed
    } else {
        PullRequestState::Open
    }
}

/// GitHub deployments share the deployments table with Vercel's; their ids are kept
/// apart by this prefix.
pub(crate) fn github_deployment_key(id: impl std::fmt::Display) -> String {
    format!("github:{id}")
}

/// A GitHub deployment's state from its latest status.
pub(crate) fn github_deployment_state(status: Option<&str>) -> DeploymentState {
    match status {
        Some("success") => DeploymentState::Ready,
        Some("failure" | "error") => DeploymentState::Error,
        Some("in_progress") => DeploymentState::Building,
        Some("inactive") => DeploymentState::Canceled,
        _ => DeploymentState::Queued,
    }
}

/// A Vercel deployment's address (Vercel gives the host alone).
pub(crate) fn vercel_url(host: Option<&str>) -> String {
    host.map(|host| format!("https://{}", host.trim_start_matches("https://")))
        .unwrap_or_default()
}

pub(crate) fn vercel_environment(target: Option<&str>) -> Option<DeploymentEnvironment> {
    Some(match target {
        Some("production") => DeploymentEnvironment::Production,
        _ => DeploymentEnvironment::Preview,
    })
}

/// A Vercel `readyState` (or `state`).
fn vercel_state(state: Option<&str>) -> DeploymentState {
    match state.map(str::to_ascii_uppercase).as_deref() {
        Some("READY") => DeploymentState::Ready,
        Some("ERROR" | "BLOCKED") => DeploymentState::Error,
        Some("CANCELED") => DeploymentState::Canceled,
        Some("BUILDING" | "INITIALIZING") => DeploymentState::Building,
        _ => DeploymentState::Queued,
    }
}

pub(crate) fn environment(name: Option<&str>) -> Option<DeploymentEnvironment> {
    match name?.to_ascii_lowercase().as_str() {
        "production" | "prod" => Some(DeploymentEnvironment::Production),
        "development" | "dev" => Some(DeploymentEnvironment::Development),
        _ => Some(DeploymentEnvironment::Preview),
    }
}

impl Syncer {
    /// Performs an agent's vendor call with the adapter's client.
    pub(crate) async fn call(&self, request: VendorRequest) -> Result<VendorResponse, SyncError> {
        Ok(match (request, &self.client) {
            (VendorRequest::GitHub(request), ServiceClient::GitHub(client)) => {
                VendorResponse::GitHub(Self::github(client, request).await?)
            }
            (VendorRequest::Vercel(request), ServiceClient::Vercel(client)) => {
                VendorResponse::Vercel(Self::vercel(client, request).await?)
            }
            (VendorRequest::Slack(request), ServiceClient::Slack(client)) => {
                VendorResponse::Slack(Self::slack(client, request).await?)
            }
            (VendorRequest::Social(request), _) => {
                VendorResponse::Social(self.social(request).await?)
            }
            (VendorRequest::Slack(_), ServiceClient::None) => {
                return Err(SyncError::Unusable(
                    "the Slack integration has no bot token to post with: reconnect Slack with {\"credentials\": {\"signing_secret\": \"…\", \"bot_token\": \"xoxb-…\"}}".into(),
                ));
            }
            (request, _) => {
                return Err(SyncError::Unusable(format!(
                    "this is the {} integration, not {}",
                    self.integration.service,
                    request.service()
                )));
            }
        })
    }
}
