//! The content agents: what a team ships, told on X and LinkedIn, with a person's
//! approval in between.
//!
//! - `content_writer` performs `draft_post`: a post about a release (the GitHub watcher
//!   asks for one when a release is published), a merged pull request or a production
//!   deployment (asked for by a person) for each connected account, from templates or,
//!   with a model, written — X's within 280 characters as X counts them
//!   ([`x_length`]), LinkedIn's longer and with the link. Each draft is a `social_posts`
//!   row and enters the pipeline at once: a `publish_post` task that waits for a
//!   person's approval.
//! - `content_pipeline` performs `publish_post`, the pipeline's steps after the draft:
//!   approval (the task runs only once an approver of the matrix approved it; a
//!   rejected task ends the pipeline and the draft stays a draft), the scheduled time
//!   (`scheduled_for`: the task waits, saying until when), publication through the
//!   platform's API as the account, then engagement tracking (the `engagement` agent
//!   reads the post from then on). Each step is a durable task or row, so a node that
//!   stops resumes at the step it was at; a post is never published twice: a post
//!   already published is done, and a publication whose outcome is unknown (the node
//!   stopped during the call) is not tried again blindly but left to a person.
//! - `engagement` performs `poll_engagement` every thirty minutes: the counts of the
//!   posts published in the last thirty days (X's public metrics, up to 100 posts a
//!   request; LinkedIn's social actions, one request a post, at most 50 an account a
//!   round), written to each post and to `metrics` (`social.engagement`) when they
//!   changed.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use companyos_store::{
    AgentTask, DeploymentEnvironment, DeploymentId, Engagement, EventId, NewMetric, NewSocialPost,
    PullRequestId, SocialAccount, SocialAccountId, SocialPlatform, SocialPost, SocialPostId,
    SocialPostStatus, StoreError, TaskId,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::analysts::NoInput;
use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::inputs::PublishPost;
use crate::llm::AgentLlm;
use crate::names;
use crate::port::{SocialCall, SocialRequest, SocialResponse};
use crate::registry::{AgentType, AgentTypeRegistry, Configuration, DefaultSchedule};
use crate::task_kind::{TaskKind, task_of};

pub fn register(registry: &mut AgentTypeRegistry) {
    registry.register(AgentType::configured(
        names::CONTENT_WRITER,
        AgentKind::Executor,
        vec![names::DRAFT_POST.into()],
        |config| Box::new(ContentWriter { config }),
    ));
    registry.register(AgentType::plain(
        names::CONTENT_PIPELINE,
        AgentKind::Coordinator,
        vec![names::PUBLISH_POST.into()],
        || Box::new(ContentPipeline),
    ));
    registry.register(
        AgentType::plain(
            names::ENGAGEMENT,
            AgentKind::Analyst,
            vec![names::POLL_ENGAGEMENT.into()],
            || Box::new(EngagementTracker),
        )
        .with_schedule(DefaultSchedule {
            name: "Engagement of published posts",
            cron: "*/30 * * * *",
            task_type: names::POLL_ENGAGEMENT,
        }),
    );
}

// ─── Length as each platform counts it ─────────────────────────────────────────────

/// The most characters of an X post, as X counts them.
pub const X_LIMIT: usize = 280;
/// What a link counts for on X, whatever its length (X shortens every link to t.co).
pub const X_LINK_LENGTH: usize = 23;
/// The most characters of a LinkedIn post's commentary.
pub const LINKEDIN_LIMIT: usize = 3000;

/// Whether `c` counts once on X: the ranges twitter-text weighs 100 (Latin, Greek,
/// Cyrillic, Hebrew, Arabic… up to U+10FF, and some punctuation); every other
/// character counts twice.
fn counts_once(c: char) -> bool {
    matches!(u32::from(c), 0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037)
}

/// Characters that join or modify the emoji before them and add nothing to its count:
/// the zero-width joiner, variation selectors, skin tones, tags.
fn modifies_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x200D | 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F)
}

