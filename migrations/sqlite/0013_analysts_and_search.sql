-- Search: one document per searchable row — events, pull requests, the code review
-- agent's findings on a pull request, deployments, design components and social posts —
-- kept by triggers on those tables, so that every writer indexes what it writes and a
-- deleted row leaves the index with it. Tenant-scoped by organization_id; matched and
-- ranked by the FTS5 table `search_fts` (bm25, the title weighted above the body),
-- which mirrors search_documents through the triggers below.
CREATE TABLE search_documents (
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind VARCHAR(50) NOT NULL
        CHECK (kind IN ('event', 'pull_request', 'finding', 'deployment', 'component', 'post')),
    resource_id BLOB NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, resource_id)
);
CREATE INDEX idx_search_documents_org ON search_documents (organization_id, updated_at DESC);

CREATE VIRTUAL TABLE search_fts USING fts5(
    title, body, content = 'search_documents', content_rowid = 'rowid',
    tokenize = 'porter unicode61'
);
CREATE TRIGGER search_fts_insert AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_fts (rowid, title, body) VALUES (NEW.rowid, NEW.title, NEW.body);
END;
CREATE TRIGGER search_fts_delete AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', OLD.rowid, OLD.title, OLD.body);
END;
CREATE TRIGGER search_fts_update AFTER UPDATE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', OLD.rowid, OLD.title, OLD.body);
    INSERT INTO search_fts (rowid, title, body) VALUES (NEW.rowid, NEW.title, NEW.body);
END;

CREATE TRIGGER search_events AFTER INSERT ON events BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    VALUES (NEW.organization_id, 'event', NEW.id, NEW.event_type,
            NEW.event_source || ' ' || substr(NEW.metadata, 1, 2000), NEW.created_at)
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;

CREATE TRIGGER search_pull_requests_insert AFTER INSERT ON pull_requests BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    SELECT r.organization_id, 'pull_request', NEW.id, substr('#' || NEW.number || ' ' || NEW.title, 1, 500),
           substr(concat_ws(' ', r.full_name, NEW.head_branch, json_extract(NEW.metadata, '$.author'), NEW.body), 1, 20000),
           NEW.updated_at
    FROM repositories r WHERE r.id = NEW.repository_id
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;
CREATE TRIGGER search_pull_requests_update AFTER UPDATE ON pull_requests BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    SELECT r.organization_id, 'pull_request', NEW.id, substr('#' || NEW.number || ' ' || NEW.title, 1, 500),
           substr(concat_ws(' ', r.full_name, NEW.head_branch, json_extract(NEW.metadata, '$.author'), NEW.body), 1, 20000),
           NEW.updated_at
    FROM repositories r WHERE r.id = NEW.repository_id
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;
CREATE TRIGGER search_findings AFTER UPDATE OF agent_review ON pull_requests
WHEN NEW.agent_review IS NOT NULL AND json_type(NEW.agent_review) = 'object' BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    SELECT r.organization_id, 'finding', NEW.id, substr('Review of #' || NEW.number || ' ' || NEW.title, 1, 500),
           substr(concat_ws(char(10), json_extract(NEW.agent_review, '$.summary'), (
               SELECT group_concat(concat_ws(' ', json_extract(f.value, '$.severity'), json_extract(f.value, '$.rule'),
                                             json_extract(f.value, '$.path'), json_extract(f.value, '$.message')), char(10))
               FROM json_each(NEW.agent_review, '$.findings') f)), 1, 20000),
           NEW.updated_at
    FROM repositories r WHERE r.id = NEW.repository_id
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;

CREATE TRIGGER search_deployments_insert AFTER INSERT ON deployments BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    VALUES (NEW.organization_id, 'deployment', NEW.id, concat_ws(' ', NEW.project_name, NEW.environment, NEW.state),
            concat_ws(' ', NEW.url, NEW.branch, NEW.commit_sha, json_extract(NEW.metadata, '$.commit_message')),
            NEW.updated_at)
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;
CREATE TRIGGER search_deployments_update AFTER UPDATE ON deployments BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    VALUES (NEW.organization_id, 'deployment', NEW.id, concat_ws(' ', NEW.project_name, NEW.environment, NEW.state),
            concat_ws(' ', NEW.url, NEW.branch, NEW.commit_sha, json_extract(NEW.metadata, '$.commit_message')),
            NEW.updated_at)
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;

