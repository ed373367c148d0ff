//! The integration watchers: one per service, each reading the events its integration's
//! adapter stores (the normalised payload is the event's metadata) and spawning the
//! tasks the seed describes. Events they do not act on are ignored — stored, never
//! rejected.
//!
//! | watcher          | event                                                   | task (for agent type)                      |
//! |------------------|---------------------------------------------------------|--------------------------------------------|
//! | `github_watcher` | `pull_request.{opened,reopened,synchronize,ready_for_review}` (not a draft) | `analyze_pr` (`code_review`) |
//! | `vercel_watcher` | `vercel.deployment.succeeded`                           | `check_deployment` (`deployment`)          |
//! |                  | `vercel.deployment.error`                               | `analyze_deployment_failure` (`deployment`); in production also `open_incident` (`incident_response`) |
//! | `figma_watcher`  | `figma.library_publish` with new or changed components | `generate_code` (`component_generator`)    |
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
use companyos_store::{AgentTask, Event, NewTask, Service};
use serde_json::{Value, json};

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, TaskRequest};
use crate::port::{IntegrationPort, SyncRequest};
use crate::registry::{AgentType, AgentTypeRegistry};

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
            Watched::GitHub => "github_watcher",
            Watched::Vercel => "vercel_watcher",
            Watched::Figma => "figma_watcher",
            Watched::Slack => "slack_watcher",
            Watched::Social => "social_watcher",
        }
    }

    fn default_target(self) -> (&'static str, i32) {
        match self {
            Watched::GitHub => ("code_review", 7),
            Watched::Vercel => ("deployment", 8),
            Watched::Figma => ("component_generator", 5),
            Watched::Slack => ("notification", 6),
            Watched::Social => ("content", 4),
        }
    }

    fn capability(self) -> &'static str {
        match self {
            Watched::GitHub => "watch_github",
            Watched::Vercel => "watch_vercel",
            Watched::Figma => "watch_figma",
            Watched::Slack => "watch_slack",
            Watched::Social => "watch_social",
        }
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
        registry.register(AgentType {
            name: watched.agent_type().into(),
            kind: AgentKind::Watcher,
            capabilities: vec![watched.capability().into()],
            default_configuration: json!({"agent_type": agent_type, "priority": priority}),
            factory: Arc::new(move |configuration| {
                Box::new(ServiceWatcher::new(watched, configuration))
            }),
        });
    }
}

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
pub struct ServiceWatcher {
    watched: Watched,
    agent_type: String,
    priority: i32,
}

impl ServiceWatcher {
    pub fn new(watched: Watched, configuration: &Value) -> ServiceWatcher {
        let (agent_type, priority) = watched.default_target();
        ServiceWatcher {
            watched,
            agent_type: configuration
                .get("agent_type")
                .and_then(Value::as_str)
                .filter(|name| !name.is_empty())
                .unwrap_or(agent_type)
                .to_owned(),
            priority: configuration
                .get("priority")
                .and_then(Value::as_i64)
                .and_then(|priority| i32::try_from(priority).ok())
                .filter(|priority| (1..=10).contains(priority))
                .unwrap_or(priority),
        }
    }

    fn task(&self, task_type: &str, priority: i32, input: Value) -> Vec<TaskRequest> {
        vec![TaskRequest {
            assign_to_type: self.agent_type.clone(),
            task_type: task_type.into(),
            input,
            priority,
            requires_human_approval: false,
        }]
    }

