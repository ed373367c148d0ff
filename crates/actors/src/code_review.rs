//! The development agents that act on pull requests.
//!
//! - `code_review` (executor) performs `analyze_pr`: it reads the pull request and every
//!   file it touches from GitHub through the organization's GitHub adapter, reviews the
//!   added lines with the rules of [`crate::review`] (secrets, risky code, the change's
//!   shape), suggests reviewers (CODEOWNERS at the head commit, else the recent authors
//!   of the touched paths), keeps the pull request's `agent_review_status` and result
//!   current, and — as its configuration's `post` says: `auto`, `approval` (the
//!   default: a `post_review` task waits for a person's approval) or `never` — posts a
//!   GitHub review with a comment on each finding's line, secrets masked. A secret found
//!   spawns `security_scan` at priority 10 for the `security` agent. It also performs
//!   `post_review` itself.
//! - `security` (executor) performs `security_scan`: it scans the whole touched files at
//!   the head commit (not only the patch), blocks the pull request when it finds a
//!   secret or a high-severity issue, and raises a critical `notify` task for the
//!   `notification` agent.
//!
//! Both work with no LLM configured; the rules are the review.

use async_trait::async_trait;
use companyos_integrations::clients::github::{
    NewReview, PullRequestFile, ReviewComment, ReviewEvent,
};
use companyos_integrations::normalise::{DomainEvent, PullRequestAction};
use companyos_store::{
    AgentReviewStatus, AgentTask, DeliveryId, EventActorType, EventId, NewEvent, PullRequestId,
    TaskId,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{AgentKind, Behaviour, RoutedEvent, TaskContext, TaskFailure, output};
use crate::llm::AgentLlm;
use crate::port::{GitHubRequest, GitHubResponse};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration};
use crate::review::{self, Analysis, Category, ChangedFile, FileStatus, Finding, Risk, Severity};
use crate::task_kind::{TaskKind, task_of};

use crate::names;

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(AgentType::configured(
        names::CODE_REVIEW,
        AgentKind::Executor,
        vec![names::ANALYZE_PR.into(), names::POST_REVIEW.into()],
        |config| Box::new(CodeReview::new(config)),
    ));
    registry.register(AgentType::configured(
        names::SECURITY,
        AgentKind::Executor,
        vec![names::SECURITY_SCAN.into()],
        |config| Box::new(Security::new(config)),
    ));
}

/// When the review is posted to GitHub.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostMode {
    /// At once.
    Auto,
    /// After a person approves the `post_review` task.
    #[default]
    Approval,
    /// Never: the review stays in CompanyOS.
    Never,
}

/// How the code review agent posts its reviews.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct CodeReviewConfig {
    /// When a review is posted to GitHub: after a person approves it, at once, or never.
    #[garde(skip)]
    pub post: PostMode,
    /// The most line comments one review posts (the rest stay in its summary).
    #[garde(range(min = 1, max = 200))]
    pub max_comments: usize,
    /// The language model's use by this agent (the node's model unless disabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(dive)]
    pub llm: Option<AgentLlm>,
}

impl Default for CodeReviewConfig {
    fn default() -> Self {
        CodeReviewConfig {
            post: PostMode::Approval,
            max_comments: 30,
            llm: None,
        }
    }
}

impl Configuration for CodeReviewConfig {}

/// The input of `analyze_pr`, the one shape every producer writes: the GitHub watcher
/// (from a pull request event), the agent-review route and mutation.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct AnalyzePr {
    /// `owner/name`.
    pub repository: String,
    pub number: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request_id: Option<PullRequestId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_url: Option<String>,
    /// What happened to the pull request (`opened`, `synchronize`…), when an event
    /// asked for the review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<PullRequestAction>,
    /// The event that asked for the review, and the delivery it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<DeliveryId>,
}

impl AnalyzePr {
    /// The review a pull request event asks for: opened, reopened, pushed to or made
    /// ready, and not a draft. `None` for any other event, or one naming no repository
    /// or number (kept as an event, logged).
    pub fn from_event(event: &RoutedEvent) -> Option<AnalyzePr> {
        let DomainEvent::PullRequest {
            action,
            repository,
            pull_request,
            ..
        } = event.event()?
        else {
            return None;
        };
        if !action.changes_the_code() || pull_request.draft == Some(true) {
            return None;
        }
        let repository = repository
            .as_ref()
            .and_then(|repository| repository.full_name.clone());
        let number = pull_request
            .number
            .and_then(|number| u64::try_from(number).ok());
        let (Some(repository), Some(number)) = (repository, number) else {
            tracing::warn!(event = %event.row.id, "a pull request event without its repository or number: no review");
            return None;
        };
        Some(AnalyzePr {
            repository,
            number,
            pull_request_id: event
                .resource(companyos_store::ResourceKind::PullRequest)
                .map(PullRequestId),
            head_sha: pull_request.head.as_ref().and_then(|head| head.sha.clone()),
            title: pull_request.title.clone(),
            html_url: pull_request.html_url.clone(),
            action: Some(action.clone()),
            event_id: Some(event.row.id),
            delivery_id: event
                .payload
                .as_ref()
                .and_then(|payload| payload.delivery_id),
        })
    }
}

