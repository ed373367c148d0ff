//! Between nodes (cluster mode): a ractor_cluster node server per node, sessions to the
//! live members the database lists, and one remote-capable actor per node — the peer
//! gateway `peer:<node>`, in the process group `companyos-cluster/gateway` — that
//! carries another node's requests for this node's agents (ask an agent) to the local
//! [`crate::gateway`]. Agents themselves are never remote-capable: ractor_cluster
//! advertises every remote-capable actor to every peer, which would cost agents × nodes.
//!
//! ractor_cluster has no failure detector and no reconnect (a paused peer keeps its TCP
//! session): the database decides. Each membership round, a node dials the live members
//! it has no session with — only the smaller name dials, so two nodes do not race to
//! connect — with a backoff per peer, and drops the sessions of nodes the database no
//! longer lists as live. Sessions are authenticated by a cookie every node derives from
//! the shared token secret (Erlang-style challenge and response; the traffic itself is
//! not encrypted: keep the peer port on a private network).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use companyos_store::{AgentId, ClusterMember, OrgId};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_cluster::{NodeServer, NodeServerMessage, RactorClusterMessage};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{RemoteError, RuntimeError};
use crate::runtime::Runtime;
use crate::tree::ActorInfo;

const SCOPE: &str = "companyos-cluster";
const GROUP: &str = "gateway";

/// The one message that crosses between nodes: a JSON [`PeerRequest`] answered with a
/// JSON `Result<Value, RemoteError>`. Its variant names are its wire tags: add, never
/// rename (a rolling upgrade runs two versions side by side).
#[derive(RactorClusterMessage)]
pub enum PeerMessage {
    #[rpc]
    Request(Vec<u8>, RpcReplyPort<Vec<u8>>),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
enum PeerRequest {
    Ask {
        organization_id: OrgId,
        agent_id: AgentId,
        question: Value,
        timeout_ms: u64,
    },
    /// The organization's subtree, as [`Runtime::tree`] shows it.
    Tree { organization_id: OrgId },
}

/// How this node takes part in actor traffic between nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSettings {
    /// The port of this node's node server.
    pub port: u16,
    /// The host peers reach it at (the advertised address's host).
    pub host: String,
    /// The shared secret sessions authenticate with.
    pub cookie: String,
}

/// This node's server and what it knows of its dials.
#[derive(Debug)]
pub(crate) struct Peers {
    server: ActorRef<NodeServerMessage>,
    /// When each peer was last dialled and how long to wait before the next try.
    dials: Mutex<HashMap<String, (Instant, Duration)>>,
    node: String,
}

/// Starts the node server and the peer gateway `peer:<node>`.
pub(crate) async fn start(
    runtime: Runtime,
    node: &str,
    settings: &PeerSettings,
) -> Result<Arc<Peers>, ractor::SpawnErr> {
    let server = NodeServer::new(
        settings.port,
        settings.cookie.clone(),
        node.to_owned(),
        settings.host.clone(),
        None,
        None,
    );
    let (server, _) = Actor::spawn(Some(format!("node_server:{node}")), server, ()).await?;
    Actor::spawn(Some(peer_name(node)), PeerGateway, runtime).await?;
    Ok(Arc::new(Peers {
        server,
        dials: Mutex::new(HashMap::new()),
        node: node.to_owned(),
    }))
}

fn peer_name(node: &str) -> String {
    format!("peer:{node}")
}

impl Peers {
    /// Stops the node server (its sessions end with it).
    pub fn stop(&self) {
        self.server.stop(Some("node leaving the cluster".into()));
    }

    /// One round: dial the live members without a session, drop the sessions of the
    /// members that are not live.
    pub async fn reconcile(&self, members: &[ClusterMember]) {
        let sessions = match ractor::call_t!(self.server, NodeServerMessage::GetSessions, 1000) {
            Ok(sessions) => sessions,
            Err(error) => {
                tracing::warn!(%error, "the node server did not list its sessions");
                return;
            }
        };
        let mut connected = Vec::new();
        for session in sessions.values() {
            let Some(name) = session.peer_name.as_ref().map(|name| node_of(&name.name)) else {
                continue;
            };
            let live = members
                .iter()
                .any(|member| member.live && member.node_id == name);
            if live {
                connected.push(name.to_owned());
            } else {
                tracing::info!(
                    peer = name,
                    "dropping the session of a node the database lists as dead"
                );
                session
                    .actor
                    .stop(Some("the database lists the peer as dead".into()));
            }
        }
        for member in members {
            let dial = member.live
                && !member.peer_address.is_empty()
                && member.node_id.as_str() > self.node.as_str()
                && !connected.contains(&member.node_id);
            if !dial || !self.due(&member.node_id) {
                continue;
            }
            let (server, address, peer) = (
                self.server.clone(),
                member.peer_address.clone(),
                member.node_id.clone(),
            );
            tokio::spawn(async move {
                match ractor_cluster::client_connect(&server, address.as_str()).await {
                    Ok(()) => tracing::info!(%peer, %address, "session to peer opened"),
                    Err(error) => {
                        tracing::warn!(%peer, %address, %error, "cannot reach peer; trying again later")
                    }
                }
            });
        }
    }

    /// Whether `peer` may be dialled now; if so, the next try is pushed back
    /// (0.2 s, doubling to 5 s, reset when a session exists).
    fn due(&self, peer: &str) -> bool {
        let mut dials = self
            .dials
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        match dials.get(peer).copied() {
            Some((at, wait)) if now < at + wait => false,
            Some((_, wait)) => {
                dials.insert(
                    peer.to_owned(),
                    (now, (wait * 2).min(Duration::from_secs(5))),
                );
                true
            }
            None => {
                dials.insert(peer.to_owned(), (now, Duration::from_millis(200)));
                true
            }
        }
    }
}

