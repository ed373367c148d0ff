//! The `notification` agent (executor): what CompanyOS has to tell a team, in Slack,
//! through the organization's Slack adapter (its bot token).
//!
//! - `notify` posts a notice (title, text, severity, link) with Slack blocks to the
//!   channel its routing rules choose: the input's own channel, else the first rule
//!   whose kinds and minimum severity match, else the default channel.
//! - `request_approval` posts a task that waits for a person's approval with Approve
//!   and Reject buttons; a click comes back as Slack's signed interaction and is checked
//!   against the permission matrix before anything changes.
//! - `answer_request` answers a mention or a slash command in its thread, from the
//!   store: `status`, `deployments`, `approvals`, `review <pull request URL>`, `help`.
//!
//! Configuration: `{"default_channel": "C…", "approvals_channel": "C…", "routes":
//! [{"kinds": ["deployment.*"], "min_severity": "high", "channel": "C…"}]}`.

use async_trait::async_trait;
use companyos_integrations::clients::slack::SlackMessage;
use companyos_store::{AgentTask, PageRequest, TaskId, TaskStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::port::{SlackRequest, SlackResponse};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration};
use crate::task_kind::{TaskKind, task_of};

use crate::names;

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(AgentType::configured(
        names::NOTIFICATION,
        AgentKind::Executor,
        vec![
            names::NOTIFY.into(),
            names::REQUEST_APPROVAL.into(),
            names::ANSWER_REQUEST.into(),
        ],
        |config| Box::new(Notification::new(config)),
    ));
}

/// How much a notice matters.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotifySeverity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl NotifySeverity {
    /// The priority of the `notify` task carrying a notice of this severity.
    pub fn priority(self) -> i32 {
        match self {
            NotifySeverity::Info | NotifySeverity::Low => 4,
            NotifySeverity::Medium => 6,
            NotifySeverity::High => 8,
            NotifySeverity::Critical => 10,
        }
    }

    fn marker(self) -> &'static str {
        match self {
            NotifySeverity::Info => ":information_source:",
            NotifySeverity::Low => ":large_blue_circle:",
            NotifySeverity::Medium => ":large_yellow_circle:",
            NotifySeverity::High => ":large_orange_circle:",
            NotifySeverity::Critical => ":red_circle:",
        }
    }
}

/// The input of `notify`, as every producer writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notify {
    /// What happened, dotted: `deployment.unhealthy`, `security.blocked`… Routing rules
    /// match on it.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub severity: NotifySeverity,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// A channel that overrides the routing rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Lists under headings (a standup's merged pull requests…), each a Slack section.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<NoticeSection>,
}

/// A list under a heading, in a notice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeSection {
    pub heading: String,
    pub lines: Vec<String>,
}

impl Notify {
    /// The `notify` task that carries this notice to the organization's notification
    /// agent, at its severity's priority.
    pub fn task(&self) -> crate::behaviour::TaskRequest {
        NotifyTask::request(names::NOTIFICATION, self, self.severity.priority())
    }
}

/// The input of `request_approval`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestApproval {
    pub task_id: TaskId,
}

/// The input of `answer_request`, as the Slack watcher writes it from a mention or a
/// slash command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRequest {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thread_ts: Option<String>,
    #[serde(default)]
    pub ts: Option<String>,
    #[serde(default)]
    pub command: Option<String>,
}

/// A rule that sends some notices to a channel of their own.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Route {
    /// The kinds of notice it takes (`deployment.*` takes every deployment notice; none
    /// takes every kind).
    #[garde(length(max = 50), inner(length(min = 1, max = 100)))]
    pub kinds: Vec<String>,
    /// The least severity it takes.
    #[garde(skip)]
    pub min_severity: NotifySeverity,
    /// The Slack channel (its id, such as C0123456789, or #name).
    #[garde(length(min = 1, max = 100))]
    pub channel: String,
}

impl Route {
    fn matches(&self, notice: &Notify) -> bool {
        notice.severity >= self.min_severity
            && (self.kinds.is_empty()
                || self
                    .kinds
                    .iter()
                    .any(|pattern| kind_matches(pattern, &notice.kind)))
    }
}

/// `deployment.*` matches `deployment.failed`; `*` matches everything.
fn kind_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

/// Where the notification agent posts notices and approval requests.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationConfig {
    /// The Slack channel notices go to when no route takes them.
    #[garde(length(max = 100))]
    pub default_channel: Option<String>,
    /// The Slack channel approval requests go to (the default channel when unset).
    #[garde(length(max = 100))]
    pub approvals_channel: Option<String>,
    /// Rules, first match wins, that send some notices elsewhere.
    #[garde(length(max = 50), dive)]
    pub routes: Vec<Route>,
}