/// The input of `post_review`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct PostReview {
    pub repository: String,
    pub number: u64,
    #[serde(default)]
    pub pull_request_id: Option<PullRequestId>,
    #[serde(default)]
    pub head_sha: Option<String>,
    pub body: String,
    pub comments: Vec<PlannedComment>,
}

/// A line comment of a review to post.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct PlannedComment {
    pub path: String,
    pub line: u32,
    pub body: String,
}

/// The input of `security_scan`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SecurityScan {
    pub repository: String,
    pub number: u64,
    #[serde(default)]
    pub pull_request_id: Option<PullRequestId>,
    pub head_sha: String,
    pub paths: Vec<String>,
}

fn changed_file(file: &PullRequestFile) -> ChangedFile {
    let status = match file.status.as_str() {
        "added" => FileStatus::Added,
        "removed" => FileStatus::Removed,
        "renamed" => FileStatus::Renamed,
        "copied" => FileStatus::Copied,
        "unchanged" => FileStatus::Unchanged,
        "changed" => FileStatus::Changed,
        _ => FileStatus::Modified,
    };
    ChangedFile {
        path: file.filename.clone(),
        previous_path: file.previous_filename.clone(),
        status,
        additions: u32::try_from(file.additions).unwrap_or(u32::MAX),
        deletions: u32::try_from(file.deletions).unwrap_or(u32::MAX),
        patch: file.patch.clone(),
    }
}

/// The review's text: the summary, then the findings without a line.
fn review_body(analysis: &Analysis, reviewers: &[String]) -> String {
    let mut body = format!(
        "**CompanyOS code review** — risk: **{}**\n\n{}\n",
        analysis.risk, analysis.summary
    );
    let general: Vec<&Finding> = analysis
        .findings
        .iter()
        .filter(|finding| finding.line.is_none())
        .collect();
    if !general.is_empty() {
        body.push('\n');
        for finding in general {
            body.push_str(&format!(
                "- {} `{}` ({}): {}\n",
                finding.severity.as_str(),
                finding.path,
                finding.rule,
                finding.message
            ));
        }
    }
    if !reviewers.is_empty() {
        body.push_str(&format!(
            "\nSuggested reviewers: {}\n",
            reviewers.join(", ")
        ));
    }
    body
}

/// One comment per finding on a line (worst first, at most `max`). Finding messages
/// carry only masked secrets; the text is redacted once more before it leaves.
fn planned_comments(analysis: &Analysis, max: usize) -> Vec<PlannedComment> {
    analysis
        .findings
        .iter()
        .filter_map(|finding| {
            finding.line.map(|line| PlannedComment {
                path: finding.path.clone(),
                line,
                body: review::redact(&format!(
                    "**{}** · {} · `{}`\n\n{}",
                    finding.severity.as_str(),
                    category_name(finding.category),
                    finding.rule,
                    finding.message
                )),
            })
        })
        .take(max)
        .collect()
}

fn category_name(category: Category) -> &'static str {
    match category {
        Category::Secret => "secret",
        Category::Security => "security",
        Category::Quality => "quality",
        Category::Tests => "tests",
        Category::Dependencies => "dependencies",
        Category::Size => "size",
    }
}

/// `analyze_pr`: review a pull request's changed files.
pub struct Analyze;

impl TaskKind for Analyze {
    const NAME: &'static str = names::ANALYZE_PR;
    type Input = AnalyzePr;
    type Output = ReviewResult;
}

/// `post_review`: post a planned review to GitHub.
pub struct Post;

impl TaskKind for Post {
    const NAME: &'static str = names::POST_REVIEW;
    type Input = PostReview;
    type Output = PostedReview;
}

/// `security_scan`: scan the touched files at the head commit.
pub struct Scan;

impl TaskKind for Scan {
    const NAME: &'static str = names::SECURITY_SCAN;
    type Input = SecurityScan;
    type Output = ScanResult;
}

