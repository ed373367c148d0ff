//! Slack: nothing to sync; the calls agents make (post, update, look a user up).

use super::*;

impl Syncer {
    pub(super) async fn slack(
        client: &SlackClient,
        request: SlackRequest,
    ) -> Result<SlackResponse, SyncError> {
        Ok(match request {
            SlackRequest::Post(message) => {
                SlackResponse::Posted(client.post_message(&message).await?)
            }
            SlackRequest::Ephemeral {
                channel,
                user,
                text,
            } => {
                client.post_ephemeral(&channel, &user, &text).await?;
                SlackResponse::Done
            }
            SlackRequest::User { id } => SlackResponse::User(client.user_info(&id).await?),
        })
    }
}
