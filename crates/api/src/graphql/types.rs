//! GraphQL output types over the store's rows, the enums mirrored from the store, the
//! filter inputs, and the dataloaders that batch relation lookups (a task's agent, an
//! agent's current task, a pull request's repository) into one query per request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use companyos_store::{self as store, AgentId, OrgId, RepositoryId, Store, TaskId};

use crate::views;

/// A row reaches GraphQL as its REST view does: through that view (the one conversion
/// from a row to what a client sees), then as the GraphQL object built from the view.
macro_rules! through_view {
    ($($name:ident),+) => {$(
        impl From<store::$name> for $name {
            fn from(row: store::$name) -> $name {
                views::$name::from(row).into()
            }
        }
    )+};
}

through_view!(Repository, Deployment, SocialPost, Event);
use serde_json::Value;

macro_rules! mirror_enum {
    ($($name:ident => $remote:literal { $($variant:ident),+ $(,)? })*) => {$(
        // One vocabulary for both edges: a GraphQL enum, and the snake_case strings
        // REST answers with and reads in query parameters (the store's own).
        #[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[graphql(remote = $remote)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
    )*};
}

mirror_enum! {
    AgentStatus => "companyos_store::AgentStatus" { Idle, Working, Complete, Error, Disabled }
    TaskStatus => "companyos_store::TaskStatus" {
        Pending, NeedsApproval, InProgress, Completed, Failed, Rejected, Cancelled
    }
    PrState => "companyos_store::PullRequestState" { Open, Closed, Merged }
    ReviewStatus => "companyos_store::ReviewStatus" { Pending, Approved, ChangesRequested }
    AgentReviewStatus => "companyos_store::AgentReviewStatus" { NotStarted, InProgress, Completed, Failed }
    DeploymentState => "companyos_store::DeploymentState" { Queued, Building, Ready, Error, Canceled }
    DeploymentEnvironment => "companyos_store::DeploymentEnvironment" { Production, Preview, Development }
    SocialPostStatus => "companyos_store::SocialPostStatus" { Draft, Scheduled, Published, Failed }
    SocialPlatform => "companyos_store::SocialPlatform" { Twitter, Linkedin }
    MemberRole => "companyos_store::MemberRole" { Owner, Admin, Member, Viewer }
    Service => "companyos_store::Service" { Github, Vercel, Figma, Slack, Twitter, Linkedin }
    IntegrationStatus => "companyos_store::IntegrationStatus" { Active, Inactive, Error }
    RepositoryVisibility => "companyos_store::RepositoryVisibility" { Public, Private, Internal }
    UserRole => "companyos_store::UserRole" { Admin, Member, Viewer }
    FigmaFileType => "companyos_store::FigmaFileType" { DesignFile, ComponentLibrary }
    EventActorType => "companyos_store::EventActorType" { User, Agent, Webhook, System }
    ApprovalChannel => "companyos_store::ApprovalChannel" { Console, Api, Graphql, Slack }
    SearchKind => "companyos_store::SearchKind" { Event, PullRequest, Finding, Deployment, Component, Post }
    RiskSubject => "companyos_store::RiskSubject" { Deployment, PullRequest }
    MatchedBy => "companyos_supervisors::semantic::MatchedBy" { Words, Meaning, Both }
    SearchMode => "companyos_supervisors::semantic::SearchMode" { FullText, Hybrid, FullTextFallback }
}

/// Loads rows by `(organization, id)`: one batched query per organization and kind.
pub struct RowLoader {
    pub store: Store,
}

fn group<K: Copy>(keys: &[(OrgId, K)]) -> HashMap<OrgId, Vec<K>> {
    let mut groups: HashMap<OrgId, Vec<K>> = HashMap::new();
    for (org, id) in keys {
        groups.entry(*org).or_default().push(*id);
    }
    groups
}

