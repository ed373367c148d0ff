-- Webhooks in. An integration is addressed by an unguessable token in its webhook URL,
-- and verified with its webhook secret (the signing secret, passcode or consumer secret
-- the vendor uses), sealed like the credentials.
ALTER TABLE integrations ADD COLUMN webhook_token VARCHAR(64);
ALTER TABLE integrations ADD COLUMN webhook_secret_encrypted TEXT;
CREATE UNIQUE INDEX idx_integrations_webhook_token ON integrations (webhook_token);

-- Every verified delivery, written before it is acknowledged: the raw body and the
-- headers that matter, deduplicated on the vendor's delivery id (or a hash of what was
-- signed). 'received' deliveries are processed into events by the integration's
-- adapter, again at start-up if a node stopped first; 'malformed' ones are kept for
-- inspection.
CREATE TABLE webhook_deliveries (
    id BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id BLOB NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    service VARCHAR(50) NOT NULL
        CHECK (service IN ('github', 'vercel', 'figma', 'slack', 'twitter', 'linkedin')),
    delivery_key VARCHAR(255) NOT NULL,
    event_type VARCHAR(255) NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    status VARCHAR(50) NOT NULL CHECK (status IN ('received', 'processed', 'malformed', 'failed')),
    error TEXT,
    event_id BLOB,
    received_at TEXT NOT NULL,
    processed_at TEXT
);
CREATE UNIQUE INDEX idx_webhook_deliveries_key ON webhook_deliveries (integration_id, delivery_key);
CREATE INDEX idx_webhook_deliveries_status ON webhook_deliveries (status, received_at);
