//! GitHub login (OAuth authorization-code flow): `GET /api/auth/github` redirects to
//! GitHub's authorize page with a signed, expiring `state` that is also bound to the
//! browser by a cookie; `GET /api/auth/github/callback` checks both, exchanges the code
//! for a token, reads the GitHub user and their verified emails, and signs the person
//! in — by their linked GitHub account; else by their primary verified email, linking
//! GitHub to the account with that address only when the account's address is verified
//! too (an unverified address is only a claim: someone else may have registered it, so
//! the person is asked to sign in with the password and link GitHub from there); else
//! as a new account under the same rules as password registration (first account, open
//! registration, or an invitation passed as `?invitation_token=` to the first route).
//!
//! A signed-in person links GitHub to their account with `POST /api/auth/github/link`,
//! which answers the authorize URL to open: its `state` names the account, and the
//! callback links the GitHub identity to it (and counts the account's address as
//! verified when GitHub lists it as a verified address of theirs). The provider's URLs
//! are settings, so tests and GitHub Enterprise point them elsewhere.

use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use companyos_store::{MemberRole, NewUser, User};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Authenticated, random_hex};
use crate::error::ApiError;
use crate::openapi::Problem;

/// Where GitHub (or a stand-in) lives, and this node's OAuth app.
#[derive(Clone, Debug)]
pub struct GitHubOAuth {
    pub client_id: String,
    pub client_secret: String,
    /// `https://github.com/login/oauth/authorize`
    pub authorize_url: String,
    /// `https://github.com/login/oauth/access_token`
    pub token_url: String,
    /// `https://api.github.com`
    pub api_url: String,
    /// This node's callback, as registered with the OAuth app.
    pub redirect_uri: String,
    pub http: reqwest::Client,
}

impl GitHubOAuth {
    pub const AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
    pub const TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
    pub const API_URL: &str = "https://api.github.com";
}

const STATE_COOKIE: &str = "companyos_oauth_state";
const STATE_TTL_SECS: i64 = 600;

#[derive(Serialize, Deserialize)]
struct StateClaims {
    purpose: String,
    nonce: String,
    invitation: Option<String>,
    /// Set when a signed-in person links GitHub to their account.
    #[serde(default)]
    link_user: Option<uuid::Uuid>,
    exp: i64,
}

#[derive(Deserialize)]
struct Start {
    invitation_token: Option<String>,
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: i64,
    login: String,
    name: Option<String>,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(callback))
        .routes(routes!(link))
}

fn configured(state: &AppState) -> Result<&GitHubOAuth, ApiError> {
    state.auth.github.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "GitHub login is not configured on this node (auth.github_client_id and auth.github_client_secret)",
        )
    })
}

/// The authorize URL for a new login (or link) attempt, and the cookie that binds it
/// to the browser.
fn authorize(
    state: &AppState,
    github: &GitHubOAuth,
    invitation: Option<String>,
    link_user: Option<uuid::Uuid>,
) -> Result<(reqwest::Url, HeaderValue), ApiError> {
    let nonce = random_hex(16);
    let signed = state.auth.sign(&StateClaims {
        purpose: "github_login".into(),
        nonce: nonce.clone(),
        invitation,
        link_user,
        exp: Utc::now().timestamp() + STATE_TTL_SECS,
    })?;
    let location = reqwest::Url::parse_with_params(
        &github.authorize_url,
        &[
            ("client_id", github.client_id.as_str()),
            ("redirect_uri", github.redirect_uri.as_str()),
            ("scope", "read:user user:email"),
            ("state", signed.as_str()),
        ],
    )
    .map_err(|error| {
        tracing::error!(%error, "auth.github_authorize_url is not a URL");
        ApiError::internal()
    })?;
    let cookie = HeaderValue::from_str(&format!(
        "{STATE_COOKIE}={nonce}; Path=/api/auth/github; Max-Age={STATE_TTL_SECS}; HttpOnly; SameSite=Lax"
    ))
    .map_err(|_| ApiError::internal())?;
    Ok((location, cookie))
}

