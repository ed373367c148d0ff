-- Search narrowed to one organization inside the full-text index. `search_fts` gains a
-- third column, `scope`, holding a token naming the document's organization ('o' and
-- the id's 32 hex digits) and one naming its kind ('k' and the kind without
-- underscores), so that a search matches the organization's documents of the kind
-- asked for inside FTS5 instead of joining every organization's matches. The column is
-- read through the view search_fts_content; search_documents is unchanged.
DROP TRIGGER search_fts_insert;
DROP TRIGGER search_fts_delete;
DROP TRIGGER search_fts_update;
DROP TABLE search_fts;

CREATE VIEW search_fts_content AS
SELECT rowid AS doc, title, body,
       'o' || lower(hex(organization_id)) || ' k' || replace(kind, '_', '') AS scope
FROM search_documents;

CREATE VIRTUAL TABLE search_fts USING fts5(
    title, body, scope, content = 'search_fts_content', content_rowid = 'doc',
    tokenize = 'porter unicode61'
);
CREATE TRIGGER search_fts_insert AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_fts (rowid, title, body, scope)
    VALUES (NEW.rowid, NEW.title, NEW.body,
            'o' || lower(hex(NEW.organization_id)) || ' k' || replace(NEW.kind, '_', ''));
END;
CREATE TRIGGER search_fts_delete AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body, scope)
    VALUES ('delete', OLD.rowid, OLD.title, OLD.body,
            'o' || lower(hex(OLD.organization_id)) || ' k' || replace(OLD.kind, '_', ''));
END;
CREATE TRIGGER search_fts_update AFTER UPDATE ON search_documents BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body, scope)
    VALUES ('delete', OLD.rowid, OLD.title, OLD.body,
            'o' || lower(hex(OLD.organization_id)) || ' k' || replace(OLD.kind, '_', ''));
    INSERT INTO search_fts (rowid, title, body, scope)
    VALUES (NEW.rowid, NEW.title, NEW.body,
            'o' || lower(hex(NEW.organization_id)) || ' k' || replace(NEW.kind, '_', ''));
END;
INSERT INTO search_fts (search_fts) VALUES ('rebuild');
