//! Approvals from Slack: the Approve and Reject buttons the notification agent posts
//! come back as Slack's signed `block_actions` interaction (at the Slack integration's
//! webhook URL, set as the Slack app's interactivity request URL). The signature and
//! timestamp are checked before this runs, like any Slack delivery.
//!
//! The Slack user is mapped to a member of the organization — by the Slack
//! integration's `slack_users` mapping (`{"U…": "e-mail"}`) when it names them, else
//! by the e-mail Slack's `users.info` gives — and the click is checked against the
//! permission matrix like a console click: a viewer, a stranger, or an account whose
//! e-mail CompanyOS has not seen proved changes nothing. Whatever happened is answered
//! to the clicker alone (an ephemeral message).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use companyos_store::{OrgId, TaskId};
use companyos_supervisors::SlackRequest;
use companyos_supervisors::names;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::rbac::Permission;

#[derive(Deserialize)]
struct BlockActions {
    user: SlackActor,
    #[serde(default)]
    channel: Option<SlackChannel>,
    #[serde(default)]
    actions: Vec<SlackAction>,
}

#[derive(Deserialize)]
struct SlackActor {
    id: String,
}

#[derive(Deserialize)]
struct SlackChannel {
    id: String,
}

#[derive(Deserialize)]
struct SlackAction {
    action_id: String,
    #[serde(default)]
    value: Option<String>,
}

/// What a click did, as the answer's `outcome` and the metric's label say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Approved,
    Rejected,
    Refused,
    Ignored,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Rejected => "rejected",
            Outcome::Refused => "refused",
            Outcome::Ignored => "ignored",
        }
    }
}

/// Whether a verified Slack delivery is a button click.
pub(super) fn is_block_actions(payload: &Value) -> bool {
    payload.get("type").and_then(Value::as_str) == Some("block_actions")
}

/// Handles a verified `block_actions` interaction of `org`'s Slack integration.
pub(super) async fn block_actions(
    state: &AppState,
    org: OrgId,
    payload: &Value,
) -> Result<Response, ApiError> {
    let interaction: BlockActions = serde_json::from_value(payload.clone()).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed interaction",
            format!("the block_actions payload is not usable: {error}"),
        )
    })?;
    let Some(action) = interaction.actions.iter().find(|action| {
        action.action_id == names::APPROVE_ACTION || action.action_id == names::REJECT_ACTION
    }) else {
        return Ok(answer(Outcome::Ignored, "no CompanyOS button was clicked"));
    };
    let (outcome, message) = decide(state, org, &interaction.user.id, action).await;
    metrics::counter!("companyos_slack_approvals_total", "outcome" => outcome.as_str())
        .increment(1);
    tracing::info!(
        organization = %org,
        slack_user = %interaction.user.id,
        outcome = outcome.as_str(),
        "a Slack approval button was clicked"
    );
    if let Some(channel) = &interaction.channel {
        let reply = state
            .runtime
            .integrations()
            .slack(
                org,
                SlackRequest::Ephemeral {
                    channel: channel.id.clone(),
                    user: interaction.user.id.clone(),
                    text: message.clone(),
                },
            )
            .await;
        if let Err(error) = reply {
            tracing::warn!(%error, "the answer to a Slack click was not posted");
        }
    }
    Ok(answer(outcome, &message))
}

fn answer(outcome: Outcome, message: &str) -> Response {
    (
        StatusCode::OK,
        Json(json!({"outcome": outcome.as_str(), "message": message})),
    )
        .into_response()
}

/// Maps the clicker to a member, checks the matrix, and approves or rejects.
async fn decide(
    state: &AppState,
    org: OrgId,
    slack_user: &str,
    action: &SlackAction,
) -> (Outcome, String) {
    let Some(task_id) = action
        .value
        .as_deref()
        .and_then(|value| value.parse::<uuid::Uuid>().ok())
        .map(TaskId)
    else {
        return (Outcome::Refused, "This button names no task.".into());
    };
    let user = match companyos_supervisors::slack_people::member_of(
        &state.store,
        state.runtime.integrations().as_ref(),
        org,
        slack_user,
    )
    .await
    {
        Ok(user) => user,
        Err(reason) => return (Outcome::Refused, reason.to_string()),
    };
    let role = match state.store.organizations().member_role(org, user).await {
        Ok(Some(role)) => role,
        Ok(None) => {
            return (
                Outcome::Refused,
                "You are not a member of this organization in CompanyOS.".into(),
            );
        }
        Err(error) => {
            tracing::warn!(%error, "membership not read for a Slack click");
            return (
                Outcome::Refused,
                "CompanyOS could not check your role; try again.".into(),
            );
        }
    };
    if !Permission::ApproveAgentTasks.allows(role) {
        return (
            Outcome::Refused,
            format!("Your role ({role}) cannot approve or reject tasks; nothing was changed."),
        );
    }
    let access = crate::rbac::OrgAccess {
        user,
        organization: org,
        role,
    };
    if action.action_id == names::APPROVE_ACTION {
        match state
            .runtime
            .approve(
                org,
                task_id,
                access.person(),
                companyos_store::ApprovalChannel::Slack,
            )
            .await
        {
            Ok(task) => {
                crate::rest::agents::task_audit(
                    state,
                    &access,
                    "task.approved",
                    &task,
                    "approved",
                    "slack",
                )
                .await;
                (
                    Outcome::Approved,
                    format!(
                        "Approved: {} will run.",
                        task.description.unwrap_or(task.task_type)
                    ),
                )
            }
            Err(error) => (
                Outcome::Refused,
                format!("Not approved: {}", ApiError::from(error).detail),
            ),
        }
    } else {
        match state
            .runtime
            .reject(
                org,
                task_id,
                companyos_store::DecidedBy {
                    user,
                    via: companyos_store::ApprovalChannel::Slack,
                },
                Some("rejected in Slack"),
            )
            .await
        {
            Ok(task) => {
                crate::rest::agents::task_audit(
                    state,
                    &access,
                    "task.rejected",
                    &task,
                    "rejected",
                    "slack",
                )
                .await;
                (
                    Outcome::Rejected,
                    format!(
                        "Rejected: {} will not run.",
                        task.description.unwrap_or(task.task_type)
                    ),
                )
            }
            Err(error) => (
                Outcome::Refused,
                format!("Not rejected: {}", ApiError::from(error).detail),
            ),
        }
    }
}
