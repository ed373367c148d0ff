//! The standup agent (`standup`, task `post_standup`): each working morning — its
//! schedule is weekdays at nine in the organization's time zone — the last working day
//! as the team lived it: pull requests opened, merged and waiting for review, production
//! deployments and incidents, approvals waiting, what the agents did. It is posted to
//! Slack as blocks through the notification agent (a `notify` task), and kept as the
//! task's result, which the console's Team page lists. With a model, a short written
//! summary leads the message; without one, the lists speak for themselves.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use companyos_store::{AgentTask, AgentWork, DeploymentState, PullRequestLine, TaskStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::llm::AgentLlm;
use crate::names;
use crate::notification::{NoticeSection, Notify, NotifySeverity};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration, DefaultSchedule};
use crate::task_kind::{TaskKind, task_of};
use crate::time_zone;

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(
        AgentType::configured(
            names::STANDUP,
            AgentKind::Analyst,
            vec![names::POST_STANDUP.into()],
            |config| Box::new(Standup { config }),
        )
        .with_schedule(DefaultSchedule {
            name: "Standup, weekdays at nine",
            cron: "0 9 * * 1-5",
            task_type: names::POST_STANDUP,
        }),
    );
}

/// How the standup is posted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct StandupConfig {
    /// The Slack channel (an id such as `C0123…`); unset, the notification agent's
    /// routes decide (kind `team.standup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(inner(length(min = 1, max = 100)))]
    pub channel: Option<String>,
    /// Its use of the node's model, for the written summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(dive)]
    pub llm: Option<AgentLlm>,
}

impl Configuration for StandupConfig {}

/// The input of `post_standup`: the day to report (in the organization's time zone);
/// the last working day when unset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostStandup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
}

/// `post_standup`.
pub struct PostStandupTask;

impl TaskKind for PostStandupTask {
    const NAME: &'static str = names::POST_STANDUP;
    type Input = PostStandup;
    type Output = StandupReport;
}

/// A pull request in a standup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestItem {
    pub repository: String,
    pub number: i32,
    pub title: String,
    pub since: DateTime<Utc>,
}

impl From<PullRequestLine> for PullRequestItem {
    fn from(line: PullRequestLine) -> Self {
        PullRequestItem {
            repository: line.repository,
            number: line.number,
            title: line.title,
            since: line.since,
        }
    }
}

/// Production deployments of the day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentsOfDay {
    pub ready: usize,
    pub failed: usize,
    /// The projects deployed, each once.
    pub projects: Vec<String>,
}

/// What one agent type did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentsWork {
    pub agent_type: String,
    pub completed: i64,
    pub failed: i64,
}

impl From<AgentWork> for AgentsWork {
    fn from(work: AgentWork) -> Self {
        AgentsWork {
            agent_type: work.agent_type,
            completed: work.completed,
            failed: work.failed,
        }
    }
}

/// The result of `post_standup`: the day's report, and the notice that carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandupReport {
    pub day: NaiveDate,
    pub time_zone: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub opened: Vec<PullRequestItem>,
    pub merged: Vec<PullRequestItem>,
    pub waiting_for_review: Vec<PullRequestItem>,
    pub deployments: DeploymentsOfDay,
    pub incidents: usize,
    pub approvals_waiting: i64,
    pub agents: Vec<AgentsWork>,
    /// The model's summary, when one wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The `notify` task that posts it to Slack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_task_id: Option<companyos_store::TaskId>,
}

