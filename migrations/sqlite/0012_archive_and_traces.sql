-- The raw payload archive: when a delivery's headers and body were written to object
-- storage. NULL until then: a node's archiver writes what was missed (a node that
-- stopped first, object storage that was down), found through the partial index.
ALTER TABLE webhook_deliveries ADD COLUMN archived_at TEXT;
CREATE INDEX idx_webhook_deliveries_unarchived ON webhook_deliveries (received_at)
    WHERE archived_at IS NULL;

-- Traces: the W3C `traceparent` of the work that recorded a delivery or created a task,
-- so that the adapter's and the agent's spans continue the trace of the request that
-- caused them, on whichever node runs them. NULL when no trace was recorded.
ALTER TABLE webhook_deliveries ADD COLUMN traceparent TEXT;
ALTER TABLE agent_tasks ADD COLUMN traceparent TEXT;
