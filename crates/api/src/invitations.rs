//! Invitations: how a second person joins an organization. An owner or admin invites an
//! address with a role; the link — the only place the token travels — is mailed to that
//! address, never handed to the inviter, so only someone who reads that mailbox can
//! redeem it (and redeeming it proves the address). Invitations are listed, revoked,
//! sent again (a new link; the old one stops working), expire after
//! `auth.invitation_ttl`, and are voided when their inviter loses the right to invite.
//!
//! Routes: `POST /api/organizations/{id}/members` (invite),
//! `GET /api/organizations/{id}/invitations`, `DELETE …/invitations/{invitation_id}`,
//! `POST …/invitations/{invitation_id}/resend`; `POST /api/invitations/preview` (what a
//! link is for, before signing up) and `POST /api/invitations/accept` (an existing
//! account joins).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use companyos_store::{Invitation, InvitationId, MemberRole, Organization, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Authenticated, random_hex, token_hash};
use crate::auth_routes::{normalise_email, org_id, organization_json};
use crate::error::{ApiError, ApiJson};
use crate::mail::Mail;
use crate::openapi::Problem;
use crate::rbac::{OrgAccess, Permission};
use crate::rest::path_id;

pub(crate) fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    // The preview takes a token from a link: limited per address like the other
    // routes that take credentials.
    let limited = OpenApiRouter::new().routes(routes!(preview)).route_layer(
        axum::middleware::from_fn_with_state(state.clone(), crate::rate_limit::limit),
    );
    OpenApiRouter::new()
        .merge(limited)
        .routes(routes!(accept))
        .routes(routes!(invite))
        .routes(routes!(list))
        .routes(routes!(revoke))
        .routes(routes!(resend))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Invite {
    #[schema(format = Email)]
    email: String,
    #[schema(value_type = crate::graphql::types::MemberRole)]
    role: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InvitationToken {
    /// The token of the invitation link.
    token: String,
}

/// An invitation as its organization's owners and admins see it (never its token).
#[derive(Serialize, ToSchema)]
pub(crate) struct InvitationView {
    #[schema(value_type = String, format = Uuid)]
    pub(crate) id: InvitationId,
    #[schema(value_type = String, format = Uuid)]
    pub(crate) organization_id: companyos_store::OrgId,
    pub(crate) email: String,
    #[schema(value_type = crate::graphql::types::MemberRole)]
    pub(crate) role: MemberRole,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub(crate) invited_by: Option<UserId>,
    pub(crate) created_at: chrono::DateTime<Utc>,
    pub(crate) expires_at: chrono::DateTime<Utc>,
}

impl From<&Invitation> for InvitationView {
    fn from(invitation: &Invitation) -> Self {
        InvitationView {
            id: invitation.id,
            organization_id: invitation.organization_id,
            email: invitation.email.clone(),
            role: invitation.role,
            invited_by: invitation.invited_by,
            created_at: invitation.created_at,
            expires_at: invitation.expires_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct InvitationList {
    items: Vec<InvitationView>,
}

/// What an invitation link is for, shown before the invitee signs up or in.
#[derive(Serialize, ToSchema)]
struct InvitationPreview {
    organization_name: String,
    email: String,
    #[schema(value_type = crate::graphql::types::MemberRole)]
    role: MemberRole,
    expires_at: chrono::DateTime<Utc>,
}

fn spent_invitation() -> ApiError {
    ApiError::invalid(
        "invitation_token",
        "this invitation is unknown, already used, revoked or expired; ask for a new one",
    )
}

/// An invitation that can still be accepted — whose inviter may still send it — or a
/// 422 naming the field.
pub(crate) async fn live_invitation(state: &AppState, token: &str) -> Result<Invitation, ApiError> {
    let invitation = state
        .store
        .invitations()
        .find_by_hash(&token_hash(token))
        .await?
        .filter(|invitation| invitation.is_live(Utc::now()))
        .ok_or_else(spent_invitation)?;
    let inviter_may = match invitation.invited_by {
        Some(inviter) => {
            state
                .store
                .organizations()
                .may_invite(invitation.organization_id, inviter, invitation.role)
                .await?
        }
        None => false,
    };
    if inviter_may {
        Ok(invitation)
    } else {
        Err(spent_invitation())
    }
}

/// Makes `user` a member as the invitation says — once: an invitation accepted a moment
/// ago by someone else is a conflict. Returns the organization.
pub(crate) async fn join(
    state: &AppState,
    invitation: &Invitation,
    user: UserId,
) -> Result<Organization, ApiError> {
    // The used invitation and the membership are one write.
    if state
        .store
        .invitations()
        .accept(invitation.id, user)
        .await?
        .is_none()
    {
        return Err(ApiError::conflict(
            "this invitation was used or revoked a moment ago",
        ));
    }
    let organizations = state.store.organizations();
    state
        .auth
        .membership_changed(user, invitation.organization_id);
    Ok(organizations.get(invitation.organization_id).await?)
}

/// Mails the invitation's link to the invited address.
async fn send(
    state: &AppState,
    organization: &Organization,
    invitation: &Invitation,
    token: &str,
) -> Result<(), ApiError> {
    let link = format!(
        "{}/accept-invitation?token={token}",
        state.auth.console_url.trim_end_matches('/')
    );
    state
        .auth
        .mailer
        .send(Mail {
            to: invitation.email.clone(),
            subject: format!("You are invited to {} on CompanyOS", organization.name),
            text: format!(
                "You are invited to join {} as {}. Follow this link to accept (it works until {}):\n\n{link}\n",
                organization.name,
                invitation.role.as_str(),
                invitation.expires_at.format("%Y-%m-%d %H:%M UTC"),
            ),
            link,
        })
        .await
        .map_err(|error| {
            tracing::warn!(invitation = %invitation.id, %error, "an invitation was not mailed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "Mail not sent",
                format!(
                    "the invitation {} was saved but the mail server did not take the mail; send it again with POST …/invitations/{}/resend",
                    invitation.id, invitation.id
                ),
            )
        })
}

/// The caller's right to invite someone with `role`: owners invite anyone, admins
/// anyone but an owner.
fn require_invite(access: &OrgAccess, role: MemberRole) -> Result<(), ApiError> {
    access.require(Permission::ManageMembers)?;
    if role == MemberRole::Owner && access.role != MemberRole::Owner {
        return Err(ApiError::forbidden(
            "only an owner can invite another owner",
        ));
    }
    Ok(())
}

fn parse_role(raw: &str) -> Result<MemberRole, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid("role", "must be one of owner, admin, member, viewer"))
}

async fn create_and_send(
    state: &AppState,
    access: &OrgAccess,
    email: &str,
    role: MemberRole,
) -> Result<Invitation, ApiError> {
    let token = random_hex(32);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(state.auth.invitation_ttl)
            .unwrap_or(chrono::Duration::days(7));
    let invitation = state
        .store
        .invitations()
        .create(
            access.organization,
            email,
            role,
            &token_hash(&token),
            access.user,
            expires_at,
        )
        .await?;
    let organization = state.store.organizations().get(access.organization).await?;
    send(state, &organization, &invitation, &token).await?;
    Ok(invitation)
}

/// Invites `email` with `role` (as the caller's right allows) and mails the link.
pub(crate) async fn invite_member(
    state: &AppState,
    access: &OrgAccess,
    email: &str,
    role: &str,
) -> Result<Invitation, ApiError> {
    let role = parse_role(role)?;
    require_invite(access, role)?;
    let email = normalise_email(email);
    if let Some(existing) = state.store.users().find_by_email(&email).await?
        && state
            .store
            .organizations()
            .member_role(access.organization, existing.id)
            .await?
            .is_some()
    {
        return Err(ApiError {
            field: Some("email".into()),
            ..ApiError::conflict("this person is already a member of the organization")
        });
    }
    create_and_send(state, access, &email, role).await
}

/// The organization's invitations that can still be accepted.
pub(crate) async fn live_invitations(
    state: &AppState,
    access: &OrgAccess,
) -> Result<Vec<Invitation>, ApiError> {
    access.require(Permission::ManageMembers)?;
    Ok(state
        .store
        .invitations()
        .list_live(access.organization)
        .await?)
}

/// Revokes one: its link stops working.
pub(crate) async fn revoke_invitation(
    state: &AppState,
    access: &OrgAccess,
    id: InvitationId,
) -> Result<Invitation, ApiError> {
    access.require(Permission::ManageMembers)?;
    Ok(state
        .store
        .invitations()
        .revoke(access.organization, id)
        .await?)
}

#[utoipa::path(post, path = "/api/organizations/{id}/members", tag = "organizations", summary = "Invite someone by email with a role (the link is mailed to them)", params(("id" = String, Path, description = "organization id")), request_body = Invite, responses((status = 201, description = "The invitation, mailed to the address", body = InvitationView), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn invite(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<Invite>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    let invitation = invite_member(&state, &access, &body.email, &body.role).await?;
    Ok((StatusCode::CREATED, Json(InvitationView::from(&invitation))))
}

#[utoipa::path(get, path = "/api/organizations/{id}/invitations", tag = "organizations", summary = "Invitations that can still be accepted, newest first", params(("id" = String, Path, description = "organization id")), responses((status = 200, description = "Invitations that can still be accepted", body = InvitationList), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path(org): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    let items = live_invitations(&state, &access)
        .await?
        .iter()
        .map(InvitationView::from)
        .collect();
    Ok(Json(InvitationList { items }))
}

