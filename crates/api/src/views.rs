//! What the edge answers with: the api crate's own types, never the store's rows. Each
//! view is built from its row by `From` and carries only what a client may see; REST
//! serialises it and the OpenAPI document describes it from the same struct, so the
//! document cannot drift from the answers. Enums are the GraphQL mirrors
//! (`graphql::types`), so both edges speak one vocabulary.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use companyos_store::{
    self as store, AgentId, DeploymentId, DesignComponentId, EventId, FigmaFileId, IntegrationId,
    MetricId, OrgId, PullRequestId, RepositoryId, SocialAccountId, SocialPostId, TaskId, UserId,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::graphql::types::{
    AgentReviewStatus, AgentStatus, ApprovalChannel, DeploymentEnvironment, DeploymentState,
    EventActorType, FigmaFileType, IntegrationStatus, MatchedBy, MemberRole, PrState,
    RepositoryVisibility, ReviewStatus, RiskSubject, SearchKind, SearchMode, Service,
    SocialPlatform, SocialPostStatus, TaskStatus, UserRole,
};
use companyos_supervisors::analysts;

/// A page of a list, newest first; `next_cursor` is absent on the last page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of the store, as views.
    pub fn of<R>(page: store::Page<R>) -> Page<T>
    where
        T: From<R>,
    {
        Page {
            items: page.items.into_iter().map(T::from).collect(),
            next_cursor: page.next.map(|cursor| cursor.encode()),
        }
    }

    /// A whole (short) collection in the shape of a page.
    pub fn all<R>(rows: Vec<R>) -> Page<T>
    where
        T: From<R>,
    {
        Page {
            items: rows.into_iter().map(T::from).collect(),
            next_cursor: None,
        }
    }
}

