//! `GET /api/supervision/tree`: the live supervision tree as the console draws it — the
//! root, the system actors and the caller's organization's subtree (kinds, agents,
//! integration adapters), each node with its parent, role, state, mailbox, restarts,
//! its last error, and the policy of the supervisor that restarts it. Nothing of
//! another organization appears.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use companyos_store::{AgentId, OrgId};
use companyos_supervisors::{ActorInfo, AgentKind, RestartPolicy, RuntimeConfig, Strategy};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::Problem;
use crate::rbac::{Org, Permission};
use crate::views::Kind;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tree))
}

/// What a node of the tree is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    Root,
    System,
    SystemActor,
    Organization,
    Kind,
    Integrations,
    Adapter,
    Agent,
}

/// Which children a supervisor restarts when one fails: the one, all of them, or the one
/// and those started after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StrategyName {
    OneForOne,
    OneForAll,
    RestForOne,
}

/// The restart policy of a node's supervisor.
#[derive(Serialize, ToSchema)]
pub(crate) struct Policy {
    strategy: StrategyName,
    max_restarts: u32,
    window_secs: u64,
}

impl From<RestartPolicy> for Policy {
    fn from(policy: RestartPolicy) -> Self {
        Policy {
            strategy: match policy.strategy {
                Strategy::OneForOne => StrategyName::OneForOne,
                Strategy::OneForAll => StrategyName::OneForAll,
                Strategy::RestForOne => StrategyName::RestForOne,
            },
            max_restarts: policy.max_restarts,
            window_secs: policy.window.as_secs(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TreeNode {
    /// `root/org:<id>/executors/agent:<id>`.
    path: String,
    parent: Option<String>,
    /// The last segment of the path.
    name: String,
    role: Role,
    #[schema(value_type = Option<String>, format = Uuid)]
    agent_id: Option<AgentId>,
    agent_name: Option<String>,
    agent_type: Option<String>,
    kind: Option<Kind>,
    status: Option<crate::graphql::types::AgentStatus>,
    restarts: u32,
    messages_handled: u64,
    mailbox: usize,
    /// An agent hosted without a running actor while it is idle
    /// (`agents.passivate_after_secs`): its next task or question starts it.
    passive: bool,
    /// The agent's most recent task failure.
    last_error: Option<String>,
    /// How this node's supervisor restarts it.
    policy: Option<Policy>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Tree {
    nodes: Vec<TreeNode>,
}

fn role_of(path: &str) -> Role {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["root"] => Role::Root,
        ["root", "system"] => Role::System,
        ["root", "system", _] => Role::SystemActor,
        ["root", _] => Role::Organization,
        ["root", _, "integrations"] => Role::Integrations,
        ["root", _, "integrations", _] => Role::Adapter,
        ["root", _, _] => Role::Kind,
        _ => Role::Agent,
    }
}

/// The policy of the supervisor that restarts a node of `role`.
fn policy_of(config: &RuntimeConfig, role: Role, kind: Option<AgentKind>) -> Option<Policy> {
    match role {
        Role::Root => None,
        Role::Agent => Some(config.policy_for(kind?).into()),
        Role::SystemActor | Role::Adapter => Some(config.group_policy.into()),
        Role::System | Role::Organization | Role::Kind | Role::Integrations => {
            Some(config.organization_policy.into())
        }
    }
}

/// Whether `path` is shown to a member of `org`: the root, the system and the
/// organization's own subtree.
fn visible(path: &str, org: OrgId) -> bool {
    let own = format!("root/org:{}", org.0);
    path == "root"
        || path == "root/system"
        || path.starts_with("root/system/")
        || path == own
        || path.starts_with(&format!("{own}/"))
}

#[utoipa::path(get, path = "/api/supervision/tree", tag = "agents", summary = "The live supervision tree of the organization (with the root and the system actors)", responses((status = 200, description = "Every node with its parent, state, mailbox, restarts, last error and policy", body = Tree), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn tree(
    State(state): State<AppState>,
    Org(access): Org,
) -> Result<impl IntoResponse, ApiError> {
    access.require(Permission::ViewDashboard)?;
    let org = access.organization;
    let actors: Vec<ActorInfo> = state.runtime.tree_for(org).await?;
    let agents: HashMap<AgentId, (String, String)> = state
        .store
        .agents()
        .list_all(org)
        .await?
        .into_iter()
        .map(|agent| (agent.id, (agent.name, agent.agent_type)))
        .collect();
    let last_errors = state.store.tasks().last_failures(org).await?;
    let config = state.runtime.config();
    let nodes = actors
        .into_iter()
        .filter(|actor| visible(&actor.path, org))
        .map(|actor| {
            let role = role_of(&actor.path);
            let (parent, name) = match actor.path.rsplit_once('/') {
                Some((parent, name)) => (Some(parent.to_owned()), name.to_owned()),
                None => (None, actor.path.clone()),
            };
            let described = actor.agent_id.and_then(|id| agents.get(&id));
            TreeNode {
                parent,
                name,
                role,
                agent_id: actor.agent_id,
                agent_name: described.map(|(name, _)| name.clone()),
                agent_type: described.map(|(_, agent_type)| agent_type.clone()),
                kind: actor.kind.map(Kind::from),
                status: actor.status.map(Into::into),
                restarts: actor.restarts,
                messages_handled: actor.messages_handled,
                mailbox: actor.mailbox,
                passive: actor.passive,
                last_error: actor.agent_id.and_then(|id| last_errors.get(&id).cloned()),
                policy: policy_of(config, role, actor.kind),
                path: actor.path,
            }
        })
        .collect();
    Ok(Json(Tree { nodes }))
}

#[cfg(test)]
mod tests {
    use super::{Role, role_of};

    #[test]
    fn paths_name_their_role() {
        for (path, role) in [
            ("root", Role::Root),
            ("root/system", Role::System),
            ("root/system/dispatcher", Role::SystemActor),
            ("root/org:1", Role::Organization),
            ("root/org:1/executors", Role::Kind),
            ("root/org:1/integrations", Role::Integrations),
            ("root/org:1/integrations/github", Role::Adapter),
            ("root/org:1/executors/agent:2", Role::Agent),
        ] {
            assert_eq!(role_of(path), role, "{path}");
        }
    }
}
