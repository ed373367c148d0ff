//! What the edge answers with: the api crate's own types, never the store's rows. Each
//! view is built from its row by `From` and carries only what a client may see; REST
//! serialises it and the OpenAPI document describes it from the same struct, so the
//! document cannot drift from the answers. Enums are the GraphQL mirrors
//! (`graphql::types`), so both edges speak one vocabulary.

use chrono::{DateTime, Utc};
use companyos_store::{
    self as store, AgentId, DeploymentId, OrgId, PullRequestId, RepositoryId, TaskId, UserId,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::graphql::types::{
    AgentReviewStatus, AgentStatus, DeploymentEnvironment, DeploymentState, PrState,
    RepositoryVisibility, ReviewStatus, TaskStatus,
};

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
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
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
