-- The last sync's outcome on an integration (when it was tried, and why it failed if it
-- did), and who asked for a task by hand.
ALTER TABLE integrations ADD COLUMN last_sync_attempted_at TEXT;
ALTER TABLE integrations ADD COLUMN last_sync_error TEXT;
ALTER TABLE agent_tasks ADD COLUMN requested_by BLOB REFERENCES users (id) ON DELETE SET NULL;
