//! The inputs of the tasks watchers and routes write for the integrations' syncs and
//! for agents yet to ship: one type each, used by every producer. Each shipped agent's
//! own inputs live beside it (`code_review::AnalyzePr`, `deployment::DeploymentRef` and
//! `Rollback`, `notification::Notify`, `operations::OpenIncident`…).
//!
//! Reading a task's input (`behaviour::input`) fails the task permanently with serde's
//! message, which names the field at fault.

use companyos_integrations::normalise::TwitterPost;
use companyos_store::{
    DesignComponentId, EventId, FigmaFileId, IntegrationId, RepositoryId, Service, SocialAccountId,
    SocialPlatform, SocialPostId,
};
use serde::{Deserialize, Serialize};

use crate::names;
use crate::task_kind::TaskKind;

/// `sync_integration`, performed by the service's watcher.
pub struct IntegrationSync;

impl TaskKind for IntegrationSync {
    const NAME: &'static str = names::SYNC_INTEGRATION;
    type Input = SyncIntegration;
    type Output = Synced;
}

/// `sync_repository`, performed by the GitHub watcher.
pub struct RepositorySync;

impl TaskKind for RepositorySync {
    const NAME: &'static str = names::SYNC_REPOSITORY;
    type Input = SyncRepository;
    type Output = Synced;
}

/// `sync_figma_file`, performed by the Figma watcher.
pub struct FigmaFileSync;

impl TaskKind for FigmaFileSync {
    const NAME: &'static str = names::SYNC_FIGMA_FILE;
    type Input = SyncFigmaFile;
    type Output = Synced;
}

/// The result of a sync: what it brought in, by kind of row, and the narrower syncs it
/// queued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synced {
    pub service: Service,
    pub synced: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub follow_up_tasks: Vec<companyos_store::TaskId>,
}

/// `sync_integration`: everything a connected service holds (its watcher's service
/// when `service` is absent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncIntegration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<IntegrationId>,
}

/// `sync_repository`: one repository's open pull requests and recent deployments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRepository {
    pub repository_id: RepositoryId,
    /// `owner/name`, for people reading the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
}

/// `sync_figma_file`: one Figma file's components.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFigmaFile {
    pub figma_file_id: FigmaFileId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figma_file_key: Option<String>,
}

/// `generate_code` (for `component_generator`): code for the components a library
/// publish created or changed, or for one component asked for by a person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateCode {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figma_file_id: Option<FigmaFileId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design_component_id: Option<DesignComponentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figma_component_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_components: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modified_components: Vec<String>,
}

/// `draft_reply` (for `content`): a reply to posts mentioning the organization, or to a
/// LinkedIn notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftReply {
    pub platform: SocialPlatform,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub posts: Vec<TwitterPost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
}

/// `publish_post` (for `content`, after a person's approval).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishPost {
    pub social_post_id: SocialPostId,
    pub social_account_id: SocialAccountId,
}
