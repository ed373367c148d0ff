//! `root/system`: the node's system actors — the event router (`events`), the
//! `gateway`, the `scheduler`, `deliveries` and the `dispatcher` — each restarted on its own when it
//! fails (one_for_one, with `group_policy`'s backoff and limit). Past the limit the
//! system supervisor fails and the root starts the whole set again; the root never gives
//! up on it, since a node cannot work without them.
//!
//! Their state that must outlive a restart (tasks in flight, their cancellation tokens,
//! the dispatcher's wake-up) lives in [`Deps`], not in the actors.

use companyos_actors::respond;
use std::sync::Arc;
use std::time::Duration;

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use crate::children::{Child, Children};
use crate::deliveries::Deliveries;
use crate::dispatcher::Dispatcher;
use crate::gateway::Gateway;
use crate::policy::Decision;
use crate::router::EventRouter;
use crate::scheduler::Scheduler;
use crate::tree::{ActorInfo, Deps};

/// The system actors, in start order (the dispatcher last: it hands out work).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemActor {
    Events,
    Gateway,
    Scheduler,
    Deliveries,
    Dispatcher,
}

const START_ORDER: [SystemActor; 5] = [
    SystemActor::Events,
    SystemActor::Gateway,
    SystemActor::Scheduler,
    SystemActor::Deliveries,
    SystemActor::Dispatcher,
];

impl SystemActor {
    pub fn name(self) -> &'static str {
        match self {
            SystemActor::Events => "events",
            SystemActor::Gateway => "gateway",
            SystemActor::Scheduler => "scheduler",
            SystemActor::Deliveries => "deliveries",
            SystemActor::Dispatcher => "dispatcher",
        }
    }
}

pub struct SystemSupervisor;

pub struct SystemState {
    deps: Arc<Deps>,
    children: Children<SystemActor, ActorCell>,
}

pub enum SystemMessage {
    /// A backoff delay has passed: start the failed system actor again.
    Restart(SystemActor),
    Describe(RpcReplyPort<Vec<ActorInfo>>),
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for SystemMessage {}

async fn spawn(
    which: SystemActor,
    deps: &Arc<Deps>,
    supervisor: ActorCell,
) -> Result<ActorCell, ActorProcessingErr> {
    let deps = deps.clone();
    Ok(match which {
        SystemActor::Events => {
            let (actor, _) =
                Actor::spawn_linked(None, EventRouter, deps.clone(), supervisor).await?;
            deps.node.set_router(Some(actor.clone()));
            actor.get_cell()
        }
        SystemActor::Gateway => {
            let (actor, _) = Actor::spawn_linked(None, Gateway, deps.clone(), supervisor).await?;
            deps.node.set_gateway(Some(actor.clone()));
            actor.get_cell()
        }
        SystemActor::Scheduler => Actor::spawn_linked(None, Scheduler, deps, supervisor)
            .await?
            .0
            .get_cell(),
        SystemActor::Deliveries => {
            let (actor, _) =
                Actor::spawn_linked(None, Deliveries, deps.clone(), supervisor).await?;
            deps.node.set_deliveries(Some(actor.clone()));
            actor.get_cell()
        }
        SystemActor::Dispatcher => Actor::spawn_linked(None, Dispatcher, deps, supervisor)
            .await?
            .0
            .get_cell(),
    })
}

impl SystemState {
    async fn stop_all(&mut self, myself: &ActorRef<SystemMessage>, reason: &str) {
        self.children
            .stop_all_in_turn(&myself.get_cell(), reason, Duration::from_secs(10))
            .await;
        self.deps.node.set_router(None);
        self.deps.node.set_gateway(None);
        self.deps.node.set_deliveries(None);
    }
}

impl Actor for SystemSupervisor {
    type Msg = SystemMessage;
    type State = SystemState;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        myself: ActorRef<SystemMessage>,
        deps: Arc<Deps>,
    ) -> Result<SystemState, ActorProcessingErr> {
        let mut state = SystemState {
            deps,
            children: Children::default(),
        };
        for which in START_ORDER {
            match spawn(which, &state.deps, myself.get_cell()).await {
                Ok(cell) => state.children.push(Child::new(which)).actor = Some(cell),
                Err(error) => {
                    state.stop_all(&myself, "system failed to start").await;
                    return Err(error);
                }
            }
        }
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<SystemMessage>,
        state: &mut SystemState,
    ) -> Result<(), ActorProcessingErr> {
        state.stop_all(&myself, "node stopping").await;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<SystemMessage>,
        message: SystemMessage,
        state: &mut SystemState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SystemMessage::Restart(which) => {
                if let Some(index) = state.children.position(|child| *child == which)
                    && state.children[index].actor.is_none()
                {
                    let cell = spawn(which, &state.deps, myself.get_cell()).await?;
                    state.children[index].actor = Some(cell);
                    tracing::info!(actor = which.name(), "system actor restarted");
                }
            }
            SystemMessage::Describe(reply) => {
                let tree = state
                    .children
                    .iter()
                    .map(|child| {
                        ActorInfo::actor(
                            format!("root/system/{}", child.spec.name()),
                            None,
                            child.history.total(),
                        )
                    })
                    .collect();
                respond(reply, tree, "describe");
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SystemMessage>,
        event: SupervisionEvent,
        state: &mut SystemState,
    ) -> Result<(), ActorProcessingErr> {
        let SupervisionEvent::ActorFailed(cell, error) = event else {
            return Ok(());
        };
        let policy = state.deps.config.group_policy;
        let Some((index, decision)) = state.children.failed(&cell, &policy) else {
            return Ok(());
        };
        let which = state.children[index].spec;
        tracing::error!(actor = which.name(), %error, "system actor failed");
        match decision {
            Decision::Restart { delay, .. } => {
                crate::metrics::subtree_restarted("system");
                if delay.is_zero() {
                    myself.send_message(SystemMessage::Restart(which))?;
                } else {
                    myself.send_after(delay, move || SystemMessage::Restart(which));
                }
                Ok(())
            }
            Decision::GiveUp { .. } => {
                state.stop_all(&myself, "system gave up").await;
                Err(format!("the {} keeps failing ({error})", which.name()).into())
            }
        }
    }
}