/// One `Loader` impl per row kind: the same batching over the store's `get_many`.
macro_rules! row_loader {
    ($($id:ty => $row:ty, $repository:ident;)*) => {$(
        impl Loader<(OrgId, $id)> for RowLoader {
            type Value = $row;
            type Error = Arc<store::StoreError>;

            async fn load(
                &self,
                keys: &[(OrgId, $id)],
            ) -> Result<HashMap<(OrgId, $id), $row>, Self::Error> {
                let mut found = HashMap::new();
                for (org, ids) in group(keys) {
                    let rows = self
                        .store
                        .$repository()
                        .get_many(org, &ids)
                        .await
                        .map_err(Arc::new)?;
                    for row in rows {
                        found.insert((org, row.id), row);
                    }
                }
                Ok(found)
            }
        }
    )*};
}

row_loader! {
    AgentId => store::Agent, agents;
    TaskId => store::AgentTask, tasks;
    RepositoryId => store::Repository, repositories;
}

pub type Loaders = DataLoader<RowLoader>;

/// The loaders of one request or subscription connection.
pub fn loaders(store: &Store) -> Loaders {
    DataLoader::new(
        RowLoader {
            store: store.clone(),
        },
        tokio::spawn,
    )
}

/// A batched read that failed: logged with its detail, answered as the edge's 500.
fn loader_error(error: Arc<store::StoreError>) -> async_graphql::Error {
    match Arc::try_unwrap(error) {
        Ok(error) => super::error(crate::error::ApiError::from(error)),
        // Shared by the requests the batch served: each logs it and answers a 500.
        Err(shared) => {
            tracing::error!(error = %shared, "a batched read failed");
            super::error(crate::error::ApiError::internal())
        }
    }
}

fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

/// Counts of work done, for one agent.
#[derive(SimpleObject)]
pub struct AgentStats {
    pub total_tasks_completed: i32,
    pub total_tasks_failed: i32,
    /// Percentage of finished tasks that completed, 0–100.
    pub success_rate: f64,
    pub average_duration_seconds: Option<i32>,
}

/// An agent as GraphQL shows it: a projection of its REST view.
pub struct Agent(pub views::Agent);

impl From<store::Agent> for Agent {
    fn from(row: store::Agent) -> Agent {
        Agent(row.into())
    }
}

