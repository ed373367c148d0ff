-- Search narrowed to one organization inside the full-text index. The `tsvector` of
-- each document also holds a lexeme naming its organization ('o' and the id's 32 hex
-- digits), so that a search asks the GIN index for the organization's matches only
-- instead of every organization's; the organization_id column is still checked. An
-- index on updated_at lets a frequent word's newest matches be read newest first
-- without collecting them all.
DROP INDEX idx_search_documents_tsv;
ALTER TABLE search_documents DROP COLUMN tsv;
ALTER TABLE search_documents ADD COLUMN tsv TSVECTOR GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
        || array_to_tsvector(ARRAY['o' || replace(organization_id::text, '-', '')])
) STORED;
CREATE INDEX idx_search_documents_tsv ON search_documents USING GIN (tsv);
CREATE INDEX idx_search_documents_recent ON search_documents (updated_at DESC);
