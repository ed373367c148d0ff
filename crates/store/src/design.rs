//! Figma files and the design components found in them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::FigmaFileType;
use crate::error::StoreError;
use crate::ids::{DesignComponentId, FigmaFileId, OrgId};
use crate::orgs::non_empty;

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
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

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct DesignComponent {
    pub id: DesignComponentId,
    pub figma_file_id: FigmaFileId,
    pub figma_component_id: String,
    pub name: String,
    pub description: Option<String>,
    pub component_type: Option<String>,
    pub code_generated: bool,
    pub code_path: Option<String>,
    pub usage_count: i32,
    #[sqlx(json)]
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct DesignComponentSync {
    pub figma_file_id: FigmaFileId,
    pub figma_component_id: String,
    pub name: String,
    pub description: Option<String>,
    pub component_type: Option<String>,
    pub metadata: Value,
}

pub struct FigmaFiles<'a> {
    store: &'a Store,
}
pub struct DesignComponents<'a> {
    store: &'a Store,
}

impl Store {
    pub fn figma_files(&self) -> FigmaFiles<'_> {
        FigmaFiles { store: self }
    }
    pub fn design_components(&self) -> DesignComponents<'_> {
        DesignComponents { store: self }
    }
}

impl FigmaFiles<'_> {
    pub async fn upsert(&self, org: OrgId, sync: FigmaFileSync) -> Result<FigmaFile, StoreError> {
        non_empty("figma_file_key", &sync.figma_file_key, 255)?;
        non_empty("name", &sync.name, 255)?;
        let at = self.store.now();
        writer!(self.store, |pool| {
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
            .fetch_one(pool)
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

impl DesignComponents<'_> {
    /// Inserts or refreshes a component; its file must be one of `org`'s.
    pub async fn upsert(
        &self,
        org: OrgId,
        sync: DesignComponentSync,
    ) -> Result<DesignComponent, StoreError> {
        non_empty("figma_component_id", &sync.figma_component_id, 255)?;
        non_empty("name", &sync.name, 255)?;
        let at = self.store.now();
        let component: Option<DesignComponent> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO design_components (id, figma_file_id, figma_component_id, name, description,
                        component_type, metadata, created_at, updated_at)
                 SELECT $1, f.id, $3, $4, $5, $6, $7, $8, $8 FROM figma_files f
                 WHERE f.id = $2 AND f.organization_id = $9
                 ON CONFLICT (figma_file_id, figma_component_id) DO UPDATE SET name = excluded.name,
                        description = excluded.description, component_type = excluded.component_type,
                        metadata = excluded.metadata, updated_at = excluded.updated_at
                 RETURNING *",
            )
            .bind(DesignComponentId::new())
            .bind(sync.figma_file_id)
            .bind(&sync.figma_component_id)
            .bind(&sync.name)
            .bind(&sync.description)
            .bind(&sync.component_type)
            .bind(Json(&sync.metadata))
            .bind(at)
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        component.ok_or_else(|| StoreError::not_found("figma file", sync.figma_file_id))
    }

    pub async fn get(
        &self,
        org: OrgId,
        id: DesignComponentId,
    ) -> Result<DesignComponent, StoreError> {
        let component: Option<DesignComponent> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT c.* FROM design_components c JOIN figma_files f ON f.id = c.figma_file_id
                 WHERE c.id = $1 AND f.organization_id = $2",
            )
            .bind(id)
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        component.ok_or_else(|| StoreError::not_found("design component", id))
    }

    /// Components of the organization, optionally of one file and one type.
    pub async fn list(
        &self,
        org: OrgId,
        file: Option<FigmaFileId>,
        component_type: Option<&str>,
    ) -> Result<Vec<DesignComponent>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT c.* FROM design_components c JOIN figma_files f ON f.id = c.figma_file_id
                 WHERE f.organization_id = $1 AND ($2 IS NULL OR c.figma_file_id = $2)
                   AND ($3 IS NULL OR c.component_type = $3)
                 ORDER BY c.name, c.id",
            )
            .bind(org)
            .bind(file)
            .bind(component_type)
            .fetch_all(pool)
            .await
        })
    }

    /// Records that code was generated for the component, and where it lives.
    pub async fn mark_code_generated(
        &self,
        org: OrgId,
        id: DesignComponentId,
        code_path: &str,
    ) -> Result<DesignComponent, StoreError> {
        non_empty("code_path", code_path, usize::MAX)?;
        let updated: Option<DesignComponent> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE design_components SET code_generated = TRUE, code_path = $3, updated_at = $4
                 WHERE id = $1 AND figma_file_id IN (SELECT id FROM figma_files WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(code_path)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("design component", id))
    }
}
