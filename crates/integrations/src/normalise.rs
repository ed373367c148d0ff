//! Payload normalisation: a verified delivery's body becomes a typed [`DomainEvent`]
//! carrying the fields agents use, with a dotted event type (`pull_request.opened`,
//! `vercel.deployment.succeeded`, `figma.file_update`, …).
//!
//! Parsing is lenient by design: every field is optional, a field of an unexpected type
//! is read as absent, and a payload of a kind CompanyOS does not know becomes
//! [`DomainEvent::Unknown`] — stored as an event and ignored by agents, never rejected.
//! Figma's documented examples disagree with its own schema (ids as strings or numbers,
//! `""` for absent times), which this tolerates. Nothing here can panic on any JSON.

use companyos_store::{DeliveryId, IntegrationId, Service};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The version of [`EventPayload`]'s shape. Raised when a change to [`DomainEvent`]
/// could not read what an earlier version stored; a reader meets a newer one as
/// [`PayloadError::Newer`], never as a silently half-read event.
pub const PAYLOAD_SCHEMA: u32 = 1;

/// An event's stored payload: the normalised event, the delivery and integration it
/// came from, and the version of its shape. The adapter writes it as the event's
/// metadata; the router reads it back once, and watchers receive it as this type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPayload {
    /// Absent from events stored before the version was written: those are version 1.
    #[serde(default = "first_schema")]
    pub schema: u32,
    #[serde(default)]
    pub delivery_id: Option<DeliveryId>,
    #[serde(default)]
    pub integration_id: Option<IntegrationId>,
    #[serde(flatten)]
    pub event: DomainEvent,
}

fn first_schema() -> u32 {
    1
}

/// Why stored metadata is not an [`EventPayload`] this node reads.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the payload's schema {found} is newer than this node reads ({PAYLOAD_SCHEMA})")]
    Newer { found: u32 },
    #[error("the metadata is not a normalised event: {0}")]
    Shape(#[from] serde_json::Error),
}

impl EventPayload {
    /// The payload of a delivery's event, at this version.
    pub fn new(
        delivery_id: Option<DeliveryId>,
        integration_id: Option<IntegrationId>,
        event: DomainEvent,
    ) -> EventPayload {
        EventPayload {
            schema: PAYLOAD_SCHEMA,
            delivery_id,
            integration_id,
            event,
        }
    }

    /// Reads an event's stored metadata.
    pub fn read(metadata: &Value) -> Result<EventPayload, PayloadError> {
        let payload = EventPayload::deserialize(metadata)?;
        if payload.schema > PAYLOAD_SCHEMA {
            return Err(PayloadError::Newer {
                found: payload.schema,
            });
        }
        Ok(payload)
    }