#[utoipa::path(delete, path = "/api/organizations/{id}/invitations/{invitation_id}", tag = "organizations", summary = "Revoke an invitation", params(("id" = String, Path, description = "organization id"), ("invitation_id" = String, Path, description = "invitation id")), responses((status = 204, description = "The link no longer works"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn revoke(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path((org, invitation)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    let id: InvitationId = path_id(&invitation, "invitation")?;
    revoke_invitation(&state, &access, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/organizations/{id}/invitations/{invitation_id}/resend", tag = "organizations", summary = "Mail a new link for an invitation (the old link stops working)", params(("id" = String, Path, description = "organization id"), ("invitation_id" = String, Path, description = "invitation id")), responses((status = 201, description = "The new invitation, mailed", body = InvitationView), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn resend(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Path((org, invitation)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let access = OrgAccess::of(&state, user, org_id(&org)?).await?;
    let id: InvitationId = path_id(&invitation, "invitation")?;
    let old = revoke_invitation(&state, &access, id).await?;
    require_invite(&access, old.role)?;
    let invitation = create_and_send(&state, &access, &old.email, old.role).await?;
    Ok((StatusCode::CREATED, Json(InvitationView::from(&invitation))))
}

#[utoipa::path(post, path = "/api/invitations/preview", tag = "organizations", summary = "What an invitation link is for", request_body = InvitationToken, responses((status = 200, description = "The organization, address and role of the invitation", body = InvitationPreview), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn preview(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<InvitationToken>,
) -> Result<impl IntoResponse, ApiError> {
    let invitation = live_invitation(&state, &body.token).await?;
    let organization = state
        .store
        .organizations()
        .get(invitation.organization_id)
        .await?;
    Ok(Json(InvitationPreview {
        organization_name: organization.name,
        email: invitation.email,
        role: invitation.role,
        expires_at: invitation.expires_at,
    }))
}

/// An existing account joins the organization it was invited to (the invitation must
/// have been sent to its address, which following the link proves).
#[utoipa::path(post, path = "/api/invitations/accept", tag = "organizations", summary = "Accept an invitation with an existing account", request_body = InvitationToken, responses((status = 200, description = "The organization joined, with the role", body = crate::views::Organization), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn accept(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ApiJson(body): ApiJson<InvitationToken>,
) -> Result<impl IntoResponse, ApiError> {
    let invitation = live_invitation(&state, &body.token).await?;
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
    state
        .store
        .users()
        .mark_email_verified(user, &invitation.email)
        .await?;
    Ok(Json(organization_json(&organization, invitation.role)))
}

#[cfg(test)]
mod tests {
    use companyos_store::MemberRole;

    use super::parse_role;

    #[test]
    fn roles_are_the_four_of_the_matrix() {
        assert_eq!(parse_role("viewer").ok(), Some(MemberRole::Viewer));
        assert_eq!(
            parse_role("root").map_err(|error| error.field),
            Err(Some("role".into()))
        );
    }
}
