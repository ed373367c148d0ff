//! Recommendations a lead can act on, each with its evidence, from the organization's
//! history: reviewers who are the bottleneck, stale pull requests, deployment windows
//! that fail more than the rest, flaky deployments, and agents near their daily model
//! budgets (from the `llm.tokens` and `llm.deferred` metrics the model gate writes, so
//! whichever node ran the agent). The `recommendation` agent
//! writes them daily as `recommendation.<kind>` events (a recommendation already made in
//! the last week is not repeated).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use companyos_store::{
    AgentTask, DeploymentId, DeploymentState, EventActorType, EventFilter, NewEvent, PageRequest,
    PullRequestId, ResourceKind, ReviewStatus,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::dora::{self, DeploymentFact};
use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::code_review::ReviewResult;
use crate::names;
use crate::registry::{AgentType, AgentTypeRegistry, DefaultSchedule};
use crate::task_kind::{TaskKind, task_of};

pub(super) fn register(registry: &mut AgentTypeRegistry) {
    registry.register(
        AgentType::plain(
            names::RECOMMENDATION,
            AgentKind::Analyst,
            vec![names::RECOMMEND.into()],
            || Box::new(Recommendations),
        )
        .with_schedule(DefaultSchedule {
            name: "Recommendations, daily",
            cron: "0 7 * * 1-5",
            task_type: names::RECOMMEND,
        }),
    );
}

/// A pull request waiting this long for a review makes its suggested reviewer a
/// bottleneck.
pub const REVIEW_WAIT: Duration = Duration::days(2);
/// Waiting pull requests that make a reviewer a bottleneck.
pub const BOTTLENECK_AT: usize = 3;
/// An open pull request untouched this long is stale.
pub const STALE_AFTER: Duration = Duration::days(7);
/// A window's failure rate must be this many times the overall one…
pub const WINDOW_FACTOR: f64 = 2.0;
/// …over at least this many deployments.
pub const WINDOW_MIN: usize = 5;
/// Failed deployments that a redeploy of the same commit fixed, per project, that make
/// it flaky.
pub const FLAKY_AT: usize = 2;
/// The history the deployment recommendations read.
pub const DEPLOYMENT_DAYS: i64 = 90;
/// A day on which an agent used this share of its daily token budget brings it near.
pub const BUDGET_NEAR: f64 = 0.8;
/// The days of model spend read, today included.
pub const BUDGET_DAYS: i64 = 7;

/// An agent's model spend over the last [`BUDGET_DAYS`], as the recommendations read it.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentSpend {
    pub agent_id: companyos_store::AgentId,
    pub name: String,
    /// Its tokens per day (none: no limit, never near).
    pub tokens_per_day: Option<u64>,
    /// Tokens used by UTC day.
    pub daily_tokens: BTreeMap<chrono::NaiveDate, u64>,
    /// Requests its budgets held back.
    pub deferred: usize,
}

/// Agents that used [`BUDGET_NEAR`] of their daily budget on some day, or had requests
/// held back by a budget.
pub fn near_budget(spend: &[AgentSpend]) -> Vec<Recommendation> {
    let mut found = Vec::new();
    for agent in spend {
        let Some(limit) = agent.tokens_per_day.filter(|limit| *limit > 0) else {
            if agent.deferred == 0 {
                continue;
            }
            found.push(Recommendation {
                kind: RecommendationKind::AgentNearBudget,
                subject: agent.agent_id.to_string(),
                title: format!(
                    "{} had {} model requests held back by its requests-per-minute budget in {BUDGET_DAYS} days: raise llm.requests_per_minute or spread its work",
                    agent.name, agent.deferred
                ),
                evidence: json!({"agent": agent.name, "deferred": agent.deferred}),
            });
            continue;
        };
        let near: Vec<(&chrono::NaiveDate, &u64)> = agent
            .daily_tokens
            .iter()
            .filter(|(_, used)| **used as f64 >= BUDGET_NEAR * limit as f64)
            .collect();
        if near.is_empty() && agent.deferred == 0 {
            continue;
        }
        let peak = agent.daily_tokens.values().copied().max().unwrap_or(0);
        found.push(Recommendation {
            kind: RecommendationKind::AgentNearBudget,
            subject: agent.agent_id.to_string(),
            title: format!(
                "{} used {:.0} % of its {limit} tokens per day at its peak ({} of the last {BUDGET_DAYS} days above {:.0} %, {} requests held back): raise its llm.tokens_per_day or give it less to read",
                agent.name,
                100.0 * peak as f64 / limit as f64,
                near.len(),
                100.0 * BUDGET_NEAR,
                agent.deferred
            ),
            evidence: json!({
                "agent": agent.name,
                "tokens_per_day": limit,
                "daily_tokens": agent.daily_tokens.iter()
                    .map(|(day, used)| json!({"day": day.to_string(), "tokens": used}))
                    .collect::<Vec<_>>(),
                "deferred": agent.deferred,
            }),
        });
    }
    found
}

