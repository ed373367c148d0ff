//! Agents CompanyOS ships with today: small, but real behaviours of each kind that the
//! runtime's tests exercise. The service-specific agents (code review, deployment,
//! content, …) come with the integrations.

use async_trait::async_trait;
use companyos_store::{AgentTask, NewMetric, TaskStatus, now};
use serde_json::{Value, json};

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure};
use crate::names;
use crate::registry::{AgentType, AgentTypeRegistry};

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
        vec!["run_workflow".into()],
        |plan| Box::new(crate::coordinator::WorkflowCoordinator::new(plan)),
    ));
    registry.register(AgentType::plain(
        names::TASK_ANALYTICS,
        AgentKind::Analyst,
        vec!["task_success_rate".into()],
        || Box::new(TaskAnalytics),
    ));
}

/// Executor: counts the words, lines and characters of `input.text`.
pub struct TextStats;

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
        let text = task
            .input_data
            .as_ref()
            .and_then(|input| input.get("text"))
            .and_then(Value::as_str)
            .ok_or_else(|| TaskFailure::Permanent("input.text (a string) is required".into()))?;
        Ok(Some(json!({
            "words": text.split_whitespace().count(),
            "lines": text.lines().count(),
            "characters": text.chars().count(),
        })))
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
        Ok(Some(
            json!({"task_success_rate": rate, "completed": completed, "failed": failed}),
        ))
    }
}