/// The result of `analyze_pr`, also kept on the pull request as its `agent_review`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ReviewResult {
    pub summary: String,
    pub risk: Risk,
    pub findings: Vec<Finding>,
    pub suggested_reviewers: Vec<String>,
    pub head_sha: String,
    pub posting: Posting,
    /// The `security_scan` a secret escalated to.
    pub security_scan_task_id: Option<TaskId>,
    /// The model's part, when the agent has a model.
    pub llm: Option<WrittenReview>,
}

/// What became of posting the review, as the configuration's `post` said.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Posting {
    /// Not posted: the agent keeps its reviews to CompanyOS.
    Never,
    /// A `post_review` task waits for a person's approval.
    Approval {
        task_id: TaskId,
        /// Older heads' reviews still waiting, cancelled by this one.
        superseded: Vec<TaskId>,
    },
    /// A `post_review` task posts at once.
    Auto {
        task_id: TaskId,
        superseded: Vec<TaskId>,
    },
}

/// The model's part of a review.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum WrittenReview {
    Written {
        summary: String,
        /// Line comments taken from the model.
        comments: usize,
        /// Comments left out (off the diff, or over the limit).
        comments_dropped: usize,
        model: String,
        input_tokens: u64,
        output_tokens: u64,
    },
    /// The model failed; the rules' review stands alone.
    Failed { error: String },
}

/// The result of `post_review`: the review GitHub keeps.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct PostedReview {
    pub posted: PostedRef,
    /// Line comments posted with it.
    pub comments: usize,
}

/// A review as GitHub answered it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct PostedRef {
    pub id: u64,
    pub html_url: Option<String>,
    pub state: Option<String>,
}

/// The result of `security_scan`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ScanResult {
    pub files_scanned: usize,
    /// Whether the pull request is blocked until its findings are fixed.
    pub blocked: bool,
    pub findings: Vec<Finding>,
    /// The critical notice a block raised.
    pub notification_task_id: Option<TaskId>,
}

/// The tasks the code review agent performs, each with its input.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum CodeReviewTask {
    AnalyzePr(AnalyzePr),
    PostReview(PostReview),
}

/// The task the security agent performs.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum SecurityTask {
    SecurityScan(SecurityScan),
}

/// Executor: `analyze_pr` and `post_review`.
pub struct CodeReview {
    config: CodeReviewConfig,
}

impl CodeReview {
    pub fn new(config: CodeReviewConfig) -> Self {
        CodeReview { config }
    }

