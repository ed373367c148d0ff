-- CompanyOS schema, PostgreSQL dialect. Kept in step with ../sqlite/0001_initial.sql:
-- the same tables, columns, nullability, keys and checks; only the types differ
-- (UUID/BLOB, JSONB/TEXT, TIMESTAMPTZ/TEXT). `store` binds every id and time from Rust.
--
-- Departures from the seed schema, on purpose:
-- * DECIMAL columns are DOUBLE PRECISION (rates and measurements, not money).
-- * organization_members.role also allows 'viewer' (the permission matrix has four roles).
-- * agents.status also allows 'complete' (the lifecycle passes through it).
-- * agent_tasks carries organization_id (tenant scoping and per-organization limits
--   without a join), lease and attempt columns, an idempotency key, and the states
--   needs_approval, rejected and cancelled.

-- ─── core ──────────────────────────────────────────────────────────────────────

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL,
    avatar_url TEXT,
    role VARCHAR(50) NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member', 'viewer')),
    password_hash TEXT,
    github_id BIGINT UNIQUE,
    settings JSONB NOT NULL DEFAULT '{}',
    last_seen_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_users_role ON users (role);

CREATE TABLE organizations (
    id UUID PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    slug VARCHAR(100) NOT NULL UNIQUE,
    logo_url TEXT,
    settings JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE organization_members (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role VARCHAR(50) NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at TIMESTAMPTZ NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX idx_org_members_user ON organization_members (user_id);

CREATE TABLE refresh_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id UUID NOT NULL,
    token_hash VARCHAR(128) NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    replaced_by UUID,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens (family_id);

-- ─── integrations ──────────────────────────────────────────────────────────────

CREATE TABLE integrations (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service VARCHAR(50) NOT NULL
        CHECK (service IN ('github', 'vercel', 'figma', 'slack', 'twitter', 'linkedin')),
    status VARCHAR(50) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'error')),
    credentials_encrypted TEXT NOT NULL,
    metadata JSONB NOT NULL DEFAULT '{}',
    last_sync_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (organization_id, service)
);
CREATE INDEX idx_integrations_service ON integrations (service);

