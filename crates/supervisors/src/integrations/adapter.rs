//! An integration's adapter (`root/org:<id>/integrations/<service>`): turns the
//! integration's verified webhook deliveries into events. For each delivery, in the
//! order received: parse the stored raw body, normalise it
//! (`companyos_integrations::normalise`) and bring the domain tables it concerns up to
//! date ([`super::projection`]). Then, for the whole batch at once, write the events and
//! mark their deliveries processed in one transaction (`Deliveries::complete_many`),
//! and hand each event to the node's event router, which gives it to the
//! organization's watchers.
//!
//! Deliveries are processed by draining: a recorded delivery's `Process` message
//! schedules one drain of everything waiting, so a burst is taken, and its events
//! written, in batches, not row by row. A delivery recorded on this node comes in hand
//! (`Delivered::InHand`: its headers and the payload the edge parsed), so it is not
//! read back; the adapter reads `received` deliveries from the database (oldest first,
//! a batch per query) when it starts, when one comes only named (recorded by another
//! node), and when more arrive than it keeps in hand. The repositories written are remembered with what
//! was written, so a burst of events about one repository writes its row once.
//!
//! Nothing is lost when the adapter or its node dies: a delivery stays `received`
//! until its event exists, and an adapter drains the integration's `received`
//! deliveries when it starts. Repeating the domain upserts is harmless.
//!
//! The adapter also owns the service's API client — built from the integration's
//! credentials when first needed and kept, with its rate-limit state, until they
//! change — and syncs through it ([`super::sync`]): on request (a `sync_*` task), and on
//! its own every `sync_interval`, counted from the integration's last sync. A sync runs
//! beside the adapter, never in its mailbox, so deliveries keep flowing meanwhile.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracing::Instrument;

use chrono::Utc;
use companyos_actors::{
    SyncReport, SyncRequest, TaskFailure, VendorRequest, VendorResponse, respond,
};
use companyos_integrations::normalise;
use companyos_store::{
    DeliveryId, EventActorType, IntegrationId, NewEvent, OrgId, Service, Store, StoreError,
    WebhookDelivery,
};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde_json::Value;

use super::projection::{RepositoryCache, apply};
use super::sync::{self as syncing, SyncError, Syncer};
use super::{Delivered, InHand};
use crate::router::RouterMessage;
use crate::tree::Deps;

/// Deliveries processed per drain message (read, or taken from those in hand).
const DRAIN_BATCH: u32 = 256;
/// Deliveries kept in hand at most; past it they are read back from the database.
const IN_HAND: usize = 1024;

pub(crate) struct Adapter;

pub(crate) struct AdapterArgs {
    pub deps: Arc<Deps>,
    pub organization_id: OrgId,
    pub integration_id: IntegrationId,
    pub service: Service,
}

pub(crate) struct AdapterState {
    deps: Arc<Deps>,
    /// The store, fenced in cluster mode by this node's run: the adapter lives within
    /// one claim of its organization (its subtree stops when the claim is lost), and
    /// its domain rows and deliveries are refused once the run no longer holds it.
    store: Store,
    /// The same, relaxed (`Store::relaxed`): what a delivery becomes — its projection,
    /// its event and processed mark — is made again from the recorded delivery if a
    /// crash of the database loses it, so its commits do not wait for the disk.
    derived: Store,
    organization_id: OrgId,
    integration_id: IntegrationId,
    service: Service,
    pub processed: u64,
    /// The client, with the integration (and credentials) it was built from.
    syncer: Option<Syncer>,
    /// Whether the periodic sync is running.
    periodic: Arc<AtomicBool>,
    /// Syncs running beside the adapter, stopped with it.
    running: Vec<tokio::task::AbortHandle>,
    /// A `Drain` is in the mailbox: further `Process` messages need not add another.
    drain_scheduled: bool,
    /// Deliveries handed over with their payload, oldest first, not yet processed.
    in_hand: VecDeque<InHand>,
    /// Some `received` deliveries are not in hand (at start, or after one came only
    /// named, or more came than are kept): the next drains read them from the
    /// database until a read finds no more than a batch.
    read_back: bool,
    repositories: RepositoryCache,
}