/// Redirects to GitHub's authorize page.
#[utoipa::path(get, path = "/api/auth/github", tag = "auth", summary = "Start GitHub login (redirects to GitHub)", params(("invitation_token" = Option<String>, Query, description = "join the organization of this invitation")), responses((status = 302, description = "Redirect to GitHub"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn start(
    State(state): State<AppState>,
    Query(query): Query<Start>,
) -> Result<Response, ApiError> {
    let github = configured(&state)?;
    let (location, cookie) = authorize(&state, github, query.invitation_token, None)?;
    let mut response = Redirect::to(location.as_str()).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Answers the authorize URL that links a GitHub account to the caller's; the browser
/// opens it (with the cookie this answer sets).
#[utoipa::path(post, path = "/api/auth/github/link", tag = "auth", summary = "Start linking GitHub to the signed-in account", responses((status = 200, description = "The authorize URL to open", body = crate::views::AuthorizeUrl), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn link(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Response, ApiError> {
    let github = configured(&state)?;
    if state
        .store
        .users()
        .get(user)
        .await?
        .email_verified_at
        .is_none()
    {
        return Err(unproved_link());
    }
    let (location, cookie) = authorize(&state, github, None, Some(user.0))?;
    let mut response = Json(crate::views::AuthorizeUrl {
        authorize_url: location.as_str().to_owned(),
    })
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == STATE_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn upstream(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_GATEWAY, "GitHub failed", detail)
}

/// GitHub sends the browser back here.
#[utoipa::path(get, path = "/api/auth/github/callback", tag = "auth", summary = "Finish GitHub login: a session", params(("code" = Option<String>, Query, description = "from GitHub"), ("state" = Option<String>, Query, description = "from GitHub")), responses((status = 200, description = "A session", body = crate::views::Session), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Callback>,
) -> Result<Response, ApiError> {
    // A browser is sent back to the console with the outcome in the URL fragment
    // (which never reaches a server); a program gets the JSON.
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let outcome = finish(&state, &headers, query).await;
    if !browser {
        return outcome;
    }
    let console = format!(
        "{}/auth/callback",
        state.auth.console_url.trim_end_matches('/')
    );
    let fragment = match &outcome {
        Ok(response) => match response.extensions().get::<BrowserOutcome>() {
            Some(BrowserOutcome::Session(refresh_token)) => {
                format!("refresh_token={refresh_token}")
            }
            Some(BrowserOutcome::Linked) | None => "linked=github".to_owned(),
        },
        Err(error) => serde_urlencoded::to_string([("error", error.detail.as_str())])
            .unwrap_or_else(|_| "error=GitHub+login+failed".into()),
    };
    let mut response = Redirect::to(&format!("{console}#{fragment}")).into_response();
    clear_state_cookie(&mut response);
    Ok(response)
}

/// What a browser is told when it comes back from GitHub.
#[derive(Clone)]
enum BrowserOutcome {
    Session(String),
    Linked,
}

