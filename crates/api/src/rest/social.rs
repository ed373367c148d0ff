//! Social accounts and posts: accounts are connected with sealed credentials; posts are
//! drafted (by hand, or by the content writer about a merged pull request or a
//! production deployment), edited, scheduled and deleted here, and published by the
//! content pipeline once a person approves the publish task.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use companyos_store::{
    AgentTask, NewSocialAccount, NewSocialPost, SocialAccountId, SocialPlatform, SocialPostFilter,
    SocialPostId, SocialPostPatch, SocialPostStatus,
};
use serde::Deserialize;
use serde_json::Value;

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiJson};
use crate::graphql::types as mirror;
use crate::openapi::Problem;
use crate::params::{Paged, Paging, Query};
use crate::rbac::{Org, OrgAccess, Permission};
use crate::rest::{accepted, ask, path_id};
use crate::views;
use companyos_supervisors::Command;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts))
        .routes(routes!(account))
        .routes(routes!(connect_account))
        .routes(routes!(posts, create_post))
        .routes(routes!(read_post, update_post, delete_post))
        .routes(routes!(publish))
        .routes(routes!(draft))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConnectAccount {
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    account_id: String,
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    handle: String,
    display_name: Option<String>,
    /// An http:// or https:// address.
    #[schema(
        max_length = 2048,
        pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$"
    )]
    avatar_url: Option<String>,
    /// Tokens for the platform's API: sealed, never returned.
    #[schema(value_type = Object)]
    credentials: serde_json::Map<String, Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreatePost {
    #[schema(value_type = String, format = Uuid)]
    social_account_id: SocialAccountId,
    /// Not empty.
    #[schema(min_length = 1, pattern = "\\S")]
    content: String,
    scheduled_for: Option<DateTime<Utc>>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdatePost {
    content: Option<String>,
    scheduled_for: Option<DateTime<Utc>>,
    /// `draft` or `scheduled`; publishing goes through `/publish`.
    #[schema(value_type = Option<mirror::SocialPostStatus>)]
    status: Option<SocialPostStatus>,
}

fn platform(raw: &str) -> Result<SocialPlatform, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::not_found(format!(
            "no platform {raw:?}; social accounts are twitter or linkedin"
        ))
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AccountParams {
    /// Only accounts on this platform
    platform: Option<mirror::SocialPlatform>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PostParams {
    /// Only this account's posts
    #[param(value_type = Option<uuid::Uuid>)]
    social_account_id: Option<SocialAccountId>,
    /// Only posts in this status
    status: Option<mirror::SocialPostStatus>,
    /// Only posts on this platform
    platform: Option<mirror::SocialPlatform>,
}

#[utoipa::path(get, path = "/api/social/accounts", tag = "social", summary = "Social accounts", params(AccountParams), responses((status = 200, description = "Social accounts", body = views::Page<views::SocialAccount>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn accounts(
    State(state): State<AppState>,
    Org(access): Org,
    Query(params): Query<AccountParams>,
) -> Result<Json<views::Page<views::SocialAccount>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let items = state
        .store
        .social_accounts()
        .list(
            access.organization,
            params.platform.map(SocialPlatform::from),
        )
        .await?;
    Ok(Json(views::Page::all(items)))
}

#[utoipa::path(get, path = "/api/social/accounts/{id}", tag = "social", summary = "One social account", params(("id" = String, Path, description = "social account id")), responses((status = 200, description = "One social account", body = views::SocialAccount), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn account(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: SocialAccountId = path_id(&id, "social account")?;
    let account = state
        .store
        .social_accounts()
        .get(access.organization, id)
        .await?;
    Ok(Json(views::SocialAccount::from(account)))
}

#[utoipa::path(post, path = "/api/social/accounts/{platform}/connect", tag = "social", summary = "Connect a social account (credentials sealed)", params(("platform" = crate::graphql::types::SocialPlatform, Path, description = "twitter or linkedin")), request_body = ConnectAccount, responses((status = 201, description = "Connect a social account (credentials sealed)", body = views::SocialAccount), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn connect_account(
    State(state): State<AppState>,
    Org(access): Org,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ConnectAccount>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ManageIntegrations)?;
    let platform = platform(&raw)?;
    if body.credentials.is_empty() {
        return Err(ApiError::invalid(
            "credentials",
            format!("give the {platform} credentials CompanyOS should post with"),
        ));
    }
    if let Some(avatar_url) = &body.avatar_url {
        crate::error::require_http_url("avatar_url", avatar_url)?;
    }
    let account = state
        .store
        .social_accounts()
        .connect(
            access.organization,
            NewSocialAccount {
                platform,
                account_id: body.account_id,
                handle: body.handle,
                display_name: body.display_name,
                avatar_url: body.avatar_url,
                credentials_encrypted: state.keys.seal_json(&Value::Object(body.credentials)),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(views::SocialAccount::from(account)),
    ))
}

#[utoipa::path(get, path = "/api/social/posts", tag = "social", summary = "Social posts, newest first", params(PostParams, Paging), responses((status = 200, description = "Social posts, newest first", body = views::Page<views::SocialPost>), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn posts(
    State(state): State<AppState>,
    Org(access): Org,
    Paged { filter, page }: Paged<PostParams>,
) -> Result<Json<views::Page<views::SocialPost>>, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = SocialPostFilter {
        social_account_id: filter.social_account_id,
        status: filter.status.map(SocialPostStatus::from),
        platform: filter.platform.map(SocialPlatform::from),
    };
    let found = state
        .store
        .social_posts()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(views::Page::of(found)))
}

