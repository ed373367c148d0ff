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
//! the shared token secret (Erlang-style challenge and response). With TLS configured
//! ([`PeerTls`]: `cluster.tls_*`) sessions are also encrypted and both ends prove who
//! they are with a certificate signed by the cluster's authority (mutual TLS); without
//! it the traffic is not encrypted: keep the peer port on a private network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use companyos_store::{AgentId, ClusterMember, EventId, OrgId, TaskId};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use ractor_cluster::{IncomingEncryptionMode, NodeServer, NodeServerMessage, RactorClusterMessage};
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
    /// Route a stored event of the organization (as [`Runtime::route_event`] does);
    /// answered with the tasks written.
    Route {
        organization_id: OrgId,
        event_id: EventId,
    },
}

/// How this node takes part in actor traffic between nodes.
#[derive(Clone, Debug)]
pub struct PeerSettings {
    /// The port of this node's node server.
    pub port: u16,
    /// The host peers reach it at (the advertised address's host).
    pub host: String,
    /// The shared secret sessions authenticate with.
    pub cookie: String,
    /// Encryption and certificates for sessions (`None`: plain TCP).
    pub tls: Option<PeerTls>,
}

/// Mutual TLS for node sessions: this node's certificate chain and key, which it shows
/// both as a server and as a client, and the authority whose signature it requires of
/// every peer's. A peer's certificate must name the host it is dialled at (its
/// advertised host: a DNS name or an IP address).
#[derive(Clone)]
pub struct PeerTls {
    acceptor: tokio_rustls::TlsAcceptor,
    connector: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for PeerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerTls").finish_non_exhaustive()
    }
}

/// Why the TLS files cannot be used, naming which.
#[derive(Debug, thiserror::Error)]
pub enum PeerTlsError {
    #[error("the certificate chain holds no PEM certificate")]
    NoCertificate,
    #[error("the certificate authority file holds no PEM certificate")]
    NoAuthority,
    #[error("{what} is not PEM the node can read: {source}")]
    Pem {
        what: &'static str,
        source: rustls::pki_types::pem::Error,
    },
    #[error("the certificate authority cannot be used: {0}")]
    Authority(String),
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

impl PeerTls {
    /// From PEM: this node's certificate chain (its own first), its private key, and
    /// the certificate authority (or authorities) peers' certificates are signed by.
    pub fn from_pem(chain: &[u8], key: &[u8], authority: &[u8]) -> Result<PeerTls, PeerTlsError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let certificates = |what: &'static str, pem: &[u8]| {
            CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| PeerTlsError::Pem { what, source })
        };
        let chain = certificates("the certificate chain", chain)?;
        if chain.is_empty() {
            return Err(PeerTlsError::NoCertificate);
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|source| PeerTlsError::Pem {
            what: "the private key",
            source,
        })?;
        let authorities = certificates("the certificate authority", authority)?;
        if authorities.is_empty() {
            return Err(PeerTlsError::NoAuthority);
        }
        let mut roots = rustls::RootCertStore::empty();
        for authority in authorities {
            roots
                .add(authority)
                .map_err(|error| PeerTlsError::Authority(error.to_string()))?;
        }
        let roots = Arc::new(roots);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots.clone(),
            provider.clone(),
        )
        .build()
        .map_err(|error| PeerTlsError::Authority(error.to_string()))?;
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain.clone(), key.clone_key())?;
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)?;
        Ok(PeerTls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(server)),
            connector: tokio_rustls::TlsConnector::from(Arc::new(client)),
        })
    }
}

