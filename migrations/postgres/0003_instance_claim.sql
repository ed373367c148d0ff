-- The first registration on a fresh instance owns it. Two registrations arriving at
-- once must not both believe they are first: each claims this single row, and only one
-- insert succeeds.
CREATE TABLE instance_claim (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    claimed_by VARCHAR(255) NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL
);
