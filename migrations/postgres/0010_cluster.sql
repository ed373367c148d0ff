-- Cluster mode (PostgreSQL only; see ARCHITECTURE.md, "Cluster mode").
-- One row per node that ever joined: its lease is renewed against the database's
-- clock; a node whose lease has passed is dead, and a node that starts again takes a
-- new epoch, so nothing it held before counts any more.
CREATE TABLE cluster_members (
    node_id TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL,
    address TEXT NOT NULL,
    -- host:port of its ractor_cluster node server (empty: it takes no peer sessions).
    peer_address TEXT NOT NULL,
    joined_at TIMESTAMPTZ NOT NULL,
    renewed_at TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL
);

-- Which node runs each organization's subtree. `fence` grows by one on every claim:
-- a write that carries an older fence is refused. A claim is held while its holder's
-- membership (node_id, node_epoch) is live and it is not released.
CREATE TABLE organization_leases (
    organization_id UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    node_epoch BIGINT NOT NULL,
    fence BIGINT NOT NULL,
    released BOOLEAN NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX idx_organization_leases_node ON organization_leases (node_id, node_epoch);
