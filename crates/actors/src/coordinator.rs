//! The workflow coordinator: a coordinator agent whose configuration describes a
//! multi-step workflow. Each step is a task for another agent (by agent type); the
//! steps of one stage run in parallel, and a blocking step holds the next stage back
//! until it finishes. Progress — the run's current stage and each step's task — is
//! persisted before anything is spawned, so a coordinator restarted mid-workflow resumes
//! at the stage it was on, and never spawns a step twice.
//!
//! Configuration:
//! ```json
//! {"steps": [
//!   {"stage": 0, "name": "pre_deployment_check", "assign_to_type": "qa", "task_type": "check"},
//!   {"stage": 1, "name": "deploy", "assign_to_type": "deployer", "task_type": "deploy",
//!    "requires_approval": true},
//!   {"stage": 2, "name": "notify", "assign_to_type": "notifier", "task_type": "notify", "blocking": false}
//! ]}
//! ```

use async_trait::async_trait;
use companyos_store::{
    AgentTask, Assignee, CollaborationType, NewTask, NewWorkflowStep, WorkflowRun, WorkflowRunId,
    WorkflowStatus, WorkflowStepStatus,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{AgentKind, Behaviour, TaskContext, TaskFailure, output};
use crate::registry::Configuration;
use crate::task_kind::TaskKind;

/// `run_workflow`: run the coordinator's plan once. The input is handed to no step (each
/// step's input is in the plan); it is kept with the run.
pub struct RunWorkflow;

impl TaskKind for RunWorkflow {
    const NAME: &'static str = crate::names::RUN_WORKFLOW;
    type Input = Value;
    type Output = WorkflowOutcome;
}

/// What a workflow run keeps as its input: the task that started it (so a retried task
/// finds its run) and that task's input.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct RunInput {
    task_id: companyos_store::TaskId,
    input: Option<Value>,
}

/// The result of `run_workflow`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum WorkflowOutcome {
    /// Every step finished: each step's output by its name (the steps are other agents'
    /// tasks, of any kind).
    Finished {
        workflow_run: WorkflowRunId,
        steps: std::collections::BTreeMap<String, Value>,
    },
    /// The run had finished before this attempt (a retry after the last step).
    Resumed {
        workflow_run: WorkflowRunId,
        resumed: bool,
    },
}

/// One step of a workflow.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Steps of one stage run in parallel; stages run in order from 0.
    #[garde(range(min = 0))]
    pub stage: i32,
    /// The step's name, unique in the workflow.
    #[garde(length(min = 1, max = 100))]
    pub name: String,
    /// The agent type that performs the step.
    #[garde(length(min = 1, max = 100))]
    pub assign_to_type: String,
    /// The task type it performs.
    #[garde(length(min = 1, max = 100))]
    pub task_type: String,
    /// The step's task input.
    #[serde(default)]
    #[garde(skip)]
    pub input: Value,
    /// Whether the next stage waits for this step.
    #[serde(default = "blocking_by_default")]
    #[garde(skip)]
    pub blocking: bool,
    /// 1 (lowest) to 10.
    #[serde(default = "default_priority")]
    #[garde(range(min = 1, max = 10))]
    pub priority: i32,
    /// Whether a person approves the step's task before it runs; a rejected blocking step fails the run.
    #[serde(default)]
    #[garde(skip)]
    pub requires_approval: bool,
}

fn blocking_by_default() -> bool {
    true
}

fn default_priority() -> i32 {
    5
}

/// The workflow coordinator's configuration: the steps of its workflow.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub struct WorkflowPlan {
    #[serde(default)]
    #[garde(length(max = 100), dive)]
    pub steps: Vec<StepSpec>,
}

impl Configuration for WorkflowPlan {}

pub struct WorkflowCoordinator {
    plan: Result<Vec<StepSpec>, PlanError>,
}

/// Why a coordinator's configuration describes no workflow it can run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("invalid workflow configuration: no steps")]
    NoSteps,
}

impl WorkflowCoordinator {
    /// The coordinator of a checked plan. One with no steps fails every task with the
    /// reason, rather than the agent.
    pub fn new(plan: WorkflowPlan) -> Self {
        WorkflowCoordinator {
            plan: if plan.steps.is_empty() {
                Err(PlanError::NoSteps)
            } else {
                Ok(plan.steps)
            },
        }
    }
}

impl WorkflowCoordinator {
    /// The run for this task: the one started by an earlier attempt, or a new one.
    async fn run_for(
        &self,
        context: &TaskContext,
        task: &AgentTask,
        plan: &[StepSpec],
    ) -> Result<WorkflowRun, TaskFailure> {
        let org = context.agent.organization_id;
        let workflows = context.store.workflows();
        let runs = workflows.runs_for(org, context.agent.id).await?;
        if let Some(run) = runs.into_iter().find(|run| {
            run.input_data
                .clone()
                .and_then(|input| serde_json::from_value::<RunInput>(input).ok())
                .is_some_and(|input| input.task_id == task.id)
        }) {
            return Ok(run);
        }
        let steps: Vec<NewWorkflowStep> = plan
            .iter()
            .map(|step| NewWorkflowStep {
                stage: step.stage,
                name: step.name.clone(),
                blocking: step.blocking,
            })
            .collect();
        let input = crate::behaviour::input_value(&RunInput {
            task_id: task.id,
            input: task.input_data.clone(),
        });
        workflows
            .start(org, context.agent.id, &task.task_type, Some(input), &steps)
            .await
            .map_err(TaskFailure::from)
    }
}

#[async_trait]
impl Behaviour for WorkflowCoordinator {
    fn kind(&self) -> AgentKind {
        AgentKind::Coordinator
    }