    /// The metadata to store.
    pub fn to_metadata(&self) -> Value {
        // A tree of strings, numbers and string-keyed maps: serialising cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What a delivery's body parses into.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Normalised {
    /// `pull_request.opened`, `push`, `vercel.deployment.succeeded`, `slack.message`…
    pub event_type: String,
    pub event: DomainEvent,
}

/// The typed events CompanyOS acts on. Stored (tagged by `kind`, inside an
/// [`EventPayload`]) as the event's metadata, and read back as this type by watchers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DomainEvent {
    Ping {
        zen: Option<String>,
        hook_id: Option<i64>,
    },
    PullRequest {
        action: PullRequestAction,
        repository: Option<Repository>,
        pull_request: PullRequest,
        sender: Option<String>,
    },
    PullRequestReview {
        action: String,
        repository: Option<Repository>,
        pull_request: PullRequest,
        review: Review,
    },
    Push {
        repository: Option<Repository>,
        #[serde(rename = "ref")]
        git_ref: Option<String>,
        before: Option<String>,
        after: Option<String>,
        created: bool,
        deleted: bool,
        forced: bool,
        pusher: Option<String>,
        commits: Vec<Commit>,
    },
    Issue {
        action: String,
        repository: Option<Repository>,
        issue: Issue,
    },
    Deployment {
        repository: Option<Repository>,
        deployment: GitHubDeployment,
    },
    DeploymentStatus {
        action: String,
        repository: Option<Repository>,
        deployment: GitHubDeployment,
        status: GitHubDeploymentStatus,
    },
    Check {
        /// `check_run`, `check_suite` or `workflow_run`.
        source: String,
        action: String,
        repository: Option<Repository>,
        check: Check,
    },
    Installation {
        action: String,
        installation_id: Option<i64>,
        account: Option<String>,
        repositories: Vec<Repository>,
    },
    Release {
        action: String,
        repository: Option<Repository>,
        release: Release,
    },
    VercelDeployment {
        /// What happened to the deployment (`cancelled` is read as `canceled`).
        outcome: VercelOutcome,
        /// Vercel's id of the webhook event (the payload's `id`).
        vercel_event_id: Option<String>,
        deployment: VercelDeployment,
    },
    Figma {
        /// `FILE_UPDATE`, `LIBRARY_PUBLISH`, `FILE_COMMENT`, `PING`…
        figma_event: String,
        file: FigmaFile,
    },
    Slack {
        /// The inner event's type (`message`, `app_mention`…) or `command`.
        slack_event: String,
        message: SlackMessage,
    },
    Twitter {
        for_user_id: Option<String>,
        /// The activity arrays present (`tweet_create_events`, `favorite_events`…).
        activities: Vec<String>,
        posts: Vec<TwitterPost>,
    },
    LinkedIn {
        notification_type: Option<String>,
        notification_id: Option<String>,
        organization: Option<String>,
        payload: Value,
    },
    /// A payload of a kind CompanyOS does not act on; kept as an event.
    Unknown {
        service: Service,
        detail: Option<String>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Repository {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub default_branch: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub private: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub visibility: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub html_url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub number: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub merged: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub draft: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub mergeable: Option<bool>,
    #[serde(default, deserialize_with = "login")]
    pub user: Option<User>,
    #[serde(default, deserialize_with = "lenient")]
    pub head: Option<Branch>,
    #[serde(default, deserialize_with = "lenient")]
    pub base: Option<Branch>,
    #[serde(default, deserialize_with = "lenient")]
    pub html_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub additions: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub deletions: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub changed_files: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub closed_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub merged_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub login: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    #[serde(default, rename = "ref", deserialize_with = "lenient")]
    pub git_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub sha: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "login")]
    pub user: Option<User>,
    #[serde(default, deserialize_with = "lenient")]
    pub commit_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub submitted_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub html_url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub timestamp: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub author: Option<CommitAuthor>,
    #[serde(default, deserialize_with = "lenient")]
    pub added: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient")]
    pub removed: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient")]
    pub modified: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommitAuthor {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub username: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub number: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "login")]
    pub user: Option<User>,
    #[serde(default, deserialize_with = "lenient")]
    pub html_url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GitHubDeployment {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub sha: Option<String>,
    #[serde(default, rename = "ref", deserialize_with = "lenient")]
    pub git_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub task: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub environment: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "login")]
    pub creator: Option<User>,
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GitHubDeploymentStatus {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub environment: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub target_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub environment_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub log_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<String>,
}

/// A check run, check suite or workflow run: what CI says about a commit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Check {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub conclusion: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub head_sha: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub head_branch: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub html_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub run_number: Option<i64>,
    /// The numbers of the pull requests the check is about.
    #[serde(default, deserialize_with = "numbers")]
    pub pull_requests: Vec<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub tag_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub draft: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub prerelease: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub html_url: Option<String>,
}