/// A text's length as X counts it (twitter-text's weighted length, version 3): each
/// `http://` or `https://` link counts 23; characters of the ranges X weighs 100 count
/// 1, others 2; an emoji counts 2 however many code points join it.
pub fn x_length(text: &str) -> usize {
    let mut length = 0;
    for (n, word) in text.split(' ').enumerate() {
        if n > 0 {
            length += 1;
        }
        let mut rest = word;
        while !rest.is_empty() {
            let link = ["https://", "http://"]
                .iter()
                .filter_map(|scheme| rest.find(scheme))
                .min();
            let (plain, tail) = match link {
                Some(at) => rest.split_at(at),
                None => (rest, ""),
            };
            // An emoji's modifiers add nothing, and an emoji joined to the one before
            // it (a zero-width joiner between) is part of it.
            let (mut after_emoji, mut joined) = (false, false);
            for c in plain.chars() {
                if after_emoji && modifies_emoji(c) {
                    joined |= c == '\u{200D}';
                    continue;
                }
                if joined && !counts_once(c) {
                    joined = false;
                    continue;
                }
                joined = false;
                after_emoji = !counts_once(c);
                length += if counts_once(c) { 1 } else { 2 };
            }
            if tail.is_empty() {
                break;
            }
            // The link runs to the next space (this word's end) or a closing bracket.
            let end = tail
                .char_indices()
                .skip(8)
                .find(|(_, c)| matches!(c, ')' | ']' | '>' | '"'))
                .map_or(tail.len(), |(at, _)| at);
            length += X_LINK_LENGTH;
            rest = &tail[end..];
        }
    }
    length
}

/// A text's length on `platform`: X's weighted count, LinkedIn's characters.
pub fn length_on(platform: SocialPlatform, text: &str) -> usize {
    match platform {
        SocialPlatform::Twitter => x_length(text),
        SocialPlatform::Linkedin => text.chars().count(),
    }
}

/// The most characters a post on `platform` may have.
pub fn limit_of(platform: SocialPlatform) -> usize {
    match platform {
        SocialPlatform::Twitter => X_LIMIT,
        SocialPlatform::Linkedin => LINKEDIN_LIMIT,
    }
}

/// What the ellipsis a cut text ends with counts on X (2: it is outside the ranges X
/// weighs 100).
fn ellipsis() -> usize {
    x_length("…")
}

/// `text` cut (at a word, with …) to fit within `budget` as X counts.
fn fit_x(text: &str, budget: usize) -> String {
    if x_length(text) <= budget {
        return text.to_owned();
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        let candidate = if out.is_empty() {
            word.to_owned()
        } else {
            format!("{out} {word}")
        };
        if x_length(&candidate) + ellipsis() > budget {
            break;
        }
        out = candidate;
    }
    if out.is_empty() {
        // One word longer than the budget: cut it by characters.
        for c in text.chars() {
            let weight = if counts_once(c) { 1 } else { 2 };
            if x_length(&out) + ellipsis() + weight > budget {
                break;
            }
            out.push(c);
        }
    }
    out.push('…');
    out
}

// ─── draft_post ─────────────────────────────────────────────────────────────────────

/// What a post tells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum DraftSource {
    /// A GitHub release, as its `release.published` event describes it.
    Release {
        /// `owner/name`.
        repository: String,
        tag: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// The release notes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    /// A merged pull request.
    PullRequest { pull_request_id: PullRequestId },
    /// A ready production deployment.
    Deployment { deployment_id: DeploymentId },
}

/// The input of `draft_post`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftPost {
    #[serde(flatten)]
    pub source: DraftSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
}

/// `draft_post`.
pub struct DraftPostTask;

impl TaskKind for DraftPostTask {
    const NAME: &'static str = names::DRAFT_POST;
    type Input = DraftPost;
    type Output = Drafted;
}

/// Who wrote a draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WrittenBy {
    Template,
    Model,
}

/// One draft written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftedPost {
    pub social_post_id: SocialPostId,
    pub platform: SocialPlatform,
    pub handle: String,
    /// Its length as the platform counts it, and the platform's limit.
    pub characters: usize,
    pub limit: usize,
    pub written_by: WrittenBy,
    /// The pipeline's `publish_post` task, waiting for a person's approval.
    pub publish_task_id: TaskId,
}

/// The result of `draft_post`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drafted {
    pub drafts: Vec<DraftedPost>,
    /// Why an account got no draft, or why the model's text was not used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A platform the content writer drafts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Twitter,
    Linkedin,
}

impl From<Platform> for SocialPlatform {
    fn from(platform: Platform) -> SocialPlatform {
        match platform {
            Platform::Twitter => SocialPlatform::Twitter,
            Platform::Linkedin => SocialPlatform::Linkedin,
        }
    }
}

