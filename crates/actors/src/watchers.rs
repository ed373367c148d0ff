//! The integration watchers: one per service, each reading the events its integration's
//! adapter stores (the normalised payload is the event's metadata) and spawning the
//! tasks the seed describes. Events they do not act on are ignored — stored, never
//! rejected.
//!
//! | watcher          | event                                                   | task (for agent type)                      |
//! |------------------|---------------------------------------------------------|--------------------------------------------|
//! | `github_watcher` | `pull_request.{opened,reopened,synchronize,ready_for_review}` (not a draft) | `analyze_pr` (`code_review`) |
//! |                  | `release.published` (not a draft or a pre-release)     | `draft_post` (`content_writer`)            |
//! | `vercel_watcher` | `vercel.deployment.succeeded`                           | `check_deployment` (`deployment`)          |
//! |                  | `vercel.deployment.error`                               | `analyze_deployment_failure` (`deployment`); in production also `open_incident` (`incident_response`) |
//! | `figma_watcher`  | `figma.library_publish` with new, changed or deleted components | `generate_code` (`component_generator`) for new or changed ones, `check_design_drift` (`design_qa`) |
//! | `slack_watcher`  | `slack.app_mention`, `slack.command`                    | `answer_request` (`notification`)          |
//! | `social_watcher` | `twitter.tweet_create`, LinkedIn notifications          | `draft_reply` (`content`)                  |
//!
//! Each target agent type and priority can be changed in the watcher's configuration
//! (`{"agent_type": "...", "priority": 1..10}`).
//!
//! A watcher also performs its service's sync tasks — `sync_integration`,
//! `sync_repository` (GitHub), `sync_figma_file` (Figma) — by handing them to the
//! integration's adapter ([`IntegrationPort`]), which owns the API client. A sync that
//! leaves narrower ones (GitHub's repositories, Figma's files) writes them as tasks of
//! their own for the same watcher, so each stays short and one failure does not undo
//! the others.

use std::sync::Arc;

use async_trait::async_trait;
use companyos_integrations::normalise::{DomainEvent, VercelOutcome};
use companyos_store::{
    AgentTask, DeploymentId, FigmaFileId, NewTask, ResourceKind, Service, SocialPlatform,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{
    AgentKind, Behaviour, Decide, RoutedEvent, TaskContext, TaskFailure, TaskRequest, input_value,
    output,
};
use crate::code_review::AnalyzePr;
use crate::content::{DraftPost, DraftPostTask, DraftSource};
use crate::deployment::DeploymentRef;
use crate::design::{CheckDesignDrift, CheckDesignDriftTask};
use crate::inputs::{
    DraftReply, FigmaFileSync, GenerateCode, IntegrationSync, RepositorySync, SyncFigmaFile,
    SyncIntegration, SyncRepository, Synced,
};
use crate::names;
use crate::notification::{AnswerRequest, NotifySeverity};
use crate::operations::{IncidentTask, OpenIncident};
use crate::port::{IntegrationPort, SyncRequest};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration};
use crate::task_kind::{TaskKind, task_of};

/// Which service a watcher follows, and what it does about its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watched {
    GitHub,
    Vercel,
    Figma,
    Slack,
    Social,
}

