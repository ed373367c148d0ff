//! Agents CompanyOS ships with today: small, but real behaviours of each kind that the
//! runtime's tests exercise. The service-specific agents (code review, deployment,
//! content, …) come with the integrations.

use async_trait::async_trait;
use companyos_store::{AgentTask, NewMetric, TaskStatus, now};
use serde_json::{Value, json};

use serde::{Deserialize, Serialize};

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::names;
use crate::registry::{AgentType, AgentTypeRegistry};
use crate::task_kind::{TaskKind, task_of};

pub fn register_all(registry: &mut AgentTypeRegistry) {
    registry.register(AgentType::plain(
        names::TEXT_STATS,
        AgentKind::Executor,
        vec![names::COUNT_TEXT.into()],
        || Box::new(TextStats),
    ));
    registry.register(AgentType::configured(
        names::WORKFLOW_COORDINATOR,
        AgentKind::Coordinator,
        vec![names::RUN_WORKFLOW.into()],
        |plan| Box::new(crate::coordinator::WorkflowCoordinator::new(plan)),
    ));
    registry.register(AgentType::plain(
        names::TASK_ANALYTICS,
        AgentKind::Analyst,
        vec![names::TASK_SUCCESS_RATE.into()],
        || Box::new(TaskAnalytics),
    ));
}

/// Executor: counts the words, lines and characters of `input.text`.
pub struct TextStats;

/// `count_text`: the words, lines and characters of a text.
pub struct CountText;

impl TaskKind for CountText {
    const NAME: &'static str = names::COUNT_TEXT;
    type Input = TextInput;
    type Output = TextCounts;
}

/// The input of `count_text`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextInput {
    pub text: String,
}

/// The output of `count_text`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextCounts {
    pub words: usize,
    pub lines: usize,
    pub characters: usize,
}

/// The tasks the text statistics agent performs.
#[derive(Deserialize)]
#[serde(tag = "task_type", content = "input", rename_all = "snake_case")]
enum TextStatsTask {
    CountText(TextInput),
}

#[async_trait]
impl Behaviour for TextStats {
    fn kind(&self) -> AgentKind {
        AgentKind::Executor
    }

    async fn perform(
        &mut self,
        _context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let TextStatsTask::CountText(TextInput { text }) =
            task_of::<TextStatsTask>(task, "the text statistics agent")?;
        output(&TextCounts {
            words: text.split_whitespace().count(),
            lines: text.lines().count(),
            characters: text.chars().count(),
        })
    }

    async fn answer(
        &mut self,
        _context: &TaskContext,
        question: &Value,
    ) -> Result<Value, TaskFailure> {
        let text = question
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Ok(json!({"words": text.split_whitespace().count()}))
    }
}

/// Analyst: the organization's task success rate over the last day, written as the
/// metric `task_success_rate` (percent) and returned.
pub struct TaskAnalytics;

/// `task_success_rate`: the organization's task success rate (any input).
pub struct TaskSuccessRate;

impl TaskKind for TaskSuccessRate {
    const NAME: &'static str = names::TASK_SUCCESS_RATE;
    type Input = ();
    type Output = SuccessRate;
}

/// The result of `task_success_rate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuccessRate {
    /// Completed tasks in percent of finished ones (100 with none finished).
    pub task_success_rate: f64,
    pub completed: i64,
    pub failed: i64,
}

#[async_trait]
impl Behaviour for TaskAnalytics {
    fn kind(&self) -> AgentKind {
        AgentKind::Analyst
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        _task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let org = context.agent.organization_id;
        let counts = context.store.tasks().count_by_status(org).await?;
        let count = |wanted: TaskStatus| {
            counts
                .iter()
                .find(|(status, _)| *status == wanted)
                .map_or(0, |(_, n)| *n)
        };
        let (completed, failed) = (count(TaskStatus::Completed), count(TaskStatus::Failed));
        let finished = completed + failed;
        let rate = if finished == 0 {
            100.0
        } else {
            100.0 * completed as f64 / finished as f64
        };
        context
            .store
            .metrics()
            .record(
                org,
                NewMetric {
                    metric_type: "task_success_rate".into(),
                    value: rate,
                    unit: Some("percentage".into()),
                    dimensions: json!({"completed": completed, "failed": failed}),
                    recorded_at: Some(now()),
                },
            )
            .await?;
        output(&SuccessRate {
            task_success_rate: rate,
            completed,
            failed,
        })
    }
}
