//! The design agents: Figma components against the code, and code from Figma.
//!
//! - `design_qa` performs `check_design_drift`: after a library publish (the Figma
//!   watcher asks) or when a person asks, it syncs the file, lists the code components
//!   of the connected repository (its tree through the GitHub API, files matching the
//!   configured globs) and compares: a Figma component no code component is named
//!   after, a code component no Figma component is named after, and for each pair the
//!   properties and variant options that differ ([`drift`]). Each Figma component's
//!   finding is written on its row (`drift`); the whole report is the task's result.
//! - `component_generator` performs `generate_code`: for a component a person picks, or
//!   those a library publish created or changed, a React + TypeScript + Tailwind
//!   component and its story ([`codegen`]) from the component's spec ([`spec`], stored
//!   by the sync). With `open_pull_requests` on, the code goes to the repository as a pull
//!   request — `open_component_pull_request`, which runs only once an approver of the
//!   matrix approved it.

pub mod codegen;
pub mod drift;
pub mod spec;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use companyos_store::{
    AgentTask, ComponentDrift, DesignComponent, DesignComponentId, Difference, DriftStatus,
    EventId, FigmaFileId, StoreError,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use codegen::GeneratedFile;
pub use spec::ComponentSpec;

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::inputs::GenerateCode;
use crate::names;
use crate::port::{GitHubRequest, GitHubResponse, SyncRequest};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration};
use crate::task_kind::{TaskKind, task_of};

/// `component_type` of a component set's row (a component with variants).
pub const COMPONENT_SET: &str = "component_set";
/// `component_type` of a lone component's row.
pub const COMPONENT: &str = "component";
/// `component_type` of a variant's row (a member of a set).
pub const VARIANT: &str = "variant";

/// Code files read for props in one check, at most.
const MAX_FILES_READ: usize = 300;

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(AgentType::configured(
        names::DESIGN_QA,
        AgentKind::Executor,
        vec![names::CHECK_DESIGN_DRIFT.into()],
        |config| Box::new(DesignQa { config }),
    ));
    registry.register(AgentType::configured(
        names::COMPONENT_GENERATOR,
        AgentKind::Executor,
        vec![
            names::GENERATE_CODE.into(),
            names::OPEN_COMPONENT_PULL_REQUEST.into(),
        ],
        |config| Box::new(ComponentGenerator { config }),
    ));
}

// ─── The repository ────────────────────────────────────────────────────────────────

/// The repository the design agents read and write, and its branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub repository: String,
    pub branch: String,
}

/// The configured repository, or the organization's only one; its default branch
/// unless a branch is configured.
async fn target(
    ctx: &TaskContext,
    repository: Option<&str>,
    branch: Option<&str>,
    agent: &str,
) -> Result<Target, TaskFailure> {
    let repositories = ctx
        .store
        .repositories()
        .list(ctx.agent.organization_id)
        .await?;
    let chosen = match repository {
        Some(name) => repositories
            .iter()
            .find(|repository| repository.full_name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                TaskFailure::Permanent(format!(
                    "the {agent} agent's configuration names {name}, which is not a connected repository: \
                     sync GitHub or change the configuration"
                ))
            })?,
        None => match repositories.as_slice() {
            [only] => only,
            [] => {
                return Err(TaskFailure::Permanent(
                    "no GitHub repository is connected: connect GitHub and sync it first".into(),
                ));
            }
            several => {
                return Err(TaskFailure::Permanent(format!(
                    "{} repositories are connected: name the one with the components in the {agent} agent's configuration (repository)",
                    several.len()
                )));
            }
        },
    };
    Ok(Target {
        repository: chosen.full_name.clone(),
        branch: branch
            .map(str::to_owned)
            .unwrap_or_else(|| chosen.default_branch.clone()),
    })
}

/// The component's spec as the sync stored it, or one with its name only (a row synced
/// before specs were read; one that cannot be read is logged).
pub fn spec_of(component: &DesignComponent) -> ComponentSpec {
    let stored = component
        .metadata
        .get("spec")
        .filter(|spec| !spec.is_null())
        .and_then(|spec| {
            serde_json::from_value(spec.clone())
                .inspect_err(|error| {
                    tracing::warn!(component = %component.id, %error, "a component's stored spec is unreadable")
                })
                .ok()
        });
    stored.unwrap_or_else(|| ComponentSpec {
        name: component.name.clone(),
        description: component.description.clone(),
        ..ComponentSpec::default()
    })
}