impl Watched {
    fn agent_type(self) -> &'static str {
        match self {
            Watched::GitHub => names::GITHUB_WATCHER,
            Watched::Vercel => names::VERCEL_WATCHER,
            Watched::Figma => names::FIGMA_WATCHER,
            Watched::Slack => names::SLACK_WATCHER,
            Watched::Social => names::SOCIAL_WATCHER,
        }
    }

    /// The watcher of a service's events and syncs.
    pub fn of(service: Service) -> Watched {
        match service {
            Service::Github => Watched::GitHub,
            Service::Vercel => Watched::Vercel,
            Service::Figma => Watched::Figma,
            Service::Slack => Watched::Slack,
            Service::Twitter | Service::Linkedin => Watched::Social,
        }
    }

    /// The agent type of the watcher of `service`.
    pub fn agent_type_of(service: Service) -> &'static str {
        Watched::of(service).agent_type()
    }

    fn default_target(self) -> (&'static str, i32) {
        match self {
            Watched::GitHub => (names::CODE_REVIEW, 7),
            Watched::Vercel => (names::DEPLOYMENT, 8),
            Watched::Figma => (names::COMPONENT_GENERATOR, 5),
            Watched::Slack => (names::NOTIFICATION, 6),
            Watched::Social => (names::CONTENT, 4),
        }
    }

    /// The task types the watcher performs: its service's syncs.
    fn capabilities(self) -> Vec<String> {
        let mut capabilities = vec![names::SYNC_INTEGRATION.to_owned()];
        match self {
            Watched::GitHub => capabilities.push(names::SYNC_REPOSITORY.to_owned()),
            Watched::Figma => capabilities.push(names::SYNC_FIGMA_FILE.to_owned()),
            Watched::Vercel | Watched::Slack | Watched::Social => {}
        }
        capabilities
    }
}

pub fn register(registry: &mut AgentTypeRegistry) {
    for watched in [
        Watched::GitHub,
        Watched::Vercel,
        Watched::Figma,
        Watched::Slack,
        Watched::Social,
    ] {
        let (agent_type, priority) = watched.default_target();
        registry.register(
            AgentType::configured(
                watched.agent_type(),
                AgentKind::Watcher,
                watched.capabilities(),
                move |config| Box::new(ServiceWatcher::new(watched, config)),
            )
            .with_default(json!({"agent_type": agent_type, "priority": priority})),
        );
    }
}

/// What a watcher gives its events' main task to.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct WatcherConfig {
    /// The agent type that gets the main task of each event (the service's usual one
    /// when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 100))]
    pub agent_type: Option<String>,
    /// The priority of those tasks, 1 (lowest) to 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(range(min = 1, max = 10))]
    pub priority: Option<i32>,
}

impl Configuration for WatcherConfig {}

impl Watched {
    /// The services this watcher syncs.
    fn services(self) -> &'static [Service] {
        match self {
            Watched::GitHub => &[Service::Github],
            Watched::Vercel => &[Service::Vercel],
            Watched::Figma => &[Service::Figma],
            Watched::Slack => &[Service::Slack],
            Watched::Social => &[Service::Twitter, Service::Linkedin],
        }
    }
}

/// A watcher of one service.
#[derive(Clone, Debug)]
pub struct ServiceWatcher {
    watched: Watched,
    agent_type: String,
    priority: i32,
}

impl ServiceWatcher {
    pub fn new(watched: Watched, config: WatcherConfig) -> ServiceWatcher {
        let (agent_type, priority) = watched.default_target();
        ServiceWatcher {
            watched,
            agent_type: config.agent_type.unwrap_or_else(|| agent_type.to_owned()),
            priority: config.priority.unwrap_or(priority),
        }
    }

    fn task(
        &self,
        task_type: &str,
        priority: i32,
        input: &impl serde::Serialize,
    ) -> Vec<TaskRequest> {
        vec![TaskRequest::new(
            self.agent_type.clone(),
            task_type,
            input,
            priority,
        )]
    }