    async fn analyze(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        request: AnalyzePr,
    ) -> Result<Option<Value>, TaskFailure> {
        let org = ctx.agent.organization_id;
        let pull_request_id = match request.pull_request_id {
            Some(id) => Some(id),
            None => ctx
                .store
                .pull_requests()
                .find_by_number(
                    org,
                    &request.repository,
                    i32::try_from(request.number).unwrap_or(i32::MAX),
                )
                .await?
                .map(|row| row.id),
        };
        let mark = |status: AgentReviewStatus, review: Option<Value>| {
            let store = ctx.store.clone();
            async move {
                if let Some(id) = pull_request_id
                    && let Err(error) = store
                        .pull_requests()
                        .record_agent_review(org, id, status, review.as_ref())
                        .await
                {
                    tracing::warn!(%error, "cannot record the review on the pull request");
                }
            }
        };
        mark(AgentReviewStatus::InProgress, None).await;
        let port = ctx.integrations()?;
        let fetched = port
            .github(
                org,
                GitHubRequest::PullRequest {
                    repository: request.repository.clone(),
                    number: request.number,
                },
            )
            .await;
        let (pull_request, files) = match fetched {
            Ok(GitHubResponse::PullRequest {
                pull_request,
                files,
            }) => (pull_request, files),
            Ok(_) => {
                return Err(TaskFailure::Permanent(
                    "GitHub answered something else".into(),
                ));
            }
            Err(failure) => {
                if matches!(failure, TaskFailure::Permanent(_)) {
                    mark(AgentReviewStatus::Failed, None).await;
                }
                return Err(failure);
            }
        };
        let head = request
            .head_sha
            .clone()
            .unwrap_or_else(|| pull_request.head.sha.clone());
        let changed: Vec<ChangedFile> = files.iter().map(changed_file).collect();
        let analysis = review::analyse_changes(&changed);
        let reviewers = suggested_reviewers(
            ctx,
            &request.repository,
            &head,
            &changed,
            pull_request.user.as_ref().map(|user| user.login.as_str()),
        )
        .await;

        let mut comments = planned_comments(&analysis, self.config.max_comments);
        let (written, model_comments) =
            written_review(ctx, &pull_request, &files, &analysis).await?;
        comments.extend(model_comments);
        let mut body = review_body(&analysis, &reviewers);
        if let Some(WrittenReview::Written { summary: text, .. }) = &written {
            body.push_str(&format!(
                "\n**Reviewer's notes** (written by a language model)\n\n{}\n",
                quoted(text)
            ));
        }
        let post = PostReview {
            repository: request.repository.clone(),
            number: request.number,
            pull_request_id,
            head_sha: Some(head.clone()),
            body,
            comments,
        };
        let posting = match self.config.post {
            PostMode::Never => Posting::Never,
            mode => {
                // One review per pull request and head commit: asking again (a second
                // "request a review", a redelivered event) finds the same post_review
                // task by its key, and a newer head cancels the older one still waiting.
                let (prefix, key) = post_review_key(&post, &head);
                let superseded = ctx
                    .queue
                    .supersede(
                        task.organization_id,
                        &prefix,
                        &key,
                        &format!(
                            "superseded: a newer commit {} was pushed; its review replaces this one",
                            short_sha(&head)
                        ),
                    )
                    .await
                    .map_err(|error| {
                        TaskFailure::Retryable(format!("older reviews not superseded: {error}"))
                    })?;
                for old in &superseded {
                    ctx.bus.publish(crate::events::RuntimeEvent::TaskChanged {
                        organization_id: old.organization_id,
                        task_id: old.id,
                        agent_id: old.agent_id,
                        status: old.status,
                    });
                }
                let approval = mode == PostMode::Approval;
                let mut request = Post::request(names::CODE_REVIEW, &post, task.priority);
                request.requires_human_approval = approval;
                let task_id = ctx.spawn(request, key).await?.id;
                let superseded = superseded.iter().map(|old| old.id).collect();
                if approval {
                    Posting::Approval {
                        task_id,
                        superseded,
                    }
                } else {
                    Posting::Auto {
                        task_id,
                        superseded,
                    }
                }
            }
        };
        let secrets: Vec<&Finding> = analysis
            .findings
            .iter()
            .filter(|finding| finding.category == Category::Secret)
            .collect();
        let mut escalated = None;
        if !secrets.is_empty() {
            let mut paths: Vec<String> = changed
                .iter()
                .filter(|file| file.status != FileStatus::Removed)
                .map(|file| file.path.clone())
                .collect();
            paths.dedup();
            let scan = SecurityScan {
                repository: request.repository.clone(),
                number: request.number,
                pull_request_id,
                head_sha: head.clone(),
                paths,
            };
            let spawned = ctx
                .spawn(
                    Scan::request(names::SECURITY, &scan, 10),
                    format!("{}:{}", task.id, names::SECURITY_SCAN),
                )
                .await?;
            escalated = Some(spawned.id);
        }
        let result = ReviewResult {
            summary: analysis.summary,
            risk: analysis.risk,
            findings: analysis.findings,
            suggested_reviewers: reviewers,
            head_sha: head,
            posting,
            security_scan_task_id: escalated,
            llm: written,
        };
        let value = output(&result)?;
        mark(AgentReviewStatus::Completed, value.clone()).await;
        Ok(value)
    }
}

/// Most of the added lines a model is shown, in characters.
const DIFF_FOR_MODEL: usize = 24_000;
/// Most line comments taken from a model.
const MODEL_COMMENTS: usize = 10;

/// What a model is asked to answer (one JSON object).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ModelReview {
    summary: String,
    comments: Vec<ModelComment>,
}

#[derive(Debug, Deserialize)]
struct ModelComment {
    path: String,
    line: u32,
    body: String,
}

/// The added lines of the change as a model reads them: `path:line: text`, up to
/// [`DIFF_FOR_MODEL`] characters.
fn added_lines_for_model(files: &[PullRequestFile]) -> String {
    let mut shown = String::new();
    'files: for file in files {
        let Some(patch) = &file.patch else { continue };
        for (line, text) in review::added_lines(patch) {
            let entry = format!("{}:{line}: {text}\n", file.filename);
            if shown.len() + entry.len() > DIFF_FOR_MODEL {
                shown.push_str("(the rest of the change is left out)\n");
                break 'files;
            }
            shown.push_str(&entry);
        }
    }
    shown
}