    async fn perform(
        &mut self,
        context: &TaskContext,
        task: &AgentTask,
    ) -> Result<Option<Value>, TaskFailure> {
        let plan = self
            .plan
            .clone()
            .map_err(|error| TaskFailure::Permanent(error.to_string()))?;
        let org = context.agent.organization_id;
        let workflows = context.store.workflows();
        let run = self.run_for(context, task, &plan).await?;
        if run.status == WorkflowStatus::Completed {
            return output(&WorkflowOutcome::Resumed {
                workflow_run: run.id,
                resumed: true,
            });
        }
        let last_stage = plan.iter().map(|step| step.stage).max().unwrap_or(0);
        for stage in run.current_stage..=last_stage {
            let steps = workflows.steps(org, run.id).await?;
            // Spawn this stage's steps that have no task yet (idempotent by run and step).
            for step in steps
                .iter()
                .filter(|step| step.stage == stage && step.task_id.is_none())
            {
                let Some(spec) = plan.iter().find(|spec| spec.name == step.name) else {
                    continue;
                };
                let key = format!("workflow:{}:{}", run.id, spec.name);
                let assignee = crate::assign::assign(
                    &context.store,
                    org,
                    &spec.assign_to_type,
                    Some(&key),
                    crate::assign::any,
                )
                .await?;
                // A step is a collaboration with an agent: with none, the run cannot go on.
                let Assignee::Agent(target) = assignee else {
                    let reason = format!(
                        "step {}: no enabled agent of type {:?}",
                        spec.name, spec.assign_to_type
                    );
                    workflows
                        .finish(org, run.id, WorkflowStatus::Failed, Some(&reason))
                        .await?;
                    return Err(TaskFailure::Permanent(reason));
                };
                let mut new = NewTask::new(org, target, spec.task_type.clone());
                new.input = Some(spec.input.clone());
                new.priority = spec.priority;
                new.requires_human_approval = spec.requires_approval;
                new.idempotency_key = Some(key);
                new.description = Some(format!("step {} of workflow {}", spec.name, run.id));
                let spawned = context.queue.enqueue(new).await?.task;
                let collaboration = if spec.blocking {
                    CollaborationType::Handoff
                } else {
                    CollaborationType::Parallel
                };
                context
                    .store
                    .collaborations()
                    .record(
                        org,
                        context.agent.id,
                        target,
                        Some(spawned.id),
                        collaboration,
                        json!({
                            "workflow_run": run.id, "step": spec.name, "stage": stage
                        }),
                    )
                    .await?;
                // Last: a step with a task is one the coordinator will not spawn again, so
                // everything about the spawn (task, collaboration — both idempotent) is
                // written before it, and a kill in between repeats them harmlessly.
                workflows
                    .update_step(
                        org,
                        step.id,
                        WorkflowStepStatus::Running,
                        Some(spawned.id),
                        None,
                    )
                    .await?;
            }
            // Wait for this stage's blocking steps; on the last stage, for every step.
            self.wait_for(context, run.id, |step| {
                step.stage <= stage && (step.blocking || stage == last_stage)
            })
            .await?;
            workflows.advance(org, run.id, stage + 1).await?;
        }
        let steps = workflows.steps(org, run.id).await?;
        let outputs = steps
            .iter()
            .map(|step| {
                (
                    step.name.clone(),
                    step.output_data.clone().unwrap_or(Value::Null),
                )
            })
            .collect();
        workflows
            .finish(org, run.id, WorkflowStatus::Completed, None)
            .await?;
        output(&WorkflowOutcome::Finished {
            workflow_run: run.id,
            steps: outputs,
        })
    }
}

impl WorkflowCoordinator {
    /// Waits until every step matching `which` has a finished task, recording each
    /// step's outcome. A failed blocking step fails the workflow.
    async fn wait_for(
        &self,
        context: &TaskContext,
        run: companyos_store::WorkflowRunId,
        which: impl Fn(&companyos_store::WorkflowStep) -> bool,
    ) -> Result<(), TaskFailure> {
        let org = context.agent.organization_id;
        let workflows = context.store.workflows();
        let mut heard = context.bus.subscribe();
        loop {
            let mut waiting = Vec::new();
            for step in workflows.steps(org, run).await? {
                if !which(&step) || step.status != WorkflowStepStatus::Running {
                    continue;
                }
                let Some(task_id) = step.task_id else {
                    continue;
                };
                let task = context.store.tasks().get(org, task_id).await?;
                if !task.status.is_terminal() {
                    waiting.push(task_id);
                    continue;
                }
                let status = if task.status == companyos_store::TaskStatus::Completed {
                    WorkflowStepStatus::Completed
                } else {
                    WorkflowStepStatus::Failed
                };
                workflows
                    .update_step(org, step.id, status, None, task.output_data.clone())
                    .await?;
                if status == WorkflowStepStatus::Failed && step.blocking {
                    let reason = format!(
                        "step {} {}: {}",
                        step.name,
                        task.status,
                        task.error_message.as_deref().unwrap_or("no reason given")
                    );
                    workflows
                        .finish(org, run, WorkflowStatus::Failed, Some(&reason))
                        .await?;
                    return Err(TaskFailure::Permanent(reason));
                }
            }
            if waiting.is_empty() {
                return Ok(());
            }
            // Parked until one of the steps' tasks changes, not polling.
            if let Err(cancelled) = context.until_changed(&mut heard, &waiting).await {
                workflows
                    .finish(org, run, WorkflowStatus::Cancelled, Some("cancelled"))
                    .await?;
                return Err(cancelled);
            }
        }
    }
}
