//! Risk assessments: the prediction agent's latest risk of a deployment or a pull
//! request, one row per subject (a new assessment replaces the old one).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::Store;
use crate::enums::RiskSubject;
use crate::error::StoreError;
use crate::ids::OrgId;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct RiskAssessment {
    pub organization_id: OrgId,
    pub resource_type: RiskSubject,
    pub resource_id: Uuid,
    /// 0 (safe) to 100.
    pub risk: i32,
    /// 0 to 1.
    pub confidence: f64,
    /// The factors that weighed most, as the agent wrote them.
    #[sqlx(json)]
    pub factors: Value,
    /// `prior` or `trained`.
    pub model: String,
    pub assessed_at: DateTime<Utc>,
}

/// A new assessment.
#[derive(Clone, Debug)]
pub struct NewRiskAssessment {
    pub resource_type: RiskSubject,
    pub resource_id: Uuid,
    pub risk: i32,
    pub confidence: f64,
    pub factors: Value,
    pub model: String,
}

pub struct Risks<'a> {
    store: &'a Store,
}

impl Risks<'_> {
    /// Records `new` as the subject's assessment, replacing an earlier one.
    pub async fn record(
        &self,
        org: OrgId,
        new: NewRiskAssessment,
    ) -> Result<RiskAssessment, StoreError> {
        if !(0..=100).contains(&new.risk) {
            return Err(StoreError::Invalid {
                field: "risk",
                reason: format!("{} is not in 0–100", new.risk),
            });
        }
        if !(0.0..=1.0).contains(&new.confidence) {
            return Err(StoreError::Invalid {
                field: "confidence",
                reason: format!("{} is not in 0–1", new.confidence),
            });
        }
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO risk_assessments (organization_id, resource_type, resource_id, risk,
                        confidence, factors, model, assessed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (resource_type, resource_id) DO UPDATE SET
                        risk = excluded.risk, confidence = excluded.confidence,
                        factors = excluded.factors, model = excluded.model,
                        assessed_at = excluded.assessed_at
                 RETURNING *",
            )
            .bind(org)
            .bind(new.resource_type)
            .bind(new.resource_id)
            .bind(new.risk)
            .bind(new.confidence)
            .bind(Json(&new.factors))
            .bind(&new.model)
            .bind(self.store.now())
            .fetch_one(pool)
            .await
        })
    }

    /// The latest `limit` assessments of `org`, of `subject` when given, newest first.
    pub async fn recent(
        &self,
        org: OrgId,
        subject: Option<RiskSubject>,
        limit: u32,
    ) -> Result<Vec<RiskAssessment>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM risk_assessments WHERE organization_id = $1
                   AND ($2 IS NULL OR resource_type = $2)
                 ORDER BY assessed_at DESC, resource_id LIMIT $3",
            )
            .bind(org)
            .bind(subject)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
    }

    /// The assessments of these subjects of `org` (those that have one).
    pub async fn of(
        &self,
        org: OrgId,
        resource_type: RiskSubject,
        ids: &[Uuid],
    ) -> Result<Vec<RiskAssessment>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        // In chunks: one statement's parameters are bounded.
        for chunk in ids.chunks(200) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT * FROM risk_assessments WHERE organization_id = $1 AND resource_type = $2
                   AND resource_id IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<RiskAssessment> = reader!(self.store, |pool| {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(org)
                    .bind(resource_type);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(pool).await
            })?;
            found.extend(rows);
        }
        Ok(found)
    }
}

impl Store {
    pub fn risks(&self) -> Risks<'_> {
        Risks { store: self }
    }
}
