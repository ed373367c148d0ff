//! Events (what happened, from webhooks, agents and people) and metrics (numbers the
//! analysts compute). Both are append-only.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Store;
use crate::enums::EventActorType;
use crate::error::StoreError;
use crate::ids::{EventId, MetricId, OrgId};
use crate::orgs::non_empty;
use crate::page::{Cursor, Page, PageRequest};

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Event {
    pub id: EventId,
    pub organization_id: OrgId,
    pub event_type: String,
    pub event_source: String,
    pub actor_type: Option<EventActorType>,
    pub actor_id: Option<Uuid>,
    pub resource_type: Option<String>,
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
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub metadata: Value,
}

#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub event_type: Option<String>,
    pub event_source: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Metric {
    pub id: MetricId,
    pub organization_id: OrgId,
    pub metric_type: String,
    pub value: f64,
    pub unit: Option<String>,
    #[sqlx(json)]
    pub dimensions: Value,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewMetric {
    pub metric_type: String,
    pub value: f64,
    pub unit: Option<String>,
    pub dimensions: Value,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// A summary of one metric type over a time range.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct MetricSummary {
    pub count: i64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub average: Option<f64>,
}

pub struct Events<'a> {
    store: &'a Store,
}
pub struct Metrics<'a> {
    store: &'a Store,
}

impl Store {
    pub fn events(&self) -> Events<'_> {
        Events { store: self }
    }
    pub fn metrics(&self) -> Metrics<'_> {
        Metrics { store: self }
    }
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
            .bind(&new.resource_type)
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

impl Metrics<'_> {
    pub async fn record(&self, org: OrgId, new: NewMetric) -> Result<Metric, StoreError> {
        non_empty("metric_type", &new.metric_type, 100)?;
        if !new.value.is_finite() {
            return Err(StoreError::Invalid {
                field: "value",
                reason: "must be a finite number".into(),
            });
        }
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO metrics (id, organization_id, metric_type, value, unit, dimensions, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            )
            .bind(MetricId::new())
            .bind(org)
            .bind(&new.metric_type)
            .bind(new.value)
            .bind(&new.unit)
            .bind(Json(&new.dimensions))
            .bind(new.recorded_at.unwrap_or_else(|| self.store.now()))
            .fetch_one(pool)
            .await
        })
    }

    /// Values of one metric type in `[from, to)`, oldest first.
    pub async fn series(
        &self,
        org: OrgId,
        metric_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Metric>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM metrics WHERE organization_id = $1 AND metric_type = $2
                   AND recorded_at >= $3 AND recorded_at < $4 ORDER BY recorded_at, id",
            )
            .bind(org)
            .bind(metric_type)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })
    }

    pub async fn summary(
        &self,
        org: OrgId,
        metric_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<MetricSummary, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) AS count, MIN(value) AS min, MAX(value) AS max, AVG(value) AS average
                 FROM metrics WHERE organization_id = $1 AND metric_type = $2
                   AND recorded_at >= $3 AND recorded_at < $4",
            )
            .bind(org)
            .bind(metric_type)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
        })
    }
}
