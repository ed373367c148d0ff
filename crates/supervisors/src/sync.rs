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

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use companyos_actors::{
    GitHubRequest, GitHubResponse, IntegrationPort, SlackRequest, SlackResponse, SyncReport,
    SyncRequest, TaskFailure, VendorRequest, VendorResponse, VercelRequest, VercelResponse,
};
use companyos_integrations::IntegrationError;
use companyos_integrations::clients::{
    FigmaClient, FigmaConfig, GitHubClient, GitHubConfig, LinkedInClient, LinkedInConfig, Secret,
    SlackClient, SlackConfig, TwitterClient, TwitterConfig, VercelClient, VercelConfig, figma,
    github, vercel,
};
use companyos_integrations::crypto::MasterKey;
use companyos_store::{
    DeploymentEnvironment, DeploymentState, DeploymentSync, FigmaFileSync, Integration, OrgId,
    PageRequest, PullRequestFilter, PullRequestState, PullRequestSync, RepositorySync,
    RepositoryVisibility, Service, SocialPlatform, Store, StoreError,
};
use ractor::rpc::CallResult;
use serde_json::{Value, json};

use crate::integrations::IntegrationsMessage;
use crate::tree::Deps;
use ractor::RpcReplyPort;

/// Pages read from one listing at most in a sync (GitHub and Figma pages hold 100).
const MAX_PAGES: u32 = 10;
/// Recent deployments read per repository or Vercel account.
const RECENT_DEPLOYMENTS: u32 = 20;
/// Pull requests open here but not in GitHub's open listing, read one by one per sync.
const MAX_STALE_PULL_REQUESTS: usize = 50;
/// How long an agent waits for a sync before giving up on it (the sync goes on).
const SYNC_TIMEOUT: Duration = Duration::from_secs(15 * 60);

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
}

