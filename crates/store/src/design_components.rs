//! The design components found in Figma files.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
    /// The design QA agent's latest finding; `None` until it has checked.
    #[sqlx(json(nullable))]
    pub drift: Option<ComponentDrift>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a Figma component stands against the code components of the repository.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentDrift {
    pub status: DriftStatus,
    /// The code component it was matched with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_path: Option<String>,
    /// What differs between the two (empty when in step or missing).
    #[serde(default)]
    pub differences: Vec<Difference>,
    /// `owner/name` and the branch checked.
    pub repository: String,
    pub reference: String,
    pub checked_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    /// The code component has the same properties and options.
    InSync,
    /// The code component differs (see `differences`).
    Differs,
    /// No code component has its name.
    MissingInCode,
}

/// One way a code component differs from its Figma component. Properties are named as
/// code names them (camelCase), options as code spells them (kebab-case).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// A Figma property the code component has no prop for.
    PropertyMissingInCode { property: String },
    /// A prop of the code component that is no Figma property.
    PropertyMissingInFigma { property: String },
    /// A variant's options differ.
    OptionsDiffer {
        property: String,
        only_in_figma: Vec<String>,
        only_in_code: Vec<String>,
    },
    /// The prop's type is not what the Figma property's kind needs.
    KindDiffers {
        property: String,
        figma: String,
        code: String,
    },
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

impl DesignComponents<'_> {
    /// Writes the design QA agent's finding on a component (`None` clears it).
    pub async fn set_drift(
        &self,
        org: OrgId,
        id: DesignComponentId,
        drift: Option<&ComponentDrift>,
    ) -> Result<(), StoreError> {
        let updated = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE design_components SET drift = $3
                 WHERE id = $1 AND figma_file_id IN (SELECT id FROM figma_files WHERE organization_id = $2)",
            )
            .bind(id)
            .bind(org)
            .bind(drift.map(Json))
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if updated == 0 {
            return Err(StoreError::not_found("design component", id));
        }
        Ok(())
    }
}

impl Store {
    pub fn design_components(&self) -> DesignComponents<'_> {
        DesignComponents { store: self }
    }
}
