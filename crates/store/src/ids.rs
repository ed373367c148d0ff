//! Typed identifiers: one newtype over `Uuid` per table, so an agent id can never be
//! passed where a task id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7): ids sort by creation time.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    )*};
}

id_type! {
    UserId;
    OrgId;
    MemberId;
    InvitationId;
    EmailTokenId;
    RefreshTokenId;
    IntegrationId;
    WebhookId;
    DeliveryId;
    RepositoryId;
    PullRequestId;
    DeploymentId;
    FigmaFileId;
    DesignComponentId;
    SocialAccountId;
    SocialPostId;
    AgentId;
    TaskId;
    OutboxId;
    CollaborationId;
    WorkflowRunId;
    WorkflowStepId;
    ScheduleId;
    EventId;
    MetricId;
}