/// How the content writer drafts.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct ContentWriterConfig {
    /// The platforms it drafts for (each connected, active account of them gets one).
    #[garde(length(min = 1))]
    pub platforms: Vec<Platform>,
    /// Hashtags added to each post (without #), when they fit.
    #[garde(
        length(max = 5),
        inner(length(min = 1, max = 50), pattern(r"^[A-Za-z0-9_]+$"))
    )]
    pub hashtags: Vec<String>,
    /// Its use of the node's model: with one, posts are written by it, checked against
    /// each platform's limit, the template's text used where the model's does not fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(dive)]
    pub llm: Option<AgentLlm>,
}

impl Default for ContentWriterConfig {
    fn default() -> Self {
        ContentWriterConfig {
            platforms: vec![Platform::Twitter, Platform::Linkedin],
            hashtags: Vec::new(),
            llm: None,
        }
    }
}

impl Configuration for ContentWriterConfig {}

/// What a post is about, read from the store or the event.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Story {
    /// "acme/web v2.1.0", "acme/web", "checkout".
    subject: String,
    /// One line: the release's name, the pull request's title, the commit message.
    headline: String,
    /// Longer text for LinkedIn: release notes, the pull request's description.
    details: Option<String>,
    url: Option<String>,
    /// "is out", "shipped", "is live".
    verb: &'static str,
    /// What the metadata names as the draft's source.
    reference: Value,
}

/// The first paragraph(s) of a text, Markdown's headings and list marks dropped, up to
/// `max` characters.
fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line
            .trim()
            .trim_start_matches('#')
            .trim_start_matches(['-', '*'])
            .trim();
        if line.is_empty() || line.starts_with("<!--") {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push_str("\n\n");
            }
            continue;
        }
        if out.chars().count() + line.chars().count() > max {
            break;
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(line);
    }
    out.trim().to_owned()
}

/// The template's post about `story` on `platform`.
pub(crate) fn template_post(
    platform: SocialPlatform,
    subject: &str,
    verb: &str,
    headline: &str,
    details: Option<&str>,
    url: Option<&str>,
    hashtags: &[String],
) -> String {
    let tags: String = hashtags
        .iter()
        .map(|tag| format!(" #{tag}"))
        .collect::<Vec<_>>()
        .join("");
    match platform {
        SocialPlatform::Twitter => {
            let lead = format!("{subject} {verb}: ");
            let link = url.map(|url| format!(" {url}")).unwrap_or_default();
            let fixed = x_length(&lead) + x_length(&link);
            let with_tags = fixed + x_length(&tags);
            let (tags, fixed) = if with_tags + 10 <= X_LIMIT {
                (tags.as_str(), with_tags)
            } else {
                ("", fixed)
            };
            let headline = fit_x(headline, X_LIMIT.saturating_sub(fixed));
            format!("{lead}{headline}{link}{tags}")
        }
        SocialPlatform::Linkedin => {
            let mut text = format!("{subject} {verb}: {headline}");
            if let Some(details) = details.map(|details| excerpt(details, 1200))
                && !details.is_empty()
            {
                text.push_str("\n\n");
                text.push_str(&details);
            }
            if let Some(url) = url {
                text.push_str("\n\n");
                text.push_str(url);
            }
            if !tags.is_empty() {
                text.push_str("\n\n");
                text.push_str(tags.trim());
            }
            text.chars().take(LINKEDIN_LIMIT).collect()
        }
    }
}

pub struct ContentWriter {
    config: ContentWriterConfig,
}

/// The tasks the content writer performs.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum WriterTask {
    DraftPost(DraftPost),
}