CREATE TABLE webhooks (
    id UUID PRIMARY KEY,
    integration_id UUID NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    service VARCHAR(50) NOT NULL
        CHECK (service IN ('github', 'vercel', 'figma', 'slack', 'twitter', 'linkedin')),
    event_type VARCHAR(100) NOT NULL,
    webhook_id VARCHAR(255),
    secret VARCHAR(255),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_webhooks_integration ON webhooks (integration_id);

-- ─── development ───────────────────────────────────────────────────────────────

CREATE TABLE repositories (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    github_id BIGINT NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL,
    full_name VARCHAR(255) NOT NULL,
    default_branch VARCHAR(100) NOT NULL DEFAULT 'main',
    visibility VARCHAR(50) CHECK (visibility IN ('public', 'private', 'internal')),
    metadata JSONB NOT NULL DEFAULT '{}',
    last_sync_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_repos_org ON repositories (organization_id);

CREATE TABLE pull_requests (
    id UUID PRIMARY KEY,
    repository_id UUID NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    github_id BIGINT NOT NULL UNIQUE,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    state VARCHAR(50) NOT NULL CHECK (state IN ('open', 'closed', 'merged')),
    author_github_id BIGINT,
    base_branch VARCHAR(255),
    head_branch VARCHAR(255),
    draft BOOLEAN NOT NULL DEFAULT FALSE,
    mergeable BOOLEAN,
    review_status VARCHAR(50) CHECK (review_status IN ('pending', 'approved', 'changes_requested')),
    agent_review_status VARCHAR(50)
        CHECK (agent_review_status IN ('not_started', 'in_progress', 'completed', 'failed')),
    metadata JSONB NOT NULL DEFAULT '{}',
    opened_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    merged_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (repository_id, number)
);
CREATE INDEX idx_prs_state ON pull_requests (state);
CREATE INDEX idx_prs_review_status ON pull_requests (review_status);

CREATE TABLE deployments (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    vercel_deployment_id VARCHAR(255) NOT NULL UNIQUE,
    project_name VARCHAR(255) NOT NULL,
    url TEXT NOT NULL,
    state VARCHAR(50) NOT NULL CHECK (state IN ('queued', 'building', 'ready', 'error', 'canceled')),
    environment VARCHAR(50) CHECK (environment IN ('production', 'preview', 'development')),
    commit_sha VARCHAR(255),
    branch VARCHAR(255),
    creator_id UUID REFERENCES users (id) ON DELETE SET NULL,
    agent_checked BOOLEAN NOT NULL DEFAULT FALSE,
    health_score INTEGER CHECK (health_score BETWEEN 0 AND 100),
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    ready_at TIMESTAMPTZ
);
CREATE INDEX idx_deployments_org_created ON deployments (organization_id, created_at DESC);
CREATE INDEX idx_deployments_state ON deployments (state);

-- ─── design ────────────────────────────────────────────────────────────────────

CREATE TABLE figma_files (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    figma_file_key VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL,
    file_type VARCHAR(50) CHECK (file_type IN ('design_file', 'component_library')),
    thumbnail_url TEXT,
    last_modified_at TIMESTAMPTZ,
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_figma_files_org ON figma_files (organization_id);

CREATE TABLE design_components (
    id UUID PRIMARY KEY,
    figma_file_id UUID NOT NULL REFERENCES figma_files (id) ON DELETE CASCADE,
    figma_component_id VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    component_type VARCHAR(100),
    code_generated BOOLEAN NOT NULL DEFAULT FALSE,
    code_path TEXT,
    usage_count INTEGER NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_design_components_file ON design_components (figma_file_id);
CREATE INDEX idx_design_components_type ON design_components (component_type);

-- ─── social ────────────────────────────────────────────────────────────────────

CREATE TABLE social_accounts (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    platform VARCHAR(50) NOT NULL CHECK (platform IN ('twitter', 'linkedin')),
    account_id VARCHAR(255) NOT NULL,
    handle VARCHAR(255) NOT NULL,
    display_name VARCHAR(255),
    avatar_url TEXT,
    follower_count INTEGER NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
    credentials_encrypted TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    last_sync_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (organization_id, platform, account_id)
);
CREATE INDEX idx_social_accounts_platform ON social_accounts (platform);

CREATE TABLE social_posts (
    id UUID PRIMARY KEY,
    social_account_id UUID NOT NULL REFERENCES social_accounts (id) ON DELETE CASCADE,
    platform VARCHAR(50) NOT NULL CHECK (platform IN ('twitter', 'linkedin')),
    external_post_id VARCHAR(255),
    content TEXT NOT NULL,
    status VARCHAR(50) NOT NULL CHECK (status IN ('draft', 'scheduled', 'published', 'failed')),
    scheduled_for TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    engagement_likes INTEGER NOT NULL DEFAULT 0,
    engagement_comments INTEGER NOT NULL DEFAULT 0,
    engagement_shares INTEGER NOT NULL DEFAULT 0,
    engagement_views INTEGER NOT NULL DEFAULT 0,
    agent_generated BOOLEAN NOT NULL DEFAULT FALSE,
    approved_by UUID REFERENCES users (id) ON DELETE SET NULL,
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_social_posts_account ON social_posts (social_account_id);
CREATE INDEX idx_social_posts_status ON social_posts (status);
CREATE INDEX idx_social_posts_scheduled ON social_posts (scheduled_for);

-- ─── agents ────────────────────────────────────────────────────────────────────

CREATE TABLE agents (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    agent_type VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL DEFAULT 'idle'
        CHECK (status IN ('idle', 'working', 'complete', 'error', 'disabled')),
    capabilities JSONB NOT NULL DEFAULT '[]',
    configuration JSONB NOT NULL DEFAULT '{}',
    current_task_id UUID,
    total_tasks_completed INTEGER NOT NULL DEFAULT 0,
    total_tasks_failed INTEGER NOT NULL DEFAULT 0,
    success_rate DOUBLE PRECISION NOT NULL DEFAULT 100.0 CHECK (success_rate BETWEEN 0 AND 100),
    average_duration_seconds INTEGER,
    last_active_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE INDEX idx_agents_type ON agents (agent_type);
CREATE INDEX idx_agents_status ON agents (status);

CREATE TABLE agent_tasks (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    task_type VARCHAR(100) NOT NULL,
    description TEXT,
    status VARCHAR(50) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'needs_approval', 'in_progress', 'completed', 'failed',
                          'rejected', 'cancelled')),
    priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    input_data JSONB,
    output_data JSONB,
    error_message TEXT,
    idempotency_key VARCHAR(255),
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    duration_seconds INTEGER,
    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    run_after TIMESTAMPTZ NOT NULL,
    lease_token UUID,
    lease_owner VARCHAR(255),
    lease_expires_at TIMESTAMPTZ,
    requires_human_approval BOOLEAN NOT NULL DEFAULT FALSE,
    approved_by UUID REFERENCES users (id) ON DELETE SET NULL,
    approved_at TIMESTAMPTZ,
    rejected_by UUID REFERENCES users (id) ON DELETE SET NULL,
    rejected_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (agent_id, idempotency_key),
    CHECK ((status = 'in_progress') = (lease_token IS NOT NULL))
);
CREATE INDEX idx_agent_tasks_agent ON agent_tasks (agent_id, created_at DESC);
CREATE INDEX idx_agent_tasks_org_created ON agent_tasks (organization_id, created_at DESC);
CREATE INDEX idx_agent_tasks_status ON agent_tasks (status);
-- The queue's claim order: highest priority first, then oldest.
CREATE INDEX idx_agent_tasks_claim ON agent_tasks (priority DESC, created_at, id) WHERE status = 'pending';
CREATE INDEX idx_agent_tasks_lease ON agent_tasks (lease_expires_at) WHERE status = 'in_progress';
-- Fair claiming ranks each agent's pending tasks and counts each agent's running ones.
CREATE INDEX idx_agent_tasks_agent_pending ON agent_tasks (agent_id, priority DESC, created_at, id)
    WHERE status = 'pending';
CREATE INDEX idx_agent_tasks_agent_running ON agent_tasks (agent_id) WHERE status = 'in_progress';

-- Tasks waiting to be published to the broker; written in the task's own transaction.
CREATE TABLE task_outbox (
    id UUID PRIMARY KEY,
    task_id UUID NOT NULL REFERENCES agent_tasks (id) ON DELETE CASCADE,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 10),
    publish_attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ
);
CREATE INDEX idx_task_outbox_unpublished ON task_outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE agent_collaborations (
    id UUID PRIMARY KEY,
    primary_agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    collaborating_agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    task_id UUID REFERENCES agent_tasks (id) ON DELETE CASCADE,
    collaboration_type VARCHAR(100)
        CHECK (collaboration_type IN ('handoff', 'parallel', 'review', 'request', 'consensus', 'broadcast')),
    status VARCHAR(50) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'failed')),
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_agent_collabs_primary ON agent_collaborations (primary_agent_id);
CREATE INDEX idx_agent_collabs_collaborating ON agent_collaborations (collaborating_agent_id);

-- A coordinator's workflow: its steps are tasks for other agents. current_stage is
-- persisted so a restarted coordinator resumes where it was.
CREATE TABLE workflow_runs (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    coordinator_agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    workflow_type VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    current_stage INTEGER NOT NULL DEFAULT 0 CHECK (current_stage >= 0),
    input_data JSONB,
    error_message TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ
);
CREATE INDEX idx_workflow_runs_org ON workflow_runs (organization_id, created_at DESC);
CREATE INDEX idx_workflow_runs_coordinator ON workflow_runs (coordinator_agent_id, status);

-- Steps of one stage run in parallel; a blocking step holds the next stage back.
CREATE TABLE workflow_steps (
    id UUID PRIMARY KEY,
    run_id UUID NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    stage INTEGER NOT NULL CHECK (stage >= 0),
    name VARCHAR(255) NOT NULL,
    blocking BOOLEAN NOT NULL DEFAULT TRUE,
    status VARCHAR(50) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
    task_id UUID REFERENCES agent_tasks (id) ON DELETE SET NULL,
    output_data JSONB,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    UNIQUE (run_id, name)
);
CREATE INDEX idx_workflow_steps_run ON workflow_steps (run_id, stage);

-- Cron-style schedules that enqueue tasks.
CREATE TABLE schedules (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    cron_expression VARCHAR(255) NOT NULL,
    task_type VARCHAR(100) NOT NULL,
    input_data JSONB,
    priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    last_run_at TIMESTAMPTZ,
    next_run_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (organization_id, name)
);
CREATE INDEX idx_schedules_due ON schedules (next_run_at) WHERE enabled;

-- ─── analytics ─────────────────────────────────────────────────────────────────

CREATE TABLE events (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_type VARCHAR(100) NOT NULL,
    event_source VARCHAR(50) NOT NULL,
    actor_type VARCHAR(50) CHECK (actor_type IN ('user', 'agent', 'webhook', 'system')),
    actor_id UUID,
    resource_type VARCHAR(100),
    resource_id UUID,
    metadata JSONB NOT NULL DEFAULT '{}',
    routed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_events_org_created ON events (organization_id, created_at DESC);
CREATE INDEX idx_events_type ON events (event_type);
CREATE INDEX idx_events_source ON events (event_source);
CREATE INDEX idx_events_unrouted ON events (created_at) WHERE routed_at IS NULL;

CREATE TABLE metrics (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    metric_type VARCHAR(100) NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit VARCHAR(50),
    dimensions JSONB NOT NULL DEFAULT '{}',
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_metrics_org_type_recorded ON metrics (organization_id, metric_type, recorded_at DESC);
CREATE INDEX idx_metrics_recorded ON metrics (recorded_at DESC);