    /// The tasks an event calls for (pure: the rules of the table above), read from
    /// its typed payload.
    pub fn decide(&self, event: &RoutedEvent) -> Vec<TaskRequest> {
        let Some(domain) = event.event() else {
            return Vec::new();
        };
        let event_id = event.row.id;
        match (self.watched, domain) {
            (Watched::GitHub, DomainEvent::PullRequest { .. }) => {
                match AnalyzePr::from_event(event) {
                    Some(review) => self.task(names::ANALYZE_PR, self.priority, &review),
                    None => Vec::new(),
                }
            }
            // A published release (not a draft or a pre-release) is news: the content
            // writer drafts posts about it, which wait for a person's approval.
            (
                Watched::GitHub,
                DomainEvent::Release {
                    action,
                    repository,
                    release,
                },
            ) if action == "published"
                && release.draft != Some(true)
                && release.prerelease != Some(true) =>
            {
                let (Some(repository), Some(tag)) = (
                    repository
                        .as_ref()
                        .and_then(|repository| repository.full_name.clone()),
                    release.tag_name.clone(),
                ) else {
                    return Vec::new();
                };
                let input = DraftPost {
                    source: DraftSource::Release {
                        repository,
                        tag,
                        name: release.name.clone(),
                        url: release.html_url.clone(),
                        notes: release.body.clone(),
                    },
                    event_id: Some(event_id),
                };
                vec![DraftPostTask::request(names::CONTENT_WRITER, &input, 4)]
            }
            (
                Watched::Vercel,
                DomainEvent::VercelDeployment {
                    outcome,
                    deployment,
                    ..
                },
            ) => {
                let reference = DeploymentRef {
                    deployment_id: event.resource(ResourceKind::Deployment).map(DeploymentId),
                    vercel_deployment_id: deployment.id.clone(),
                    url: deployment.url.clone(),
                    project: deployment.name.clone(),
                };
                match outcome {
                    VercelOutcome::Succeeded => {
                        self.task(names::CHECK_DEPLOYMENT, self.priority, &reference)
                    }
                    VercelOutcome::Error => {
                        let production = deployment.target.as_deref() == Some("production");
                        let project = deployment.name.as_deref().unwrap_or("a project");
                        let mut tasks = self.task(
                            names::ANALYZE_DEPLOYMENT_FAILURE,
                            (self.priority + 1).min(10),
                            &reference,
                        );
                        // A production deployment that failed is an incident.
                        if production {
                            let incident = OpenIncident {
                                reason: format!("the production deployment of {project} failed"),
                                deployment: reference,
                                severity: NotifySeverity::Critical,
                            };
                            tasks.push(IncidentTask::request(
                                names::INCIDENT_RESPONSE,
                                &incident,
                                10,
                            ));
                        }
                        tasks
                    }
                    _ => Vec::new(),
                }
            }
            (Watched::Figma, DomainEvent::Figma { figma_event, file })
                if figma_event.eq_ignore_ascii_case("library_publish") =>
            {
                let figma_file_id = event.resource(ResourceKind::FigmaFile).map(FigmaFileId);
                let mut tasks = Vec::new();
                if !file.created_components.is_empty() || !file.modified_components.is_empty() {
                    let input = GenerateCode {
                        event_id: Some(event_id),
                        figma_file_id,
                        file_key: file.file_key.clone(),
                        created_components: file.created_components.clone(),
                        modified_components: file.modified_components.clone(),
                        ..GenerateCode::default()
                    };
                    tasks = self.task(names::GENERATE_CODE, self.priority, &input);
                }
                // Whatever the publish changed, the design QA agent compares again.
                if !tasks.is_empty() || !file.deleted_components.is_empty() {
                    tasks.push(CheckDesignDriftTask::request(
                        names::DESIGN_QA,
                        &CheckDesignDrift {
                            figma_file_id,
                            event_id: Some(event_id),
                        },
                        self.priority,
                    ));
                }
                tasks
            }
            (
                Watched::Slack,
                DomainEvent::Slack {
                    slack_event,
                    message,
                },
            ) if matches!(slack_event.as_str(), "app_mention" | "command") => {
                let input = AnswerRequest {
                    channel: message.channel.clone(),
                    user: message.user.clone(),
                    text: message.text.clone(),
                    thread_ts: message.thread_ts.clone(),
                    ts: message.ts.clone(),
                    command: message.command.clone(),
                };
                self.task(names::ANSWER_REQUEST, self.priority, &input)
            }
            (
                Watched::Social,
                DomainEvent::Twitter {
                    posts, activities, ..
                },
            ) if activities
                .iter()
                .any(|activity| activity == "tweet_create_events") =>
            {
                if posts.is_empty() {
                    return Vec::new();
                }
                let input = DraftReply {
                    platform: SocialPlatform::Twitter,
                    event_id: Some(event_id),
                    posts: posts.clone(),
                    notification_type: None,
                    notification_id: None,
                };
                self.task(names::DRAFT_REPLY, self.priority, &input)
            }
            (
                Watched::Social,
                DomainEvent::LinkedIn {
                    notification_type,
                    notification_id,
                    ..
                },
            ) => {
                let input = DraftReply {
                    platform: SocialPlatform::Linkedin,
                    event_id: Some(event_id),
                    posts: Vec::new(),
                    notification_type: notification_type.clone(),
                    notification_id: notification_id.clone(),
                };
                self.task(names::DRAFT_REPLY, self.priority, &input)
            }
            _ => Vec::new(),
        }
    }
}

