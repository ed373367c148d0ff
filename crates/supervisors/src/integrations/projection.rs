//! The projection of vendor data into the store: a normalised event brings the domain
//! tables it concerns up to date (repositories, pull requests, deployments, Figma files
//! — idempotent upserts) and names the row the event is about. The adapter applies it
//! to each delivery before the event is written.

use chrono::{DateTime, Utc};
use companyos_integrations::normalise::{self, DomainEvent, Normalised, VercelOutcome};
use companyos_store::{
    DeploymentState, DeploymentSync, FigmaFileSync, OrgId, PullRequestSync, RepositorySync,
    RepositoryVisibility, ResourceKind, ReviewStatus, Store, StoreError,
};
use serde_json::json;
use uuid::Uuid;

use super::sync as syncing;

/// The repositories this adapter wrote last and what it wrote, so that a burst of
/// events about one repository writes its row once. Emptied when a write that relied on
/// it fails (the row may have been deleted meanwhile).
#[derive(Default)]
pub(super) struct RepositoryCache(
    std::collections::HashMap<i64, (RepositorySync, companyos_store::Repository)>,
);

/// Repositories remembered at most.
const REPOSITORY_CACHE: usize = 1024;

impl RepositoryCache {
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Forgets every remembered row (one may have been deleted meanwhile).
    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    async fn upsert(
        &mut self,
        store: &Store,
        org: OrgId,
        sync: RepositorySync,
    ) -> Result<companyos_store::Repository, StoreError> {
        if let Some((known, row)) = self.0.get(&sync.github_id)
            && *known == sync
        {
            return Ok(row.clone());
        }
        let row = store.repositories().upsert(org, sync.clone()).await?;
        if self.0.len() >= REPOSITORY_CACHE {
            self.0.clear();
        }
        self.0.insert(sync.github_id, (sync, row.clone()));
        Ok(row)
    }
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
}