/// What happened to a pull request (the webhook's `action`). An action GitHub adds later
/// is kept as it is spelt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum PullRequestAction {
    Opened,
    Reopened,
    Synchronize,
    ReadyForReview,
    Closed,
    Edited,
    ReviewRequested,
    Other(String),
}

impl PullRequestAction {
    pub fn as_str(&self) -> &str {
        match self {
            PullRequestAction::Opened => "opened",
            PullRequestAction::Reopened => "reopened",
            PullRequestAction::Synchronize => "synchronize",
            PullRequestAction::ReadyForReview => "ready_for_review",
            PullRequestAction::Closed => "closed",
            PullRequestAction::Edited => "edited",
            PullRequestAction::ReviewRequested => "review_requested",
            PullRequestAction::Other(other) => other,
        }
    }

    /// Whether the change under review is new: opened, reopened, pushed to or made ready.
    pub fn changes_the_code(&self) -> bool {
        matches!(
            self,
            PullRequestAction::Opened
                | PullRequestAction::Reopened
                | PullRequestAction::Synchronize
                | PullRequestAction::ReadyForReview
        )
    }
}

impl From<String> for PullRequestAction {
    fn from(text: String) -> Self {
        match text.as_str() {
            "opened" => PullRequestAction::Opened,
            "reopened" => PullRequestAction::Reopened,
            "synchronize" => PullRequestAction::Synchronize,
            "ready_for_review" => PullRequestAction::ReadyForReview,
            "closed" => PullRequestAction::Closed,
            "edited" => PullRequestAction::Edited,
            "review_requested" => PullRequestAction::ReviewRequested,
            _ => PullRequestAction::Other(text),
        }
    }
}

impl From<PullRequestAction> for String {
    fn from(action: PullRequestAction) -> String {
        action.as_str().to_owned()
    }
}

/// What a Vercel deployment event says happened (the `deployment.<outcome>` of its type).
/// An outcome Vercel adds later is kept as it is spelt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum VercelOutcome {
    Created,
    Succeeded,
    Ready,
    Promoted,
    Error,
    Canceled,
    Other(String),
}

impl VercelOutcome {
    pub fn as_str(&self) -> &str {
        match self {
            VercelOutcome::Created => "created",
            VercelOutcome::Succeeded => "succeeded",
            VercelOutcome::Ready => "ready",
            VercelOutcome::Promoted => "promoted",
            VercelOutcome::Error => "error",
            VercelOutcome::Canceled => "canceled",
            VercelOutcome::Other(other) => other,
        }
    }
}

impl From<String> for VercelOutcome {
    fn from(text: String) -> Self {
        match text.as_str() {
            "created" => VercelOutcome::Created,
            "succeeded" => VercelOutcome::Succeeded,
            "ready" => VercelOutcome::Ready,
            "promoted" => VercelOutcome::Promoted,
            "error" => VercelOutcome::Error,
            "canceled" | "cancelled" => VercelOutcome::Canceled,
            _ => VercelOutcome::Other(text),
        }
    }
}

impl From<VercelOutcome> for String {
    fn from(outcome: VercelOutcome) -> String {
        outcome.as_str().to_owned()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VercelDeployment {
    pub id: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub project_id: Option<String>,
    pub team_id: Option<String>,
    /// `production`, or absent for a preview.
    pub target: Option<String>,
    pub commit_sha: Option<String>,
    pub commit_ref: Option<String>,
    pub commit_message: Option<String>,
    pub inspector_url: Option<String>,
    /// Milliseconds since the epoch, when the event was created.
    pub created_at: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FigmaFile {
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub webhook_id: Option<String>,
    pub timestamp: Option<String>,
    pub triggered_by: Option<String>,
    pub version_id: Option<String>,
    pub description: Option<String>,
    pub comment_id: Option<String>,
    /// The comment's text fragments joined.
    pub comment: Option<String>,
    pub created_components: Vec<String>,
    pub modified_components: Vec<String>,
    pub deleted_components: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlackMessage {
    pub team_id: Option<String>,
    pub channel: Option<String>,
    pub user: Option<String>,
    pub text: Option<String>,
    pub ts: Option<String>,
    pub thread_ts: Option<String>,
    pub event_id: Option<String>,
    /// A slash command's name (`/deploy`).
    pub command: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TwitterPost {
    pub id: Option<String>,
    pub text: Option<String>,
    pub author: Option<String>,
}

/// Reads a field as `None` when it is absent, null or of another type than expected.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// A GitHub user object, or its login alone when that is all there is.
fn login<'de, D>(deserializer: D) -> Result<Option<User>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::String(login) => Some(User {
            id: None,
            login: Some(login),
        }),
        value => serde_json::from_value(value).ok(),
    })
}

