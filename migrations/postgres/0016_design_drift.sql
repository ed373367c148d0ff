-- The design QA agent's finding on each component: in step with the code, different
-- (and how), or missing from the code.
ALTER TABLE design_components ADD COLUMN drift JSONB;
