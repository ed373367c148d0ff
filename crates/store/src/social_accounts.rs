//! Social accounts (X/Twitter, LinkedIn) connected with sealed credentials.

use chrono::{DateTime, Utc};

use crate::db::Store;
use crate::enums::SocialPlatform;
use crate::error::StoreError;
use crate::ids::{OrgId, SocialAccountId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SocialAccount {
    pub id: SocialAccountId,
    pub organization_id: OrgId,
    pub platform: SocialPlatform,
    pub account_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub follower_count: i32,
    pub credentials_encrypted: String,
    pub active: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewSocialAccount {
    pub platform: SocialPlatform,
    pub account_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub credentials_encrypted: String,
}

pub struct SocialAccounts<'a> {
    store: &'a Store,
}

impl SocialAccounts<'_> {
    /// Connects an account, or refreshes the one with the same platform and id.
    pub async fn connect(
        &self,
        org: OrgId,
        new: NewSocialAccount,
    ) -> Result<SocialAccount, StoreError> {
        non_empty("account_id", &new.account_id, 255)?;
        non_empty("handle", &new.handle, 255)?;
        non_empty("credentials", &new.credentials_encrypted, usize::MAX)?;
        let at = self.store.now();
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO social_accounts (id, organization_id, platform, account_id, handle, display_name,
                        avatar_url, credentials_encrypted, active, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9)
                 ON CONFLICT (organization_id, platform, account_id) DO UPDATE SET handle = excluded.handle,
                        display_name = excluded.display_name, avatar_url = excluded.avatar_url,
                        credentials_encrypted = excluded.credentials_encrypted, active = TRUE,
                        updated_at = excluded.updated_at
                 RETURNING *",
            )
            .bind(SocialAccountId::new())
            .bind(org)
            .bind(new.platform)
            .bind(&new.account_id)
            .bind(&new.handle)
            .bind(&new.display_name)
            .bind(&new.avatar_url)
            .bind(&new.credentials_encrypted)
            .bind(at)
            .fetch_one(pool)
            .await
        })
    }

    pub async fn get(&self, org: OrgId, id: SocialAccountId) -> Result<SocialAccount, StoreError> {
        let account: Option<SocialAccount> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM social_accounts WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .fetch_optional(pool)
                .await
        })?;
        account.ok_or_else(|| StoreError::not_found("social account", id))
    }

    pub async fn list(
        &self,
        org: OrgId,
        platform: Option<SocialPlatform>,
    ) -> Result<Vec<SocialAccount>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM social_accounts WHERE organization_id = $1 AND ($2 IS NULL OR platform = $2)
                 ORDER BY platform, handle",
            )
            .bind(org)
            .bind(platform)
            .fetch_all(pool)
            .await
        })
    }

    pub async fn record_sync(
        &self,
        org: OrgId,
        id: SocialAccountId,
        follower_count: i32,
        at: DateTime<Utc>,
    ) -> Result<SocialAccount, StoreError> {
        let updated: Option<SocialAccount> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE social_accounts SET follower_count = $3, last_sync_at = $4, updated_at = $4
                 WHERE id = $1 AND organization_id = $2 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(follower_count)
            .bind(at)
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("social account", id))
    }

    /// Every account of every organization (key rotation walks them all).
    pub async fn list_all(&self) -> Result<Vec<SocialAccount>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM social_accounts ORDER BY created_at, id")
                .fetch_all(pool)
                .await
        })
    }

    /// Replaces the stored ciphertext (key rotation).
    pub async fn replace_credentials(
        &self,
        id: SocialAccountId,
        credentials_encrypted: &str,
    ) -> Result<(), StoreError> {
        writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE social_accounts SET credentials_encrypted = $2, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(credentials_encrypted)
            .bind(self.store.now())
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    pub async fn delete(&self, org: OrgId, id: SocialAccountId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM social_accounts WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(org)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("social account", id))
        } else {
            Ok(())
        }
    }
}

impl Store {
    pub fn social_accounts(&self) -> SocialAccounts<'_> {
        SocialAccounts { store: self }
    }
}
