//! Cluster mode: which node runs each organization, and how nodes tell each other what
//! changed. PostgreSQL is the authority (see `companyos_store::Cluster`):
//!
//! - **Membership.** The node joins with a lease and renews it every `renew_every`
//!   against the database's clock. The local deadline is taken before each renewal is
//!   sent (monotonic clock, skew-proof): a node that misses it — paused, cut off from
//!   the database — stops every organization it hosts on its own, then joins again
//!   with a new epoch.
//! - **Placement.** Each tick, every node computes the same owner for every
//!   organization by rendezvous hashing over the live members ([`owner`]). The owner
//!   claims the organization (a fence that grows with each claim) once no live node
//!   holds it, then starts its subtree from the database; a node that is no longer the
//!   owner stops the subtree and releases the claim. Only the organizations that move
//!   stop and start.
//! - **Fencing.** The dispatcher's claims, lease extensions, completions and failures
//!   carry the node's run ([`companyos_store::NodeLease`]) and are refused by the
//!   database once that run no longer holds the task's organization.
//! - **Nudges.** What one node changes for an organization another node runs (an agent
//!   created, a delivery recorded, a task submitted) is written to the database first,
//!   then announced with `NOTIFY`; the owner acts on it. The bus's events cross the same
//!   way, so a subscriber hears an organization's events wherever they happen. A
//!   notification can be lost (the listener reconnecting); the database is the truth,
//!   and a reconnected listener makes its organizations read it again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use companyos_actors::RuntimeEvent;
use companyos_store::shared::Redis;
use companyos_store::{
    AgentId, DeliveryId, EventId, Heard, IntegrationId, NodeLease, OrgId, StoreError,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::runtime::Runtime;

/// How this node takes part in a cluster.
#[derive(Clone, Debug)]
pub struct ClusterSettings {
    /// The node's name, unique in the cluster and stable across restarts.
    pub node: String,
    /// Where the node's HTTP edge is reached, as peers and operators see it.
    pub address: String,
    /// How long a membership lasts without renewal: a node silent for this long is
    /// dead to the others, and stops its organizations itself.
    pub lease_ttl: Duration,
    /// How often the lease is renewed and placement computed.
    pub renew_every: Duration,
    /// The node server for actor traffic between nodes (`None`: none; a request for
    /// another node's agents then answers where they run instead).
    pub peers: Option<crate::remote::PeerSettings>,
}

impl ClusterSettings {
    pub fn new(node: impl Into<String>, address: impl Into<String>) -> Self {
        ClusterSettings {
            node: node.into(),
            address: address.into(),
            lease_ttl: Duration::from_secs(3),
            renew_every: Duration::from_secs(1),
            peers: None,
        }
    }
}

/// The owner of `org` among `members` by rendezvous (highest random weight) hashing:
/// the member with the highest `rapidhash_v3(org's 16 bytes ++ member's name)`, the
/// name breaking ties. A portable integer hash of bytes, so every node computes the
/// same owner; when a member joins or leaves, only the organizations it wins or held
/// move.
pub fn owner<'a>(org: OrgId, members: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut key = Vec::with_capacity(64);
    members
        .into_iter()
        .map(|member| {
            key.clear();
            key.extend_from_slice(org.0.as_bytes());
            key.extend_from_slice(member.as_bytes());
            (rapidhash::v3::rapidhash_v3(&key), member)
        })
        .max()
        .map(|(_, member)| member)
}

/// What this node knows of its own membership and claims.
#[derive(Debug)]
pub(crate) struct ClusterState {
    pub settings: ClusterSettings,
    lease: RwLock<Option<NodeLease>>,
    /// The fence of each organization this node has claimed.
    fences: RwLock<HashMap<OrgId, i64>>,
    /// Where nudges go out (a batching sender task).
    outbox: mpsc::UnboundedSender<Nudge>,
    /// The node server and its sessions (when `settings.peers` is set).
    pub peers: Option<Arc<crate::remote::Peers>>,
}