/// An open pull request, as the recommendations read it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenPullRequest {
    pub id: PullRequestId,
    pub number: i32,
    pub title: String,
    pub repository: String,
    pub approved: bool,
    pub draft: bool,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub suggested_reviewers: Vec<String>,
}

/// What a recommendation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationKind {
    ReviewBottleneck,
    StalePullRequests,
    RiskyDeploymentWindow,
    FlakyDeployments,
    AgentNearBudget,
}

impl RecommendationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationKind::ReviewBottleneck => "review_bottleneck",
            RecommendationKind::StalePullRequests => "stale_pull_requests",
            RecommendationKind::RiskyDeploymentWindow => "risky_deployment_window",
            RecommendationKind::FlakyDeployments => "flaky_deployments",
            RecommendationKind::AgentNearBudget => "agent_near_budget",
        }
    }
}

/// A suggestion with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub kind: RecommendationKind,
    /// Who or what it is about (a reviewer's login, a window, a project).
    pub subject: String,
    /// What to do, in one sentence.
    pub title: String,
    /// Why: the rows and figures behind it.
    pub evidence: Value,
}

/// A deployment window: weekday and four-hour band (UTC).
fn window(at: DateTime<Utc>) -> (Weekday, u32) {
    (at.weekday(), at.hour() / 4 * 4)
}

