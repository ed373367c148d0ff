//! Repositories, pull requests and deployments: what the GitHub and Vercel
//! integrations keep in step with the services. Writes are upserts keyed by the
//! service's own id within the organization (never across organizations: one cannot
//! squat on another's ids), so a replayed webhook or a periodic sync changes nothing
//! twice.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{
    AgentReviewStatus, DeploymentEnvironment, DeploymentState, PullRequestState,
    RepositoryVisibility, ReviewStatus,
};
use crate::error::StoreError;
use crate::ids::{DeploymentId, OrgId, PullRequestId, RepositoryId, UserId};
use crate::orgs::non_empty;
use crate::page::{Cursor, Page, PageRequest};

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Repository {
    pub id: RepositoryId,
    pub organization_id: OrgId,
    pub github_id: i64,
    pub name: String,
    pub full_name: String,
    pub default_branch: String,
    pub visibility: Option<RepositoryVisibility>,
    #[sqlx(json)]
    pub metadata: Value,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RepositorySync {
    pub github_id: i64,
    pub name: String,
    pub full_name: String,
    pub default_branch: String,
    pub visibility: Option<RepositoryVisibility>,
    pub metadata: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct PullRequest {
    pub id: PullRequestId,
    pub repository_id: RepositoryId,
    pub github_id: i64,
    pub number: i32,
    pub title: String,
    pub body: Option<String>,
    pub state: PullRequestState,
    pub author_github_id: Option<i64>,
    pub base_branch: Option<String>,
    pub head_branch: Option<String>,
    pub draft: bool,
    pub mergeable: Option<bool>,
    pub review_status: Option<ReviewStatus>,
    pub agent_review_status: Option<AgentReviewStatus>,
    #[sqlx(json)]
    pub metadata: Value,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The code review agent's latest result: summary, risk, findings, reviewers.
    #[sqlx(json(nullable))]
    pub agent_review: Option<Value>,
    /// Why the security agent blocked the pull request, when it did.
    pub blocked_reason: Option<String>,
}

impl PullRequest {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PullRequestSync {
    pub repository_id: RepositoryId,
    pub github_id: i64,
    pub number: i32,
    pub title: String,
    pub body: Option<String>,
    pub state: PullRequestState,
    pub author_github_id: Option<i64>,
    pub base_branch: Option<String>,
    pub head_branch: Option<String>,
    pub draft: bool,
    pub mergeable: Option<bool>,
    pub metadata: Value,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default)]
pub struct PullRequestFilter {
    pub repository_id: Option<RepositoryId>,
    pub state: Option<PullRequestState>,
    pub review_status: Option<ReviewStatus>,
}

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Deployment {
    pub id: DeploymentId,
    pub organization_id: OrgId,
    pub vercel_deployment_id: String,
    pub project_name: String,
    pub url: String,
    pub state: DeploymentState,
    pub environment: Option<DeploymentEnvironment>,
    pub commit_sha: Option<String>,
    pub branch: Option<String>,
    pub creator_id: Option<UserId>,
    pub agent_checked: bool,
    pub health_score: Option<i32>,
    #[sqlx(json)]
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
}

impl Deployment {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct DeploymentSync {
    pub vercel_deployment_id: String,
    pub project_name: String,
    pub url: String,
    pub state: DeploymentState,
    pub environment: Option<DeploymentEnvironment>,
    pub commit_sha: Option<String>,
    pub branch: Option<String>,
    pub metadata: Value,
    pub ready_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default)]
pub struct DeploymentFilter {
    pub state: Option<DeploymentState>,
    pub environment: Option<DeploymentEnvironment>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

pub struct Repositories<'a> {
    store: &'a Store,
}
pub struct PullRequests<'a> {
    store: &'a Store,
}
pub struct Deployments<'a> {
    store: &'a Store,
}

impl Store {
    pub fn repositories(&self) -> Repositories<'_> {
        Repositories { store: self }
    }
    pub fn pull_requests(&self) -> PullRequests<'_> {
        PullRequests { store: self }
    }
    pub fn deployments(&self) -> Deployments<'_> {
        Deployments { store: self }
    }
}