impl ClusterState {
    /// This node's run while it is a member (`None` while it rejoins).
    pub fn lease(&self) -> Option<NodeLease> {
        self.lease
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn set_lease(&self, lease: Option<NodeLease>) {
        *self
            .lease
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = lease;
    }

    pub fn fence(&self, org: OrgId) -> Option<i64> {
        self.fences
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&org)
            .copied()
    }

    fn set_fence(&self, org: OrgId, fence: Option<i64>) {
        let mut fences = self
            .fences
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match fence {
            Some(fence) => fences.insert(org, fence),
            None => fences.remove(&org),
        };
    }

    fn claimed(&self) -> Vec<(OrgId, i64)> {
        self.fences
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(org, fence)| (*org, *fence))
            .collect()
    }

    /// Tells the other nodes (the owner acts; a nudge about an organization nobody
    /// runs is dropped by all, and the owner-to-be reads the database when it starts it).
    pub fn nudge(&self, nudge: Nudge) {
        if self.outbox.send(nudge).is_err() {
            tracing::debug!("cluster nudge not sent: the node is shutting down");
        }
    }
}

/// What one node tells the others, as JSON in a `NOTIFY` payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "nudge", rename_all = "snake_case")]
pub(crate) enum Nudge {
    /// The organization's agent rows changed (created, enabled, disabled, deleted):
    /// its owner brings the running agents in line with them.
    Agents { organization_id: OrgId },
    /// An agent's configuration changed: its owner restarts it.
    Restart {
        organization_id: OrgId,
        agent_id: AgentId,
    },
    /// A webhook delivery was recorded: its owner's adapter processes it.
    Delivery {
        organization_id: OrgId,
        integration_id: IntegrationId,
        delivery_id: DeliveryId,
    },
    /// Integrations were connected or disconnected.
    Integrations { organization_id: OrgId },
    /// Tasks became runnable: the owner's dispatcher claims now.
    Tasks { organization_id: OrgId },
    /// A bus event published on node `from`.
    Bus { from: String, event: RuntimeEvent },
    /// A stored event was routed on node `from` (it crosses as its id).
    EventCreated {
        from: String,
        organization_id: OrgId,
        event_id: EventId,
    },
}

impl Nudge {
    fn organization_id(&self) -> OrgId {
        match self {
            Nudge::Agents { organization_id }
            | Nudge::Restart {
                organization_id, ..
            }
            | Nudge::Delivery {
                organization_id, ..
            }
            | Nudge::Integrations { organization_id }
            | Nudge::Tasks { organization_id }
            | Nudge::EventCreated {
                organization_id, ..
            } => *organization_id,
            Nudge::Bus { event, .. } => event.organization_id(),
        }
    }
}

/// Joins the cluster and starts the membership/placement loop, the nudge sender and
/// the nudge listener. They run until `stop` is cancelled.
pub(crate) fn start(
    runtime: Runtime,
    settings: ClusterSettings,
    peers: Option<Arc<crate::remote::Peers>>,
    stop: CancellationToken,
) -> Arc<ClusterState> {
    let (outbox, outgoing) = mpsc::unbounded_channel();
    let state = Arc::new(ClusterState {
        settings,
        lease: RwLock::new(None),
        fences: RwLock::new(HashMap::new()),
        outbox,
        peers,
    });
    // The bus's events go through Redis when there is one, through NOTIFY otherwise
    // (and while Redis does not answer).
    let bus_out = runtime.config().redis.clone().map(|redis| {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(publish_bus(
            redis.clone(),
            state.clone(),
            receiver,
            stop.clone(),
        ));
        tokio::spawn(subscribe_bus(
            runtime.clone(),
            state.clone(),
            redis,
            stop.clone(),
        ));
        sender
    });
    let relay_state = state.clone();
    let relayed = runtime
        .bus()
        .set_relay(Arc::new(move |event: &RuntimeEvent| {
            let nudge = match event {
                RuntimeEvent::EventCreated { event } => Nudge::EventCreated {
                    from: relay_state.settings.node.clone(),
                    organization_id: event.organization_id,
                    event_id: event.id,
                },
                other => Nudge::Bus {
                    from: relay_state.settings.node.clone(),
                    event: other.clone(),
                },
            };
            match &bus_out {
                Some(redis) => {
                    if let Err(unsent) = redis.send(nudge) {
                        relay_state.nudge(unsent.0);
                    }
                }
                None => relay_state.nudge(nudge),
            }
        }));
    if relayed.is_err() {
        tracing::error!("the event bus already had a relay: events stay on this node");
    }
    tokio::spawn(send_nudges(runtime.clone(), outgoing, stop.clone()));
    tokio::spawn(listen(runtime.clone(), state.clone(), stop.clone()));
    tokio::spawn(membership(runtime, state.clone(), stop));
    state
}

