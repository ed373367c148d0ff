//! `root/system/deliveries`: what becomes of webhook deliveries besides their events.
//!
//! - **The payload archive.** The edge hands each batch of deliveries it has just
//!   recorded to this actor ([`Runtime::archive`](crate::Runtime::archive)), which
//!   writes them to object storage beside its mailbox (a few batches at once; past
//!   that, a batch is left to the sweep) and marks them archived. Every sweep writes
//!   what was missed — recorded more than a sweep ago and not archived: a node that
//!   stopped first, object storage that was down — so every accepted delivery ends up
//!   archived. Once an hour, the days past the retention are deleted.
//! - **Deliveries nobody named.** A delivery is handed to its adapter by the node that
//!   recorded it. One still `received` a sweep after it was recorded was not (its node
//!   stopped in between, or `companyos deliveries replay` recorded it): the sweep hands
//!   it to the adapter of the organization on this node, which drains it.
//!
//! Both are single indexed queries per sweep, whatever the number of organizations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use companyos_store::StoreError;
use companyos_store::archive::{Archive, ArchivedDelivery};
use futures::StreamExt;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::integrations::{Delivered, IntegrationsMessage};
use crate::tree::Deps;

/// Deliveries read per query of a sweep.
const SWEEP_BATCH: u32 = 256;
/// Batches of a sweep at most (the rest waits for the next one).
const SWEEP_BATCHES: usize = 16;
/// Batches handed in by the edge written at once; past it, left to the sweep.
const BATCHES_IN_FLIGHT: usize = 8;
/// Objects written at once within a batch.
const PUTS_AT_ONCE: usize = 16;
/// How often the archive's expired days are looked for.
const EXPIRE_EVERY: Duration = Duration::from_secs(3600);

/// The payload archive and its retention, and how often a node sweeps.
#[derive(Clone, Debug)]
pub struct DeliveriesConfig {
    /// `None`: deliveries are not archived.
    pub archive: Option<Archive>,
    /// How long an archived delivery is kept (`None`: forever).
    pub retention: Option<Duration>,
    /// How often deliveries left unarchived or unnamed are looked for, and how old one
    /// must be to count as left.
    pub sweep_every: Duration,
}

impl Default for DeliveriesConfig {
    fn default() -> Self {
        DeliveriesConfig {
            archive: None,
            retention: None,
            sweep_every: Duration::from_secs(10),
        }
    }
}

pub(crate) struct Deliveries;

pub enum DeliveriesMessage {
    /// Deliveries the edge has just recorded: archive them.
    Archive(Vec<ArchivedDelivery>),
    /// Time for a sweep.
    Sweep,
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for DeliveriesMessage {}

pub(crate) struct DeliveriesState {
    deps: Arc<Deps>,
    writes: Arc<Semaphore>,
    running: JoinSet<()>,
    expired_at: Option<Instant>,
}

impl Actor for Deliveries {
    type Msg = DeliveriesMessage;
    type State = DeliveriesState;
    type Arguments = Arc<Deps>;