impl Configuration for NotificationConfig {}

impl NotificationConfig {
    fn channel_for(&self, notice: &Notify) -> Option<String> {
        notice
            .channel
            .clone()
            .or_else(|| {
                self.routes
                    .iter()
                    .find(|route| route.matches(notice))
                    .map(|route| route.channel.clone())
            })
            .or_else(|| self.default_channel.clone())
            .filter(|channel| !channel.trim().is_empty())
    }
}

/// Whether a notification agent of this configuration posts approval requests (it has
/// a channel for them).
pub fn posts_approvals(configuration: &Value) -> bool {
    NotificationConfig::read(configuration)
        .ok()
        .and_then(|config| config.approvals_channel.or(config.default_channel))
        .is_some_and(|channel| !channel.trim().is_empty())
}

/// The Slack blocks of a notice.
pub fn notice_blocks(notice: &Notify) -> Value {
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": format!("{} *{}*", notice.severity.marker(), escape(&notice.title))}
    })];
    if !notice.text.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": escape(&crate::review::redact(&notice.text)).chars().take(2900).collect::<String>()}
        }));
    }
    for section in &notice.sections {
        let lines: Vec<String> = section
            .lines
            .iter()
            .map(|line| format!("• {}", escape(&crate::review::redact(line))))
            .collect();
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": format!("*{}*\n{}", escape(&section.heading), lines.join("\n")).chars().take(2900).collect::<String>()}
        }));
    }
    let mut context = vec![
        json!({"type": "mrkdwn", "text": format!("{} · {}", severity_name(notice.severity), if notice.kind.is_empty() { "notice" } else { &notice.kind })}),
    ];
    if let Some(link) = &notice.link {
        context.push(json!({"type": "mrkdwn", "text": format!("<{link}|open>")}));
    }
    blocks.push(json!({"type": "context", "elements": context}));
    Value::Array(blocks)
}

fn severity_name(severity: NotifySeverity) -> &'static str {
    match severity {
        NotifySeverity::Info => "info",
        NotifySeverity::Low => "low",
        NotifySeverity::Medium => "medium",
        NotifySeverity::High => "high",
        NotifySeverity::Critical => "critical",
    }
}

/// Slack's three control characters in message text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The blocks of an approval request: what waits, and the two buttons whose value is
/// the task's id.
pub fn approval_blocks(task: &AgentTask) -> Value {
    let what = task
        .description
        .clone()
        .unwrap_or_else(|| task.task_type.clone());
    json!([
        {"type": "section", "text": {"type": "mrkdwn", "text": format!(
            ":raised_hand: *Approval needed* — {}\n`{}` for a {} agent · priority {}",
            escape(&what), task.task_type, task.agent_type, task.priority
        )}},
        {"type": "actions", "block_id": format!("approval:{}", task.id), "elements": [
            {"type": "button", "action_id": names::APPROVE_ACTION, "style": "primary",
             "text": {"type": "plain_text", "text": "Approve"}, "value": task.id.to_string()},
            {"type": "button", "action_id": names::REJECT_ACTION, "style": "danger",
             "text": {"type": "plain_text", "text": "Reject"}, "value": task.id.to_string()}
        ]}
    ])
}

/// `notify`: post a notice to the channel its routes choose.
pub struct NotifyTask;

impl TaskKind for NotifyTask {
    const NAME: &'static str = names::NOTIFY;
    type Input = Notify;
    type Output = Notified;
}

/// `request_approval`: ask in Slack for a person's approval of a waiting task.
pub struct RequestApprovalTask;

impl TaskKind for RequestApprovalTask {
    const NAME: &'static str = names::REQUEST_APPROVAL;
    type Input = RequestApproval;
    type Output = ApprovalRequested;
}

/// `answer_request`: answer a mention or slash command in its thread.
pub struct AnswerRequestTask;

impl TaskKind for AnswerRequestTask {
    const NAME: &'static str = names::ANSWER_REQUEST;
    type Input = AnswerRequest;
    type Output = Answered;
}

/// A Slack message as posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub channel: String,
    pub ts: String,
}

/// The result of `notify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    pub posted: Posted,
    pub kind: String,
    pub severity: NotifySeverity,
}

/// The result of `request_approval`: posted, or skipped when the task no longer waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ApprovalRequested {
    Posted { posted: Posted, task_id: TaskId },
    Skipped { skipped: String },
}