/// Sends queued nudges in batches: one statement for all that queued meanwhile.
async fn send_nudges(
    runtime: Runtime,
    mut outgoing: mpsc::UnboundedReceiver<Nudge>,
    stop: CancellationToken,
) {
    let mut batch = Vec::new();
    loop {
        let received = tokio::select! {
            () = stop.cancelled() => return,
            received = outgoing.recv_many(&mut batch, 256) => received,
        };
        if received == 0 {
            return;
        }
        let payloads: Vec<String> = batch
            .drain(..)
            .filter_map(|nudge| match serde_json::to_string(&nudge) {
                Ok(text) if text.len() < 8000 => Some(text),
                Ok(_) => {
                    tracing::warn!(organization = %nudge.organization_id(), "a nudge too large for NOTIFY was not sent; its owner reads the database on its next reconcile");
                    None
                }
                Err(error) => {
                    tracing::error!(%error, "a nudge could not be written");
                    None
                }
            })
            .collect();
        if let Err(error) = runtime.store().cluster().notify(&payloads).await {
            crate::metrics::cluster_nudges_lost(payloads.len());
            tracing::warn!(%error, count = payloads.len(), "nudges not sent: the other nodes act on the database's state at their next reconcile");
        }
    }
}

/// The stream the bus's events cross on, under the cluster's Redis prefix.
const BUS_STREAM: &str = "bus";

/// Appends this node's bus events to the stream on Redis, in order; one Redis does not
/// take goes through NOTIFY instead.
async fn publish_bus(
    redis: Redis,
    state: Arc<ClusterState>,
    mut outgoing: mpsc::UnboundedReceiver<Nudge>,
    stop: CancellationToken,
) {
    loop {
        let nudge = tokio::select! {
            () = stop.cancelled() => return,
            nudge = outgoing.recv() => match nudge {
                Some(nudge) => nudge,
                None => return,
            },
        };
        let payload = match serde_json::to_vec(&nudge) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(%error, "a bus event could not be written");
                continue;
            }
        };
        if redis.append(BUS_STREAM, &payload).await.is_err() {
            metrics::counter!(crate::metrics::REDIS_FALLBACKS_TOTAL, "use" => "bus").increment(1);
            state.nudge(nudge);
        }
    }
}

