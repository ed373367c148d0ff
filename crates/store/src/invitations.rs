//! Invitations: how a second person joins an organization. The token travels only in
//! the mail sent to the invited address (only its SHA-256 is stored); an invitation can
//! be listed and revoked, expires, and is voided when its inviter loses the right to
//! invite (see `Organizations::change_member`).

use chrono::{DateTime, Utc};

use crate::db::Store;
use crate::enums::MemberRole;
use crate::error::StoreError;
use crate::ids::{InvitationId, MemberId, OrgId, UserId};
use crate::organizations::INSERT_MEMBER_UNLESS_MEMBER;
use crate::validate::validate_email;

/// An invitation to join an organization with a role; the token is stored hashed.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Invitation {
    pub id: InvitationId,
    pub organization_id: OrgId,
    pub email: String,
    pub role: MemberRole,
    pub token_hash: String,
    pub invited_by: Option<UserId>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    /// When it was revoked by a person or voided because its inviter lost the right to
    /// invite (`revoked_reason` says which).
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

impl Invitation {
    /// Whether it can still be accepted at `at`.
    pub fn is_live(&self, at: DateTime<Utc>) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > at
    }
}

/// Why an invitation stopped being live before it was used.
pub mod revoked_reason {
    /// An owner or admin revoked it.
    pub const REVOKED: &str = "revoked";
    /// Its inviter was removed, or demoted below the role that may send it.
    pub const INVITER_LOST_RIGHTS: &str = "inviter_lost_rights";
}

/// Uses up a live invitation ($1 id) for a user ($2) at $3: its organization and role,
/// or no row when it was used, revoked or has expired.
pub(crate) const ACCEPT_INVITATION: &str =
    "UPDATE invitations SET accepted_at = $3, accepted_by = $2
     WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3
     RETURNING organization_id, role";

pub struct Invitations<'a> {
    store: &'a Store,
}

impl Store {
    pub fn invitations(&self) -> Invitations<'_> {
        Invitations { store: self }
    }
}

impl Invitations<'_> {
    /// Records an invitation of `email` (stored lower-case) to `org` with `role`.
    pub async fn create(
        &self,
        org: OrgId,
        email: &str,
        role: MemberRole,
        token_hash: &str,
        invited_by: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<Invitation, StoreError> {
        let email = email.trim().to_lowercase();
        validate_email(&email)?;
        writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO invitations (id, organization_id, email, role, token_hash, invited_by, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            )
            .bind(InvitationId::new())
            .bind(org)
            .bind(&email)
            .bind(role)
            .bind(token_hash)
            .bind(invited_by)
            .bind(expires_at)
            .bind(self.store.now())
            .fetch_one(pool)
            .await
        })
    }

    pub async fn find_by_hash(&self, token_hash: &str) -> Result<Option<Invitation>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM invitations WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await
        })
    }

    /// The organization's invitations that can still be accepted, newest first.
    pub async fn list_live(&self, org: OrgId) -> Result<Vec<Invitation>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM invitations
                 WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
                 ORDER BY created_at DESC, id DESC",
            )
            .bind(org)
            .bind(self.store.now())
            .fetch_all(pool)
            .await
        })
    }

    /// Revokes a live invitation of `org`. `NotFound` when there is none by that id
    /// (another organization's, used, expired or already revoked).
    pub async fn revoke(&self, org: OrgId, id: InvitationId) -> Result<Invitation, StoreError> {
        let revoked: Option<Invitation> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE invitations SET revoked_at = $3, revoked_reason = $4
                 WHERE id = $1 AND organization_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
                   AND expires_at > $3
                 RETURNING *",
            )
            .bind(id)
            .bind(org)
            .bind(self.store.now())
            .bind(revoked_reason::REVOKED)
            .fetch_optional(pool)
            .await
        })?;
        revoked.ok_or_else(|| StoreError::not_found("invitation", id))
    }

    /// Marks the invitation accepted by `user` — once, and only while it is live.
    /// Returns false when it no longer was (used a moment ago, revoked, expired).
    /// Uses the invitation up for `user` and makes them a member with its role (one
    /// already a member keeps the role they have), in one transaction. `None` when the invitation was used, revoked or has expired (nothing
    /// is written then).
    pub async fn accept(
        &self,
        id: InvitationId,
        user: UserId,
    ) -> Result<Option<(OrgId, MemberRole)>, StoreError> {
        let at = self.store.now();
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let accepted: Option<(OrgId, MemberRole)> = sqlx::query_as(ACCEPT_INVITATION)
                    .bind(id)
                    .bind(user)
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((org, role)) = accepted else {
                    return Ok(None);
                };
                sqlx::query(INSERT_MEMBER_UNLESS_MEMBER)
                    .bind(MemberId::new())
                    .bind(org)
                    .bind(user)
                    .bind(role)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some((org, role)))
            }
            .await
        })
    }
}
