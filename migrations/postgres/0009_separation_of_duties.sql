-- How a task's approval or rejection was given: in the console, through the API or
-- GraphQL, or with a Slack button.
ALTER TABLE agent_tasks ADD COLUMN approved_via TEXT;
