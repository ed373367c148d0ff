//! The Figma REST client: a file's JSON, a file's published components, and a team
//! library's components page by page (cursor). Authenticates with `X-Figma-Token`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::call::{Caller, RateLimitHeaders, RawResponse, Replay};
use super::{RetryPolicy, Secret};
use crate::IntegrationError;

const SERVICE: &str = "figma";

/// Where and how to reach Figma.
#[derive(Clone, Debug)]
pub struct FigmaConfig {
    /// A personal access token, sent as `X-Figma-Token`.
    pub token: Secret,
    /// `https://api.figma.com`.
    pub base_url: String,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl FigmaConfig {
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
            base_url: "https://api.figma.com".to_owned(),
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// A Figma REST client. Cheap to clone; clones share the rate-limit state.
#[derive(Clone, Debug)]
pub struct FigmaClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    caller: Caller,
}

/// Options for reading a file; all optional.
#[derive(Clone, Debug, Default)]
pub struct FileQuery {
    /// A version id; the current version when left out.
    pub version: Option<String>,
    /// Comma-separated node ids to limit the document to.
    pub ids: Option<String>,
    /// How deep into the node tree to go (1 = pages only).
    pub depth: Option<u32>,
}

/// `GET /v1/files/{key}`. The node tree and the component, set and style maps are kept
/// as JSON: they are large and their node types many.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FigmaFile {
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    pub last_modified: String,
    /// `figma` or `figjam`.
    #[serde(default)]
    pub editor_type: Option<String>,
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    pub version: String,
    pub document: serde_json::Value,
    #[serde(default)]
    pub components: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub component_sets: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub styles: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub schema_version: Option<u32>,
}

/// Who last updated a component.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FigmaUser {
    pub id: String,
    pub handle: String,
    #[serde(default)]
    pub img_url: Option<String>,
}

/// The frame a component sits in.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FrameInfo {
    #[serde(default)]
    pub node_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub page_id: String,
    pub page_name: String,
    /// The component set (of variants) the component belongs to, if any.
    #[serde(default)]
    pub containing_component_set: Option<NodeRef>,
}

/// A node named by its id.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    pub node_id: String,
    pub name: String,
}

/// A component set (a component's variants) published to a library.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PublishedComponentSet {
    pub key: String,
    pub file_key: String,
    pub node_id: String,
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    pub name: String,
    pub description: String,
    pub updated_at: String,
    #[serde(default)]
    pub containing_frame: Option<FrameInfo>,
}

/// `GET /v1/files/{key}/nodes`: each asked-for node with the style metadata it uses.
/// A node id the file does not hold maps to `None`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct FileNodes {
    pub name: String,
    pub nodes: BTreeMap<String, Option<NodeDocument>>,
}

/// One node of [`FileNodes`]: its subtree (kept as JSON, its node types are many) and
/// the styles it refers to, by style id.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct NodeDocument {
    pub document: serde_json::Value,
    #[serde(default)]
    pub styles: BTreeMap<String, StyleMeta>,
}

/// A style's metadata as a file describes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StyleMeta {
    pub key: String,
    pub name: String,
    /// `FILL`, `TEXT`, `EFFECT` or `GRID`.
    pub style_type: String,
    #[serde(default)]
    pub description: String,
}

/// A component published to a library.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PublishedComponent {
    pub key: String,
    pub file_key: String,
    pub node_id: String,
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub user: FigmaUser,
    #[serde(default)]
    pub containing_frame: Option<FrameInfo>,
}

/// Where a team listing stands: pass `after` back to get the next page.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Cursor {
    #[serde(default)]
    pub before: Option<u64>,
    #[serde(default)]
    pub after: Option<u64>,
}

/// A page of published components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentPage {
    pub components: Vec<PublishedComponent>,
    /// Absent on a file's listing, which is not paged.
    pub cursor: Option<Cursor>,
}

#[derive(Deserialize)]
struct ComponentsEnvelope {
    meta: ComponentsMeta,
}

#[derive(Deserialize)]
struct ComponentSetsEnvelope {
    meta: ComponentSetsMeta,
}

#[derive(Deserialize)]
struct ComponentSetsMeta {
    component_sets: Vec<PublishedComponentSet>,
}

#[derive(Deserialize)]
struct ComponentsMeta {
    components: Vec<PublishedComponent>,
    #[serde(default)]
    cursor: Option<Cursor>,
}