impl ContentWriter {
    async fn story(ctx: &TaskContext, source: &DraftSource) -> Result<Story, TaskFailure> {
        let org = ctx.agent.organization_id;
        let missing = |what: &str, error: StoreError| match error {
            StoreError::NotFound { .. } => {
                TaskFailure::Permanent(format!("the {what} to write about no longer exists"))
            }
            other => other.into(),
        };
        Ok(match source {
            DraftSource::Release {
                repository,
                tag,
                name,
                url,
                notes,
            } => Story {
                subject: format!("{repository} {tag}"),
                headline: name
                    .clone()
                    .filter(|name| !name.trim().is_empty() && name != tag)
                    .unwrap_or_else(|| "a new release".to_owned()),
                details: notes.clone(),
                url: url.clone(),
                verb: "is out",
                reference: json!({"source": "release", "repository": repository, "tag": tag}),
            },
            DraftSource::PullRequest { pull_request_id } => {
                let pull_request = ctx
                    .store
                    .pull_requests()
                    .get(org, *pull_request_id)
                    .await
                    .map_err(|error| missing("pull request", error))?;
                if pull_request.merged_at.is_none() {
                    return Err(TaskFailure::Permanent(format!(
                        "pull request #{} is not merged: only shipped work is posted about",
                        pull_request.number
                    )));
                }
                let repository = ctx
                    .store
                    .repositories()
                    .get(org, pull_request.repository_id)
                    .await
                    .map_err(|error| missing("repository", error))?;
                Story {
                    subject: repository.full_name.clone(),
                    headline: pull_request.title.clone(),
                    details: pull_request.body.clone(),
                    url: Some(format!(
                        "https://github.com/{}/pull/{}",
                        repository.full_name, pull_request.number
                    )),
                    verb: "shipped",
                    reference: json!({"source": "pull_request", "pull_request_id": pull_request.id}),
                }
            }
            DraftSource::Deployment { deployment_id } => {
                let deployment = ctx
                    .store
                    .deployments()
                    .get(org, *deployment_id)
                    .await
                    .map_err(|error| missing("deployment", error))?;
                if deployment.environment != Some(DeploymentEnvironment::Production) {
                    return Err(TaskFailure::Permanent(format!(
                        "the deployment of {} is not in production: only what is live is posted about",
                        deployment.project_name
                    )));
                }
                let message = deployment
                    .metadata
                    .get("commit_message")
                    .and_then(Value::as_str)
                    .and_then(|message| message.lines().next())
                    .filter(|line| !line.trim().is_empty())
                    .unwrap_or("a new version")
                    .to_owned();
                let url = if deployment.url.starts_with("http") {
                    deployment.url.clone()
                } else {
                    format!("https://{}", deployment.url)
                };
                Story {
                    subject: deployment.project_name.clone(),
                    headline: message,
                    details: None,
                    url: Some(url),
                    verb: "is live",
                    reference: json!({"source": "deployment", "deployment_id": deployment.id}),
                }
            }
        })
    }

