//! Who a Slack user is in CompanyOS: the Slack integration's `slack_users` mapping
//! (`{"U…": "e-mail"}`) when it names them, else the e-mail address Slack gives for
//! them; the CompanyOS account with that address, which must have been proved. Used by
//! the approval buttons and by the answers to mentions: neither acts for, or tells
//! anything to, a Slack user who is not a member.

use companyos_store::{OrgId, Service, Store, UserId};
use serde_json::Value;

use crate::port::{IntegrationPort, SlackRequest, SlackResponse};

/// Why a Slack user is not matched to a CompanyOS account: told to the clicker.
#[derive(Debug, thiserror::Error)]
pub enum Unmatched {
    #[error(
        "Slack did not give your e-mail address (the app needs users:read.email), and the Slack integration's slack_users mapping does not name you."
    )]
    NoEmail,
    #[error("CompanyOS could not ask Slack who you are; try again.")]
    SlackUnavailable,
    #[error("No CompanyOS account has your Slack e-mail address.")]
    NoAccount,
    #[error(
        "Your CompanyOS account's e-mail address is not verified yet: verify it, then try again."
    )]
    Unverified,
    #[error("CompanyOS could not look you up; try again.")]
    LookupFailed,
}

/// The CompanyOS user a Slack user is: by the integration's explicit mapping, else by
/// the e-mail Slack gives for them. The account's e-mail must have been proved.
pub async fn member_of(
    store: &Store,
    port: &dyn IntegrationPort,
    org: OrgId,
    slack_user: &str,
) -> Result<UserId, Unmatched> {
    let mapped = match store.integrations().get(org, Service::Slack).await {
        Ok(integration) => integration
            .metadata
            .get("slack_users")
            .and_then(|map| map.get(slack_user))
            .and_then(Value::as_str)
            .map(str::to_owned),
        Err(error) => {
            tracing::warn!(%error, "the Slack integration was not read to match a Slack user");
            None
        }
    };
    let email = match mapped {
        Some(email) => email,
        None => match port
            .slack(
                org,
                SlackRequest::User {
                    id: slack_user.to_owned(),
                },
            )
            .await
        {
            Ok(SlackResponse::User(user)) => user
                .profile
                .email
                .filter(|email| !email.is_empty())
                .ok_or(Unmatched::NoEmail)?,
            Ok(_) => return Err(Unmatched::SlackUnavailable),
            Err(error) => {
                tracing::warn!(%error, "users.info failed for a Slack user");
                return Err(Unmatched::SlackUnavailable);
            }
        },
    };
    let user = match store.users().find_by_email(&email).await {
        Ok(Some(user)) => user,
        Ok(None) => return Err(Unmatched::NoAccount),
        Err(error) => {
            tracing::warn!(%error, "user not read for a Slack user");
            return Err(Unmatched::LookupFailed);
        }
    };
    if user.email_verified_at.is_none() {
        return Err(Unmatched::Unverified);
    }
    Ok(user.id)
}