/// Reads the model's answer: its summary, and its comments that sit on a line the
/// change added (any other is dropped: GitHub refuses comments off the diff).
fn model_review(
    text: &str,
    files: &[PullRequestFile],
    given: &str,
) -> (String, Vec<PlannedComment>, usize) {
    let trimmed = text
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```")
        .trim();
    let Ok(answer) = serde_json::from_str::<ModelReview>(trimmed) else {
        // Not JSON: the whole answer is the summary.
        return (tame(&review::redact(text.trim()), given), Vec::new(), 0);
    };
    let on_added_line = |comment: &ModelComment| {
        files.iter().any(|file| {
            file.filename == comment.path
                && file.patch.as_deref().is_some_and(|patch| {
                    review::added_lines(patch).any(|(line, _)| line == comment.line)
                })
        })
    };
    let mut dropped = 0;
    let mut comments = Vec::new();
    for comment in answer.comments {
        if comment.body.trim().is_empty() || !on_added_line(&comment) {
            dropped += 1;
            continue;
        }
        if comments.len() < MODEL_COMMENTS {
            comments.push(PlannedComment {
                path: comment.path,
                line: comment.line,
                body: format!(
                    "**reviewer's note** · {}",
                    tame(&review::redact(comment.body.trim()), given)
                ),
            });
        }
    }
    (
        tame(&review::redact(answer.summary.trim()), given),
        comments,
        dropped,
    )
}

/// Slack's special mentions and user references (`<!channel>`, `<@U123>`).
static SLACK_MENTION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"<[!@#][^>\s]*>").unwrap_or_else(|error| panic!("pattern: {error}"))
});
/// A GitHub mention (`@user`, `@org/team`) at a word's start.
static GITHUB_MENTION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(^|[^\w`/])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9._-]+)?)")
        .unwrap_or_else(|error| panic!("pattern: {error}"))
});
/// A Markdown link, or a bare web address.
static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]*)\)|(?P<bare>https?://[^\s)>\]]+)")
        .unwrap_or_else(|error| panic!("pattern: {error}"))
});

/// A model's words made safe to post in the organization's name: no mention that would
/// notify anyone (Slack's `<!channel>`, GitHub's `@someone` is shown as code), and no
/// link the model was not given in `given` (a Markdown link keeps its text only).
fn tame(text: &str, given: &str) -> String {
    let text = SLACK_MENTION.replace_all(text, "");
    let text = GITHUB_MENTION.replace_all(&text, "$1`@$2`");
    LINK.replace_all(&text, |captures: &regex::Captures<'_>| {
        if let Some(bare) = captures.name("bare") {
            return if given.contains(bare.as_str()) {
                bare.as_str().to_owned()
            } else {
                "[link removed]".to_owned()
            };
        }
        let text = captures.name("text").map_or("", |found| found.as_str());
        let target = captures.name("target").map_or("", |found| found.as_str());
        if given.contains(target) && !target.is_empty() {
            captures[0].to_owned()
        } else {
            text.to_owned()
        }
    })
    .into_owned()
}