/// The recommendations `now` from the open pull requests and the production
/// deployments of the last 90 days (with those that failed).
pub fn recommend(
    open: &[OpenPullRequest],
    deployments: &[DeploymentFact],
    failed: &std::collections::BTreeSet<DeploymentId>,
    now: DateTime<Utc>,
) -> Vec<Recommendation> {
    let mut found = Vec::new();

    // Reviewers who are the bottleneck.
    let mut waiting_on: BTreeMap<&str, Vec<&OpenPullRequest>> = BTreeMap::new();
    for pr in open
        .iter()
        .filter(|pr| !pr.approved && !pr.draft && now - pr.opened_at >= REVIEW_WAIT)
    {
        for reviewer in &pr.suggested_reviewers {
            waiting_on.entry(reviewer).or_default().push(pr);
        }
    }
    for (reviewer, prs) in waiting_on {
        if prs.len() >= BOTTLENECK_AT {
            found.push(Recommendation {
                kind: RecommendationKind::ReviewBottleneck,
                subject: reviewer.to_owned(),
                title: format!(
                    "{reviewer} is the suggested reviewer of {} pull requests waiting more than {} days: share the reviews or add a code owner",
                    prs.len(),
                    REVIEW_WAIT.num_days()
                ),
                evidence: json!({
                    "pull_requests": prs.iter().map(|pr| json!({
                        "id": pr.id, "number": pr.number, "repository": pr.repository,
                        "waiting_days": (now - pr.opened_at).num_days(),
                    })).collect::<Vec<_>>(),
                }),
            });
        }
    }

    // Stale pull requests.
    let mut stale: Vec<&OpenPullRequest> = open
        .iter()
        .filter(|pr| now - pr.updated_at >= STALE_AFTER)
        .collect();
    stale.sort_by_key(|pr| pr.updated_at);
    if !stale.is_empty() {
        found.push(Recommendation {
            kind: RecommendationKind::StalePullRequests,
            subject: "pull requests".into(),
            title: format!(
                "{} open pull requests have not moved for {} days or more: merge, close or hand them over",
                stale.len(),
                STALE_AFTER.num_days()
            ),
            evidence: json!({
                "pull_requests": stale.iter().take(20).map(|pr| json!({
                    "id": pr.id, "number": pr.number, "title": pr.title,
                    "repository": pr.repository,
                    "idle_days": (now - pr.updated_at).num_days(),
                })).collect::<Vec<_>>(),
            }),
        });
    }

    // Deployment windows that fail more than the rest.
    let finished: Vec<&DeploymentFact> = deployments
        .iter()
        .filter(|d| matches!(d.state, DeploymentState::Ready | DeploymentState::Error))
        .collect();
    let failures = finished.iter().filter(|d| failed.contains(&d.id)).count();
    if !finished.is_empty() && failures > 0 {
        let overall = failures as f64 / finished.len() as f64;
        let mut windows: BTreeMap<(u32, u32), (usize, usize)> = BTreeMap::new();
        for d in &finished {
            let (day, hour) = window(d.created_at);
            let entry = windows
                .entry((day.num_days_from_monday(), hour))
                .or_default();
            entry.0 += 1;
            entry.1 += usize::from(failed.contains(&d.id));
        }
        for ((day, hour), (count, failed_here)) in windows {
            let rate = failed_here as f64 / count as f64;
            if count >= WINDOW_MIN && rate >= WINDOW_FACTOR * overall && failed_here >= 2 {
                let weekday =
                    Weekday::try_from(u8::try_from(day).unwrap_or(0)).unwrap_or(Weekday::Mon);
                let subject = format!("{weekday} {hour:02}:00–{:02}:00 UTC", hour + 4);
                found.push(Recommendation {
                    kind: RecommendationKind::RiskyDeploymentWindow,
                    title: format!(
                        "Deployments on {subject} fail {:.0} % of the time against {:.0} % overall: avoid deploying then, or add a check",
                        100.0 * rate,
                        100.0 * overall
                    ),
                    subject,
                    evidence: json!({
                        "deployments": count, "failed": failed_here,
                        "failure_rate": rate, "overall_failure_rate": overall,
                        "days": DEPLOYMENT_DAYS,
                    }),
                });
            }
        }
    }

    // Flaky deployments: a failed build whose commit the next deployment of the project
    // shipped unchanged, successfully.
    let mut flaky: BTreeMap<&str, Vec<(&DeploymentFact, &DeploymentFact)>> = BTreeMap::new();
    for (i, d) in deployments.iter().enumerate() {
        if d.state != DeploymentState::Error || d.commit_sha.is_none() {
            continue;
        }
        let next = deployments[i + 1..].iter().find(|later| {
            later.project == d.project
                && matches!(later.state, DeploymentState::Ready | DeploymentState::Error)
        });
        if let Some(next) = next
            && next.state == DeploymentState::Ready
            && next.commit_sha == d.commit_sha
        {
            flaky.entry(&d.project).or_default().push((d, next));
        }
    }
    for (project, pairs) in flaky {
        if pairs.len() >= FLAKY_AT {
            found.push(Recommendation {
                kind: RecommendationKind::FlakyDeployments,
                subject: project.to_owned(),
                title: format!(
                    "{project}'s builds failed {} times and then passed on the same commit: its build is flaky (tests, caches or the network)",
                    pairs.len()
                ),
                evidence: json!({
                    "retried": pairs.iter().map(|(failed, passed)| json!({
                        "failed": failed.id, "passed": passed.id, "commit_sha": failed.commit_sha,
                    })).collect::<Vec<_>>(),
                }),
            });
        }
    }
    found
}

/// `recommend`: the organization's recommendations today.
pub struct Recommend;

impl TaskKind for Recommend {
    const NAME: &'static str = names::RECOMMEND;
    type Input = super::NoInput;
    type Output = Recommended;
}