/// Declares a view with the given fields, each taken from the row's field of the same
/// name by `Into` (the identity for most), or by the function named in brackets.
macro_rules! view {
    ($(#[$meta:meta])* $name:ident from $row:path {
        $($(#[$field_meta:meta])* $field:ident: $ty:ty $([$convert:path])?,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Serialize, ToSchema)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl From<$row> for $name {
            fn from(row: $row) -> $name {
                $name { $($field: view!(@field row.$field $(, $convert)?),)* }
            }
        }
    };
    (@field $value:expr) => { $value.into() };
    (@field $value:expr, $convert:path) => { $convert($value) };
}

/// The kind of row an event is about, as the wire names it.
fn resource_name(kind: Option<store::ResourceKind>) -> Option<String> {
    kind.map(|kind| kind.as_str().to_owned())
}

/// An optional enum of the store as its mirror.
fn mirrored<T, U: From<T>>(value: Option<T>) -> Option<U> {
    value.map(U::from)
}

view! {
    /// An agent: its type, state and counts of work done.
    Agent from store::Agent {
        #[schema(value_type = uuid::Uuid)]
        id: AgentId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        name: String,
        /// The registered agent type (`code_review`, `deployment`, …).
        agent_type: String,
        status: AgentStatus,
        capabilities: Vec<String>,
        #[schema(value_type = Object)]
        configuration: Value,
        #[schema(value_type = Option<uuid::Uuid>)]
        current_task_id: Option<TaskId>,
        total_tasks_completed: i32,
        total_tasks_failed: i32,
        /// Percentage of finished tasks that completed, 0–100.
        success_rate: f64,
        average_duration_seconds: Option<i32>,
        last_active_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

view! {
    /// A task: what an agent is asked to do, its state, attempts, lease and result.
    AgentTask from store::AgentTask {
        #[schema(value_type = uuid::Uuid)]
        id: TaskId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        /// Absent while the task waits for an agent of `agent_type`.
        #[schema(value_type = Option<uuid::Uuid>)]
        agent_id: Option<AgentId>,
        agent_type: String,
        task_type: String,
        description: Option<String>,
        status: TaskStatus,
        /// 1–10, 10 first.
        priority: i32,
        #[schema(value_type = Option<Object>)]
        input_data: Option<Value>,
        #[schema(value_type = Option<Object>)]
        output_data: Option<Value>,
        error_message: Option<String>,
        /// Why the task is not running yet, when it waits (for an agent, a budget, a
        /// vendor's rate limit).
        waiting_reason: Option<String>,
        idempotency_key: Option<String>,
        started_at: Option<DateTime<Utc>>,
        completed_at: Option<DateTime<Utc>>,
        duration_seconds: Option<i32>,
        retry_count: i32,
        max_attempts: i32,
        attempt: i32,
        /// Not claimed before this time.
        run_after: DateTime<Utc>,
        /// The node holding the task's lease while it runs.
        lease_owner: Option<String>,
        lease_expires_at: Option<DateTime<Utc>>,
        requires_human_approval: bool,
        #[schema(value_type = Option<uuid::Uuid>)]
        approved_by: Option<UserId>,
        approved_at: Option<DateTime<Utc>>,
        #[schema(value_type = Option<uuid::Uuid>)]
        rejected_by: Option<UserId>,
        rejected_at: Option<DateTime<Utc>>,
        /// The member who asked for the task by hand (absent when an agent or an event
        /// did).
        #[schema(value_type = Option<uuid::Uuid>)]
        requested_by: Option<UserId>,
        /// How the approval or rejection was given.
        approved_via: Option<ApprovalChannel> [mirrored],
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

view! {
    /// A task as a list shows it: what it is, where it stands, who runs or decided it and
    /// when. Its idempotency key and retry bookkeeping are on the whole row
    /// (`GET /api/agent-tasks/{id}`); the input and output are here only when the list
    /// was asked for them (`include=data`).
    TaskSummary from store::TaskSummary {
        #[schema(value_type = uuid::Uuid)]
        id: TaskId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        /// Absent while the task waits for an agent of `agent_type`.
        #[schema(value_type = Option<uuid::Uuid>)]
        agent_id: Option<AgentId>,
        agent_type: String,
        task_type: String,
        description: Option<String>,
        status: TaskStatus,
        /// 1–10, 10 first.
        priority: i32,
        error_message: Option<String>,
        /// Why the task is not running yet, when it waits (for an agent, a budget, a
        /// vendor's rate limit).
        waiting_reason: Option<String>,
        attempt: i32,
        max_attempts: i32,
        /// The node holding the task's lease while it runs.
        lease_owner: Option<String>,
        lease_expires_at: Option<DateTime<Utc>>,
        requires_human_approval: bool,
        /// The member who asked for the task by hand (absent when an agent or an event
        /// did).
        #[schema(value_type = Option<uuid::Uuid>)]
        requested_by: Option<UserId>,
        #[schema(value_type = Option<uuid::Uuid>)]
        approved_by: Option<UserId>,
        approved_at: Option<DateTime<Utc>>,
        #[schema(value_type = Option<uuid::Uuid>)]
        rejected_by: Option<UserId>,
        rejected_at: Option<DateTime<Utc>>,
        /// How the approval or rejection was given.
        approved_via: Option<ApprovalChannel> [mirrored],
        started_at: Option<DateTime<Utc>>,
        completed_at: Option<DateTime<Utc>>,
        duration_seconds: Option<i32>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        /// Only with `include=data` (and when the task has an input).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        input_data: Option<Value>,
        /// Only with `include=data` (and once the task has an output).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        output_data: Option<Value>,
    }
}

view! {
    /// A GitHub repository the organization follows.
    Repository from store::Repository {
        #[schema(value_type = uuid::Uuid)]
        id: RepositoryId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        github_id: i64,
        name: String,
        /// `owner/name`.
        full_name: String,
        default_branch: String,
        visibility: Option<RepositoryVisibility> [mirrored],
        #[schema(value_type = Object)]
        metadata: Value,
        last_sync_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
}

view! {
    /// A pull request, with the code review agent's result once it has one.
    PullRequest from store::PullRequest {
        #[schema(value_type = uuid::Uuid)]
        id: PullRequestId,
        #[schema(value_type = uuid::Uuid)]
        repository_id: RepositoryId,
        github_id: i64,
        number: i32,
        title: String,
        body: Option<String>,
        state: PrState,
        author_github_id: Option<i64>,
        base_branch: Option<String>,
        head_branch: Option<String>,
        draft: bool,
        mergeable: Option<bool>,
        review_status: Option<ReviewStatus> [mirrored],
        agent_review_status: Option<AgentReviewStatus> [mirrored],
        /// The review's summary, risk, findings and suggested reviewers.
        #[schema(value_type = Option<Object>)]
        agent_review: Option<Value>,
        /// Why the security agent blocked the pull request, when it did.
        blocked_reason: Option<String>,
        #[schema(value_type = Object)]
        metadata: Value,
        opened_at: Option<DateTime<Utc>>,
        closed_at: Option<DateTime<Utc>>,
        merged_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

view! {
    /// A Vercel deployment, with its health once checked.
    Deployment from store::Deployment {
        #[schema(value_type = uuid::Uuid)]
        id: DeploymentId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        vercel_deployment_id: String,
        project_name: String,
        url: String,
        state: DeploymentState,
        environment: Option<DeploymentEnvironment> [mirrored],
        commit_sha: Option<String>,
        branch: Option<String>,
        #[schema(value_type = Option<uuid::Uuid>)]
        creator_id: Option<UserId>,
        agent_checked: bool,
        /// 0–100, from the deployment agent's last check.
        health_score: Option<i32>,
        /// The health checks, the failure analysis (`failure`), the deployment's source.
        #[schema(value_type = Object)]
        metadata: Value,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        ready_at: Option<DateTime<Utc>>,
    }
}

/// An organization as one of its members reads it, with the reader's role in it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Organization {
    #[schema(value_type = uuid::Uuid)]
    pub id: OrgId,
    pub name: String,
    /// The organization's address in URLs.
    pub slug: String,
    pub logo_url: Option<String>,
    #[schema(value_type = Object)]
    pub settings: Value,
    /// The reader's role in this organization.
    pub role: MemberRole,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    pub fn of(row: store::Organization, role: store::MemberRole) -> Organization {
        Organization {
            id: row.id,
            name: row.name,
            slug: row.slug,
            logo_url: row.logo_url,
            settings: row.settings,
            role: role.into(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

view! {
    /// A person's role in an organization.
    Membership from store::Membership {
        #[schema(value_type = uuid::Uuid)]
        user_id: UserId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        role: MemberRole,
    }
}

view! {
    /// A member of an organization: the person and their role.
    Member from store::Member {
        #[schema(value_type = uuid::Uuid)]
        user_id: UserId,
        email: String,
        name: String,
        role: MemberRole,
        joined_at: DateTime<Utc>,
    }
}

view! {
    /// An account (never its password).
    User from store::User {
        #[schema(value_type = uuid::Uuid)]
        id: UserId,
        email: String,
        name: String,
        avatar_url: Option<String>,
        role: UserRole,
        /// The linked GitHub account, once linked.
        github_id: Option<i64>,
        #[schema(value_type = Object)]
        settings: Value,
        last_seen_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        /// When the address was proved; until then it is only a claim.
        email_verified_at: Option<DateTime<Utc>>,
    }
}

/// The caller: the account and the organizations it belongs to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub organizations: Vec<Organization>,
}

/// A session: an access token for `Authorization: Bearer`, and the refresh token that
/// renews it (once).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid for.
    pub expires_in: u64,
    /// The account, where the route signs someone in (not on refresh).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// The organization joined or created, where the route did either.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
}

/// A mail was sent (or, for a password reset, is sent if the account exists).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MailSent {
    /// What happened, in words.
    pub status: String,
    /// The address written to, where it may be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Where to send the browser to continue with GitHub.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuthorizeUrl {
    pub authorize_url: String,
}

/// A connected service (never its credentials or webhook secret).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Integration {
    #[schema(value_type = uuid::Uuid)]
    pub id: IntegrationId,
    pub service: Service,
    pub status: IntegrationStatus,
    /// Public details (account name, team…).
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// When the last sync that succeeded finished.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The last sync's outcome (since the integration was last connected), whether it
    /// succeeded or not.
    pub last_sync: Option<LastSync>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The URL to paste into the service's webhook settings; only for those who manage
    /// integrations (its token reaches the webhook entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Whether a webhook secret is kept; only for those who manage integrations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret_set: Option<bool>,
}

/// How an integration's last sync went.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LastSync {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Whether it succeeded.
    pub ok: bool,
    /// Why it failed, in words (absent when it succeeded).
    pub error: Option<String>,
}

impl From<store::Integration> for Integration {
    fn from(row: store::Integration) -> Integration {
        let last_sync = row.last_sync_attempted_at.map(|at| LastSync {
            at,
            ok: row.last_sync_error.is_none(),
            error: row.last_sync_error.clone(),
        });
        Integration {
            id: row.id,
            service: row.service.into(),
            status: row.status.into(),
            metadata: row.metadata,
            last_sync_at: row.last_sync_at,
            last_sync,
            created_at: row.created_at,
            updated_at: row.updated_at,
            webhook_url: None,
            webhook_secret_set: None,
        }
    }
}

/// An agent started for a service on connecting it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StartedAgent {
    #[schema(value_type = uuid::Uuid)]
    pub id: AgentId,
    pub name: String,
    #[serde(rename = "type")]
    pub agent_type: String,
}

/// A service just connected, with the agents started for it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Connected {
    #[serde(flatten)]
    pub integration: Integration,
    pub agents_started: Vec<StartedAgent>,
}

/// Whether a service is connected, and when it last synced.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConnectionStatus {
    pub service: Service,
    pub connected: bool,
    pub status: IntegrationStatus,
    pub last_sync_at: Option<DateTime<Utc>>,
}

view! {
    /// One entry of the event log: what happened, from where, to what.
    Event from store::Event {
        #[schema(value_type = uuid::Uuid)]
        id: EventId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        /// e.g. `pull_request.opened`, `deployment.error`.
        event_type: String,
        /// The service or part that reported it.
        event_source: String,
        actor_type: Option<EventActorType> [mirrored],
        actor_id: Option<uuid::Uuid>,
        /// The kind of row `resource_id` names (`deployment`, `pull_request`, …).
        resource_type: Option<String> [resource_name],
        resource_id: Option<uuid::Uuid>,
        /// The normalised event (`kind` names its shape) with its delivery.
        #[schema(value_type = Object)]
        metadata: Value,
        /// When the tasks the event causes were written.
        routed_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
}

view! {
    /// A Figma file the organization follows.
    FigmaFile from store::FigmaFile {
        #[schema(value_type = uuid::Uuid)]
        id: FigmaFileId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        figma_file_key: String,
        name: String,
        file_type: Option<FigmaFileType> [mirrored],
        thumbnail_url: Option<String>,
        last_modified_at: Option<DateTime<Utc>>,
        #[schema(value_type = Object)]
        metadata: Value,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

view! {
    /// A component of a Figma file.
    DesignComponent from store::DesignComponent {
        #[schema(value_type = uuid::Uuid)]
        id: DesignComponentId,
        #[schema(value_type = uuid::Uuid)]
        figma_file_id: FigmaFileId,
        figma_component_id: String,
        name: String,
        description: Option<String>,
        component_type: Option<String>,
        code_generated: bool,
        code_path: Option<String>,
        usage_count: i32,
        /// Its spec (properties, variants, layout, colours and type), where the file
        /// was synced, its key, page and frame, and its set (a variant's).
        #[schema(value_type = Object)]
        metadata: Value,
        /// The design QA agent's latest finding; absent until it has checked.
        drift: Option<ComponentDrift> [mirrored],
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

/// How a Figma component stands against the repository's code components.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ComponentDrift {
    pub status: DriftStatus,
    /// The code component it was matched with.
    pub code_path: Option<String>,
    /// What differs (empty when in step or missing).
    pub differences: Vec<DriftDifference>,
    /// `owner/name` and the branch compared.
    pub repository: String,
    pub reference: String,
    pub checked_at: DateTime<Utc>,
}

impl From<store::ComponentDrift> for ComponentDrift {
    fn from(drift: store::ComponentDrift) -> Self {
        ComponentDrift {
            status: drift.status.into(),
            code_path: drift.code_path,
            differences: drift.differences.into_iter().map(Into::into).collect(),
            repository: drift.repository,
            reference: drift.reference,
            checked_at: drift.checked_at,
        }
    }
}

/// `in_sync`: the code component has the same properties and options; `differs`: see
/// the differences; `missing_in_code`: no code component has its name.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    InSync,
    Differs,
    MissingInCode,
}

impl From<store::DriftStatus> for DriftStatus {
    fn from(status: store::DriftStatus) -> Self {
        match status {
            store::DriftStatus::InSync => DriftStatus::InSync,
            store::DriftStatus::Differs => DriftStatus::Differs,
            store::DriftStatus::MissingInCode => DriftStatus::MissingInCode,
        }
    }
}

/// One way a code component differs from its Figma component: properties as code names
/// them (camelCase), options as code spells them (kebab-case).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftDifference {
    /// A Figma property the code component has no prop for.
    PropertyMissingInCode { property: String },
    /// A prop of the code component that is no Figma property.
    PropertyMissingInFigma { property: String },
    /// A variant's options differ.
    OptionsDiffer {
        property: String,
        only_in_figma: Vec<String>,
        only_in_code: Vec<String>,
    },
    /// The prop's type is not what the Figma property's kind needs.
    KindDiffers {
        property: String,
        figma: String,
        code: String,
    },
}

impl From<store::Difference> for DriftDifference {
    fn from(difference: store::Difference) -> Self {
        match difference {
            store::Difference::PropertyMissingInCode { property } => {
                DriftDifference::PropertyMissingInCode { property }
            }
            store::Difference::PropertyMissingInFigma { property } => {
                DriftDifference::PropertyMissingInFigma { property }
            }
            store::Difference::OptionsDiffer {
                property,
                only_in_figma,
                only_in_code,
            } => DriftDifference::OptionsDiffer {
                property,
                only_in_figma,
                only_in_code,
            },
            store::Difference::KindDiffers {
                property,
                figma,
                code,
            } => DriftDifference::KindDiffers {
                property,
                figma,
                code,
            },
        }
    }
}

/// A drift check: the Figma components compared with the repository's code
/// components, as the design QA agent reported it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DriftReport {
    /// The `check_design_drift` task that wrote it.
    #[schema(value_type = uuid::Uuid)]
    pub task_id: TaskId,
    pub repository: String,
    pub reference: String,
    /// The globs code components were found by.
    pub patterns: Vec<String>,
    pub checked_at: DateTime<Utc>,
    pub figma_components: usize,
    pub code_components: usize,
    pub in_sync: usize,
    pub differ: usize,
    pub missing_in_code: usize,
    pub components: Vec<DriftFinding>,
    /// Code components no Figma component is named after.
    pub missing_in_figma: Vec<CodeComponent>,
    pub notes: Vec<String>,
}

/// A Figma component's finding in a [`DriftReport`].
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DriftFinding {
    #[schema(value_type = uuid::Uuid)]
    pub design_component_id: DesignComponentId,
    /// Its Figma name, and the name code gives it.
    pub name: String,
    pub code_name: String,
    pub status: DriftStatus,
    pub code_path: Option<String>,
    pub differences: Vec<DriftDifference>,
}

/// A code component: its name and file.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CodeComponent {
    pub name: String,
    pub path: String,
}

impl DriftReport {
    pub fn of(task: &store::AgentTask, report: companyos_supervisors::design::DriftReport) -> Self {
        DriftReport {
            task_id: task.id,
            repository: report.repository,
            reference: report.reference,
            patterns: report.patterns,
            checked_at: report.checked_at,
            figma_components: report.figma_components,
            code_components: report.code_components,
            in_sync: report.in_sync,
            differ: report.differ,
            missing_in_code: report.missing_in_code,
            components: report
                .components
                .into_iter()
                .map(|finding| DriftFinding {
                    design_component_id: finding.design_component_id,
                    name: finding.name,
                    code_name: finding.code_name,
                    status: finding.status.into(),
                    code_path: finding.code_path,
                    differences: finding.differences.into_iter().map(Into::into).collect(),
                })
                .collect(),
            missing_in_figma: report
                .missing_in_figma
                .into_iter()
                .map(|code| CodeComponent {
                    name: code.name,
                    path: code.path,
                })
                .collect(),
            notes: report.notes,
        }
    }
}

/// The code the component generator wrote for a component.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GeneratedCode {
    /// The `generate_code` task that wrote it.
    #[schema(value_type = uuid::Uuid)]
    pub task_id: TaskId,
    #[schema(value_type = uuid::Uuid)]
    pub design_component_id: DesignComponentId,
    /// The component's name in code.
    pub name: String,
    pub generated_at: Option<DateTime<Utc>>,
    /// The component and its story.
    pub files: Vec<GeneratedFile>,
    /// The pull request task (waiting for approval, or done), when pull requests are on.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub pull_request_task_id: Option<TaskId>,
}

/// A generated file: its path in the repository and its text.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

view! {
    /// A connected social account (never its credentials).
    SocialAccount from store::SocialAccount {
        #[schema(value_type = uuid::Uuid)]
        id: SocialAccountId,
        #[schema(value_type = uuid::Uuid)]
        organization_id: OrgId,
        platform: SocialPlatform,
        /// The platform's own id of the account.
        account_id: String,
        handle: String,
        display_name: Option<String>,
        avatar_url: Option<String>,
        follower_count: i32,
        active: bool,
        last_sync_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

/// A post: drafted, scheduled or published, with its engagement, and its length as its
/// platform counts it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SocialPost {
    #[schema(value_type = uuid::Uuid)]
    pub id: SocialPostId,
    #[schema(value_type = uuid::Uuid)]
    pub social_account_id: SocialAccountId,
    pub platform: SocialPlatform,
    pub external_post_id: Option<String>,
    pub content: String,
    /// The content's length as the platform counts it: on X each link counts 23 and
    /// wide characters and emoji 2; on LinkedIn, characters.
    pub characters: u32,
    /// The most the platform takes: 280 on X, 3,000 on LinkedIn.
    pub character_limit: u32,
    pub status: SocialPostStatus,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub engagement_likes: i32,
    pub engagement_comments: i32,
    pub engagement_shares: i32,
    pub engagement_views: i32,
    pub agent_generated: bool,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub approved_by: Option<UserId>,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::SocialPost> for SocialPost {
    fn from(row: store::SocialPost) -> SocialPost {
        use companyos_supervisors::content::{length_on, limit_of};
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        SocialPost {
            characters: count(length_on(row.platform, &row.content)),
            character_limit: count(limit_of(row.platform)),
            id: row.id,
            social_account_id: row.social_account_id,
            platform: row.platform.into(),
            external_post_id: row.external_post_id,
            content: row.content,
            status: row.status.into(),
            scheduled_for: row.scheduled_for,
            published_at: row.published_at,
            engagement_likes: row.engagement_likes,
            engagement_comments: row.engagement_comments,
            engagement_shares: row.engagement_shares,
            engagement_views: row.engagement_views,
            agent_generated: row.agent_generated,
            approved_by: row.approved_by,
            metadata: row.metadata,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The kind of an agent: what its supervisor is, and how it works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Watcher,
    Executor,
    Coordinator,
    Analyst,
}

impl From<companyos_supervisors::AgentKind> for Kind {
    fn from(kind: companyos_supervisors::AgentKind) -> Kind {
        use companyos_supervisors::AgentKind;
        match kind {
            AgentKind::Watcher => Kind::Watcher,
            AgentKind::Executor => Kind::Executor,
            AgentKind::Coordinator => Kind::Coordinator,
            AgentKind::Analyst => Kind::Analyst,
        }
    }
}

/// An agent type this node runs, with what a new agent of it starts with.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AgentType {
    #[serde(rename = "type")]
    pub name: String,
    pub kind: Kind,
    pub capabilities: Vec<String>,
    #[schema(value_type = Object)]
    pub default_configuration: Value,
    /// The configuration an agent of the type accepts, as a JSON Schema (draft
    /// 2020-12): its keys, their types, ranges and defaults. Anything else is refused
    /// with 422 naming the key.
    #[schema(value_type = Object)]
    pub configuration_schema: Value,
}

view! {
    /// One recorded value of a metric.
    MetricPoint from store::Metric {
        #[schema(value_type = uuid::Uuid)]
        id: MetricId,
        metric_type: String,
        value: f64,
        unit: Option<String>,
        #[schema(value_type = Object)]
        dimensions: Value,
        recorded_at: DateTime<Utc>,
    }
}

view! {
    /// A metric type's values over a range, summarised.
    MetricSummary from store::MetricSummary {
        count: i64,
        min: Option<f64>,
        max: Option<f64>,
        average: Option<f64>,
    }
}

/// One metric type over `[from, to)`: its summary and its points.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MetricSeries {
    pub metric_type: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub summary: MetricSummary,
    pub points: Vec<MetricPoint>,
}

/// Several metric types summarised over `[from, to)`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Report {
    #[schema(value_type = uuid::Uuid)]
    pub organization_id: OrgId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Each metric type asked for, with its summary.
    pub metrics: BTreeMap<String, MetricSummary>,
    pub generated_at: DateTime<Utc>,
}

/// The organization at a glance.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Dashboard {
    #[schema(value_type = uuid::Uuid)]
    pub organization_id: OrgId,
    /// Tasks counted by status (statuses without tasks are absent).
    pub tasks_by_status: BTreeMap<String, i64>,
    /// Agents counted by status (statuses without agents are absent).
    pub agents_by_status: BTreeMap<String, i64>,
    /// The five latest deployments.
    pub recent_deployments: Vec<Deployment>,
    /// The ten latest events.
    pub recent_events: Vec<Event>,
}

/// A DORA performance band (DORA 2023 thresholds).
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

impl From<analysts::Band> for Band {
    fn from(band: analysts::Band) -> Band {
        match band {
            analysts::Band::Elite => Band::Elite,
            analysts::Band::High => Band::High,
            analysts::Band::Medium => Band::Medium,
            analysts::Band::Low => Band::Low,
        }
    }
}

/// One key's value and the band it falls in.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct DoraKey {
    pub value: f64,
    pub band: Band,
}

impl From<analysts::Key> for DoraKey {
    fn from(key: analysts::Key) -> DoraKey {
        DoraKey {
            value: key.value,
            band: key.band.into(),
        }
    }
}

/// The four DORA keys of one scope, with the counts they come from; a key without data
/// is null.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DoraKeys {
    /// Ready production deployments per day.
    pub deployment_frequency: DoraKey,
    /// Median hours from a pull request opened to its production deployment.
    pub lead_time_hours: Option<DoraKey>,
    /// Failed production deployments, percent of finished ones.
    pub change_failure_rate: Option<DoraKey>,
    /// Median hours from a failed deployment to service restored.
    pub time_to_restore_hours: Option<DoraKey>,
    pub deployments: u32,
    pub failures: u32,
    pub changes_deployed: u32,
    pub restored: u32,
}

impl From<analysts::DoraKeys> for DoraKeys {
    fn from(keys: analysts::DoraKeys) -> DoraKeys {
        DoraKeys {
            deployment_frequency: keys.deployment_frequency.into(),
            lead_time_hours: keys.lead_time_hours.map(Into::into),
            change_failure_rate: keys.change_failure_rate.map(Into::into),
            time_to_restore_hours: keys.time_to_restore_hours.map(Into::into),
            deployments: keys.deployments,
            failures: keys.failures,
            changes_deployed: keys.changes_deployed,
            restored: keys.restored,
        }
    }
}

/// The keys of one project.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProjectKeys {
    pub project: String,
    pub keys: DoraKeys,
}

