//! Sessions: refresh tokens (one family per login, rotated on every use) and the
//! sessions ended before their access tokens expire. An access token names its session
//! (the refresh-token family it was issued with); a session ended by logout, by a
//! reused refresh token or by a password reset is written to `revoked_sessions` until
//! its last access token has expired, and every request checks that list.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::Store;
use crate::error::StoreError;
use crate::ids::{RefreshTokenId, UserId};

impl Store {
    pub fn refresh_tokens(&self) -> RefreshTokens<'_> {
        RefreshTokens { store: self }
    }
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct RefreshToken {
    pub id: RefreshTokenId,
    pub user_id: UserId,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<RefreshTokenId>,
    pub created_at: DateTime<Utc>,
}

pub struct RefreshTokens<'a> {
    store: &'a Store,
}

impl RefreshTokens<'_> {
    /// Stores the hash of a new refresh token. `family` is shared by every token that
    /// rotation derives from one login, so reuse of a rotated token can revoke them all.
    pub async fn issue(
        &self,
        user: UserId,
        family: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<RefreshToken, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
            )
            .bind(RefreshTokenId::new())
            .bind(user)
            .bind(family)
            .bind(token_hash)
            .bind(expires_at)
            .bind(self.store.now())
            .fetch_one(pool)
            .await
        })
    }

    pub async fn find_by_hash(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await
        })
    }

    /// Marks `old` as replaced by `new` — only if `old` is still live. Returns false
    /// when it was already revoked (a reuse: the caller revokes the family).
    pub async fn mark_rotated(
        &self,
        old: RefreshTokenId,
        new: RefreshTokenId,
    ) -> Result<bool, StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $3, replaced_by = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(old)
            .bind(new)
            .bind(self.store.now())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(result == 1)
    }

    /// Ends a session: revokes every live refresh token of the family and records the
    /// session as revoked until `access_valid_until` (the latest expiry an access token
    /// of it can have), both in one transaction. Returns how many refresh tokens were
    /// still live.
    pub async fn end_session(
        &self,
        family: Uuid,
        user: UserId,
        access_valid_until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let at = self.store.now();
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let revoked = sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
                )
                .bind(family)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query(
                    "INSERT INTO revoked_sessions (session_id, user_id, expires_at, revoked_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO NOTHING",
                )
                .bind(family)
                .bind(user)
                .bind(access_valid_until)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(revoked)
            }
            .await
        })
    }

    /// Ends every session of `user` (a password reset, an account taken back by the
    /// owner of its address). Returns how many refresh tokens were still live.
    pub async fn end_all_sessions(
        &self,
        user: UserId,
        access_valid_until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let at = self.store.now();
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO revoked_sessions (session_id, user_id, expires_at, revoked_at)
                     SELECT DISTINCT family_id, user_id, $2, $3 FROM refresh_tokens
                     WHERE user_id = $1 AND expires_at > $3
                     ON CONFLICT (session_id) DO NOTHING",
                )
                // A family whose refresh tokens have all expired has no live access
                // token either (access tokens are issued with refresh tokens and live
                // far shorter), so it is not listed.
                .bind(user)
                .bind(access_valid_until)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let revoked = sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(user)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(revoked)
            }
            .await
        })
    }

    /// Whether the session was ended before its access tokens expire.
    pub async fn session_revoked(&self, session: Uuid) -> Result<bool, StoreError> {
        let row: Option<(Uuid,)> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT session_id FROM revoked_sessions WHERE session_id = $1")
                .bind(session)
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.is_some())
    }

    /// Forgets revoked sessions whose access tokens have all expired (the list stays as
    /// small as the sessions ended within one access-token lifetime). Returns how many.
    pub async fn purge_revoked_sessions(&self) -> Result<u64, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query("DELETE FROM revoked_sessions WHERE expires_at <= $1")
                .bind(self.store.now())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
    }
}