/// What `recommend` found and wrote.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recommended {
    pub recommendations: Vec<Recommendation>,
    /// Those already made in the last week, not repeated.
    pub repeated: usize,
}

#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum RecommendationTask {
    Recommend(#[serde(default)] Option<super::NoInput>),
}

/// Analyst: recommendations.
pub struct Recommendations;

/// The event type of a recommendation of `kind`.
pub fn event_type(kind: RecommendationKind) -> String {
    format!("recommendation.{}", kind.as_str())
}

impl Recommendations {
    async fn run(&self, ctx: &TaskContext, task: &AgentTask) -> Result<Recommended, TaskFailure> {
        let org = ctx.agent.organization_id;
        let now = ctx.store.now();
        let open = super::open_pull_requests(&ctx.store, org).await?;
        let open: Vec<OpenPullRequest> = open
            .into_iter()
            .map(|(pr, repository)| OpenPullRequest {
                suggested_reviewers: pr
                    .agent_review
                    .clone()
                    .and_then(|review| serde_json::from_value::<ReviewResult>(review).ok())
                    .map(|review| review.suggested_reviewers)
                    .unwrap_or_default(),
                id: pr.id,
                number: pr.number,
                title: pr.title,
                repository: repository.full_name,
                approved: pr.review_status == Some(ReviewStatus::Approved),
                draft: pr.draft,
                opened_at: pr.opened_at.unwrap_or(pr.created_at),
                updated_at: pr.updated_at,
            })
            .collect();
        let history =
            super::delivery_history(&ctx.store, org, now - Duration::days(DEPLOYMENT_DAYS), now)
                .await?;
        let failed = dora::failed_deployments(&history);
        let mut recommended = Recommended::default();
        let mut all = recommend(&open, &history.deployments, &failed, now);
        all.extend(near_budget(&agent_spend(ctx, now).await?));
        for recommendation in all {
            let kind = event_type(recommendation.kind);
            let earlier = ctx
                .store
                .events()
                .list(
                    org,
                    &EventFilter {
                        event_type: Some(kind.clone()),
                        created_after: Some(now - Duration::days(7)),
                        ..EventFilter::default()
                    },
                    &PageRequest::first(100),
                )
                .await?
                .items;
            if earlier
                .iter()
                .any(|event| event.metadata.get("subject") == Some(&json!(recommendation.subject)))
            {
                recommended.repeated += 1;
                continue;
            }
            let event = ctx
                .store
                .events()
                .record(
                    org,
                    NewEvent {
                        event_type: kind,
                        event_source: "companyos".into(),
                        actor_type: Some(EventActorType::Agent),
                        actor_id: Some(ctx.agent.id.0),
                        resource_type: Some(ResourceKind::AgentTask),
                        resource_id: Some(task.id.0),
                        metadata: json!({
                            "subject": recommendation.subject,
                            "title": recommendation.title,
                            "evidence": recommendation.evidence,
                        }),
                    },
                )
                .await?;
            // A record for people, not a trigger.
            ctx.store.events().mark_routed(org, event.id).await?;
            recommended.recommendations.push(recommendation);
        }
        Ok(recommended)
    }
}