/// The seed's business metrics of a window.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BusinessMetrics {
    /// Finished production deployments per day.
    pub deployments_per_day: f64,
    pub pull_requests_merged_per_week: f64,
    pub social_posts_published: i64,
    /// Completed tasks, percent of finished ones; null when none finished.
    pub agent_task_success_rate: Option<f64>,
}

/// Delivery analytics over `[from, to)`, computed when asked: the DORA keys overall and
/// per project, and the business metrics.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeliveryReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub overall: DoraKeys,
    pub projects: Vec<ProjectKeys>,
    pub business: BusinessMetrics,
}

impl From<analysts::DeliveryReport> for DeliveryReport {
    fn from(report: analysts::DeliveryReport) -> DeliveryReport {
        let business = report.business;
        DeliveryReport {
            from: report.dora.from,
            to: report.dora.to,
            overall: report.dora.overall.into(),
            projects: report
                .dora
                .projects
                .into_iter()
                .map(|p| ProjectKeys {
                    project: p.project,
                    keys: p.keys.into(),
                })
                .collect(),
            business: BusinessMetrics {
                deployments_per_day: business.deployments_per_day,
                pull_requests_merged_per_week: business.pull_requests_merged_per_week,
                social_posts_published: business.social_posts_published,
                agent_task_success_rate: business.agent_task_success_rate,
            },
        }
    }
}