/// The result of `answer_request`: the reply and the command word it answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    pub posted: Posted,
    pub question: String,
}

/// The tasks the notification agent performs, each with its input.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum NotificationTask {
    Notify(Notify),
    RequestApproval(RequestApproval),
    AnswerRequest(AnswerRequest),
}

/// Executor: `notify`, `request_approval`, `answer_request`.
pub struct Notification {
    config: NotificationConfig,
}

impl Notification {
    pub fn new(config: NotificationConfig) -> Self {
        Notification { config }
    }
}

async fn post(ctx: &TaskContext, message: SlackMessage) -> Result<Posted, TaskFailure> {
    let channel = message.channel.clone();
    match ctx
        .integrations()?
        .slack(ctx.agent.organization_id, SlackRequest::Post(message))
        .await?
    {
        SlackResponse::Posted(posted) => Ok(Posted {
            channel: posted.channel,
            ts: posted.ts,
        }),
        _ => Err(TaskFailure::Permanent(format!(
            "Slack answered something else to a message for {channel}"
        ))),
    }
}

const NO_CHANNEL: &str = "no channel is set for this notification: give the notification agent a default_channel (or routes) in its configuration";

impl Notification {
    async fn notify(&self, ctx: &TaskContext, notice: Notify) -> Result<Notified, TaskFailure> {
        let channel = self
            .config
            .channel_for(&notice)
            .ok_or_else(|| TaskFailure::Permanent(NO_CHANNEL.into()))?;
        let message = SlackMessage {
            channel: channel.clone(),
            text: format!("{} — {}", notice.title, severity_name(notice.severity)),
            blocks: Some(notice_blocks(&notice)),
            unfurl_links: Some(false),
            ..SlackMessage::default()
        };
        let posted = post(ctx, message).await?;
        Ok(Notified {
            posted,
            kind: notice.kind,
            severity: notice.severity,
        })
    }

    async fn request_approval(
        &self,
        ctx: &TaskContext,
        request: RequestApproval,
    ) -> Result<ApprovalRequested, TaskFailure> {
        let org = ctx.agent.organization_id;
        let waiting =
            ctx.store
                .tasks()
                .get(org, request.task_id)
                .await
                .map_err(|error| match error {
                    companyos_store::StoreError::NotFound { .. } => {
                        TaskFailure::Permanent(format!("task {} does not exist", request.task_id))
                    }
                    other => other.into(),
                })?;
        if waiting.status != TaskStatus::NeedsApproval {
            return Ok(ApprovalRequested::Skipped {
                skipped: format!("task {} is {} now", waiting.id, waiting.status),
            });
        }
        let channel = self
            .config
            .approvals_channel
            .clone()
            .or_else(|| self.config.default_channel.clone())
            .filter(|channel| !channel.trim().is_empty())
            .ok_or_else(|| TaskFailure::Permanent(NO_CHANNEL.into()))?;
        let message = SlackMessage {
            channel,
            text: format!(
                "Approval needed: {}",
                waiting.description.as_deref().unwrap_or(&waiting.task_type)
            ),
            blocks: Some(approval_blocks(&waiting)),
            ..SlackMessage::default()
        };
        let posted = post(ctx, message).await?;
        Ok(ApprovalRequested::Posted {
            posted,
            task_id: waiting.id,
        })
    }

    async fn answer_request(
        &self,
        ctx: &TaskContext,
        request: AnswerRequest,
    ) -> Result<Answered, TaskFailure> {
        let channel = request
            .channel
            .clone()
            .filter(|channel| !channel.is_empty())
            .ok_or_else(|| {
                TaskFailure::Permanent("the request names no channel to answer in".into())
            })?;
        let asked = request.text.clone().unwrap_or_default();
        // What the organization's agents, tasks and deployments are is for its members:
        // a Slack user who is not one is told how to become known, and nothing else.
        let (command, _) = question_of(&asked);
        let refusal = if command == "help" {
            None
        } else {
            asker_refusal(ctx, request.user.as_deref()).await?
        };
        let reply = match refusal {
            None => reply_to(ctx, &asked).await?,
            Some(reason) => format!("I answer members of this organization only. {reason}"),
        };
        let message = SlackMessage {
            channel,
            text: reply,
            thread_ts: request.thread_ts.clone().or(request.ts.clone()),
            unfurl_links: Some(false),
            ..SlackMessage::default()
        };
        let posted = post(ctx, message).await?;
        Ok(Answered {
            posted,
            question: question_of(&asked).0,
        })
    }
}

