//! The agent directory: agent id → where the agent runs. The rest of the runtime
//! addresses agents through it instead of holding `ActorRef`s; when an agent restarts,
//! is passivated or activated, or its organization moves, only the directory changes.
//!
//! An agent hosted here is either active (an actor runs: its [`Location`]) or passive
//! (idle long enough that its supervisor stopped its actor: its [`Passive`] entry,
//! which says which supervisor starts it again). [`locate`] hides the difference from
//! the dispatcher and the gateway: it activates a passive agent before handing out
//! its location.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use companyos_actors::{AgentHandle, AgentKind, Decide};
use companyos_store::{AgentId, OrgId};
use ractor::ActorRef;

use crate::group::KindMessage;

/// Where one agent runs. Remote locations arrive with cluster membership.
#[derive(Clone, Debug)]
pub struct Location {
    pub organization_id: OrgId,
    pub kind: AgentKind,
    pub handle: AgentHandle,
    /// A watcher's pure decision about events, called by the router without the
    /// agent's mailbox (see [`Decide`]).
    pub decider: Option<Decider>,
}

/// A passive agent: hosted here, no actor running until it is needed.
#[derive(Clone, Debug)]
pub struct Passive {
    pub organization_id: OrgId,
    pub kind: AgentKind,
    /// The kind supervisor that starts it again.
    pub(crate) supervisor: ActorRef<KindMessage>,
}

/// A watcher's [`Decide`], shared by the agent's location.
#[derive(Clone)]
pub struct Decider(pub Arc<dyn Decide>);

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decider")
    }
}

#[derive(Debug, Default)]
struct Entries {
    active: HashMap<AgentId, Location>,
    passive: HashMap<AgentId, Passive>,
}

#[derive(Clone, Debug, Default)]
pub struct AgentDirectory {
    entries: Arc<RwLock<Entries>>,
}

impl AgentDirectory {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The agent runs here now.
    pub fn insert(&self, agent: AgentId, location: Location) {
        let mut entries = self.write();
        entries.passive.remove(&agent);
        entries.active.insert(agent, location);
    }

    /// The agent is hosted here without an actor until it is needed.
    pub(crate) fn passivate(&self, agent: AgentId, passive: Passive) {
        let mut entries = self.write();
        entries.active.remove(&agent);
        entries.passive.insert(agent, passive);
    }

    /// The agent is not hosted here any more (stopped, crashed, deleted, moved).
    pub fn remove(&self, agent: AgentId) -> Option<Location> {
        let mut entries = self.write();
        entries.passive.remove(&agent);
        entries.active.remove(&agent)
    }

    /// The running agent's location (`None` for a passive one: see [`locate`]).
    pub fn get(&self, agent: AgentId) -> Option<Location> {
        self.read().active.get(&agent).cloned()
    }

    pub(crate) fn passive(&self, agent: AgentId) -> Option<Passive> {
        self.read().passive.get(&agent).cloned()
    }

    /// Whether the agent is hosted here, active or passive.
    pub fn hosts(&self, agent: AgentId) -> bool {
        let entries = self.read();
        entries.active.contains_key(&agent) || entries.passive.contains_key(&agent)
    }

    /// How many agents are hosted here: (active, passive).
    pub fn counts(&self) -> (usize, usize) {
        let entries = self.read();
        (entries.active.len(), entries.passive.len())
    }

    /// The running agents of one organization, optionally of one kind.
    pub fn of_organization(
        &self,
        organization: OrgId,
        kind: Option<AgentKind>,
    ) -> Vec<(AgentId, Location)> {
        let entries = self.read();
        let mut found: Vec<(AgentId, Location)> = entries
            .active
            .iter()
            .filter(|(_, location)| {
                location.organization_id == organization
                    && kind.is_none_or(|kind| location.kind == kind)
            })
            .map(|(id, location)| (*id, location.clone()))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found
    }

    /// Every agent of one organization hosted here, active or passive, with its kind.
    pub fn hosted_of_organization(&self, organization: OrgId) -> Vec<(AgentId, AgentKind)> {
        let entries = self.read();
        let active = entries
            .active
            .iter()
            .filter(|(_, location)| location.organization_id == organization)
            .map(|(id, location)| (*id, location.kind));
        let passive = entries
            .passive
            .iter()
            .filter(|(_, passive)| passive.organization_id == organization)
            .map(|(id, passive)| (*id, passive.kind));
        let mut found: Vec<(AgentId, AgentKind)> = active.chain(passive).collect();
        found.sort_by_key(|(id, _)| *id);
        found
    }
}

/// How long an activation may take before the caller gives up on the agent.
const ACTIVATION_TIMEOUT: Duration = Duration::from_secs(10);

/// The location of an agent hosted here, activating it first when it is passive (its
/// supervisor starts its actor from its row). `None` when the agent is not hosted here
/// (restarting after a crash, disabled, deleted, or its organization runs elsewhere)
/// or could not be started.
pub(crate) async fn locate(directory: &AgentDirectory, agent: AgentId) -> Option<Location> {
    // A few turns: an agent may be passivated between the look-up and the send (the
    // caller asks again when `AgentHandle::admit` says no).
    for _ in 0..8 {
        if let Some(location) = directory.get(agent) {
            if !location.handle.is_passivated() {
                return Some(location);
            }
            // Being passivated: its supervisor moves it to the passive entries next.
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        }
        let passive = directory.passive(agent)?;
        let started = Instant::now();
        match passive
            .supervisor
            .call(
                |reply| KindMessage::StartAgent(agent, reply),
                Some(ACTIVATION_TIMEOUT),
            )
            .await
        {
            Ok(ractor::rpc::CallResult::Success(Ok(()))) => {
                crate::metrics::agent_activated(started.elapsed());
            }
            Ok(ractor::rpc::CallResult::Success(Err(error))) => {
                tracing::warn!(%agent, %error, "a passive agent could not be activated");
                return None;
            }
            _ => return None,
        }
    }
    None
}
