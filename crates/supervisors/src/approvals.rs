//! Approvals in Slack: when a task starts waiting for a person's approval and the
//! organization has a notification agent that posts approvals (a channel in its
//! configuration), a `request_approval` task for that agent is written — once per
//! waiting task, by its key — so the approval can be given from Slack as well as from
//! the console and the APIs.
//!
//! It follows the node's event bus. In cluster mode every node hears every
//! organization's events; only the node that runs the organization writes the request
//! (the key would keep the others' writes from making a second one, but not their
//! work). An event the bus dropped under load (a lagging
//! receiver) costs only the Slack message, never the approval: the task waits in the
//! console and the APIs all the same, and the lag is logged.

use std::sync::Weak;

use companyos_actors::RuntimeEvent;
use companyos_actors::notification::{self, RequestApproval};
use companyos_store::{Assignee, NewTask, OrgId, StoreError, TaskId, TaskStatus};
use tokio::sync::broadcast::error::RecvError;

use crate::tree::Deps;

/// Follows the bus until the runtime is gone.
pub(crate) fn start(deps: &std::sync::Arc<Deps>) {
    let mut events = deps.bus.subscribe();
    let deps: Weak<Deps> = std::sync::Arc::downgrade(deps);
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(RuntimeEvent::TaskChanged {
                    organization_id,
                    task_id,
                    status: TaskStatus::NeedsApproval,
                    ..
                }) => {
                    let Some(deps) = deps.upgrade() else { return };
                    if deps.cluster.get().is_some() && !deps.node.hosts(organization_id) {
                        continue;
                    }
                    if let Err(error) = request(&deps, organization_id, task_id).await {
                        tracing::warn!(task = %task_id, %error, "no approval request posted to Slack");
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "approval requests may be missing in Slack: the event bus ran ahead"
                    );
                }
                Err(RecvError::Closed) => return,
            }
            if deps.strong_count() == 0 {
                return;
            }
        }
    });
}

async fn request(deps: &Deps, org: OrgId, task_id: TaskId) -> Result<(), StoreError> {
    let key = format!("approval:{task_id}");
    // Only a notification agent with a channel for them posts approval requests; with
    // none, the approval waits in the console alone.
    let assignee = companyos_actors::assign::assign(
        &deps.store,
        org,
        companyos_actors::names::NOTIFICATION,
        Some(&key),
        |agent| notification::posts_approvals(&agent.configuration),
    )
    .await?;
    if matches!(assignee, Assignee::Waiting { .. }) {
        return Ok(());
    }
    let mut task = NewTask::for_assignee(
        org,
        assignee,
        companyos_actors::names::REQUEST_APPROVAL.to_owned(),
    );
    task.input = serde_json::to_value(RequestApproval { task_id }).ok();
    task.priority = 9;
    task.idempotency_key = Some(key);
    task.description = Some(format!("ask for the approval of task {task_id} in Slack"));
    deps.submit(task).await?;
    Ok(())
}
