//! Role-based access per organization: the permission matrix of DESIGN.md, and
//! [`OrgAccess`] — the caller's role in the organization a request names (in its path,
//! or in the `X-Organization-Id` header). An organization the caller does not belong to
//! does not exist for them: 404, never 403, so ids cannot be probed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use companyos_store::{MemberRole, OrgId, UserId};

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;

/// The header that names the organization of a route whose path does not.
pub const ORGANIZATION_HEADER: &str = "x-organization-id";

/// Every protected action, one row of the matrix each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    ViewDashboard,
    ManageIntegrations,
    /// Connect, reconnect or disconnect a service: its credentials, signing secret and
    /// mappings (who is whom in Slack) decide what the node does in everyone's name.
    ManageIntegrationSecrets,
    SpawnAgents,
    ApproveAgentTasks,
    /// Ask for or approve a rollback of a deployment.
    RollBackDeployments,
    PublishSocialPosts,
    ManageMembers,
    DeleteOrganization,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::ViewDashboard,
        Permission::ManageIntegrations,
        Permission::ManageIntegrationSecrets,
        Permission::SpawnAgents,
        Permission::ApproveAgentTasks,
        Permission::RollBackDeployments,
        Permission::PublishSocialPosts,
        Permission::ManageMembers,
        Permission::DeleteOrganization,
    ];

    /// The matrix.
    pub fn allows(self, role: MemberRole) -> bool {
        use MemberRole::{Admin, Owner, Viewer};
        match self {
            Permission::ViewDashboard => true,
            Permission::ManageIntegrations
            | Permission::SpawnAgents
            | Permission::ApproveAgentTasks
            | Permission::PublishSocialPosts => role != Viewer,
            Permission::ManageMembers
            | Permission::ManageIntegrationSecrets
            | Permission::RollBackDeployments => {
                matches!(role, Owner | Admin)
            }
            Permission::DeleteOrganization => role == Owner,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Permission::ViewDashboard => "view this organization",
            Permission::ManageIntegrations => "manage integrations",
            Permission::ManageIntegrationSecrets => {
                "connect, reconnect or disconnect a service (admins and owners)"
            }
            Permission::SpawnAgents => "manage agents",
            Permission::ApproveAgentTasks => "approve or reject agent tasks",
            Permission::RollBackDeployments => {
                "ask for or approve a rollback (only an admin or owner may)"
            }
            Permission::PublishSocialPosts => "publish social posts",
            Permission::ManageMembers => "manage members",
            Permission::DeleteOrganization => "delete the organization",
        }
    }
}

/// The caller, a member of `organization` with `role`.
#[derive(Clone, Copy, Debug)]
pub struct OrgAccess {
    pub user: UserId,
    pub organization: OrgId,
    pub role: MemberRole,
}

impl OrgAccess {
    /// The caller as the runtime's separation-of-duties rules see them.
    pub fn person(&self) -> companyos_supervisors::Person {
        companyos_supervisors::Person {
            user: self.user,
            role: self.role,
        }
    }
}

/// Recent answers to "what is this user's role in this organization": every request
/// asks, so they are kept for a moment. Changes made through this node invalidate their
/// entry at once; a change made through another node of a cluster is seen here within
/// [`MEMBERSHIP_TTL`].
#[derive(Debug, Default)]
pub struct MembershipCache {
    entries: Mutex<HashMap<(UserId, OrgId), CachedRole>>,
}

/// A role (`None`: not a member) and when it was read.
type CachedRole = (Option<MemberRole>, Instant);

/// How long a cached membership answer is trusted.
pub const MEMBERSHIP_TTL: Duration = Duration::from_secs(2);
const MEMBERSHIP_ENTRIES: usize = 100_000;

impl MembershipCache {
    fn get(&self, user: UserId, org: OrgId) -> Option<Option<MemberRole>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(&(user, org))
            .filter(|(_, at)| at.elapsed() < MEMBERSHIP_TTL)
            .map(|(role, _)| *role)
    }

    fn put(&self, user: UserId, org: OrgId, role: Option<MemberRole>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MEMBERSHIP_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < MEMBERSHIP_TTL);
            if entries.len() >= MEMBERSHIP_ENTRIES {
                entries.clear();
            }
        }
        entries.insert((user, org), (role, Instant::now()));
    }

    /// Forgets one membership (after it changed).
    pub fn forget(&self, user: UserId, org: OrgId) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.remove(&(user, org));
    }

    /// Forgets every membership of an organization (after it was deleted).
    pub fn forget_organization(&self, org: OrgId) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.retain(|(_, organization), _| *organization != org);
    }
}