/// `text` as a Markdown quotation.
fn quoted(text: &str) -> String {
    text.lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The model's review of the change, when the agent has a model: a written summary and
/// comments on added lines, from the title, the rules' findings and the added lines
/// (masked before they are sent). A spent budget or a provider's rate limit makes the
/// task wait; any other failure of the model leaves the review to the rules, saying
/// why.
async fn written_review(
    ctx: &TaskContext,
    pull_request: &companyos_integrations::clients::github::PullRequest,
    files: &[PullRequestFile],
    analysis: &Analysis,
) -> Result<(Option<WrittenReview>, Vec<PlannedComment>), TaskFailure> {
    use companyos_integrations::llm::{ChatMessage, CompletionRequest};
    if !ctx.llm.available_to(&ctx.configuration) {
        return Ok((None, Vec::new()));
    }
    let findings: Vec<String> = analysis
        .findings
        .iter()
        .map(|finding| {
            format!(
                "- {} {}:{} {}",
                finding.severity.as_str(),
                finding.path,
                finding.line.unwrap_or(0),
                finding.message
            )
        })
        .collect();
    let prompt = format!(
        "Pull request: {}\n\nAutomated findings (risk {}):\n{}\n\nAdded lines:\n{}",
        pull_request.title,
        analysis.risk,
        if findings.is_empty() {
            "none".to_owned()
        } else {
            findings.join("\n")
        },
        added_lines_for_model(files)
    );
    let request = CompletionRequest {
        system: Some(
            "You review pull requests for a software team. Answer with one JSON object: \
             {\"summary\": \"a short review in Markdown: what the change does, its risks, what a reviewer should check\", \
             \"comments\": [{\"path\": \"file\", \"line\": 12, \"body\": \"a remark on that added line\"}]}. \
             Comment only on the added lines shown (path:line), at most ten, and only where it matters. \
             Do not repeat the automated findings; never print secret values."
                .into(),
        ),
        messages: vec![ChatMessage::user(prompt.clone())],
        max_tokens: Some(900),
        temperature: Some(0.2),
        json: true,
    };
    match ctx.llm.complete(ctx, request).await {
        Ok(Some(completion)) => {
            let (summary, comments, dropped) = model_review(&completion.text, files, &prompt);
            Ok((
                Some(WrittenReview::Written {
                    summary,
                    comments: comments.len(),
                    comments_dropped: dropped,
                    model: completion.model,
                    input_tokens: u64::from(completion.usage.input_tokens),
                    output_tokens: u64::from(completion.usage.output_tokens),
                }),
                comments,
            ))
        }
        Ok(None) => Ok((None, Vec::new())),
        Err(failure @ TaskFailure::Later { .. }) => Err(failure),
        Err(failure) => {
            tracing::warn!(%failure, "the model's review is left out");
            Ok((
                Some(WrittenReview::Failed {
                    error: failure.to_string(),
                }),
                Vec::new(),
            ))
        }
    }
}

/// Reviewers for the touched paths: CODEOWNERS at the head commit when the repository
/// has one, else the people who last changed those paths; never the author.
async fn suggested_reviewers(
    ctx: &TaskContext,
    repository: &str,
    head: &str,
    changed: &[ChangedFile],
    author: Option<&str>,
) -> Vec<String> {
    let Ok(port) = ctx.integrations() else {
        return Vec::new();
    };
    let org = ctx.agent.organization_id;
    let paths: Vec<&str> = changed.iter().map(|file| file.path.as_str()).collect();
    let not_author = |login: &String| {
        author.is_none_or(|author| !login.trim_start_matches('@').eq_ignore_ascii_case(author))
    };
    for location in [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] {
        match port
            .github(
                org,
                GitHubRequest::File {
                    repository: repository.to_owned(),
                    path: location.to_owned(),
                    reference: head.to_owned(),
                },
            )
            .await
        {
            Ok(GitHubResponse::File(Some(codeowners))) => {
                return review::codeowners_reviewers(&codeowners, &paths)
                    .into_iter()
                    .filter(not_author)
                    .collect();
            }
            Ok(_) => continue,
            Err(failure) => {
                tracing::debug!(%failure, "CODEOWNERS not read");
                break;
            }
        }
    }
    let busiest: Vec<String> = {
        let mut sorted: Vec<&ChangedFile> = changed.iter().collect();
        sorted.sort_by_key(|file| std::cmp::Reverse(file.additions + file.deletions));
        sorted
            .iter()
            .take(5)
            .map(|file| file.path.clone())
            .collect()
    };
    match port
        .github(
            org,
            GitHubRequest::RecentAuthors {
                repository: repository.to_owned(),
                paths: busiest,
            },
        )
        .await
    {
        Ok(GitHubResponse::Authors(authors)) => authors
            .into_iter()
            .map(|login| format!("@{login}"))
            .filter(not_author)
            .take(3)
            .collect(),
        _ => Vec::new(),
    }
}

/// Puts the posted review in the audit trail, in the name of the member who approved
/// it (or of the agent, when it posts without approval).
async fn record_posted(ctx: &TaskContext, task: &AgentTask, post: &PostReview, review: &PostedRef) {
    let (actor_type, actor_id, by) = match task.approved_by {
        Some(user) => (EventActorType::User, user.0, "approved by a member"),
        None => (
            EventActorType::Agent,
            ctx.agent.id.0,
            "posted without approval",
        ),
    };
    let event = NewEvent {
        event_type: "review.posted".into(),
        event_source: "audit".into(),
        actor_type: Some(actor_type),
        actor_id: Some(actor_id),
        resource_type: Some(companyos_store::ResourceKind::PullRequest),
        resource_id: post.pull_request_id.map(|id| id.0),
        metadata: json!({
            "summary": format!(
                "the review of {}#{} was posted to GitHub ({by})",
                post.repository, post.number
            ),
            "task_id": task.id,
            "head_sha": post.head_sha,
            "html_url": review.html_url,
        }),
    };
    if let Err(error) = ctx.store.events().record(task.organization_id, event).await {
        tracing::error!(%error, "the audit trail missed a posted review");
    }
}

/// The key of a pull request's `post_review` tasks (the prefix every head's shares)
/// and of the one for `head`.
fn post_review_key(post: &PostReview, head: &str) -> (String, String) {
    let pull_request = match post.pull_request_id {
        Some(id) => id.to_string(),
        None => format!("{}#{}", post.repository, post.number),
    };
    let prefix = format!("{}:{pull_request}:", names::POST_REVIEW);
    let key = format!("{prefix}{head}");
    (prefix, key)
}

/// The first seven characters of a commit's SHA, as GitHub shows it.
fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Posts the planned review to GitHub (a comment review: CompanyOS never approves or
/// blocks a merge on GitHub by itself).
async fn post_review(ctx: &TaskContext, post: &PostReview) -> Result<PostedRef, TaskFailure> {
    let review = NewReview {
        commit_id: post.head_sha.clone(),
        body: Some(review::redact(&post.body)),
        event: Some(ReviewEvent::Comment),
        comments: post
            .comments
            .iter()
            .map(|comment| {
                ReviewComment::on_line(
                    comment.path.clone(),
                    u64::from(comment.line),
                    review::redact(&comment.body),
                )
            })
            .collect(),
    };
    let posted = ctx
        .integrations()?
        .github(
            ctx.agent.organization_id,
            GitHubRequest::PostReview {
                repository: post.repository.clone(),
                number: post.number,
                review,
            },
        )
        .await?;
    match posted {
        GitHubResponse::Review(review) => Ok(PostedRef {
            id: review.id,
            html_url: Some(review.html_url),
            state: Some(review.state),
        }),
        _ => Err(TaskFailure::Permanent(
            "GitHub answered something else".into(),
        )),
    }
}

#[async_trait]
impl Behaviour for CodeReview {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        match task_of::<CodeReviewTask>(task, "a code_review agent")? {
            CodeReviewTask::AnalyzePr(request) => self.analyze(ctx, task, request).await,
            CodeReviewTask::PostReview(post) => {
                let review = post_review(ctx, &post).await?;
                record_posted(ctx, task, &post, &review).await;
                output(&PostedReview {
                    posted: review,
                    comments: post.comments.len(),
                })
            }
        }
    }
}

/// How much of a pull request the security agent scans.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// The most files one scan reads.
    #[garde(range(min = 1, max = 1000))]
    pub max_files: usize,
}