    /// The tasks an event calls for (pure: the rules of the table above).
    pub fn decide(&self, event: &Event) -> Vec<TaskRequest> {
        let metadata = &event.metadata;
        let at = |pointer: &str| metadata.pointer(pointer).cloned().unwrap_or(Value::Null);
        match (self.watched, event.event_source.as_str()) {
            (Watched::GitHub, "github") => {
                let wanted = matches!(
                    event.event_type.as_str(),
                    "pull_request.opened"
                        | "pull_request.reopened"
                        | "pull_request.synchronize"
                        | "pull_request.ready_for_review"
                );
                let draft = metadata.pointer("/pull_request/draft") == Some(&Value::Bool(true));
                if !wanted || draft {
                    return Vec::new();
                }
                self.task(
                    "analyze_pr",
                    self.priority,
                    json!({
                        "event_id": event.id,
                        "delivery_id": at("/delivery_id"),
                        "pull_request_id": event.resource_id,
                        "repository": at("/repository/full_name"),
                        "number": at("/pull_request/number"),
                        "title": at("/pull_request/title"),
                        "head_sha": at("/pull_request/head/sha"),
                        "html_url": at("/pull_request/html_url"),
                        "action": at("/action"),
                    }),
                )
            }
            (Watched::Vercel, "vercel") => {
                let input = json!({
                    "event_id": event.id,
                    "deployment_id": event.resource_id,
                    "vercel_deployment_id": at("/deployment/id"),
                    "project": at("/deployment/name"),
                    "url": at("/deployment/url"),
                    "target": at("/deployment/target"),
                    "commit_sha": at("/deployment/commit_sha"),
                });
                match event.event_type.as_str() {
                    "vercel.deployment.succeeded" => {
                        self.task("check_deployment", self.priority, input)
                    }
                    "vercel.deployment.error" => {
                        let production = at("/deployment/target") == json!("production");
                        let project = at("/deployment/name");
                        let incident = crate::operations::OpenIncident {
                            deployment: crate::deployment::DeploymentRef {
                                deployment_id: event.resource_id.map(companyos_store::DeploymentId),
                                vercel_deployment_id: at("/deployment/id")
                                    .as_str()
                                    .map(str::to_owned),
                                url: at("/deployment/url").as_str().map(str::to_owned),
                                project: project.as_str().map(str::to_owned),
                            },
                            reason: format!(
                                "the production deployment of {} failed",
                                project.as_str().unwrap_or("a project")
                            ),
                            severity: crate::notification::NotifySeverity::Critical,
                        };
                        let mut tasks = self.task(
                            "analyze_deployment_failure",
                            (self.priority + 1).min(10),
                            input,
                        );
                        // A production deployment that failed is an incident.
                        if production {
                            tasks.push(TaskRequest {
                                assign_to_type: crate::operations::names::INCIDENT_RESPONSE.into(),
                                task_type: crate::operations::names::OPEN_INCIDENT.into(),
                                input: serde_json::to_value(incident).unwrap_or(Value::Null),
                                priority: 10,
                                requires_human_approval: false,
                            });
                        }
                        tasks
                    }
                    _ => Vec::new(),
                }
            }
            (Watched::Figma, "figma") if event.event_type == "figma.library_publish" => {
                let changed = |field: &str| {
                    metadata
                        .pointer(&format!("/file/{field}"))
                        .and_then(Value::as_array)
                        .is_some_and(|items| !items.is_empty())
                };
                if !changed("created_components") && !changed("modified_components") {
                    return Vec::new();
                }
                self.task(
                    "generate_code",
                    self.priority,
                    json!({
                        "event_id": event.id,
                        "figma_file_id": event.resource_id,
                        "file_key": at("/file/file_key"),
                        "created_components": at("/file/created_components"),
                        "modified_components": at("/file/modified_components"),
                    }),
                )
            }
            (Watched::Slack, "slack")
                if matches!(
                    event.event_type.as_str(),
                    "slack.app_mention" | "slack.command"
                ) =>
            {
                self.task(
                    "answer_request",
                    self.priority,
                    json!({
                        "event_id": event.id,
                        "channel": at("/message/channel"),
                        "user": at("/message/user"),
                        "text": at("/message/text"),
                        "thread_ts": at("/message/thread_ts"),
                        "ts": at("/message/ts"),
                        "command": at("/message/command"),
                    }),
                )
            }
            (Watched::Social, "twitter") if event.event_type == "twitter.tweet_create" => {
                let posts = metadata
                    .get("posts")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if posts == 0 {
                    return Vec::new();
                }
                self.task(
                    "draft_reply",
                    self.priority,
                    json!({"event_id": event.id, "platform": "twitter", "posts": at("/posts")}),
                )
            }
            (Watched::Social, "linkedin") => self.task(
                "draft_reply",
                self.priority,
                json!({
                    "event_id": event.id,
                    "platform": "linkedin",
                    "notification_type": at("/notification_type"),
                    "notification_id": at("/notification_id"),
                }),
            ),
            _ => Vec::new(),
        }
    }
}

#[async_trait]
impl Behaviour for ServiceWatcher {
    fn kind(&self) -> AgentKind {
        AgentKind::Watcher
    }

    async fn on_event(
        &mut self,
        _context: &TaskContext,
        event: &Event,
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
                    "sync_repository",
                    repository_id.to_string(),
                    json!({"repository_id": repository_id}),
                ),
                SyncRequest::FigmaFile { figma_file_id } => (
                    "sync_figma_file",
                    figma_file_id.to_string(),
                    json!({"figma_file_id": figma_file_id}),
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
        Ok(Some(json!({
            "service": report.service,
            "synced": report.synced,
            "notes": report.notes,
            "follow_up_tasks": follow_up,
        })))
    }
}