#[Object]
impl Agent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The registered agent type (`code_review`, `text_stats`, …).
    #[graphql(name = "type")]
    async fn agent_type(&self) -> &str {
        &self.0.agent_type
    }
    async fn status(&self) -> AgentStatus {
        self.0.status
    }
    async fn capabilities(&self) -> &[String] {
        &self.0.capabilities
    }
    async fn configuration(&self) -> Json<Value> {
        Json(self.0.configuration.clone())
    }
    /// The task it is working on, if any.
    async fn current_task(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AgentTask>> {
        let Some(task) = self.0.current_task_id else {
            return Ok(None);
        };
        let row = loader(ctx)?
            .load_one((self.0.organization_id, task))
            .await
            .map_err(loader_error)?;
        Ok(row.map(AgentTask::from))
    }
    async fn stats(&self) -> AgentStats {
        AgentStats {
            total_tasks_completed: self.0.total_tasks_completed,
            total_tasks_failed: self.0.total_tasks_failed,
            success_rate: self.0.success_rate,
            average_duration_seconds: self.0.average_duration_seconds,
        }
    }
    async fn last_active_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_active_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A task as GraphQL shows it: a projection of its REST view.
pub struct AgentTask(pub views::AgentTask);

impl From<store::AgentTask> for AgentTask {
    fn from(row: store::AgentTask) -> AgentTask {
        AgentTask(row.into())
    }
}

#[Object]
impl AgentTask {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The agent the task belongs to (batched across a page); none while it waits for
    /// an agent of its type.
    async fn agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Agent>> {
        let Some(agent) = self.0.agent_id else {
            return Ok(None);
        };
        let row = loader(ctx)?
            .load_one((self.0.organization_id, agent))
            .await
            .map_err(loader_error)?;
        Ok(row.map(Agent::from))
    }
    async fn agent_id(&self) -> Option<ID> {
        self.0.agent_id.map(|agent| ID(agent.to_string()))
    }
    /// The type of agent that performs the task.
    async fn agent_type(&self) -> &str {
        &self.0.agent_type
    }
    /// Why the task is not running yet, when it waits for an agent of its type.
    async fn waiting_reason(&self) -> Option<&str> {
        self.0.waiting_reason.as_deref()
    }
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }
    async fn lease_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.lease_expires_at
    }
    async fn task_type(&self) -> &str {
        &self.0.task_type
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn status(&self) -> TaskStatus {
        self.0.status
    }
    async fn priority(&self) -> i32 {
        self.0.priority
    }
    async fn requires_approval(&self) -> bool {
        self.0.requires_human_approval
    }
    async fn input(&self) -> Option<Json<Value>> {
        self.0.input_data.clone().map(Json)
    }
    async fn output(&self) -> Option<Json<Value>> {
        self.0.output_data.clone().map(Json)
    }
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }
    async fn approved_by(&self) -> Option<ID> {
        self.0.approved_by.map(|user| ID(user.to_string()))
    }
    /// How the approval or rejection was given.
    async fn approved_via(&self) -> Option<ApprovalChannel> {
        self.0.approved_via
    }
    /// The member who asked for the task by hand.
    async fn requested_by(&self) -> Option<ID> {
        self.0.requested_by.map(|user| ID(user.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PullRequest {
    pub id: ID,
    pub number: i32,
    pub title: String,
    pub body: Option<String>,
    pub state: PrState,
    pub draft: bool,
    pub review_status: Option<ReviewStatus>,
    pub agent_review_status: Option<AgentReviewStatus>,
    pub base_branch: Option<String>,
    pub head_branch: Option<String>,
    pub author_github_id: Option<i64>,
    pub opened_at: Option<DateTime<Utc>>,
    pub merged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub organization_id: OrgId,
    #[graphql(skip)]
    pub repository_id: RepositoryId,
}

impl PullRequest {
    pub fn of(org: OrgId, row: store::PullRequest) -> PullRequest {
        PullRequest {
            id: ID(row.id.to_string()),
            number: row.number,
            title: row.title,
            body: row.body,
            state: row.state.into(),
            draft: row.draft,
            review_status: row.review_status.map(Into::into),
            agent_review_status: row.agent_review_status.map(Into::into),
            base_branch: row.base_branch,
            head_branch: row.head_branch,
            author_github_id: row.author_github_id,
            opened_at: row.opened_at,
            merged_at: row.merged_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            organization_id: org,
            repository_id: row.repository_id,
        }
    }
}

#[ComplexObject]
impl PullRequest {
    /// The repository (batched across a page).
    async fn repository(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Repository>> {
        let row = loader(ctx)?
            .load_one((self.organization_id, self.repository_id))
            .await
            .map_err(loader_error)?;
        Ok(row.map(Repository::from))
    }
}

#[derive(SimpleObject)]
pub struct Repository {
    pub id: ID,
    pub github_id: i64,
    pub name: String,
    pub full_name: String,
    pub default_branch: String,
    pub last_sync_at: Option<DateTime<Utc>>,
}

impl From<views::Repository> for Repository {
    fn from(row: views::Repository) -> Repository {
        Repository {
            id: ID(row.id.to_string()),
            github_id: row.github_id,
            name: row.name,
            full_name: row.full_name,
            default_branch: row.default_branch,
            last_sync_at: row.last_sync_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct Deployment {
    pub id: ID,
    /// Vercel's id of the deployment.
    pub vercel_deployment_id: String,
    pub project_name: String,
    pub url: String,
    pub state: DeploymentState,
    pub environment: Option<DeploymentEnvironment>,
    pub commit_sha: Option<String>,
    pub branch: Option<String>,
    pub health_score: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
}

impl From<views::Deployment> for Deployment {
    fn from(row: views::Deployment) -> Deployment {
        Deployment {
            id: ID(row.id.to_string()),
            vercel_deployment_id: row.vercel_deployment_id,
            project_name: row.project_name,
            url: row.url,
            state: row.state,
            environment: row.environment,
            commit_sha: row.commit_sha,
            branch: row.branch,
            health_score: row.health_score,
            created_at: row.created_at,
            ready_at: row.ready_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct SocialPost {
    pub id: ID,
    pub social_account_id: ID,
    pub platform: SocialPlatform,
    pub content: String,
    pub status: SocialPostStatus,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub agent_generated: bool,
    pub created_at: DateTime<Utc>,
}

impl From<views::SocialPost> for SocialPost {
    fn from(row: views::SocialPost) -> SocialPost {
        SocialPost {
            id: ID(row.id.to_string()),
            social_account_id: ID(row.social_account_id.to_string()),
            platform: row.platform,
            content: row.content,
            status: row.status,
            scheduled_for: row.scheduled_for,
            published_at: row.published_at,
            agent_generated: row.agent_generated,
            created_at: row.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct Event {
    pub id: ID,
    pub event_type: String,
    pub event_source: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<ID>,
    pub metadata: Json<Value>,
    pub created_at: DateTime<Utc>,
}

impl From<views::Event> for Event {
    fn from(row: views::Event) -> Event {
        Event {
            id: ID(row.id.to_string()),
            event_type: row.event_type,
            event_source: row.event_source,
            resource_type: row.resource_type,
            resource_id: row.resource_id.map(|id| ID(id.to_string())),
            metadata: Json(row.metadata),
            created_at: row.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct Member {
    pub user_id: ID,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
}

impl From<views::Member> for Member {
    fn from(view: views::Member) -> Member {
        Member {
            user_id: ID(view.user_id.to_string()),
            email: view.email,
            name: view.name,
            role: view.role,
            joined_at: view.joined_at,
        }
    }
}

/// An invitation that can still be accepted (never its token: the link is mailed).
#[derive(SimpleObject)]
pub struct Invitation {
    pub id: ID,
    pub email: String,
    pub role: MemberRole,
    pub invited_by: Option<ID>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<store::Invitation> for Invitation {
    fn from(row: store::Invitation) -> Self {
        crate::invitations::InvitationView::from(&row).into()
    }
}

impl From<crate::invitations::InvitationView> for Invitation {
    fn from(row: crate::invitations::InvitationView) -> Self {
        Invitation {
            id: ID(row.id.to_string()),
            email: row.email,
            role: row.role.into(),
            invited_by: row.invited_by.map(|user| ID(user.to_string())),
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct Integration {
    pub id: ID,
    pub service: Service,
    pub status: IntegrationStatus,
    pub last_sync_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct MetricSummary {
    pub metric_type: String,
    pub count: i64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub average: Option<f64>,
}

/// A document found by `search`.
#[derive(SimpleObject)]
pub struct SearchHit {
    pub kind: SearchKind,
    /// The row's id (for a finding, its pull request's).
    pub id: ID,
    pub title: String,
    /// Where the text matched, each match between « and » (found by meaning alone: the
    /// text's start).
    pub snippet: String,
    /// Higher is better; comparable within one answer only.
    pub rank: f64,
    pub updated_at: DateTime<Utc>,
    /// By its words, by its meaning (an embeddings endpoint is configured), or both.
    pub matched_by: MatchedBy,
    /// Its cosine similarity to the query, when compared by meaning.
    pub similarity: Option<f64>,
}

impl From<companyos_supervisors::semantic::Found> for SearchHit {
    fn from(found: companyos_supervisors::semantic::Found) -> SearchHit {
        let hit = found.hit;
        SearchHit {
            kind: hit.kind.into(),
            id: ID(hit.resource_id.to_string()),
            title: hit.title,
            snippet: hit.snippet,
            rank: hit.rank,
            updated_at: hit.updated_at,
            matched_by: found.matched_by.into(),
            similarity: found.similarity.map(f64::from),
        }
    }
}

#[derive(SimpleObject)]
pub struct AnalyticsResult {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub metrics: Vec<MetricSummary>,
}

/// An agent's lifecycle change, as `agentStatusChanged` streams it.
#[derive(SimpleObject)]
pub struct AgentStatusEvent {
    pub agent_id: ID,
    pub status: AgentStatus,
    pub task_id: Option<ID>,
}

macro_rules! page_type {
    ($($name:ident of $item:ty;)*) => {$(
        /// One page, newest first; pass `nextCursor` as `after` for the next.
        #[derive(SimpleObject)]
        pub struct $name {
            pub items: Vec<$item>,
            pub next_cursor: Option<String>,
        }
    )*};
}

page_type! {
    AgentPage of Agent;
    AgentTaskPage of AgentTask;
    PullRequestPage of PullRequest;
    DeploymentPage of Deployment;
    SocialPostPage of SocialPost;
    EventPage of Event;
}

#[derive(InputObject, Default)]
pub struct AgentFilters {
    pub status: Option<AgentStatus>,
    #[graphql(name = "type")]
    pub agent_type: Option<String>,
}

#[derive(InputObject, Default)]
pub struct TaskFilters {
    pub status: Option<TaskStatus>,
    pub task_type: Option<String>,
    pub agent_id: Option<ID>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default)]
#[graphql(name = "PRFilters")]
pub struct PrFilters {
    pub repository_id: Option<ID>,
    pub state: Option<PrState>,
    pub review_status: Option<ReviewStatus>,
}

#[derive(InputObject, Default)]
pub struct DeploymentFilters {
    pub state: Option<DeploymentState>,
    pub environment: Option<DeploymentEnvironment>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default)]
pub struct SocialPostFilters {
    pub social_account_id: Option<ID>,
    pub status: Option<SocialPostStatus>,
    pub platform: Option<SocialPlatform>,
}

#[derive(InputObject, Default)]
pub struct EventFilters {
    pub event_type: Option<String>,
    pub source: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct AnalyticsQuery {
    pub metric_types: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct CreateAgentTaskInput {
    pub agent_id: ID,
    pub task_type: String,
    pub description: Option<String>,
    pub priority: Option<i32>,
    pub input: Option<Json<Value>>,
    #[graphql(default)]
    pub requires_approval: bool,
    pub idempotency_key: Option<String>,
}

pub struct Organization {
    pub row: store::Organization,
    /// The caller's role in it.
    pub role: MemberRole,
}

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.row.name
    }
    async fn slug(&self) -> &str {
        &self.row.slug
    }
    /// The caller's role here.
    async fn role(&self) -> MemberRole {
        self.role
    }
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Member>> {
        let store = &ctx.data::<crate::AppState>()?.store;
        Ok(store
            .organizations()
            .list_members(self.row.id)
            .await
            .map_err(|e| super::error(e.into()))?
            .into_iter()
            .map(|member| Member::from(views::Member::from(member)))
            .collect())
    }
    async fn integrations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Integration>> {
        let store = &ctx.data::<crate::AppState>()?.store;
        Ok(store
            .integrations()
            .list(self.row.id)
            .await
            .map_err(|e| super::error(e.into()))?
            .into_iter()
            .map(|row| Integration {
                id: ID(row.id.to_string()),
                service: row.service.into(),
                status: row.status.into(),
                last_sync_at: row.last_sync_at,
            })
            .collect())
    }
    /// Every agent, oldest first.
    async fn agents(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Agent>> {
        let store = &ctx.data::<crate::AppState>()?.store;
        Ok(store
            .agents()
            .list_all(self.row.id)
            .await
            .map_err(|e| super::error(e.into()))?
            .into_iter()
            .map(Agent::from)
            .collect())
    }
}