/// Whether a row is a component as code has them: a set, or a component in no set.
fn is_code_unit(component: &DesignComponent) -> bool {
    match component.component_type.as_deref() {
        Some(COMPONENT_SET) => true,
        Some(VARIANT) => false,
        _ => component
            .metadata
            .get("component_set")
            .is_none_or(Value::is_null),
    }
}

/// Syncs a Figma file through its adapter, so that the rows are the file's now.
async fn sync_file(ctx: &TaskContext, file: FigmaFileId) -> Result<(), TaskFailure> {
    ctx.integrations()?
        .sync(
            ctx.agent.organization_id,
            SyncRequest::FigmaFile {
                figma_file_id: file,
            },
        )
        .await?;
    Ok(())
}

// ─── check_design_drift ────────────────────────────────────────────────────────────

/// The input of `check_design_drift`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDesignDrift {
    /// A file to sync first (the one a library publish changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figma_file_id: Option<FigmaFileId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
}

/// `check_design_drift`.
pub struct CheckDesignDriftTask;

impl TaskKind for CheckDesignDriftTask {
    const NAME: &'static str = names::CHECK_DESIGN_DRIFT;
    type Input = CheckDesignDrift;
    type Output = DriftReport;
}

/// A Figma component and what differs in its code component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentFinding {
    pub design_component_id: DesignComponentId,
    /// Its Figma name.
    pub name: String,
    /// The name code gives it.
    pub code_name: String,
    pub status: DriftStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_path: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
}

/// A code component no Figma component is named after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeOnly {
    pub name: String,
    pub path: String,
}

/// The result of `check_design_drift`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    pub repository: String,
    pub reference: String,
    pub patterns: Vec<String>,
    pub checked_at: DateTime<Utc>,
    /// Figma components compared, and code components found.
    pub figma_components: usize,
    pub code_components: usize,
    pub in_sync: usize,
    pub differ: usize,
    pub missing_in_code: usize,
    /// Each Figma component's finding, by name.
    pub components: Vec<ComponentFinding>,
    /// Code components with no Figma component.
    pub missing_in_figma: Vec<CodeOnly>,
    /// What a person should know (a truncated tree, files not read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How the design QA agent finds code components.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct DesignQaConfig {
    /// `owner/name` of the repository with the code components; the organization's
    /// only repository when left out.
    #[garde(inner(
        length(min = 3, max = 200),
        pattern(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    ))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The branch read; the repository's default branch when left out.
    #[garde(inner(length(min = 1, max = 200)))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Globs of the component files (`**` for any folders, `*` within a name).
    #[garde(
        length(min = 1, max = 20),
        inner(length(min = 1, max = 200), custom(valid_glob))
    )]
    pub patterns: Vec<String>,
}

fn valid_glob(pattern: &str, _: &()) -> garde::Result {
    glob::Pattern::new(pattern)
        .map(|_| ())
        .map_err(|error| garde::Error::new(format!("not a glob: {error}")))
}

impl Default for DesignQaConfig {
    fn default() -> Self {
        DesignQaConfig {
            repository: None,
            branch: None,
            patterns: vec!["**/components/**/*.tsx".into()],
        }
    }
}

impl Configuration for DesignQaConfig {}

pub struct DesignQa {
    config: DesignQaConfig,
}

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum QaTask {
    CheckDesignDrift(CheckDesignDrift),
}