/// The `number`s of an array of pull request objects.
fn numbers<'de, D>(deserializer: D) -> Result<Vec<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    Ok(value
        .as_array()
        .map(|items| {
            items
                .iter()
                // GitHub's objects, or the numbers this module stored.
                .filter_map(|item| item.as_i64().or_else(|| item.get("number")?.as_i64()))
                .collect()
        })
        .unwrap_or_default())
}

/// A typed field, read from the payload in place (deserialising a `&Value` copies only
/// what the type keeps, not the field's whole subtree).
fn field<T: serde::de::DeserializeOwned>(payload: &Value, name: &str) -> Option<T> {
    payload
        .get(name)
        .and_then(|value| T::deserialize(value).ok())
}

/// A string field, or a number written as one (Figma and X use both for ids).
fn text(payload: &Value, name: &str) -> Option<String> {
    match payload.get(name)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn action(payload: &Value) -> String {
    text(payload, "action").unwrap_or_default()
}

fn dotted(base: &str, action: &str) -> String {
    if action.is_empty() {
        base.to_owned()
    } else {
        format!("{base}.{action}")
    }
}

/// What a delivery is called from the moment it is received until its adapter
/// normalises it (which names it by its event): GitHub's `X-GitHub-Event`, else the
/// service. The edge records deliveries under this name and never normalises: a
/// delivery is normalised once, by its integration's adapter.
pub fn received_type(service: Service, github_event: Option<&str>) -> String {
    match (service, github_event) {
        (Service::Github, Some(event)) if !event.trim().is_empty() => {
            event.trim().chars().take(100).collect()
        }
        _ => service.as_str().to_owned(),
    }
}

/// Normalises a delivery of `service`; `github_event` is GitHub's `X-GitHub-Event`.
pub fn normalise(service: Service, github_event: Option<&str>, payload: &Value) -> Normalised {
    match service {
        Service::Github => github(github_event.unwrap_or_default(), payload),
        Service::Vercel => vercel(payload),
        Service::Figma => figma(payload),
        Service::Slack => slack(payload),
        Service::Twitter => twitter(payload),
        Service::Linkedin => linkedin(payload),
    }
}

fn unknown(service: Service, event_type: &str, detail: Option<String>) -> Normalised {
    Normalised {
        event_type: event_type.to_owned(),
        event: DomainEvent::Unknown { service, detail },
    }
}

fn github(event: &str, payload: &Value) -> Normalised {
    let action = action(payload);
    let repository = || field::<Repository>(payload, "repository");
    let event_type = dotted(event, &action);
    let domain = match event {
        "ping" => DomainEvent::Ping {
            zen: text(payload, "zen"),
            hook_id: field(payload, "hook_id"),
        },
        "pull_request" => DomainEvent::PullRequest {
            action: PullRequestAction::from(action),
            repository: repository(),
            pull_request: field(payload, "pull_request").unwrap_or_default(),
            sender: payload
                .get("sender")
                .and_then(|sender| text(sender, "login")),
        },
        "pull_request_review" => DomainEvent::PullRequestReview {
            action,
            repository: repository(),
            pull_request: field(payload, "pull_request").unwrap_or_default(),
            review: field(payload, "review").unwrap_or_default(),
        },
        "push" => DomainEvent::Push {
            repository: repository(),
            git_ref: text(payload, "ref"),
            before: text(payload, "before"),
            after: text(payload, "after"),
            created: field(payload, "created").unwrap_or(false),
            deleted: field(payload, "deleted").unwrap_or(false),
            forced: field(payload, "forced").unwrap_or(false),
            pusher: payload
                .get("pusher")
                .and_then(|pusher| text(pusher, "name")),
            commits: payload
                .get("commits")
                .and_then(Value::as_array)
                .map(|commits| {
                    commits
                        .iter()
                        .filter_map(|commit| Deserialize::deserialize(commit).ok())
                        .collect()
                })
                .unwrap_or_default(),
        },
        "issues" => DomainEvent::Issue {
            action,
            repository: repository(),
            issue: field(payload, "issue").unwrap_or_default(),
        },
        "deployment" => DomainEvent::Deployment {
            repository: repository(),
            deployment: field(payload, "deployment").unwrap_or_default(),
        },
        "deployment_status" => DomainEvent::DeploymentStatus {
            action,
            repository: repository(),
            deployment: field(payload, "deployment").unwrap_or_default(),
            status: field(payload, "deployment_status").unwrap_or_default(),
        },
        "check_run" | "check_suite" | "workflow_run" => DomainEvent::Check {
            source: event.to_owned(),
            action,
            repository: repository(),
            check: field(payload, event).unwrap_or_default(),
        },
        "installation" => DomainEvent::Installation {
            action,
            installation_id: payload
                .get("installation")
                .and_then(|installation| field(installation, "id")),
            account: payload
                .get("installation")
                .and_then(|installation| installation.get("account"))
                .and_then(|account| text(account, "login")),
            repositories: payload
                .get("repositories")
                .and_then(Value::as_array)
                .map(|repositories| {
                    repositories
                        .iter()
                        .filter_map(|repository| Deserialize::deserialize(repository).ok())
                        .collect()
                })
                .unwrap_or_default(),
        },
        "release" => DomainEvent::Release {
            action,
            repository: repository(),
            release: field(payload, "release").unwrap_or_default(),
        },
        "" => {
            return unknown(
                Service::Github,
                "github.unknown",
                Some("no X-GitHub-Event header".into()),
            );
        }
        _ => return unknown(Service::Github, &event_type, None),
    };
    Normalised {
        event_type,
        event: domain,
    }
}

fn vercel(payload: &Value) -> Normalised {
    let Some(kind) = text(payload, "type") else {
        return unknown(Service::Vercel, "vercel.unknown", Some("no type".into()));
    };
    // Vercel has spelt the cancellation both ways; both mean the same.
    let kind = kind.replace("deployment.cancelled", "deployment.canceled");
    let Some(outcome) = kind.strip_prefix("deployment.") else {
        return unknown(Service::Vercel, &format!("vercel.{kind}"), None);
    };
    let body = payload.get("payload").cloned().unwrap_or(Value::Null);
    let deployment = body.get("deployment").cloned().unwrap_or(Value::Null);
    let meta = deployment.get("meta").cloned().unwrap_or(Value::Null);
    let nested = |outer: &Value, name: &str| outer.get(name).and_then(|inner| text(inner, "id"));
    Normalised {
        event_type: format!("vercel.{kind}"),
        event: DomainEvent::VercelDeployment {
            outcome: VercelOutcome::from(outcome.to_owned()),
            vercel_event_id: text(payload, "id"),
            deployment: VercelDeployment {
                id: text(&deployment, "id"),
                name: text(&deployment, "name").or_else(|| text(&body, "name")),
                url: text(&deployment, "url"),
                project_id: nested(&body, "project"),
                team_id: nested(&body, "team"),
                target: text(&body, "target").or_else(|| text(&deployment, "target")),
                commit_sha: text(&meta, "githubCommitSha"),
                commit_ref: text(&meta, "githubCommitRef"),
                commit_message: text(&meta, "githubCommitMessage"),
                inspector_url: body
                    .get("links")
                    .and_then(|links| text(links, "deployment")),
                created_at: field(payload, "createdAt"),
            },
        },
    }
}

fn names(payload: &Value, field_name: &str) -> Vec<String> {
    payload
        .get(field_name)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|item| text(item, "name")).collect())
        .unwrap_or_default()
}

