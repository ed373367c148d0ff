//! The audit trail: what a member did through the edge — approvals, rejections,
//! retries, cancellations, connections and disconnections, agent changes — recorded as
//! events of source `audit` with the member as their actor, so the event log shows and
//! filters them (`GET /api/analytics/events?source=audit&actor_id=…`). The agent that
//! posts a review records `review.posted` the same way.
//!
//! The action is done when the trail is written: a failure to write it is logged, never
//! turned into the request's failure.

use companyos_store::{EventActorType, NewEvent};
use serde_json::json;

use crate::AppState;
use crate::rbac::OrgAccess;

/// Where the trail's events come from.
pub(crate) const SOURCE: &str = "audit";

/// One thing a member did.
pub(crate) struct Audit {
    /// `task.approved`, `integration.connected`, `agent.created`, …
    pub action: &'static str,
    /// `agent_task`, `integration`, `agent`.
    pub resource_type: companyos_store::ResourceKind,
    pub resource_id: uuid::Uuid,
    /// What was done, as a sentence without the member (the trail adds who).
    pub what: String,
    /// How it was done: `console` (the console and the REST API), `graphql`, `slack`.
    pub via: &'static str,
}

/// Records `audit` as done by the caller.
pub(crate) async fn record(state: &AppState, access: &OrgAccess, audit: Audit) {
    let name = match state.store.users().get(access.user).await {
        Ok(user) => user.name,
        Err(error) => {
            tracing::warn!(%error, "the audit trail names the member by id");
            access.user.to_string()
        }
    };
    let event = NewEvent {
        event_type: audit.action.to_owned(),
        event_source: SOURCE.to_owned(),
        actor_type: Some(EventActorType::User),
        actor_id: Some(access.user.0),
        resource_type: Some(audit.resource_type),
        resource_id: Some(audit.resource_id),
        metadata: json!({
            "summary": format!("{name} {}", audit.what),
            "actor_name": name,
            "role": access.role,
            "via": audit.via,
        }),
    };
    match state
        .store
        .events()
        .record(access.organization, event)
        .await
    {
        Ok(recorded) => {
            // Routed like any event, so that live subscribers see it at once.
            let runtime = state.runtime.clone();
            let org = access.organization;
            tokio::spawn(async move {
                if let Err(error) = runtime.route_event(org, recorded.id).await {
                    tracing::debug!(%error, "an audit event was not routed; the sweep routes it");
                }
            });
        }
        Err(error) => {
            tracing::error!(%error, action = audit.action, "the audit trail missed an action")
        }
    }
}
