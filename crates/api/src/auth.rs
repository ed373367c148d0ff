//! Authentication: argon2id password hashes, short-lived JWT access tokens (HS256,
//! signed with the node's secret), and opaque refresh tokens — 32 random bytes handed to
//! the client once, stored only as their SHA-256, rotated on every use, revoked by
//! family when a rotated one comes back.
//!
//! An access token names its session (`sid`: the refresh-token family of the login).
//! A session ended early — logout, a reused refresh token, a password reset — is on the
//! store's revocation list until its last access token expires, and every request
//! checks it ([`SessionCheck`]: "not revoked" answers are kept for two seconds; an end
//! made on this node is known at once).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use companyos_store::UserId;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// The shortest signing secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "jwt-secret";
/// Requests a minute per client address on the credential routes, unless configured.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 30;
/// Requests a minute per signed-in user on every other route, unless configured.
pub const DEFAULT_TOKEN_RATE_LIMIT_PER_MINUTE: u32 = 6000;

/// How tokens are signed and how long they live.
pub struct AuthConfig {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub invitation_ttl: Duration,
    /// A registration without an invitation creates a new organization (otherwise only
    /// the very first registration may).
    pub open_registration: bool,
    /// Requests a minute per client address on the routes that take credentials.
    pub rate_limiter: crate::rate_limit::RateLimiter,
    /// Requests a minute per signed-in user (the access token's subject) elsewhere.
    pub token_rate_limiter: crate::rate_limit::RateLimiter<UserId>,
    /// GitHub login, when configured.
    pub github: Option<crate::oauth::GitHubOAuth>,
    /// Recent membership answers (every organization-scoped request needs one).
    pub memberships: crate::rbac::MembershipCache,
    /// Recent "this session is not revoked" answers.
    pub sessions: SessionCheck,
    /// Changes that end live connections (sessions, memberships).
    pub live: crate::live::LiveConnections,
    /// How links reach people (verification, password reset, invitations).
    pub mailer: crate::mail::Mailer,
    /// Where the console lives, for the links in mails (`public_url`).
    pub console_url: String,
    /// Organizations one person may own at most (organization creation quota).
    pub max_organizations_per_user: u32,
    /// The bearer token `/metrics` asks for (`None`: open, for a scrape on an internal
    /// network). Metrics name organizations and agents by id.
    pub metrics_token: Option<String>,
    /// The time access tokens are issued and checked by: the store's clock, so that
    /// tests move one clock instead of sleeping.
    pub clock: companyos_store::Clock,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("open_registration", &self.open_registration)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: uuid::Uuid,
    /// The session (refresh-token family) the token was issued with.
    sid: uuid::Uuid,
    iat: i64,
    exp: i64,
}

/// What a valid access token says: who, in which session, until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    pub user: UserId,
    pub session: uuid::Uuid,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Organizations a person may own, unless configured.
pub const DEFAULT_MAX_ORGANIZATIONS_PER_USER: u32 = 10;

/// Why token signing cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the token signing secret must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl AuthConfig {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Result<AuthConfig, SecretError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort);
        }
        Ok(AuthConfig {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl,
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            invitation_ttl: Duration::from_secs(7 * 24 * 3600),
            open_registration: false,
            rate_limiter: crate::rate_limit::RateLimiter::new(DEFAULT_RATE_LIMIT_PER_MINUTE),
            token_rate_limiter: crate::rate_limit::RateLimiter::new(
                DEFAULT_TOKEN_RATE_LIMIT_PER_MINUTE,
            ),
            github: None,
            memberships: crate::rbac::MembershipCache::default(),
            sessions: SessionCheck::default(),
            live: crate::live::LiveConnections::default(),
            mailer: crate::mail::Mailer::Log,
            console_url: "http://localhost:8080".into(),
            max_organizations_per_user: DEFAULT_MAX_ORGANIZATIONS_PER_USER,
            metrics_token: None,
            clock: companyos_store::Clock::default(),
        })
    }

    /// A membership changed (role, removal, joining): forgets the cached answer and
    /// lets live connections check theirs.
    pub fn membership_changed(&self, user: UserId, organization: companyos_store::OrgId) {
        self.memberships.forget(user, organization);
        self.live.membership_changed(user, organization);
    }

    /// An organization was deleted.
    pub fn organization_deleted(&self, organization: companyos_store::OrgId) {
        self.memberships.forget_organization(organization);
        self.live.organization_deleted(organization);
    }

    /// A signed access token for `user` in `session` and its lifetime in seconds.
    pub fn issue_access(
        &self,
        user: UserId,
        session: uuid::Uuid,
    ) -> Result<(String, u64), ApiError> {
        let now = self.clock.now().timestamp();
        let ttl = self.access_ttl.as_secs();
        let claims = Claims {
            sub: user.0,
            sid: session,
            iat: now,
            exp: now + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| {
            tracing::error!(%error, "cannot sign an access token");
            ApiError::internal()
        })?;
        Ok((token, ttl))
    }

    /// Signs short-lived claims of another purpose (an OAuth `state`) with the same key.
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(
            |error| {
                tracing::error!(%error, "cannot sign");
                ApiError::internal()
            },
        )
    }

    /// Claims signed by [`sign`](Self::sign), if the signature and expiry hold and every
    /// `required` claim is present (an access token lacks them, and the reverse).
    pub(crate) fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        required: &[&str],
    ) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(required);
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// What an access token says, if its signature and expiry hold. Whether its
    /// session was ended is [`SessionCheck::require_live`]'s question.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Expiry is checked below against the node's clock.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation) {
            Ok(data) if data.claims.exp < self.clock.now().timestamp() => {
                Err(ApiError::unauthorized(
                    "the access token has expired; get a new one from /api/auth/refresh",
                ))
            }
            Ok(data) => Ok(AccessClaims {
                user: UserId(data.claims.sub),
                session: data.claims.sid,
                expires_at: data.claims.exp,
            }),
            Err(_) => Err(ApiError::unauthorized("the access token is not valid")),
        }
    }
}

