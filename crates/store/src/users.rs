//! Accounts: who signs in and with what (a password hash, a GitHub id), and whether
//! their address is proved.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{MemberRole, UserRole};
use crate::error::StoreError;
use crate::ids::{InvitationId, MemberId, OrgId, UserId};
use crate::invitations::ACCEPT_INVITATION;
use crate::organizations::{
    INSERT_MEMBER, INSERT_ORGANIZATION_UNLESS_TAKEN, Organization, validate_slug,
};
use crate::validate::{non_empty, validate_email};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub role: UserRole,
    /// argon2id PHC string; `None` for users who only sign in through GitHub.
    pub password_hash: Option<String>,
    pub github_id: Option<i64>,
    #[sqlx(json)]
    pub settings: Value,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the person proved they receive mail at `email` (a link mailed to it, or a
    /// verified address from GitHub). Until then the address is only a claim: nothing
    /// is ever attached to the account because of it.
    pub email_verified_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub role: Option<UserRole>,
    pub password_hash: Option<String>,
    pub github_id: Option<i64>,
    /// The address is already proved (a verified address from GitHub, an invitation
    /// redeemed from the mail it was sent in).
    pub email_verified: bool,
}

/// A new account ($1 id … $9 now, $10 when its address was verified).
macro_rules! insert_user {
    () => {
        "INSERT INTO users (id, email, name, avatar_url, role, password_hash, github_id, settings,
                created_at, updated_at, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)"
    };
}
const INSERT_USER: &str = concat!(insert_user!(), " RETURNING *");
/// …or nothing when its address (or GitHub account) has one already.
const INSERT_USER_UNLESS_TAKEN: &str =
    concat!(insert_user!(), " ON CONFLICT DO NOTHING RETURNING *");

pub struct Users<'a> {
    store: &'a Store,
}

/// The organization a registering account joins.
#[derive(Clone, Copy, Debug)]
pub enum Joining<'a> {
    /// A new one, of this name and address, that the account owns.
    Create { name: &'a str, slug: &'a str },
    /// The one this invitation is to, with the invitation's role (the invitation is
    /// used up).
    Invitation(InvitationId),
}

/// Why a registration was refused (nothing of it was written).
#[derive(Debug, thiserror::Error)]
pub enum RegistrationRefused {
    #[error("an account with this address exists")]
    EmailTaken,
    #[error("the organization's address is taken")]
    SlugTaken,
    #[error("the invitation was used, revoked or has expired")]
    InvitationGone,
}