/// Each agent's model spend over the last [`BUDGET_DAYS`] days, from the metrics the
/// model gate writes; agents that spent nothing are left out.
async fn agent_spend(
    ctx: &TaskContext,
    now: DateTime<Utc>,
) -> Result<Vec<AgentSpend>, TaskFailure> {
    let org = ctx.agent.organization_id;
    let from = (now - Duration::days(BUDGET_DAYS - 1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now - Duration::days(BUDGET_DAYS), |start| start.and_utc());
    let metrics = ctx.store.metrics();
    let tokens = metrics
        .series(
            org,
            crate::llm::LLM_TOKENS,
            from,
            now + Duration::seconds(1),
        )
        .await?;
    let deferred = metrics
        .series(
            org,
            crate::llm::LLM_DEFERRED,
            from,
            now + Duration::seconds(1),
        )
        .await?;
    let mut spend: BTreeMap<String, (BTreeMap<chrono::NaiveDate, u64>, usize)> = BTreeMap::new();
    for point in &tokens {
        if let Some(agent) = point.dimensions.get("agent").and_then(Value::as_str) {
            *spend
                .entry(agent.to_owned())
                .or_default()
                .0
                .entry(point.recorded_at.date_naive())
                .or_default() += point.value.max(0.0) as u64;
        }
    }
    for point in &deferred {
        if let Some(agent) = point.dimensions.get("agent").and_then(Value::as_str) {
            spend.entry(agent.to_owned()).or_default().1 += 1;
        }
    }
    let ids: Vec<companyos_store::AgentId> = spend
        .keys()
        .filter_map(|agent| agent.parse().ok())
        .collect();
    // An agent deleted since is nobody's to tune: it is not among the rows.
    let rows = ctx.store.agents().get_many(org, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let (daily_tokens, deferred) = spend.remove(&row.id.to_string())?;
            Some(AgentSpend {
                agent_id: row.id,
                tokens_per_day: ctx.llm.tokens_per_day(&row.configuration),
                name: row.name,
                daily_tokens,
                deferred,
            })
        })
        .collect())
}

#[async_trait]
impl Behaviour for Recommendations {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let RecommendationTask::Recommend(None | Some(super::NoInput {})) =
            task_of::<RecommendationTask>(task, "the recommendation agent")?;
        output(&self.run(context, task).await?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        // 2026-03-02 is a Monday.
        Utc.with_ymd_and_hms(2026, 3, 2 + day, hour, 0, 0)
            .single()
            .expect("a valid time")
    }