    /// The model's posts for the platforms, when it has any: platform → text.
    async fn written(
        &self,
        ctx: &TaskContext,
        story: &Story,
        platforms: &[SocialPlatform],
        notes: &mut Vec<String>,
    ) -> Result<Vec<(SocialPlatform, String)>, TaskFailure> {
        use companyos_integrations::llm::{ChatMessage, CompletionRequest};
        if !ctx.llm.available_to(&ctx.configuration) {
            return Ok(Vec::new());
        }
        let prompt = format!(
            "Subject: {} {}\nHeadline: {}\nDetails: {}\nLink: {}\nHashtags to use where they fit: {}",
            story.subject,
            story.verb,
            story.headline,
            story
                .details
                .as_deref()
                .map(|details| excerpt(details, 2000))
                .unwrap_or_default(),
            story.url.as_deref().unwrap_or("none"),
            self.config.hashtags.join(" "),
        );
        let request = CompletionRequest {
            system: Some(format!(
                "You write social media posts for a software company about what it shipped. \
                 Answer with one JSON object: {{\"twitter\": \"a post for X of at most {X_LIMIT} characters, \
                 links counting {X_LINK_LENGTH}\", \"linkedin\": \"a post for LinkedIn of two or three short \
                 paragraphs, ending with the link\"}}. Plain, concrete, no exaggeration, no emoji walls; \
                 never invent facts that are not in the details."
            )),
            messages: vec![ChatMessage::user(prompt)],
            max_tokens: Some(700),
            temperature: Some(0.6),
            json: true,
        };
        let completion = match ctx.llm.complete(ctx, request).await {
            Ok(Some(completion)) => completion,
            Ok(None) => return Ok(Vec::new()),
            Err(failure @ TaskFailure::Later { .. }) => return Err(failure),
            Err(failure) => {
                notes.push(format!(
                    "the model wrote nothing ({failure}): the templates' text is used"
                ));
                return Ok(Vec::new());
            }
        };
        let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(&completion.text) else {
            notes.push(
                "the model's answer was not the JSON asked for: the templates' text is used".into(),
            );
            return Ok(Vec::new());
        };
        let mut written = Vec::new();
        for platform in platforms {
            let Some(text) = answer
                .get(platform.as_str())
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|text| !text.is_empty())
            else {
                continue;
            };
            let length = length_on(*platform, text);
            if length > limit_of(*platform) {
                notes.push(format!(
                    "the model's {platform} post counts {length} characters, over {}: the template's text is used",
                    limit_of(*platform)
                ));
                continue;
            }
            written.push((*platform, text.to_owned()));
        }
        Ok(written)
    }

    async fn draft(
        &self,
        ctx: &TaskContext,
        task: &AgentTask,
        input: DraftPost,
    ) -> Result<Drafted, TaskFailure> {
        let org = ctx.agent.organization_id;
        let story = Self::story(ctx, &input.source).await?;
        let mut notes = Vec::new();
        let mut accounts: Vec<SocialAccount> = Vec::new();
        for platform in self
            .config
            .platforms
            .iter()
            .map(|&platform| SocialPlatform::from(platform))
        {
            let connected = ctx
                .store
                .social_accounts()
                .list(org, Some(platform))
                .await?;
            if !connected.iter().any(|account| account.active) {
                notes.push(format!(
                    "no active {platform} account is connected: connect one with POST /api/social/accounts/{platform}/connect"
                ));
            }
            accounts.extend(connected.into_iter().filter(|account| account.active));
        }
        let platforms: Vec<SocialPlatform> =
            accounts.iter().map(|account| account.platform).collect();
        let written = if accounts.is_empty() {
            Vec::new()
        } else {
            self.written(ctx, &story, &platforms, &mut notes).await?
        };
        let mut drafts = Vec::new();
        for account in &accounts {
            let (text, written_by) = match written
                .iter()
                .find(|(platform, _)| *platform == account.platform)
            {
                Some((_, text)) => (text.clone(), WrittenBy::Model),
                None => (
                    template_post(
                        account.platform,
                        &story.subject,
                        story.verb,
                        &story.headline,
                        story.details.as_deref(),
                        story.url.as_deref(),
                        &self.config.hashtags,
                    ),
                    WrittenBy::Template,
                ),
            };
            // One draft per source and account: a task tried again finds the draft it wrote.
            let key = format!(
                "{}:{}:{}",
                names::PUBLISH_POST,
                account.id,
                source_key(&input.source)
            );
            let characters = length_on(account.platform, &text);
            let post = match existing_draft(ctx, account.id, &key).await? {
                Some(post) => post,
                None => {
                    ctx.store
                        .social_posts()
                        .create(
                            org,
                            NewSocialPost {
                                social_account_id: account.id,
                                content: text,
                                scheduled_for: None,
                                agent_generated: true,
                                metadata: json!({
                                    "drafted_by": {"task_id": task.id, "agent": ctx.agent.name},
                                    "about": story.reference,
                                    "written_by": written_by,
                                    "pipeline_key": key,
                                }),
                            },
                        )
                        .await?
                }
            };
            let mut request = PublishPostTask::request(
                names::CONTENT_PIPELINE,
                &PublishPost {
                    social_post_id: post.id,
                    social_account_id: account.id,
                },
                task.priority,
            );
            request.requires_human_approval = true;
            let publish = ctx.spawn(request, key).await?;
            drafts.push(DraftedPost {
                social_post_id: post.id,
                platform: account.platform,
                handle: account.handle.clone(),
                characters,
                limit: limit_of(account.platform),
                written_by,
                publish_task_id: publish.id,
            });
        }
        Ok(Drafted { drafts, notes })
    }
}

/// What makes a draft's source one: the release's tag, the row's id.
fn source_key(source: &DraftSource) -> String {
    match source {
        DraftSource::Release {
            repository, tag, ..
        } => format!("release:{repository}@{tag}"),
        DraftSource::PullRequest { pull_request_id } => format!("pull_request:{pull_request_id}"),
        DraftSource::Deployment { deployment_id } => format!("deployment:{deployment_id}"),
    }
}

/// The post an earlier attempt wrote for this account and source (drafted, scheduled
/// or published since), among the account's newest hundred.
async fn existing_draft(
    ctx: &TaskContext,
    account: SocialAccountId,
    key: &str,
) -> Result<Option<SocialPost>, TaskFailure> {
    let posts = ctx
        .store
        .social_posts()
        .list(
            ctx.agent.organization_id,
            &companyos_store::SocialPostFilter {
                social_account_id: Some(account),
                status: None,
                platform: None,
            },
            &companyos_store::PageRequest::first(100),
        )
        .await?;
    Ok(posts
        .items
        .into_iter()
        .find(|post| post.metadata.get("pipeline_key").and_then(Value::as_str) == Some(key)))
}

