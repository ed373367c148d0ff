-- The task transport (RabbitMQ; see ARCHITECTURE.md, "Cluster mode"). An outbox entry is
-- written in the transaction that makes its task runnable; a relay takes due entries
-- for a while (`relay_until`) so that two nodes do not publish the same one, and marks
-- them published once the broker confirmed them.
ALTER TABLE task_outbox ADD COLUMN relay_until TIMESTAMPTZ;
CREATE INDEX idx_task_outbox_task ON task_outbox (task_id);