/// One document found.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub kind: SearchKind,
    /// The row's id (for a finding, its pull request's).
    pub id: uuid::Uuid,
    pub title: String,
    /// Where the text matched, each match between « and » (found by meaning alone: the
    /// text's start).
    pub snippet: String,
    /// Higher is better; comparable within one answer only.
    pub rank: f64,
    pub updated_at: DateTime<Utc>,
    /// By its words, by its meaning, or both.
    pub matched_by: MatchedBy,
    /// Its cosine similarity to the query, when compared by meaning.
    pub similarity: Option<f64>,
}

impl From<companyos_supervisors::semantic::Found> for SearchHit {
    fn from(found: companyos_supervisors::semantic::Found) -> SearchHit {
        let hit = found.hit;
        SearchHit {
            kind: hit.kind.into(),
            id: hit.resource_id,
            title: hit.title,
            snippet: hit.snippet,
            rank: hit.rank,
            updated_at: hit.updated_at,
            matched_by: found.matched_by.into(),
            similarity: found.similarity.map(f64::from),
        }
    }
}

/// The answer to a search, best first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub query: String,
    /// `full_text` (no embeddings endpoint), `hybrid` (words and meaning), or
    /// `full_text_fallback` (the query could not be embedded now: words only).
    pub mode: SearchMode,
    pub hits: Vec<SearchHit>,
}