#[utoipa::path(get, path = "/api/social/posts/{id}", tag = "social", summary = "One social post", params(("id" = String, Path, description = "social post id")), responses((status = 200, description = "One social post", body = views::SocialPost), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn read_post(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: SocialPostId = path_id(&id, "social post")?;
    let post = state
        .store
        .social_posts()
        .get(access.organization, id)
        .await?;
    Ok(Json(views::SocialPost::from(post)))
}

#[utoipa::path(post, path = "/api/social/posts", tag = "social", summary = "Draft a post", request_body = CreatePost, responses((status = 201, description = "Draft a post", body = views::SocialPost), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn create_post(
    State(state): State<AppState>,
    Org(access): Org,
    ApiJson(body): ApiJson<CreatePost>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::PublishSocialPosts)?;
    let post = state
        .store
        .social_posts()
        .create(
            access.organization,
            NewSocialPost {
                social_account_id: body.social_account_id,
                content: body.content,
                scheduled_for: body.scheduled_for,
                agent_generated: false,
                metadata: Value::Object(body.metadata.unwrap_or_default()),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(views::SocialPost::from(post))))
}

#[utoipa::path(patch, path = "/api/social/posts/{id}", tag = "social", summary = "Edit or schedule a post", params(("id" = String, Path, description = "social post id")), request_body = UpdatePost, responses((status = 200, description = "Edit or schedule a post", body = views::SocialPost), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn update_post(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdatePost>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::PublishSocialPosts)?;
    let id: SocialPostId = path_id(&id, "social post")?;
    if matches!(
        body.status,
        Some(SocialPostStatus::Published | SocialPostStatus::Failed)
    ) {
        return Err(ApiError::invalid(
            "status",
            "set draft or scheduled here; publish with POST /api/social/posts/{id}/publish",
        ));
    }
    let post = state
        .store
        .social_posts()
        .update(
            access.organization,
            id,
            SocialPostPatch {
                content: body.content,
                scheduled_for: body.scheduled_for,
                status: body.status,
            },
        )
        .await?;
    Ok(Json(views::SocialPost::from(post)))
}

#[utoipa::path(delete, path = "/api/social/posts/{id}", tag = "social", summary = "Delete a post", params(("id" = String, Path, description = "social post id")), responses((status = 204, description = "Delete a post"), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn delete_post(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::PublishSocialPosts)?;
    let id: SocialPostId = path_id(&id, "social post")?;
    state
        .store
        .social_posts()
        .delete(access.organization, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// The body as documented; `DraftAbout` reads it, so that a body naming neither or both
// is told which to give.
/// What posts are drafted about: exactly one of a merged pull request and a ready
/// production deployment.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum DraftAboutBody {
    PullRequest(DraftAboutPullRequest),
    Deployment(DraftAboutDeployment),
}

/// A merged pull request to draft posts about.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DraftAboutPullRequest {
    #[schema(value_type = String, format = Uuid)]
    pull_request_id: companyos_store::PullRequestId,
}

/// A ready production deployment to draft posts about.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DraftAboutDeployment {
    #[schema(value_type = String, format = Uuid)]
    deployment_id: companyos_store::DeploymentId,
}

/// What a post is to be drafted about: one of the two.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftAbout {
    pull_request_id: Option<companyos_store::PullRequestId>,
    deployment_id: Option<companyos_store::DeploymentId>,
}

/// Drafting is a task for the content writer: a draft for each connected account, each
/// entering the content pipeline (publication after a person's approval).
#[utoipa::path(post, path = "/api/social/drafts", tag = "social", summary = "Enqueue drafts about a merged pull request or a production deployment", request_body = DraftAboutBody, responses((status = 202, description = "Enqueue drafts about a merged pull request or a production deployment", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn draft(
    State(state): State<AppState>,
    Org(access): Org,
    ApiJson(body): ApiJson<DraftAbout>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::PublishSocialPosts)?;
    let command = match (body.pull_request_id, body.deployment_id) {
        (Some(id), None) => Command::DraftAboutPullRequest(id),
        (None, Some(id)) => Command::DraftAboutDeployment(id),
        _ => {
            return Err(ApiError::invalid(
                "pull_request_id",
                "give either pull_request_id (a merged pull request) or deployment_id (a production deployment)",
            ));
        }
    };
    Ok(accepted(ask(&state, &access, command).await?))
}

/// Publishing is a task for the content pipeline that waits for a person's approval.
#[utoipa::path(post, path = "/api/social/posts/{id}/publish", tag = "social", summary = "Enqueue publication, waiting for approval", params(("id" = String, Path, description = "social post id")), responses((status = 202, description = "Enqueue publication, waiting for approval", body = views::AgentTask), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn publish(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: SocialPostId = path_id(&id, "social post")?;
    Ok(accepted(request_publish(&state, &access, id).await?))
}

/// Enqueues a `publish_post` task for the content pipeline, parked for approval.
pub(crate) async fn request_publish(
    state: &AppState,
    access: &OrgAccess,
    id: SocialPostId,
) -> Result<AgentTask, ApiError> {
    access.require(Permission::PublishSocialPosts)?;
    ask(state, access, Command::PublishPost(id)).await
}