impl DesignQa {
    async fn check(
        &self,
        ctx: &TaskContext,
        input: CheckDesignDrift,
    ) -> Result<DriftReport, TaskFailure> {
        let org = ctx.agent.organization_id;
        // The comparison is with Figma as it is now: the file a publish changed, or,
        // for a check a person asked for, every file the organization follows.
        let files = match input.figma_file_id {
            Some(file) => vec![file],
            None => ctx
                .store
                .figma_files()
                .list(org)
                .await?
                .into_iter()
                .map(|file| file.id)
                .collect(),
        };
        for file in files {
            sync_file(ctx, file).await?;
        }
        let target = target(
            ctx,
            self.config.repository.as_deref(),
            self.config.branch.as_deref(),
            "design QA",
        )
        .await?;
        let port = ctx.integrations()?;
        let tree = match port
            .github(
                org,
                GitHubRequest::Tree {
                    repository: target.repository.clone(),
                    reference: target.branch.clone(),
                },
            )
            .await?
        {
            GitHubResponse::Tree(tree) => tree,
            _ => return Err(unexpected()),
        };
        let patterns: Vec<glob::Pattern> = self
            .config
            .patterns
            .iter()
            .filter_map(|pattern| glob::Pattern::new(pattern).ok())
            .collect();
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        // Code components by name; the shortest path wins a name found twice.
        let mut code: BTreeMap<String, String> = BTreeMap::new();
        for entry in &tree.tree {
            if entry.kind != "blob"
                || entry.path.split('/').any(|part| part == "node_modules")
                || !patterns
                    .iter()
                    .any(|pattern| pattern.matches_with(&entry.path, options))
            {
                continue;
            }
            if let Some(name) = drift::code_component_name(&entry.path) {
                let keep = code
                    .get(&name)
                    .is_none_or(|path| path.len() > entry.path.len());
                if keep {
                    code.insert(name, entry.path.clone());
                }
            }
        }
        let mut notes = Vec::new();
        if tree.truncated {
            notes.push(
                "GitHub cut the repository's tree short: components past its listing were not seen"
                    .to_owned(),
            );
        }
        let rows: Vec<DesignComponent> = ctx
            .store
            .design_components()
            .list(org, None, None)
            .await?
            .into_iter()
            .filter(is_code_unit)
            .collect();
        let checked_at = ctx.store.now();
        let mut matched = std::collections::BTreeSet::new();
        let mut findings = Vec::new();
        let mut read = 0usize;
        for row in &rows {
            let spec = spec_of(row);
            let code_name = codegen::code_name(&row.name);
            let (status, code_path, differences) = match code.get(&code_name) {
                None => (DriftStatus::MissingInCode, None, Vec::new()),
                Some(path) => {
                    matched.insert(code_name.clone());
                    if read >= MAX_FILES_READ {
                        if read == MAX_FILES_READ {
                            notes.push(format!(
                                "only {MAX_FILES_READ} code components were read for their props; the rest are listed as found"
                            ));
                        }
                        read += 1;
                        continue;
                    }
                    read += 1;
                    let source = match port
                        .github(
                            org,
                            GitHubRequest::File {
                                repository: target.repository.clone(),
                                path: path.clone(),
                                reference: target.branch.clone(),
                            },
                        )
                        .await?
                    {
                        GitHubResponse::File(source) => source.unwrap_or_default(),
                        _ => return Err(unexpected()),
                    };
                    let props = drift::code_props(&source, &code_name).unwrap_or_default();
                    let differences = drift::differences(&spec, &props);
                    let status = if differences.is_empty() {
                        DriftStatus::InSync
                    } else {
                        DriftStatus::Differs
                    };
                    (status, Some(path.clone()), differences)
                }
            };
            let drift = ComponentDrift {
                status,
                code_path: code_path.clone(),
                differences: differences.clone(),
                repository: target.repository.clone(),
                reference: target.branch.clone(),
                checked_at,
            };
            match ctx
                .store
                .design_components()
                .set_drift(org, row.id, Some(&drift))
                .await
            {
                Ok(()) | Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
            findings.push(ComponentFinding {
                design_component_id: row.id,
                name: row.name.clone(),
                code_name,
                status,
                code_path,
                differences,
            });
        }
        let missing_in_figma: Vec<CodeOnly> = code
            .iter()
            .filter(|(name, _)| !matched.contains(*name))
            .map(|(name, path)| CodeOnly {
                name: name.clone(),
                path: path.clone(),
            })
            .collect();
        let count = |status: DriftStatus| {
            findings
                .iter()
                .filter(|finding| finding.status == status)
                .count()
        };
        Ok(DriftReport {
            repository: target.repository,
            reference: target.branch,
            patterns: self.config.patterns.clone(),
            checked_at,
            figma_components: findings.len(),
            code_components: code.len(),
            in_sync: count(DriftStatus::InSync),
            differ: count(DriftStatus::Differs),
            missing_in_code: count(DriftStatus::MissingInCode),
            components: findings,
            missing_in_figma,
            notes,
        })
    }
}

fn unexpected() -> TaskFailure {
    TaskFailure::Permanent("GitHub's adapter answered with another kind of response".into())
}

#[async_trait]
impl Behaviour for DesignQa {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let QaTask::CheckDesignDrift(input) = task_of::<QaTask>(task, "the design QA agent")?;
        output(&self.check(ctx, input).await?)
    }
}