/// The prediction agent's latest forecast of a draft or scheduled social post.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ContentForecast {
    #[schema(value_type = uuid::Uuid)]
    pub post_id: SocialPostId,
    /// 0–100: the chance the post engages (likes, comments, shares) more than the
    /// organization's typical post on its platform.
    pub chance: i32,
    /// That typical engagement: the median of the platform's posts published in the
    /// last 180 days (none yet: `null`).
    pub typical_engagement: Option<f64>,
    /// 0 to 1.
    pub confidence: f64,
    /// The three factors that weighed most (`asks_a_question`, `has_link`,
    /// `business_hours`…), largest effect first; positive raises the chance.
    #[schema(value_type = Vec<RiskFactor>)]
    pub factors: Value,
    /// `prior` (too few posts published yet) or `trained` (the organization's own).
    pub model: String,
    pub forecast_at: DateTime<Utc>,
}

impl From<store::ContentForecast> for ContentForecast {
    fn from(row: store::ContentForecast) -> ContentForecast {
        ContentForecast {
            post_id: row.post_id,
            chance: row.chance,
            typical_engagement: row.typical_engagement,
            confidence: row.confidence,
            factors: row.factors,
            model: row.model,
            forecast_at: row.forecast_at,
        }
    }
}

/// A factor of a risk assessment.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RiskFactor {
    /// `lines_changed`, `project_failure_rate`, `out_of_hours`…
    pub name: String,
    pub value: f64,
    /// Its effect on the log-odds against a typical change: positive raises the risk.
    pub effect: f64,
}

