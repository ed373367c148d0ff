import { describe, expect, it } from 'vitest';
import { reviewsOf } from './DevelopmentArea';
import type { TaskRow } from '../../api/models';

const review = (id: string, input: TaskRow['input_data']) => ({ id, input_data: input }) as TaskRow;

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