pub enum AdapterMessage {
    /// A delivery was just recorded.
    Process(Delivered),
    /// Process the integration's `received` deliveries, oldest first, a batch at a time.
    Drain,
    /// Sync through the service's API and reply with what was done.
    Sync(SyncRequest, RpcReplyPort<Result<SyncReport, TaskFailure>>),
    /// Call the vendor for an agent (this adapter's integration must be the vendor's),
    /// in the caller's span.
    Call(
        VendorRequest,
        RpcReplyPort<Result<VendorResponse, TaskFailure>>,
        tracing::Span,
    ),
    /// Time for the periodic sync.
    SyncDue,
}

// Local only: no cross-node serialization (the cluster feature removes ractor's
// blanket impl).
impl ractor::Message for AdapterMessage {}

impl Actor for Adapter {
    type Msg = AdapterMessage;
    type State = AdapterState;
    type Arguments = AdapterArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<AdapterMessage>,
        args: AdapterArgs,
    ) -> Result<AdapterState, ActorProcessingErr> {
        myself.send_message(AdapterMessage::Drain)?;
        let config = &args.deps.config.adapters;
        if let (Some(_), Some(interval)) = (&config.keys, config.sync_interval) {
            let last = args
                .deps
                .store
                .integrations()
                .get_by_id(args.organization_id, args.integration_id)
                .await?
                .last_sync_at;
            let since = last
                .map(|last| (Utc::now() - last).to_std().unwrap_or_default())
                .unwrap_or(interval);
            // A little spread, so that the adapters of a restarted node do not all call
            // out at once.
            let spread = Duration::from_millis(rand::random::<u64>() % 5_000);
            myself.send_after(interval.saturating_sub(since) + spread, || {
                AdapterMessage::SyncDue
            });
        }
        let holder = args.deps.cluster.get().and_then(|cluster| cluster.lease());
        Ok(AdapterState {
            store: args.deps.store.held_by(holder.clone()),
            derived: args.deps.store.relaxed().held_by(holder),
            deps: args.deps,
            organization_id: args.organization_id,
            integration_id: args.integration_id,
            service: args.service,
            processed: 0,
            syncer: None,
            periodic: Arc::new(AtomicBool::new(false)),
            running: Vec::new(),
            drain_scheduled: true,
            in_hand: VecDeque::new(),
            read_back: true,
            repositories: RepositoryCache::default(),
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<AdapterMessage>,
        state: &mut AdapterState,
    ) -> Result<(), ActorProcessingErr> {
        for sync in state.running.drain(..) {
            sync.abort();
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<AdapterMessage>,
        message: AdapterMessage,
        state: &mut AdapterState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            // Deliveries are processed by draining, oldest first: the `Process` messages
            // that arrive while a drain runs are answered by one more drain, which takes
            // them all as one batch (from those in hand, or with one query).
            AdapterMessage::Process(delivered) => {
                tracing::trace!(delivery = %delivered.id(), "delivery recorded");
                match delivered {
                    Delivered::InHand(delivery)
                        if !state.read_back && state.in_hand.len() < IN_HAND =>
                    {
                        state.in_hand.push_back(*delivery);
                    }
                    // The database has it, and every delivery kept in hand: read them
                    // back from there, in order.
                    Delivered::InHand(_) | Delivered::Recorded(_) => {
                        state.read_back = true;
                        state.in_hand.clear();
                    }
                }
                if !state.drain_scheduled {
                    state.drain_scheduled = true;
                    myself.send_message(AdapterMessage::Drain)?;
                }
            }
            AdapterMessage::Drain => {
                state.drain_scheduled = false;
                let more = match state.drain().await {
                    Ok(more) => more,
                    Err(error) if not_held(&error) => {
                        // Its subtree is being stopped; the holder processes the rest.
                        tracing::warn!(
                            "deliveries left to the node that holds the organization now"
                        );
                        return Ok(());
                    }
                    Err(error) => return Err(error),
                };
                if more && !state.drain_scheduled {
                    state.drain_scheduled = true;
                    myself.send_message(AdapterMessage::Drain)?;
                }
            }
            AdapterMessage::Sync(request, reply) => match state.syncer().await {
                Ok(syncer) => {
                    state.spawn(async move {
                        let result = syncer.run(&request).await;
                        if let Err(error) = &result {
                            tracing::warn!(service = %syncer.integration.service, ?request, %error, "sync failed");
                            // The status first: a card that shows the failed sync also
                            // shows the integration in error.
                            syncer.mark_if_refused(error).await;
                            syncer.record_failure(&request, error).await;
                        }
                        respond(reply, result.map_err(SyncError::into_failure), "adapter sync");
                    });
                }
                Err(error) => {
                    respond(reply, Err(error.into_failure()), "adapter sync");
                }
            },
            AdapterMessage::Call(request, reply, span) => match state.syncer().await {
                Ok(syncer) => {
                    state.spawn(
                        async move {
                        let service = request.service();
                        let result = syncer.call(request).await;
                        if let Err(error) = &result {
                            tracing::warn!(%service, %error, "a vendor call for an agent failed");
                            syncer.mark_if_refused(error).await;
                        }
                        if reply.send(result.map_err(SyncError::into_failure)).is_err() {
                            tracing::debug!("the vendor call's caller is gone");
                        }
                    }
                    .instrument(span),
                    );
                }
                Err(error) => {
                    if reply.send(Err(error.into_failure())).is_err() {
                        tracing::debug!("the vendor call's caller is gone");
                    }
                }
            },
            AdapterMessage::SyncDue => {
                if let Some(interval) = state.deps.config.adapters.sync_interval {
                    myself.send_after(interval, || AdapterMessage::SyncDue);
                }
                if state.periodic.swap(true, Ordering::SeqCst) {
                    return Ok(());
                }
                match state.syncer().await {
                    Ok(syncer) => {
                        let periodic = state.periodic.clone();
                        state.spawn(async move {
                            let service = syncer.integration.service;
                            match syncer.run_all().await {
                                Ok(report) => {
                                    tracing::info!(%service, synced = ?report.synced, notes = ?report.notes, "periodic sync done");
                                }
                                Err(error) => {
                                    tracing::warn!(%service, %error, "periodic sync failed");
                                    syncer.mark_if_refused(&error).await;
                                    syncer
                                        .record_failure(&SyncRequest::Integration { service }, &error)
                                        .await;
                                }
                            }
                            periodic.store(false, Ordering::SeqCst);
                        });
                    }
                    Err(error) => {
                        state.periodic.store(false, Ordering::SeqCst);
                        tracing::warn!(service = %state.service, %error, "periodic sync not started");
                    }
                }
            }
        }
        Ok(())
    }
}

impl AdapterState {
    /// The syncer for the integration as it is now: the kept client while the
    /// credentials are unchanged (its rate-limit state with it), else a new one.
    async fn syncer(&mut self) -> Result<Syncer, SyncError> {
        let integration = self
            .deps
            .store
            .integrations()
            .get_by_id(self.organization_id, self.integration_id)
            .await?;
        if let Some(syncer) = &mut self.syncer
            && syncer.integration.credentials_encrypted == integration.credentials_encrypted
        {
            syncer.integration = Arc::new(integration);
            return Ok(syncer.clone());
        }
        let config = &self.deps.config.adapters;
        let credentials = syncing::open_credentials(config, &integration)?;
        let client = syncing::build_client(config, &integration, &credentials)?;
        let syncer = Syncer {
            store: self.store.clone(),
            config: config.clone(),
            credentials: Arc::new(credentials),
            client,
            integration: Arc::new(integration),
        };
        self.syncer = Some(syncer.clone());
        Ok(syncer)
    }

    fn spawn(&mut self, work: impl Future<Output = ()> + Send + 'static) {
        self.running.retain(|sync| !sync.is_finished());
        self.running.push(tokio::spawn(work).abort_handle());
    }

    /// Processes a batch of deliveries — those in hand, or read back from the database
    /// when some are not — and tells whether more wait.
    async fn drain(&mut self) -> Result<bool, ActorProcessingErr> {
        if !self.read_back {
            let take = self.in_hand.len().min(DRAIN_BATCH as usize);
            let batch: Vec<InHand> = self.in_hand.drain(..take).collect();
            self.process(batch).await?;
            return Ok(!self.in_hand.is_empty());
        }
        let rows = self
            .derived
            .deliveries()
            .pending(self.integration_id, DRAIN_BATCH)
            .await?;
        // Every delivery recorded before this read is in it, or in the next one.
        let more = rows.len() == DRAIN_BATCH as usize;
        let mut batch = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(delivery) = self.read(row).await? {
                batch.push(delivery);
            }
        }
        self.process(batch).await?;
        self.read_back = more;
        Ok(more)
    }

    /// A delivery read back from the database, its body parsed; `None` when it does
    /// not parse (it is marked failed, with the reason).
    async fn read(&self, row: WebhookDelivery) -> Result<Option<InHand>, StoreError> {
        let content_type = row.headers.get("content-type").and_then(Value::as_str);
        match normalise::parse_body(content_type, &row.body) {
            Ok(payload) => Ok(Some(InHand {
                id: row.id,
                event_type: row.event_type,
                headers: row.headers,
                payload,
                traceparent: row.traceparent,
            })),
            Err(reason) => {
                self.derived
                    .deliveries()
                    .fail(self.organization_id, row.id, &reason.to_string())
                    .await?;
                Ok(None)
            }
        }
    }

    /// A batch of deliveries into events: each one's domain rows first, in order, then
    /// all their events in one transaction.
    async fn process(&mut self, batch: Vec<InHand>) -> Result<(), ActorProcessingErr> {
        let mut made = Vec::with_capacity(batch.len());
        let mut traces = std::collections::HashMap::new();
        for delivery in &batch {
            let span = tracing::info_span!(
                "delivery",
                delivery = %delivery.id,
                organization = %self.organization_id,
                service = %self.service,
                event_type = %delivery.event_type,
            );
            companyos_actors::trace::continue_trace(&span, delivery.traceparent.as_deref());
            if let Some(traceparent) = companyos_actors::trace::traceparent_of(&span) {
                traces.insert(delivery.id, traceparent);
            }
            if let Some(event) = self.prepare(delivery).instrument(span).await? {
                made.push((delivery.id, event));
            }
        }
        self.complete(made, traces).await
    }

    /// One delivery into the event it becomes, its domain rows brought up to date
    /// first; `None` when it cannot become one (kept as malformed, with the reason). A
    /// store failure other than bad data is returned: the adapter fails, its
    /// supervisor restarts it, and the restarted adapter drains the delivery again.
    async fn prepare(&mut self, delivery: &InHand) -> Result<Option<NewEvent>, ActorProcessingErr> {
        let org = self.organization_id;
        let store = &self.derived;
        let payload = &delivery.payload;
        // Neither PostgreSQL's text nor its JSON holds a NUL character: a payload with
        // one would fail every write, and with it every later delivery of the adapter.
        if let Some(at) = nul_in(payload, "$") {
            store
                .deliveries()
                .malformed(
                    org,
                    delivery.id,
                    &format!("the payload holds a NUL character (U+0000) at {at}, which CompanyOS does not store"),
                )
                .await?;
            tracing::warn!(delivery = %delivery.id, %at, "delivery with a NUL character kept as malformed");
            return Ok(None);
        }
        let github_event = delivery
            .headers
            .get("x-github-event")
            .and_then(Value::as_str);
        let normalised = normalise::normalise(self.service, github_event, payload);
        let mut applied = apply(store, org, &normalised, &mut self.repositories).await;
        if matches!(
            applied,
            Err(StoreError::NotFound { .. }
                | StoreError::Invalid { .. }
                | StoreError::Refused { .. })
        ) && !self.repositories.is_empty()
        {
            // Perhaps a remembered repository row is gone: write it again.
            self.repositories.clear();
            applied = apply(store, org, &normalised, &mut self.repositories).await;
        }
        let resource = match applied {
            Ok(resource) => resource,
            // The payload names something this organization cannot hold (a repository
            // another organization tracks, an empty title): the event is still kept.
            Err(
                error @ (StoreError::NotFound { .. }
                | StoreError::Invalid { .. }
                | StoreError::Refused { .. }
                | StoreError::Conflict { .. }),
            ) => {
                tracing::warn!(delivery = %delivery.id, %error, "delivery's domain rows not updated");
                None
            }
            Err(error) => return Err(error.into()),
        };
        let metadata = normalise::EventPayload::new(
            Some(delivery.id),
            Some(self.integration_id),
            normalised.event,
        )
        .to_metadata();
        let event = NewEvent {
            event_type: normalised.event_type.chars().take(100).collect(),
            event_source: self.service.as_str().to_owned(),
            actor_type: Some(EventActorType::Webhook),
            actor_id: None,
            resource_type: resource.map(|(kind, _)| kind),
            resource_id: resource.map(|(_, id)| id),
            metadata,
        };
        Ok(Some(event))
    }

    /// Writes the drain's events and marks their deliveries processed, in one
    /// transaction, then hands each event to the node's event router.
    async fn complete(
        &mut self,
        made: Vec<(DeliveryId, NewEvent)>,
        mut traces: std::collections::HashMap<DeliveryId, String>,
    ) -> Result<(), ActorProcessingErr> {
        let events = self
            .derived
            .deliveries()
            .complete_many(self.organization_id, made)
            .await?;
        for (delivery, event) in events {
            self.processed += 1;
            crate::metrics::delivery_processed(self.service.as_str());
            tracing::info_span!(
                "delivery",
                delivery = %delivery,
                organization = %self.organization_id,
                service = %self.service,
                event_type = %event.event_type,
            )
            .in_scope(|| {
                tracing::info!(event = %event.id, event_type = %event.event_type, "event recorded");
            });
            // A router restarting now finds the event unrouted when it starts.
            if let Some(router) = self.deps.node.router()
                && let Err(error) = router.send_message(RouterMessage::RouteStored(
                    Box::new(event),
                    traces.remove(&delivery),
                ))
            {
                tracing::warn!(%error, "the router is restarting; it routes the event when it starts");
            }
        }
        Ok(())
    }
}