/// Brings the domain tables up to date with a normalised event; returns the row the
/// event is about.
pub(super) async fn apply(
    store: &Store,
    org: OrgId,
    normalised: &Normalised,
    known: &mut RepositoryCache,
) -> Result<Option<(ResourceKind, Uuid)>, StoreError> {
    let repository = |repository: &Option<normalise::Repository>| -> Option<RepositorySync> {
        let repository = repository.as_ref()?;
        let full_name = repository.full_name.clone()?;
        Some(RepositorySync {
            github_id: repository.id?,
            name: repository
                .name
                .clone()
                .unwrap_or_else(|| full_name.rsplit('/').next().unwrap_or_default().to_owned()),
            full_name,
            default_branch: repository
                .default_branch
                .clone()
                .unwrap_or_else(|| "main".into()),
            visibility: repository
                .visibility
                .as_deref()
                .and_then(|visibility| visibility.parse().ok())
                .or(match repository.private {
                    Some(true) => Some(RepositoryVisibility::Private),
                    Some(false) => Some(RepositoryVisibility::Public),
                    None => None,
                }),
            metadata: json!({"html_url": repository.html_url}),
        })
    };
    match &normalised.event {
        DomainEvent::PullRequest {
            repository: repo,
            pull_request,
            ..
        }
        | DomainEvent::PullRequestReview {
            repository: repo,
            pull_request,
            ..
        } => {
            let Some(sync) = repository(repo) else {
                return Ok(None);
            };
            let repository = known.upsert(store, org, sync).await?;
            let (Some(github_id), Some(number), Some(title)) = (
                pull_request.id,
                pull_request
                    .number
                    .and_then(|number| i32::try_from(number).ok()),
                pull_request.title.clone(),
            ) else {
                return Ok(Some((ResourceKind::Repository, repository.id.0)));
            };
            let state = syncing::pull_request_state(
                pull_request.merged == Some(true) || pull_request.merged_at.is_some(),
                pull_request.state.as_deref() == Some("closed"),
            );
            let row = store
                .pull_requests()
                .upsert(
                    org,
                    PullRequestSync {
                        repository_id: repository.id,
                        github_id,
                        number,
                        title,
                        body: pull_request.body.clone(),
                        state,
                        author_github_id: pull_request.user.as_ref().and_then(|user| user.id),
                        base_branch: pull_request.base.as_ref().and_then(|b| b.git_ref.clone()),
                        head_branch: pull_request.head.as_ref().and_then(|h| h.git_ref.clone()),
                        draft: pull_request.draft.unwrap_or(false),
                        mergeable: pull_request.mergeable,
                        metadata: json!({
                            "html_url": pull_request.html_url,
                            "head_sha": pull_request.head.as_ref().and_then(|h| h.sha.clone()),
                            "author": pull_request.user.as_ref().and_then(|u| u.login.clone()),
                            "additions": pull_request.additions,
                            "deletions": pull_request.deletions,
                            "changed_files": pull_request.changed_files,
                        }),
                        opened_at: time(pull_request.created_at.as_deref()),
                        closed_at: time(pull_request.closed_at.as_deref()),
                        merged_at: time(pull_request.merged_at.as_deref()),
                    },
                )
                .await?;
            if let DomainEvent::PullRequestReview { review, .. } = &normalised.event {
                let status = match review
                    .state
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("approved") => Some(ReviewStatus::Approved),
                    Some("changes_requested") => Some(ReviewStatus::ChangesRequested),
                    _ => None,
                };
                if status.is_some() {
                    store
                        .pull_requests()
                        .set_review_status(org, row.id, status, None)
                        .await?;
                }
            }
            Ok(Some((ResourceKind::PullRequest, row.id.0)))
        }
        DomainEvent::Push {
            repository: repo, ..
        }
        | DomainEvent::Issue {
            repository: repo, ..
        }
        | DomainEvent::Check {
            repository: repo, ..
        }
        | DomainEvent::Release {
            repository: repo, ..
        } => match repository(repo) {
            Some(sync) => {
                let row = known.upsert(store, org, sync).await?;
                Ok(Some((ResourceKind::Repository, row.id.0)))
            }
            None => Ok(None),
        },
        DomainEvent::Installation { repositories, .. } => {
            for repo in repositories {
                if let Some(sync) = repository(&Some(repo.clone())) {
                    known.upsert(store, org, sync).await?;
                }
            }
            Ok(None)
        }
        DomainEvent::Deployment {
            repository: repo,
            deployment,
        }
        | DomainEvent::DeploymentStatus {
            repository: repo,
            deployment,
            ..
        } => {
            let (Some(id), Some(sync)) = (deployment.id, repository(repo)) else {
                return Ok(None);
            };
            let status = match &normalised.event {
                DomainEvent::DeploymentStatus { status, .. } => Some(status),
                _ => None,
            };
            let state =
                syncing::github_deployment_state(status.and_then(|status| status.state.as_deref()));
            let url = status
                .and_then(|status| status.environment_url.clone().or(status.target_url.clone()))
                .unwrap_or_default();
            let row = store
                .deployments()
                .upsert(
                    org,
                    DeploymentSync {
                        vercel_deployment_id: syncing::github_deployment_key(id),
                        project_name: sync.full_name.clone(),
                        url,
                        state,
                        environment: syncing::environment(deployment.environment.as_deref()),
                        commit_sha: deployment.sha.clone(),
                        branch: deployment.git_ref.clone(),
                        metadata: json!({"source": "github", "task": deployment.task, "log_url": status.and_then(|s| s.log_url.clone())}),
                        ready_at: (state == DeploymentState::Ready).then(companyos_store::now),
                    },
                )
                .await?;
            Ok(Some((ResourceKind::Deployment, row.id.0)))
        }
        DomainEvent::VercelDeployment {
            outcome,
            deployment,
            ..
        } => {
            let (Some(id), Some(name)) = (deployment.id.clone(), deployment.name.clone()) else {
                return Ok(None);
            };
            let state = match outcome {
                VercelOutcome::Succeeded | VercelOutcome::Ready | VercelOutcome::Promoted => {
                    DeploymentState::Ready
                }
                VercelOutcome::Error => DeploymentState::Error,
                VercelOutcome::Canceled => DeploymentState::Canceled,
                VercelOutcome::Created | VercelOutcome::Other(_) => DeploymentState::Building,
            };
            let row = store
                .deployments()
                .upsert(
                    org,
                    DeploymentSync {
                        vercel_deployment_id: id,
                        project_name: name,
                        url: syncing::vercel_url(deployment.url.as_deref()),
                        state,
                        environment: syncing::vercel_environment(deployment.target.as_deref()),
                        commit_sha: deployment.commit_sha.clone(),
                        branch: deployment.commit_ref.clone(),
                        metadata: json!({
                            "source": "vercel",
                            "project_id": deployment.project_id,
                            "team_id": deployment.team_id,
                            "inspector_url": deployment.inspector_url,
                            "commit_message": deployment.commit_message,
                        }),
                        ready_at: (state == DeploymentState::Ready).then(companyos_store::now),
                    },
                )
                .await?;
            Ok(Some((ResourceKind::Deployment, row.id.0)))
        }
        DomainEvent::Figma { figma_event, file } => {
            let (Some(key), Some(name)) = (file.file_key.clone(), file.file_name.clone()) else {
                return Ok(None);
            };
            if figma_event == "FILE_DELETE" {
                return Ok(None);
            }
            let row = store
                .figma_files()
                .upsert(
                    org,
                    FigmaFileSync {
                        figma_file_key: key,
                        name,
                        file_type: (figma_event == "LIBRARY_PUBLISH")
                            .then_some(companyos_store::FigmaFileType::ComponentLibrary),
                        thumbnail_url: None,
                        last_modified_at: time(file.timestamp.as_deref()),
                        metadata: json!({"last_event": figma_event, "triggered_by": file.triggered_by}),
                    },
                )
                .await?;
            Ok(Some((ResourceKind::FigmaFile, row.id.0)))
        }
        _ => Ok(None),
    }
}