impl Default for AdapterConfig {
    fn default() -> Self {
        Self {
            keys: None,
            base_urls: HashMap::new(),
            sync_interval: Some(Duration::from_secs(15 * 60)),
            request_timeout: Duration::from_secs(30),
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
                StoreError::Db(_) | StoreError::LeaseLost(_) | StoreError::Config(_),
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
                .mark_synced(self.org(), service, companyos_store::now())
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

    async fn github_repositories(
        &self,
        client: &GitHubClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let organisation = self.setting_text("organization");
        let installation = setting(&self.integration, &self.credentials, "installation_id")
            .is_some()
            || setting(&self.integration, &self.credentials, "installation") == Some(json!(true));
        let mut page = github::PageRequest::default();
        for _ in 0..MAX_PAGES {
            let listing = if installation {
                client.list_installation_repositories(page).await?
            } else if let Some(organisation) = &organisation {
                client.list_org_repositories(organisation, page).await?
            } else {
                client.list_user_repositories(page).await?
            };
            for repository in listing.items {
                let Ok(github_id) = i64::try_from(repository.id) else {
                    continue;
                };
                let row = self
                    .store
                    .repositories()
                    .upsert(
                        self.org(),
                        RepositorySync {
                            github_id,
                            name: repository.name,
                            full_name: repository.full_name,
                            default_branch: repository.default_branch.unwrap_or_else(|| "main".into()),
                            visibility: Some(if repository.private {
                                RepositoryVisibility::Private
                            } else {
                                RepositoryVisibility::Public
                            }),
                            metadata: json!({"html_url": repository.html_url, "owner": repository.owner.login}),
                        },
                    )
                    .await?;
                report.count("repositories", 1);
                report.follow_up.push(SyncRequest::Repository {
                    repository_id: row.id,
                });
            }
            match listing.next_page {
                Some(next) => page.page = next,
                None => return Ok(()),
            }
        }
        report.notes.push(format!(
            "only the first {} repositories were read",
            MAX_PAGES * u32::from(page.per_page)
        ));
        Ok(())
    }

    async fn github_repository(
        &self,
        client: &GitHubClient,
        repository: &companyos_store::Repository,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let org = self.org();
        let Some((owner, name)) = repository.full_name.split_once('/') else {
            return Err(SyncError::Unusable(format!(
                "{:?} is not an owner/name repository",
                repository.full_name
            )));
        };
        // Open pull requests, as GitHub lists them.
        let mut open = HashSet::new();
        let mut query = github::PullRequestQuery {
            state: Some("open".into()),
            ..Default::default()
        };
        for _ in 0..MAX_PAGES {
            let listing = client.list_pull_requests(owner, name, &query).await?;
            for pull_request in listing.items {
                open.insert(pull_request.number);
                if self.upsert_pull_request(repository, &pull_request).await? {
                    report.count("pull_requests", 1);
                }
            }
            match listing.next_page {
                Some(next) => query.page.page = next,
                None => break,
            }
        }
        // Open here but no longer in the listing: closed or merged meanwhile.
        let stale: Vec<_> = self
            .store
            .pull_requests()
            .list(
                org,
                &PullRequestFilter {
                    repository_id: Some(repository.id),
                    state: Some(PullRequestState::Open),
                    review_status: None,
                },
                &PageRequest::first(MAX_STALE_PULL_REQUESTS as u32),
            )
            .await?
            .items
            .into_iter()
            .filter(|row| !open.contains(&u64::try_from(row.number).unwrap_or_default()))
            .collect();
        for row in stale {
            let Ok(number) = u64::try_from(row.number) else {
                continue;
            };
            match client.get_pull_request(owner, name, number).await {
                Ok(pull_request) => {
                    if self.upsert_pull_request(repository, &pull_request).await? {
                        report.count("pull_requests", 1);
                    }
                }
                Err(IntegrationError::NotFound { .. }) => {
                    report.notes.push(format!(
                        "{}#{number} is gone from GitHub",
                        repository.full_name
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        // Recent deployments and where each stands.
        let deployments = client
            .list_deployments(
                owner,
                name,
                &github::DeploymentQuery {
                    page: github::PageRequest {
                        per_page: RECENT_DEPLOYMENTS as u8,
                        page: 1,
                    },
                    ..Default::default()
                },
            )
            .await?;
        for deployment in deployments.items {
            let statuses = client
                .list_deployment_statuses(
                    owner,
                    name,
                    deployment.id,
                    github::PageRequest {
                        per_page: 1,
                        page: 1,
                    },
                )
                .await?;
            let latest = statuses.items.first();
            let state = github_deployment_state(latest.map(|status| status.state.as_str()));
            self.store
                .deployments()
                .upsert(
                    org,
                    DeploymentSync {
                        vercel_deployment_id: github_deployment_key(deployment.id),
                        project_name: repository.full_name.clone(),
                        url: latest
                            .and_then(|status| status.environment_url.clone())
                            .unwrap_or_default(),
                        state,
                        environment: environment(Some(&deployment.environment)),
                        commit_sha: Some(deployment.sha),
                        branch: Some(deployment.git_ref),
                        metadata: json!({
                            "source": "github",
                            "task": deployment.task,
                            "log_url": latest.and_then(|status| status.log_url.clone()),
                            "creator": deployment.creator.map(|creator| creator.login),
                        }),
                        ready_at: (state == DeploymentState::Ready)
                            .then(|| latest.map(|status| status.created_at))
                            .flatten(),
                    },
                )
                .await?;
            report.count("deployments", 1);
        }
        Ok(())
    }

    /// Whether the pull request was written (one without GitHub's id cannot be).
    async fn upsert_pull_request(
        &self,
        repository: &companyos_store::Repository,
        pull_request: &github::PullRequest,
    ) -> Result<bool, SyncError> {
        let (Some(github_id), Ok(number)) = (
            pull_request.id.and_then(|id| i64::try_from(id).ok()),
            i32::try_from(pull_request.number),
        ) else {
            return Ok(false);
        };
        let state = pull_request_state(
            pull_request.merged == Some(true) || pull_request.merged_at.is_some(),
            pull_request.state == "closed",
        );
        self.store
            .pull_requests()
            .upsert(
                self.org(),
                PullRequestSync {
                    repository_id: repository.id,
                    github_id,
                    number,
                    title: pull_request.title.clone(),
                    body: pull_request.body.clone(),
                    state,
                    author_github_id: None,
                    base_branch: Some(pull_request.base.name.clone()),
                    head_branch: Some(pull_request.head.name.clone()),
                    draft: pull_request.draft,
                    mergeable: pull_request.mergeable,
                    metadata: json!({
                        "html_url": pull_request.html_url,
                        "head_sha": pull_request.head.sha,
                        "author": pull_request.user.as_ref().map(|user| user.login.clone()),
                        "additions": pull_request.additions,
                        "deletions": pull_request.deletions,
                        "changed_files": pull_request.changed_files,
                    }),
                    opened_at: pull_request.created_at,
                    closed_at: pull_request.closed_at,
                    merged_at: pull_request.merged_at,
                },
            )
            .await?;
        Ok(true)
    }

    async fn vercel_deployments(
        &self,
        client: &VercelClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let listing = client
            .list_deployments(&vercel::DeploymentQuery {
                project_id: self.setting_text("project_id"),
                limit: Some(RECENT_DEPLOYMENTS),
                ..Default::default()
            })
            .await?;
        for deployment in listing.deployments {
            let state = vercel_state(
                deployment
                    .ready_state
                    .as_deref()
                    .or(deployment.state.as_deref()),
            );
            let meta = |name: &str| {
                deployment
                    .meta
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            self.store
                .deployments()
                .upsert(
                    self.org(),
                    DeploymentSync {
                        vercel_deployment_id: deployment.uid.clone(),
                        project_name: deployment.name.clone(),
                        url: vercel_url(deployment.url.as_deref()),
                        state,
                        environment: vercel_environment(deployment.target.as_deref()),
                        commit_sha: meta("githubCommitSha"),
                        branch: meta("githubCommitRef"),
                        metadata: json!({
                            "source": "vercel",
                            "project_id": deployment.project_id,
                            "inspector_url": deployment.inspector_url,
                            "commit_message": meta("githubCommitMessage"),
                            "error_message": deployment.error_message,
                        }),
                        ready_at: (state == DeploymentState::Ready)
                            .then(|| deployment.ready.and_then(millis))
                            .flatten(),
                    },
                )
                .await?;
            report.count("deployments", 1);
        }
        Ok(())
    }

    async fn figma_files(
        &self,
        client: &FigmaClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let org = self.org();
        let known: HashMap<String, companyos_store::FigmaFileId> = self
            .store
            .figma_files()
            .list(org)
            .await?
            .into_iter()
            .map(|file| (file.figma_file_key, file.id))
            .collect();
        // Files named in the settings, and those the team's library components live in.
        let mut keys: Vec<String> = match setting(&self.integration, &self.credentials, "file_keys")
        {
            Some(Value::Array(keys)) => keys
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(keys)) => keys.split(',').map(|key| key.trim().to_owned()).collect(),
            _ => Vec::new(),
        };
        if let Some(team) = self.setting_text("team_id") {
            let mut after = None;
            for _ in 0..MAX_PAGES {
                let page = client.team_components(&team, Some(100), after).await?;
                report.count("team_components", page.components.len() as u64);
                keys.extend(
                    page.components
                        .into_iter()
                        .map(|component| component.file_key),
                );
                match page.cursor.and_then(|cursor| cursor.after) {
                    Some(next) if after != Some(next) => after = Some(next),
                    _ => break,
                }
            }
        }
        keys.retain(|key| !key.is_empty());
        keys.sort();
        keys.dedup();
        let mut files: Vec<companyos_store::FigmaFileId> = known.values().copied().collect();
        for key in keys.iter().filter(|key| !known.contains_key(*key)) {
            let row = self.upsert_figma_file(client, key).await?;
            report.count("figma_files", 1);
            files.push(row);
        }
        files.sort();
        report.follow_up.extend(
            files
                .into_iter()
                .map(|figma_file_id| SyncRequest::FigmaFile { figma_file_id }),
        );
        Ok(())
    }

    async fn upsert_figma_file(
        &self,
        client: &FigmaClient,
        key: &str,
    ) -> Result<companyos_store::FigmaFileId, SyncError> {
        let file = client
            .file(
                key,
                &figma::FileQuery {
                    depth: Some(1),
                    ..Default::default()
                },
            )
            .await?;
        let row = self
            .store
            .figma_files()
            .upsert(
                self.org(),
                FigmaFileSync {
                    figma_file_key: key.to_owned(),
                    name: file.name,
                    file_type: (!file.components.is_empty() || !file.component_sets.is_empty())
                        .then_some(companyos_store::FigmaFileType::ComponentLibrary),
                    thumbnail_url: file.thumbnail_url,
                    last_modified_at: DateTime::parse_from_rfc3339(&file.last_modified)
                        .ok()
                        .map(|time| time.with_timezone(&Utc)),
                    metadata: json!({"version": file.version, "editor_type": file.editor_type, "role": file.role}),
                },
            )
            .await?;
        Ok(row.id)
    }

    async fn figma_file(
        &self,
        client: &FigmaClient,
        key: &str,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let file_id = self.upsert_figma_file(client, key).await?;
        report.count("figma_files", 1);
        let components = client.file_components(key).await?;
        for component in components.components {
            self.store
                .design_components()
                .upsert(
                    self.org(),
                    companyos_store::DesignComponentSync {
                        figma_file_id: file_id,
                        figma_component_id: component.node_id,
                        name: component.name,
                        description: Some(component.description).filter(|text| !text.is_empty()),
                        component_type: Some("component".into()),
                        metadata: json!({
                            "key": component.key,
                            "thumbnail_url": component.thumbnail_url,
                            "updated_at": component.updated_at,
                            "updated_by": component.user.handle,
                            "page": component.containing_frame.as_ref().map(|frame| frame.page_name.clone()),
                            "frame": component.containing_frame.and_then(|frame| frame.name),
                        }),
                    },
                )
                .await?;
            report.count("components", 1);
        }
        Ok(())
    }

    /// Each active account of the platform, through its own token.
    async fn social_accounts(
        &self,
        platform: SocialPlatform,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let org = self.org();
        let keys = self.config.keys.as_ref().ok_or_else(|| {
            SyncError::Unusable(
                "this node has no master key to open the accounts' credentials".into(),
            )
        })?;
        let accounts = self
            .store
            .social_accounts()
            .list(org, Some(platform))
            .await?;
        let base_url = self
            .config
            .base_urls
            .get(&self.integration.service)
            .cloned();
        if accounts.is_empty() {
            report.notes.push(format!(
                "no {} account is connected: connect one with POST /api/social/accounts/{}/connect",
                platform.as_str(),
                platform.as_str()
            ));
        }
        for account in accounts.into_iter().filter(|account| account.active) {
            let credentials = match keys.open_json(&account.credentials_encrypted) {
                Ok(Value::Object(credentials)) => credentials,
                _ => {
                    report.notes.push(format!(
                        "@{}: the credentials cannot be opened",
                        account.handle
                    ));
                    continue;
                }
            };
            let token = match token(platform.as_str(), &credentials) {
                Ok(token) => token,
                Err(error) => {
                    report.notes.push(format!("@{}: {error}", account.handle));
                    continue;
                }
            };
            let followers = match platform {
                SocialPlatform::Twitter => {
                    let mut config = TwitterConfig::new(token);
                    if let Some(url) = &base_url {
                        config.base_url = url.clone();
                    }
                    config.timeout = self.config.request_timeout;
                    let me = TwitterClient::new(config)?.me().await;
                    match me {
                        Ok(me) => me
                            .public_metrics
                            .map(|metrics| {
                                i32::try_from(metrics.followers_count).unwrap_or(i32::MAX)
                            })
                            .unwrap_or(account.follower_count),
                        Err(error) if !error.is_retryable() => {
                            report.notes.push(format!("@{}: {error}", account.handle));
                            continue;
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
                SocialPlatform::Linkedin => {
                    let mut config = LinkedInConfig::new(token);
                    if let Some(url) = &base_url {
                        config.base_url = url.clone();
                    }
                    config.timeout = self.config.request_timeout;
                    match LinkedInClient::new(config)?.userinfo().await {
                        // LinkedIn's follower counts need the organization APIs; the
                        // sync checks the token and keeps the count it has.
                        Ok(_) => account.follower_count,
                        Err(error) if !error.is_retryable() => {
                            report.notes.push(format!("@{}: {error}", account.handle));
                            continue;
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
            };
            self.store
                .social_accounts()
                .record_sync(org, account.id, followers, companyos_store::now())
                .await?;
            report.count("social_accounts", 1);
        }
        Ok(())
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

/// The [`IntegrationPort`] agents of this node use: a sync goes to the organization's
/// integrations supervisor, which hands it to the adapter of the service.
pub(crate) struct NodePort {
    deps: Weak<Deps>,
}

pub(crate) fn port(deps: &Arc<Deps>) -> Arc<dyn IntegrationPort> {
    Arc::new(NodePort {
        deps: Arc::downgrade(deps),
    })
}

impl NodePort {
    /// Asks the organization's integrations supervisor (which hands the request to the
    /// adapter of its service) and waits for the adapter's answer; `what` names the
    /// work in the failures.
    async fn ask<T: Send + 'static>(
        &self,
        org: OrgId,
        what: &str,
        message: impl FnOnce(RpcReplyPort<Result<T, TaskFailure>>) -> IntegrationsMessage,
    ) -> Result<T, TaskFailure> {
        let deps = self
            .deps
            .upgrade()
            .ok_or_else(|| TaskFailure::Retryable("the node is shutting down".into()))?;
        let supervisor = deps.node.integrations(org).ok_or_else(|| {
            TaskFailure::Retryable(
                "the organization's integrations are not running on this node".into(),
            )
        })?;
        drop(deps);
        match supervisor.call(message, Some(SYNC_TIMEOUT)).await {
            Ok(CallResult::Success(result)) => result,
            Ok(CallResult::Timeout) => Err(TaskFailure::Retryable(format!(
                "the {what} did not finish within {} s",
                SYNC_TIMEOUT.as_secs()
            ))),
            Ok(CallResult::SenderError) | Err(_) => Err(TaskFailure::Retryable(format!(
                "the integration's adapter stopped during the {what}"
            ))),
        }
    }
}

#[async_trait]
impl IntegrationPort for NodePort {
    async fn sync(&self, org: OrgId, request: SyncRequest) -> Result<SyncReport, TaskFailure> {
        self.ask(org, "sync", |reply| {
            IntegrationsMessage::Sync(request, reply)
        })
        .await
    }

    async fn call(
        &self,
        org: OrgId,
        request: VendorRequest,
    ) -> Result<VendorResponse, TaskFailure> {
        let what = format!("{} call", request.service());
        self.ask(org, &what, |reply| {
            IntegrationsMessage::Call(request, reply)
        })
        .await
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

    async fn vercel(
        client: &VercelClient,
        request: VercelRequest,
    ) -> Result<VercelResponse, SyncError> {
        Ok(match request {
            VercelRequest::Deployment { id } => {
                VercelResponse::Deployment(Box::new(client.get_deployment(&id).await?))
            }
            VercelRequest::Events { id } => {
                VercelResponse::Events(client.deployment_events(&id).await?)
            }
            VercelRequest::ReadyProduction { project_id, limit } => {
                let query = vercel::DeploymentQuery {
                    project_id: Some(project_id),
                    target: Some("production".into()),
                    state: Some("READY".into()),
                    limit: Some(limit),
                    ..Default::default()
                };
                VercelResponse::Deployments(client.list_deployments(&query).await?.deployments)
            }
            VercelRequest::Rollback {
                project_id,
                to,
                description,
            } => {
                client
                    .rollback(&project_id, &to, description.as_deref())
                    .await?;
                VercelResponse::RolledBack
            }
            VercelRequest::Redeploy(redeploy) => {
                VercelResponse::Deployment(Box::new(client.redeploy(&redeploy).await?))
            }
        })
    }

    async fn slack(
        client: &SlackClient,
        request: SlackRequest,
    ) -> Result<SlackResponse, SyncError> {
        Ok(match request {
            SlackRequest::Post(message) => {
                SlackResponse::Posted(client.post_message(&message).await?)
            }
            SlackRequest::Ephemeral {
                channel,
                user,
                text,
            } => {
                client.post_ephemeral(&channel, &user, &text).await?;
                SlackResponse::Done
            }
            SlackRequest::User { id } => SlackResponse::User(client.user_info(&id).await?),
        })
    }

    async fn github(
        client: &GitHubClient,
        request: GitHubRequest,
    ) -> Result<GitHubResponse, SyncError> {
        let split = |repository: &str| -> Result<(String, String), SyncError> {
            repository
                .split_once('/')
                .filter(|(owner, name)| !owner.is_empty() && !name.is_empty())
                .map(|(owner, name)| (owner.to_owned(), name.to_owned()))
                .ok_or_else(|| {
                    SyncError::Unusable(format!(
                        "{repository:?} is not a repository name of the form owner/name"
                    ))
                })
        };
        Ok(match request {
            GitHubRequest::PullRequest { repository, number } => {
                let (owner, name) = split(&repository)?;
                let pull_request = client.get_pull_request(&owner, &name, number).await?;
                let files = client.pull_request_files(&owner, &name, number).await?;
                GitHubResponse::PullRequest {
                    pull_request: Box::new(pull_request),
                    files,
                }
            }
            GitHubRequest::File {
                repository,
                path,
                reference,
            } => {
                let (owner, name) = split(&repository)?;
                GitHubResponse::File(
                    client
                        .file_contents(&owner, &name, &path, &reference)
                        .await?,
                )
            }
            GitHubRequest::RecentAuthors { repository, paths } => {
                let (owner, name) = split(&repository)?;
                let mut authors: Vec<String> = Vec::new();
                for path in paths {
                    for login in client.recent_authors(&owner, &name, &path).await? {
                        if !authors.contains(&login) {
                            authors.push(login);
                        }
                    }
                }
                GitHubResponse::Authors(authors)
            }
            GitHubRequest::PostReview {
                repository,
                number,
                review,
            } => {
                let (owner, name) = split(&repository)?;
                GitHubResponse::Review(client.create_review(&owner, &name, number, &review).await?)
            }
            GitHubRequest::DeploymentStatus {
                repository,
                sha,
                environment,
                status,
            } => {
                let (owner, name) = split(&repository)?;
                let query = github::DeploymentQuery {
                    sha: Some(sha),
                    environment,
                    page: github::PageRequest {
                        per_page: 1,
                        page: 1,
                    },
                    ..Default::default()
                };
                let newest = client.list_deployments(&owner, &name, &query).await?;
                match newest.items.first() {
                    Some(deployment) => GitHubResponse::DeploymentStatus(Some((
                        deployment.id,
                        client
                            .create_deployment_status(&owner, &name, deployment.id, &status)
                            .await?,
                    ))),
                    None => GitHubResponse::DeploymentStatus(None),
                }
            }
        })
    }
}