/// Hears the other nodes' bus events on Redis, following the stream from where this
/// node joined it. A follower that loses Redis dials again (with backoff) and goes on
/// after the last entry it read, so what the others appended meanwhile still arrives;
/// what they could not append went through NOTIFY. The bus is a live view: what it
/// carries is also in the database.
async fn subscribe_bus(
    runtime: Runtime,
    state: Arc<ClusterState>,
    redis: Redis,
    stop: CancellationToken,
) {
    let mut follower = redis.follow(BUS_STREAM);
    let mut backoff = Duration::from_millis(100);
    let mut following = false;
    loop {
        let read = tokio::select! {
            () = stop.cancelled() => return,
            read = follower.next(Duration::from_secs(2)) => read,
        };
        let payloads = match read {
            Ok(payloads) => payloads,
            Err(error) => {
                if std::mem::take(&mut following) {
                    tracing::warn!(%error, "lost the cluster's bus on Redis: following it again once Redis answers");
                } else {
                    tracing::debug!(%error, "cannot follow the cluster's bus on Redis; trying again");
                }
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {},
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        if !std::mem::replace(&mut following, true) {
            tracing::info!("following the cluster's bus on Redis");
        }
        for payload in payloads {
            match serde_json::from_slice::<Nudge>(&payload) {
                Ok(nudge @ (Nudge::Bus { .. } | Nudge::EventCreated { .. })) => {
                    act(&runtime, &state, nudge).await;
                }
                Ok(_) => tracing::warn!(
                    "a nudge on the bus stream was ignored: nudges go through PostgreSQL"
                ),
                Err(error) => tracing::warn!(%error, "an unreadable bus event was ignored"),
            }
        }
    }
}

/// Hears the other nodes' nudges and acts on those about organizations hosted here.
async fn listen(runtime: Runtime, state: Arc<ClusterState>, stop: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let store = runtime.store().clone();
        let cluster = store.cluster();
        let mut listener = tokio::select! {
            () = stop.cancelled() => return,
            listener = cluster.listen() => match listener {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for cluster nudges; trying again");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        backoff = Duration::from_millis(100);
        loop {
            let heard = tokio::select! {
                () = stop.cancelled() => return,
                heard = listener.recv() => heard,
            };
            match heard {
                Ok(Heard::Message(text)) => match serde_json::from_str::<Nudge>(&text) {
                    Ok(nudge) => act(&runtime, &state, nudge).await,
                    Err(error) => tracing::warn!(%error, "an unreadable cluster nudge was ignored"),
                },
                Ok(Heard::Reconnected) => {
                    tracing::warn!(
                        "cluster nudges may have been missed while reconnecting: reconciling hosted organizations"
                    );
                    for (org, _) in state.claimed() {
                        runtime.reconcile_organization(org).await;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "lost the cluster nudge connection");
                    break;
                }
            }
        }
    }
}

async fn act(runtime: &Runtime, state: &ClusterState, nudge: Nudge) {
    match nudge {
        Nudge::Bus { from, event } => {
            if from != state.settings.node {
                runtime.bus().publish_local(event);
            }
        }
        Nudge::EventCreated {
            from,
            organization_id,
            event_id,
        } => {
            if from == state.settings.node {
                return;
            }
            match runtime
                .store()
                .events()
                .get(organization_id, event_id)
                .await
            {
                Ok(event) => runtime.bus().publish_local(RuntimeEvent::EventCreated {
                    event: Box::new(event),
                }),
                Err(error) => tracing::debug!(%error, "a relayed event could not be read"),
            }
        }
        nudge if !runtime.hosts(nudge.organization_id()) => {}
        Nudge::Agents { organization_id } => runtime.reconcile_organization(organization_id).await,
        Nudge::Restart {
            organization_id,
            agent_id,
        } => {
            if let Err(error) = runtime.restart_agent(organization_id, agent_id).await {
                tracing::warn!(%error, agent = %agent_id, "agent not restarted after its change");
            }
        }
        Nudge::Delivery {
            organization_id,
            integration_id,
            delivery_id,
        } => {
            if let Err(error) = runtime
                .deliver(organization_id, integration_id, delivery_id)
                .await
            {
                tracing::warn!(%error, delivery = %delivery_id, "delivery not handed to its adapter; it is processed when the adapter next drains");
            }
        }
        Nudge::Integrations { organization_id } => {
            if let Err(error) = runtime.integrations_changed(organization_id).await {
                tracing::warn!(%error, organization = %organization_id, "integrations not refreshed");
            }
        }
        Nudge::Tasks { .. } => runtime.wake_dispatcher(),
    }
}

/// The membership and placement loop.
async fn membership(runtime: Runtime, state: Arc<ClusterState>, stop: CancellationToken) {
    let settings = state.settings.clone();
    // Renewal must land with room to spare before the lease passes.
    let margin = settings.lease_ttl / 3;
    let mut deadline: Option<Instant> = None;
    let mut ticker = tokio::time::interval(settings.renew_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = ticker.tick() => {},
        }
        // Past the local deadline, whatever the database says: stop first.
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            tracing::error!(node = %settings.node, "membership lease not renewed in time: stopping every organization hosted here");
            self_fence(&runtime, &state).await;
            deadline = None;
        }
        let Some(lease) = state.lease() else {
            match runtime
                .store()
                .cluster()
                .join(
                    &settings.node,
                    &settings.address,
                    &settings
                        .peers
                        .as_ref()
                        .map(|peers| format!("{}:{}", peers.host, peers.port))
                        .unwrap_or_default(),
                    settings.lease_ttl,
                )
                .await
            {
                Ok(lease) => {
                    let sent = Instant::now();
                    tracing::info!(node = %lease.node, epoch = lease.epoch, address = %settings.address, "joined the cluster");
                    crate::metrics::cluster_joined();
                    deadline = Some(sent + settings.lease_ttl - margin);
                    state.set_lease(Some(lease));
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot join the cluster; trying again");
                    continue;
                }
            }
            if let Err(error) = place(&runtime, &state).await {
                tracing::warn!(%error, "placement not computed this round");
            }
            continue;
        };
        let sent = Instant::now();
        match tokio::time::timeout(
            settings.lease_ttl - margin,
            runtime.store().cluster().renew(&lease, settings.lease_ttl),
        )
        .await
        {
            Ok(Ok(true)) => deadline = Some(sent + settings.lease_ttl - margin),
            Ok(Ok(false)) => {
                tracing::error!(node = %lease.node, epoch = lease.epoch, "membership lease lost (it passed before it was renewed): stopping every organization hosted here and joining again");
                self_fence(&runtime, &state).await;
                deadline = None;
                continue;
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "membership lease not renewed; trying again");
                continue;
            }
            Err(_) => {
                tracing::warn!("membership renewal timed out; trying again");
                continue;
            }
        }
        if let Err(error) = place(&runtime, &state).await {
            tracing::warn!(%error, "placement not computed this round");
        }
    }
}

