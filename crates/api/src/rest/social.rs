//! Social accounts and posts: accounts are connected with sealed credentials; posts are
//! drafted, edited, scheduled and deleted here, and published by the content agent once
//! a person approves the publish task.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use companyos_store::{
    NewSocialAccount, NewSocialPost, SocialAccountId, SocialPlatform, SocialPostFilter,
    SocialPostId, SocialPostPatch, SocialPostStatus,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiJson};
use crate::params::{Params, all_json, page_json};
use crate::rbac::{Org, Permission};
use crate::rest::{Action, accepted, path_id};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/social/accounts", get(accounts))
        .route("/api/social/accounts/{id}", get(account))
        .route(
            "/api/social/accounts/{platform}/connect",
            post(connect_account),
        )
        .route("/api/social/posts", get(posts).post(create_post))
        .route(
            "/api/social/posts/{id}",
            get(read_post).patch(update_post).delete(delete_post),
        )
        .route("/api/social/posts/{id}/publish", post(publish))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectAccount {
    account_id: String,
    handle: String,
    display_name: Option<String>,
    avatar_url: Option<String>,
    /// Tokens for the platform's API: sealed, never returned.
    credentials: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreatePost {
    social_account_id: SocialAccountId,
    content: String,
    scheduled_for: Option<DateTime<Utc>>,
    metadata: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdatePost {
    content: Option<String>,
    scheduled_for: Option<DateTime<Utc>>,
    /// `draft` or `scheduled`; publishing goes through `/publish`.
    status: Option<SocialPostStatus>,
}

fn platform(raw: &str) -> Result<SocialPlatform, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::not_found(format!(
            "no platform {raw:?}; social accounts are twitter or linkedin"
        ))
    })
}

async fn accounts(
    State(state): State<AppState>,
    Org(access): Org,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let platform = params.one_of("platform", SocialPlatform::ALL, SocialPlatform::as_str)?;
    params.finish()?;
    let items = state
        .store
        .social_accounts()
        .list(access.organization, platform)
        .await?;
    Ok(Json(all_json(items)))
}

async fn account(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: SocialAccountId = path_id(&id, "social account")?;
    Ok(Json(
        state
            .store
            .social_accounts()
            .get(access.organization, id)
            .await?,
    ))
}

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
    Ok((StatusCode::CREATED, Json(account)))
}

async fn posts(
    State(state): State<AppState>,
    Org(access): Org,
    mut params: Params,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let filter = SocialPostFilter {
        social_account_id: params.parse("social_account_id")?,
        status: params.one_of("status", SocialPostStatus::ALL, SocialPostStatus::as_str)?,
        platform: params.one_of("platform", SocialPlatform::ALL, SocialPlatform::as_str)?,
    };
    let page = params.page()?;
    params.finish()?;
    let found = state
        .store
        .social_posts()
        .list(access.organization, &filter, &page)
        .await?;
    Ok(Json(page_json(found)))
}

async fn read_post(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let id: SocialPostId = path_id(&id, "social post")?;
    Ok(Json(
        state
            .store
            .social_posts()
            .get(access.organization, id)
            .await?,
    ))
}

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
    Ok((StatusCode::CREATED, Json(post)))
}

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
    Ok(Json(post))
}

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

/// Publishing is a task for the content agent that waits for a person's approval.
async fn publish(
    State(state): State<AppState>,
    Org(access): Org,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::PublishSocialPosts)?;
    let id: SocialPostId = path_id(&id, "social post")?;
    let post = state
        .store
        .social_posts()
        .get(access.organization, id)
        .await?;
    if post.status == SocialPostStatus::Published {
        return Err(ApiError::conflict("this post is already published"));
    }
    let task = Action {
        agent_type: "content",
        task_type: "publish_post",
        approval: true,
    }
    .enqueue(
        &state,
        &access,
        format!("publish a {} post", post.platform),
        json!({"social_post_id": post.id, "social_account_id": post.social_account_id}),
    )
    .await?;
    Ok(accepted(task))
}
