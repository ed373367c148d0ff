//! Live connections (`/ws`, GraphQL subscriptions) are bound to what let them in: the
//! access token and the membership. A connection is closed when its token expires
//! without being refreshed over the socket (code 4401), when its session ends (logout,
//! a password reset: 4401), and when its member is removed from the organization
//! (4403). Changes made on this node reach the connections at once through
//! [`LiveConnections`]; every connection also checks its session and membership in the
//! database every [`RECHECK`], so a change made on another node of a cluster closes it
//! within that time.

use std::time::Duration;

use companyos_store::{OrgId, UserId};
use tokio::sync::{broadcast, watch};

use crate::AppState;
use crate::auth::AccessClaims;

/// How often a connection checks its session and membership in the database.
pub const RECHECK: Duration = Duration::from_secs(30);
/// WebSocket close code: the token expired or the session ended (graphql-ws uses 4401
/// for "unauthorized").
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// WebSocket close code: the member was removed from the organization.
pub const CLOSE_FORBIDDEN: u16 = 4403;

/// Something that may end live connections, published by the node that did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveChange {
    SessionEnded(uuid::Uuid),
    /// Every session of the user ended (a password reset).
    UserSignedOut(UserId),
    MembershipChanged {
        user: UserId,
        organization: OrgId,
    },
    OrganizationDeleted(OrgId),
}

/// Why the server closes a live connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    TokenExpired,
    SessionEnded,
    MembershipEnded,
}

/// Why a token sent over a live connection was not taken.
#[derive(Debug, thiserror::Error)]
pub enum RefreshRefused {
    /// Not a valid access token of a live session (the edge's words for why).
    #[error("{0}")]
    Invalid(String),
    #[error("the token is another user's; open a new connection for them")]
    AnotherUser,
}

impl Closing {
    /// The close code and the reason sent with it.
    pub fn frame(self) -> (u16, &'static str) {
        match self {
            Closing::TokenExpired => (
                CLOSE_UNAUTHORIZED,
                "the access token expired: refresh it over the socket, or reconnect with a new one",
            ),
            Closing::SessionEnded => (CLOSE_UNAUTHORIZED, "the session ended: log in again"),
            Closing::MembershipEnded => (
                CLOSE_FORBIDDEN,
                "you are no longer a member of this organization",
            ),
        }
    }
}

/// The node's feed of changes that end live connections.
#[derive(Debug)]
pub struct LiveConnections {
    changes: broadcast::Sender<LiveChange>,
}

impl Default for LiveConnections {
    fn default() -> Self {
        LiveConnections {
            changes: broadcast::channel(1024).0,
        }
    }
}

impl LiveConnections {
    fn publish(&self, change: LiveChange) {
        // No receiver means no live connection: nothing to close.
        if self.changes.send(change).is_err() {
            tracing::trace!("no live connection to tell");
        }
    }

    pub fn session_ended(&self, session: uuid::Uuid) {
        self.publish(LiveChange::SessionEnded(session));
    }

    pub fn user_signed_out(&self, user: UserId) {
        self.publish(LiveChange::UserSignedOut(user));
    }

    pub fn membership_changed(&self, user: UserId, organization: OrgId) {
        self.publish(LiveChange::MembershipChanged { user, organization });
    }

    pub fn organization_deleted(&self, organization: OrgId) {
        self.publish(LiveChange::OrganizationDeleted(organization));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveChange> {
        self.changes.subscribe()
    }
}

/// What one live connection is bound to. `expiry` moves forward when the client sends
/// a fresh access token of the same user over the socket ([`refresh`]).
pub struct Binding {
    pub user: UserId,
    /// The connection's organization, or `None` for a GraphQL connection, whose
    /// subscriptions each name theirs: it is closed when any of its user's memberships
    /// ends.
    pub organization: Option<OrgId>,
    session: watch::Sender<uuid::Uuid>,
    expiry: watch::Sender<i64>,
}

impl Binding {
    pub fn new(claims: &AccessClaims, organization: Option<OrgId>) -> Binding {
        Binding {
            user: claims.user,
            organization,
            session: watch::channel(claims.session).0,
            expiry: watch::channel(claims.expires_at).0,
        }
    }