/// Why the Slack user who asked may not be answered: `None` when they are a member of
/// the organization (every role may read what the answers say).
async fn asker_refusal(
    ctx: &TaskContext,
    slack_user: Option<&str>,
) -> Result<Option<String>, TaskFailure> {
    let Some(slack_user) = slack_user.filter(|user| !user.is_empty()) else {
        return Ok(Some("Slack did not say who asked.".into()));
    };
    let org = ctx.agent.organization_id;
    let user = match crate::slack_people::member_of(
        &ctx.store,
        ctx.integrations()?.as_ref(),
        org,
        slack_user,
    )
    .await
    {
        Ok(user) => user,
        Err(unmatched) => return Ok(Some(unmatched.to_string())),
    };
    Ok(
        match ctx.store.organizations().member_role(org, user).await? {
            Some(_) => None,
            None => Some("Your CompanyOS account is not a member of this organization.".into()),
        },
    )
}

/// The command word of a mention or slash command's text, and its argument. A leading
/// mention (`<@U…>`) is skipped.
fn question_of(text: &str) -> (String, String) {
    let mut words = text
        .split_whitespace()
        .filter(|word| !(word.starts_with("<@") && word.ends_with('>')));
    let command = words.next().unwrap_or("help").to_lowercase();
    let rest: Vec<&str> = words.collect();
    (command, rest.join(" "))
}

const HELP: &str = "I answer: `status` (agents and tasks), `deployments` (the latest), `approvals` (what waits for a person), `review <pull request URL>` (its review).";

async fn reply_to(ctx: &TaskContext, text: &str) -> Result<String, TaskFailure> {
    let org = ctx.agent.organization_id;
    let (command, argument) = question_of(text);
    Ok(match command.as_str() {
        "status" => {
            let agents = ctx.store.agents().list_all(org).await?;
            let enabled = agents
                .iter()
                .filter(|agent| agent.status != companyos_store::AgentStatus::Disabled)
                .count();
            let counts = ctx.store.tasks().count_by_status(org).await?;
            let count = |status: TaskStatus| {
                counts
                    .iter()
                    .find(|(found, _)| *found == status)
                    .map_or(0, |(_, count)| *count)
            };
            format!(
                "*Status*: {enabled} of {} agents enabled · tasks: {} pending, {} running, {} waiting for approval, {} failed",
                agents.len(),
                count(TaskStatus::Pending),
                count(TaskStatus::InProgress),
                count(TaskStatus::NeedsApproval),
                count(TaskStatus::Failed)
            )
        }
        "deployments" | "deploys" => {
            let page = ctx
                .store
                .deployments()
                .list(org, &Default::default(), &PageRequest::first(5))
                .await?;
            if page.items.is_empty() {
                "No deployments yet.".to_owned()
            } else {
                let lines: Vec<String> = page
                    .items
                    .iter()
                    .map(|deployment| {
                        format!(
                            "• {} `{}` {} — {}",
                            escape(&deployment.project_name),
                            deployment.state,
                            deployment
                                .health_score
                                .map(|score| format!("health {score}/100"))
                                .unwrap_or_else(|| "not checked".into()),
                            escape(&deployment.url)
                        )
                    })
                    .collect();
                format!("*Latest deployments*\n{}", lines.join("\n"))
            }
        }
        "approvals" => {
            let filter = companyos_store::TaskFilter {
                status: Some(TaskStatus::NeedsApproval),
                ..Default::default()
            };
            let page = ctx
                .store
                .tasks()
                .list(org, &filter, &PageRequest::first(10))
                .await?;
            if page.items.is_empty() {
                "Nothing waits for approval.".to_owned()
            } else {
                let lines: Vec<String> = page
                    .items
                    .iter()
                    .map(|task| {
                        format!(
                            "• `{}` {} ({})",
                            task.task_type,
                            escape(task.description.as_deref().unwrap_or("")),
                            task.id
                        )
                    })
                    .collect();
                format!("*Waiting for approval*\n{}", lines.join("\n"))
            }
        }
        "review" => review_answer(ctx, &argument).await?,
        _ => HELP.to_owned(),
    })
}

/// `owner/name` and number of a pull request URL (`https://github.com/o/n/pull/7`,
/// Slack wraps it as `<https://…>`).
fn pull_request_of(argument: &str) -> Option<(String, i32)> {
    let url = argument
        .trim()
        .trim_start_matches('<')
        .split(['>', '|'])
        .next()?;
    let path = url.split("://").nth(1).unwrap_or(url);
    let parts: Vec<&str> = path.split('/').collect();
    let pull = parts.iter().position(|part| *part == "pull")?;
    if pull < 3 {
        return None;
    }
    let number = parts.get(pull + 1)?.parse().ok()?;
    Some((format!("{}/{}", parts[pull - 2], parts[pull - 1]), number))
}