/// The prediction agent's latest risk of a deployment or a pull request.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RiskAssessment {
    pub subject: RiskSubject,
    pub id: uuid::Uuid,
    /// 0 (safe) to 100.
    pub risk: i32,
    /// 0 to 1.
    pub confidence: f64,
    /// The three factors that weighed most, largest effect first, as the agent wrote
    /// them.
    #[schema(value_type = Vec<RiskFactor>)]
    pub factors: Value,
    /// `prior` (too little history yet) or `trained` (the organization's own model).
    pub model: String,
    pub assessed_at: DateTime<Utc>,
}

impl From<store::RiskAssessment> for RiskAssessment {
    fn from(row: store::RiskAssessment) -> RiskAssessment {
        RiskAssessment {
            subject: row.resource_type.into(),
            id: row.resource_id,
            risk: row.risk,
            confidence: row.confidence,
            factors: row.factors,
            model: row.model,
            assessed_at: row.assessed_at,
        }
    }
}

/// A pull request in a standup.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StandupPullRequest {
    /// `owner/name`.
    pub repository: String,
    pub number: i32,
    pub title: String,
    /// When it was opened (merged, for the merged ones).
    pub since: DateTime<Utc>,
}

/// What one agent type did on the day.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StandupAgentWork {
    pub agent_type: String,
    pub completed: i64,
    pub failed: i64,
}