impl FigmaClient {
    pub fn new(config: FigmaConfig) -> Result<Self, IntegrationError> {
        let caller = Caller::new(
            SERVICE,
            config.retry,
            RateLimitHeaders::RETRY_AFTER_ONLY,
            config.token,
        );
        caller.token_header()?;
        let http = crate::http::client(config.timeout)
            .map_err(|error| caller.invalid_request(error.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                caller,
            }),
        })
    }

    /// `GET /v1/files/{file_key}`.
    pub async fn file(
        &self,
        file_key: &str,
        query: &FileQuery,
    ) -> Result<FigmaFile, IntegrationError> {
        let path = format!(
            "/v1/files/{}",
            self.inner.caller.path_segment("file key", file_key)?
        );
        let mut params = Vec::new();
        if let Some(version) = &query.version {
            params.push(("version", version.clone()));
        }
        if let Some(ids) = &query.ids {
            params.push(("ids", ids.clone()));
        }
        if let Some(depth) = query.depth {
            params.push(("depth", depth.to_string()));
        }
        let response = self
            .get(&path, &params, &format!("file {file_key}"))
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `GET /v1/files/{file_key}/components`: every component the (main) file publishes.
    pub async fn file_components(&self, file_key: &str) -> Result<ComponentPage, IntegrationError> {
        let path = format!(
            "/v1/files/{}/components",
            self.inner.caller.path_segment("file key", file_key)?
        );
        let response = self.get(&path, &[], &format!("file {file_key}")).await?;
        self.components(&response)
    }

    /// `GET /v1/files/{file_key}/component_sets`: every component set the (main) file
    /// publishes.
    pub async fn file_component_sets(
        &self,
        file_key: &str,
    ) -> Result<Vec<PublishedComponentSet>, IntegrationError> {
        let path = format!(
            "/v1/files/{}/component_sets",
            self.inner.caller.path_segment("file key", file_key)?
        );
        let response = self.get(&path, &[], &format!("file {file_key}")).await?;
        let envelope: ComponentSetsEnvelope = self.inner.caller.parse_json(&response)?;
        Ok(envelope.meta.component_sets)
    }

    /// `GET /v1/files/{file_key}/nodes?ids=…&depth=…`: the nodes named, each `depth`
    /// levels deep (all levels when `None`).
    pub async fn file_nodes(
        &self,
        file_key: &str,
        ids: &[String],
        depth: Option<u32>,
    ) -> Result<FileNodes, IntegrationError> {
        let path = format!(
            "/v1/files/{}/nodes",
            self.inner.caller.path_segment("file key", file_key)?
        );
        let mut params = vec![("ids", ids.join(","))];
        if let Some(depth) = depth {
            params.push(("depth", depth.to_string()));
        }
        let response = self
            .get(&path, &params, &format!("file {file_key}"))
            .await?;
        self.inner.caller.parse_json(&response)
    }

    /// `GET /v1/teams/{team_id}/components`: one page (`page_size` up to 1000) after the
    /// cursor `after`, if given.
    pub async fn team_components(
        &self,
        team_id: &str,
        page_size: Option<u32>,
        after: Option<u64>,
    ) -> Result<ComponentPage, IntegrationError> {
        let path = format!(
            "/v1/teams/{}/components",
            self.inner.caller.path_segment("team id", team_id)?
        );
        let mut params = Vec::new();
        if let Some(page_size) = page_size {
            params.push(("page_size", page_size.clamp(1, 1000).to_string()));
        }
        if let Some(after) = after {
            params.push(("after", after.to_string()));
        }
        let response = self.get(&path, &params, &format!("team {team_id}")).await?;
        self.components(&response)
    }

    fn components(&self, response: &RawResponse) -> Result<ComponentPage, IntegrationError> {
        let envelope: ComponentsEnvelope = self.inner.caller.parse_json(response)?;
        Ok(ComponentPage {
            components: envelope.meta.components,
            cursor: envelope.meta.cursor,
        })
    }

    async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<RawResponse, IntegrationError> {
        let inner = &self.inner;
        let url = format!("{}{path}", inner.base_url);
        let token = inner.caller.token_header()?;
        inner
            .caller
            .call(Replay::Safe, what, || {
                let request = inner
                    .http
                    .get(&url)
                    .header("X-Figma-Token", token.clone())
                    .query(params);
                Caller::send_reqwest(request)
            })
            .await
    }
}
