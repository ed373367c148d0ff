//! Cluster membership and organization placement, held in PostgreSQL (cluster mode
//! needs it; on SQLite every call answers [`StoreError::Config`]).
//!
//! A node **joins** with a lease renewed against the database's clock
//! (`clock_timestamp()`, not the store's movable [`crate::Clock`]: every node must read
//! the same time). Each start takes a new **epoch**, so what an earlier run held no
//! longer counts. A node **claims** an organization only when no live membership holds
//! it; every claim increments the organization's **fence**. A claim lasts as long as
//! its holder's membership: there is no per-organization renewal. Writes that must
//! not be made by a node that lost its organizations (task claims, completions, lease
//! extensions) check the claim in the same statement — see [`NodeLease`] in
//! [`crate::ClaimRequest`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::db::{Pools, Store};
use crate::error::StoreError;
use crate::ids::OrgId;

/// How long a claim waits for an organization's lease row locked by another
/// transaction (`SET LOCAL`, this transaction only).
const CLAIM_LOCK_WAIT: &str = "SET LOCAL lock_timeout = '250ms'";
/// PostgreSQL's `lock_not_available`: the wait above ran out.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// One run of one node: the identity its claims and fenced writes carry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeLease {
    pub node: String,
    pub epoch: i64,
}

/// A node as the membership table shows it.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ClusterMember {
    pub node_id: String,
    pub epoch: i64,
    /// Where the node's HTTP edge is reached by its peers.
    pub address: String,
    /// `host:port` of its node server for actor traffic between nodes (empty: none).
    pub peer_address: String,
    pub joined_at: DateTime<Utc>,
    pub renewed_at: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    /// The lease has not passed (by the database's clock, when read).
    pub live: bool,
    /// Milliseconds since the last renewal, by the database's clock.
    pub lease_age_ms: i64,
}

/// Which node holds an organization.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct OrganizationLease {
    pub organization_id: OrgId,
    pub node_id: String,
    pub node_epoch: i64,
    pub fence: i64,
    pub released: bool,
    pub claimed_at: DateTime<Utc>,
    /// Not released, and its holder's membership is live.
    pub held: bool,
}

pub struct Cluster<'a> {
    store: &'a Store,
}

impl Store {
    pub fn cluster(&self) -> Cluster<'_> {
        Cluster { store: self }
    }
}

/// The claims the node run bound at `$first` (name) and `$first + 1` (epoch) holds now:
/// not released, its membership live by the database's clock. One text for every
/// fenced write — the queue's statements (`queue::fenced`) and the adapter's
/// transactions (`hold!`).
pub(crate) fn held_claims(first: usize) -> String {
    format!(
        "SELECT l.organization_id FROM organization_leases l
         JOIN cluster_members m ON m.node_id = l.node_id AND m.epoch = l.node_epoch
         WHERE l.node_id = ${first} AND l.node_epoch = ${second} AND NOT l.released
           AND m.lease_until > clock_timestamp()",
        second = first + 1
    )
}

/// `hold!`'s check: the claim on organization `$1` held by the run bound at `$2`, `$3`,
/// share-locked until the transaction ends.
pub(crate) static HOLD: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} AND l.organization_id = $1 FOR SHARE OF l",
        held_claims(2)
    )
});

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

