//! GitHub login (OAuth authorization-code flow): `GET /api/auth/github` redirects to
//! GitHub's authorize page with a signed, expiring `state` that is also bound to the
//! browser by a cookie; `GET /api/auth/github/callback` checks both, exchanges the code
//! for a token, reads the GitHub user (and their primary verified email when the
//! profile hides it), and signs the person in — by their linked GitHub account, else by
//! their email (linking it), else as a new account under the same rules as password
//! registration (first account, open registration, or an invitation passed as
//! `?invitation_token=` to the first route). The provider's URLs are settings, so tests
//! and GitHub Enterprise point them elsewhere.

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
use crate::auth::random_hex;
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
    email: Option<String>,
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
}

fn configured(state: &AppState) -> Result<&GitHubOAuth, ApiError> {
    state.auth.github.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "GitHub login is not configured on this node (auth.github_client_id and auth.github_client_secret)",
        )
    })
}

/// Redirects to GitHub's authorize page.
#[utoipa::path(get, path = "/api/auth/github", tag = "auth", summary = "Start GitHub login (redirects to GitHub)", params(("invitation_token" = Option<String>, Query, description = "join the organization of this invitation")), responses((status = 302, description = "Redirect to GitHub"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn start(
    State(state): State<AppState>,
    Query(query): Query<Start>,
) -> Result<Response, ApiError> {
    let github = configured(&state)?;
    let nonce = random_hex(16);
    let signed = state.auth.sign(&StateClaims {
        purpose: "github_login".into(),
        nonce: nonce.clone(),
        invitation: query.invitation_token,
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
    let mut response = Redirect::to(location.as_str()).into_response();
    let cookie = format!(
        "{STATE_COOKIE}={nonce}; Path=/api/auth/github; Max-Age={STATE_TTL_SECS}; HttpOnly; SameSite=Lax"
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
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
#[utoipa::path(get, path = "/api/auth/github/callback", tag = "auth", summary = "Finish GitHub login: a session", params(("code" = Option<String>, Query, description = "from GitHub"), ("state" = Option<String>, Query, description = "from GitHub")), responses((status = 200, description = "A session", body = Object), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")), security(()))]
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Callback>,
) -> Result<Response, ApiError> {
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
    if cookie_nonce(&headers).as_deref() != Some(claims.nonce.as_str()) {
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
    let email = match profile.email.clone() {
        Some(email) if !email.is_empty() => email,
        _ => {
            let emails: Vec<GitHubEmail> = get_json(github, &token, "/user/emails").await?;
            emails
                .into_iter()
                .find(|email| email.primary && email.verified)
                .map(|email| email.email)
                .ok_or_else(|| {
                    ApiError::forbidden(
                        "your GitHub account has no verified primary email; verify one on GitHub and try again",
                    )
                })?
        }
    }
    .trim()
    .to_lowercase();

    let user = account(&state, &profile, &email, claims.invitation.as_deref()).await?;
    let mut session = crate::auth_routes::new_session(&state, user.id).await?;
    session["user"] = json!(user);
    let mut response = Json(session).into_response();
    // The state cookie has done its work.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{STATE_COOKIE}=; Path=/api/auth/github; Max-Age=0; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
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
        users.link_github(user.id, profile.id).await?
    } else {
        let invited = match invitation {
            Some(token) => Some(crate::auth_routes::live_invitation(state, token).await?),
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
            ..NewUser::default()
        })
        .await?;
    match invited {
        Some(invitation) => {
            crate::auth_routes::join(state, &invitation, user.id).await?;
        }
        None => {
            let organization = crate::auth_routes::create_organization(
                &state.store,
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