/// Leaves at once (a drained shutdown), so the survivors take the organizations now
/// instead of when the lease passes: stops each hosted organization, then releases its
/// claims and ends the membership in one transaction.
pub(crate) async fn leave(runtime: &Runtime, state: &ClusterState) {
    let Some(lease) = state.lease() else {
        return;
    };
    stop_all(runtime, state, "before leaving").await;
    match runtime.store().cluster().leave(&lease).await {
        Ok(()) => tracing::info!(node = %lease.node, "left the cluster"),
        Err(error) => {
            tracing::warn!(%error, "could not leave the cluster: its organizations move when the lease passes")
        }
    }
    state.set_lease(None);
    if let Some(peers) = &state.peers {
        peers.stop();
    }
}

/// The membership is lost: stop every hosted organization, forget every claim (they
/// are void with the epoch), and let the loop join again.
async fn self_fence(runtime: &Runtime, state: &ClusterState) {
    crate::metrics::cluster_lease_lost();
    state.set_lease(None);
    stop_all(runtime, state, "after the lease was lost").await;
}

/// Forgets every claim first (a task its stopping agents drop is handed back, not
/// failed), then stops every organization that runs here.
async fn stop_all(runtime: &Runtime, state: &ClusterState, when: &str) {
    for (org, _) in state.claimed() {
        state.set_fence(org, None);
    }
    for org in runtime.hosted() {
        if let Err(error) = runtime.stop_organization(org).await {
            tracing::warn!(%error, organization = %org, "organization not stopped {when}");
        }
    }
}

