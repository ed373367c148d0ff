//! The agent directory: agent id → where the agent runs. The rest of the runtime
//! addresses agents through it instead of holding `ActorRef`s; when an agent restarts
//! or its organization moves, only the directory changes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use companyos_actors::{AgentHandle, AgentKind, Decide};
use companyos_store::{AgentId, OrgId};

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

/// A watcher's [`Decide`], shared by the agent's location.
#[derive(Clone)]
pub struct Decider(pub Arc<dyn Decide>);

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decider")
    }
}

#[derive(Clone, Debug, Default)]
pub struct AgentDirectory {
    entries: Arc<RwLock<HashMap<AgentId, Location>>>,
}

impl AgentDirectory {
    pub fn insert(&self, agent: AgentId, location: Location) {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(agent, location);
    }

    pub fn remove(&self, agent: AgentId) -> Option<Location> {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&agent)
    }

    pub fn get(&self, agent: AgentId) -> Option<Location> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&agent)
            .cloned()
    }

    /// The running agents of one organization, optionally of one kind.
    pub fn of_organization(
        &self,
        organization: OrgId,
        kind: Option<AgentKind>,
    ) -> Vec<(AgentId, Location)> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut found: Vec<(AgentId, Location)> = entries
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
}
