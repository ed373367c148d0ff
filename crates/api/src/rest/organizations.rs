//! Organizations and their members: list, create, update, delete; members' roles and
//! removal. Invitations (adding members) are `invitations.rs`.
//!
//! Organization settings follow the matrix's "manage members" row (owners and admins);
//! deleting follows "delete organization" (owners). Only an owner grants or takes away
//! the owner role, and an organization always keeps at least one owner.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use companyos_store::{
    MemberChange, MemberRole, MembershipRefusal, OrganizationPatch, StoreError, UserId,
};
use serde::Deserialize;
use serde_json::Value;

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Authenticated;
use crate::auth_routes::{
    __path_list_members, __path_organization, create_organization, list_members, org_id,
    organization, organization_json,
};
use crate::error::{ApiError, ApiJson};
use crate::openapi::Problem;
use crate::rbac::{OrgAccess, Permission};
use crate::rest::path_id;
use crate::views;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(organization, update, delete))
        .routes(routes!(list_members))
        .routes(routes!(set_role, remove_member))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewOrganization {
    /// At most 255 bytes, not only spaces.
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateOrganization {
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    name: Option<String>,
    logo_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    #[schema(value_type = crate::graphql::types::MemberRole)]
    role: String,
}

#[utoipa::path(get, path = "/api/organizations", tag = "organizations", summary = "The caller's organizations", responses((status = 200, description = "The caller's organizations", body = views::Page<views::Organization>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    let items = state
        .store
        .organizations()
        .list_for_user(user)
        .await?
        .into_iter()
        .map(|(organization, role)| views::Organization::of(organization, role))
        .collect();
    Ok(Json(views::Page {
        items,
        next_cursor: None,
    }))
}

/// Any signed-in person may start another organization, which they own.
#[utoipa::path(post, path = "/api/organizations", tag = "organizations", summary = "Create an organization owned by the caller", request_body = NewOrganization, responses((status = 201, description = "Create an organization owned by the caller", body = views::Organization), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiJson(body): ApiJson<NewOrganization>,
) -> Result<impl IntoResponse, ApiError> {
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", "name the organization"));
    }
    let organization = create_organization(&state, name, user).await?;
    state
        .runtime
        .organization_created(organization.id)
        .await
        .map_err(ApiError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(organization_json(&organization, MemberRole::Owner)),
    ))
}

#[utoipa::path(patch, path = "/api/organizations/{id}", tag = "organizations", summary = "Rename or configure an organization", params(("id" = String, Path, description = "organization id")), request_body = UpdateOrganization, responses((status = 200, description = "Rename or configure an organization", body = views::Organization), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn update(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<UpdateOrganization>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    access.require(Permission::ManageMembers)?;
    if let Some(logo_url) = &body.logo_url {
        crate::error::require_http_url("logo_url", logo_url)?;
    }
    if body
        .settings
        .as_ref()
        .is_some_and(|settings| !settings.is_object())
    {
        return Err(ApiError::invalid("settings", "must be a JSON object"));
    }
    if let Some(settings) = &body.settings
        && let Err(error) = companyos_supervisors::time_zone::of_settings(settings)
    {
        return Err(ApiError::invalid("settings.time_zone", error.to_string()));
    }
    let before = state.store.organizations().get(access.organization).await?;
    let organization = state
        .store
        .organizations()
        .update(
            access.organization,
            OrganizationPatch {
                name: body.name.map(|name| name.trim().to_owned()),
                logo_url: body.logo_url,
                settings: body.settings,
            },
        )
        .await?;
    // Schedules run on the organization's clocks: a new time zone moves their next runs.
    let zone = |settings: &Value| companyos_supervisors::time_zone::of_organization(settings);
    if zone(&before.settings) != zone(&organization.settings) {
        state.runtime.reschedule(access.organization).await?;
    }
    Ok(Json(organization_json(&organization, access.role)))
}