impl Repositories<'_> {
    /// Rows of several ids at once (for batched loading), in no particular order;
    /// ids that are unknown or of another organization are left out.
    pub async fn get_many(
        &self,
        org: OrgId,
        ids: &[RepositoryId],
    ) -> Result<Vec<Repository>, StoreError> {
        crate::page::rows_by_ids(self.store, "repositories", org, ids).await
    }

    /// Inserts or refreshes the organization's repository with this GitHub id. The key
    /// is per organization: another organization naming the same id gets a row of its
    /// own and cannot touch this one.
    pub async fn upsert(&self, org: OrgId, sync: RepositorySync) -> Result<Repository, StoreError> {
        non_empty("name", &sync.name, 255)?;
        non_empty("full_name", &sync.full_name, 255)?;
        let at = self.store.now();
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO repositories (id, organization_id, github_id, name, full_name, default_branch, visibility,
                        metadata, last_sync_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
                 ON CONFLICT (organization_id, github_id) DO UPDATE SET name = excluded.name,
                        full_name = excluded.full_name, default_branch = excluded.default_branch,
                        visibility = excluded.visibility, metadata = excluded.metadata,
                        last_sync_at = excluded.last_sync_at
                 RETURNING *",
            )
            .bind(RepositoryId::new())
            .bind(org)
            .bind(sync.github_id)
            .bind(&sync.name)
            .bind(&sync.full_name)
            .bind(&sync.default_branch)
            .bind(sync.visibility)
            .bind(Json(&sync.metadata))
            .bind(at)
            .fetch_one(pool)
            .await
        })
    }

    pub async fn get(&self, org: OrgId, id: RepositoryId) -> Result<Repository, StoreError> {
        let repository: Option<Repository> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM repositories WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        repository.ok_or_else(|| StoreError::not_found("repository", id))
    }

    pub async fn find_by_github_id(
        &self,
        org: OrgId,
        github_id: i64,
    ) -> Result<Option<Repository>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM repositories WHERE github_id = $1 AND organization_id = $2",
            )
            .bind(github_id)
            .bind(org)
            .fetch_optional(pool)
            .await
        })
    }

    pub async fn list(&self, org: OrgId) -> Result<Vec<Repository>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM repositories WHERE organization_id = $1 ORDER BY full_name",
            )
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }

    pub async fn delete(&self, org: OrgId, id: RepositoryId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM repositories WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("repository", id))
        } else {
            Ok(())
        }
    }
}

