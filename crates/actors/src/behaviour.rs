//! What an agent does, separate from how it is run: the [`Behaviour`] trait that each
//! kind of agent implements, and the context a behaviour works in.

use std::sync::Arc;

use async_trait::async_trait;
use companyos_store::{AgentId, AgentTask, Event, OrgId, Store, TaskQueue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The four kinds of agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// Reacts to integration events and spawns tasks.
    Watcher,
    /// Performs one task at a time.
    Executor,
    /// Runs multi-step workflows whose steps are tasks for other agents.
    Coordinator,
    /// Aggregates and predicts; runs on a schedule or on request.
    Analyst,
}

impl AgentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Watcher => "watcher",
            AgentKind::Executor => "executor",
            AgentKind::Coordinator => "coordinator",
            AgentKind::Analyst => "analyst",
        }
    }
}

/// Who an agent is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentIdentity {
    pub id: AgentId,
    pub organization_id: OrgId,
    pub name: String,
    pub agent_type: String,
}

/// What a behaviour may use while it works.
pub struct TaskContext {
    /// Shared with the agent's state: building a context per message clones two `Arc`s,
    /// not the agent's strings and configuration.
    pub agent: Arc<AgentIdentity>,
    pub configuration: Arc<Value>,
    pub store: Store,
    pub queue: Arc<dyn TaskQueue>,
    /// Cancelled when a person cancels the running task; long work should check it.
    pub cancel: CancellationToken,
}

/// Why a task did not complete. Ordinary failures travel back as values; a panic is a
/// crash, which the supervisor handles.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskFailure {
    /// Worth another attempt (a timeout, a 502).
    #[error("{0}")]
    Retryable(String),
    /// Will fail the same way again (bad input, a 404).
    #[error("{0}")]
    Permanent(String),
}

/// A task a watcher (or any agent) asks for: the runtime writes it durably, for the
/// organization's agent of `assign_to_type`.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRequest {
    pub assign_to_type: String,
    pub task_type: String,
    pub input: Value,
    pub priority: i32,
    pub requires_human_approval: bool,
}

/// The behaviour an agent carries. Every method has a default so that each kind
/// implements only what it does.
#[async_trait]
pub trait Behaviour: Send + Sync + 'static {
    fn kind(&self) -> AgentKind;

    /// Performs one task (executors, coordinators, analysts) and returns its output.
    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let _ = context;
        Err(TaskFailure::Permanent(format!(
            "a {} agent does not perform {} tasks",
            self.kind().as_str(),
            task.task_type
        )))
    }

    /// Decides what to do about an event (watchers): the tasks to spawn.
    async fn on_event(
        &mut self,
        context: &TaskContext,
        event: &Event,
    ) -> Result<Vec<TaskRequest>, TaskFailure> {
        let _ = (context, event);
        Ok(Vec::new())
    }

    /// The event-bus topics this agent listens to (e.g. `deployment.completed`).
    fn topics(&self) -> Vec<String> {
        Vec::new()
    }

    /// Reacts to a broadcast on one of its topics: the tasks to spawn, if any.
    async fn on_broadcast(
        &mut self,
        context: &TaskContext,
        topic: &str,
        payload: &Value,
    ) -> Result<Vec<TaskRequest>, TaskFailure> {
        let _ = (context, topic, payload);
        Ok(Vec::new())
    }

    /// Answers a question from another agent (request/response, consensus).
    async fn answer(
        &mut self,
        context: &TaskContext,
        question: &Value,
    ) -> Result<Value, TaskFailure> {
        let _ = (context, question);
        Err(TaskFailure::Permanent(format!(
            "a {} agent answers no questions",
            self.kind().as_str()
        )))
    }
}
