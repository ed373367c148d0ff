//! `root/org:<id>/integrations`: the supervisor of the organization's adapters, one per
//! connected integration (see [`adapter`]). It starts them from the
//! `integrations` table, starts and stops them as integrations are connected and
//! disconnected, forwards each recorded delivery to its adapter, and restarts a failed
//! adapter under the agents' restart policy (backoff with jitter); an adapter that
//! keeps failing is left stopped and its integration marked `error` — its deliveries
//! stay `received`, to be processed when it is started again.

pub(crate) mod adapter;
mod port;
mod projection;
pub(crate) mod sync;

pub(crate) use port::port;

use companyos_actors::respond;
use std::sync::Arc;
use std::time::Duration;

use companyos_actors::{SyncReport, SyncRequest, TaskFailure, VendorRequest, VendorResponse};
use companyos_store::{DeliveryId, IntegrationId, IntegrationStatus, OrgId, Service};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use crate::children::{Child, Children, Ending};
use crate::policy::Decision;
use crate::tree::{ActorInfo, Deps};
use adapter::{Adapter, AdapterArgs, AdapterMessage};

pub(crate) struct IntegrationsSupervisor;

pub(crate) struct IntegrationsArgs {
    pub organization_id: OrgId,
    pub deps: Arc<Deps>,
}

pub(crate) struct IntegrationsState {
    organization_id: OrgId,
    deps: Arc<Deps>,
    adapters: Children<Adapted, ActorRef<AdapterMessage>>,
}

/// What an adapter is started for.
struct Adapted {
    integration_id: IntegrationId,
    service: Service,
}

/// A webhook delivery just recorded on this node, handed to its adapter with what the
/// edge already read — its kept headers and its parsed payload — so that the adapter
/// need not read the body back from the database and parse it again.
#[derive(Debug)]
pub struct InHand {
    pub id: DeliveryId,
    /// What the delivery was recorded as (`pull_request`, …).
    pub event_type: String,
    /// The headers kept with the delivery (as `webhook_deliveries.headers`).
    pub headers: serde_json::Value,
    pub payload: serde_json::Value,
    /// The trace of the request that brought it (W3C `traceparent`).
    pub traceparent: Option<String>,
}

/// A delivery for an adapter: in hand, or only named (recorded elsewhere, or found
/// later), to be read from the database.
#[derive(Debug)]
pub enum Delivered {
    Recorded(DeliveryId),
    InHand(Box<InHand>),
}

impl Delivered {
    pub fn id(&self) -> DeliveryId {
        match self {
            Delivered::Recorded(id) => *id,
            Delivered::InHand(delivery) => delivery.id,
        }
    }
}

pub enum IntegrationsMessage {
    /// A delivery of the integration was recorded: its adapter makes an event of it.
    Deliver(IntegrationId, Delivered),
    /// The organization's integrations changed: start and stop adapters to match.
    Refresh,
    /// A backoff delay has passed: start the failed adapter again.
    RestartAdapter(IntegrationId),
    /// Sync through the service's API (see [`sync`]); the adapter of the service
    /// the request concerns replies when the sync is done.
    Sync(SyncRequest, RpcReplyPort<Result<SyncReport, TaskFailure>>),
    /// A call to a vendor for an agent, through the adapter of that vendor, in the
    /// caller's span.
    Call(
        VendorRequest,
        RpcReplyPort<Result<VendorResponse, TaskFailure>>,
        tracing::Span,
    ),
    Describe(RpcReplyPort<Vec<ActorInfo>>),
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for IntegrationsMessage {}

impl IntegrationsState {
    /// The running adapter of `service` (started first if the table says it should
    /// run), or the failure to give the caller: retryable while it restarts, permanent
    /// when the service is not connected.
    async fn running_adapter(
        &mut self,
        myself: &ActorRef<IntegrationsMessage>,
        service: Service,
    ) -> Result<Result<ActorRef<AdapterMessage>, TaskFailure>, ActorProcessingErr> {
        if self.adapter_of(service).is_none() {
            self.refresh(myself).await?;
        }
        Ok(match self.adapter_of(service) {
            Some(actor) => Ok(actor),
            None if self
                .adapters
                .position(|adapted| adapted.service == service)
                .is_some() =>
            {
                Err(TaskFailure::Retryable(format!(
                    "the {service} adapter is restarting; the task is tried again"
                )))
            }
            None => Err(TaskFailure::Permanent(format!(
                "{service} is not connected: connect it with POST /api/integrations/{service}/connect"
            ))),
        })
    }