impl Cluster<'_> {
    fn pool(&self) -> Result<&PgPool, StoreError> {
        match &self.store.pools {
            Pools::Postgres(pool) => Ok(pool),
            Pools::Sqlite { .. } => Err(StoreError::Config(
                "cluster mode needs PostgreSQL: SQLite serves a single node".into(),
            )),
        }
    }

    /// Joins (or rejoins) as `node`, its HTTP edge at `address` and its node server at
    /// `peer_address`, with a lease of `ttl`: a new epoch each time.
    pub async fn join(
        &self,
        node: &str,
        address: &str,
        peer_address: &str,
        ttl: Duration,
    ) -> Result<NodeLease, StoreError> {
        let epoch: i64 = sqlx::query_scalar(
            "INSERT INTO cluster_members AS m (node_id, epoch, address, peer_address, joined_at, renewed_at, lease_until)
             VALUES ($1, 1, $2, $4, clock_timestamp(), clock_timestamp(), clock_timestamp() + make_interval(secs => $3))
             ON CONFLICT (node_id) DO UPDATE SET epoch = m.epoch + 1, address = EXCLUDED.address,
                 peer_address = EXCLUDED.peer_address,
                 joined_at = EXCLUDED.joined_at, renewed_at = EXCLUDED.renewed_at,
                 lease_until = EXCLUDED.lease_until
             RETURNING epoch",
        )
        .bind(node)
        .bind(address)
        .bind(seconds(ttl))
        .bind(peer_address)
        .fetch_one(self.pool()?)
        .await?;
        Ok(NodeLease {
            node: node.to_owned(),
            epoch,
        })
    }

    /// Extends the lease by `ttl` from now. `false` when it had already passed (or a
    /// newer run of the node took the row): the membership is lost, and with it every
    /// organization it held; the node must stop them and join again.
    pub async fn renew(&self, lease: &NodeLease, ttl: Duration) -> Result<bool, StoreError> {
        let renewed = sqlx::query(
            "UPDATE cluster_members
             SET renewed_at = clock_timestamp(), lease_until = clock_timestamp() + make_interval(secs => $3)
             WHERE node_id = $1 AND epoch = $2 AND lease_until > clock_timestamp()",
        )
        .bind(&lease.node)
        .bind(lease.epoch)
        .bind(seconds(ttl))
        .execute(self.pool()?)
        .await?
        .rows_affected();
        Ok(renewed == 1)
    }

    /// Leaves the cluster at once (a drained shutdown): the lease ends now and the
    /// organizations it held are released, so survivors claim them without waiting.
    pub async fn leave(&self, lease: &NodeLease) -> Result<(), StoreError> {
        let pool = self.pool()?;
        let mut tx = pool.begin().await?;
        sqlx::query(
            "UPDATE organization_leases SET released = TRUE
             WHERE node_id = $1 AND node_epoch = $2",
        )
        .bind(&lease.node)
        .bind(lease.epoch)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE cluster_members SET lease_until = clock_timestamp()
             WHERE node_id = $1 AND epoch = $2",
        )
        .bind(&lease.node)
        .bind(lease.epoch)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every node that ever joined, live ones first, by name.
    pub async fn members(&self) -> Result<Vec<ClusterMember>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT node_id, epoch, address, peer_address, joined_at, renewed_at, lease_until,
                    lease_until > clock_timestamp() AS live,
                    (EXTRACT(EPOCH FROM clock_timestamp() - renewed_at) * 1000)::BIGINT AS lease_age_ms
             FROM cluster_members
             ORDER BY lease_until > clock_timestamp() DESC, node_id",
        )
        .fetch_all(self.pool()?)
        .await?)
    }

    /// Claims the organization for `lease`'s node when nobody live holds it (or its
    /// holder released it): the new fence, or `None` while another live node holds it.
    /// Claiming what this very run already holds returns its current fence.
    ///
    /// Taking it from another run, in the same transaction, puts back the tasks that run
    /// left in progress (a node that died or lost its lease; one that moved an
    /// organization away gracefully has handed its tasks back already): the fence
    /// refuses their outcomes from now on, so waiting for their task leases to pass
    /// would only delay them. Each counts as a lapsed lease — run again, or failed when
    /// its attempts are spent. No task of the organization can be in progress here
    /// yet: this node's dispatcher takes an organization's tasks only once it holds it.
    ///
    /// The claim waits at most [`CLAIM_LOCK_WAIT`] for the organization's lease row: a
    /// node frozen in a transaction that holds it (paused, starved) answers `None`, as a
    /// live holder would, instead of stalling this node's placement round; the frozen
    /// node's transaction is ended by the server (`idle_in_transaction_session_timeout`,
    /// see `Store::connect`) and the row claimed at a later round.
    pub async fn claim(&self, org: OrgId, lease: &NodeLease) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        sqlx::query(CLAIM_LOCK_WAIT).execute(&mut *tx).await?;
        let previous: Option<(String, i64, bool)> = match sqlx::query_as(
            "SELECT node_id, node_epoch, released FROM organization_leases
             WHERE organization_id = $1 FOR UPDATE",
        )
        .bind(org)
        .fetch_optional(&mut *tx)
        .await
        {
            Ok(previous) => previous,
            Err(sqlx::Error::Database(error))
                if error.code().as_deref() == Some(LOCK_NOT_AVAILABLE) =>
            {
                tracing::warn!(organization = %org, "the organization's lease is locked by a transaction that does not end (a frozen node?); claimed at a later round");
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        let fence: Option<i64> = sqlx::query_scalar(
            "INSERT INTO organization_leases AS l (organization_id, node_id, node_epoch, fence, released, claimed_at)
             VALUES ($1, $2, $3, 1, FALSE, clock_timestamp())
             ON CONFLICT (organization_id) DO UPDATE
                 SET node_id = EXCLUDED.node_id, node_epoch = EXCLUDED.node_epoch,
                     fence = CASE WHEN l.node_id = EXCLUDED.node_id AND l.node_epoch = EXCLUDED.node_epoch
                                       AND NOT l.released
                                  THEN l.fence ELSE l.fence + 1 END,
                     released = FALSE, claimed_at = EXCLUDED.claimed_at
             WHERE l.released
                OR (l.node_id = EXCLUDED.node_id AND l.node_epoch = EXCLUDED.node_epoch)
                OR NOT EXISTS (SELECT 1 FROM cluster_members m
                               WHERE m.node_id = l.node_id AND m.epoch = l.node_epoch
                                 AND m.lease_until > clock_timestamp())
             RETURNING fence",
        )
        .bind(org)
        .bind(&lease.node)
        .bind(lease.epoch)
        .fetch_optional(&mut *tx)
        .await?;
        let ours = previous.as_ref().is_some_and(|(node, epoch, released)| {
            *node == lease.node && *epoch == lease.epoch && !released
        });
        if fence.is_some() && previous.is_some() && !ours {
            let at = self.store.now();
            let taken = sqlx::query(concat!(
                "UPDATE agent_tasks SET ",
                put_back_lapsed!(),
                " WHERE organization_id = $3 AND status = 'in_progress'"
            ))
            .bind(at)
            .bind("its organization moved to another node while it ran (the node died or lost its cluster lease)")
            .bind(org)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken > 0 {
                tracing::info!(organization = %org, tasks = taken, "tasks left in progress by the organization's previous node put back");
            }
        }
        tx.commit().await?;
        Ok(fence)
    }

    /// Gives the organization up (it moves to another node): released only if `lease`
    /// still holds it at `fence`.
    pub async fn release(
        &self,
        org: OrgId,
        lease: &NodeLease,
        fence: i64,
    ) -> Result<bool, StoreError> {
        let released = sqlx::query(
            "UPDATE organization_leases SET released = TRUE
             WHERE organization_id = $1 AND node_id = $2 AND node_epoch = $3 AND fence = $4",
        )
        .bind(org)
        .bind(&lease.node)
        .bind(lease.epoch)
        .bind(fence)
        .execute(self.pool()?)
        .await?
        .rows_affected();
        Ok(released == 1)
    }

    /// The node that holds `org` now (`None` while nobody live does).
    pub async fn holder(&self, org: OrgId) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT l.node_id FROM organization_leases l
             JOIN cluster_members m ON m.node_id = l.node_id AND m.epoch = l.node_epoch
             WHERE l.organization_id = $1 AND NOT l.released AND m.lease_until > clock_timestamp()",
        )
        .bind(org)
        .fetch_optional(self.pool()?)
        .await?)
    }

    /// Every organization's claim, with whether it is held now.
    pub async fn organization_leases(&self) -> Result<Vec<OrganizationLease>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT l.organization_id, l.node_id, l.node_epoch, l.fence, l.released, l.claimed_at,
                    (NOT l.released AND m.lease_until IS NOT NULL AND m.lease_until > clock_timestamp()) AS held
             FROM organization_leases l
             LEFT JOIN cluster_members m ON m.node_id = l.node_id AND m.epoch = l.node_epoch
             ORDER BY l.organization_id",
        )
        .fetch_all(self.pool()?)
        .await?)
    }
}

