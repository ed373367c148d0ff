-- What the code review agent found on a pull request (its task output: summary, risk,
-- findings, suggested reviewers), and why the security agent blocked it, if it did.
ALTER TABLE pull_requests ADD COLUMN agent_review TEXT;
ALTER TABLE pull_requests ADD COLUMN blocked_reason TEXT;
