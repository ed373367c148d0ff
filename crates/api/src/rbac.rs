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
use crate::graphql::types::MemberRole as Role;

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

    /// The permission's name on the wire (`x-permission`, the served matrix).
    pub fn name(self) -> &'static str {
        match self {
            Permission::ViewDashboard => "view_dashboard",
            Permission::ManageIntegrations => "manage_integrations",
            Permission::ManageIntegrationSecrets => "manage_integration_secrets",
            Permission::SpawnAgents => "spawn_agents",
            Permission::ApproveAgentTasks => "approve_agent_tasks",
            Permission::RollBackDeployments => "roll_back_deployments",
            Permission::PublishSocialPosts => "publish_social_posts",
            Permission::ManageMembers => "manage_members",
            Permission::DeleteOrganization => "delete_organization",
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

/// Who may call an operation of the REST surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (`security: []` in the OpenAPI document).
    Public,
    /// Any signed-in person; no organization role is consulted.
    SignedIn,
    /// A member of the organization whose role allows the permission.
    Role(Permission),
}

impl Access {
    /// As the OpenAPI document's `x-permission` names it.
    pub fn name(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::SignedIn => "signed_in",
            Access::Role(permission) => permission.name(),
        }
    }
}

/// Every operation of the REST surface (method, path as routed) and who may call it.
/// The `Org` extractor requires the permission before the handler runs — so a refused
/// role is told so before its body is read — and the OpenAPI document carries it as each
/// operation's `x-permission`. A test checks that the table and the document list the
/// same operations; the handlers check the same permissions (GraphQL shares them).
#[rustfmt::skip]
pub const OPERATIONS: &[(&str, &str, Access)] = &[
    ("POST", "/api/auth/register", Access::Public),
    ("POST", "/api/auth/login", Access::Public),
    ("POST", "/api/auth/refresh", Access::Public),
    ("POST", "/api/auth/logout", Access::Public),
    ("POST", "/api/auth/verify-email", Access::Public),
    ("POST", "/api/auth/verify-email/resend", Access::SignedIn),
    ("POST", "/api/auth/password-reset", Access::Public),
    ("POST", "/api/auth/password-reset/confirm", Access::Public),
    ("GET", "/api/auth/me", Access::SignedIn),
    ("GET", "/api/auth/providers", Access::Public),
    ("GET", "/api/auth/permissions", Access::Public),
    ("GET", "/api/auth/github", Access::Public),
    ("POST", "/api/auth/github/link", Access::SignedIn),
    ("GET", "/api/auth/github/callback", Access::Public),
    ("POST", "/api/invitations/preview", Access::Public),
    ("POST", "/api/invitations/accept", Access::SignedIn),
    ("GET", "/api/organizations", Access::SignedIn),
    ("POST", "/api/organizations", Access::SignedIn),
    ("GET", "/api/organizations/{id}", Access::Role(Permission::ViewDashboard)),
    ("PATCH", "/api/organizations/{id}", Access::Role(Permission::ManageMembers)),
    ("DELETE", "/api/organizations/{id}", Access::Role(Permission::DeleteOrganization)),
    ("GET", "/api/organizations/{id}/members", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/organizations/{id}/members", Access::Role(Permission::ManageMembers)),
    ("PATCH", "/api/organizations/{id}/members/{user_id}", Access::Role(Permission::ManageMembers)),
    // Anyone may leave; removing someone else needs ManageMembers (the handler decides).
    ("DELETE", "/api/organizations/{id}/members/{user_id}", Access::Role(Permission::ManageMembers)),
    ("GET", "/api/organizations/{id}/invitations", Access::Role(Permission::ManageMembers)),
    ("DELETE", "/api/organizations/{id}/invitations/{invitation_id}", Access::Role(Permission::ManageMembers)),
    ("POST", "/api/organizations/{id}/invitations/{invitation_id}/resend", Access::Role(Permission::ManageMembers)),
    ("GET", "/api/agents", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/agents", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/agents/types", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/agents/{id}", Access::Role(Permission::ViewDashboard)),
    ("PATCH", "/api/agents/{id}", Access::Role(Permission::SpawnAgents)),
    ("DELETE", "/api/agents/{id}", Access::Role(Permission::SpawnAgents)),
    ("POST", "/api/agents/{id}/enable", Access::Role(Permission::SpawnAgents)),
    ("POST", "/api/agents/{id}/disable", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/agents/{id}/tasks", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/agent-tasks", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/agent-tasks", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/agent-tasks/{id}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/agent-tasks/{id}/approve", Access::Role(Permission::ApproveAgentTasks)),
    ("POST", "/api/agent-tasks/{id}/reject", Access::Role(Permission::ApproveAgentTasks)),
    ("POST", "/api/agent-tasks/{id}/cancel", Access::Role(Permission::SpawnAgents)),
    ("POST", "/api/agent-tasks/{id}/retry", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/analytics/dashboard", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/analytics/metrics/{metric_type}", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/analytics/events", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/analytics/reports", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/analytics/delivery", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/analytics/risks", Access::Role(Permission::ViewDashboard)),
    (
        "GET",
        "/api/analytics/content-forecasts",
        Access::Role(Permission::ViewDashboard),
    ),
    ("GET", "/api/search", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/figma/files", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/figma/files/{id}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/figma/files/{id}/sync", Access::Role(Permission::ManageIntegrations)),
    ("GET", "/api/design-components", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/design-components/{id}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/design-components/{id}/generate-code", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/design-components/{id}/code", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/design/drift", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/design/drift", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/repositories", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/repositories/{id}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/repositories/{id}/sync", Access::Role(Permission::ManageIntegrations)),
    ("GET", "/api/pull-requests", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/pull-requests/{id}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/pull-requests/{id}/agent-review", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/deployments", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/deployments/{id}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/deployments/{id}/rollback", Access::Role(Permission::RollBackDeployments)),
    ("GET", "/api/integrations", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/integrations/{service}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/integrations/{service}/connect", Access::Role(Permission::ManageIntegrationSecrets)),
    ("DELETE", "/api/integrations/{service}/disconnect", Access::Role(Permission::ManageIntegrationSecrets)),
    ("POST", "/api/integrations/{service}/sync", Access::Role(Permission::ManageIntegrations)),
    ("GET", "/api/integrations/{service}/status", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/schedules", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/schedules", Access::Role(Permission::SpawnAgents)),
    ("PATCH", "/api/schedules/{id}", Access::Role(Permission::SpawnAgents)),
    ("DELETE", "/api/schedules/{id}", Access::Role(Permission::SpawnAgents)),
    ("GET", "/api/settings/llm", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/social/accounts", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/social/accounts/{id}", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/social/accounts/{platform}/connect", Access::Role(Permission::ManageIntegrations)),
    ("GET", "/api/social/posts", Access::Role(Permission::ViewDashboard)),
    ("POST", "/api/social/posts", Access::Role(Permission::PublishSocialPosts)),
    ("GET", "/api/social/posts/{id}", Access::Role(Permission::ViewDashboard)),
    ("PATCH", "/api/social/posts/{id}", Access::Role(Permission::PublishSocialPosts)),
    ("DELETE", "/api/social/posts/{id}", Access::Role(Permission::PublishSocialPosts)),
    ("POST", "/api/social/posts/{id}/publish", Access::Role(Permission::PublishSocialPosts)),
    ("POST", "/api/social/drafts", Access::Role(Permission::PublishSocialPosts)),
    ("GET", "/api/team/standups", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/supervision/tree", Access::Role(Permission::ViewDashboard)),
    ("GET", "/api/cluster", Access::SignedIn),
    ("POST", "/api/webhooks/{service}/receive", Access::Public),
    ("GET", "/api/webhooks/{service}/receive", Access::Public),
];

/// Who may call `method path` (the path as routed, `{id}` and all).
pub fn access_of(method: &str, path: &str) -> Option<Access> {
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, access)| *access)
}

/// The matrix as the node serves it: each permission and the roles it allows.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Matrix {
    /// The roles, most powerful first.
    pub roles: Vec<Role>,
    /// Each permission (as `x-permission` names it) and the roles allowed it.
    pub permissions: std::collections::BTreeMap<&'static str, Vec<Role>>,
}

impl Matrix {
    pub fn of_node() -> Matrix {
        let roles = [
            MemberRole::Owner,
            MemberRole::Admin,
            MemberRole::Member,
            MemberRole::Viewer,
        ];
        let permissions = Permission::ALL
            .iter()
            .map(|permission| {
                let allowed = roles
                    .iter()
                    .filter(|role| permission.allows(**role))
                    .map(|role| Role::from(*role))
                    .collect();
                (permission.name(), allowed)
            })
            .collect();
        Matrix {
            roles: roles.into_iter().map(Role::from).collect(),
            permissions,
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
        let org = Org::resolve(state, user, named).await?;
        // The operation's permission, before anything else of the request is read.
        let access = parts
            .extensions
            .get::<axum::extract::MatchedPath>()
            .and_then(|route| access_of(parts.method.as_str(), route.as_str()));
        if let Some(Access::Role(permission)) = access {
            org.0.require(permission)?;
        }
        Ok(org)
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
