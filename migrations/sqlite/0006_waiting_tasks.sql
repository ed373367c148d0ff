-- no-transaction
-- A task is for an agent type, and is assigned to one of the organization's agents of
-- that type when there is one. A task for a type with no enabled agent is kept, with
-- the reason it waits, and is assigned as soon as such an agent starts: nothing
-- accepted is dropped. Idempotency keys name one task in the organization (whichever
-- agent holds it), so routing an event again finds its task even when the type's
-- agents changed in between.
--
-- SQLite cannot drop NOT NULL or a table constraint, so agent_tasks is rebuilt as its
-- documentation prescribes (foreign keys off, one transaction, copy, rename).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE agent_tasks_rebuilt (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    agent_id BLOB REFERENCES agents (id) ON DELETE CASCADE,
    task_type VARCHAR(100) NOT NULL,
    description TEXT,
    status VARCHAR(50) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'needs_approval', 'in_progress', 'completed', 'failed',
                          'rejected', 'cancelled')),
    priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    input_data TEXT,
    output_data TEXT,
    error_message TEXT,
    idempotency_key VARCHAR(255),
    started_at TEXT,
    completed_at TEXT,
    duration_seconds INTEGER,
    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    attempt INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    run_after TEXT NOT NULL,
    lease_token BLOB,
    lease_owner VARCHAR(255),
    lease_expires_at TEXT,
    requires_human_approval BOOLEAN NOT NULL DEFAULT 0,
    approved_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    approved_at TEXT,
    rejected_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    rejected_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    agent_type VARCHAR(100) NOT NULL,
    waiting_reason TEXT,
    CHECK ((status = 'in_progress') = (lease_token IS NOT NULL))
);
INSERT INTO agent_tasks_rebuilt (id, organization_id, agent_id, task_type, description, status, priority, input_data, output_data, error_message, idempotency_key, started_at, completed_at, duration_seconds, retry_count, max_attempts, attempt, run_after, lease_token, lease_owner, lease_expires_at, requires_human_approval, approved_by, approved_at, rejected_by, rejected_at, created_at, updated_at, agent_type)
    SELECT t.id, t.organization_id, t.agent_id, t.task_type, t.description, t.status, t.priority, t.input_data, t.output_data, t.error_message, t.idempotency_key, t.started_at, t.completed_at, t.duration_seconds, t.retry_count, t.max_attempts, t.attempt, t.run_after, t.lease_token, t.lease_owner, t.lease_expires_at, t.requires_human_approval, t.approved_by, t.approved_at, t.rejected_by, t.rejected_at, t.created_at, t.updated_at, a.agent_type
    FROM agent_tasks t JOIN agents a ON a.id = t.agent_id;
DROP TABLE agent_tasks;
ALTER TABLE agent_tasks_rebuilt RENAME TO agent_tasks;
-- A key used for two agents of the organization before: the later task's key gets its
-- id appended, so that the key names one task.
UPDATE agent_tasks SET idempotency_key = idempotency_key || ':' || lower(hex(id))
WHERE idempotency_key IS NOT NULL AND EXISTS (
    SELECT 1 FROM agent_tasks o
    WHERE o.organization_id = agent_tasks.organization_id
      AND o.idempotency_key = agent_tasks.idempotency_key
      AND (o.created_at < agent_tasks.created_at
           OR (o.created_at = agent_tasks.created_at AND o.id < agent_tasks.id))
);
CREATE INDEX idx_agent_tasks_agent ON agent_tasks (agent_id, created_at DESC);
CREATE INDEX idx_agent_tasks_org_created ON agent_tasks (organization_id, created_at DESC);
CREATE INDEX idx_agent_tasks_status ON agent_tasks (status);
CREATE INDEX idx_agent_tasks_claim ON agent_tasks (priority DESC, created_at, id) WHERE status = 'pending';
CREATE INDEX idx_agent_tasks_lease ON agent_tasks (lease_expires_at) WHERE status = 'in_progress';
CREATE INDEX idx_agent_tasks_agent_pending ON agent_tasks (agent_id, priority DESC, created_at, id)
    WHERE status = 'pending';
CREATE INDEX idx_agent_tasks_agent_running ON agent_tasks (agent_id) WHERE status = 'in_progress';
CREATE UNIQUE INDEX idx_agent_tasks_org_idempotency ON agent_tasks (organization_id, idempotency_key);
CREATE INDEX idx_agent_tasks_waiting ON agent_tasks (organization_id, agent_type) WHERE agent_id IS NULL;
COMMIT;
PRAGMA foreign_keys = ON;