pub struct Standup {
    config: StandupConfig,
}

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum StandupTask {
    PostStandup(#[serde(default)] Option<PostStandup>),
}

/// At most this many lines of each list go to Slack.
const SHOWN: usize = 8;

fn pull_request_lines(items: &[PullRequestItem]) -> Vec<String> {
    let mut lines: Vec<String> = items
        .iter()
        .take(SHOWN)
        .map(|item| format!("{}#{} {}", item.repository, item.number, item.title))
        .collect();
    if items.len() > SHOWN {
        lines.push(format!("and {} more", items.len() - SHOWN));
    }
    lines
}

/// The report as a notice: a heading, the model's summary, one section per list.
pub fn notice(report: &StandupReport, channel: Option<String>) -> Notify {
    let mut sections = Vec::new();
    let mut push = |heading: String, lines: Vec<String>| {
        if !lines.is_empty() {
            sections.push(NoticeSection { heading, lines });
        }
    };
    push(
        format!("Merged ({})", report.merged.len()),
        pull_request_lines(&report.merged),
    );
    push(
        format!("Opened ({})", report.opened.len()),
        pull_request_lines(&report.opened),
    );
    push(
        format!("Waiting for review ({})", report.waiting_for_review.len()),
        pull_request_lines(&report.waiting_for_review),
    );
    let deployments = &report.deployments;
    if deployments.ready + deployments.failed > 0 || report.incidents > 0 {
        let mut lines = vec![format!(
            "{} ready, {} failed{}",
            deployments.ready,
            deployments.failed,
            if deployments.projects.is_empty() {
                String::new()
            } else {
                format!(" ({})", deployments.projects.join(", "))
            }
        )];
        if report.incidents > 0 {
            lines.push(format!("{} incident(s) opened", report.incidents));
        }
        push("Production".into(), lines);
    }
    if report.approvals_waiting > 0 {
        push(
            "Waiting for you".into(),
            vec![format!(
                "{} task(s) waiting for approval",
                report.approvals_waiting
            )],
        );
    }
    push(
        "Agents".into(),
        report
            .agents
            .iter()
            .take(SHOWN)
            .map(|work| {
                format!(
                    "{}: {} done{}",
                    work.agent_type,
                    work.completed,
                    if work.failed > 0 {
                        format!(", {} failed", work.failed)
                    } else {
                        String::new()
                    }
                )
            })
            .collect(),
    );
    let quiet = sections.is_empty();
    Notify {
        kind: "team.standup".into(),
        severity: NotifySeverity::Info,
        title: format!("Standup for {}", report.day.format("%A %-d %B")),
        text: match (&report.summary, quiet) {
            (Some(summary), _) => summary.clone(),
            (None, true) => "A quiet day: nothing was opened, merged or deployed.".into(),
            (None, false) => String::new(),
        },
        link: None,
        channel,
        sections,
    }
}

impl Standup {
    async fn report(
        &self,
        ctx: &TaskContext,
        input: PostStandup,
    ) -> Result<StandupReport, TaskFailure> {
        let org = ctx.agent.organization_id;
        let organization = ctx.store.organizations().get(org).await?;
        let zone = time_zone::of_organization(&organization.settings);
        let now = ctx.store.now();
        let day = input
            .day
            .unwrap_or_else(|| time_zone::last_working_day(now, zone));
        let (from, to) = time_zone::day_span(day, zone);
        let history = ctx.store.history();
        let opened = history.opened_pull_requests(org, from, to).await?;
        let merged = history.merged_pull_requests(org, from, to).await?;
        let waiting = history.waiting_for_review(org, to.min(now)).await?;
        let deployed = history.production_deployments(org, from, to).await?;
        let incidents = history
            .tasks_of_type(org, names::OPEN_INCIDENT, from, to)
            .await?
            .len();
        let approvals_waiting = history.approvals_waiting(org).await?;
        let agents = history.work_by_agent_type(org, from, to).await?;
        let mut projects: Vec<String> = Vec::new();
        let mut deployments = DeploymentsOfDay::default();
        for deployment in &deployed {
            match deployment.state {
                DeploymentState::Ready => deployments.ready += 1,
                DeploymentState::Error => deployments.failed += 1,
                _ => continue,
            }
            if !projects.contains(&deployment.project_name) {
                projects.push(deployment.project_name.clone());
            }
        }
        deployments.projects = projects;
        Ok(StandupReport {
            day,
            time_zone: zone.name().to_owned(),
            from,
            to,
            opened: opened.into_iter().map(PullRequestItem::from).collect(),
            merged: merged
                .into_iter()
                .map(|pr| PullRequestItem {
                    repository: pr.repository,
                    number: pr.number,
                    title: pr.title,
                    since: pr.merged_at,
                })
                .collect(),
            waiting_for_review: waiting.into_iter().map(PullRequestItem::from).collect(),
            deployments,
            incidents,
            approvals_waiting,
            agents: agents.into_iter().map(AgentsWork::from).collect(),
            summary: None,
            notify_task_id: None,
        })
    }

    /// A few sentences by the model, when the agent may ask one.
    async fn summary(
        &self,
        ctx: &TaskContext,
        report: &StandupReport,
    ) -> Result<Option<String>, TaskFailure> {
        use companyos_integrations::llm::{ChatMessage, CompletionRequest};
        if !ctx.llm.available_to(&ctx.configuration) {
            return Ok(None);
        }
        let facts = serde_json::to_string(&serde_json::json!({
            "day": report.day,
            "merged": report.merged.iter().map(|pr| format!("{}#{} {}", pr.repository, pr.number, pr.title)).collect::<Vec<_>>(),
            "opened": report.opened.iter().map(|pr| format!("{}#{} {}", pr.repository, pr.number, pr.title)).collect::<Vec<_>>(),
            "waiting_for_review": report.waiting_for_review.iter().map(|pr| format!("{}#{} {} (since {})", pr.repository, pr.number, pr.title, pr.since.date_naive())).collect::<Vec<_>>(),
            "production_deployments": report.deployments,
            "incidents": report.incidents,
            "approvals_waiting": report.approvals_waiting,
            "agents": report.agents,
        }))
        .unwrap_or_default();
        let request = CompletionRequest {
            system: Some(
                "You write a software team's daily standup from the facts given: three to five short \
                 sentences in plain prose, what shipped first, then what needs attention (reviews waiting \
                 longest, failures, approvals). Use only the facts; no greetings, no lists."
                    .into(),
            ),
            messages: vec![ChatMessage::user(facts)],
            max_tokens: Some(300),
            temperature: Some(0.3),
            json: false,
        };
        match ctx.llm.complete(ctx, request).await {
            Ok(Some(completion)) => {
                Ok(Some(completion.text.trim().to_owned()).filter(|text| !text.is_empty()))
            }
            Ok(None) => Ok(None),
            Err(failure @ TaskFailure::Later { .. }) => Err(failure),
            Err(failure) => {
                tracing::warn!(%failure, "the standup goes without the model's summary");
                Ok(None)
            }
        }
    }
}

#[async_trait]
impl Behaviour for Standup {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let StandupTask::PostStandup(input) = task_of::<StandupTask>(task, "the standup agent")?;
        let mut report = self.report(ctx, input.unwrap_or_default()).await?;
        report.summary = self.summary(ctx, &report).await?;
        let notice = notice(&report, self.config.channel.clone());
        // One message per day reported, whoever asks again.
        let key = format!("{}:{}:{}", names::POST_STANDUP, ctx.agent.id, report.day);
        let mut notify = ctx.spawn(notice.task(), key.clone()).await?;
        // The day's message failed or was stopped before (no channel set yet, Slack
        // refusing the token): asking again posts it again, once more.
        if matches!(
            notify.status,
            TaskStatus::Failed | TaskStatus::Cancelled | TaskStatus::Rejected
        ) {
            notify = ctx
                .spawn(notice.task(), format!("{key}:{}", task.id))
                .await?;
        }
        report.notify_task_id = Some(notify.id);
        output(&report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(number: i32) -> PullRequestItem {
        PullRequestItem {
            repository: "acme/web".into(),
            number,
            title: format!("Change {number}"),
            since: Utc::now(),
        }
    }

    fn report() -> StandupReport {
        StandupReport {
            day: NaiveDate::from_ymd_opt(2026, 12, 4).expect("day"),
            time_zone: "UTC".into(),
            from: Utc::now(),
            to: Utc::now(),
            opened: vec![item(1)],
            merged: (2..12).map(item).collect(),
            waiting_for_review: Vec::new(),
            deployments: DeploymentsOfDay {
                ready: 2,
                failed: 1,
                projects: vec!["web".into()],
            },
            incidents: 1,
            approvals_waiting: 3,
            agents: vec![AgentsWork {
                agent_type: "code_review".into(),
                completed: 4,
                failed: 1,
            }],
            summary: None,
            notify_task_id: None,
        }
    }

    #[test]
    fn the_notice_has_a_section_per_list_that_has_lines() {
        let notice = notice(&report(), Some("C1".into()));
        assert_eq!(notice.title, "Standup for Friday 4 December");
        assert_eq!(notice.kind, "team.standup");
        assert_eq!(notice.channel.as_deref(), Some("C1"));
        let headings: Vec<&str> = notice.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(
            headings,
            [
                "Merged (10)",
                "Opened (1)",
                "Production",
                "Waiting for you",
                "Agents"
            ]
        );
        assert_eq!(notice.sections[0].lines.len(), SHOWN + 1);
        assert_eq!(notice.sections[0].lines[SHOWN], "and 2 more");
        assert_eq!(
            notice.sections[2].lines,
            ["2 ready, 1 failed (web)", "1 incident(s) opened"]
        );
        assert_eq!(notice.sections[4].lines, ["code_review: 4 done, 1 failed"]);
    }

    #[test]
    fn a_quiet_day_says_so() {
        let mut quiet = report();
        quiet.opened.clear();
        quiet.merged.clear();
        quiet.deployments = DeploymentsOfDay::default();
        quiet.incidents = 0;
        quiet.approvals_waiting = 0;
        quiet.agents.clear();
        let notice = notice(&quiet, None);
        assert!(notice.sections.is_empty());
        assert!(notice.text.starts_with("A quiet day"), "{}", notice.text);
    }
}
