//! Organizations and their members' roles: who may do what, where.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::MemberRole;
use crate::error::StoreError;
use crate::ids::{MemberId, OrgId, UserId};
use crate::invitations::revoked_reason;
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub logo_url: Option<String>,
    #[sqlx(json)]
    pub settings: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub logo_url: Option<String>,
    pub settings: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Membership {
    pub id: MemberId,
    pub organization_id: OrgId,
    pub user_id: UserId,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
}

/// A member as listed in an organization: the membership with the user's name and email.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
}

/// A new organization ($1 id, $2 name, $3 slug, $4 settings, $5 now).
macro_rules! insert_organization {
    () => {
        "INSERT INTO organizations (id, name, slug, settings, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)"
    };
}
pub(crate) const INSERT_ORGANIZATION: &str = concat!(insert_organization!(), " RETURNING *");
/// …or nothing when its address is taken.
pub(crate) const INSERT_ORGANIZATION_UNLESS_TAKEN: &str = concat!(
    insert_organization!(),
    " ON CONFLICT DO NOTHING RETURNING *"
);

/// A membership ($1 id, $2 organization, $3 user, $4 role, $5 now).
macro_rules! insert_member {
    () => {
        "INSERT INTO organization_members (id, organization_id, user_id, role, joined_at)
         VALUES ($1, $2, $3, $4, $5)"
    };
}
pub(crate) const INSERT_MEMBER: &str = insert_member!();
/// …or nothing when the user is a member already.
pub(crate) const INSERT_MEMBER_UNLESS_MEMBER: &str =
    concat!(insert_member!(), " ON CONFLICT DO NOTHING");

pub(crate) fn validate_slug(slug: &str) -> Result<(), StoreError> {
    let valid = !slug.is_empty()
        && slug.len() <= 100
        && slug
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "slug",
            reason: format!("{slug:?} must be 1–100 of a-z, 0-9 and '-'"),
        })
    }
}

pub struct Organizations<'a> {
    store: &'a Store,
}

impl Organizations<'_> {
    /// Creates an organization with `owner` as its first member, in one transaction.
    pub async fn create(
        &self,
        name: &str,
        slug: &str,
        owner: UserId,
    ) -> Result<Organization, StoreError> {
        non_empty("name", name, 255)?;
        validate_slug(slug)?;
        let at = self.store.now();
        let id = OrgId::new();
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let organization: Organization = sqlx::query_as(INSERT_ORGANIZATION)
                    .bind(id)
                    .bind(name)
                    .bind(slug)
                    .bind(Json(serde_json::json!({})))
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(INSERT_MEMBER)
                    .bind(MemberId::new())
                    .bind(id)
                    .bind(owner)
                    .bind(MemberRole::Owner)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(organization)
            }
            .await
        })
    }

    pub async fn get(&self, id: OrgId) -> Result<Organization, StoreError> {
        let organization: Option<Organization> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM organizations WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        organization.ok_or_else(|| StoreError::not_found("organization", id))
    }

    pub async fn find_by_slug(&self, slug: &str) -> Result<Option<Organization>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM organizations WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await
        })
    }

    /// Every organization, oldest first: the runtime rebuilds its tree from this.
    pub async fn list_all(&self) -> Result<Vec<Organization>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM organizations ORDER BY created_at, id")
                .fetch_all(pool)
                .await
        })
    }

    /// The organizations `user` belongs to, with their role in each.
    pub async fn list_for_user(
        &self,
        user: UserId,
    ) -> Result<Vec<(Organization, MemberRole)>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            organization: Organization,
            member_role: MemberRole,
        }
        let rows: Vec<Row> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT o.*, m.role AS member_role FROM organizations o
                 JOIN organization_members m ON m.organization_id = o.id
                 WHERE m.user_id = $1 ORDER BY o.created_at, o.id",
            )
            .bind(user)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|row| (row.organization, row.member_role))
            .collect())
    }

    pub async fn update(
        &self,
        id: OrgId,
        patch: OrganizationPatch,
    ) -> Result<Organization, StoreError> {
        if let Some(name) = &patch.name {
            non_empty("name", name, 255)?;
        }
        let organization: Option<Organization> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE organizations SET name = COALESCE($2, name), logo_url = COALESCE($3, logo_url),
                        settings = COALESCE($4, settings), updated_at = $5
                 WHERE id = $1 RETURNING *",
            )
            .bind(id)
            .bind(&patch.name)
            .bind(&patch.logo_url)
            .bind(patch.settings.as_ref().map(Json))
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        organization.ok_or_else(|| StoreError::not_found("organization", id))
    }

    /// Deletes the organization and, through `ON DELETE CASCADE`, every row it owns.
    pub async fn delete(&self, id: OrgId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM organizations WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("organization", id))
        } else {
            Ok(())
        }
    }

    pub async fn add_member(
        &self,
        org: OrgId,
        user: UserId,
        role: MemberRole,
    ) -> Result<Membership, StoreError> {
        writer!(self.store, |pool| {
            sqlx::query_as(concat!(insert_member!(), " RETURNING *"))
                .bind(MemberId::new())
                .bind(org)
                .bind(user)
                .bind(role)
                .bind(self.store.now())
                .fetch_one(pool)
                .await
        })
    }

    /// The user's role in `org`, or `None` when they are not a member.
    pub async fn member_role(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<MemberRole>, StoreError> {
        let row: Option<(MemberRole,)> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT role FROM organization_members WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(org)
            .bind(user)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(|(role,)| role))
    }

    pub async fn list_members(&self, org: OrgId) -> Result<Vec<Member>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT u.id AS user_id, u.email, u.name, m.role, m.joined_at FROM organization_members m
                 JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 ORDER BY m.joined_at, u.id",
            )
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }
}

