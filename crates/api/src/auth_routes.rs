//! `/api/auth/*` — register, login, refresh, logout, me — and invitations
//! (`POST /api/organizations/{id}/members`, routed with the organization routes), the
//! way a second person joins.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use companyos_store::{
    Invitation, MemberRole, NewUser, OrgId, Organization, RefreshTokenId, Store, StoreError, User,
    UserId,
};
use serde::Deserialize;
use serde_json::{Value, json};

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Authenticated, hash_password, random_hex, token_hash, verify_password};
use crate::error::{ApiError, ApiJson};
use crate::openapi::{Page, Problem};
use crate::rbac::{OrgAccess, Permission};

pub(crate) fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    // The routes that take credentials are limited per client address.
    let limited = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::rate_limit::limit,
        ));
    OpenApiRouter::new()
        .merge(limited)
        .routes(routes!(me))
        .routes(routes!(accept_invitation))
}

const PASSWORD_MIN: usize = 8;
const PASSWORD_MAX: usize = 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Register {
    email: String,
    name: String,
    password: String,
    /// The new organization's name (first registration, or open registration).
    organization: Option<String>,
    invitation_token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Accept {
    invitation_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Invite {
    email: String,
    role: String,
}

fn check_password(password: &str) -> Result<(), ApiError> {
    let length = password.chars().count();
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "password",
            format!("must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ))
    }
}

/// A fresh access token and a refresh token starting a new family.
pub(crate) async fn new_session(state: &AppState, user: UserId) -> Result<Value, ApiError> {
    let family = uuid::Uuid::new_v4();
    Ok(session(state, user, family).await?.0)
}

/// An access token and a refresh token of `family`: the response body, and the id of
/// the refresh token's row.
async fn session(
    state: &AppState,
    user: UserId,
    family: uuid::Uuid,
) -> Result<(Value, RefreshTokenId), ApiError> {
    let (access_token, expires_in) = state.auth.issue_access(user)?;
    let refresh_token = random_hex(32);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(state.auth.refresh_ttl).unwrap_or(chrono::Duration::days(30));
    let issued = state
        .store
        .refresh_tokens()
        .issue(user, family, &token_hash(&refresh_token), expires_at)
        .await?;
    let body = json!({
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    });
    Ok((body, issued.id))
}

fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for character in name.to_lowercase().chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(80).collect();
    if slug.is_empty() { "org".into() } else { slug }
}

/// Creates the organization with `owner`; a taken slug gets a random suffix.
pub(crate) async fn create_organization(
    store: &Store,
    name: &str,
    owner: UserId,
) -> Result<Organization, ApiError> {
    let base = slug_of(name);
    let mut slug = base.clone();
    for _ in 0..5 {
        match store.organizations().create(name, &slug, owner).await {
            Err(StoreError::Conflict { .. }) => slug = format!("{base}-{}", random_hex(3)),
            Err(StoreError::Invalid {
                field: "name",
                reason,
            }) => {
                return Err(ApiError::invalid("organization", reason));
            }
            other => return Ok(other?),
        }
    }
    Err(ApiError::conflict(
        "could not find a free address for this organization name; choose another name",
    ))
}

pub(crate) fn organization_json(organization: &Organization, role: MemberRole) -> Value {
    json!({
        "id": organization.id,
        "name": organization.name,
        "slug": organization.slug,
        "role": role,
    })
}

async fn create_user(store: &Store, body: &Register) -> Result<User, ApiError> {
    check_password(&body.password)?;
    let password_hash = hash_password(body.password.clone()).await?;
    let created = store
        .users()
        .create(NewUser {
            email: body.email.trim().to_lowercase(),
            name: body.name.trim().to_owned(),
            password_hash: Some(password_hash),
            ..NewUser::default()
        })
        .await;
    match created {
        Err(StoreError::Conflict { .. }) => Err(ApiError::conflict(
            "an account with this email exists; log in instead",
        )),
        other => Ok(other?),
    }
}

/// Whether this registration is the instance's first: no account exists yet and this
/// caller won the claim (two racing first registrations cannot both win).
pub(crate) async fn claim_first(store: &Store, email: &str) -> Result<bool, ApiError> {
    let users = store.users();
    Ok(users.count().await? == 0 && users.claim_first(email.trim()).await?)
}

/// Headless bootstrap (`companyos user create`): creates a user with a password and
/// makes them a member of `organization` — an existing one, by id or slug, or (for an
/// owner) a new one of that name.
pub async fn bootstrap_user(
    store: &Store,
    email: &str,
    name: &str,
    password: &str,
    organization: &str,
    role: MemberRole,
) -> Result<(User, Organization), ApiError> {
    let organizations = store.organizations();
    let existing = match organization.parse::<uuid::Uuid>() {
        Ok(id) => Some(organizations.get(OrgId(id)).await?),
        Err(_) => organizations.find_by_slug(organization).await?,
    };
    if existing.is_none() && role != MemberRole::Owner {
        return Err(ApiError::not_found(format!(
            "no organization {organization:?}; create it with --role owner, or name an existing one by id or slug"
        )));
    }
    let body = Register {
        email: email.to_owned(),
        name: name.to_owned(),
        password: password.to_owned(),
        organization: None,
        invitation_token: None,
    };
    let user = create_user(store, &body).await?;
    let organization = match existing {
        Some(organization) => {
            organizations
                .add_member(organization.id, user.id, role)
                .await?;
            organization
        }
        None => create_organization(store, organization, user.id).await?,
    };
    Ok((user, organization))
}

/// An invitation that can still be accepted; 422 naming the field otherwise.
pub(crate) async fn live_invitation(state: &AppState, token: &str) -> Result<Invitation, ApiError> {
    state
        .store
        .invitations()
        .find_by_hash(&token_hash(token))
        .await?
        .filter(|invitation| invitation.accepted_at.is_none() && invitation.expires_at > Utc::now())
        .ok_or_else(|| {
            ApiError::invalid(
                "invitation_token",
                "this invitation is unknown, already used or expired; ask for a new one",
            )
        })
}

/// Makes `user` a member as the invitation says — once: an invitation accepted a moment
/// ago by someone else is a conflict. Returns the organization.
pub(crate) async fn join(
    state: &AppState,
    invitation: &Invitation,
    user: UserId,
) -> Result<Organization, ApiError> {
    if !state
        .store
        .invitations()
        .accept(invitation.id, user)
        .await?
    {
        return Err(ApiError::conflict("this invitation was used a moment ago"));
    }
    let organizations = state.store.organizations();
    organizations
        .add_member(invitation.organization_id, user, invitation.role)
        .await?;
    state
        .auth
        .memberships
        .forget(user, invitation.organization_id);
    Ok(organizations.get(invitation.organization_id).await?)
}

/// An existing account joins the organization it was invited to (the invitation must
/// have been sent to its email).
#[utoipa::path(post, path = "/api/invitations/accept", tag = "organizations", summary = "Accept an invitation with an existing account", request_body = Accept, responses((status = 200, description = "Accept an invitation with an existing account", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn accept_invitation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiJson(body): ApiJson<Accept>,
) -> Result<impl IntoResponse, ApiError> {
    let invitation = live_invitation(&state, &body.invitation_token).await?;
    let account = state.store.users().get(user).await?;
    if account.email != invitation.email {
        return Err(ApiError::forbidden(
            "this invitation was sent to another email address",
        ));
    }
    if state
        .store
        .organizations()
        .member_role(invitation.organization_id, user)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "you are already a member of this organization",
        ));
    }
    let organization = join(&state, &invitation, user).await?;
    Ok(Json(organization_json(&organization, invitation.role)))
}

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", summary = "Create an account (first one, invited, or open registration)", request_body = Register, responses((status = 201, description = "Create an account (first one, invited, or open registration)", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Register>,
) -> Result<impl IntoResponse, ApiError> {
    check_password(&body.password)?;
    let (user, organization, role) = match &body.invitation_token {
        Some(token) => {
            let invitation = live_invitation(&state, token).await?;
            if invitation.email != body.email.trim().to_lowercase() {
                return Err(ApiError::invalid(
                    "email",
                    "this invitation was sent to another email address",
                ));
            }
            let user = create_user(&state.store, &body).await?;
            let organization = join(&state, &invitation, user.id).await?;
            (user, organization, invitation.role)
        }
        None => {
            let name = body
                .organization
                .as_deref()
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid("organization", "name the organization to create")
                })?
                .to_owned();
            let first = claim_first(&state.store, &body.email).await?;
            if !first && !state.auth.open_registration {
                return Err(ApiError::forbidden(
                    "registration needs an invitation: ask an owner or admin of your organization to invite you",
                ));
            }
            let created = async {
                let user = create_user(&state.store, &body).await?;
                let organization = create_organization(&state.store, &name, user.id).await?;
                Ok::<_, ApiError>((user, organization))
            }
            .await;
            if first && created.is_err() {
                state.store.users().release_first().await?;
            }
            let (user, organization) = created?;
            (user, organization, MemberRole::Owner)
        }
    };
    let mut response = new_session(&state, user.id).await?;
    response["user"] = json!(user);
    response["organization"] = organization_json(&organization, role);
    Ok((StatusCode::CREATED, Json(response)))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", summary = "Log in with email and password", request_body = Login, responses((status = 200, description = "Log in with email and password", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Login>,
) -> Result<impl IntoResponse, ApiError> {
    let wrong = || ApiError::unauthorized("the email or the password is wrong");
    let user = state
        .store
        .users()
        .find_by_email(body.email.trim())
        .await?
        .ok_or_else(wrong)?;
    let Some(stored) = user.password_hash.clone() else {
        return Err(ApiError::unauthorized(
            "this account signs in with GitHub, not with a password",
        ));
    };
    if !verify_password(body.password, stored).await {
        return Err(wrong());
    }
    if let Err(error) = state.store.users().touch_last_seen(user.id).await {
        tracing::warn!(%error, "cannot record the login time");
    }
    Ok(Json(new_session(&state, user.id).await?))
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", summary = "Rotate a refresh token for a new session", request_body = RefreshRequest, responses((status = 200, description = "Rotate a refresh token for a new session", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let tokens = state.store.refresh_tokens();
    let stored = tokens
        .find_by_hash(&token_hash(&body.refresh_token))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown refresh token; log in again"))?;
    let reused = || {
        ApiError::unauthorized(
            "this refresh token was already used: every session of this login is now revoked; log in again",
        )
    };
    if stored.revoked_at.is_some() {
        if stored.replaced_by.is_some() {
            let revoked = tokens.revoke_family(stored.family_id).await?;
            tracing::warn!(user = %stored.user_id, revoked, "rotated refresh token reused; family revoked");
            return Err(reused());
        }
        return Err(ApiError::unauthorized(
            "this refresh token was revoked; log in again",
        ));
    }
    if stored.expires_at <= Utc::now() {
        return Err(ApiError::unauthorized(
            "this refresh token has expired; log in again",
        ));
    }
    let (response, next) = session(&state, stored.user_id, stored.family_id).await?;
    if !tokens.mark_rotated(stored.id, next).await? {
        // Two refreshes raced with the same token: one of them is a replay.
        tokens.revoke_family(stored.family_id).await?;
        return Err(reused());
    }
    Ok(Json(response))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", summary = "Revoke a refresh token and its family", request_body = RefreshRequest, responses((status = 204, description = "Revoke a refresh token and its family"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let tokens = state.store.refresh_tokens();
    if let Some(stored) = tokens
        .find_by_hash(&token_hash(&body.refresh_token))
        .await?
    {
        tokens.revoke_family(stored.family_id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", summary = "The caller, with their organizations and roles", responses((status = 200, description = "The caller, with their organizations and roles", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn me(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    let found = match state.store.users().get(user).await {
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::unauthorized("this account no longer exists"));
        }
        other => other?,
    };
    let organizations: Vec<Value> = state
        .store
        .organizations()
        .list_for_user(user)
        .await?
        .iter()
        .map(|(organization, role)| organization_json(organization, *role))
        .collect();
    let mut response = json!(found);
    response["organizations"] = json!(organizations);
    Ok(Json(response))
}