fn figma(payload: &Value) -> Normalised {
    let Some(kind) = text(payload, "event_type") else {
        return unknown(
            Service::Figma,
            "figma.unknown",
            Some("no event_type".into()),
        );
    };
    let comment = payload
        .get("comment")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|part| text(part, "text"))
                .collect::<Vec<_>>()
                .join(" ")
        });
    Normalised {
        event_type: format!("figma.{}", kind.to_ascii_lowercase()),
        event: DomainEvent::Figma {
            figma_event: kind,
            file: FigmaFile {
                file_key: text(payload, "file_key"),
                file_name: text(payload, "file_name"),
                webhook_id: text(payload, "webhook_id"),
                timestamp: text(payload, "timestamp"),
                triggered_by: payload
                    .get("triggered_by")
                    .and_then(|user| text(user, "handle")),
                version_id: text(payload, "version_id"),
                description: text(payload, "description"),
                comment_id: text(payload, "comment_id"),
                comment,
                created_components: names(payload, "created_components"),
                modified_components: names(payload, "modified_components"),
                deleted_components: names(payload, "deleted_components"),
            },
        },
    }
}

fn slack(payload: &Value) -> Normalised {
    if let Some(command) = text(payload, "command") {
        return Normalised {
            event_type: "slack.command".into(),
            event: DomainEvent::Slack {
                slack_event: "command".into(),
                message: SlackMessage {
                    team_id: text(payload, "team_id"),
                    channel: text(payload, "channel_id"),
                    user: text(payload, "user_id"),
                    text: text(payload, "text"),
                    command: Some(command),
                    ..SlackMessage::default()
                },
            },
        };
    }
    match text(payload, "type").as_deref() {
        Some("event_callback") => {
            let inner = payload.get("event").cloned().unwrap_or(Value::Null);
            let kind = text(&inner, "type").unwrap_or_else(|| "unknown".into());
            Normalised {
                event_type: format!("slack.{kind}"),
                event: DomainEvent::Slack {
                    slack_event: kind,
                    message: SlackMessage {
                        team_id: text(payload, "team_id"),
                        channel: text(&inner, "channel"),
                        user: text(&inner, "user"),
                        text: text(&inner, "text"),
                        ts: text(&inner, "ts"),
                        thread_ts: text(&inner, "thread_ts"),
                        event_id: text(payload, "event_id"),
                        command: None,
                    },
                },
            }
        }
        Some(other) => unknown(Service::Slack, &format!("slack.{other}"), None),
        None => unknown(Service::Slack, "slack.unknown", Some("no type".into())),
    }
}