// ─── generate_code and open_component_pull_request ─────────────────────────────────

/// `generate_code`.
pub struct GenerateCodeTask;

impl TaskKind for GenerateCodeTask {
    const NAME: &'static str = names::GENERATE_CODE;
    type Input = GenerateCode;
    type Output = GeneratedCode;
}

/// One component's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedComponent {
    pub design_component_id: DesignComponentId,
    pub name: String,
    pub files: Vec<GeneratedFile>,
}

/// The result of `generate_code`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedCode {
    pub components: Vec<GeneratedComponent>,
    /// The pull request task waiting for a person's approval, when pull requests are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request_task_id: Option<companyos_store::TaskId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The input of `open_component_pull_request`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenComponentPullRequest {
    pub target: Target,
    pub branch: String,
    pub components: Vec<GeneratedComponent>,
}

/// `open_component_pull_request`.
pub struct OpenComponentPullRequestTask;

impl TaskKind for OpenComponentPullRequestTask {
    const NAME: &'static str = names::OPEN_COMPONENT_PULL_REQUEST;
    type Input = OpenComponentPullRequest;
    type Output = ComponentPullRequest;
}

/// The result of `open_component_pull_request`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentPullRequest {
    pub repository: String,
    pub number: u64,
    pub url: String,
    pub branch: String,
}

/// Where the component generator writes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentGeneratorConfig {
    /// The folder the components go in.
    #[garde(length(min = 1, max = 200), pattern(r"^[A-Za-z0-9_./-]+$"))]
    pub directory: String,
    /// Whether the code goes to the repository as a pull request (after a person's
    /// approval).
    #[garde(skip)]
    pub open_pull_requests: bool,
    /// `owner/name`; the organization's only repository when left out.
    #[garde(inner(
        length(min = 3, max = 200),
        pattern(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    ))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The branch pull requests go into; the repository's default branch when left out.
    #[garde(inner(length(min = 1, max = 200)))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

impl Default for ComponentGeneratorConfig {
    fn default() -> Self {
        ComponentGeneratorConfig {
            directory: "src/components".into(),
            open_pull_requests: false,
            repository: None,
            base: None,
        }
    }
}

impl Configuration for ComponentGeneratorConfig {}

pub struct ComponentGenerator {
    config: ComponentGeneratorConfig,
}

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum GeneratorTask {
    GenerateCode(GenerateCode),
    OpenComponentPullRequest(OpenComponentPullRequest),
}

impl ComponentGenerator {
    /// The rows to generate: the one asked for (its set, for a variant), or those a
    /// library publish created or changed (by key, after a sync of the file).
    async fn targets(
        &self,
        ctx: &TaskContext,
        input: &GenerateCode,
        notes: &mut Vec<String>,
    ) -> Result<Vec<DesignComponent>, TaskFailure> {
        let org = ctx.agent.organization_id;
        let store = ctx.store.design_components();
        let unit = |row: DesignComponent, file_rows: &[DesignComponent]| -> DesignComponent {
            let set = row
                .metadata
                .get("component_set")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match set {
                Some(set) => file_rows
                    .iter()
                    .find(|other| other.figma_component_id == set)
                    .cloned()
                    .unwrap_or(row),
                None => row,
            }
        };
        if let Some(id) = input.design_component_id {
            let row = match store.get(org, id).await {
                Ok(row) => row,
                Err(StoreError::NotFound { .. }) => {
                    return Err(TaskFailure::Permanent(
                        "the component was deleted before its code was generated".into(),
                    ));
                }
                Err(error) => return Err(error.into()),
            };
            let file_rows = store.list(org, Some(row.figma_file_id), None).await?;
            return Ok(vec![unit(row, &file_rows)]);
        }
        let Some(file) = input.figma_file_id else {
            return Err(TaskFailure::Permanent(format!(
                "the Figma file {} is not followed yet: add its key to the Figma integration's file_keys, sync, and ask again",
                input.file_key.as_deref().unwrap_or("of the publish")
            )));
        };
        sync_file(ctx, file).await?;
        let file_rows = store.list(org, Some(file), None).await?;
        let mut wanted: Vec<DesignComponent> = Vec::new();
        for key in input
            .created_components
            .iter()
            .chain(&input.modified_components)
        {
            // A publish names its components (and carries their keys).
            match file_rows.iter().find(|row| {
                row.metadata.get("key").and_then(Value::as_str) == Some(key) || row.name == *key
            }) {
                Some(row) => {
                    let row = unit(row.clone(), &file_rows);
                    if !wanted.iter().any(|other| other.id == row.id) {
                        wanted.push(row);
                    }
                }
                None => notes.push(format!(
                    "{key} is not among the file's published components"
                )),
            }
        }
        Ok(wanted)
    }

