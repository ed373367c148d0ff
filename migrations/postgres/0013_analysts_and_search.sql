-- Search: one document per searchable row — events, pull requests, the code review
-- agent's findings on a pull request, deployments, design components and social posts —
-- kept by triggers on those tables, so that every writer indexes what it writes and a
-- deleted row leaves the index with it. Tenant-scoped by organization_id; ranked by
-- PostgreSQL's full-text search over `tsv` (the title weighted above the body).
CREATE TABLE search_documents (
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind VARCHAR(50) NOT NULL
        CHECK (kind IN ('event', 'pull_request', 'finding', 'deployment', 'component', 'post')),
    resource_id UUID NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL,
    tsv TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
    ) STORED,
    PRIMARY KEY (kind, resource_id)
);
CREATE INDEX idx_search_documents_tsv ON search_documents USING GIN (tsv);
CREATE INDEX idx_search_documents_org ON search_documents (organization_id, updated_at DESC);

CREATE FUNCTION search_put(org UUID, doc_kind TEXT, id UUID, doc_title TEXT, doc_body TEXT, at TIMESTAMPTZ)
RETURNS VOID AS $$
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    VALUES (org, doc_kind, id, left(doc_title, 500), left(doc_body, 20000), at)
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
$$ LANGUAGE SQL;

CREATE FUNCTION search_index_event() RETURNS TRIGGER AS $$
BEGIN
    PERFORM search_put(NEW.organization_id, 'event', NEW.id, NEW.event_type,
        NEW.event_source || ' ' || left(NEW.metadata::text, 2000), NEW.created_at);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER search_events AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION search_index_event();

CREATE FUNCTION search_index_pull_request() RETURNS TRIGGER AS $$
DECLARE
    org UUID;
    repository TEXT;
BEGIN
    SELECT r.organization_id, r.full_name INTO org, repository
        FROM repositories r WHERE r.id = NEW.repository_id;
    PERFORM search_put(org, 'pull_request', NEW.id, '#' || NEW.number || ' ' || NEW.title,
        concat_ws(' ', repository, NEW.head_branch, NEW.metadata->>'author', NEW.body), NEW.updated_at);
    IF NEW.agent_review IS NOT NULL AND jsonb_typeof(NEW.agent_review) = 'object' THEN
        PERFORM search_put(org, 'finding', NEW.id,
            'Review of #' || NEW.number || ' ' || NEW.title,
            concat_ws(E'\n', NEW.agent_review->>'summary', (
                SELECT string_agg(concat_ws(' ', f->>'severity', f->>'rule', f->>'path', f->>'message'), E'\n')
                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(NEW.agent_review->'findings') = 'array'
                    THEN NEW.agent_review->'findings' ELSE '[]'::jsonb END) f)),
            NEW.updated_at);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER search_pull_requests AFTER INSERT OR UPDATE ON pull_requests
    FOR EACH ROW EXECUTE FUNCTION search_index_pull_request();

CREATE FUNCTION search_index_deployment() RETURNS TRIGGER AS $$
BEGIN
    PERFORM search_put(NEW.organization_id, 'deployment', NEW.id,
        concat_ws(' ', NEW.project_name, NEW.environment, NEW.state),
        concat_ws(' ', NEW.url, NEW.branch, NEW.commit_sha, NEW.metadata->>'commit_message'),
        NEW.updated_at);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER search_deployments AFTER INSERT OR UPDATE ON deployments
    FOR EACH ROW EXECUTE FUNCTION search_index_deployment();

CREATE FUNCTION search_index_component() RETURNS TRIGGER AS $$
BEGIN
    PERFORM search_put(f.organization_id, 'component', NEW.id, NEW.name,
        concat_ws(' ', NEW.component_type, NEW.description, f.name), NEW.updated_at)
        FROM figma_files f WHERE f.id = NEW.figma_file_id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER search_components AFTER INSERT OR UPDATE ON design_components
    FOR EACH ROW EXECUTE FUNCTION search_index_component();

CREATE FUNCTION search_index_post() RETURNS TRIGGER AS $$
BEGIN
    PERFORM search_put(a.organization_id, 'post', NEW.id,
        NEW.platform || ' post (' || NEW.status || ')', NEW.content, NEW.updated_at)
        FROM social_accounts a WHERE a.id = NEW.social_account_id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER search_posts AFTER INSERT OR UPDATE ON social_posts
    FOR EACH ROW EXECUTE FUNCTION search_index_post();

CREATE FUNCTION search_forget() RETURNS TRIGGER AS $$
BEGIN
    DELETE FROM search_documents WHERE resource_id = OLD.id AND kind = ANY (TG_ARGV);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER search_forget_events AFTER DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION search_forget('event');
CREATE TRIGGER search_forget_pull_requests AFTER DELETE ON pull_requests
    FOR EACH ROW EXECUTE FUNCTION search_forget('pull_request', 'finding');
CREATE TRIGGER search_forget_deployments AFTER DELETE ON deployments
    FOR EACH ROW EXECUTE FUNCTION search_forget('deployment');
CREATE TRIGGER search_forget_components AFTER DELETE ON design_components
    FOR EACH ROW EXECUTE FUNCTION search_forget('component');
CREATE TRIGGER search_forget_posts AFTER DELETE ON social_posts
    FOR EACH ROW EXECUTE FUNCTION search_forget('post');

-- What was already there when the index began.
INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
SELECT organization_id, 'event', id, event_type, event_source || ' ' || left(metadata::text, 2000), created_at
FROM events;
UPDATE pull_requests SET updated_at = updated_at;
UPDATE deployments SET updated_at = updated_at;
UPDATE design_components SET updated_at = updated_at;
UPDATE social_posts SET updated_at = updated_at;

-- Deployment risk: the prediction agent's latest assessment of a deployment or a pull
-- request — the risk 0–100, how confident the model is, the factors that weighed most,
-- and which model said so (the documented prior until the organization's own history
-- trains one).
CREATE TABLE risk_assessments (
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_type VARCHAR(50) NOT NULL CHECK (resource_type IN ('deployment', 'pull_request')),
    resource_id UUID NOT NULL,
    risk INTEGER NOT NULL CHECK (risk BETWEEN 0 AND 100),
    confidence DOUBLE PRECISION NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    factors JSONB NOT NULL DEFAULT '[]',
    model VARCHAR(50) NOT NULL,
    assessed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (resource_type, resource_id)
);
CREATE INDEX idx_risk_assessments_org ON risk_assessments (organization_id, assessed_at DESC);