fn twitter(payload: &Value) -> Normalised {
    let activities: Vec<String> = payload
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .filter(|(name, value)| name.ends_with("_events") && value.is_array())
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    let posts = payload
        .get("tweet_create_events")
        .and_then(Value::as_array)
        .map(|tweets| {
            tweets
                .iter()
                .map(|tweet| TwitterPost {
                    id: text(tweet, "id_str").or_else(|| text(tweet, "id")),
                    text: text(tweet, "text").or_else(|| text(tweet, "full_text")),
                    author: tweet.get("user").and_then(|user| text(user, "screen_name")),
                })
                .collect()
        })
        .unwrap_or_default();
    let event_type = match activities.first() {
        Some(first) => format!("twitter.{}", first.trim_end_matches("_events")),
        None => "twitter.unknown".into(),
    };
    Normalised {
        event_type,
        event: DomainEvent::Twitter {
            for_user_id: text(payload, "for_user_id"),
            activities,
            posts,
        },
    }
}

fn linkedin(payload: &Value) -> Normalised {
    let notification_type = text(payload, "type").or_else(|| text(payload, "notificationType"));
    Normalised {
        event_type: match &notification_type {
            Some(kind) => format!("linkedin.{}", kind.to_ascii_lowercase()),
            None => "linkedin.notification".into(),
        },
        event: DomainEvent::LinkedIn {
            notification_id: text(payload, "notificationId").or_else(|| text(payload, "id")),
            organization: text(payload, "organizationalEntity"),
            notification_type,
            payload: payload.clone(),
        },
    }
}