/// The PostgreSQL channel nodes tell each other what changed on (see
/// [`Cluster::notify`]).
pub const CLUSTER_CHANNEL: &str = "companyos_cluster";

/// What a [`ClusterListener`] heard.
#[derive(Debug)]
pub enum Heard {
    /// One notification's payload.
    Message(String),
    /// The connection was lost and is back: what was sent meanwhile was not heard, so
    /// the listener's owner reads the database again.
    Reconnected,
}

/// Hears the notifications of [`CLUSTER_CHANNEL`] on a connection of its own.
pub struct ClusterListener {
    listener: sqlx::postgres::PgListener,
}

impl ClusterListener {
    /// The next notification; reconnects on its own after a lost connection
    /// (answering [`Heard::Reconnected`] once it is back).
    pub async fn recv(&mut self) -> Result<Heard, StoreError> {
        Ok(match self.listener.try_recv().await? {
            Some(notification) => Heard::Message(notification.payload().to_owned()),
            None => Heard::Reconnected,
        })
    }
}

impl Cluster<'_> {
    /// Sends each payload (at most 8000 bytes: PostgreSQL's limit) to every node
    /// listening on [`CLUSTER_CHANNEL`], in one statement.
    pub async fn notify(&self, payloads: &[String]) -> Result<(), StoreError> {
        if payloads.is_empty() {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, payload) FROM UNNEST($2::text[]) AS payload")
            .bind(CLUSTER_CHANNEL)
            .bind(payloads)
            .execute(self.pool()?)
            .await?;
        Ok(())
    }

    /// Listens on [`CLUSTER_CHANNEL`].
    pub async fn listen(&self) -> Result<ClusterListener, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(self.pool()?).await?;
        listener.listen(CLUSTER_CHANNEL).await?;
        Ok(ClusterListener { listener })
    }
}