/// Whether a failure is the store's refusal to write for an organization this node no
/// longer holds.
fn not_held(error: &ActorProcessingErr) -> bool {
    matches!(
        error.downcast_ref::<StoreError>(),
        Some(StoreError::NotHeld(_))
    )
}

/// Where the first NUL character of a JSON value is (a JSON path), if it has one. The
/// walk allocates nothing unless it finds one: it runs over every delivery's payload.
fn nul_in(value: &Value, at: &str) -> Option<String> {
    /// One step of the path, found innermost first.
    enum Step<'a> {
        Key(&'a str),
        Index(usize),
        /// The NUL is in a key of the object, not in a value.
        InKey,
    }
    fn find(value: &Value) -> Option<Vec<Step<'_>>> {
        match value {
            Value::String(text) => text.contains('\0').then(Vec::new),
            Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
                let mut path = find(item)?;
                path.push(Step::Index(index));
                Some(path)
            }),
            Value::Object(fields) => fields.iter().find_map(|(key, field)| {
                if key.contains('\0') {
                    return Some(vec![Step::InKey]);
                }
                let mut path = find(field)?;
                path.push(Step::Key(key));
                Some(path)
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => None,
        }
    }
    let steps = find(value)?;
    let mut path = at.to_owned();
    for step in steps.iter().rev() {
        match step {
            Step::Key(key) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
            Step::InKey => path.push_str(" (a key)"),
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::nul_in;

    #[test]
    fn a_nul_anywhere_in_a_payload_is_found_with_its_path() {
        assert_eq!(nul_in(&json!({"a": [1, "ok"], "b": null}), "$"), None);
        assert_eq!(
            nul_in(&json!({"payload": {"name": "my\u{0}app"}}), "$").as_deref(),
            Some("$.payload.name")
        );
        assert_eq!(
            nul_in(&json!({"list": ["x", "y\u{0}"]}), "$").as_deref(),
            Some("$.list[1]")
        );
        assert_eq!(
            nul_in(&json!({"k\u{0}": 1}), "$").as_deref(),
            Some("$ (a key)")
        );
        assert_eq!(
            nul_in(&json!({"a": {"b": [0, {"ok": 1, "c\u{0}": 1}]}}), "$").as_deref(),
            Some("$.a.b[1] (a key)")
        );
    }
}