    async fn generate(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        input: GenerateCode,
    ) -> Result<GeneratedCode, TaskFailure> {
        let org = ctx.agent.organization_id;
        let mut notes = Vec::new();
        let mut components = Vec::new();
        for row in self.targets(ctx, &input, &mut notes).await? {
            if row.metadata.get("spec").is_none_or(Value::is_null) {
                notes.push(format!(
                    "{} has no properties or layout on record (synced before they were read): the code has its name only; sync the file for the rest",
                    row.name
                ));
            }
            let spec = spec_of(&row);
            let files = codegen::generate(&spec, &self.config.directory);
            if let Some(main) = files.first() {
                ctx.store
                    .design_components()
                    .mark_code_generated(org, row.id, &main.path)
                    .await?;
            }
            components.push(GeneratedComponent {
                design_component_id: row.id,
                name: codegen::code_name(&row.name),
                files,
            });
        }
        let mut pull_request_task_id = None;
        if self.config.open_pull_requests && !components.is_empty() {
            let target = target(
                ctx,
                self.config.repository.as_deref(),
                self.config.base.as_deref(),
                "component generator",
            )
            .await?;
            let id = task.id.to_string();
            let branch = format!(
                "companyos/components-{}",
                id.get(..8).unwrap_or(id.as_str())
            );
            let mut request = OpenComponentPullRequestTask::request(
                names::COMPONENT_GENERATOR,
                &OpenComponentPullRequest {
                    target,
                    branch,
                    components: components.clone(),
                },
                task.priority,
            );
            request.requires_human_approval = true;
            let spawned = ctx
                .spawn(request, format!("component_pull_request:{}", task.id))
                .await?;
            pull_request_task_id = Some(spawned.id);
        }
        Ok(GeneratedCode {
            components,
            pull_request_task_id,
            notes,
        })
    }

    async fn open_pull_request(
        ctx: &TaskContext,
        input: OpenComponentPullRequest,
    ) -> Result<ComponentPullRequest, TaskFailure> {
        let names: Vec<&str> = input
            .components
            .iter()
            .map(|component| component.name.as_str())
            .collect();
        let title = match names.as_slice() {
            [one] => format!("Add the {one} component from Figma"),
            many => format!("Add {} components from Figma", many.len()),
        };
        let mut body = String::from(
            "Generated by CompanyOS from the design system's Figma components: a React + TypeScript + Tailwind component and a story each.\n\n",
        );
        for component in &input.components {
            body.push_str(&format!("- **{}**:", component.name));
            for file in &component.files {
                body.push_str(&format!(" `{}`", file.path));
            }
            body.push('\n');
        }
        let files: Vec<(String, String)> = input
            .components
            .iter()
            .flat_map(|component| component.files.iter())
            .map(|file| (file.path.clone(), file.contents.clone()))
            .collect();
        let answer = ctx
            .integrations()?
            .github(
                ctx.agent.organization_id,
                GitHubRequest::OpenPullRequest {
                    repository: input.target.repository.clone(),
                    base: input.target.branch.clone(),
                    branch: input.branch.clone(),
                    files,
                    message: title.clone(),
                    title,
                    body,
                },
            )
            .await?;
        match answer {
            GitHubResponse::PullRequestOpened(pull_request) => Ok(ComponentPullRequest {
                repository: input.target.repository,
                number: pull_request.number,
                url: pull_request.html_url,
                branch: input.branch,
            }),
            _ => Err(unexpected()),
        }
    }
}

#[async_trait]
impl Behaviour for ComponentGenerator {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        match task_of::<GeneratorTask>(task, "the component generator")? {
            GeneratorTask::GenerateCode(input) => output(&self.generate(ctx, task, input).await?),
            GeneratorTask::OpenComponentPullRequest(input) => {
                output(&Self::open_pull_request(ctx, input).await?)
            }
        }
    }
}