impl PullRequests<'_> {
    /// Inserts or refreshes the pull request with this GitHub id; the repository must
    /// be one of `org`'s.
    pub async fn upsert(
        &self,
        org: OrgId,
        sync: PullRequestSync,
    ) -> Result<PullRequest, StoreError> {
        non_empty("title", &sync.title, usize::MAX)?;
        let at = self.store.now();
        let pull_request: Option<PullRequest> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO pull_requests (id, repository_id, github_id, number, title, body, state,
                        author_github_id, base_branch, head_branch, draft, mergeable, agent_review_status, metadata,
                        opened_at, closed_at, merged_at, created_at, updated_at)
                 SELECT $1, r.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'not_started', $13, $14, $15, $16, $17, $17
                 FROM repositories r WHERE r.id = $2 AND r.organization_id = $18
                 ON CONFLICT (repository_id, github_id) DO UPDATE SET title = excluded.title, body = excluded.body,
                        state = excluded.state, base_branch = excluded.base_branch,
                        head_branch = excluded.head_branch, draft = excluded.draft, mergeable = excluded.mergeable,
                        metadata = excluded.metadata, closed_at = excluded.closed_at, merged_at = excluded.merged_at,
                        updated_at = excluded.updated_at
                 RETURNING *",
            )
            .bind(PullRequestId::new())
            .bind(sync.repository_id)
            .bind(sync.github_id)
            .bind(sync.number)
            .bind(&sync.title)
            .bind(&sync.body)
            .bind(sync.state)
            .bind(sync.author_github_id)
            .bind(&sync.base_branch)
            .bind(&sync.head_branch)
            .bind(sync.draft)
            .bind(sync.mergeable)
            .bind(Json(&sync.metadata))
            .bind(sync.opened_at)
            .bind(sync.closed_at)
            .bind(sync.merged_at)
            .bind(at)
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        pull_request.ok_or_else(|| StoreError::not_found("repository", sync.repository_id))
    }

    pub async fn get(&self, org: OrgId, id: PullRequestId) -> Result<PullRequest, StoreError> {
        let pull_request: Option<PullRequest> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.* FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
                 WHERE p.id = $1 AND r.organization_id = $2",
            )
            .bind(id)
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        pull_request.ok_or_else(|| StoreError::not_found("pull request", id))
    }

    pub async fn list(
        &self,
        org: OrgId,
        filter: &PullRequestFilter,
        page: &PageRequest,
    ) -> Result<Page<PullRequest>, StoreError> {
        let rows: Vec<PullRequest> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.* FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
                 WHERE r.organization_id = $1
                   AND ($2 IS NULL OR p.repository_id = $2)
                   AND ($3 IS NULL OR p.state = $3)
                   AND ($4 IS NULL OR p.review_status = $4)
                   AND ($5 IS NULL OR (p.created_at, p.id) < ($5, $6))
                 ORDER BY p.created_at DESC, p.id DESC LIMIT $7",
            )
            .bind(org)
            .bind(filter.repository_id)
            .bind(filter.state)
            .bind(filter.review_status)
            .bind(page.after_created_at())
            .bind(page.after_id())
            .bind(page.sql_limit())
            .fetch_all(pool)
            .await
        })?;
        Ok(Page::from_rows(rows, page, PullRequest::cursor))
    }

    /// The organization's pull request `number` of the repository `full_name`.
    pub async fn find_by_number(
        &self,
        org: OrgId,
        full_name: &str,
        number: i32,
    ) -> Result<Option<PullRequest>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.* FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
                 WHERE r.organization_id = $1 AND r.full_name = $2 AND p.number = $3",
            )
            .bind(org)
            .bind(full_name)
            .bind(number)
            .fetch_optional(pool)
            .await
        })
    }

    /// Records the code review agent's progress and, when it finished, its result.
    pub async fn record_agent_review(
        &self,
        org: OrgId,
        id: PullRequestId,
        status: AgentReviewStatus,
        review: Option<&Value>,
    ) -> Result<PullRequest, StoreError> {
        let updated: Option<PullRequest> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE pull_requests SET agent_review_status = $3,
                        agent_review = COALESCE($4, agent_review), updated_at = $5
                 WHERE id = $1 AND repository_id IN (SELECT id FROM repositories WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(status)
            .bind(review.map(Json))
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("pull request", id))
    }

    /// Blocks the pull request with a reason (the security agent), or unblocks it.
    pub async fn set_blocked(
        &self,
        org: OrgId,
        id: PullRequestId,
        reason: Option<&str>,
    ) -> Result<PullRequest, StoreError> {
        let updated: Option<PullRequest> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE pull_requests SET blocked_reason = $3, updated_at = $4
                 WHERE id = $1 AND repository_id IN (SELECT id FROM repositories WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(reason)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("pull request", id))
    }

    pub async fn set_review_status(
        &self,
        org: OrgId,
        id: PullRequestId,
        review_status: Option<ReviewStatus>,
        agent_review_status: Option<AgentReviewStatus>,
    ) -> Result<PullRequest, StoreError> {
        let updated: Option<PullRequest> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE pull_requests SET review_status = COALESCE($3, review_status),
                        agent_review_status = COALESCE($4, agent_review_status), updated_at = $5
                 WHERE id = $1 AND repository_id IN (SELECT id FROM repositories WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(review_status)
            .bind(agent_review_status)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("pull request", id))
    }
}