/// A change to one membership, made by [`Organizations::change_member`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    SetRole(MemberRole),
    Remove,
}

/// Why [`Organizations::change_member`] refused a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MembershipRefusal {
    /// The change would leave the organization without an owner.
    #[error("the organization would be left without an owner")]
    LastOwner,
    /// The person making the change no longer holds a role that may make it (it changed
    /// a moment ago).
    #[error("the person making the change no longer holds a role that may make it")]
    ActorLacksRole,
}

impl Organizations<'_> {
    /// Changes or removes `member`'s membership on behalf of `actor`, whose role must be
    /// one of `actor_roles` — as one serialised step. The organization's row is locked
    /// first (by a write, which serialises on both databases), then the actor's role,
    /// the member's role and the count of owners are read and the change is applied in
    /// the same transaction: two owners demoting or removing each other at the same
    /// instant cannot both pass the "at least one owner" check. Invitations the member
    /// sent and may no longer send are voided in the same step. Returns the membership
    /// after a role change, `None` after a removal.
    pub async fn change_member(
        &self,
        org: OrgId,
        actor: UserId,
        actor_roles: &[MemberRole],
        member: UserId,
        change: MemberChange,
    ) -> Result<Option<Membership>, StoreError> {
        let at = self.store.now();
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                // A write that changes nothing but locks the row until commit.
                let locked = sqlx::query("UPDATE organizations SET slug = slug WHERE id = $1")
                    .bind(org)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if locked == 0 {
                    return Ok(Err(StoreError::not_found("organization", org)));
                }
                let role_of = |user: UserId| {
                    sqlx::query_as::<_, (MemberRole,)>(
                        "SELECT role FROM organization_members WHERE organization_id = $1 AND user_id = $2",
                    )
                    .bind(org)
                    .bind(user)
                };
                let actor_role = role_of(actor).fetch_optional(&mut *tx).await?;
                if !actor_role.is_some_and(|(role,)| actor_roles.contains(&role)) {
                    return Ok(Err(StoreError::MembershipRefused(
                        MembershipRefusal::ActorLacksRole,
                    )));
                }
                let Some((current,)) = role_of(member).fetch_optional(&mut *tx).await? else {
                    return Ok(Err(StoreError::not_found("member", member)));
                };
                let stays_owner = change == MemberChange::SetRole(MemberRole::Owner);
                if current == MemberRole::Owner && !stays_owner {
                    let (owners,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM organization_members WHERE organization_id = $1 AND role = $2",
                    )
                    .bind(org)
                    .bind(MemberRole::Owner)
                    .fetch_one(&mut *tx)
                    .await?;
                    if owners <= 1 {
                        return Ok(Err(StoreError::MembershipRefused(
                            MembershipRefusal::LastOwner,
                        )));
                    }
                }
                let membership = match change {
                    MemberChange::SetRole(role) => Some(
                        sqlx::query_as::<_, Membership>(
                            "UPDATE organization_members SET role = $3
                             WHERE organization_id = $1 AND user_id = $2 RETURNING *",
                        )
                        .bind(org)
                        .bind(member)
                        .bind(role)
                        .fetch_one(&mut *tx)
                        .await?,
                    ),
                    MemberChange::Remove => {
                        sqlx::query(
                            "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2",
                        )
                        .bind(org)
                        .bind(member)
                        .execute(&mut *tx)
                        .await?;
                        None
                    }
                };
                // Invitations the member sent that they could no longer send: every one
                // when they may no longer invite at all, owner invitations when they are
                // no longer an owner.
                let voided_roles: &[MemberRole] = match change {
                    MemberChange::Remove
                    | MemberChange::SetRole(MemberRole::Member | MemberRole::Viewer) => &[
                        MemberRole::Owner,
                        MemberRole::Admin,
                        MemberRole::Member,
                        MemberRole::Viewer,
                    ],
                    MemberChange::SetRole(MemberRole::Admin) => &[MemberRole::Owner],
                    MemberChange::SetRole(MemberRole::Owner) => &[],
                };
                for role in voided_roles {
                    sqlx::query(
                        "UPDATE invitations SET revoked_at = $3, revoked_reason = $4
                         WHERE organization_id = $1 AND invited_by = $2 AND role = $5
                           AND accepted_at IS NULL AND revoked_at IS NULL",
                    )
                    .bind(org)
                    .bind(member)
                    .bind(at)
                    .bind(revoked_reason::INVITER_LOST_RIGHTS)
                    .bind(*role)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(Ok(membership))
            }
            .await
        })?
    }

    /// Whether `user` may still send an invitation with `role` in `org`: an owner any,
    /// an admin any but owner.
    pub async fn may_invite(
        &self,
        org: OrgId,
        user: UserId,
        role: MemberRole,
    ) -> Result<bool, StoreError> {
        Ok(match self.member_role(org, user).await? {
            Some(MemberRole::Owner) => true,
            Some(MemberRole::Admin) => role != MemberRole::Owner,
            _ => false,
        })
    }
}

impl Store {
    pub fn organizations(&self) -> Organizations<'_> {
        Organizations { store: self }
    }
}
