//! `/api/auth/*` — register, login, refresh, logout, me, e-mail verification and
//! password reset.
//!
//! An e-mail address is only trusted once its owner has proved it: by following a link
//! mailed to it (verification, password reset, an invitation), or as a verified address
//! of their GitHub account. Until then nothing is attached to the account because of
//! the address — GitHub login never links to it (see `oauth.rs`). Registering sends
//! the verification link; `POST /api/auth/verify-email` spends it.
//!
//! A password reset is asked for by address and answered the same way whether the
//! account exists or not (the mail, when there is one, is sent in the background);
//! following its link sets the password, proves the address and ends every session of
//! the account — which is also how the owner of an address takes back an account that
//! someone else registered with it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use companyos_store::{
    EmailPurpose, Joining, MemberRole, NewUser, OrgId, Organization, RefreshTokenId,
    RegistrationRefused, Store, StoreError, User, UserId,
};
use serde::Deserialize;

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Authenticated, bearer, hash_password, random_hex, token_hash, verify_password};
use crate::error::{ApiError, ApiJson};
use crate::invitations::live_invitation;
use crate::mail::Mail;
use crate::openapi::Problem;
use crate::rbac::{OrgAccess, Permission};
use crate::views::Session;

pub(crate) fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    // The routes that take credentials (or send mail) are limited per client address.
    let limited = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(verify_email))
        .routes(routes!(request_password_reset))
        .routes(routes!(reset_password))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::rate_limit::limit,
        ));
    OpenApiRouter::new()
        .merge(limited)
        .routes(routes!(me))
        .routes(routes!(resend_verification))
}

