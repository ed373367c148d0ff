//! Organizations and their members: list, create, update, delete; members' roles and
//! removal. Invitations (adding members) live with authentication.
//!
//! Organization settings follow the matrix's "manage members" row (owners and admins);
//! deleting follows "delete organization" (owners). Only an owner grants or takes away
//! the owner role, and an organization always keeps at least one owner.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use axum::{Json, Router};
use companyos_store::{MemberRole, OrganizationPatch, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Authenticated;
use crate::auth_routes::{
    create_organization, invite, list_members, org_id, organization, organization_json,
};
use crate::error::{ApiError, ApiJson};
use crate::rbac::{OrgAccess, Permission};
use crate::rest::path_id;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/organizations", get(list).post(create))
        .route(
            "/api/organizations/{id}",
            get(organization).patch(update).delete(delete),
        )
        .route(
            "/api/organizations/{id}/members",
            get(list_members).post(invite),
        )
        .route(
            "/api/organizations/{id}/members/{user_id}",
            patch(set_role).delete(remove_member),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrganization {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateOrganization {
    name: Option<String>,
    logo_url: Option<String>,
    settings: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: String,
}

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
    Ok(Json(json!({
        "user_id": membership.user_id,
        "organization_id": membership.organization_id,
        "role": membership.role,
    })))
}

/// Owners and admins remove members; anyone may leave.
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
    Ok(StatusCode::NO_CONTENT)
}
