//! Who takes a task: the one assigner every writer of tasks uses — a watcher's tasks, a
//! coordinator's steps, the routes' actions and the approval requests posted to Slack.
//!
//! The policy: the organization's enabled agents of the type (those not disabled) share
//! its tasks, each task going to the one its key hashes to (the same on every node and
//! in every version), so more agents of a type take more of its work and a task written
//! again goes to the same agent; a task without a key goes to the oldest. With no such
//! agent the task is kept, waiting for one, with the reason.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use companyos_store::{Agent, Assignee, OrgId, Store, StoreError};

/// The assignee of a task for `agent_type`: by `key` among the organization's enabled
/// agents of the type that `accepts`, or waiting for one.
pub async fn assign(
    store: &Store,
    org: OrgId,
    agent_type: &str,
    key: Option<&str>,
    accepts: impl Fn(&Agent) -> bool,
) -> Result<Assignee, StoreError> {
    let candidates = store.agents().assignees(org, agent_type).await?;
    Ok(choose(&candidates, agent_type, key, accepts))
}

/// The organizations' enabled agents by type, each read once for as long as the memo
/// is kept: for a batch of tasks written together (the event router's), which would
/// otherwise read the same agents for every task. An agent enabled or disabled while
/// it is kept is seen by the next batch.
#[derive(Default)]
pub struct AssigneeMemo(Mutex<HashMap<(OrgId, String), Candidates>>);

/// An organization's enabled agents of one type, oldest first.
type Candidates = Arc<Vec<Agent>>;

impl AssigneeMemo {
    /// [`assign`], reading the organization's agents of the type only the first time.
    pub async fn assign(
        &self,
        store: &Store,
        org: OrgId,
        agent_type: &str,
        key: Option<&str>,
        accepts: impl Fn(&Agent) -> bool,
    ) -> Result<Assignee, StoreError> {
        let lookup = (org, agent_type.to_owned());
        let known = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&lookup)
            .cloned();
        let candidates = match known {
            Some(candidates) => candidates,
            None => {
                let read = Arc::new(store.agents().assignees(org, agent_type).await?);
                self.0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(lookup, read.clone());
                read
            }
        };
        Ok(choose(&candidates, agent_type, key, accepts))
    }
}

/// The policy, over the organization's enabled agents of the type (oldest first).
fn choose(
    agents: &[Agent],
    agent_type: &str,
    key: Option<&str>,
    accepts: impl Fn(&Agent) -> bool,
) -> Assignee {
    let candidates: Vec<&Agent> = agents.iter().filter(|agent| accepts(agent)).collect();
    let turn = key.map_or(0, |key| {
        usize::try_from(stable_hash(key) % (candidates.len().max(1) as u64)).unwrap_or(0)
    });
    match candidates.get(turn) {
        Some(agent) => Assignee::Agent(agent.id),
        None => Assignee::Waiting {
            agent_type: agent_type.to_owned(),
            reason: waiting_reason(agent_type),
        },
    }
}

/// What a task for `agent_type` says while the organization has no enabled agent of it.
pub fn waiting_reason(agent_type: &str) -> String {
    format!(
        "waiting for a {agent_type} agent: this organization has none running; start one or enable a disabled one, and the task runs"
    )
}

/// FNV-1a: the same on every node and in every version, unlike the standard hasher.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Any agent of the type will do.
pub fn any(_: &Agent) -> bool {
    true
}