/// A standup: the last working day as the team lived it, as the standup agent posted it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Standup {
    /// The `post_standup` task that wrote it.
    #[schema(value_type = uuid::Uuid)]
    pub task_id: TaskId,
    /// The day reported, in the organization's time zone.
    pub day: chrono::NaiveDate,
    pub time_zone: String,
    pub posted_at: Option<DateTime<Utc>>,
    pub opened: Vec<StandupPullRequest>,
    pub merged: Vec<StandupPullRequest>,
    pub waiting_for_review: Vec<StandupPullRequest>,
    pub deployments_ready: usize,
    pub deployments_failed: usize,
    /// The projects deployed to production that day.
    pub projects: Vec<String>,
    pub incidents: usize,
    /// Tasks waiting for a person's approval when it was written.
    pub approvals_waiting: i64,
    pub agents: Vec<StandupAgentWork>,
    /// A summary a language model wrote, when the agent may use one.
    pub summary: Option<String>,
    /// The `notify` task that took it to Slack.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub notify_task_id: Option<TaskId>,
}

impl Standup {
    pub fn of(
        task: &store::AgentTask,
        report: companyos_supervisors::standup::StandupReport,
    ) -> Standup {
        let pull_requests = |items: Vec<companyos_supervisors::standup::PullRequestItem>| {
            items
                .into_iter()
                .map(|item| StandupPullRequest {
                    repository: item.repository,
                    number: item.number,
                    title: item.title,
                    since: item.since,
                })
                .collect()
        };
        Standup {
            task_id: task.id,
            day: report.day,
            time_zone: report.time_zone,
            posted_at: task.completed_at,
            opened: pull_requests(report.opened),
            merged: pull_requests(report.merged),
            waiting_for_review: pull_requests(report.waiting_for_review),
            deployments_ready: report.deployments.ready,
            deployments_failed: report.deployments.failed,
            projects: report.deployments.projects,
            incidents: report.incidents,
            approvals_waiting: report.approvals_waiting,
            agents: report
                .agents
                .into_iter()
                .map(|work| StandupAgentWork {
                    agent_type: work.agent_type,
                    completed: work.completed,
                    failed: work.failed,
                })
                .collect(),
            summary: report.summary,
            notify_task_id: report.notify_task_id,
        }
    }
}
