-- A task is for an agent type, and is assigned to one of the organization's agents of
-- that type when there is one. A task for a type with no enabled agent is kept, with
-- the reason it waits, and is assigned as soon as such an agent starts: nothing
-- accepted is dropped. Idempotency keys name one task in the organization (whichever
-- agent holds it), so routing an event again finds its task even when the type's
-- agents changed in between.
ALTER TABLE agent_tasks ALTER COLUMN agent_id DROP NOT NULL;
ALTER TABLE agent_tasks ADD COLUMN agent_type VARCHAR(100);
ALTER TABLE agent_tasks ADD COLUMN waiting_reason TEXT;
UPDATE agent_tasks t SET agent_type = a.agent_type FROM agents a WHERE a.id = t.agent_id;
ALTER TABLE agent_tasks ALTER COLUMN agent_type SET NOT NULL;
ALTER TABLE agent_tasks DROP CONSTRAINT agent_tasks_agent_id_idempotency_key_key;
-- A key used for two agents of the organization before: the later task's key gets its
-- id appended, so that the key names one task.
UPDATE agent_tasks t SET idempotency_key = t.idempotency_key || ':' || t.id::text
WHERE t.idempotency_key IS NOT NULL AND EXISTS (
    SELECT 1 FROM agent_tasks o
    WHERE o.organization_id = t.organization_id
      AND o.idempotency_key = t.idempotency_key
      AND (o.created_at < t.created_at OR (o.created_at = t.created_at AND o.id < t.id))
);
CREATE UNIQUE INDEX idx_agent_tasks_org_idempotency ON agent_tasks (organization_id, idempotency_key);
CREATE INDEX idx_agent_tasks_waiting ON agent_tasks (organization_id, agent_type) WHERE agent_id IS NULL;