async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    query: Callback,
) -> Result<Response, ApiError> {
    let state = state.clone();
    let github = configured(&state)?;
    if let Some(error) = query.error {
        return Err(ApiError::unauthorized(format!(
            "GitHub did not sign you in: {}",
            query.error_description.unwrap_or(error)
        )));
    }
    let bad_state = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Invalid login attempt",
            "this login link is invalid, expired, or was started in another browser; start again at /api/auth/github",
        )
    };
    let claims: StateClaims = query
        .state
        .as_deref()
        .and_then(|signed| state.auth.verify(signed, &["exp"]))
        .filter(|claims: &StateClaims| claims.purpose == "github_login")
        .ok_or_else(bad_state)?;
    if cookie_nonce(headers).as_deref() != Some(claims.nonce.as_str()) {
        return Err(bad_state());
    }
    let code = query
        .code
        .filter(|code| !code.is_empty())
        .ok_or_else(|| ApiError::invalid("code", "GitHub sent no code"))?;

    let exchanged: TokenResponse = github
        .http
        .post(&github.token_url)
        .header(header::ACCEPT, "application/json")
        .form(&[
            ("client_id", github.client_id.as_str()),
            ("client_secret", github.client_secret.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", github.redirect_uri.as_str()),
        ])
        .send()
        .await
        .map_err(|error| upstream(format!("cannot reach GitHub: {error}")))?
        .json()
        .await
        .map_err(|error| upstream(format!("GitHub's token answer is not JSON: {error}")))?;
    let token = match exchanged {
        TokenResponse {
            access_token: Some(token),
            ..
        } => token,
        TokenResponse {
            error,
            error_description,
            ..
        } => {
            return Err(ApiError::unauthorized(format!(
                "GitHub refused the code: {}",
                error_description
                    .or(error)
                    .unwrap_or_else(|| "no reason given".into())
            )));
        }
    };
    let profile: GitHubUser = get_json(github, &token, "/user").await?;
    // Only addresses GitHub says the person verified count; the profile's public
    // address is not taken on its word.
    let mut verified: Vec<(bool, String)> =
        get_json::<Vec<GitHubEmail>>(github, &token, "/user/emails")
            .await?
            .into_iter()
            .filter(|email| email.verified)
            .map(|email| (!email.primary, email.email.trim().to_lowercase()))
            .collect();
    // The primary address first.
    verified.sort();
    let verified: Vec<String> = verified.into_iter().map(|(_, email)| email).collect();

    if let Some(user) = claims.link_user {
        let linked =
            link_account(&state, companyos_store::UserId(user), &profile, &verified).await?;
        let mut response =
            Json(json!({"linked": true, "user": crate::views::User::from(linked)})).into_response();
        response.extensions_mut().insert(BrowserOutcome::Linked);
        clear_state_cookie(&mut response);
        return Ok(response);
    }
    let email = verified.first().cloned().ok_or_else(|| {
        ApiError::forbidden(
            "your GitHub account has no verified email; verify one on GitHub and try again",
        )
    })?;

    let user = account(&state, &profile, &email, claims.invitation.as_deref()).await?;
    let session = crate::auth_routes::new_session(&state, user.id).await?;
    let refresh_token = session.refresh_token.clone();
    let session = crate::views::Session {
        user: Some(user.into()),
        ..session
    };
    let mut response = Json(session).into_response();
    response
        .extensions_mut()
        .insert(BrowserOutcome::Session(refresh_token));
    clear_state_cookie(&mut response);
    Ok(response)
}

/// The state cookie has done its work.
fn clear_state_cookie(response: &mut Response) {
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "companyos_oauth_state=; Path=/api/auth/github; Max-Age=0; HttpOnly; SameSite=Lax",
        ),
    );
}

/// Links the GitHub identity to the signed-in account that asked for it. GitHub's
/// verified addresses prove the account's own, when it is among them.
async fn link_account(
    state: &AppState,
    user: companyos_store::UserId,
    profile: &GitHubUser,
    verified: &[String],
) -> Result<User, ApiError> {
    let users = state.store.users();
    match users.find_by_github_id(profile.id).await? {
        Some(holder) if holder.id != user => {
            return Err(ApiError::conflict(
                "this GitHub account is linked to another CompanyOS account",
            ));
        }
        _ => {}
    }
    // Only a proved address takes a link: GitHub's verified addresses prove it here,
    // else the account must have been verified by mail. Otherwise whoever registered
    // the address first could sign in with their GitHub once its owner proves it.
    let account = users.get(user).await?;
    if account.email_verified_at.is_none() {
        if !verified.contains(&account.email) {
            return Err(unproved_link());
        }
        users.mark_email_verified(user, &account.email).await?;
    }
    Ok(users.link_github(user, profile.id).await?)
}