    fn adapter_of(&self, service: Service) -> Option<ActorRef<AdapterMessage>> {
        self.adapters
            .find(|adapted| adapted.service == service)
            .and_then(|child| child.actor.clone())
    }

    async fn start_adapter(
        &mut self,
        myself: &ActorRef<IntegrationsMessage>,
        integration_id: IntegrationId,
        service: Service,
    ) -> Result<(), ActorProcessingErr> {
        let args = AdapterArgs {
            deps: self.deps.clone(),
            organization_id: self.organization_id,
            integration_id,
            service,
        };
        let (actor, _) = Actor::spawn_linked(None, Adapter, args, myself.get_cell()).await?;
        let child = match self
            .adapters
            .find_mut(|adapted| adapted.integration_id == integration_id)
        {
            Some(child) => child,
            None => self.adapters.push(Child::new(Adapted {
                integration_id,
                service,
            })),
        };
        child.actor = Some(actor);
        Ok(())
    }

    /// Starts an adapter for every connected integration without one; stops those
    /// whose integration is gone.
    async fn refresh(
        &mut self,
        myself: &ActorRef<IntegrationsMessage>,
    ) -> Result<(), ActorProcessingErr> {
        let connected = self
            .deps
            .store
            .integrations()
            .list(self.organization_id)
            .await?;
        let supervisor = myself.get_cell();
        self.adapters.retain_mut(|child| {
            let still = connected
                .iter()
                .any(|integration| integration.id == child.spec.integration_id);
            if !still {
                child.stop(&supervisor, Ending::Stop, "integration disconnected");
            }
            still
        });
        for integration in connected {
            let known = self
                .adapters
                .position(|adapted| adapted.integration_id == integration.id)
                .is_some();
            if !known {
                self.start_adapter(myself, integration.id, integration.service)
                    .await?;
            }
        }
        Ok(())
    }