const PASSWORD_MIN: usize = 8;
const PASSWORD_MAX: usize = 1024;
/// How long a verification link works.
const VERIFY_TTL_HOURS: i64 = 48;
/// How long a password-reset link works.
const RESET_TTL_MINUTES: i64 = 60;
/// Links of one kind mailed to one person in an hour, at most.
const LINKS_PER_HOUR: i64 = 5;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Register {
    #[schema(format = Email)]
    email: String,
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    name: String,
    /// 8 to 1024 characters.
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
    /// The new organization's name (first registration, or open registration): at most
    /// 255 bytes.
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    organization: Option<String>,
    /// The token of the invitation link the invitee received by mail.
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
struct LogoutRequest {
    /// The session's refresh token. Without it, the session of the access token in
    /// `Authorization` is ended.
    refresh_token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    /// The token of the link that was mailed (password reset, or address verification).
    token: String,
    /// 8 to 1024 characters.
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
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

/// An address as the store keeps it.
pub(crate) fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A fresh access token and a refresh token starting a new session.
pub(crate) async fn new_session(state: &AppState, user: UserId) -> Result<Session, ApiError> {
    let family = uuid::Uuid::new_v4();
    Ok(session(state, user, family).await?.0)
}

/// An access token and a refresh token of session `family`: the response body, and
/// the id of the refresh token's row.
async fn session(
    state: &AppState,
    user: UserId,
    family: uuid::Uuid,
) -> Result<(Session, RefreshTokenId), ApiError> {
    let (access_token, expires_in) = state.auth.issue_access(user, family)?;
    let refresh_token = random_hex(32);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(state.auth.refresh_ttl).unwrap_or(chrono::Duration::days(30));
    let issued = state
        .store
        .refresh_tokens()
        .issue(user, family, &token_hash(&refresh_token), expires_at)
        .await?;
    let body = Session {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in,
        user: None,
        organization: None,
    };
    Ok((body, issued.id))
}

/// The latest moment an access token issued now can still be used.
fn access_valid_until(state: &AppState) -> chrono::DateTime<Utc> {
    companyos_store::now()
        + chrono::Duration::from_std(state.auth.access_ttl).unwrap_or(chrono::Duration::days(1))
        + chrono::Duration::seconds(1)
}

/// Ends session `family` of `user`: its refresh tokens and its access tokens.
async fn end_session(state: &AppState, family: uuid::Uuid, user: UserId) -> Result<u64, ApiError> {
    let ended = state
        .store
        .refresh_tokens()
        .end_session(family, user, access_valid_until(state))
        .await?;
    state.auth.sessions.forget(family);
    state.auth.live.session_ended(family);
    Ok(ended)
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

/// Creates the organization with `owner`; a taken slug gets a random suffix. Refused
/// past the per-person quota (`auth.max_organizations_per_user`).
pub(crate) async fn create_organization(
    state: &AppState,
    name: &str,
    owner: UserId,
) -> Result<Organization, ApiError> {
    let quota = state.auth.max_organizations_per_user;
    let owned = state
        .store
        .organizations()
        .list_for_user(owner)
        .await?
        .iter()
        .filter(|(_, role)| *role == MemberRole::Owner)
        .count();
    if owned >= usize::try_from(quota).unwrap_or(usize::MAX) {
        return Err(ApiError::forbidden(format!(
            "you already own {owned} organizations, the most one person may own on this node (auth.max_organizations_per_user = {quota}); delete one or ask the operator to raise the limit"
        )));
    }
    create_organization_unchecked(&state.store, name, owner).await
}

async fn create_organization_unchecked(
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

pub(crate) fn organization_json(
    organization: &Organization,
    role: MemberRole,
) -> crate::views::Organization {
    crate::views::Organization::of(organization.clone(), role)
}

/// 409 naming `email`: an account already has this address.
/// The longest organization name, in bytes.
const ORGANIZATION_NAME_MAX: usize = 255;

/// A registration's value the store refused, named as the request names it.
fn registration_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Invalid {
            field: "organization" | "slug",
            reason,
        } => ApiError::invalid("organization", reason),
        other => other.into(),
    }
}

/// What to tell someone whose registration was refused.
fn refused(refusal: RegistrationRefused) -> ApiError {
    match refusal {
        RegistrationRefused::EmailTaken => email_taken(),
        RegistrationRefused::SlugTaken => {
            ApiError::conflict("another organization has this name's address; choose another name")
        }
        RegistrationRefused::InvitationGone => {
            ApiError::conflict("this invitation was used or revoked a moment ago")
        }
    }
}

fn email_taken() -> ApiError {
    ApiError {
        field: Some("email".into()),
        ..ApiError::conflict(
            "an account with this email exists: log in instead (or reset its password if you cannot)",
        )
    }
}

/// Creates an account whose password is already hashed.
async fn create_user(
    store: &Store,
    email: &str,
    name: &str,
    password_hash: String,
    email_verified: bool,
) -> Result<User, ApiError> {
    let created = store
        .users()
        .create(NewUser {
            email: email.to_owned(),
            name: name.trim().to_owned(),
            password_hash: Some(password_hash),
            email_verified,
            ..NewUser::default()
        })
        .await;
    match created {
        Err(StoreError::Conflict { .. }) => Err(email_taken()),
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
/// owner) a new one of that name. The operator vouches for the address: it counts as
/// verified.
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
    check_password(password)?;
    let password_hash = hash_password(password.to_owned()).await?;
    let user = create_user(store, &normalise_email(email), name, password_hash, true).await?;
    let organization = match existing {
        Some(organization) => {
            organizations
                .add_member(organization.id, user.id, role)
                .await?;
            organization
        }
        None => create_organization_unchecked(store, organization, user.id).await?,
    };
    Ok((user, organization))
}

/// Mails `user` a one-use link of `purpose` to the console page `page`, unless they
/// were sent [`LINKS_PER_HOUR`] of them in the last hour. Returns whether it was sent.
pub(crate) async fn mail_link(
    state: &AppState,
    user: &User,
    purpose: EmailPurpose,
) -> Result<bool, ApiError> {
    let tokens = state.store.email_tokens();
    let hour_ago = companyos_store::now() - chrono::Duration::hours(1);
    if tokens.sent_since(user.id, purpose, hour_ago).await? >= LINKS_PER_HOUR {
        tracing::warn!(user = %user.id, purpose = purpose.as_str(), "mail link limit reached; not sent");
        return Ok(false);
    }
    let token = random_hex(32);
    let (page, lifetime, subject, text) = match purpose {
        EmailPurpose::VerifyEmail => (
            "verify-email",
            chrono::Duration::hours(VERIFY_TTL_HOURS),
            "Confirm your e-mail address for CompanyOS",
            "Follow this link to confirm that this address is yours",
        ),
        EmailPurpose::ResetPassword => (
            "reset-password",
            chrono::Duration::minutes(RESET_TTL_MINUTES),
            "Reset your CompanyOS password",
            "Follow this link within an hour to choose a new password (if you did not ask for this, ignore this mail)",
        ),
    };
    tokens
        .issue(
            user.id,
            purpose,
            &user.email,
            &token_hash(&token),
            companyos_store::now() + lifetime,
        )
        .await?;
    let link = format!(
        "{}/{page}?token={token}",
        state.auth.console_url.trim_end_matches('/')
    );
    state
        .auth
        .mailer
        .send(Mail {
            to: user.email.clone(),
            subject: subject.into(),
            text: format!("{text}:\n\n{link}\n"),
            link,
        })
        .await
        .map_err(|error| {
            tracing::warn!(user = %user.id, %error, "a mail was not sent");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "Mail not sent",
                "the mail server did not take the mail; try again later",
            )
        })?;
    Ok(true)
}

/// The first account of a node and an invited one are signed in at once (201). With
/// open registration, any other address is answered 202 whether it has an account or
/// not — a new one is created and its link mailed (the password is chosen from it), an
/// existing one's owner is told by mail — so registering tells nobody which addresses
/// have accounts.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", summary = "Create an account (first one, invited, or open registration)", request_body = Register, responses((status = 201, description = "The first or an invited account, signed in", body = crate::views::Session), (status = 202, description = "Open registration: a link was mailed to the address", body = crate::views::MailSent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Register>,
) -> Result<Response, ApiError> {
    check_password(&body.password)?;
    let email = normalise_email(&body.email);
    // Hashed before anything is looked up: an existing address costs what a new one
    // costs.
    let password_hash = hash_password(body.password.clone()).await?;
    let new_user = |email_verified: bool| NewUser {
        email: email.clone(),
        name: body.name.trim().to_owned(),
        password_hash: Some(password_hash.clone()),
        email_verified,
        ..NewUser::default()
    };
    let (user, organization, role) = match &body.invitation_token {
        Some(token) => {
            let invitation = live_invitation(&state, token).await?;
            if invitation.email != email {
                return Err(ApiError::invalid(
                    "email",
                    "this invitation was sent to another email address",
                ));
            }
            if state.store.users().find_by_email(&email).await?.is_some() {
                return Err(email_taken());
            }
            // The token came in the mail sent to this address: the address is proved.
            // The account, its membership and the used invitation are one write.
            let registered = state
                .store
                .users()
                .register(new_user(true), Joining::Invitation(invitation.id))
                .await
                .map_err(registration_error)?
                .map_err(refused)?;
            state
                .auth
                .membership_changed(registered.0.id, invitation.organization_id);
            registered
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
            if name.len() > ORGANIZATION_NAME_MAX {
                return Err(ApiError::invalid(
                    "organization",
                    format!(
                        "an organization's name is at most {ORGANIZATION_NAME_MAX} bytes; shorten it"
                    ),
                ));
            }
            let first = claim_first(&state.store, &email).await?;
            if !first && !state.auth.open_registration {
                return Err(ApiError::forbidden(
                    "registration needs an invitation: ask an owner or admin of your organization to invite you",
                ));
            }
            if !first {
                return open_registration(&state, &email, &body.name, &name).await;
            }
            // The account, its organization and its ownership are one write; nothing
            // of a registration that fails is left (the node's claim is given back).
            let created = async {
                let base = slug_of(&name);
                let mut slug = base.clone();
                for _ in 0..5 {
                    let registered = state
                        .store
                        .users()
                        .register(
                            new_user(false),
                            Joining::Create {
                                name: &name,
                                slug: &slug,
                            },
                        )
                        .await
                        .map_err(registration_error)?;
                    match registered {
                        Err(RegistrationRefused::SlugTaken) => {
                            slug = format!("{base}-{}", random_hex(3));
                        }
                        other => return other.map_err(refused),
                    }
                }
                Err(ApiError::conflict(
                    "could not find a free address for this organization name; choose another name",
                ))
            }
            .await;
            if first && created.is_err() {
                state.store.users().release_first().await?;
            }
            let (user, organization, role) = created?;
            if let Err(error) = mail_link(&state, &user, EmailPurpose::VerifyEmail).await {
                // The account exists; the link can be sent again from it.
                tracing::warn!(user = %user.id, detail = %error.detail, "verification link not sent at registration");
            }
            (user, organization, role)
        }
    };
    let session = new_session(&state, user.id).await?;
    let response = Session {
        user: Some(user.into()),
        organization: Some(crate::views::Organization::of(organization, role)),
        ..session
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

/// Open registration of an address that is not the node's first: answered the same
/// whether the address has an account. A new account is created without a password
/// (the mailed link chooses it: whoever holds the mailbox); an existing account's owner
/// is told someone tried. Mails go in the background, so both answers take as long.
async fn open_registration(
    state: &AppState,
    email: &str,
    person: &str,
    organization: &str,
) -> Result<Response, ApiError> {
    let answer = || {
        (
            StatusCode::ACCEPTED,
            Json(crate::views::MailSent {
                status:
                    "follow the link mailed to this address to choose your password and sign in"
                        .to_owned(),
                email: Some(email.to_owned()),
            }),
        )
            .into_response()
    };
    let users = state.store.users();
    if let Some(existing) = users.find_by_email(email).await? {
        let background = state.clone();
        let console = state.auth.console_url.trim_end_matches('/').to_owned();
        tokio::spawn(async move {
            let link = format!("{console}/forgot-password");
            let mail = Mail {
                to: existing.email.clone(),
                subject: "Someone tried to create a CompanyOS account with your address".into(),
                text: format!(
                    "Someone asked to create a CompanyOS account with this address, which already has one. If it was you, sign in — or choose a new password here:\n\n{link}\n\nIf it was not you, nothing was changed and you need not do anything.\n"
                ),
                link,
            };
            if let Err(error) = background.auth.mailer.send(mail).await {
                tracing::warn!(user = %existing.id, %error, "the registration notice was not sent");
            }
        });
        return Ok(answer());
    }
    let base = slug_of(organization);
    let mut slug = base.clone();
    for _ in 0..5 {
        let registered = users
            .register(
                NewUser {
                    email: email.to_owned(),
                    name: person.trim().to_owned(),
                    password_hash: None,
                    email_verified: false,
                    ..NewUser::default()
                },
                Joining::Create {
                    name: organization,
                    slug: &slug,
                },
            )
            .await
            .map_err(registration_error)?;
        match registered {
            Err(RegistrationRefused::SlugTaken) => slug = format!("{base}-{}", random_hex(3)),
            // The address was registered a moment ago: answered as any taken address.
            Err(RegistrationRefused::EmailTaken) => return Ok(answer()),
            Err(other) => return Err(refused(other)),
            Ok((user, _, _)) => {
                let background = state.clone();
                tokio::spawn(async move {
                    if let Err(error) =
                        mail_link(&background, &user, EmailPurpose::VerifyEmail).await
                    {
                        tracing::warn!(user = %user.id, detail = %error.detail, "verification link not sent at registration");
                    }
                });
                return Ok(answer());
            }
        }
    }
    Err(ApiError::conflict(
        "could not find a free address for this organization name; choose another name",
    ))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", summary = "Log in with email and password", request_body = Login, responses((status = 200, description = "Log in with email and password", body = crate::views::Session), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Login>,
) -> Result<impl IntoResponse, ApiError> {
    let wrong = || ApiError::unauthorized("the email or the password is wrong");
    let user = state
        .store
        .users()
        .find_by_email(&normalise_email(&body.email))
        .await?;
    // Verified against a dummy hash when there is no account (or no password), so the
    // answer takes as long either way.
    let stored = user.as_ref().and_then(|user| user.password_hash.clone());
    let matches = verify_password(body.password, stored).await;
    let Some(user) = user.filter(|_| matches) else {
        return Err(wrong());
    };
    if let Err(error) = state.store.users().touch_last_seen(user.id).await {
        tracing::warn!(%error, "cannot record the login time");
    }
    Ok(Json(new_session(&state, user.id).await?))
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", summary = "Rotate a refresh token for a new session", request_body = RefreshRequest, responses((status = 200, description = "Rotate a refresh token for a new session", body = crate::views::Session), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
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
            let revoked = end_session(&state, stored.family_id, stored.user_id).await?;
            tracing::warn!(user = %stored.user_id, revoked, "rotated refresh token reused; session ended");
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
        end_session(&state, stored.family_id, stored.user_id).await?;
        return Err(reused());
    }
    Ok(Json(response))
}

/// Ends the session: its refresh tokens stop working, and so do its access tokens
/// (the session is on the revocation list until they would have expired), and its
/// live connections are closed. The session is the refresh token's in the body or,
/// without one, the bearer token's: the route needs no token, but reads one when sent.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", summary = "End a session: its refresh and access tokens", request_body = LogoutRequest, responses((status = 204, description = "The session is over"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security((), ("bearer" = [])))]
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LogoutRequest>,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(refresh_token) = &body.refresh_token
        && let Some(stored) = state
            .store
            .refresh_tokens()
            .find_by_hash(&token_hash(refresh_token))
            .await?
    {
        end_session(&state, stored.family_id, stored.user_id).await?;
    }
    if let Some(token) = bearer(&headers)
        && let Ok(claims) = state.auth.verify_access(token)
    {
        end_session(&state, claims.session, claims.user).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Proving the address also sets the account's password: whoever registered the
/// address before its owner proved it must not keep a password (or a GitHub link) that
/// works. Every other session of the account ends.
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "auth", summary = "Prove an e-mail address with the link mailed to it, and set the password", request_body = NewPassword, responses((status = 200, description = "The address is verified and the password set; every other session is over", body = crate::views::Session), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<impl IntoResponse, ApiError> {
    check_password(&body.password)?;
    let password_hash = hash_password(body.password.clone()).await?;
    let spent = || {
        ApiError::invalid(
            "token",
            "this link is unknown, already used or expired; ask for a new one from your account",
        )
    };
    let hash = token_hash(&body.token);
    let Some(token) = state
        .store
        .email_tokens()
        .redeem(EmailPurpose::VerifyEmail, &hash)
        .await?
    else {
        // A link followed twice (a mail client's preview, a second click) is not a
        // mistake to scold: say it was used, and whether the address is verified.
        let used = state
            .store
            .email_tokens()
            .find(EmailPurpose::VerifyEmail, &hash)
            .await?
            .filter(|token| token.used_at.is_some());
        if let Some(token) = used {
            let verified = state
                .store
                .users()
                .get(token.user_id)
                .await?
                .email_verified_at
                .is_some();
            return Err(ApiError::conflict(if verified {
                "this link was already used: the address is verified, so sign in"
            } else {
                "this link was already used; ask for a new one from your account"
            }));
        }
        return Err(spent());
    };
    Ok(Json(take_account(&state, &token, &password_hash).await?))
}

/// The holder of a mailed link takes the account: the new password, every other
/// session ended, a GitHub link made before the address was proved removed, the address
/// verified; a new session for the holder.
async fn take_account(
    state: &AppState,
    token: &companyos_store::EmailToken,
    password_hash: &str,
) -> Result<Session, ApiError> {
    let users = state.store.users();
    let before = users.get(token.user_id).await?;
    if before.email != token.email {
        return Err(ApiError::invalid(
            "token",
            "the account's address changed since this link was sent; ask for a new one",
        ));
    }
    users
        .set_password_hash(token.user_id, password_hash)
        .await?;
    // Whoever held the account before — someone who registered this address, or
    // someone who learned the old password — is signed out everywhere.
    state
        .store
        .refresh_tokens()
        .end_all_sessions(token.user_id, access_valid_until(state))
        .await?;
    state.auth.sessions.forget_all();
    state.auth.live.user_signed_out(token.user_id);
    if before.email_verified_at.is_none() && before.github_id.is_some() {
        users.unlink_github(token.user_id).await?;
        tracing::info!(user = %token.user_id, "a GitHub link made before the address was proved was removed");
    }
    let user = users
        .mark_email_verified(token.user_id, &token.email)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "token",
                "the account's address changed since this link was sent; ask for a new one",
            )
        })?;
    let session = new_session(state, user.id).await?;
    Ok(Session {
        user: Some(user.into()),
        ..session
    })
}

#[utoipa::path(post, path = "/api/auth/verify-email/resend", tag = "auth", summary = "Mail the verification link again", responses((status = 202, description = "The link was mailed", body = crate::views::MailSent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn resend_verification(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    let account = state.store.users().get(user).await?;
    if account.email_verified_at.is_some() {
        return Err(ApiError::conflict("this address is already verified"));
    }
    if !mail_link(&state, &account, EmailPurpose::VerifyEmail).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!("at most {LINKS_PER_HOUR} links an hour are sent; use the latest one, or try again later"),
        )
        .retry_after(3600));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(crate::views::MailSent {
            status: "sent".to_owned(),
            email: Some(account.email),
        }),
    ))
}