/// `node@host` → `node`.
fn node_of(name: &str) -> &str {
    name.split_once('@').map_or(name, |(node, _)| node)
}

/// Asks `agent` of `org` on `node` through that node's peer gateway.
pub(crate) async fn ask(
    node: &str,
    org: OrgId,
    agent: AgentId,
    question: Value,
    timeout: Duration,
) -> Result<Value, RuntimeError> {
    let request = PeerRequest::Ask {
        organization_id: org,
        agent_id: agent,
        question,
        timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
    };
    // The agent's own timeout runs on the other node; this one bounds the session.
    request_of(node, org, &request, timeout + Duration::from_secs(2)).await
}

/// The subtree of `org` as `node`, which runs it, shows it.
pub(crate) async fn tree(node: &str, org: OrgId) -> Result<Vec<ActorInfo>, RuntimeError> {
    let request = PeerRequest::Tree {
        organization_id: org,
    };
    let answer = request_of(node, org, &request, Duration::from_secs(5)).await?;
    serde_json::from_value(answer)
        .map_err(|error| failed(node, format!("the peer's tree could not be read: {error}")))
}

/// What `node` could not do, in words.
fn failed(node: &str, message: String) -> RuntimeError {
    RuntimeError::Remote {
        node: node.to_owned(),
        error: RemoteError::Node { message },
    }
}

/// Sends `request` to `node`'s peer gateway and reads its answer; the peer's refusal
/// is a [`RuntimeError::Remote`].
async fn request_of(
    node: &str,
    org: OrgId,
    request: &PeerRequest,
    timeout: Duration,
) -> Result<Value, RuntimeError> {
    let unreachable = || RuntimeError::HostedElsewhere {
        organization: org,
        node: Some(node.to_owned()),
    };
    let gateway = ractor::pg::get_scoped_members(&SCOPE.to_owned(), &GROUP.to_owned())
        .into_iter()
        .find(|cell| {
            !cell.get_id().is_local()
                && cell.get_name().as_deref() == Some(peer_name(node).as_str())
        })
        .map(ActorRef::<PeerMessage>::from)
        .ok_or_else(unreachable)?;
    let bytes = serde_json::to_vec(request)
        .map_err(|error| failed(node, format!("the request could not be written: {error}")))?;
    let answer = match gateway
        .call(|reply| PeerMessage::Request(bytes, reply), Some(timeout))
        .await
    {
        Ok(CallResult::Success(answer)) => answer,
        Ok(CallResult::Timeout) => {
            return Err(failed(
                node,
                format!("no answer within {} ms", timeout.as_millis()),
            ));
        }
        Ok(CallResult::SenderError) | Err(_) => return Err(unreachable()),
    };
    let answer: Result<Value, RemoteError> = serde_json::from_slice(&answer).map_err(|error| {
        failed(
            node,
            format!("the peer's answer could not be read: {error}"),
        )
    })?;
    answer.map_err(|error| RuntimeError::Remote {
        node: node.to_owned(),
        error,
    })
}

/// The peer gateway: decodes another node's request, serves it from this node's
/// gateway functions, and answers in JSON. Each request runs on its own task.
struct PeerGateway;

impl Actor for PeerGateway {
    type Msg = PeerMessage;
    type State = Runtime;
    type Arguments = Runtime;

    async fn pre_start(
        &self,
        myself: ActorRef<PeerMessage>,
        runtime: Runtime,
    ) -> Result<Runtime, ActorProcessingErr> {
        ractor::pg::join_scoped(SCOPE.to_owned(), GROUP.to_owned(), vec![myself.get_cell()]);
        Ok(runtime)
    }

    async fn handle(
        &self,
        _myself: ActorRef<PeerMessage>,
        PeerMessage::Request(bytes, reply): PeerMessage,
        runtime: &mut Runtime,
    ) -> Result<(), ActorProcessingErr> {
        let runtime = runtime.clone();
        tokio::spawn(async move {
            let answer = match serde_json::from_slice::<PeerRequest>(&bytes) {
                Ok(request) => serve(&runtime, request).await,
                Err(error) => Err(RemoteError::Node {
                    message: format!("an unreadable request: {error}"),
                }),
            };
            match serde_json::to_vec(&answer) {
                Ok(bytes) => {
                    if reply.send(bytes).is_err() {
                        tracing::debug!("a peer stopped waiting for its answer");
                    }
                }
                Err(error) => tracing::error!(%error, "an answer to a peer could not be written"),
            }
        });
        Ok(())
    }
}

/// Answers one peer request from this node, which must run its organization.
async fn serve(runtime: &Runtime, request: PeerRequest) -> Result<Value, RemoteError> {
    let organization = match &request {
        PeerRequest::Ask {
            organization_id, ..
        }
        | PeerRequest::Tree { organization_id } => *organization_id,
    };
    if !runtime.hosts(organization) {
        return Err(RemoteError::NotHosted { organization });
    }
    match request {
        PeerRequest::Ask {
            agent_id,
            question,
            timeout_ms,
            ..
        } => runtime
            .ask(
                organization,
                agent_id,
                question,
                Duration::from_millis(timeout_ms),
            )
            .await
            .map_err(RemoteError::from),
        PeerRequest::Tree { .. } => {
            let prefix = format!("root/org:{}", organization.0);
            let subtree: Vec<ActorInfo> = runtime
                .tree()
                .await
                .map_err(RemoteError::from)?
                .into_iter()
                .filter(|actor| {
                    actor.path == prefix || actor.path.starts_with(&format!("{prefix}/"))
                })
                .collect();
            serde_json::to_value(subtree).map_err(|error| RemoteError::Node {
                message: format!("the tree could not be written: {error}"),
            })
        }
    }
}
