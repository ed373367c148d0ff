//! A task type as one Rust type: its name, what it takes and what it gives. The agent
//! that performs it, whoever asks for it and the coordinators that read its result share
//! the one definition, so a result is read as the type it was written as, never by key.

use companyos_store::AgentTask;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::behaviour::{TaskFailure, TaskRequest};

/// A task type and its contract.
pub trait TaskKind: Send + Sync + 'static {
    /// The task type, as tasks name it (`names.rs`).
    const NAME: &'static str;
    type Input: Serialize + DeserializeOwned + Send + Sync;
    type Output: Serialize + DeserializeOwned + Send + Sync;

    /// A request for a task of this kind, for an agent of `agent_type`.
    fn request(agent_type: &str, input: &Self::Input, priority: i32) -> TaskRequest {
        TaskRequest::new(agent_type, Self::NAME, input, priority)
    }
}

/// The output of a completed `task`, read as the kind's output.
pub fn output_of<K: TaskKind>(task: &AgentTask) -> Result<K::Output, TaskFailure> {
    let value = task.output_data.clone().unwrap_or(Value::Null);
    serde_json::from_value(value).map_err(|error| {
        TaskFailure::Permanent(format!(
            "the result of {} task {} is not a {} result: {error}",
            K::NAME,
            task.id,
            K::NAME
        ))
    })
}

/// The task as the agent's own enum of the tasks it performs (adjacently tagged by
/// `task_type`, with the input as content): a task type the agent does not perform, or
/// an input it cannot use, is a permanent failure saying so.
pub fn task_of<T: DeserializeOwned>(task: &AgentTask, agent: &str) -> Result<T, TaskFailure> {
    let tagged = serde_json::json!({
        "task_type": task.task_type,
        "input": task.input_data.clone().unwrap_or(Value::Null),
    });
    serde_json::from_value(tagged).map_err(|error| {
        TaskFailure::Permanent(format!(
            "{agent} cannot perform this {} task: {error}",
            task.task_type
        ))
    })
}