impl OrgAccess {
    /// The caller's membership of `org`; 404 when there is none.
    pub async fn of(state: &AppState, user: UserId, org: OrgId) -> Result<OrgAccess, ApiError> {
        let cache = &state.auth.memberships;
        let role = match cache.get(user, org) {
            Some(role) => role,
            None => {
                let role = state.store.organizations().member_role(org, user).await?;
                cache.put(user, org, role);
                role
            }
        };
        match role {
            Some(role) => Ok(OrgAccess {
                user,
                organization: org,
                role,
            }),
            None => Err(ApiError::not_found("no such organization")),
        }
    }

    /// 403 unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permission.allows(self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "your role in this organization ({}) cannot {}",
                self.role.as_str(),
                permission.describe()
            )))
        }
    }
}

/// The caller and the organization a route without one in its path acts on: the one
/// named by `X-Organization-Id`, or — when the caller belongs to exactly one — that one.
#[derive(Clone, Copy, Debug)]
pub struct Org(pub OrgAccess);

impl FromRequestParts<AppState> for Org {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authenticated(user) = Authenticated::from_request_parts(parts, state).await?;
        let named = parts
            .headers
            .get(ORGANIZATION_HEADER)
            .map(|value| parse_organization(value.to_str().unwrap_or_default()))
            .transpose()?;
        Org::resolve(state, user, named).await
    }
}

/// An organization id as a client writes it; 400 when it is not one.
pub fn parse_organization(text: &str) -> Result<OrgId, ApiError> {
    text.trim().parse::<uuid::Uuid>().map(OrgId).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Invalid header",
            "X-Organization-Id must be the id (a UUID) of one of your organizations",
        )
    })
}

impl Org {
    /// The caller's membership of the organization they named, or of their only one.
    pub async fn resolve(
        state: &AppState,
        user: UserId,
        named: Option<OrgId>,
    ) -> Result<Org, ApiError> {
        if let Some(org) = named {
            return OrgAccess::of(state, user, org).await.map(Org);
        }
        let memberships = state.store.organizations().list_for_user(user).await?;
        match memberships.as_slice() {
            [(organization, role)] => Ok(Org(OrgAccess {
                user,
                organization: organization.id,
                role: *role,
            })),
            [] => Err(ApiError::not_found(
                "you are not a member of any organization",
            )),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Organization not named",
                "you belong to several organizations: name one with the X-Organization-Id header (GET /api/organizations lists them)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use companyos_store::MemberRole;

    use super::Permission;

    /// The matrix as DESIGN.md prints it: owner, admin, member, viewer.
    const MATRIX: [(Permission, [bool; 4]); 9] = [
        (Permission::ViewDashboard, [true, true, true, true]),
        (Permission::ManageIntegrations, [true, true, true, false]),
        (
            Permission::ManageIntegrationSecrets,
            [true, true, false, false],
        ),
        (Permission::SpawnAgents, [true, true, true, false]),
        (Permission::ApproveAgentTasks, [true, true, true, false]),
        (Permission::RollBackDeployments, [true, true, false, false]),
        (Permission::PublishSocialPosts, [true, true, true, false]),
        (Permission::ManageMembers, [true, true, false, false]),
        (Permission::DeleteOrganization, [true, false, false, false]),
    ];

    #[test]
    fn the_matrix_is_the_designed_one() {
        let roles = [
            MemberRole::Owner,
            MemberRole::Admin,
            MemberRole::Member,
            MemberRole::Viewer,
        ];
        assert_eq!(MATRIX.len(), Permission::ALL.len());
        for (permission, expected) in MATRIX {
            for (role, allowed) in roles.iter().zip(expected) {
                assert_eq!(
                    permission.allows(*role),
                    allowed,
                    "{permission:?} for {role:?}"
                );
            }
        }
    }
}
