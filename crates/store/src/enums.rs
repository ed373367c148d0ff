//! Statuses, roles and kinds: enums that round-trip exactly to the strings the
//! database stores. A string that is not one of the values is an error when read,
//! never a default.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::InvalidEnumValue;

macro_rules! string_enum {
    ($(
        $(#[$doc:meta])*
        $name:ident { $($variant:ident => $text:literal),+ $(,)? }
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact string stored in the database and used on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = InvalidEnumValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(InvalidEnumValue { type_name: stringify!($name), value: other.to_owned() }),
                }
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    )*};
}

string_enum! {
    /// What an event is about: the kind of row its `resource_id` names.
    ResourceKind {
        Repository => "repository",
        PullRequest => "pull_request",
        Deployment => "deployment",
        FigmaFile => "figma_file",
        Agent => "agent",
        AgentTask => "agent_task",
        Integration => "integration",
    }

    /// What a search document is: the kind of row its `resource_id` names (a finding
    /// names the pull request its review is of).
    SearchKind {
        Event => "event",
        PullRequest => "pull_request",
        Finding => "finding",
        Deployment => "deployment",
        Component => "component",
        Post => "post",
    }

    /// What a risk assessment is of.
    RiskSubject { Deployment => "deployment", PullRequest => "pull_request" }

    /// A user's instance-wide role (the seed's `users.role`).
    UserRole { Admin => "admin", Member => "member", Viewer => "viewer" }

    /// A member's role in one organization: the rows of the permission matrix.
    MemberRole { Owner => "owner", Admin => "admin", Member => "member", Viewer => "viewer" }

    /// How a person approved or rejected a task.
    ApprovalChannel { Console => "console", Api => "api", Graphql => "graphql", Slack => "slack" }

    /// What a link mailed to a person proves when it is followed.
    EmailPurpose { VerifyEmail => "verify_email", ResetPassword => "reset_password" }

    /// A connected service.
    Service {
        Github => "github", Vercel => "vercel", Figma => "figma",
        Slack => "slack", Twitter => "twitter", Linkedin => "linkedin",
    }

    IntegrationStatus { Active => "active", Inactive => "inactive", Error => "error" }

    /// Where a verified webhook delivery is: `received` until its adapter has made an
    /// event of it; `malformed` (kept for inspection) when the signed body did not parse.
    DeliveryStatus { Received => "received", Processed => "processed", Malformed => "malformed", Failed => "failed" }

    RepositoryVisibility { Public => "public", Private => "private", Internal => "internal" }

    PullRequestState { Open => "open", Closed => "closed", Merged => "merged" }

    ReviewStatus { Pending => "pending", Approved => "approved", ChangesRequested => "changes_requested" }

    AgentReviewStatus {
        NotStarted => "not_started", InProgress => "in_progress", Completed => "completed", Failed => "failed",
    }

    DeploymentState {
        Queued => "queued", Building => "building", Ready => "ready", Error => "error", Canceled => "canceled",
    }

    DeploymentEnvironment { Production => "production", Preview => "preview", Development => "development" }

    FigmaFileType { DesignFile => "design_file", ComponentLibrary => "component_library" }

    SocialPlatform { Twitter => "twitter", Linkedin => "linkedin" }

    SocialPostStatus { Draft => "draft", Scheduled => "scheduled", Published => "published", Failed => "failed" }

    /// The agent lifecycle: idle → working → complete → idle; error; disabled.
    AgentStatus {
        Idle => "idle", Working => "working", Complete => "complete", Error => "error", Disabled => "disabled",
    }

    TaskStatus {
        Pending => "pending",
        NeedsApproval => "needs_approval",
        InProgress => "in_progress",
        Completed => "completed",
        Failed => "failed",
        Rejected => "rejected",
        Cancelled => "cancelled",
    }

    CollaborationType {
        Handoff => "handoff", Parallel => "parallel", Review => "review",
        Request => "request", Consensus => "consensus", Broadcast => "broadcast",
    }

    CollaborationStatus { Active => "active", Completed => "completed", Failed => "failed" }

    WorkflowStatus { Running => "running", Completed => "completed", Failed => "failed", Cancelled => "cancelled" }

    WorkflowStepStatus {
        Pending => "pending", Running => "running", Completed => "completed", Failed => "failed", Skipped => "skipped",
    }

    EventActorType { User => "user", Agent => "agent", Webhook => "webhook", System => "system" }
}

impl TaskStatus {
    /// A task in one of these states will never run again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed
                | TaskStatus::Failed
                | TaskStatus::Rejected
                | TaskStatus::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_string() {
        fn check<
            T: FromStr<Err = InvalidEnumValue> + Copy + PartialEq + fmt::Debug + fmt::Display,
        >(
            all: &[T],
        ) {
            for value in all {
                assert_eq!(value.to_string().parse::<T>().ok(), Some(*value));
            }
        }
        check(UserRole::ALL);
        check(MemberRole::ALL);
        check(Service::ALL);
        check(DeliveryStatus::ALL);
        check(TaskStatus::ALL);
        check(AgentStatus::ALL);
        check(DeploymentState::ALL);
        check(SearchKind::ALL);
        check(RiskSubject::ALL);
    }

    #[test]
    fn unknown_strings_are_errors_not_defaults() {
        let error = "Pending".parse::<TaskStatus>().expect_err("case matters");
        assert_eq!(error.type_name, "TaskStatus");
        assert_eq!(error.value, "Pending");
        assert!("".parse::<MemberRole>().is_err());
    }

    #[test]
    fn serde_uses_the_database_strings() {
        let json = serde_json::to_string(&TaskStatus::NeedsApproval).expect("serialises");
        assert_eq!(json, "\"needs_approval\"");
    }
}
