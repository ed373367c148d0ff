//! The design components found in Figma files.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::{DesignComponentId, FigmaFileId, OrgId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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

pub struct DesignComponents<'a> {
    store: &'a Store,
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

impl Store {
    pub fn design_components(&self) -> DesignComponents<'_> {
        DesignComponents { store: self }
    }
}