    fn pr(
        number: i32,
        opened: DateTime<Utc>,
        updated: DateTime<Utc>,
        reviewers: &[&str],
    ) -> OpenPullRequest {
        OpenPullRequest {
            id: PullRequestId::new(),
            number,
            title: format!("change {number}"),
            repository: "acme/web".into(),
            approved: false,
            draft: false,
            opened_at: opened,
            updated_at: updated,
            suggested_reviewers: reviewers.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn deployment(
        project: &str,
        state: DeploymentState,
        sha: &str,
        created: DateTime<Utc>,
    ) -> DeploymentFact {
        DeploymentFact {
            id: DeploymentId::new(),
            project: project.into(),
            state,
            commit_sha: Some(sha.into()),
            branch: Some("main".into()),
            commit_message: None,
            created_at: created,
            ready_at: Some(created),
        }
    }

    #[test]
    fn a_fixed_history_gives_each_recommendation_with_its_evidence() {
        let now = at(21, 12);
        // ana is suggested on three pull requests waiting 3+ days; bo on two; the draft
        // and the approved one do not count. #5 and #6 have not moved for 8+ days.
        let mut approved = pr(4, at(10, 9), at(20, 9), &["ana"]);
        approved.approved = true;
        let mut draft = pr(7, at(10, 9), at(20, 9), &["ana"]);
        draft.draft = true;
        let open = vec![
            pr(1, at(17, 9), at(20, 9), &["ana", "bo"]),
            pr(2, at(18, 9), at(20, 9), &["ana"]),
            pr(3, at(15, 9), at(20, 9), &["ana", "bo"]),
            approved,
            pr(5, at(1, 9), at(12, 9), &[]),
            pr(6, at(2, 9), at(13, 9), &[]),
            draft,
            // Opened a day ago: not waiting long enough.
            pr(8, at(20, 12), at(20, 12), &["ana"]),
        ];
        // web deploys three times a day on weekdays for three weeks, at 10:00, 13:00 and
        // 14:00 UTC; those on Friday afternoons fail (6 of 6), nothing else does. api's
        // build failed twice on a Saturday and passed on the same commit each time.
        let mut deployments = Vec::new();
        let mut failed = BTreeSet::new();
        for week in 0..3 {
            for weekday in 0..5 {
                for hour in [10, 13, 14] {
                    let friday_afternoon = weekday == 4 && hour >= 12;
                    let state = if friday_afternoon {
                        DeploymentState::Error
                    } else {
                        DeploymentState::Ready
                    };
                    let d = deployment(
                        "web",
                        state,
                        &format!("w{week}{weekday}{hour}"),
                        at(week * 7 + weekday, hour),
                    );
                    if friday_afternoon {
                        failed.insert(d.id);
                    }
                    deployments.push(d);
                }
            }
        }
        for (day, sha) in [(5, "x1"), (12, "x2")] {
            let broken = deployment("api", DeploymentState::Error, sha, at(day, 11));
            failed.insert(broken.id);
            deployments.push(broken);
            deployments.push(deployment("api", DeploymentState::Ready, sha, at(day, 12)));
        }
        deployments.sort_by_key(|d| d.created_at);

        let found = recommend(&open, &deployments, &failed, now);
        let kinds: Vec<(RecommendationKind, &str)> =
            found.iter().map(|r| (r.kind, r.subject.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (RecommendationKind::ReviewBottleneck, "ana"),
                (RecommendationKind::StalePullRequests, "pull requests"),
                (
                    RecommendationKind::RiskyDeploymentWindow,
                    "Fri 12:00–16:00 UTC"
                ),
                (RecommendationKind::FlakyDeployments, "api"),
            ]
        );
        let bottleneck = &found[0].evidence["pull_requests"];
        let numbers: Vec<i64> = bottleneck
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|pr| pr["number"].as_i64())
            .collect();
        assert_eq!(numbers, [1, 2, 3]);
        let stale: Vec<i64> = found[1].evidence["pull_requests"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|pr| pr["number"].as_i64())
            .collect();
        assert_eq!(stale, [5, 6]);
        // 6 of 6 in the window; 8 of 49 overall (6 web, 2 api).
        assert_eq!(found[2].evidence["deployments"], 6);
        assert_eq!(found[2].evidence["failed"], 6);
        assert_eq!(found[2].evidence["overall_failure_rate"], 8.0 / 49.0);
        assert_eq!(
            found[3].evidence["retried"].as_array().map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn a_quiet_history_recommends_nothing() {
        let now = at(10, 12);
        let open = vec![pr(1, at(9, 9), at(9, 9), &["ana"])];
        let deployments: Vec<DeploymentFact> = (0..10)
            .map(|day| {
                deployment(
                    "web",
                    DeploymentState::Ready,
                    &format!("s{day}"),
                    at(day, 10),
                )
            })
            .collect();
        assert!(recommend(&open, &deployments, &BTreeSet::new(), now).is_empty());
    }

    #[test]
    fn agents_near_their_budgets_and_no_others() {
        let day = |d: u32| at(d, 12).date_naive();
        let spend = |name: &str, limit: Option<u64>, used: &[(u32, u64)], deferred| AgentSpend {
            agent_id: companyos_store::AgentId::new(),
            name: name.into(),
            tokens_per_day: limit,
            daily_tokens: used.iter().map(|(d, tokens)| (day(*d), *tokens)).collect(),
            deferred,
        };
        let agents = vec![
            // 850 of 1,000 on one day: near.
            spend("reviewer", Some(1_000), &[(1, 200), (2, 850)], 0),
            // 790 of 1,000 at most, nothing held back: not near.
            spend("writer", Some(1_000), &[(1, 790), (2, 500)], 0),
            // No token limit, but held back by the requests per minute.
            spend("hurried", None, &[(1, 5_000)], 3),
            // No limit and never held back.
            spend("free", None, &[(1, 90_000)], 0),
        ];
        let found = near_budget(&agents);
        let names: Vec<&str> = found
            .iter()
            .filter_map(|found| found.evidence["agent"].as_str())
            .collect();
        assert_eq!(names, vec!["reviewer", "hurried"]);
        assert!(
            found
                .iter()
                .all(|found| found.kind == RecommendationKind::AgentNearBudget)
        );
        assert!(found[0].title.contains("85 %"), "{}", found[0].title);
        assert_eq!(found[0].evidence["tokens_per_day"], 1_000);
        assert_eq!(found[0].evidence["daily_tokens"][1]["tokens"], 850);
        assert_eq!(found[0].subject, agents[0].agent_id.to_string());
        assert!(
            found[1].title.contains("3 model requests"),
            "{}",
            found[1].title
        );
    }
}