async fn review_answer(ctx: &TaskContext, argument: &str) -> Result<String, TaskFailure> {
    let Some((repository, number)) = pull_request_of(argument) else {
        return Ok(
            "Give a pull request URL: `review https://github.com/owner/name/pull/7`.".into(),
        );
    };
    let found = ctx
        .store
        .pull_requests()
        .find_by_number(ctx.agent.organization_id, &repository, number)
        .await?;
    Ok(match found {
        None => {
            format!("I do not know {repository}#{number}: is the repository connected and synced?")
        }
        Some(pull_request) => {
            // The code review agent's result, kept on the pull request as its kind's output.
            let review = pull_request.agent_review.clone().and_then(|review| {
                serde_json::from_value::<crate::code_review::ReviewResult>(review).ok()
            });
            let risk = review.as_ref().map_or_else(
                || "not reviewed yet".to_owned(),
                |review| review.risk.to_string(),
            );
            let summary = review.as_ref().map_or("", |review| review.summary.as_str());
            let mut answer = format!(
                "*{repository}#{number}* {} — review: {risk}",
                escape(&pull_request.title)
            );
            if !summary.is_empty() {
                answer.push_str(&format!("\n{}", escape(summary)));
            }
            if let Some(reason) = &pull_request.blocked_reason {
                answer.push_str(&format!("\n:no_entry: blocked: {}", escape(reason)));
            }
            answer
        }
    })
}

#[async_trait]
impl Behaviour for Notification {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        match task_of::<NotificationTask>(task, "the notification agent")? {
            NotificationTask::Notify(notice) => output(&self.notify(context, notice).await?),
            NotificationTask::RequestApproval(request) => {
                output(&self.request_approval(context, request).await?)
            }
            NotificationTask::AnswerRequest(request) => {
                output(&self.answer_request(context, request).await?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(kind: &str, severity: NotifySeverity) -> Notify {
        Notify {
            kind: kind.into(),
            severity,
            title: "t".into(),
            ..Notify::default()
        }
    }

    #[test]
    fn routes_choose_by_kind_and_severity_then_the_default() {
        let config: NotificationConfig = serde_json::from_value(json!({
            "default_channel": "C-ALL",
            "routes": [
                {"kinds": ["deployment.*"], "min_severity": "high", "channel": "C-OPS"},
                {"kinds": ["security.blocked"], "channel": "C-SEC"}
            ]
        }))
        .expect("configuration");
        assert_eq!(
            config
                .channel_for(&notice("deployment.failed", NotifySeverity::High))
                .as_deref(),
            Some("C-OPS")
        );
        assert_eq!(
            config
                .channel_for(&notice("deployment.failed", NotifySeverity::Low))
                .as_deref(),
            Some("C-ALL")
        );
        assert_eq!(
            config
                .channel_for(&notice("security.blocked", NotifySeverity::Info))
                .as_deref(),
            Some("C-SEC")
        );
        let mut direct = notice("x", NotifySeverity::Info);
        direct.channel = Some("C-DIRECT".into());
        assert_eq!(config.channel_for(&direct).as_deref(), Some("C-DIRECT"));
        let empty = NotificationConfig::default();
        assert_eq!(
            empty.channel_for(&notice("x", NotifySeverity::Critical)),
            None
        );
    }

    #[test]
    fn mentions_and_pull_request_urls_are_read() {
        assert_eq!(question_of("<@U0LAN0Z89> Status please").0, "status");
        assert_eq!(question_of("").0, "help");
        assert_eq!(
            pull_request_of("<https://github.com/acme/web/pull/42>"),
            Some(("acme/web".into(), 42))
        );
        assert_eq!(
            pull_request_of("https://github.com/acme/web/issues/4"),
            None
        );
    }

    #[test]
    fn a_notice_escapes_slack_controls_and_masks_secrets() {
        let mut shown = notice("security.blocked", NotifySeverity::Critical);
        shown.title = "<!channel> & co".into();
        shown.text = "AKIAIOSFODNN7EXAMPLF leaked".into();
        let blocks = notice_blocks(&shown).to_string();
        assert!(blocks.contains("&lt;!channel&gt; &amp; co"));
        assert!(!blocks.contains("<!channel>"));
    }
}