/// The signing secret: the configured one, else the one kept under the data directory,
/// else a new random one written there (with a warning: tokens then die with the data
/// directory, and every node of a cluster needs the same secret).
pub fn load_or_create_secret(configured: &str, data_dir: &Path) -> Result<Vec<u8>, SecretError> {
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(stored) => return Ok(stored.trim().as_bytes().to_vec()),
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            return Err(SecretError::Read { path, source });
        }
        Err(_) => {}
    }
    let secret = random_hex(32);
    std::fs::create_dir_all(data_dir)
        .and_then(|()| std::fs::write(&path, &secret))
        .map_err(|source| SecretError::Write {
            path: path.clone(),
            source,
        })?;
    restrict_permissions(&path);
    tracing::warn!(
        path = %path.display(),
        "no auth.jwt_secret configured: generated one and stored it under the data directory"
    );
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(error) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(path = %path.display(), %error, "cannot make the secret file private");
    }
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) {}

/// `bytes` random bytes, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex(&buffer)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What is stored for an opaque token (refresh token, invitation): its SHA-256.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// An argon2id PHC string for `password` (off the async threads: it is slow on purpose).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|error| {
        tracing::error!(%error, "cannot hash a password");
        ApiError::internal()
    })
}

/// A hash of a random password made with the same parameters as every stored hash:
/// a login for an account that does not exist (or has no password) is verified against
/// it, so that it costs what a wrong password costs and the answer's timing does not
/// tell whether the account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    SaltString::encode_b64(&salt)
        .ok()
        .and_then(|salt| {
            Argon2::default()
                .hash_password(random_hex(16).as_bytes(), &salt)
                .ok()
                .map(|hash| hash.to_string())
        })
        .unwrap_or_default()
});

/// Whether `password` matches the stored PHC string. With nothing stored, the password
/// is verified against a dummy hash (and never matches), at the same cost.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    let account = if stored.is_some() {
        "existing"
    } else {
        "missing"
    };
    metrics::counter!(crate::metrics::PASSWORD_VERIFICATIONS_TOTAL, "account" => account)
        .increment(1);
    tokio::task::spawn_blocking(move || {
        let (stored, real) = match stored {
            Some(stored) => (stored, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let matches = PasswordHash::new(&stored).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        });
        real && matches
    })
    .await
    .unwrap_or(false)
}

/// Remembers which sessions were checked and found live, for a moment, so that a busy
/// client does not cost a database read per request; a session ended on this node is
/// forgotten at once.
#[derive(Debug, Default)]
pub struct SessionCheck {
    live: Mutex<HashMap<uuid::Uuid, Instant>>,
}

/// How long a "not revoked" answer is trusted (an end made on another node of a
/// cluster is seen within it).
const SESSION_CHECK_TTL: Duration = Duration::from_secs(2);
const SESSION_CHECK_LIMIT: usize = 50_000;

impl SessionCheck {
    /// 401 when the token's session was ended (logout, a reused refresh token, a
    /// password reset).
    pub async fn require_live(
        &self,
        store: &companyos_store::Store,
        claims: &AccessClaims,
    ) -> Result<(), ApiError> {
        {
            let live = self
                .live
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if live
                .get(&claims.session)
                .is_some_and(|at| at.elapsed() < SESSION_CHECK_TTL)
            {
                return Ok(());
            }
        }
        if store
            .refresh_tokens()
            .session_revoked(claims.session)
            .await?
        {
            return Err(ApiError::unauthorized(
                "this session has ended (logged out, or its password was reset); log in again",
            ));
        }
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if live.len() >= SESSION_CHECK_LIMIT {
            live.clear();
        }
        live.insert(claims.session, Instant::now());
        Ok(())
    }

    /// Forgets that `session` was live (it was just ended here).
    pub fn forget(&self, session: uuid::Uuid) {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&session);
    }

    /// Forgets every answer (all of someone's sessions were ended).
    pub fn forget_all(&self) {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}

/// The bearer token of `Authorization: Bearer …`, if the header has that form.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// What `token` proves: a valid access token of a session that was not ended.
pub(crate) async fn authenticate(state: &AppState, token: &str) -> Result<AccessClaims, ApiError> {
    let claims = state.auth.verify_access(token)?;
    state
        .auth
        .sessions
        .require_live(&state.store, &claims)
        .await?;
    Ok(claims)
}

/// The caller, proven by a valid access token in `Authorization: Bearer …`.
#[derive(Clone, Copy, Debug)]
pub struct Authenticated(pub UserId);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("send an access token: Authorization: Bearer <token>")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be: Bearer <token>")
            })?;
        let user = authenticate(state, token).await?.user;
        if let Err(wait) = state.auth.token_rate_limiter.take(user).await {
            let seconds = wait.as_secs() + 1;
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                format!("too many requests with this account's tokens; retry in {seconds} s"),
            )
            .retry_after(seconds));
        }
        Ok(Authenticated(user))
    }
}
