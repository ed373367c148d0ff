//! Organizations and their members: list, create, update, delete; members' roles and
//! removal. Invitations (adding members) live with authentication.
//!
//! Organization settings follow the matrix's "manage members" row (owners and admins);
//! deleting follows "delete organization" (owners). Only an owner grants or takes away
//! the owner role, and an organization always keeps at least one owner.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use companyos_store::{MemberRole, OrganizationPatch, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Authenticated;
use crate::auth_routes::{
    __path_invite, __path_list_members, __path_organization, create_organization, invite,
    list_members, org_id, organization, organization_json,
};
use crate::error::{ApiError, ApiJson};
use crate::openapi::{Page, Problem};
use crate::rbac::{OrgAccess, Permission};
use crate::rest::path_id;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(organization, update, delete))
        .routes(routes!(list_members, invite))
        .routes(routes!(set_role, remove_member))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewOrganization {
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateOrganization {
    name: Option<String>,
    logo_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: String,
}

#[utoipa::path(get, path = "/api/organizations", tag = "organizations", summary = "The caller's organizations", responses((status = 200, description = "The caller's organizations", body = Page), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    let items: Vec<Value> = state
        .store
        .organizations()
        .list_for_user(user)
        .await?
        .iter()
        .map(|(organization, role)| organization_json(organization, *role))
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": null })))
}

/// Any signed-in person may start another organization, which they own.
#[utoipa::path(post, path = "/api/organizations", tag = "organizations", summary = "Create an organization owned by the caller", request_body = NewOrganization, responses((status = 201, description = "Create an organization owned by the caller", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiJson(body): ApiJson<NewOrganization>,
) -> Result<impl IntoResponse, ApiError> {
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", "name the organization"));
    }
    let organization = create_organization(&state.store, name, user).await?;
    state
        .runtime
        .start_organization(organization.id)
        .await
        .map_err(ApiError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(organization_json(&organization, MemberRole::Owner)),
    ))
}

#[utoipa::path(patch, path = "/api/organizations/{id}", tag = "organizations", summary = "Rename or configure an organization", params(("id" = String, Path, description = "organization id")), request_body = UpdateOrganization, responses((status = 200, description = "Rename or configure an organization", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn update(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<UpdateOrganization>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    access.require(Permission::ManageMembers)?;
    if body
        .settings
        .as_ref()
        .is_some_and(|settings| !settings.is_object())
    {
        return Err(ApiError::invalid("settings", "must be a JSON object"));
    }
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
    state
        .auth
        .memberships
        .forget_organization(access.organization);
    Ok(StatusCode::NO_CONTENT)
}

/// How many owners the organization has.
async fn owners(state: &AppState, access: &OrgAccess) -> Result<usize, ApiError> {
    Ok(state
        .store
        .organizations()
        .list_members(access.organization)
        .await?
        .iter()
        .filter(|member| member.role == MemberRole::Owner)
        .count())
}

#[utoipa::path(patch, path = "/api/organizations/{id}/members/{user_id}", tag = "organizations", summary = "Change a member's role", params(("id" = String, Path, description = "organization id"), ("user_id" = String, Path, description = "member's user id")), request_body = RoleChange, responses((status = 200, description = "Change a member's role", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
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
    let organizations = state.store.organizations();
    let current = organizations
        .member_role(access.organization, member)
        .await?
        .ok_or_else(|| ApiError::not_found("no such member in this organization"))?;
    if (role == MemberRole::Owner || current == MemberRole::Owner)
        && access.role != MemberRole::Owner
    {
        return Err(ApiError::forbidden(
            "only an owner can make someone an owner or change an owner's role",
        ));
    }
    if current == MemberRole::Owner
        && role != MemberRole::Owner
        && owners(&state, &access).await? == 1
    {
        return Err(ApiError::conflict(
            "this is the organization's only owner; make someone else an owner first",
        ));
    }
    let membership = organizations
        .set_member_role(access.organization, member, role)
        .await?;
    state.auth.memberships.forget(member, access.organization);
    Ok(Json(json!({
        "user_id": membership.user_id,
        "organization_id": membership.organization_id,
        "role": membership.role,
    })))
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
    if current == MemberRole::Owner {
        if access.role != MemberRole::Owner {
            return Err(ApiError::forbidden("only an owner can remove an owner"));
        }
        if owners(&state, &access).await? == 1 {
            return Err(ApiError::conflict(
                "this is the organization's only owner; make someone else an owner first, or delete the organization",
            ));
        }
    }
    state
        .store
        .organizations()
        .remove_member(access.organization, member)
        .await?;
    state.auth.memberships.forget(member, access.organization);
    Ok(StatusCode::NO_CONTENT)
}
