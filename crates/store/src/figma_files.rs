//! Figma files the organization follows.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::FigmaFileType;
use crate::error::StoreError;
use crate::ids::{FigmaFileId, OrgId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct FigmaFile {
    pub id: FigmaFileId,
    pub organization_id: OrgId,
    pub figma_file_key: String,
    pub name: String,
    pub file_type: Option<FigmaFileType>,
    pub thumbnail_url: Option<String>,
    pub last_modified_at: Option<DateTime<Utc>>,
    #[sqlx(json)]
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct FigmaFileSync {
    pub figma_file_key: String,
    pub name: String,
    pub file_type: Option<FigmaFileType>,
    pub thumbnail_url: Option<String>,
    pub last_modified_at: Option<DateTime<Utc>>,
    pub metadata: Value,
}

pub struct FigmaFiles<'a> {
    store: &'a Store,
}

impl FigmaFiles<'_> {
    pub async fn upsert(&self, org: OrgId, sync: FigmaFileSync) -> Result<FigmaFile, StoreError> {
        non_empty("figma_file_key", &sync.figma_file_key, 255)?;
        non_empty("name", &sync.name, 255)?;
        let at = self.store.now();
        fenced_writer!(self.store, org, |conn| {
            sqlx::query_as(
                "INSERT INTO figma_files (id, organization_id, figma_file_key, name, file_type, thumbnail_url,
                        last_modified_at, metadata, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
                 ON CONFLICT (organization_id, figma_file_key) DO UPDATE SET name = excluded.name,
                        file_type = excluded.file_type, thumbnail_url = excluded.thumbnail_url,
                        last_modified_at = excluded.last_modified_at, metadata = excluded.metadata,
                        updated_at = excluded.updated_at
                 RETURNING *",
            )
            .bind(FigmaFileId::new())
            .bind(org)
            .bind(&sync.figma_file_key)
            .bind(&sync.name)
            .bind(sync.file_type)
            .bind(&sync.thumbnail_url)
            .bind(sync.last_modified_at)
            .bind(Json(&sync.metadata))
            .bind(at)
            .fetch_one(conn)
            .await
        })
    }

    pub async fn get(&self, org: OrgId, id: FigmaFileId) -> Result<FigmaFile, StoreError> {
        let file: Option<FigmaFile> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM figma_files WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        file.ok_or_else(|| StoreError::not_found("figma file", id))
    }

    pub async fn list(&self, org: OrgId) -> Result<Vec<FigmaFile>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM figma_files WHERE organization_id = $1 ORDER BY name, id")
                .bind(org)
                .fetch_all(pool)
                .await
        })
    }

    pub async fn delete(&self, org: OrgId, id: FigmaFileId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM figma_files WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("figma file", id))
        } else {
            Ok(())
        }
    }
}

impl Store {
    pub fn figma_files(&self) -> FigmaFiles<'_> {
        FigmaFiles { store: self }
    }
}