CREATE TRIGGER search_components_insert AFTER INSERT ON design_components BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    SELECT f.organization_id, 'component', NEW.id, NEW.name,
           concat_ws(' ', NEW.component_type, NEW.description, f.name), NEW.updated_at
    FROM figma_files f WHERE f.id = NEW.figma_file_id
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;
CREATE TRIGGER search_components_update AFTER UPDATE ON design_components BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    SELECT f.organization_id, 'component', NEW.id, NEW.name,
           concat_ws(' ', NEW.component_type, NEW.description, f.name), NEW.updated_at
    FROM figma_files f WHERE f.id = NEW.figma_file_id
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;

CREATE TRIGGER search_posts_insert AFTER INSERT ON social_posts BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    SELECT a.organization_id, 'post', NEW.id, NEW.platform || ' post (' || NEW.status || ')', NEW.content, NEW.updated_at
    FROM social_accounts a WHERE a.id = NEW.social_account_id
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;
CREATE TRIGGER search_posts_update AFTER UPDATE ON social_posts BEGIN
    INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
    SELECT a.organization_id, 'post', NEW.id, NEW.platform || ' post (' || NEW.status || ')', NEW.content, NEW.updated_at
    FROM social_accounts a WHERE a.id = NEW.social_account_id
    ON CONFLICT (kind, resource_id) DO UPDATE
        SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at;
END;

CREATE TRIGGER search_forget_events AFTER DELETE ON events BEGIN
    DELETE FROM search_documents WHERE kind = 'event' AND resource_id = OLD.id;
END;
CREATE TRIGGER search_forget_pull_requests AFTER DELETE ON pull_requests BEGIN
    DELETE FROM search_documents WHERE kind IN ('pull_request', 'finding') AND resource_id = OLD.id;
END;
CREATE TRIGGER search_forget_deployments AFTER DELETE ON deployments BEGIN
    DELETE FROM search_documents WHERE kind = 'deployment' AND resource_id = OLD.id;
END;
CREATE TRIGGER search_forget_components AFTER DELETE ON design_components BEGIN
    DELETE FROM search_documents WHERE kind = 'component' AND resource_id = OLD.id;
END;
CREATE TRIGGER search_forget_posts AFTER DELETE ON social_posts BEGIN
    DELETE FROM search_documents WHERE kind = 'post' AND resource_id = OLD.id;
END;

-- What was already there when the index began.
INSERT INTO search_documents (organization_id, kind, resource_id, title, body, updated_at)
SELECT organization_id, 'event', id, event_type, event_source || ' ' || substr(metadata, 1, 2000), created_at
FROM events;
UPDATE pull_requests SET updated_at = updated_at;
UPDATE pull_requests SET agent_review = agent_review WHERE agent_review IS NOT NULL;
UPDATE deployments SET updated_at = updated_at;
UPDATE design_components SET updated_at = updated_at;
UPDATE social_posts SET updated_at = updated_at;

-- Deployment risk: the prediction agent's latest assessment of a deployment or a pull
-- request — the risk 0–100, how confident the model is, the factors that weighed most,
-- and which model said so (the documented prior until the organization's own history
-- trains one).
CREATE TABLE risk_assessments (
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_type VARCHAR(50) NOT NULL CHECK (resource_type IN ('deployment', 'pull_request')),
    resource_id BLOB NOT NULL,
    risk INTEGER NOT NULL CHECK (risk BETWEEN 0 AND 100),
    confidence DOUBLE PRECISION NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    factors TEXT NOT NULL DEFAULT '[]',
    model VARCHAR(50) NOT NULL,
    assessed_at TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id)
);
CREATE INDEX idx_risk_assessments_org ON risk_assessments (organization_id, assessed_at DESC);
