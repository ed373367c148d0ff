//! Collaborations between agents (handoffs, reviews, requests, consensus) as the runtime
//! records them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{CollaborationStatus, CollaborationType};
use crate::error::StoreError;
use crate::ids::{AgentId, CollaborationId, OrgId, TaskId};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Collaboration {
    pub id: CollaborationId,
    pub primary_agent_id: AgentId,
    pub collaborating_agent_id: AgentId,
    pub task_id: Option<TaskId>,
    pub collaboration_type: Option<CollaborationType>,
    pub status: CollaborationStatus,
    #[sqlx(json)]
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

pub struct Collaborations<'a> {
    store: &'a Store,
}

impl Collaborations<'_> {
    /// Records that `primary` worked with `collaborating`. Both must belong to `org`. A
    /// collaboration about a task is recorded once per agents, task and type: recording
    /// it again (a coordinator resumed after a crash) returns the first record.
    pub async fn record(
        &self,
        org: OrgId,
        primary: AgentId,
        collaborating: AgentId,
        task: Option<TaskId>,
        collaboration_type: CollaborationType,
        metadata: Value,
    ) -> Result<Collaboration, StoreError> {
        let inserted: Option<Collaboration> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO agent_collaborations (id, primary_agent_id, collaborating_agent_id, task_id,
                        collaboration_type, status, metadata, created_at)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8
                 WHERE (SELECT COUNT(*) FROM agents WHERE organization_id = $9 AND id IN ($2, $3))
                       = CASE WHEN $2 = $3 THEN 1 ELSE 2 END
                   AND NOT EXISTS (SELECT 1 FROM agent_collaborations
                       WHERE task_id = $4 AND primary_agent_id = $2
                         AND collaborating_agent_id = $3 AND collaboration_type = $5)
                 RETURNING *",
            )
            .bind(CollaborationId::new())
            .bind(primary)
            .bind(collaborating)
            .bind(task)
            .bind(collaboration_type)
            .bind(CollaborationStatus::Active)
            .bind(Json(&metadata))
            .bind(self.store.now())
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        if let Some(inserted) = inserted {
            return Ok(inserted);
        }
        let existing: Option<Collaboration> = match task {
            Some(task) => reader!(self.store, |pool| {
                sqlx::query_as(
                    "SELECT c.* FROM agent_collaborations c JOIN agents a ON a.id = c.primary_agent_id
                     WHERE c.task_id = $1 AND c.primary_agent_id = $2 AND c.collaborating_agent_id = $3
                       AND c.collaboration_type = $4 AND a.organization_id = $5",
                )
                .bind(task)
                .bind(primary)
                .bind(collaborating)
                .bind(collaboration_type)
                .bind(org)
                .fetch_optional(pool)
                .await
            })?,
            None => None,
        };
        existing.ok_or_else(|| StoreError::not_found("agent", primary))
    }

    pub async fn finish(
        &self,
        org: OrgId,
        id: CollaborationId,
        status: CollaborationStatus,
        metadata: Option<Value>,
    ) -> Result<Collaboration, StoreError> {
        let updated: Option<Collaboration> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE agent_collaborations SET status = $3, metadata = COALESCE($4, metadata)
                 WHERE id = $1 AND primary_agent_id IN (SELECT id FROM agents WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(status)
            .bind(metadata.as_ref().map(Json))
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("collaboration", id))
    }

    /// Collaborations the agent took part in, on either side, newest first.
    pub async fn list_for_agent(
        &self,
        org: OrgId,
        agent: AgentId,
    ) -> Result<Vec<Collaboration>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT c.* FROM agent_collaborations c JOIN agents a ON a.id = c.primary_agent_id
                 WHERE a.organization_id = $1 AND (c.primary_agent_id = $2 OR c.collaborating_agent_id = $2)
                 ORDER BY c.created_at DESC, c.id DESC",
            )
            .bind(org)
            .bind(agent)
            .fetch_all(pool)
            .await
        })
    }
}

impl Store {
    pub fn collaborations(&self) -> Collaborations<'_> {
        Collaborations { store: self }
    }
}