impl Deployments<'_> {
    /// Inserts or refreshes the deployment with this Vercel id. A deployment that has
    /// finished (ready, error, canceled) never goes back to queued or building — the
    /// services deliver out of order, and a deployment id, once finished, does not run
    /// again — and what an update leaves unknown (an empty URL, no commit) keeps what
    /// was known.
    pub async fn upsert(&self, org: OrgId, sync: DeploymentSync) -> Result<Deployment, StoreError> {
        non_empty("vercel_deployment_id", &sync.vercel_deployment_id, 255)?;
        non_empty("project_name", &sync.project_name, 255)?;
        let at = self.store.now();
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO deployments (id, organization_id, vercel_deployment_id, project_name, url, state,
                        environment, commit_sha, branch, metadata, created_at, updated_at, ready_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)
                 ON CONFLICT (organization_id, vercel_deployment_id) DO UPDATE SET
                        url = CASE WHEN excluded.url = '' THEN deployments.url ELSE excluded.url END,
                        state = CASE
                            WHEN deployments.state IN ('ready', 'error', 'canceled')
                             AND excluded.state IN ('queued', 'building') THEN deployments.state
                            ELSE excluded.state END,
                        environment = COALESCE(excluded.environment, deployments.environment),
                        commit_sha = COALESCE(excluded.commit_sha, deployments.commit_sha),
                        branch = COALESCE(excluded.branch, deployments.branch),
                        metadata = excluded.metadata, updated_at = excluded.updated_at,
                        ready_at = COALESCE(excluded.ready_at, deployments.ready_at)
                 RETURNING *",
            )
            .bind(DeploymentId::new())
            .bind(org)
            .bind(&sync.vercel_deployment_id)
            .bind(&sync.project_name)
            .bind(&sync.url)
            .bind(sync.state)
            .bind(sync.environment)
            .bind(&sync.commit_sha)
            .bind(&sync.branch)
            .bind(Json(&sync.metadata))
            .bind(at)
            .bind(sync.ready_at)
            .fetch_one(pool)
            .await
        })
    }

    pub async fn get(&self, org: OrgId, id: DeploymentId) -> Result<Deployment, StoreError> {
        let deployment: Option<Deployment> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM deployments WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        deployment.ok_or_else(|| StoreError::not_found("deployment", id))
    }

    pub async fn list(
        &self,
        org: OrgId,
        filter: &DeploymentFilter,
        page: &PageRequest,
    ) -> Result<Page<Deployment>, StoreError> {
        let rows: Vec<Deployment> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM deployments WHERE organization_id = $1
                   AND ($2 IS NULL OR state = $2)
                   AND ($3 IS NULL OR environment = $3)
                   AND ($4 IS NULL OR created_at >= $4)
                   AND ($5 IS NULL OR created_at < $5)
                   AND ($6 IS NULL OR (created_at, id) < ($6, $7))
                 ORDER BY created_at DESC, id DESC LIMIT $8",
            )
            .bind(org)
            .bind(filter.state)
            .bind(filter.environment)
            .bind(filter.created_after)
            .bind(filter.created_before)
            .bind(page.after_created_at())
            .bind(page.after_id())
            .bind(page.sql_limit())
            .fetch_all(pool)
            .await
        })?;
        Ok(Page::from_rows(rows, page, Deployment::cursor))
    }

    /// Records an agent's health check of the deployment (score 0–100).
    pub async fn record_health(
        &self,
        org: OrgId,
        id: DeploymentId,
        health_score: i32,
    ) -> Result<Deployment, StoreError> {
        if !(0..=100).contains(&health_score) {
            return Err(StoreError::Invalid {
                field: "health_score",
                reason: format!("{health_score} is not in 0–100"),
            });
        }
        let updated: Option<Deployment> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE deployments SET health_score = $3, agent_checked = TRUE, updated_at = $4
                 WHERE id = $1 AND organization_id = $2 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(health_score)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("deployment", id))
    }
}
