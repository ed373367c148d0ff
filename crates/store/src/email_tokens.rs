//! One-use links mailed to a person: e-mail verification and password reset. Only the
//! token's SHA-256 is stored; a token is redeemed once, before it expires, and only for
//! the address it was sent to.

use chrono::{DateTime, Utc};

use crate::db::Store;
use crate::enums::EmailPurpose;
use crate::error::StoreError;
use crate::ids::{EmailTokenId, UserId};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct EmailToken {
    pub id: EmailTokenId,
    pub user_id: UserId,
    pub purpose: EmailPurpose,
    /// The address the link was sent to: following it proves this address, and only
    /// while the account still has it.
    pub email: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub struct EmailTokens<'a> {
    store: &'a Store,
}

impl Store {
    pub fn email_tokens(&self) -> EmailTokens<'_> {
        EmailTokens { store: self }
    }
}

impl EmailTokens<'_> {
    pub async fn issue(
        &self,
        user: UserId,
        purpose: EmailPurpose,
        email: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<EmailToken, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO email_tokens (id, user_id, purpose, email, token_hash, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            )
            .bind(EmailTokenId::new())
            .bind(user)
            .bind(purpose)
            .bind(email.to_lowercase())
            .bind(token_hash)
            .bind(expires_at)
            .bind(self.store.now())
            .fetch_one(pool)
            .await
        })
    }

    /// Spends the token: `Some` exactly once, while it is unexpired and of `purpose`.
    /// Every other unused token of the same purpose for that user is spent with it (a
    /// reset link older than the one used cannot be used later).
    pub async fn redeem(
        &self,
        purpose: EmailPurpose,
        token_hash: &str,
    ) -> Result<Option<EmailToken>, StoreError> {
        let at = self.store.now();
        let redeemed: Option<EmailToken> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE email_tokens SET used_at = $3
                 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
                 RETURNING *",
            )
            .bind(token_hash)
            .bind(purpose)
            .bind(at)
            .fetch_optional(pool)
            .await
        })?;
        if let Some(token) = &redeemed {
            writer!(self.store, |pool| {
                sqlx::query(
                    "UPDATE email_tokens SET used_at = $3
                     WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
                )
                .bind(token.user_id)
                .bind(purpose)
                .bind(at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            })?;
        }
        Ok(redeemed)
    }

    /// The token of `purpose` with this hash, used or not (to tell a person that a link
    /// they follow again was already used).
    pub async fn find(
        &self,
        purpose: EmailPurpose,
        token_hash: &str,
    ) -> Result<Option<EmailToken>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM email_tokens WHERE token_hash = $1 AND purpose = $2")
                .bind(token_hash)
                .bind(purpose)
                .fetch_optional(pool)
                .await
        })
    }

    /// How many tokens of `purpose` were sent to `user` since `since` (links are
    /// limited per person, so that nobody can fill someone's mailbox).
    pub async fn sent_since(
        &self,
        user: UserId,
        purpose: EmailPurpose,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (count,): (i64,) = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM email_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3",
            )
            .bind(user)
            .bind(purpose)
            .bind(since)
            .fetch_one(pool)
            .await
        })?;
        Ok(count)
    }
}
