//! Events: what happened, from webhooks, agents and people (append-only).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Store;
use crate::enums::{EventActorType, ResourceKind};
use crate::error::StoreError;
use crate::ids::{EventId, OrgId};
use crate::page::{Cursor, Page, PageRequest};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Event {
    pub id: EventId,
    pub organization_id: OrgId,
    pub event_type: String,
    pub event_source: String,
    pub actor_type: Option<EventActorType>,
    pub actor_id: Option<Uuid>,
    pub resource_type: Option<ResourceKind>,
    pub resource_id: Option<Uuid>,
    #[sqlx(json)]
    pub metadata: Value,
    /// Set once the tasks the event causes exist; unrouted events are routed again at
    /// start-up.
    pub routed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Event {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewEvent {
    pub event_type: String,
    pub event_source: String,
    pub actor_type: Option<EventActorType>,
    pub actor_id: Option<Uuid>,
    pub resource_type: Option<ResourceKind>,
    pub resource_id: Option<Uuid>,
    pub metadata: Value,
}

#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub event_type: Option<String>,
    pub event_source: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Only what this actor (a member, an agent) did.
    pub actor_id: Option<Uuid>,
}

pub struct Events<'a> {
    store: &'a Store,
}

impl Events<'_> {
    pub async fn record(&self, org: OrgId, new: NewEvent) -> Result<Event, StoreError> {
        non_empty("event_type", &new.event_type, 100)?;
        non_empty("event_source", &new.event_source, 50)?;
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO events (id, organization_id, event_type, event_source, actor_type, actor_id,
                        resource_type, resource_id, metadata, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
            )
            .bind(EventId::new())
            .bind(org)
            .bind(&new.event_type)
            .bind(&new.event_source)
            .bind(new.actor_type)
            .bind(new.actor_id)
            .bind(new.resource_type)
            .bind(new.resource_id)
            .bind(Json(&new.metadata))
            .bind(self.store.now())
            .fetch_one(pool)
            .await
        })
    }

    /// How many events the organization has (of one type, when given).
    pub async fn count(&self, org: OrgId, event_type: Option<&str>) -> Result<u64, StoreError> {
        let (count,): (i64,) = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM events WHERE organization_id = $1 AND ($2 IS NULL OR event_type = $2)",
            )
            .bind(org)
            .bind(event_type)
            .fetch_one(pool)
            .await
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    pub async fn get(&self, org: OrgId, id: EventId) -> Result<Event, StoreError> {
        let event: Option<Event> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM events WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        event.ok_or_else(|| StoreError::not_found("event", id))
    }

    pub async fn list(
        &self,
        org: OrgId,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<Event>, StoreError> {
        let rows: Vec<Event> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM events WHERE organization_id = $1
                   AND ($2 IS NULL OR event_type = $2)
                   AND ($3 IS NULL OR event_source = $3)
                   AND ($4 IS NULL OR created_at >= $4)
                   AND ($5 IS NULL OR created_at < $5)
                   AND ($6 IS NULL OR (created_at, id) < ($6, $7))
                   AND ($9 IS NULL OR actor_id = $9)
                 ORDER BY created_at DESC, id DESC LIMIT $8",
            )
            .bind(org)
            .bind(&filter.event_type)
            .bind(&filter.event_source)
            .bind(filter.created_after)
            .bind(filter.created_before)
            .bind(page.after_created_at())
            .bind(page.after_id())
            .bind(page.sql_limit())
            .bind(filter.actor_id)
            .fetch_all(pool)
            .await
        })?;
        Ok(Page::from_rows(rows, page, Event::cursor))
    }

    pub async fn mark_routed(&self, org: OrgId, id: EventId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("UPDATE events SET routed_at = $3 WHERE id = $1 AND organization_id = $2 AND routed_at IS NULL")
                .bind(id)
                .bind(org)
                .bind(self.store.now())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            // Already routed is fine; missing is not.
            self.get(org, id).await.map(|_| ())
        } else {
            Ok(())
        }
    }

    /// Marks several of the organization's events routed with one statement (the
    /// router's batch). Those already routed, or not the organization's, are left as
    /// they are.
    pub async fn mark_routed_many(&self, org: OrgId, ids: &[EventId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        writer!(self.store, |pool| {
            let mut update = sqlx::QueryBuilder::new("UPDATE events SET routed_at = ");
            update.push_bind(self.store.now());
            update.push(" WHERE organization_id = ");
            update.push_bind(org);
            update.push(" AND routed_at IS NULL AND id IN (");
            let mut list = update.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            update.push(")");
            update.build().execute(pool).await.map(|_| ())
        })
    }

    /// Events never routed (the node died after accepting them), oldest first, across
    /// organizations: routed again at start-up.
    pub async fn unrouted(&self, limit: u32) -> Result<Vec<Event>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM events WHERE routed_at IS NULL ORDER BY created_at, id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
    }
}

impl Store {
    pub fn events(&self) -> Events<'_> {
        Events { store: self }
    }
}
