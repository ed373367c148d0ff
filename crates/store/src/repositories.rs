//! Repositories the GitHub integration keeps in step with GitHub. Writes are upserts keyed by
//! the service's own id within the organization (never across organizations: one cannot
//! squat on another's ids), so a replayed webhook or a periodic sync changes nothing
//! twice.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::RepositoryVisibility;
use crate::error::StoreError;
use crate::ids::{OrgId, RepositoryId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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

pub struct Repositories<'a> {
    store: &'a Store,
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
        fenced_writer!(self.store, org, |conn| {
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
            .fetch_one(conn)
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

impl Store {
    pub fn repositories(&self) -> Repositories<'_> {
        Repositories { store: self }
    }
}