impl Configuration for SecurityConfig {}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig { max_files: 100 }
    }
}

/// Executor: `security_scan`.
pub struct Security {
    config: SecurityConfig,
}

impl Security {
    pub fn new(config: SecurityConfig) -> Self {
        Security { config }
    }
}

#[async_trait]
impl Behaviour for Security {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let SecurityTask::SecurityScan(scan) = task_of::<SecurityTask>(task, "a security agent")?;
        let org = ctx.agent.organization_id;
        let port = ctx.integrations()?;
        let mut findings: Vec<Finding> = Vec::new();
        let mut scanned = 0usize;
        for path in scan.paths.iter().take(self.config.max_files) {
            if ctx.cancel.is_cancelled() {
                return Err(TaskFailure::Permanent("cancelled".into()));
            }
            let contents = port
                .github(
                    org,
                    GitHubRequest::File {
                        repository: scan.repository.clone(),
                        path: path.clone(),
                        reference: scan.head_sha.clone(),
                    },
                )
                .await?;
            if let GitHubResponse::File(Some(text)) = contents {
                scanned += 1;
                findings.extend(review::scan_contents(path, &text));
            }
        }
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.path.cmp(&b.path))
                .then(a.line.cmp(&b.line))
        });
        let blocking: Vec<&Finding> = findings
            .iter()
            .filter(|finding| {
                finding.category == Category::Secret || finding.severity >= Severity::High
            })
            .collect();
        let blocked = !blocking.is_empty();
        if let Some(pull_request) = scan.pull_request_id {
            let reason = blocked.then(|| {
                format!(
                    "{} finding(s) to fix before merging, the worst: {}",
                    blocking.len(),
                    blocking[0].message
                )
            });
            ctx.store
                .pull_requests()
                .set_blocked(org, pull_request, reason.as_deref())
                .await?;
        }
        let mut notification = None;
        if blocked {
            let spawned = ctx
                .spawn(
                    crate::notification::Notify {
                        kind: "security.blocked".into(),
                        severity: crate::notification::NotifySeverity::Critical,
                        title: format!(
                            "Secrets or high-risk code in {}#{}",
                            scan.repository, scan.number
                        ),
                        text: review::redact(
                            &blocking
                                .iter()
                                .take(5)
                                .map(|finding| {
                                    format!(
                                        "{}:{} {}",
                                        finding.path,
                                        finding.line.unwrap_or(0),
                                        finding.message
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("\n"),
                        ),
                        link: Some(format!(
                            "https://github.com/{}/pull/{}",
                            scan.repository, scan.number
                        )),
                        channel: None,
                        sections: Vec::new(),
                    }
                    .task(),
                    format!("{}:{}", task.id, names::NOTIFY),
                )
                .await?;
            notification = Some(spawned.id);
        }
        output(&ScanResult {
            files_scanned: scanned,
            blocked,
            findings,
            notification_task_id: notification,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, patch: &str) -> PullRequestFile {
        serde_json::from_value(json!({
            "sha": "bbcd538c8e72b8c175046e27cc8f907076331401", "filename": path,
            "status": "modified", "additions": 1, "deletions": 0, "changes": 1, "patch": patch
        }))
        .expect("file")
    }

    #[test]
    fn a_models_answer_is_read_fenced_or_plain_and_off_diff_comments_are_dropped() {
        let files = [file("src/a.rs", "@@ -1,1 +1,2 @@\n fn a() {}\n+fn b() {}")];
        let fenced = "```json\n{\"summary\": \"ok\", \"comments\": [{\"path\": \"src/a.rs\", \"line\": 2, \"body\": \"name it\"}, {\"path\": \"src/a.rs\", \"line\": 1, \"body\": \"old line\"}]}\n```";
        let (summary, comments, dropped) = model_review(fenced, &files, "");
        assert_eq!(summary, "ok");
        assert_eq!(comments.len(), 1);
        assert_eq!((comments[0].line, dropped), (2, 1));
        let (summary, comments, _) = model_review("Looks fine.", &files, "");
        assert_eq!((summary.as_str(), comments.len()), ("Looks fine.", 0));
    }

    #[test]
    fn a_models_words_notify_nobody_and_link_only_where_it_was_given() {
        let given = "Pull request: see https://docs.acme.io/auth for the design";
        let answer = "<!channel> urgent: @octocat and @acme/security must log in at [the portal](https://evil.example/login) or https://evil.example/x; the design is at https://docs.acme.io/auth and mail me at a@b.io";
        let tamed = tame(answer, given);
        assert!(!tamed.contains("<!channel>"), "{tamed}");
        assert!(!tamed.contains("evil.example"), "{tamed}");
        assert!(
            tamed.contains("`@octocat`") && tamed.contains("`@acme/security`"),
            "{tamed}"
        );
        assert!(
            tamed.contains("the portal") && tamed.contains("[link removed]"),
            "{tamed}"
        );
        assert!(tamed.contains("https://docs.acme.io/auth"), "{tamed}");
        assert!(
            tamed.contains("a@b.io"),
            "an address is not a mention: {tamed}"
        );
        assert_eq!(quoted("one\ntwo"), "> one\n> two");
    }

    #[test]
    fn comments_sit_on_the_findings_lines_and_never_carry_a_secret() {
        let token = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d";
        let files = vec![ChangedFile {
            path: "src/config.rs".into(),
            previous_path: None,
            status: FileStatus::Modified,
            additions: 2,
            deletions: 0,
            patch: Some(format!(
                "@@ -10,2 +10,4 @@\n context\n+let token = \"{token}\";\n+let other = 1;\n context"
            )),
        }];
        let analysis = review::analyse_changes(&files);
        let comments = planned_comments(&analysis, 30);
        let secret = comments
            .iter()
            .find(|comment| comment.body.contains("secret"))
            .expect("a comment on the secret");
        assert_eq!((secret.path.as_str(), secret.line), ("src/config.rs", 11));
        for comment in &comments {
            assert!(!comment.body.contains(token), "{}", comment.body);
        }
        assert!(!review_body(&analysis, &["@alice".into()]).contains(token));
        assert!(planned_comments(&analysis, 0).is_empty(), "the limit holds");
    }

    #[test]
    fn the_post_mode_defaults_to_approval_and_a_bad_key_is_refused() {
        let read = |value: Value| CodeReviewConfig::read(&value);
        assert_eq!(read(json!({})).expect("empty").post, PostMode::Approval);
        assert_eq!(
            read(json!({"post": "auto"})).expect("auto").post,
            PostMode::Auto
        );
        // An unknown key, a wrong type or a value out of range is refused by name, never
        // read as "all defaults".
        let unknown = read(json!({"post": "auto", "max_coments": 5})).expect_err("unknown");
        assert_eq!(unknown.pointer(), "configuration.max_coments");
        assert!(
            unknown.message.contains("max_coments") && unknown.message.contains("max_comments"),
            "{unknown}"
        );
        let mistyped = read(json!({"post": "sometimes"})).expect_err("mistyped");
        assert_eq!(mistyped.pointer(), "configuration.post", "{mistyped}");
        let out_of_range = read(json!({"max_comments": 0})).expect_err("range");
        assert_eq!(out_of_range.pointer(), "configuration.max_comments");
        let llm = read(json!({"llm": {"max_tokens": 0}})).expect_err("llm range");
        assert_eq!(llm.pointer(), "configuration.llm.max_tokens", "{llm}");
    }
}
