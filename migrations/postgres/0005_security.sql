-- Security (see SECURITY.md): proven e-mail addresses, one-use mail tokens, revocable
-- invitations, revoked sessions, answered webhook challenges, and vendor ids unique per
-- organization instead of per instance (one organization could otherwise squat on
-- another's repository, deployment or Figma file ids).

-- A person's e-mail address is trusted only once they have proved it: a link mailed to
-- it (verification, password reset, an invitation) or a verified address from GitHub.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;

-- One-use links mailed to a person; only the token's SHA-256 is stored.
CREATE TABLE email_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose VARCHAR(50) NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    email VARCHAR(255) NOT NULL,
    token_hash VARCHAR(128) NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_email_tokens_user ON email_tokens (user_id);

-- Invitations can be revoked, and are voided when their inviter loses the right to invite.
ALTER TABLE invitations ADD COLUMN revoked_at TIMESTAMPTZ;
ALTER TABLE invitations ADD COLUMN revoked_reason VARCHAR(100);

-- Sessions (refresh-token families) ended before their access tokens expire: logout,
-- a reused refresh token, a password reset. A row is useless once `expires_at` (the
-- last access token of the session) has passed, and is then deleted.
CREATE TABLE revoked_sessions (
    session_id UUID PRIMARY KEY,
    user_id UUID NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_revoked_sessions_expires ON revoked_sessions (expires_at);

-- Inputs answered as X's CRC or LinkedIn's challenge, by SHA-256: a delivery whose body
-- was one of them carries a signature the node itself computed, and is refused.
CREATE TABLE webhook_challenges (
    integration_id UUID NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    input_hash VARCHAR(64) NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (integration_id, input_hash)
);
CREATE INDEX idx_webhook_challenges_answered ON webhook_challenges (answered_at);

ALTER TABLE repositories DROP CONSTRAINT repositories_github_id_key;
CREATE UNIQUE INDEX idx_repos_org_github ON repositories (organization_id, github_id);
ALTER TABLE pull_requests DROP CONSTRAINT pull_requests_github_id_key;
CREATE UNIQUE INDEX idx_prs_repo_github ON pull_requests (repository_id, github_id);
ALTER TABLE deployments DROP CONSTRAINT deployments_vercel_deployment_id_key;
CREATE UNIQUE INDEX idx_deployments_org_vercel ON deployments (organization_id, vercel_deployment_id);
ALTER TABLE figma_files DROP CONSTRAINT figma_files_figma_file_key_key;
CREATE UNIQUE INDEX idx_figma_files_org_key ON figma_files (organization_id, figma_file_key);
ALTER TABLE design_components DROP CONSTRAINT design_components_figma_component_id_key;
CREATE UNIQUE INDEX idx_design_components_file_component ON design_components (figma_file_id, figma_component_id);