/// Answered the same way, in about the same time, whether the account exists or not:
/// the mail is sent in the background.
#[utoipa::path(post, path = "/api/auth/password-reset", tag = "auth", summary = "Mail a password-reset link", request_body = ResetRequest, responses((status = 202, description = "A link is mailed if the account exists", body = crate::views::MailSent), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn request_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let email = normalise_email(&body.email);
    let background = state.clone();
    tokio::spawn(async move {
        match background.store.users().find_by_email(&email).await {
            Ok(Some(user)) => {
                if let Err(error) = mail_link(&background, &user, EmailPurpose::ResetPassword).await
                {
                    tracing::warn!(user = %user.id, detail = %error.detail, "password-reset link not sent");
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "password reset: cannot look the account up"),
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(crate::views::MailSent {
            status: "if an account has this address, a link to reset its password was mailed to it"
                .to_owned(),
            email: None,
        }),
    ))
}

#[utoipa::path(post, path = "/api/auth/password-reset/confirm", tag = "auth", summary = "Set a new password with the link's token", request_body = NewPassword, responses((status = 200, description = "The password is set; every earlier session is over", body = crate::views::Session), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn reset_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<impl IntoResponse, ApiError> {
    check_password(&body.password)?;
    let password_hash = hash_password(body.password.clone()).await?;
    let token = state
        .store
        .email_tokens()
        .redeem(EmailPurpose::ResetPassword, &token_hash(&body.token))
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "token",
                "this link is unknown, already used or expired; ask for a new one",
            )
        })?;
    Ok(Json(take_account(&state, &token, &password_hash).await?))
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", summary = "The caller, with their organizations and roles", responses((status = 200, description = "The caller, with their organizations and roles", body = crate::views::Me), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
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
    let organizations = state
        .store
        .organizations()
        .list_for_user(user)
        .await?
        .into_iter()
        .map(|(organization, role)| crate::views::Organization::of(organization, role))
        .collect();
    Ok(Json(crate::views::Me {
        user: found.into(),
        organizations,
    }))
}

/// The organization named by a path segment: an id that does not parse is a 404 like
/// any other unknown organization.
pub(crate) fn org_id(raw: &str) -> Result<OrgId, ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(OrgId)
        .map_err(|_| ApiError::not_found("no such organization"))
}

#[utoipa::path(get, path = "/api/organizations/{id}", tag = "organizations", summary = "One organization", params(("id" = String, Path, description = "organization id")), responses((status = 200, description = "One organization", body = crate::views::Organization), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
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

#[utoipa::path(get, path = "/api/organizations/{id}/members", tag = "organizations", summary = "Members of an organization", params(("id" = String, Path, description = "organization id")), responses((status = 200, description = "Members of an organization", body = crate::views::Page<crate::views::Member>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
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
    Ok(Json(crate::views::Page::<crate::views::Member>::all(
        members,
    )))
}