    async fn pre_start(
        &self,
        myself: ActorRef<DeliveriesMessage>,
        deps: Arc<Deps>,
    ) -> Result<DeliveriesState, ActorProcessingErr> {
        myself.send_after(deps.config.deliveries.sweep_every, || {
            DeliveriesMessage::Sweep
        });
        Ok(DeliveriesState {
            deps,
            writes: Arc::new(Semaphore::new(BATCHES_IN_FLIGHT)),
            running: JoinSet::new(),
            expired_at: None,
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<DeliveriesMessage>,
        state: &mut DeliveriesState,
    ) -> Result<(), ActorProcessingErr> {
        // What was not written is written by the next sweep, here or on another node.
        state.running.abort_all();
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<DeliveriesMessage>,
        message: DeliveriesMessage,
        state: &mut DeliveriesState,
    ) -> Result<(), ActorProcessingErr> {
        while state.running.try_join_next().is_some() {}
        match message {
            DeliveriesMessage::Archive(batch) => {
                let Some(archive) = state.deps.config.deliveries.archive.clone() else {
                    return Ok(());
                };
                let Ok(permit) = state.writes.clone().try_acquire_owned() else {
                    crate::metrics::archive_deferred(batch.len());
                    return Ok(());
                };
                let store = state.deps.store.clone();
                state.running.spawn(async move {
                    if let Err(error) = archive_batch(&archive, &store, batch).await {
                        tracing::warn!(%error, "deliveries not archived yet; the next sweep tries again");
                    }
                    drop(permit);
                });
            }
            DeliveriesMessage::Sweep => {
                state.sweep().await;
                myself.send_after(state.deps.config.deliveries.sweep_every, || {
                    DeliveriesMessage::Sweep
                });
            }
        }
        Ok(())
    }
}

impl DeliveriesState {
    /// One sweep: failures are logged and left to the next one (the rows say what is
    /// left), never a reason to restart the actor.
    async fn sweep(&mut self) {
        let config = &self.deps.config.deliveries;
        let before = Utc::now()
            - chrono::Duration::from_std(config.sweep_every).unwrap_or(chrono::Duration::MAX);
        if let Err(error) = self.hand_over_waiting(before).await {
            tracing::warn!(%error, "deliveries waiting for their adapter not looked for");
        }
        let Some(archive) = config.archive.clone() else {
            return;
        };
        for _ in 0..SWEEP_BATCHES {
            let missed = match self
                .deps
                .store
                .deliveries()
                .unarchived(before, SWEEP_BATCH)
                .await
            {
                Ok(missed) => missed,
                Err(error) => {
                    tracing::warn!(%error, "unarchived deliveries not looked for");
                    break;
                }
            };
            let full = missed.len() == SWEEP_BATCH as usize;
            let batch = missed.into_iter().map(ArchivedDelivery::from).collect();
            if let Err(error) = archive_batch(&archive, &self.deps.store, batch).await {
                tracing::warn!(%error, archive = archive.location(), "deliveries not archived; tried again at the next sweep");
                break;
            }
            if !full {
                break;
            }
        }
        let due = self
            .expired_at
            .is_none_or(|at| at.elapsed() >= EXPIRE_EVERY);
        if let (Some(retention), true) = (config.retention, due) {
            self.expired_at = Some(Instant::now());
            let before =
                Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
            match archive.expire(before).await {
                Ok(0) => {}
                Ok(deleted) => {
                    crate::metrics::archive_expired(deleted);
                    tracing::info!(
                        deleted,
                        archive = archive.location(),
                        "archived deliveries past their retention deleted"
                    );
                }
                Err(error) => {
                    tracing::warn!(%error, "archived deliveries past their retention not deleted")
                }
            }
        }
    }

    /// Hands each delivery still `received` since before `before` to its adapter, when
    /// its organization runs on this node.
    async fn hand_over_waiting(&self, before: chrono::DateTime<Utc>) -> Result<(), StoreError> {
        let waiting = self
            .deps
            .store
            .deliveries()
            .waiting(before, SWEEP_BATCH)
            .await?;
        for (org, integration, delivery) in waiting {
            let Some(integrations) = self.deps.node.integrations(org) else {
                continue;
            };
            tracing::info!(%delivery, organization = %org, "a delivery nobody handed over goes to its adapter");
            crate::metrics::delivery_handed_over();
            if let Err(error) = integrations.send_message(IntegrationsMessage::Deliver(
                integration,
                Delivered::Recorded(delivery),
            )) {
                tracing::debug!(%error, "the organization's integrations are stopping");
            }
        }
        Ok(())
    }
}

/// Writes a batch of deliveries to the archive, then marks those written archived.
async fn archive_batch(
    archive: &Archive,
    store: &companyos_store::Store,
    batch: Vec<ArchivedDelivery>,
) -> Result<(), companyos_store::archive::ArchiveError> {
    let written: Vec<_> = futures::stream::iter(batch)
        .map(|delivery| async move {
            let outcome = archive.put(&delivery).await;
            (delivery.id, outcome)
        })
        .buffer_unordered(PUTS_AT_ONCE)
        .collect()
        .await;
    let mut archived = Vec::with_capacity(written.len());
    let (mut failure, mut failed) = (None, 0);
    for (id, outcome) in written {
        match outcome {
            Ok(()) => archived.push(id),
            Err(error) => {
                failed += 1;
                failure = Some(error);
            }
        }
    }
    crate::metrics::archive_written(archived.len(), failed);
    if let Err(error) = store.deliveries().mark_archived(&archived).await {
        // Written again by a sweep: the same object, harmless.
        tracing::warn!(%error, "archived deliveries not marked; a sweep writes them again");
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}