    /// Takes a fresh access token sent over the socket: it must be valid, of a live
    /// session and of the same user. Returns its expiry.
    pub async fn refresh(&self, state: &AppState, token: &str) -> Result<i64, RefreshRefused> {
        let claims = crate::auth::authenticate(state, token)
            .await
            .map_err(|error| RefreshRefused::Invalid(error.detail))?;
        if claims.user != self.user {
            return Err(RefreshRefused::AnotherUser);
        }
        self.session.send_replace(claims.session);
        self.expiry.send_replace(claims.expires_at);
        Ok(claims.expires_at)
    }

    /// Resolves when the connection must close, and says why., and says why.
    pub async fn ended(&self, state: &AppState) -> Closing {
        let mut changes = state.auth.live.subscribe();
        let mut expiry = self.expiry.subscribe();
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.tick().await;
        loop {
            let expires_at = *expiry.borrow_and_update();
            let left = expires_at - chrono::Utc::now().timestamp();
            if left <= 0 {
                return Closing::TokenExpired;
            }
            let deadline = tokio::time::sleep(Duration::from_secs(left.unsigned_abs()));
            tokio::select! {
                () = deadline => {}
                changed = expiry.changed() => {
                    if changed.is_err() {
                        return Closing::TokenExpired;
                    }
                }
                change = changes.recv() => {
                    let concerns_us = match change {
                        Ok(LiveChange::SessionEnded(session)) => {
                            if session == *self.session.borrow() {
                                return Closing::SessionEnded;
                            }
                            false
                        }
                        Ok(LiveChange::UserSignedOut(user)) => {
                            if user == self.user {
                                return Closing::SessionEnded;
                            }
                            false
                        }
                        Ok(LiveChange::MembershipChanged { user, organization }) => {
                            user == self.user
                                && self.organization.is_none_or(|ours| ours == organization)
                        }
                        Ok(LiveChange::OrganizationDeleted(organization)) => {
                            self.organization.is_none_or(|ours| ours == organization)
                        }
                        // Missed changes: look at the database.
                        Err(broadcast::error::RecvError::Lagged(_)) => true,
                        Err(broadcast::error::RecvError::Closed) => false,
                    };
                    if concerns_us && let Some(closing) = self.check(state, &changes_hint(change)).await {
                        return closing;
                    }
                }
                _ = recheck.tick() => {
                    if let Some(closing) = self.check(state, &None).await {
                        return closing;
                    }
                }
            }
        }
    }

    /// Reads the session and the membership from the database; `Some` when the
    /// connection must close. `organization` narrows the membership check for a
    /// connection without one of its own.
    async fn check(&self, state: &AppState, organization: &Option<OrgId>) -> Option<Closing> {
        let session = *self.session.borrow();
        match state.store.refresh_tokens().session_revoked(session).await {
            Ok(true) => return Some(Closing::SessionEnded),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "cannot check a live connection's session"),
        }
        let organization = self.organization.or(*organization)?;
        match state
            .store
            .organizations()
            .member_role(organization, self.user)
            .await
        {
            Ok(Some(_)) => None,
            Ok(None) => Some(Closing::MembershipEnded),
            Err(error) => {
                tracing::warn!(%error, "cannot check a live connection's membership");
                None
            }
        }
    }
}

/// The organization a change names, if any.
fn changes_hint(change: Result<LiveChange, broadcast::error::RecvError>) -> Option<OrgId> {
    match change {
        Ok(LiveChange::MembershipChanged { organization, .. })
        | Ok(LiveChange::OrganizationDeleted(organization)) => Some(organization),
        _ => None,
    }
}
