import { describe, expect, it } from 'vitest';
import { reviewsOf } from './DevelopmentArea';
import type { TaskWhole } from '../../api/models';

/** A code review task as GET /api/agent-tasks lists it. */
function review(id: string, input: TaskWhole['input_data']): TaskWhole {
  return {
    id, organization_id: 'o1', agent_id: 'a1', agent_type: 'code_review', task_type: 'analyze_pr', description: null, status: 'completed', priority: 5,
    input_data: input, output_data: null, error_message: null, waiting_reason: null, idempotency_key: null, started_at: null, completed_at: null,
    duration_seconds: null, retry_count: 0, max_attempts: 3, attempt: 1, run_after: '2026-01-01T00:00:00Z', lease_owner: null, lease_expires_at: null,
    requires_human_approval: false, approved_by: null, approved_at: null, rejected_by: null, rejected_at: null,
    created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
  };
}

describe('the reviews of a pull request', () => {
  const pr = { id: 'pr-1', number: 2, repository: { id: 'r', fullName: 'Codertocat/Hello-World' } };

  it('are found by the pull request id (agent-review route) or by repository and number (the watcher)', () => {
    const tasks = [
      review('a', { pull_request_id: 'pr-1', number: 2 }),
      review('b', { repository: 'Codertocat/Hello-World', number: 2 }),
      review('c', { repository: 'Codertocat/Hello-World', number: 3 }),
      review('d', { pull_request_id: 'pr-9', repository: 'Codertocat/Hello-World', number: 2 }),
      review('e', null),
    ];
    expect(reviewsOf(tasks, pr).map((task) => task.id)).toEqual(['a', 'b']);
  });
});