fn unproved_link() -> ApiError {
    ApiError::forbidden(
        "verify your e-mail address before linking GitHub: follow the link mailed to you (or ask for a new one from your account)",
    )
}

async fn get_json<T: serde::de::DeserializeOwned>(
    github: &GitHubOAuth,
    token: &str,
    path: &str,
) -> Result<T, ApiError> {
    let response = github
        .http
        .get(format!("{}{path}", github.api_url.trim_end_matches('/')))
        .bearer_auth(token)
        .header(header::ACCEPT, "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .send()
        .await
        .map_err(|error| upstream(format!("cannot reach GitHub: {error}")))?;
    if !response.status().is_success() {
        return Err(upstream(format!(
            "GitHub answered {path} with {}",
            response.status()
        )));
    }
    response.json().await.map_err(|error| {
        upstream(format!(
            "GitHub's answer to {path} is not what it documents: {error}"
        ))
    })
}

/// The account for this GitHub identity: linked, found by email, or created.
async fn account(
    state: &AppState,
    profile: &GitHubUser,
    email: &str,
    invitation: Option<&str>,
) -> Result<User, ApiError> {
    let users = state.store.users();
    let user = if let Some(user) = users.find_by_github_id(profile.id).await? {
        user
    } else if let Some(user) = users.find_by_email(email).await? {
        // Both sides proved the address: the same person.
        if user.email_verified_at.is_none() {
            return Err(ApiError::conflict(
                "an account with this email exists but its address was never verified, so it cannot be joined to your GitHub account: sign in with its password and link GitHub from the account (or reset the password from the mail sent to this address)",
            ));
        }
        users.link_github(user.id, profile.id).await?
    } else {
        let invited = match invitation {
            Some(token) => Some(crate::invitations::live_invitation(state, token).await?),
            None => None,
        };
        if let Some(invitation) = &invited
            && invitation.email != email
        {
            return Err(ApiError::forbidden(
                "this invitation was sent to another email address than your GitHub account's",
            ));
        }
        let first =
            invited.is_none() && crate::auth_routes::claim_first(&state.store, email).await?;
        if invited.is_none() && !first && !state.auth.open_registration {
            return Err(ApiError::forbidden(
                "this GitHub account has no CompanyOS account: ask an owner or admin for an invitation and sign in with GitHub through it",
            ));
        }
        let created = sign_up(state, profile, email, invited).await;
        if first && created.is_err() {
            users.release_first().await?;
        }
        created?
    };
    if let Err(error) = users.touch_last_seen(user.id).await {
        tracing::warn!(%error, "cannot record the login time");
    }
    Ok(user)
}

/// A new account for this GitHub identity, in the invitation's organization or owning a
/// new one.
async fn sign_up(
    state: &AppState,
    profile: &GitHubUser,
    email: &str,
    invited: Option<companyos_store::Invitation>,
) -> Result<User, ApiError> {
    let user = state
        .store
        .users()
        .create(NewUser {
            email: email.to_owned(),
            name: profile
                .name
                .clone()
                .unwrap_or_else(|| profile.login.clone()),
            avatar_url: profile.avatar_url.clone(),
            github_id: Some(profile.id),
            // GitHub says the person verified it.
            email_verified: true,
            ..NewUser::default()
        })
        .await?;
    match invited {
        Some(invitation) => {
            crate::invitations::join(state, &invitation, user.id).await?;
        }
        None => {
            let organization = crate::auth_routes::create_organization(
                state,
                &format!("{}'s organization", profile.login),
                user.id,
            )
            .await?;
            tracing::info!(organization = %organization.id, role = MemberRole::Owner.as_str(), "organization created at GitHub sign-up");
        }
    }
    Ok(user)
}

/// How long a call to GitHub may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);