/// This node's server and what it knows of its dials.
#[derive(Debug)]
pub(crate) struct Peers {
    server: ActorRef<NodeServerMessage>,
    /// When each peer was last dialled and how long to wait before the next try.
    dials: Mutex<HashMap<String, (Instant, Duration)>>,
    node: String,
    /// Dials go out over TLS when set.
    tls: Option<PeerTls>,
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
        settings
            .tls
            .as_ref()
            .map(|tls| IncomingEncryptionMode::Tls(tls.acceptor.clone())),
        None,
    );
    let (server, _) = Actor::spawn(Some(format!("node_server:{node}")), server, ()).await?;
    Actor::spawn(Some(peer_name(node)), PeerGateway, runtime).await?;
    Ok(Arc::new(Peers {
        server,
        dials: Mutex::new(HashMap::new()),
        node: node.to_owned(),
        tls: settings.tls.clone(),
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
            let (server, address, peer, tls) = (
                self.server.clone(),
                member.peer_address.clone(),
                member.node_id.clone(),
                self.tls.clone(),
            );
            tokio::spawn(async move {
                let connected = match tls {
                    Some(tls) => {
                        // The certificate must name the host the peer is dialled at.
                        let host = address
                            .rsplit_once(':')
                            .map_or(address.as_str(), |(host, _)| host)
                            .trim_start_matches('[')
                            .trim_end_matches(']')
                            .to_owned();
                        match rustls::pki_types::ServerName::try_from(host) {
                            Ok(name) => {
                                ractor_cluster::client_connect_enc(
                                    &server,
                                    address.as_str(),
                                    tls.connector,
                                    name,
                                )
                                .await
                            }
                            Err(error) => {
                                tracing::warn!(%peer, %address, %error, "the peer's advertised host cannot be checked against a certificate");
                                return;
                            }
                        }
                    }
                    None => ractor_cluster::client_connect(&server, address.as_str()).await,
                };
                match connected {
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

/// Routes `event` of `org` on `node`, which runs it; the tasks its watchers wrote.
pub(crate) async fn route(
    node: &str,
    org: OrgId,
    event: EventId,
) -> Result<Vec<TaskId>, RuntimeError> {
    let request = PeerRequest::Route {
        organization_id: org,
        event_id: event,
    };
    let answer = request_of(node, org, &request, Duration::from_secs(15)).await?;
    serde_json::from_value(answer)
        .map_err(|error| failed(node, format!("the peer's tasks could not be read: {error}")))
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
        | PeerRequest::Tree { organization_id }
        | PeerRequest::Route {
            organization_id, ..
        } => *organization_id,
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
        PeerRequest::Route { event_id, .. } => {
            let tasks = runtime
                .route_event(organization, event_id)
                .await
                .map_err(RemoteError::from)?;
            serde_json::to_value(tasks).map_err(|error| RemoteError::Node {
                message: format!("the tasks could not be written: {error}"),
            })
        }
        PeerRequest::Tree { .. } => {
            let prefix = format!("root/org:{}", organization.0);
            let subtree: Vec<ActorInfo> = runtime
                .local_tree_of(organization)
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

#[cfg(test)]
mod tests {
    use companyos_store::testing::TestPki;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{PeerRequest, PeerTls, PeerTlsError};

    /// A peer's request to route an event is routed by the node that runs the
    /// organization, and refused by one that does not; its wire form is stable.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_peer_s_routing_is_done_by_the_owner() {
        use companyos_store::testing::{TestDb, organization_with_owner};
        let db = TestDb::sqlite().await;
        let (org, _) = organization_with_owner(&db.store, "acme").await;
        let (other, _) = organization_with_owner(&db.store, "other").await;
        let event = db
            .store
            .events()
            .record(
                org.id,
                companyos_store::NewEvent {
                    event_type: "agent.created".into(),
                    event_source: "audit".into(),
                    actor_type: None,
                    actor_id: None,
                    resource_type: None,
                    resource_id: None,
                    metadata: serde_json::json!({}),
                },
            )
            .await
            .expect("event");
        let runtime = crate::Runtime::start(
            db.store.clone(),
            std::sync::Arc::new(companyos_store::DbTaskQueue::new(db.store.clone())),
            companyos_actors::AgentTypeRegistry::builtin(),
            crate::RuntimeConfig {
                placement: crate::Placement::Explicit,
                ..crate::RuntimeConfig::default()
            },
        )
        .await
        .expect("runtime");
        runtime.start_organization(org.id).await.expect("start");

        let request = PeerRequest::Route {
            organization_id: org.id,
            event_id: event.id,
        };
        let wire = serde_json::to_value(&request).expect("json");
        assert_eq!(wire["request"], "route");
        let request: PeerRequest = serde_json::from_value(wire).expect("read back");
        let answer = super::serve(&runtime, request).await.expect("routed");
        assert_eq!(answer, serde_json::json!([]), "no watcher wrote a task");
        let routed = db
            .store
            .events()
            .get(org.id, event.id)
            .await
            .expect("event");
        assert!(routed.routed_at.is_some(), "marked routed by the owner");

        let elsewhere = PeerRequest::Route {
            organization_id: other.id,
            event_id: event.id,
        };
        assert_eq!(
            super::serve(&runtime, elsewhere).await,
            Err(crate::error::RemoteError::NotHosted {
                organization: other.id
            })
        );
        runtime.shutdown().await;
        db.cleanup().await;
    }

    fn tls(pki: &TestPki) -> PeerTls {
        PeerTls::from_pem(
            pki.certificate.as_bytes(),
            pki.key.as_bytes(),
            pki.authority.as_bytes(),
        )
        .expect("a TLS configuration")
    }

    /// Dials `server` from `client` over a local TCP connection: whether both ends
    /// completed the handshake and a byte crossed.
    async fn handshake(server: &PeerTls, client: &PeerTls, host: &str) -> bool {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let acceptor = server.acceptor.clone();
        let accepted = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.ok()?;
            let mut stream = acceptor.accept(stream).await.ok()?;
            let mut byte = [0_u8; 1];
            stream.read_exact(&mut byte).await.ok()?;
            Some(byte[0])
        });
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).expect("a name");
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        let sent = match client.connector.connect(name, stream).await {
            Ok(mut stream) => stream.write_all(&[7]).await.is_ok() && stream.flush().await.is_ok(),
            Err(_) => false,
        };
        let received = accepted.await.expect("the acceptor task");
        sent && received == Some(7)
    }

    #[tokio::test]
    async fn nodes_of_one_authority_talk_and_others_are_refused() {
        let cluster = TestPki::new(&["127.0.0.1", "node-a.companyos"]);
        let node = tls(&cluster);
        assert!(handshake(&node, &node, "127.0.0.1").await);
        assert!(handshake(&node, &node, "node-a.companyos").await);
        // A certificate that does not name the host dialled is refused.
        assert!(!handshake(&node, &node, "node-b.companyos").await);
        // Another authority's node can neither dial in nor be dialled.
        let stranger = tls(&TestPki::new(&["127.0.0.1"]));
        assert!(!handshake(&node, &stranger, "127.0.0.1").await);
        assert!(!handshake(&stranger, &node, "127.0.0.1").await);
    }

    #[test]
    fn unreadable_files_are_named() {
        let pki = TestPki::new(&["127.0.0.1"]);
        let error = PeerTls::from_pem(b"", pki.key.as_bytes(), pki.authority.as_bytes())
            .expect_err("no certificate");
        assert!(matches!(error, PeerTlsError::NoCertificate), "{error}");
        let error = PeerTls::from_pem(pki.certificate.as_bytes(), pki.key.as_bytes(), b"")
            .expect_err("no authority");
        assert!(matches!(error, PeerTlsError::NoAuthority), "{error}");
        let error = PeerTls::from_pem(
            pki.certificate.as_bytes(),
            b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
            pki.authority.as_bytes(),
        )
        .expect_err("a broken key");
        assert!(error.to_string().contains("private key"), "{error}");
    }
}
