//! Content forecasts: the prediction agent's latest forecast of each draft or scheduled
//! social post (one row per post; a new forecast replaces the old one).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::{OrgId, SocialPostId};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ContentForecast {
    pub post_id: SocialPostId,
    pub organization_id: OrgId,
    /// 0–100: the chance the post engages more than the organization's typical post on
    /// its platform.
    pub chance: i32,
    /// That typical engagement (likes, comments and shares), when posts were published.
    pub typical_engagement: Option<f64>,
    /// 0 to 1.
    pub confidence: f64,
    /// The factors that weighed most, as the agent wrote them.
    #[sqlx(json)]
    pub factors: Value,
    /// `prior` or `trained`.
    pub model: String,
    pub forecast_at: DateTime<Utc>,
}

/// A new forecast.
#[derive(Clone, Debug)]
pub struct NewContentForecast {
    pub post_id: SocialPostId,
    pub chance: i32,
    pub typical_engagement: Option<f64>,
    pub confidence: f64,
    pub factors: Value,
    pub model: String,
}

pub struct Forecasts<'a> {
    store: &'a Store,
}

impl Forecasts<'_> {
    /// Records `new` as the post's forecast, replacing an earlier one. The post must be
    /// `org`'s.
    pub async fn record(
        &self,
        org: OrgId,
        new: NewContentForecast,
    ) -> Result<ContentForecast, StoreError> {
        if !(0..=100).contains(&new.chance) {
            return Err(StoreError::Invalid {
                field: "chance",
                reason: format!("{} is not in 0–100", new.chance),
            });
        }
        if !(0.0..=1.0).contains(&new.confidence) {
            return Err(StoreError::Invalid {
                field: "confidence",
                reason: format!("{} is not in 0–1", new.confidence),
            });
        }
        let row: Option<ContentForecast> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO content_forecasts (post_id, organization_id, chance,
                        typical_engagement, confidence, factors, model, forecast_at)
                 SELECT p.id, a.organization_id, $3, $4, $5, $6, $7, $8
                 FROM social_posts p JOIN social_accounts a ON a.id = p.social_account_id
                 WHERE p.id = $1 AND a.organization_id = $2
                 ON CONFLICT (post_id) DO UPDATE SET
                        chance = excluded.chance,
                        typical_engagement = excluded.typical_engagement,
                        confidence = excluded.confidence, factors = excluded.factors,
                        model = excluded.model, forecast_at = excluded.forecast_at
                 RETURNING *",
            )
            .bind(new.post_id)
            .bind(org)
            .bind(new.chance)
            .bind(new.typical_engagement)
            .bind(new.confidence)
            .bind(Json(&new.factors))
            .bind(&new.model)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        row.ok_or(StoreError::NotFound {
            entity: "social post",
            id: new.post_id.to_string(),
        })
    }

    /// The latest `limit` forecasts of `org`, newest first.
    pub async fn recent(&self, org: OrgId, limit: u32) -> Result<Vec<ContentForecast>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM content_forecasts WHERE organization_id = $1
                 ORDER BY forecast_at DESC, post_id LIMIT $2",
            )
            .bind(org)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
    }
}

impl Store {
    pub fn forecasts(&self) -> Forecasts<'_> {
        Forecasts { store: self }
    }
}
