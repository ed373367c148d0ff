-- Semantic search: one vector per search document, from the embeddings endpoint the
-- node is configured with (`search.embeddings_url`), written by the node that hosts the
-- document's organization. `vector` holds the model's floats as little-endian f32; a
-- vector is stale once its document changed after it (`source_updated_at`) or when the
-- node's model is another. A deleted document takes its vector with it.
CREATE TABLE search_embeddings (
    kind VARCHAR(50) NOT NULL,
    resource_id UUID NOT NULL,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    model VARCHAR(200) NOT NULL,
    vector BYTEA NOT NULL,
    source_updated_at TIMESTAMPTZ NOT NULL,
    embedded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, resource_id),
    FOREIGN KEY (kind, resource_id) REFERENCES search_documents (kind, resource_id) ON DELETE CASCADE
);
CREATE INDEX idx_search_embeddings_org ON search_embeddings (organization_id, embedded_at);

-- The prediction agent's latest forecast of each draft or scheduled social post: the
-- chance (0–100) that it engages more than the organization's typical post on its
-- platform, that typical engagement, the factors that weighed most. A new forecast
-- replaces the old one; a deleted post takes its forecast with it.
CREATE TABLE content_forecasts (
    post_id UUID PRIMARY KEY REFERENCES social_posts (id) ON DELETE CASCADE,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    chance INTEGER NOT NULL CHECK (chance BETWEEN 0 AND 100),
    typical_engagement DOUBLE PRECISION,
    confidence DOUBLE PRECISION NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    factors JSONB NOT NULL DEFAULT '[]',
    model VARCHAR(20) NOT NULL,
    forecast_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_content_forecasts_org ON content_forecasts (organization_id, forecast_at DESC);