#[async_trait]
impl Behaviour for ContentWriter {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let WriterTask::DraftPost(input) = task_of::<WriterTask>(task, "the content writer")?;
        output(&self.draft(ctx, task, input).await?)
    }
}

// ─── publish_post ───────────────────────────────────────────────────────────────────

/// `publish_post`: the content pipeline's steps after the draft.
pub struct PublishPostTask;

impl TaskKind for PublishPostTask {
    const NAME: &'static str = names::PUBLISH_POST;
    type Input = PublishPost;
    type Output = Published;
}

/// The result of `publish_post`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub social_post_id: SocialPostId,
    pub platform: SocialPlatform,
    /// The post's id (X) or URN (LinkedIn).
    pub external_post_id: String,
    pub published_at: Option<DateTime<Utc>>,
    /// False when the post was already published (by an earlier attempt or by hand).
    pub now: bool,
}

/// The metadata key a publication in progress is marked with.
const PUBLISHING: &str = "publishing";

pub struct ContentPipeline;

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum PipelineTask {
    PublishPost(PublishPost),
}

impl ContentPipeline {
    async fn publish(
        ctx: &TaskContext,
        task: &AgentTask,
        input: PublishPost,
    ) -> Result<Published, TaskFailure> {
        let org = ctx.agent.organization_id;
        let post = match ctx
            .store
            .social_posts()
            .get(org, input.social_post_id)
            .await
        {
            Ok(post) => post,
            Err(StoreError::NotFound { .. }) => {
                return Err(TaskFailure::Permanent(
                    "the post was deleted before it was published".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        };
        if post.social_account_id != input.social_account_id {
            return Err(TaskFailure::Permanent(
                "the post belongs to another account than the task names".into(),
            ));
        }
        if let (SocialPostStatus::Published, Some(external)) = (post.status, &post.external_post_id)
        {
            return Ok(Published {
                social_post_id: post.id,
                platform: post.platform,
                external_post_id: external.clone(),
                published_at: post.published_at,
                now: false,
            });
        }
        let now = ctx.store.now();
        if let Some(at) = post.scheduled_for
            && at > now
        {
            return Err(TaskFailure::Later {
                reason: format!("scheduled for {}", at.to_rfc3339()),
                after: (at - now).to_std().unwrap_or_default(),
            });
        }
        if let Some(started) = post.metadata.get(PUBLISHING) {
            return Err(TaskFailure::Permanent(format!(
                "an earlier attempt started publishing this post ({started}) and its outcome is unknown: \
                 look at the account, then mark the post published or publish it again by hand"
            )));
        }
        let mut metadata = post.metadata.clone();
        if let Value::Object(map) = &mut metadata {
            map.insert(PUBLISHING.into(), json!({"task_id": task.id, "at": now}));
        }
        ctx.store
            .social_posts()
            .set_metadata(org, post.id, &metadata)
            .await?;
        let port = ctx.integrations()?;
        let answer = port
            .social(
                org,
                SocialRequest {
                    platform: post.platform,
                    account: post.social_account_id,
                    call: SocialCall::Publish {
                        text: post.content.clone(),
                    },
                },
            )
            .await;
        let external_post_id = match answer {
            Ok(SocialResponse::Published { external_id }) => external_id,
            Ok(_) => {
                return Err(TaskFailure::Permanent(
                    "the platform answered a publication with something else".into(),
                ));
            }
            Err(failure) => {
                // The platform refused or was not reached: nothing was published, so
                // the mark goes and the task may try again.
                if let Value::Object(map) = &mut metadata {
                    map.remove(PUBLISHING);
                }
                ctx.store
                    .social_posts()
                    .set_metadata(org, post.id, &metadata)
                    .await?;
                if matches!(failure, TaskFailure::Permanent(_)) {
                    ctx.store
                        .social_posts()
                        .update(
                            org,
                            post.id,
                            companyos_store::SocialPostPatch {
                                status: Some(SocialPostStatus::Failed),
                                ..Default::default()
                            },
                        )
                        .await?;
                }
                return Err(failure);
            }
        };
        let published = ctx
            .store
            .social_posts()
            .mark_published(org, post.id, &external_post_id, task.approved_by)
            .await?;
        if let Value::Object(map) = &mut metadata {
            map.remove(PUBLISHING);
        }
        ctx.store
            .social_posts()
            .set_metadata(org, post.id, &metadata)
            .await?;
        Ok(Published {
            social_post_id: published.id,
            platform: published.platform,
            external_post_id,
            published_at: published.published_at,
            now: true,
        })
    }
}

#[async_trait]
impl Behaviour for ContentPipeline {
    fn kind(&self) -> AgentKind {
        AgentKind::Coordinator
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let PipelineTask::PublishPost(input) =
            task_of::<PipelineTask>(task, "the content pipeline")?;
        output(&Self::publish(ctx, task, input).await?)
    }
}

// ─── poll_engagement ────────────────────────────────────────────────────────────────

/// How long after publication a post's counts are followed.
pub const FOLLOWED_FOR: Duration = Duration::days(30);

/// `poll_engagement`.
pub struct PollEngagement;

impl TaskKind for PollEngagement {
    const NAME: &'static str = names::POLL_ENGAGEMENT;
    type Input = NoInput;
    type Output = EngagementPolled;
}

/// The result of `poll_engagement`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementPolled {
    /// Published posts followed.
    pub posts: usize,
    /// Posts whose counts changed, and were written.
    pub updated: usize,
    /// Posts whose counts had not changed since the last round.
    #[serde(default)]
    pub unchanged: usize,
    /// Posts the platform no longer has (deleted there).
    pub missing: usize,
    /// Accounts that could not be read this round, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

pub struct EngagementTracker;

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum EngagementTask {
    PollEngagement(#[serde(default)] Option<NoInput>),
}

impl EngagementTracker {
    async fn poll(ctx: &TaskContext) -> Result<EngagementPolled, TaskFailure> {
        let org = ctx.agent.organization_id;
        let since = ctx.store.now() - FOLLOWED_FOR;
        let posts = ctx.store.social_posts().published_since(org, since).await?;
        let mut polled = EngagementPolled {
            posts: posts.len(),
            ..EngagementPolled::default()
        };
        let mut by_account: std::collections::BTreeMap<SocialAccountId, Vec<&SocialPost>> =
            Default::default();
        for post in &posts {
            if post.external_post_id.is_some() {
                by_account
                    .entry(post.social_account_id)
                    .or_default()
                    .push(post);
            }
        }
        if by_account.is_empty() {
            return Ok(polled);
        }
        let port = ctx.integrations()?;
        for (account, posts) in by_account {
            let platform = posts[0].platform;
            let ids: Vec<String> = posts
                .iter()
                .filter_map(|post| post.external_post_id.clone())
                .collect();
            let counts = match port
                .social(
                    org,
                    SocialRequest {
                        platform,
                        account,
                        call: SocialCall::Metrics { posts: ids },
                    },
                )
                .await
            {
                Ok(SocialResponse::Metrics(counts)) => counts,
                Ok(_) => {
                    polled
                        .notes
                        .push(format!("{platform}: an answer of another kind"));
                    continue;
                }
                // A rate limit waits for the next round; one account's failure does not
                // keep the others from being read.
                Err(failure @ TaskFailure::Later { .. }) if polled.updated == 0 => {
                    return Err(failure);
                }
                Err(failure) => {
                    polled
                        .notes
                        .push(format!("{platform} account {account}: {failure}"));
                    continue;
                }
            };
            for post in posts {
                let Some(external) = &post.external_post_id else {
                    continue;
                };
                let Some(found) = counts.iter().find(|count| &count.external_id == external) else {
                    polled.missing += 1;
                    continue;
                };
                let clamp = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
                let engagement = Engagement {
                    likes: clamp(found.likes),
                    comments: clamp(found.comments),
                    shares: clamp(found.shares),
                    views: clamp(found.views),
                };
                // Unchanged counts write nothing: the series holds changes, not polls.
                let known = Engagement {
                    likes: post.engagement_likes,
                    comments: post.engagement_comments,
                    shares: post.engagement_shares,
                    views: post.engagement_views,
                };
                if engagement == known {
                    polled.unchanged += 1;
                    continue;
                }
                ctx.store
                    .social_posts()
                    .record_engagement(org, post.id, engagement)
                    .await?;
                ctx.store
                    .metrics()
                    .record(
                        org,
                        NewMetric {
                            metric_type: "social.engagement".into(),
                            value: f64::from(engagement.likes)
                                + f64::from(engagement.comments)
                                + f64::from(engagement.shares),
                            unit: Some("interactions".into()),
                            dimensions: json!({
                                "social_post_id": post.id,
                                "platform": platform,
                                "likes": engagement.likes,
                                "comments": engagement.comments,
                                "shares": engagement.shares,
                                "views": engagement.views,
                            }),
                            recorded_at: None,
                        },
                    )
                    .await?;
                polled.updated += 1;
            }
        }
        Ok(polled)
    }
}

#[async_trait]
impl Behaviour for EngagementTracker {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }

    async fn perform(
        &mut self,
        ctx: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let EngagementTask::PollEngagement(None | Some(NoInput {})) =
            task_of::<EngagementTask>(task, "the engagement agent")?;
        output(&Self::poll(ctx).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_counts_links_as_23_and_wide_characters_twice() {
        assert_eq!(x_length("hello"), 5);
        assert_eq!(
            x_length("see https://example.com/a/very/long/path/indeed?x=1"),
            4 + 23
        );
        assert_eq!(
            x_length("two https://a.io and http://b.io"),
            4 + 23 + 5 + 23
        );
        assert_eq!(x_length("(https://a.io)"), 1 + 23 + 1);
        // CJK counts twice; accents once.
        assert_eq!(x_length("日本"), 4);
        assert_eq!(x_length("café"), 4);
        // An emoji counts 2, joined or toned.
        assert_eq!(x_length("🚀"), 2);
        assert_eq!(x_length("👍🏽"), 2);
        assert_eq!(x_length("👩‍💻"), 2);
        assert_eq!(length_on(SocialPlatform::Linkedin, "日本 https://a.io"), 15);
    }

    #[test]
    fn an_x_post_fits_whatever_the_headline() {
        let long = "word ".repeat(200);
        let post = template_post(
            SocialPlatform::Twitter,
            "acme/web v2.1.0",
            "is out",
            &long,
            None,
            Some("https://github.com/acme/web/releases/tag/v2.1.0"),
            &["release".into()],
        );
        assert!(x_length(&post) <= X_LIMIT, "{} {post}", x_length(&post));
        assert!(
            post.starts_with("acme/web v2.1.0 is out: word word"),
            "{post}"
        );
        assert!(
            post.contains("… https://github.com/acme/web/releases/tag/v2.1.0"),
            "{post}"
        );
        assert!(post.ends_with("#release"), "{post}");
        let short = template_post(
            SocialPlatform::Twitter,
            "acme/web",
            "shipped",
            "Checkout coupons",
            None,
            Some("https://github.com/acme/web/pull/7"),
            &[],
        );
        assert_eq!(
            short,
            "acme/web shipped: Checkout coupons https://github.com/acme/web/pull/7"
        );
        // A single word longer than the room left is cut by characters.
        let word = "x".repeat(400);
        let post = template_post(
            SocialPlatform::Twitter,
            "a",
            "is out",
            &word,
            None,
            None,
            &[],
        );
        assert_eq!(x_length(&post), X_LIMIT, "{post}");
    }

    #[test]
    fn a_linkedin_post_carries_the_notes_and_the_link() {
        let post = template_post(
            SocialPlatform::Linkedin,
            "acme/web v2.1.0",
            "is out",
            "Coupons",
            Some("## What's new\n\n- Checkout coupons\n- Faster search\n<!-- hidden -->"),
            Some("https://github.com/acme/web/releases/tag/v2.1.0"),
            &["release".into()],
        );
        assert_eq!(
            post,
            "acme/web v2.1.0 is out: Coupons\n\nWhat's new\n\nCheckout coupons\nFaster search\n\nhttps://github.com/acme/web/releases/tag/v2.1.0\n\n#release"
        );
    }

    #[test]
    fn configurations_are_checked() {
        assert!(ContentWriterConfig::read(&json!({})).is_ok());
        assert!(ContentWriterConfig::read(&json!({"platforms": []})).is_err());
        assert!(ContentWriterConfig::read(&json!({"hashtags": ["ship it"]})).is_err());
        assert!(ContentWriterConfig::read(&json!({"hashtags": ["release"]})).is_ok());
    }
}