/// Stops the organization's agents here, then deletes it with every row it owns.
#[utoipa::path(delete, path = "/api/organizations/{id}", tag = "organizations", summary = "Delete an organization and everything it owns", params(("id" = String, Path, description = "organization id")), responses((status = 204, description = "Delete an organization and everything it owns"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn delete(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    access.require(Permission::DeleteOrganization)?;
    state
        .runtime
        .stop_organization(access.organization)
        .await
        .map_err(ApiError::from)?;
    state
        .store
        .organizations()
        .delete(access.organization)
        .await?;
    state.auth.organization_deleted(access.organization);
    Ok(StatusCode::NO_CONTENT)
}

/// A membership change as one serialised step in the store (the "at least one owner"
/// check and the change together), with the refusals in the API's words.
async fn change_member(
    state: &AppState,
    access: &OrgAccess,
    member: UserId,
    change: MemberChange,
    touches_owner: bool,
) -> Result<Option<companyos_store::Membership>, ApiError> {
    let actor_roles: &[MemberRole] = if member == access.user && change == MemberChange::Remove {
        &[
            MemberRole::Owner,
            MemberRole::Admin,
            MemberRole::Member,
            MemberRole::Viewer,
        ]
    } else if touches_owner {
        &[MemberRole::Owner]
    } else {
        &[MemberRole::Owner, MemberRole::Admin]
    };
    let changed = state
        .store
        .organizations()
        .change_member(
            access.organization,
            access.user,
            actor_roles,
            member,
            change,
        )
        .await;
    let changed = match changed {
        Err(StoreError::MembershipRefused(MembershipRefusal::LastOwner)) => {
            return Err(ApiError::conflict(
                "this is the organization's only owner; make someone else an owner first, or delete the organization",
            ));
        }
        Err(StoreError::MembershipRefused(MembershipRefusal::ActorLacksRole)) => {
            state
                .auth
                .membership_changed(access.user, access.organization);
            return Err(ApiError::forbidden(
                "your role in this organization changed a moment ago and no longer allows this",
            ));
        }
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::not_found("no such member in this organization"));
        }
        other => other?,
    };
    state.auth.membership_changed(member, access.organization);
    Ok(changed)
}

#[utoipa::path(patch, path = "/api/organizations/{id}/members/{user_id}", tag = "organizations", summary = "Change a member's role", params(("id" = String, Path, description = "organization id"), ("user_id" = String, Path, description = "member's user id")), request_body = RoleChange, responses((status = 200, description = "Change a member's role", body = views::Membership), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn set_role(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path((org, member)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    access.require(Permission::ManageMembers)?;
    let member: UserId = path_id(&member, "member")?;
    let role: MemberRole = body
        .role
        .parse()
        .map_err(|_| ApiError::invalid("role", "must be one of owner, admin, member, viewer"))?;
    let current = state
        .store
        .organizations()
        .member_role(access.organization, member)
        .await?
        .ok_or_else(|| ApiError::not_found("no such member in this organization"))?;
    let touches_owner = role == MemberRole::Owner || current == MemberRole::Owner;
    if touches_owner && access.role != MemberRole::Owner {
        return Err(ApiError::forbidden(
            "only an owner can make someone an owner or change an owner's role",
        ));
    }
    let membership = change_member(
        &state,
        &access,
        member,
        MemberChange::SetRole(role),
        touches_owner,
    )
    .await?
    .ok_or_else(ApiError::internal)?;
    Ok(Json(views::Membership::from(membership)))
}

/// Owners and admins remove members; anyone may leave.
#[utoipa::path(delete, path = "/api/organizations/{id}/members/{user_id}", tag = "organizations", summary = "Remove a member (or leave)", params(("id" = String, Path, description = "organization id"), ("user_id" = String, Path, description = "member's user id")), responses((status = 204, description = "Remove a member (or leave)"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn remove_member(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path((org, member)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    let member: UserId = path_id(&member, "member")?;
    if member != user {
        access.require(Permission::ManageMembers)?;
    }
    let current = state
        .store
        .organizations()
        .member_role(access.organization, member)
        .await?
        .ok_or_else(|| ApiError::not_found("no such member in this organization"))?;
    let touches_owner = current == MemberRole::Owner && member != user;
    if touches_owner && access.role != MemberRole::Owner {
        return Err(ApiError::forbidden("only an owner can remove an owner"));
    }
    change_member(&state, &access, member, MemberChange::Remove, touches_owner).await?;
    Ok(StatusCode::NO_CONTENT)
}