impl Decide for ServiceWatcher {
    fn decide(&self, event: &RoutedEvent) -> Vec<TaskRequest> {
        ServiceWatcher::decide(self, event)
    }
}

#[async_trait]
impl Behaviour for ServiceWatcher {
    fn kind(&self) -> AgentKind {
        AgentKind::Watcher
    }

    fn decider(&self) -> Option<Arc<dyn Decide>> {
        Some(Arc::new(self.clone()))
    }

    async fn on_event(
        &mut self,
        _context: &TaskContext,
        event: &RoutedEvent,
    ) -> Result<Vec<TaskRequest>, TaskFailure> {
        Ok(self.decide(event))
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let request = self.sync_request(task)?;
        let port: &dyn IntegrationPort = context.integrations.as_deref().ok_or_else(|| {
            TaskFailure::Permanent("no integration adapters run beside this agent".into())
        })?;
        let report = port.sync(context.agent.organization_id, request).await?;
        let mut follow_up = Vec::new();
        for narrower in &report.follow_up {
            let (task_type, key, input) = match narrower {
                SyncRequest::Repository { repository_id } => (
                    RepositorySync::NAME,
                    repository_id.to_string(),
                    input_value(&SyncRepository {
                        repository_id: *repository_id,
                        full_name: None,
                    }),
                ),
                SyncRequest::FigmaFile { figma_file_id } => (
                    FigmaFileSync::NAME,
                    figma_file_id.to_string(),
                    input_value(&SyncFigmaFile {
                        figma_file_id: *figma_file_id,
                        figma_file_key: None,
                    }),
                ),
                SyncRequest::Integration { .. } => continue,
            };
            let mut new = NewTask::new(context.agent.organization_id, context.agent.id, task_type);
            new.description = Some(format!("{task_type} (from task {})", task.id));
            new.priority = task.priority;
            new.input = Some(input);
            // A retried parent finds the children it already wrote.
            new.idempotency_key = Some(format!("{}:{key}", task.id));
            let enqueued = context.queue.enqueue(new).await.map_err(|error| {
                TaskFailure::Retryable(format!("follow-up sync not queued: {error}"))
            })?;
            follow_up.push(enqueued.task.id);
        }
        output(&Synced {
            service: report.service,
            synced: report
                .synced
                .into_iter()
                .map(|(kind, count)| (kind.to_owned(), count))
                .collect(),
            notes: report.notes,
            follow_up_tasks: follow_up,
        })
    }
}

/// The sync tasks a watcher performs, each with its input.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input")]
enum SyncTask {
    #[serde(rename = "sync_integration")]
    Integration(SyncIntegration),
    #[serde(rename = "sync_repository")]
    Repository(SyncRepository),
    #[serde(rename = "sync_figma_file")]
    FigmaFile(SyncFigmaFile),
}

impl SyncTask {
    const NAMES: [&'static str; 3] = [
        IntegrationSync::NAME,
        RepositorySync::NAME,
        FigmaFileSync::NAME,
    ];
}

