//! Deployments (Vercel's and GitHub's) with their health. Writes are upserts keyed by
//! the service's own id within the organization (never across organizations: one cannot
//! squat on another's ids), so a replayed webhook or a periodic sync changes nothing
//! twice.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{DeploymentEnvironment, DeploymentState};
use crate::error::StoreError;
use crate::ids::{DeploymentId, OrgId, UserId};
use crate::page::{Cursor, Page, PageRequest};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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

pub struct Deployments<'a> {
    store: &'a Store,
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
        fenced_writer!(self.store, org, |conn| {
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
            .fetch_one(conn)
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

    /// How many projects, across every organization, have a latest production
    /// deployment that failed (`error`): the seed's "a deployment in error" alert. A
    /// project whose next production deployment succeeded is no longer counted.
    pub async fn failing_projects_all(&self) -> Result<i64, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM deployments d
                 WHERE d.state = 'error' AND d.environment = 'production'
                   AND NOT EXISTS (
                       SELECT 1 FROM deployments n
                       WHERE n.organization_id = d.organization_id
                         AND n.project_name = d.project_name
                         AND n.environment = 'production'
                         AND (n.created_at, n.id) > (d.created_at, d.id))",
            )
            .fetch_one(pool)
            .await
        })
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

impl Store {
    pub fn deployments(&self) -> Deployments<'_> {
        Deployments { store: self }
    }
}