/// The organization named by a path segment: an id that does not parse is a 404 like
/// any other unknown organization.
pub(crate) fn org_id(raw: &str) -> Result<OrgId, ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(OrgId)
        .map_err(|_| ApiError::not_found("no such organization"))
}

#[utoipa::path(get, path = "/api/organizations/{id}", tag = "organizations", summary = "One organization", params(("id" = String, Path, description = "organization id")), responses((status = 200, description = "One organization", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn organization(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    access.require(Permission::ViewDashboard)?;
    let organization = state.store.organizations().get(access.organization).await?;
    Ok(Json(organization_json(&organization, access.role)))
}

#[utoipa::path(get, path = "/api/organizations/{id}/members", tag = "organizations", summary = "Members of an organization", params(("id" = String, Path, description = "organization id")), responses((status = 200, description = "Members of an organization", body = Page), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn list_members(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    access.require(Permission::ViewDashboard)?;
    let members = state
        .store
        .organizations()
        .list_members(access.organization)
        .await?;
    Ok(Json(json!({ "items": members })))
}

#[utoipa::path(post, path = "/api/organizations/{id}/members", tag = "organizations", summary = "Invite someone by email with a role", params(("id" = String, Path, description = "organization id")), request_body = Invite, responses((status = 201, description = "Invite someone by email with a role", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn invite(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<Invite>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    access.require(Permission::ManageMembers)?;
    let role: MemberRole = body
        .role
        .parse()
        .map_err(|_| ApiError::invalid("role", "must be one of owner, admin, member, viewer"))?;
    if role == MemberRole::Owner && access.role != MemberRole::Owner {
        return Err(ApiError::forbidden(
            "only an owner can invite another owner",
        ));
    }
    let email = body.email.trim().to_lowercase();
    if let Some(existing) = state.store.users().find_by_email(&email).await?
        && state
            .store
            .organizations()
            .member_role(access.organization, existing.id)
            .await?
            .is_some()
    {
        return Err(ApiError::conflict(
            "this person is already a member of the organization",
        ));
    }
    let token = random_hex(32);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(state.auth.invitation_ttl)
            .unwrap_or(chrono::Duration::days(7));
    let invitation = state
        .store
        .invitations()
        .create(
            access.organization,
            &email,
            role,
            &token_hash(&token),
            user,
            expires_at,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "invitation_token": token,
            "id": invitation.id,
            "organization_id": invitation.organization_id,
            "email": invitation.email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
        })),
    ))
}
