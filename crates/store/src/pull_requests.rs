//! Pull requests the GitHub integration keeps in step with GitHub, with the code review
//! agent's result. Writes are upserts keyed by
//! the service's own id within the organization (never across organizations: one cannot
//! squat on another's ids), so a replayed webhook or a periodic sync changes nothing
//! twice.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{AgentReviewStatus, PullRequestState, ReviewStatus};
use crate::error::StoreError;
use crate::ids::{OrgId, PullRequestId, RepositoryId};
use crate::page::{Cursor, Page, PageRequest};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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

pub struct PullRequests<'a> {
    store: &'a Store,
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
        let pull_request: Option<PullRequest> = fenced_writer!(self.store, org, |conn| {
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
            .fetch_optional(conn)
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

impl Store {
    pub fn pull_requests(&self) -> PullRequests<'_> {
        PullRequests { store: self }
    }
}