/// One placement round: claim and start what this node owns, stop and release what
/// it no longer owns.
async fn place(runtime: &Runtime, state: &ClusterState) -> Result<(), StoreError> {
    let Some(lease) = state.lease() else {
        return Ok(());
    };
    let store = runtime.store();
    let members = store.cluster().members().await?;
    if let Some(peers) = &state.peers {
        peers.reconcile(&members).await;
    }
    let live: Vec<&str> = members
        .iter()
        .filter(|member| member.live)
        .map(|member| member.node_id.as_str())
        .collect();
    let organizations = store.organizations().list_all().await?;
    let mut owned = HashSet::new();
    for organization in &organizations {
        let org = organization.id;
        if owner(org, live.iter().copied()) != Some(lease.node.as_str()) {
            continue;
        }
        owned.insert(org);
        if state.fence(org).is_some() {
            continue;
        }
        match store.cluster().claim(org, &lease).await? {
            Some(fence) => {
                state.set_fence(org, Some(fence));
                tracing::info!(organization = %org, fence, "organization claimed");
                if let Err(error) = runtime.start_organization(org).await {
                    tracing::error!(%error, organization = %org, "claimed organization did not start; trying again next round");
                    runtime.stop_organization(org).await.ok();
                    store.cluster().release(org, &lease, fence).await?;
                    state.set_fence(org, None);
                } else {
                    crate::metrics::cluster_organization_moved();
                }
            }
            // Its previous holder is live and has not let it go yet.
            None => tracing::debug!(organization = %org, "organization still held by another node"),
        }
    }
    for (org, fence) in state.claimed() {
        if owned.contains(&org) {
            continue;
        }
        tracing::info!(organization = %org, "organization moves to another node: stopping it here");
        // Forgotten first: a task its stopping agents drop is handed back, not failed.
        state.set_fence(org, None);
        if let Err(error) = runtime.stop_organization(org).await {
            tracing::warn!(%error, organization = %org, "organization not stopped; keeping its claim");
            state.set_fence(org, Some(fence));
            continue;
        }
        // Outcomes its agents answered just before they stopped are recorded under the
        // claim before it is let go (afterwards the fence would refuse them).
        runtime.settle(org, Duration::from_secs(5)).await;
        store.cluster().release(org, &lease, fence).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: u128) -> OrgId {
        OrgId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn the_owner_is_the_same_whatever_the_order_of_members() {
        let members = ["node-a", "node-b", "node-c"];
        let reversed = ["node-c", "node-b", "node-a"];
        for n in 0..200 {
            assert_eq!(owner(org(n), members), owner(org(n), reversed));
        }
        assert_eq!(owner(org(1), []), None);
    }

    #[test]
    fn owners_are_fixed_values_so_every_build_agrees() {
        // Golden values: a change here means nodes built from different versions
        // would disagree about who runs what.
        let members = ["node-a", "node-b", "node-c"];
        let owners: Vec<&str> = (0..8)
            .map(|n| owner(org(n), members).unwrap_or(""))
            .collect();
        assert_eq!(owners, GOLDEN);
    }

    const GOLDEN: [&str; 8] = [
        "node-c", "node-c", "node-a", "node-b", "node-b", "node-c", "node-a", "node-b",
    ];

    #[test]
    fn a_leaving_member_moves_only_its_own_organizations() {
        let three = ["node-a", "node-b", "node-c"];
        let two = ["node-a", "node-c"];
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for n in 0..3000 {
            let before = owner(org(n), three);
            let after = owner(org(n), two);
            if before != Some("node-b") {
                assert_eq!(before, after, "organization {n} moved without reason");
            }
            *counts.entry(before.unwrap_or("")).or_default() += 1;
        }
        // Spread: each of three members gets roughly a third.
        for member in three {
            let count = counts.get(member).copied().unwrap_or(0);
            assert!(
                (800..1200).contains(&count),
                "{member} owns {count} of 3000"
            );
        }
    }
}
