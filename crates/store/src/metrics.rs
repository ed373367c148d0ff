//! Metrics: the numbers analysts compute (append-only), and summaries over a range.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::{MetricId, OrgId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
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
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct MetricSummary {
    pub count: i64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub average: Option<f64>,
}

pub struct Metrics<'a> {
    store: &'a Store,
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

impl Store {
    pub fn metrics(&self) -> Metrics<'_> {
        Metrics { store: self }
    }
}