impl ServiceWatcher {
    /// What a sync task asks for, from its type and input.
    fn sync_request(&self, task: &AgentTask) -> Result<SyncRequest, TaskFailure> {
        let input = task.input_data.clone().unwrap_or(Value::Null);
        let field = |name: &str| {
            input.get(name).cloned().ok_or_else(|| {
                TaskFailure::Permanent(format!(
                    "a {} task needs {name:?} in its input",
                    task.task_type
                ))
            })
        };
        let services = self.watched.services();
        let request = match task.task_type.as_str() {
            "sync_integration" => {
                let service = match input.get("service").and_then(Value::as_str) {
                    Some(name) => name.parse::<Service>().map_err(|_| {
                        TaskFailure::Permanent(format!("no service {name:?} to sync"))
                    })?,
                    None => services[0],
                };
                SyncRequest::Integration { service }
            }
            "sync_repository" if self.watched == Watched::GitHub => SyncRequest::Repository {
                repository_id: serde_json::from_value(field("repository_id")?)
                    .map_err(|error| TaskFailure::Permanent(format!("repository_id: {error}")))?,
            },
            "sync_figma_file" if self.watched == Watched::Figma => SyncRequest::FigmaFile {
                figma_file_id: serde_json::from_value(field("figma_file_id")?)
                    .map_err(|error| TaskFailure::Permanent(format!("figma_file_id: {error}")))?,
            },
            other => {
                return Err(TaskFailure::Permanent(format!(
                    "the {} performs sync tasks (sync_integration{}), not {other}",
                    self.watched.agent_type(),
                    match self.watched {
                        Watched::GitHub => ", sync_repository",
                        Watched::Figma => ", sync_figma_file",
                        _ => "",
                    }
                )));
            }
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
    use companyos_store::{EventId, OrgId, now};

    fn event(source: &str, event_type: &str, metadata: Value) -> Event {
        Event {
            id: EventId::new(),
            organization_id: OrgId::new(),
            event_type: event_type.into(),
            event_source: source.into(),
            actor_type: None,
            actor_id: None,
            resource_type: None,
            resource_id: None,
            metadata,
            routed_at: None,
            created_at: now(),
        }
    }

    #[test]
    fn an_opened_pull_request_is_analysed_but_a_draft_or_a_push_is_not() {
        let watcher = ServiceWatcher::new(Watched::GitHub, &json!({}));
        let opened = event(
            "github",
            "pull_request.opened",
            json!({"pull_request": {"number": 1, "draft": false}, "repository": {"full_name": "a/b"}}),
        );
        let tasks = watcher.decide(&opened);
        assert_eq!(tasks.len(), 1);
        assert_eq!(
            (
                tasks[0].assign_to_type.as_str(),
                tasks[0].task_type.as_str()
            ),
            ("code_review", "analyze_pr")
        );
        assert_eq!(tasks[0].input["repository"], "a/b");
        let draft = event(
            "github",
            "pull_request.opened",
            json!({"pull_request": {"draft": true}}),
        );
        assert!(watcher.decide(&draft).is_empty());
        assert!(
            watcher
                .decide(&event("github", "push", json!({})))
                .is_empty()
        );
        assert!(
            watcher
                .decide(&event("vercel", "pull_request.opened", json!({})))
                .is_empty(),
            "another service's event of the same name"
        );
    }

    #[test]
    fn configuration_chooses_the_target_and_priority() {
        let watcher = ServiceWatcher::new(
            Watched::Vercel,
            &json!({"agent_type": "release_guard", "priority": 3}),
        );
        let tasks = watcher.decide(&event("vercel", "vercel.deployment.error", json!({})));
        assert_eq!(tasks[0].assign_to_type, "release_guard");
        assert_eq!(tasks[0].task_type, "analyze_deployment_failure");
        assert_eq!(
            tasks[0].priority, 4,
            "failures one above the configured priority"
        );
        assert!(
            watcher
                .decide(&event("vercel", "vercel.deployment.created", json!({})))
                .is_empty()
        );
    }

    #[test]
    fn figma_slack_and_social_rules() {
        let figma = ServiceWatcher::new(Watched::Figma, &json!({}));
        let publish = |created: Value| {
            event(
                "figma",
                "figma.library_publish",
                json!({"file": {"created_components": created, "modified_components": []}}),
            )
        };
        assert_eq!(figma.decide(&publish(json!(["Button"]))).len(), 1);
        assert!(figma.decide(&publish(json!([]))).is_empty());
        let slack = ServiceWatcher::new(Watched::Slack, &json!({}));
        assert_eq!(
            slack.decide(&event(
                "slack",
                "slack.app_mention",
                json!({"message": {"text": "hi"}})
            ))[0]
                .input["text"],
            "hi"
        );
        assert!(
            slack
                .decide(&event("slack", "slack.message", json!({})))
                .is_empty()
        );
        let social = ServiceWatcher::new(Watched::Social, &json!({}));
        assert!(
            social
                .decide(&event(
                    "twitter",
                    "twitter.tweet_create",
                    json!({"posts": []})
                ))
                .is_empty()
        );
        assert_eq!(
            social
                .decide(&event(
                    "twitter",
                    "twitter.tweet_create",
                    json!({"posts": [{"id": "1"}]})
                ))
                .len(),
            1
        );
    }
}