/// A body as JSON: JSON as it is; a form body (`application/x-www-form-urlencoded`)
/// as its `payload` field's JSON when it has one (GitHub's form content type, Slack's
/// interactivity), else as an object of its fields (Slack's slash commands).
/// Why a delivery's body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("the form's payload field is not JSON: {0}")]
    PayloadNotJson(serde_json::Error),
    #[error("the form body has no fields")]
    EmptyForm,
}

pub fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, BodyError> {
    let form = content_type.is_some_and(|content_type| {
        content_type
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if !form {
        return serde_json::from_slice(body).map_err(BodyError::NotJson);
    }
    let fields: serde_json::Map<String, Value> = form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
        .collect();
    match fields.get("payload").and_then(Value::as_str) {
        Some(json) => serde_json::from_str(json).map_err(BodyError::PayloadNotJson),
        None if fields.is_empty() => Err(BodyError::EmptyForm),
        None => Ok(Value::Object(fields)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_types_read_as_absent_rather_than_failing() {
        let payload = json!({
            "action": "opened",
            "pull_request": {"id": "not a number", "number": 7, "title": 12, "user": "octocat"},
        });
        let normalised = normalise(Service::Github, Some("pull_request"), &payload);
        assert_eq!(normalised.event_type, "pull_request.opened");
        let DomainEvent::PullRequest {
            pull_request,
            repository,
            ..
        } = normalised.event
        else {
            panic!("a pull request event");
        };
        assert_eq!((pull_request.id, pull_request.number), (None, Some(7)));
        assert_eq!(pull_request.title, None);
        assert_eq!(
            pull_request.user.and_then(|user| user.login).as_deref(),
            Some("octocat")
        );
        assert_eq!(repository, None);
    }

    #[test]
    fn vercel_cancellation_is_read_in_both_spellings() {
        for spelling in ["deployment.canceled", "deployment.cancelled"] {
            let normalised = normalise(
                Service::Vercel,
                None,
                &json!({"type": spelling, "payload": {}}),
            );
            assert_eq!(normalised.event_type, "vercel.deployment.canceled");
        }
    }

    #[test]
    fn unknown_kinds_are_kept_as_unknown_events() {
        let normalised = normalise(Service::Github, Some("star"), &json!({"action": "created"}));
        assert_eq!(normalised.event_type, "star.created");
        assert!(matches!(normalised.event, DomainEvent::Unknown { .. }));
    }

    #[test]
    fn form_bodies_parse_as_their_payload_or_their_fields() {
        let github = parse_body(
            Some("application/x-www-form-urlencoded"),
            b"payload=%7B%22zen%22%3A%22hi%22%7D",
        );
        assert_eq!(github.ok(), Some(json!({"zen": "hi"})));
        let command = parse_body(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"command=%2Fdeploy&text=now",
        );
        assert_eq!(
            command.ok(),
            Some(json!({"command": "/deploy", "text": "now"}))
        );
        assert!(matches!(
            parse_body(Some("application/json"), b"{not json"),
            Err(BodyError::NotJson(_))
        ));
        assert!(matches!(
            parse_body(Some("application/x-www-form-urlencoded"), b""),
            Err(BodyError::EmptyForm)
        ));
    }
}
