//! History: the rows the analysts read over a time range — production deployments,
//! merged pull requests with their repository, the incidents and rollbacks asked for,
//! finished tasks and published posts — each one query, tenant-scoped.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{Backend, Store};
use crate::error::StoreError;
use crate::ids::{OrgId, PullRequestId};
use crate::{AgentTask, Deployment};

/// A merged pull request and the repository it was merged into.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct MergedPullRequest {
    pub id: PullRequestId,
    pub number: i32,
    pub title: String,
    /// `owner/name`.
    pub repository: String,
    /// The repository's short name.
    pub repository_name: String,
    pub author_github_id: Option<i64>,
    #[sqlx(json)]
    pub metadata: Value,
    pub opened_at: Option<DateTime<Utc>>,
    pub merged_at: DateTime<Utc>,
    /// The code review agent's result, when it reviewed the pull request.
    #[sqlx(json(nullable))]
    pub agent_review: Option<Value>,
}

impl MergedPullRequest {
    /// The commit the pull request's branch ended on, as GitHub last reported it.
    pub fn head_sha(&self) -> Option<&str> {
        self.metadata.get("head_sha").and_then(Value::as_str)
    }
}

/// A pull request as a standup lists it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PullRequestLine {
    pub id: PullRequestId,
    pub number: i32,
    pub title: String,
    /// `owner/name`.
    pub repository: String,
    /// Since when it waits (opened, or last updated), for the ones waiting.
    pub since: DateTime<Utc>,
}

/// What one agent type did in a range.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AgentWork {
    pub agent_type: String,
    pub completed: i64,
    pub failed: i64,
}

/// Finished tasks of a range, by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FinishedTasks {
    pub completed: i64,
    pub failed: i64,
}

/// A daily series the anomaly detectors watch.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// Production deployments that failed.
    DeploymentFailures,
    /// Tasks that failed.
    TaskFailures,
    /// Tasks that completed or failed.
    TasksFinished,
    /// Webhook deliveries to the organization's integrations refused at the edge (a bad
    /// signature, a replayed challenge, a body too large or too slow), as the webhook
    /// receiver tallies them into `metrics` (`webhooks.rejected`).
    WebhookRejections,
    /// Webhook deliveries accepted that could not be read (malformed) or processed
    /// (failed).
    DeliveriesUnprocessed,
    /// Likes, comments and shares of the posts published that day.
    Engagement,
}

impl Series {
    pub const ALL: [Series; 6] = [
        Series::DeploymentFailures,
        Series::TaskFailures,
        Series::TasksFinished,
        Series::WebhookRejections,
        Series::DeliveriesUnprocessed,
        Series::Engagement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Series::DeploymentFailures => "deployment_failures",
            Series::TaskFailures => "task_failures",
            Series::TasksFinished => "tasks_finished",
            Series::WebhookRejections => "webhook_rejections",
            Series::DeliveriesUnprocessed => "deliveries_unprocessed",
            Series::Engagement => "engagement",
        }
    }

    /// The table, its time column, what is summed and which rows count.
    fn source(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Series::DeploymentFailures => (
                "deployments",
                "created_at",
                "COUNT(*)",
                "environment = 'production' AND state = 'error'",
            ),
            Series::TaskFailures => (
                "agent_tasks",
                "completed_at",
                "COUNT(*)",
                "status = 'failed'",
            ),
            Series::TasksFinished => (
                "agent_tasks",
                "completed_at",
                "COUNT(*)",
                "status IN ('completed', 'failed')",
            ),
            Series::WebhookRejections => (
                "metrics",
                "recorded_at",
                "SUM(value)",
                "metric_type = 'webhooks.rejected'",
            ),
            Series::DeliveriesUnprocessed => (
                "webhook_deliveries",
                "received_at",
                "COUNT(*)",
                "status IN ('malformed', 'failed')",
            ),
            Series::Engagement => (
                "social_posts s JOIN social_accounts a ON a.id = s.social_account_id",
                "s.published_at",
                "SUM(s.engagement_likes + s.engagement_comments + s.engagement_shares)",
                "s.status = 'published'",
            ),
        }
    }
}

pub struct History<'a> {
    store: &'a Store,
}