impl ServiceWatcher {
    /// What a sync task asks for, from its type and typed input.
    fn sync_request(&self, task: &AgentTask) -> Result<SyncRequest, TaskFailure> {
        let services = self.watched.services();
        let refused = || {
            TaskFailure::Permanent(format!(
                "the {} performs sync tasks ({}{}), not {}",
                self.watched.agent_type(),
                names::SYNC_INTEGRATION,
                match self.watched {
                    Watched::GitHub => ", sync_repository",
                    Watched::Figma => ", sync_figma_file",
                    _ => "",
                },
                task.task_type
            ))
        };
        // Not a sync at all: say which syncs this watcher performs.
        if !SyncTask::NAMES.contains(&task.task_type.as_str()) {
            return Err(refused());
        }
        let request = match task_of::<SyncTask>(task, self.watched.agent_type())? {
            SyncTask::Integration(sync) => SyncRequest::Integration {
                service: sync.service.unwrap_or(services[0]),
            },
            SyncTask::Repository(sync) if self.watched == Watched::GitHub => {
                SyncRequest::Repository {
                    repository_id: sync.repository_id,
                }
            }
            SyncTask::FigmaFile(sync) if self.watched == Watched::Figma => SyncRequest::FigmaFile {
                figma_file_id: sync.figma_file_id,
            },
            SyncTask::Repository(_) | SyncTask::FigmaFile(_) => return Err(refused()),
        };
        if let SyncRequest::Integration { service } = &request
            && !services.contains(service)
        {
            return Err(TaskFailure::Permanent(format!(
                "the {} does not sync {service}",
                self.watched.agent_type()
            )));
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use companyos_integrations::normalise::{EventPayload, normalise};
    use companyos_store::{DeliveryId, Event, EventId, OrgId, now};

    /// A delivery's body as the adapter stores it and the router hands it over.
    fn routed(service: Service, github_event: Option<&str>, body: Value) -> RoutedEvent {
        let normalised = normalise(service, github_event, &body);
        let row = Event {
            id: EventId::new(),
            organization_id: OrgId::new(),
            event_type: normalised.event_type,
            event_source: service.as_str().into(),
            actor_type: None,
            actor_id: None,
            resource_type: None,
            resource_id: None,
            metadata: EventPayload::new(Some(DeliveryId::new()), None, normalised.event)
                .to_metadata(),
            routed_at: None,
            created_at: now(),
        };
        RoutedEvent::read(row)
    }

    #[test]
    fn an_opened_pull_request_is_analysed_but_a_draft_or_a_push_is_not() {
        let watcher = ServiceWatcher::new(Watched::GitHub, WatcherConfig::default());
        let opened = routed(
            Service::Github,
            Some("pull_request"),
            json!({"action": "opened", "pull_request": {"number": 1, "draft": false, "head": {"sha": "abc"}}, "repository": {"full_name": "a/b"}}),
        );
        let tasks = watcher.decide(&opened);
        assert_eq!(tasks.len(), 1);
        assert_eq!(
            (
                tasks[0].assign_to_type.as_str(),
                tasks[0].task_type.as_str()
            ),
            (names::CODE_REVIEW, names::ANALYZE_PR)
        );
        let review: AnalyzePr = serde_json::from_value(tasks[0].input.clone()).expect("typed");
        assert_eq!(
            (
                review.repository.as_str(),
                review.number,
                review.head_sha.as_deref()
            ),
            ("a/b", 1, Some("abc"))
        );
        assert_eq!(review.event_id, Some(opened.row.id));
        assert!(review.delivery_id.is_some());
        let draft = routed(
            Service::Github,
            Some("pull_request"),
            json!({"action": "opened", "pull_request": {"number": 2, "draft": true}, "repository": {"full_name": "a/b"}}),
        );
        assert!(watcher.decide(&draft).is_empty());
        let nameless = routed(
            Service::Github,
            Some("pull_request"),
            json!({"action": "opened", "pull_request": {"number": 3}}),
        );
        assert!(
            watcher.decide(&nameless).is_empty(),
            "no repository: no review to ask for"
        );
        assert!(
            watcher
                .decide(&routed(Service::Github, Some("push"), json!({})))
                .is_empty()
        );
        let vercel = routed(
            Service::Vercel,
            None,
            json!({"type": "deployment.succeeded", "payload": {}}),
        );
        assert!(
            watcher.decide(&vercel).is_empty(),
            "another service's event"
        );
    }

    #[test]
    fn configuration_chooses_the_target_and_priority() {
        let watcher = ServiceWatcher::new(
            Watched::Vercel,
            WatcherConfig::read(&json!({"agent_type": "release_guard", "priority": 3}))
                .expect("a valid configuration"),
        );
        let failed = routed(
            Service::Vercel,
            None,
            json!({"type": "deployment.error", "payload": {"deployment": {"id": "dpl_1", "name": "web"}, "target": "production"}}),
        );
        let tasks = watcher.decide(&failed);
        assert_eq!(tasks[0].assign_to_type, "release_guard");
        assert_eq!(tasks[0].task_type, names::ANALYZE_DEPLOYMENT_FAILURE);
        assert_eq!(
            tasks[0].priority, 4,
            "failures one above the configured priority"
        );
        let reference: DeploymentRef =
            serde_json::from_value(tasks[0].input.clone()).expect("typed");
        assert_eq!(reference.vercel_deployment_id.as_deref(), Some("dpl_1"));
        assert_eq!(
            tasks.get(1).map(|task| task.task_type.as_str()),
            Some(names::OPEN_INCIDENT),
            "a failed production deployment is an incident"
        );
        assert!(
            watcher
                .decide(&routed(
                    Service::Vercel,
                    None,
                    json!({"type": "deployment.created", "payload": {}})
                ))
                .is_empty()
        );
    }

    #[test]
    fn figma_slack_and_social_rules() {
        let figma = ServiceWatcher::new(Watched::Figma, WatcherConfig::default());
        let publish = |created: Value| {
            routed(
                Service::Figma,
                None,
                json!({"event_type": "LIBRARY_PUBLISH", "file_key": "k", "created_components": created, "modified_components": []}),
            )
        };
        let tasks = figma.decide(&publish(json!([{"key": "1", "name": "Button"}])));
        assert_eq!(tasks.len(), 2);
        let input: GenerateCode = serde_json::from_value(tasks[0].input.clone()).expect("typed");
        assert_eq!(input.created_components, vec!["Button".to_owned()]);
        assert_eq!(
            (
                tasks[1].assign_to_type.as_str(),
                tasks[1].task_type.as_str()
            ),
            (names::DESIGN_QA, names::CHECK_DESIGN_DRIFT)
        );
        let deleted = routed(
            Service::Figma,
            None,
            json!({"event_type": "LIBRARY_PUBLISH", "file_key": "k", "deleted_components": [{"key": "2", "name": "Slider"}]}),
        );
        let tasks = figma.decide(&deleted);
        assert_eq!(tasks.len(), 1, "only the drift check: {tasks:?}");
        assert_eq!(tasks[0].task_type, names::CHECK_DESIGN_DRIFT);
        assert!(figma.decide(&publish(json!([]))).is_empty());
        let slack = ServiceWatcher::new(Watched::Slack, WatcherConfig::default());
        let mention = routed(
            Service::Slack,
            None,
            json!({"type": "event_callback", "event": {"type": "app_mention", "text": "hi", "channel": "C1"}}),
        );
        assert_eq!(slack.decide(&mention)[0].input["text"], "hi");
        let message = routed(
            Service::Slack,
            None,
            json!({"type": "event_callback", "event": {"type": "message", "text": "hi"}}),
        );
        assert!(slack.decide(&message).is_empty());
        let social = ServiceWatcher::new(Watched::Social, WatcherConfig::default());
        let tweets = |events: Value| {
            routed(
                Service::Twitter,
                None,
                json!({"for_user_id": "1", "tweet_create_events": events}),
            )
        };
        assert!(social.decide(&tweets(json!([]))).is_empty());
        let tasks = social.decide(&tweets(json!([{"id_str": "9", "text": "hello"}])));
        assert_eq!(tasks.len(), 1);
        let draft: DraftReply = serde_json::from_value(tasks[0].input.clone()).expect("typed");
        assert_eq!(draft.platform, SocialPlatform::Twitter);
        assert_eq!(draft.posts[0].text.as_deref(), Some("hello"));
    }

    #[test]
    fn an_event_without_a_typed_payload_asks_for_nothing() {
        let mut event = routed(Service::Github, Some("pull_request"), json!({}));
        event.row.metadata = json!({"action": "opened"});
        let event = RoutedEvent::read(event.row);
        assert!(event.payload.is_none());
        let watcher = ServiceWatcher::new(Watched::GitHub, WatcherConfig::default());
        assert!(watcher.decide(&event).is_empty());
    }
}