    async fn stop_all(&mut self, myself: &ActorRef<IntegrationsMessage>, reason: &str) {
        self.adapters
            .stop_all_in_turn(&myself.get_cell(), reason, Duration::from_secs(10))
            .await;
    }
}

impl Actor for IntegrationsSupervisor {
    type Msg = IntegrationsMessage;
    type State = IntegrationsState;
    type Arguments = IntegrationsArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<IntegrationsMessage>,
        args: IntegrationsArgs,
    ) -> Result<IntegrationsState, ActorProcessingErr> {
        let mut state = IntegrationsState {
            organization_id: args.organization_id,
            deps: args.deps,
            adapters: Children::default(),
        };
        if let Err(error) = state.refresh(&myself).await {
            state
                .stop_all(&myself, "integrations failed to start")
                .await;
            return Err(error);
        }
        state
            .deps
            .node
            .set_integrations(state.organization_id, Some(myself));
        Ok(state)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<IntegrationsMessage>,
        state: &mut IntegrationsState,
    ) -> Result<(), ActorProcessingErr> {
        state
            .deps
            .node
            .set_integrations(state.organization_id, None);
        state.stop_all(&myself, "integrations stopped").await;
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<IntegrationsMessage>,
        message: IntegrationsMessage,
        state: &mut IntegrationsState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            IntegrationsMessage::Deliver(integration, delivery) => {
                let of = |adapted: &Adapted| adapted.integration_id == integration;
                if state.adapters.position(of).is_none() {
                    // Connected since the last refresh (possibly through another node).
                    state.refresh(&myself).await?;
                }
                // An adapter restarting drains the delivery when it starts; one not
                // known at all (disconnected since) leaves it `received`.
                let adapter = state
                    .adapters
                    .find(of)
                    .and_then(|child| child.actor.clone());
                let id = delivery.id();
                if let Some(actor) = adapter
                    && let Err(error) = actor.send_message(AdapterMessage::Process(delivery))
                {
                    tracing::warn!(delivery = %id, %error, "delivery not handed to its adapter; it is drained when the adapter starts");
                }
            }
            IntegrationsMessage::Refresh => state.refresh(&myself).await?,
            IntegrationsMessage::Sync(request, reply) => {
                let service = match &request {
                    SyncRequest::Integration { service } => *service,
                    SyncRequest::Repository { .. } => Service::Github,
                    SyncRequest::FigmaFile { .. } => Service::Figma,
                };
                match state.running_adapter(&myself, service).await? {
                    Ok(actor) => {
                        if let Err(error) = actor.send_message(AdapterMessage::Sync(request, reply))
                        {
                            tracing::warn!(%service, %error, "sync not handed to the adapter");
                        }
                    }
                    Err(failure) => {
                        if reply.send(Err(failure)).is_err() {
                            tracing::debug!("the sync's caller is gone");
                        }
                    }
                }
            }
            IntegrationsMessage::Call(request, reply, span) => {
                let service = request.service();
                match state.running_adapter(&myself, service).await? {
                    Ok(actor) => {
                        if let Err(error) =
                            actor.send_message(AdapterMessage::Call(request, reply, span))
                        {
                            tracing::warn!(%service, %error, "vendor call not handed to the adapter");
                        }
                    }
                    Err(failure) => {
                        if reply.send(Err(failure)).is_err() {
                            tracing::debug!("the vendor call's caller is gone");
                        }
                    }
                }
            }
            IntegrationsMessage::RestartAdapter(integration) => {
                let stopped = state
                    .adapters
                    .find(|adapted| adapted.integration_id == integration)
                    .filter(|child| child.actor.is_none())
                    .map(|child| child.spec.service);
                if let Some(service) = stopped {
                    state.start_adapter(&myself, integration, service).await?;
                }
            }
            IntegrationsMessage::Describe(reply) => {
                let base = format!("root/org:{}/integrations", state.organization_id);
                let mut tree = vec![ActorInfo::actor(base.clone(), None, 0)];
                for child in state.adapters.iter() {
                    if child.actor.is_some() {
                        tree.push(ActorInfo::actor(
                            format!("{base}/{}", child.spec.service.as_str()),
                            None,
                            child.history.total(),
                        ));
                    }
                }
                respond(reply, tree, "describe");
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<IntegrationsMessage>,
        event: SupervisionEvent,
        state: &mut IntegrationsState,
    ) -> Result<(), ActorProcessingErr> {
        let SupervisionEvent::ActorFailed(cell, error) = event else {
            return Ok(());
        };
        let policy = state.deps.config.agent_policy;
        let Some((index, decision)) = state.adapters.failed(&cell, &policy) else {
            return Ok(());
        };
        let adapted = &state.adapters[index].spec;
        let (integration, service) = (adapted.integration_id, adapted.service);
        tracing::error!(org = %state.organization_id, %service, %error, "integration adapter failed");
        match decision {
            Decision::Restart { delay, .. } => {
                crate::metrics::subtree_restarted("adapter");
                myself.send_after(delay, move || {
                    IntegrationsMessage::RestartAdapter(integration)
                });
            }
            Decision::GiveUp { .. } => {
                tracing::error!(org = %state.organization_id, %service, "integration adapter left stopped: it keeps failing");
                if let Err(error) = state
                    .deps
                    .store
                    .integrations()
                    .set_status(state.organization_id, service, IntegrationStatus::Error)
                    .await
                {
                    tracing::error!(org = %state.organization_id, %service, %error, "cannot mark the integration as failing");
                }
            }
        }
        Ok(())
    }
}