impl History<'_> {
    /// Production deployments created in `[from, to)`, oldest first.
    pub async fn production_deployments(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Deployment>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM deployments WHERE organization_id = $1
                   AND environment = 'production' AND created_at >= $2 AND created_at < $3
                 ORDER BY created_at, id",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })
    }

    /// Pull requests merged in `[from, to)`, oldest merge first.
    pub async fn merged_pull_requests(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MergedPullRequest>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.id, p.number, p.title, r.full_name AS repository, r.name AS repository_name,
                        p.author_github_id, p.metadata, p.opened_at, p.merged_at, p.agent_review
                 FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
                 WHERE r.organization_id = $1 AND p.merged_at >= $2 AND p.merged_at < $3
                 ORDER BY p.merged_at, p.id",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })
    }

    /// Tasks of `task_type` created in `[from, to)`, oldest first.
    pub async fn tasks_of_type(
        &self,
        org: OrgId,
        task_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AgentTask>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM agent_tasks WHERE organization_id = $1 AND task_type = $2
                   AND created_at >= $3 AND created_at < $4 ORDER BY created_at, id",
            )
            .bind(org)
            .bind(task_type)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })
    }

    /// Pull requests opened in `[from, to)` (not drafts), oldest first, at most 50.
    pub async fn opened_pull_requests(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PullRequestLine>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.id, p.number, p.title, r.full_name AS repository,
                        COALESCE(p.opened_at, p.created_at) AS since
                 FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
                 WHERE r.organization_id = $1 AND p.draft = FALSE
                   AND COALESCE(p.opened_at, p.created_at) >= $2 AND COALESCE(p.opened_at, p.created_at) < $3
                 ORDER BY since, p.id LIMIT 50",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })
    }

    /// Open pull requests (not drafts) that no reviewer approved or asked changes of,
    /// opened before `at`: the longest waiting first, at most 50.
    pub async fn waiting_for_review(
        &self,
        org: OrgId,
        at: DateTime<Utc>,
    ) -> Result<Vec<PullRequestLine>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT p.id, p.number, p.title, r.full_name AS repository,
                        COALESCE(p.opened_at, p.created_at) AS since
                 FROM pull_requests p JOIN repositories r ON r.id = p.repository_id
                 WHERE r.organization_id = $1 AND p.state = 'open' AND p.draft = FALSE
                   AND (p.review_status IS NULL OR p.review_status = 'pending')
                   AND COALESCE(p.opened_at, p.created_at) < $2
                 ORDER BY since, p.id LIMIT 50",
            )
            .bind(org)
            .bind(at)
            .fetch_all(pool)
            .await
        })
    }

    /// Tasks finished in `[from, to)` by the agent type that performed them, busiest
    /// first.
    pub async fn work_by_agent_type(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AgentWork>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT a.agent_type,
                        SUM(CASE WHEN t.status = 'completed' THEN 1 ELSE 0 END) AS completed,
                        SUM(CASE WHEN t.status = 'failed' THEN 1 ELSE 0 END) AS failed
                 FROM agent_tasks t JOIN agents a ON a.id = t.agent_id
                 WHERE t.organization_id = $1 AND t.status IN ('completed', 'failed')
                   AND t.completed_at >= $2 AND t.completed_at < $3
                 GROUP BY a.agent_type
                 ORDER BY COUNT(*) DESC, a.agent_type",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })
    }

    /// Tasks waiting for a person's approval now.
    pub async fn approvals_waiting(&self, org: OrgId) -> Result<i64, StoreError> {
        let (count,): (i64,) = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM agent_tasks WHERE organization_id = $1 AND status = 'needs_approval'",
            )
            .bind(org)
            .fetch_one(pool)
            .await
        })?;
        Ok(count)
    }

    /// Tasks that completed or failed in `[from, to)`.
    pub async fn finished_tasks(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<FinishedTasks, StoreError> {
        let rows: Vec<(String, i64)> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM agent_tasks WHERE organization_id = $1
                   AND status IN ('completed', 'failed')
                   AND completed_at >= $2 AND completed_at < $3
                 GROUP BY status",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })?;
        let mut finished = FinishedTasks::default();
        for (status, count) in rows {
            match status.as_str() {
                "completed" => finished.completed = count,
                _ => finished.failed = count,
            }
        }
        Ok(finished)
    }

    /// Social posts published in `[from, to)`.
    /// Posts published in `[from, to)`, oldest first.
    pub async fn published_posts(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::SocialPost>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT s.* FROM social_posts s
                 JOIN social_accounts a ON a.id = s.social_account_id
                 WHERE a.organization_id = $1 AND s.status = 'published'
                   AND s.published_at >= $2 AND s.published_at < $3
                 ORDER BY s.published_at, s.id",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
        })
    }

    pub async fn posts_published(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM social_posts s
                 JOIN social_accounts a ON a.id = s.social_account_id
                 WHERE a.organization_id = $1 AND s.status = 'published'
                   AND s.published_at >= $2 AND s.published_at < $3",
            )
            .bind(org)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
        })
    }
}

impl History<'_> {
    /// `series` over the `days` 24-hour windows ending at `end`, oldest first: the last
    /// value is `(end − 24 h, end]`.
    pub async fn daily(
        &self,
        org: OrgId,
        series: Series,
        end: DateTime<Utc>,
        days: u32,
    ) -> Result<Vec<f64>, StoreError> {
        let (table, column, value, filter) = series.source();
        let bucket = match self.store.backend() {
            Backend::Postgres => {
                format!("CAST(FLOOR(EXTRACT(EPOCH FROM ($2 - {column})) / 86400) AS BIGINT)")
            }
            Backend::Sqlite => {
                format!("CAST(julianday($2) - julianday({column}) AS INTEGER)")
            }
        };
        let organization = if table.starts_with("social_posts") {
            "a.organization_id"
        } else {
            "organization_id"
        };
        let sql = format!(
            "SELECT {bucket} AS day, CAST({value} AS DOUBLE PRECISION) FROM {table}
             WHERE {organization} = $1 AND {column} <= $2 AND {column} > $3 AND {filter}
             GROUP BY day"
        );
        let start = end - chrono::Duration::days(i64::from(days));
        let rows: Vec<(i64, Option<f64>)> = reader!(self.store, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(org)
                .bind(end)
                .bind(start)
                .fetch_all(pool)
                .await
        })?;
        let mut values = vec![0.0; days as usize];
        for (day, value) in rows {
            if let Ok(day) = usize::try_from(day)
                && day < values.len()
            {
                let at = values.len() - 1 - day;
                values[at] += value.unwrap_or(0.0);
            }
        }
        Ok(values)
    }
}

impl Store {
    pub fn history(&self) -> History<'_> {
        History { store: self }
    }
}
