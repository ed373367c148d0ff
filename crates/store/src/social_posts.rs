//! Posts drafted, scheduled and published through social accounts, with their
//! engagement.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{SocialPlatform, SocialPostStatus};
use crate::error::StoreError;
use crate::ids::{OrgId, SocialAccountId, SocialPostId, UserId};
use crate::page::{Cursor, Page, PageRequest};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SocialPost {
    pub id: SocialPostId,
    pub social_account_id: SocialAccountId,
    pub platform: SocialPlatform,
    pub external_post_id: Option<String>,
    pub content: String,
    pub status: SocialPostStatus,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub engagement_likes: i32,
    pub engagement_comments: i32,
    pub engagement_shares: i32,
    pub engagement_views: i32,
    pub agent_generated: bool,
    pub approved_by: Option<UserId>,
    #[sqlx(json)]
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SocialPost {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewSocialPost {
    pub social_account_id: SocialAccountId,
    pub content: String,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub agent_generated: bool,
    pub metadata: Value,
}

#[derive(Clone, Debug, Default)]
pub struct SocialPostPatch {
    pub content: Option<String>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub status: Option<SocialPostStatus>,
}

#[derive(Clone, Debug, Default)]
pub struct SocialPostFilter {
    pub social_account_id: Option<SocialAccountId>,
    pub status: Option<SocialPostStatus>,
    pub platform: Option<SocialPlatform>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Engagement {
    pub likes: i32,
    pub comments: i32,
    pub shares: i32,
    pub views: i32,
}

pub struct SocialPosts<'a> {
    store: &'a Store,
}

/// The longest post each platform accepts, in characters.
fn max_post_length(platform: SocialPlatform) -> usize {
    match platform {
        SocialPlatform::Twitter => 280,
        SocialPlatform::Linkedin => 3000,
    }
}

impl SocialPosts<'_> {
    /// Drafts a post (or schedules it when `scheduled_for` is set) on one of `org`'s
    /// accounts; the content must fit the platform.
    pub async fn create(&self, org: OrgId, new: NewSocialPost) -> Result<SocialPost, StoreError> {
        let account = self
            .store
            .social_accounts()
            .get(org, new.social_account_id)
            .await?;
        validate_content(account.platform, &new.content)?;
        let status = if new.scheduled_for.is_some() {
            SocialPostStatus::Scheduled
        } else {
            SocialPostStatus::Draft
        };
        let at = self.store.now();
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO social_posts (id, social_account_id, platform, content, status, scheduled_for,
                        agent_generated, metadata, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *",
            )
            .bind(SocialPostId::new())
            .bind(account.id)
            .bind(account.platform)
            .bind(&new.content)
            .bind(status)
            .bind(new.scheduled_for)
            .bind(new.agent_generated)
            .bind(Json(&new.metadata))
            .bind(at)
            .fetch_one(pool)
            .await
        })
    }

    pub async fn get(&self, org: OrgId, id: SocialPostId) -> Result<SocialPost, StoreError> {
        let post: Option<SocialPost> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.* FROM social_posts p JOIN social_accounts a ON a.id = p.social_account_id
                 WHERE p.id = $1 AND a.organization_id = $2",
            )
            .bind(id)
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        post.ok_or_else(|| StoreError::not_found("social post", id))
    }

    pub async fn list(
        &self,
        org: OrgId,
        filter: &SocialPostFilter,
        page: &PageRequest,
    ) -> Result<Page<SocialPost>, StoreError> {
        let rows: Vec<SocialPost> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.* FROM social_posts p JOIN social_accounts a ON a.id = p.social_account_id
                 WHERE a.organization_id = $1
                   AND ($2 IS NULL OR p.social_account_id = $2)
                   AND ($3 IS NULL OR p.status = $3)
                   AND ($4 IS NULL OR p.platform = $4)
                   AND ($5 IS NULL OR (p.created_at, p.id) < ($5, $6))
                 ORDER BY p.created_at DESC, p.id DESC LIMIT $7",
            )
            .bind(org)
            .bind(filter.social_account_id)
            .bind(filter.status)
            .bind(filter.platform)
            .bind(page.after_created_at())
            .bind(page.after_id())
            .bind(page.sql_limit())
            .fetch_all(pool)
            .await
        })?;
        Ok(Page::from_rows(rows, page, SocialPost::cursor))
    }

    /// Edits a post that is not published yet.
    pub async fn update(
        &self,
        org: OrgId,
        id: SocialPostId,
        patch: SocialPostPatch,
    ) -> Result<SocialPost, StoreError> {
        let current = self.get(org, id).await?;
        if current.status == SocialPostStatus::Published {
            return Err(StoreError::Invalid {
                field: "status",
                reason: "a published post cannot be edited".into(),
            });
        }
        if let Some(content) = &patch.content {
            validate_content(current.platform, content)?;
        }
        let updated: Option<SocialPost> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE social_posts SET content = COALESCE($2, content), scheduled_for = COALESCE($3, scheduled_for),
                        status = COALESCE($4, status), updated_at = $5
                 WHERE id = $1 AND status <> 'published' RETURNING *",
            )
            .bind(id)
            .bind(&patch.content)
            .bind(patch.scheduled_for)
            .bind(patch.status)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::Invalid {
            field: "status",
            reason: "the post was published meanwhile".into(),
        })
    }

    /// Records a successful publication on the platform.
    pub async fn mark_published(
        &self,
        org: OrgId,
        id: SocialPostId,
        external_post_id: &str,
        approved_by: Option<UserId>,
    ) -> Result<SocialPost, StoreError> {
        let at = self.store.now();
        let updated: Option<SocialPost> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE social_posts SET status = 'published', external_post_id = $3, published_at = $4,
                        approved_by = COALESCE($5, approved_by), updated_at = $4
                 WHERE id = $1 AND social_account_id IN (SELECT id FROM social_accounts WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(external_post_id)
            .bind(at)
            .bind(approved_by)
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("social post", id))
    }

    pub async fn record_engagement(
        &self,
        org: OrgId,
        id: SocialPostId,
        engagement: Engagement,
    ) -> Result<SocialPost, StoreError> {
        let updated: Option<SocialPost> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE social_posts SET engagement_likes = $3, engagement_comments = $4, engagement_shares = $5,
                        engagement_views = $6, updated_at = $7
                 WHERE id = $1 AND social_account_id IN (SELECT id FROM social_accounts WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(engagement.likes)
            .bind(engagement.comments)
            .bind(engagement.shares)
            .bind(engagement.views)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("social post", id))
    }

    /// Replaces a post's metadata (what the agents note on it).
    pub async fn set_metadata(
        &self,
        org: OrgId,
        id: SocialPostId,
        metadata: &Value,
    ) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE social_posts SET metadata = $3, updated_at = $4
                 WHERE id = $1 AND social_account_id IN (SELECT id FROM social_accounts WHERE organization_id = $2)",
            )
            .bind(id)
            .bind(org)
            .bind(Json(metadata))
            .bind(self.store.now())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            return Err(StoreError::not_found("social post", id));
        }
        Ok(())
    }

    /// The organization's posts published at or after `since` on the platform (with
    /// their ids there), newest first, at most 1,000.
    pub async fn published_since(
        &self,
        org: OrgId,
        since: DateTime<Utc>,
    ) -> Result<Vec<SocialPost>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.* FROM social_posts p JOIN social_accounts a ON a.id = p.social_account_id
                 WHERE a.organization_id = $1 AND p.status = 'published' AND p.published_at >= $2
                       AND p.external_post_id IS NOT NULL
                 ORDER BY p.published_at DESC LIMIT 1000",
            )
            .bind(org)
            .bind(since)
            .fetch_all(pool)
            .await
        })
    }

    /// Scheduled posts due at or before `at`, across organizations.
    pub async fn due(&self, at: DateTime<Utc>) -> Result<Vec<SocialPost>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM social_posts WHERE status = 'scheduled' AND scheduled_for <= $1
                 ORDER BY scheduled_for, id",
            )
            .bind(at)
            .fetch_all(pool)
            .await
        })
    }

    pub async fn delete(&self, org: OrgId, id: SocialPostId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "DELETE FROM social_posts
                 WHERE id = $1 AND social_account_id IN (SELECT id FROM social_accounts WHERE organization_id = $2)",
            )
            .bind(id)
            .bind(org)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("social post", id))
        } else {
            Ok(())
        }
    }
}

fn validate_content(platform: SocialPlatform, content: &str) -> Result<(), StoreError> {
    non_empty("content", content, usize::MAX)?;
    let length = content.chars().count();
    let max = max_post_length(platform);
    if length > max {
        return Err(StoreError::Invalid {
            field: "content",
            reason: format!("{length} characters; {platform} accepts at most {max}"),
        });
    }
    Ok(())
}

impl Store {
    pub fn social_posts(&self) -> SocialPosts<'_> {
        SocialPosts { store: self }
    }
}