impl Users<'_> {
    pub async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        validate_email(&new.email)?;
        non_empty("name", &new.name, 255)?;
        let at = self.store.now();
        writer!(self.store, |pool| {
            sqlx::query_as(INSERT_USER)
                .bind(UserId::new())
                .bind(new.email.to_lowercase())
                .bind(&new.name)
                .bind(&new.avatar_url)
                .bind(new.role.unwrap_or(UserRole::Member))
                .bind(&new.password_hash)
                .bind(new.github_id)
                .bind(Json(serde_json::json!({})))
                .bind(at)
                .bind(new.email_verified.then_some(at))
                .fetch_one(pool)
                .await
        })
    }

    /// Creates an account and its membership of an organization — a new one it owns, or
    /// the one it was invited to — in one transaction: a registration that fails
    /// anywhere leaves nothing behind (no account that would claim the node, no used
    /// invitation).
    pub async fn register(
        &self,
        new: NewUser,
        joining: Joining<'_>,
    ) -> Result<Result<(User, Organization, MemberRole), RegistrationRefused>, StoreError> {
        validate_email(&new.email)?;
        non_empty("name", &new.name, 255)?;
        if let Joining::Create { name, slug } = joining {
            non_empty("organization", name, 255)?;
            validate_slug(slug)?;
        }
        let at = self.store.now();
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let user: Option<User> = sqlx::query_as(INSERT_USER_UNLESS_TAKEN)
                    .bind(UserId::new())
                    .bind(new.email.to_lowercase())
                    .bind(&new.name)
                    .bind(&new.avatar_url)
                    .bind(new.role.unwrap_or(UserRole::Member))
                    .bind(&new.password_hash)
                    .bind(new.github_id)
                    .bind(Json(serde_json::json!({})))
                    .bind(at)
                    .bind(new.email_verified.then_some(at))
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(user) = user else {
                    return Ok(Err(RegistrationRefused::EmailTaken));
                };
                let (organization, role) = match joining {
                    Joining::Create { name, slug } => {
                        let organization: Option<Organization> =
                            sqlx::query_as(INSERT_ORGANIZATION_UNLESS_TAKEN)
                                .bind(OrgId::new())
                                .bind(name)
                                .bind(slug)
                                .bind(Json(serde_json::json!({})))
                                .bind(at)
                                .fetch_optional(&mut *tx)
                                .await?;
                        let Some(organization) = organization else {
                            return Ok(Err(RegistrationRefused::SlugTaken));
                        };
                        (organization, MemberRole::Owner)
                    }
                    Joining::Invitation(invitation) => {
                        let accepted: Option<(OrgId, MemberRole)> =
                            sqlx::query_as(ACCEPT_INVITATION)
                                .bind(invitation)
                                .bind(user.id)
                                .bind(at)
                                .fetch_optional(&mut *tx)
                                .await?;
                        let Some((org, role)) = accepted else {
                            return Ok(Err(RegistrationRefused::InvitationGone));
                        };
                        let organization: Organization =
                            sqlx::query_as("SELECT * FROM organizations WHERE id = $1")
                                .bind(org)
                                .fetch_one(&mut *tx)
                                .await?;
                        (organization, role)
                    }
                };
                sqlx::query(INSERT_MEMBER)
                    .bind(MemberId::new())
                    .bind(organization.id)
                    .bind(user.id)
                    .bind(role)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Ok((user, organization, role)))
            }
            .await
        })
    }

    /// Records that the person proved they receive mail at `email` — only while the
    /// account still has that address. Returns the account as it now is, or `None` when
    /// its address changed in between.
    pub async fn mark_email_verified(
        &self,
        id: UserId,
        email: &str,
    ) -> Result<Option<User>, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3
                 WHERE id = $1 AND email = $2 RETURNING *",
            )
            .bind(id)
            .bind(email.to_lowercase())
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })
    }

    pub async fn get(&self, id: UserId) -> Result<User, StoreError> {
        let user: Option<User> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        user.ok_or_else(|| StoreError::not_found("user", id))
    }

    /// Emails are compared case-insensitively (they are stored lowercased).
    pub async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM users WHERE email = $1")
                .bind(email.to_lowercase())
                .fetch_optional(pool)
                .await
        })
    }

    pub async fn find_by_github_id(&self, github_id: i64) -> Result<Option<User>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM users WHERE github_id = $1")
                .bind(github_id)
                .fetch_optional(pool)
                .await
        })
    }

    pub async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(password_hash)
                .bind(self.store.now())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("user", id))
        } else {
            Ok(())
        }
    }

    /// Links a GitHub account to the user (GitHub login finds them by it from then on).
    /// A GitHub account already linked to someone else is a conflict.
    pub async fn link_github(&self, id: UserId, github_id: i64) -> Result<User, StoreError> {
        self.set_github(id, Some(github_id)).await
    }

    async fn set_github(&self, id: UserId, github_id: Option<i64>) -> Result<User, StoreError> {
        let user: Option<User> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE users SET github_id = $2, updated_at = $3 WHERE id = $1 RETURNING *",
            )
            .bind(id)
            .bind(github_id)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        user.ok_or_else(|| StoreError::not_found("user", id))
    }

    /// Removes the user's GitHub link (one made before the address was proved, say).
    pub async fn unlink_github(&self, id: UserId) -> Result<User, StoreError> {
        self.set_github(id, None).await
    }

    pub async fn touch_last_seen(&self, id: UserId) -> Result<(), StoreError> {
        writer!(self.store, |pool| {
            sqlx::query("UPDATE users SET last_seen_at = $2 WHERE id = $1")
                .bind(id)
                .bind(self.store.now())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Claims the instance for its first registration: true for exactly one caller,
    /// ever (until [`release_first`](Self::release_first)), however many race.
    pub async fn claim_first(&self, email: &str) -> Result<bool, StoreError> {
        let claimed = writer!(self.store, |pool| {
            sqlx::query(
                "INSERT INTO instance_claim (id, claimed_by, claimed_at) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(email)
            .bind(self.store.now())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(claimed == 1)
    }

    /// Gives the claim back (the first registration failed after claiming).
    pub async fn release_first(&self) -> Result<(), StoreError> {
        writer!(self.store, |pool| {
            sqlx::query("DELETE FROM instance_claim WHERE id = 1")
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    /// How many users exist: the first registration on a fresh instance is special.
    pub async fn count(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = reader!(self.store, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await
        })?;
        Ok(count)
    }

    /// Deleting a user removes their memberships and refresh tokens with them.
    pub async fn delete(&self, id: UserId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("user", id))
        } else {
            Ok(())
        }
    }
}

impl Store {
    pub fn users(&self) -> Users<'_> {
        Users { store: self }
    }
}
