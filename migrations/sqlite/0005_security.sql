-- no-transaction
-- Security (see SECURITY.md): proven e-mail addresses, one-use mail tokens, revocable
-- invitations, revoked sessions, answered webhook challenges, and vendor ids unique per
-- organization instead of per instance (one organization could otherwise squat on
-- another's repository, deployment or Figma file ids).
--
-- SQLite cannot drop a column's UNIQUE constraint, so the five vendor tables are rebuilt
-- as its documentation prescribes: foreign keys off, one transaction, new table, copy,
-- drop, rename, indexes, a foreign-key check, commit.
PRAGMA foreign_keys = OFF;
BEGIN;

-- A person's e-mail address is trusted only once they have proved it: a link mailed to
-- it (verification, password reset, an invitation) or a verified address from GitHub.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;

-- One-use links mailed to a person; only the token's SHA-256 is stored.
CREATE TABLE email_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose VARCHAR(50) NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    email VARCHAR(255) NOT NULL,
    token_hash VARCHAR(128) NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_email_tokens_user ON email_tokens (user_id);

-- Invitations can be revoked, and are voided when their inviter loses the right to invite.
ALTER TABLE invitations ADD COLUMN revoked_at TEXT;
ALTER TABLE invitations ADD COLUMN revoked_reason VARCHAR(100);

-- Sessions (refresh-token families) ended before their access tokens expire: logout,
-- a reused refresh token, a password reset. A row is useless once `expires_at` (the
-- last access token of the session) has passed, and is then deleted.
CREATE TABLE revoked_sessions (
    session_id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL
);
CREATE INDEX idx_revoked_sessions_expires ON revoked_sessions (expires_at);

-- Inputs answered as X's CRC or LinkedIn's challenge, by SHA-256: a delivery whose body
-- was one of them carries a signature the node itself computed, and is refused.
CREATE TABLE webhook_challenges (
    integration_id BLOB NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    input_hash VARCHAR(64) NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (integration_id, input_hash)
);
CREATE INDEX idx_webhook_challenges_answered ON webhook_challenges (answered_at);

CREATE TABLE repositories_rebuilt (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    github_id INTEGER NOT NULL,
    name VARCHAR(255) NOT NULL,
    full_name VARCHAR(255) NOT NULL,
    default_branch VARCHAR(100) NOT NULL DEFAULT 'main',
    visibility VARCHAR(50) CHECK (visibility IN ('public', 'private', 'internal')),
    metadata TEXT NOT NULL DEFAULT '{}',
    last_sync_at TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO repositories_rebuilt SELECT * FROM repositories;
DROP TABLE repositories;
ALTER TABLE repositories_rebuilt RENAME TO repositories;
CREATE INDEX idx_repos_org ON repositories (organization_id);
CREATE UNIQUE INDEX idx_repos_org_github ON repositories (organization_id, github_id);

CREATE TABLE pull_requests_rebuilt (
    id BLOB PRIMARY KEY,
    repository_id BLOB NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    github_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    state VARCHAR(50) NOT NULL CHECK (state IN ('open', 'closed', 'merged')),
    author_github_id INTEGER,
    base_branch VARCHAR(255),
    head_branch VARCHAR(255),
    draft BOOLEAN NOT NULL DEFAULT 0,
    mergeable BOOLEAN,
    review_status VARCHAR(50) CHECK (review_status IN ('pending', 'approved', 'changes_requested')),
    agent_review_status VARCHAR(50)
        CHECK (agent_review_status IN ('not_started', 'in_progress', 'completed', 'failed')),
    metadata TEXT NOT NULL DEFAULT '{}',
    opened_at TEXT,
    closed_at TEXT,
    merged_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (repository_id, number)
);
INSERT INTO pull_requests_rebuilt SELECT * FROM pull_requests;
DROP TABLE pull_requests;
ALTER TABLE pull_requests_rebuilt RENAME TO pull_requests;
CREATE INDEX idx_prs_state ON pull_requests (state);
CREATE INDEX idx_prs_review_status ON pull_requests (review_status);
CREATE UNIQUE INDEX idx_prs_repo_github ON pull_requests (repository_id, github_id);

CREATE TABLE deployments_rebuilt (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    vercel_deployment_id VARCHAR(255) NOT NULL,
    project_name VARCHAR(255) NOT NULL,
    url TEXT NOT NULL,
    state VARCHAR(50) NOT NULL CHECK (state IN ('queued', 'building', 'ready', 'error', 'canceled')),
    environment VARCHAR(50) CHECK (environment IN ('production', 'preview', 'development')),
    commit_sha VARCHAR(255),
    branch VARCHAR(255),
    creator_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    agent_checked BOOLEAN NOT NULL DEFAULT 0,
    health_score INTEGER CHECK (health_score BETWEEN 0 AND 100),
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ready_at TEXT
);
INSERT INTO deployments_rebuilt SELECT * FROM deployments;
DROP TABLE deployments;
ALTER TABLE deployments_rebuilt RENAME TO deployments;
CREATE INDEX idx_deployments_org_created ON deployments (organization_id, created_at DESC);
CREATE INDEX idx_deployments_state ON deployments (state);
CREATE UNIQUE INDEX idx_deployments_org_vercel ON deployments (organization_id, vercel_deployment_id);

CREATE TABLE figma_files_rebuilt (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    figma_file_key VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    file_type VARCHAR(50) CHECK (file_type IN ('design_file', 'component_library')),
    thumbnail_url TEXT,
    last_modified_at TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO figma_files_rebuilt SELECT * FROM figma_files;
DROP TABLE figma_files;
ALTER TABLE figma_files_rebuilt RENAME TO figma_files;
CREATE INDEX idx_figma_files_org ON figma_files (organization_id);
CREATE UNIQUE INDEX idx_figma_files_org_key ON figma_files (organization_id, figma_file_key);

CREATE TABLE design_components_rebuilt (
    id BLOB PRIMARY KEY,
    figma_file_id BLOB NOT NULL REFERENCES figma_files (id) ON DELETE CASCADE,
    figma_component_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    component_type VARCHAR(100),
    code_generated BOOLEAN NOT NULL DEFAULT 0,
    code_path TEXT,
    usage_count INTEGER NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO design_components_rebuilt SELECT * FROM design_components;
DROP TABLE design_components;
ALTER TABLE design_components_rebuilt RENAME TO design_components;
CREATE INDEX idx_design_components_file ON design_components (figma_file_id);
CREATE INDEX idx_design_components_type ON design_components (component_type);
CREATE UNIQUE INDEX idx_design_components_file_component ON design_components (figma_file_id, figma_component_id);

COMMIT;
PRAGMA foreign_keys = ON;
