-- Cluster mode runs on PostgreSQL only (a node refuses it on SQLite); the tables exist
-- here too so that both schemas stay the same.
CREATE TABLE cluster_members (
    node_id TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL,
    address TEXT NOT NULL,
    -- host:port of its ractor_cluster node server (empty: it takes no peer sessions).
    peer_address TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    renewed_at TEXT NOT NULL,
    lease_until TEXT NOT NULL
);

CREATE TABLE organization_leases (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    node_epoch INTEGER NOT NULL,
    fence INTEGER NOT NULL,
    released BOOLEAN NOT NULL,
    claimed_at TEXT NOT NULL
);

CREATE INDEX idx_organization_leases_node ON organization_leases (node_id, node_epoch);
