//! The gateway (`root/system/gateway`): the one actor per node through which traffic
//! from other nodes reaches this node's agents. Agents are not made remote-capable one
//! by one — ractor_cluster advertises every remote-capable actor to every peer, which
//! would cost agents × nodes; a peer addresses an agent by id through this node's
//! gateway instead, and the gateway resolves it in the local [`AgentDirectory`].
//!
//! Its messages therefore carry only data that crosses a wire — ids, JSON, strings —
//! never an `ActorRef` or a cancellation token, and every reply is a `Result` whose
//! error is a serialisable [`RemoteError`]. It never waits on an agent itself: each request runs on its own task, so
//! one slow agent does not hold up the node's other traffic.
//!
//! [`AgentDirectory`]: crate::AgentDirectory

use companyos_actors::respond;
use std::sync::Arc;
use std::time::Duration;

use companyos_actors::{AgentMessage, topic_scope};
use companyos_store::{AgentId, EventId, OrgId, TaskId};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde_json::Value;

use crate::error::{RemoteError, RuntimeError, TreeError};
use crate::router::RouterMessage;
use crate::tree::Deps;

pub(crate) struct Gateway;

pub enum GatewayMessage {
    /// Request/response with an agent hosted here.
    Ask {
        organization_id: OrgId,
        agent_id: AgentId,
        question: Value,
        timeout_ms: u64,
        reply: RpcReplyPort<Result<Value, RemoteError>>,
    },
    /// Route a stored event to the organization's watchers (if it is hosted here).
    Route {
        organization_id: OrgId,
        event_id: EventId,
        reply: RpcReplyPort<Result<Vec<TaskId>, RemoteError>>,
    },
    /// Deliver a broadcast to this node's listeners of `topic`; replies how many.
    Broadcast {
        organization_id: OrgId,
        topic: String,
        payload: Value,
        broadcast_id: uuid::Uuid,
        reply: RpcReplyPort<usize>,
    },
    /// Cancel a task if it runs here; replies whether it did.
    Cancel {
        task_id: TaskId,
        reply: RpcReplyPort<bool>,
    },
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for GatewayMessage {}

impl Actor for Gateway {
    type Msg = GatewayMessage;
    type State = Arc<Deps>;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        _myself: ActorRef<GatewayMessage>,
        deps: Arc<Deps>,
    ) -> Result<Arc<Deps>, ActorProcessingErr> {
        Ok(deps)
    }

    async fn handle(
        &self,
        _myself: ActorRef<GatewayMessage>,
        message: GatewayMessage,
        deps: &mut Arc<Deps>,
    ) -> Result<(), ActorProcessingErr> {
        let deps = deps.clone();
        match message {
            GatewayMessage::Ask {
                organization_id,
                agent_id,
                question,
                timeout_ms,
                reply,
            } => {
                tokio::spawn(async move {
                    let timeout = Duration::from_millis(timeout_ms);
                    let answer = ask(&deps, organization_id, agent_id, question, timeout)
                        .await
                        .map_err(RemoteError::from);
                    respond(reply, answer, "gateway ask");
                });
            }
            GatewayMessage::Route {
                organization_id,
                event_id,
                reply,
            } => {
                tokio::spawn(async move {
                    let routed = if deps.node.hosts(organization_id) {
                        route(&deps, organization_id, event_id)
                            .await
                            .map_err(RemoteError::from)
                    } else {
                        Err(RemoteError::NotHosted {
                            organization: organization_id,
                        })
                    };
                    respond(reply, routed, "gateway route");
                });
            }
            GatewayMessage::Broadcast {
                organization_id,
                topic,
                payload,
                broadcast_id,
                reply,
            } => {
                let reached =
                    broadcast_local(&deps, organization_id, &topic, &payload, broadcast_id);
                respond(reply, reached.len(), "gateway broadcast");
            }
            GatewayMessage::Cancel { task_id, reply } => {
                respond(reply, deps.dispatch.cancel(task_id), "gateway cancel");
            }
        }
        Ok(())
    }
}

/// Asks an agent hosted on this node, waiting at most `timeout`.
pub(crate) async fn ask(
    deps: &Deps,
    org: OrgId,
    agent: AgentId,
    question: Value,
    timeout: Duration,
) -> Result<Value, RuntimeError> {
    // A passive agent is activated first.
    let location = crate::directory::locate(&deps.directory, agent)
        .await
        .filter(|location| location.organization_id == org)
        .ok_or(RuntimeError::AgentNotRunning(agent))?;
    match location
        .handle
        .call(|reply| AgentMessage::Ask { question, reply }, Some(timeout))
        .await
    {
        Ok(CallResult::Success(Ok(answer))) => Ok(answer),
        Ok(CallResult::Success(Err(reason))) => Err(RuntimeError::Refused { agent, reason }),
        Ok(CallResult::Timeout) => Err(RuntimeError::Timeout {
            agent,
            timeout_ms: timeout.as_millis() as u64,
        }),
        Ok(CallResult::SenderError) | Err(_) => Err(RuntimeError::AgentNotRunning(agent)),
    }
}

/// Routes through this node's event router.
pub(crate) async fn route(
    deps: &Deps,
    org: OrgId,
    event: EventId,
) -> Result<Vec<TaskId>, RuntimeError> {
    let router = deps
        .node
        .router()
        .ok_or_else(|| RuntimeError::Tree(TreeError::RouterRestarting))?;
    match router
        .call(
            |reply| RouterMessage::Route {
                organization_id: org,
                event_id: event,
                reply,
            },
            None,
        )
        .await
    {
        Ok(CallResult::Success(result)) => result,
        Ok(CallResult::Timeout) => Err(RuntimeError::Tree(TreeError::RouterNoAnswer)),
        Ok(CallResult::SenderError) | Err(_) => Err(RuntimeError::Tree(TreeError::RouterStopped)),
    }
}

/// Casts a broadcast to every agent of the organization on this node that listens to
/// `topic` (ractor process groups, one scope per organization). Returns the agents
/// reached.
pub(crate) fn broadcast_local(
    deps: &Deps,
    org: OrgId,
    topic: &str,
    payload: &Value,
    broadcast_id: uuid::Uuid,
) -> Vec<AgentId> {
    let members = ractor::pg::get_scoped_local_members(&topic_scope(org), &topic.to_owned());
    let running = deps.directory.of_organization(org, None);
    let mut reached = Vec::new();
    for member in members {
        let Some((agent, location)) = running
            .iter()
            .find(|(_, location)| location.handle.actor().get_id() == member.get_id())
        else {
            continue;
        };
        let message = AgentMessage::Broadcast {
            topic: topic.to_owned(),
            payload: payload.clone(),
            broadcast_id,
        };
        if location.handle.cast(message).is_ok() {
            reached.push(*agent);
        }
    }
    if !reached.is_empty() {
        deps.dispatch.wake.notify_one();
    }
    reached
}
