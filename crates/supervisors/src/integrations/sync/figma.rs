//! Figma: the team's files with published components, and one file with its components.

use companyos_actors::design::{COMPONENT, COMPONENT_SET, ComponentSpec, VARIANT};
use companyos_integrations::clients::figma;

use super::*;

impl Syncer {
    pub(super) async fn figma_files(
        &self,
        client: &FigmaClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let org = self.org();
        let known: HashMap<String, companyos_store::FigmaFileId> = self
            .store
            .figma_files()
            .list(org)
            .await?
            .into_iter()
            .map(|file| (file.figma_file_key, file.id))
            .collect();
        // Files named in the settings, and those the team's library components live in.
        let mut keys: Vec<String> = match setting(&self.integration, &self.credentials, "file_keys")
        {
            Some(Value::Array(keys)) => keys
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(keys)) => keys.split(',').map(|key| key.trim().to_owned()).collect(),
            _ => Vec::new(),
        };
        if let Some(team) = self.setting_text("team_id") {
            let mut after = None;
            for _ in 0..MAX_PAGES {
                let page = client.team_components(&team, Some(100), after).await?;
                report.count("team_components", page.components.len() as u64);
                keys.extend(
                    page.components
                        .into_iter()
                        .map(|component| component.file_key),
                );
                match page.cursor.and_then(|cursor| cursor.after) {
                    Some(next) if after != Some(next) => after = Some(next),
                    _ => break,
                }
            }
        }
        keys.retain(|key| !key.is_empty());
        keys.sort();
        keys.dedup();
        let mut files: Vec<companyos_store::FigmaFileId> = known.values().copied().collect();
        for key in keys.iter().filter(|key| !known.contains_key(*key)) {
            let row = self.upsert_figma_file(client, key).await?;
            report.count("figma_files", 1);
            files.push(row);
        }
        files.sort();
        report.follow_up.extend(
            files
                .into_iter()
                .map(|figma_file_id| SyncRequest::FigmaFile { figma_file_id }),
        );
        Ok(())
    }

    pub(super) async fn upsert_figma_file(
        &self,
        client: &FigmaClient,
        key: &str,
    ) -> Result<companyos_store::FigmaFileId, SyncError> {
        let file = client
            .file(
                key,
                &figma::FileQuery {
                    depth: Some(1),
                    ..Default::default()
                },
            )
            .await?;
        let row = self
            .store
            .figma_files()
            .upsert(
                self.org(),
                FigmaFileSync {
                    figma_file_key: key.to_owned(),
                    name: file.name,
                    file_type: (!file.components.is_empty() || !file.component_sets.is_empty())
                        .then_some(companyos_store::FigmaFileType::ComponentLibrary),
                    thumbnail_url: file.thumbnail_url,
                    last_modified_at: DateTime::parse_from_rfc3339(&file.last_modified)
                        .ok()
                        .map(|time| time.with_timezone(&Utc)),
                    metadata: json!({"version": file.version, "editor_type": file.editor_type, "role": file.role}),
                },
            )
            .await?;
        Ok(row.id)
    }

    /// One file: its component sets (a component's variants) and lone components, each
    /// with its spec (properties, auto-layout, colours and type, read from the nodes),
    /// and each set's variants as rows of their own.
    pub(super) async fn figma_file(
        &self,
        client: &FigmaClient,
        key: &str,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let file_id = self.upsert_figma_file(client, key).await?;
        report.count("figma_files", 1);
        let components = client.file_components(key).await?.components;
        let sets = client.file_component_sets(key).await?;
        // The sets and the lone components are what code has as components.
        let mut wanted: Vec<String> = sets.iter().map(|set| set.node_id.clone()).collect();
        wanted.extend(
            components
                .iter()
                .filter(|component| set_of(component).is_none())
                .map(|component| component.node_id.clone()),
        );
        let mut specs: HashMap<String, ComponentSpec> = HashMap::new();
        for ids in wanted.chunks(NODES_PER_REQUEST) {
            let nodes = client.file_nodes(key, ids, Some(3)).await?;
            for (id, node) in nodes.nodes {
                if let Some(spec) =
                    node.and_then(|node| ComponentSpec::from_node(&node.document, &node.styles))
                {
                    specs.insert(id, spec);
                }
            }
        }
        for set in sets {
            let spec = specs.remove(&set.node_id);
            self.store
                .design_components()
                .upsert(
                    self.org(),
                    companyos_store::DesignComponentSync {
                        figma_file_id: file_id,
                        figma_component_id: set.node_id,
                        name: set.name,
                        description: Some(set.description).filter(|text| !text.is_empty()),
                        component_type: Some(COMPONENT_SET.into()),
                        metadata: json!({
                            "key": set.key,
                            "thumbnail_url": set.thumbnail_url,
                            "updated_at": set.updated_at,
                            "page": set.containing_frame.as_ref().map(|frame| frame.page_name.clone()),
                            "frame": set.containing_frame.and_then(|frame| frame.name),
                            "spec": spec,
                        }),
                    },
                )
                .await?;
            report.count("component_sets", 1);
        }
        for component in components {
            let set = set_of(&component).map(|set| set.node_id.clone());
            let spec = specs.remove(&component.node_id);
            self.store
                .design_components()
                .upsert(
                    self.org(),
                    companyos_store::DesignComponentSync {
                        figma_file_id: file_id,
                        component_type: Some(if set.is_some() { VARIANT } else { COMPONENT }.into()),
                        figma_component_id: component.node_id,
                        name: component.name,
                        description: Some(component.description).filter(|text| !text.is_empty()),
                        metadata: json!({
                            "key": component.key,
                            "thumbnail_url": component.thumbnail_url,
                            "updated_at": component.updated_at,
                            "updated_by": component.user.handle,
                            "page": component.containing_frame.as_ref().map(|frame| frame.page_name.clone()),
                            "frame": component.containing_frame.and_then(|frame| frame.name),
                            "component_set": set,
                            "spec": spec,
                        }),
                    },
                )
                .await?;
            report.count("components", 1);
        }
        Ok(())
    }
}

/// Nodes asked for in one request (their ids go in the query string).
const NODES_PER_REQUEST: usize = 50;

fn set_of(component: &figma::PublishedComponent) -> Option<&figma::NodeRef> {
    component
        .containing_frame
        .as_ref()
        .and_then(|frame| frame.containing_component_set.as_ref())
}
