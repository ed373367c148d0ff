import { describe, expect, it } from 'vitest';
import { successRateOf } from './stats';

describe('an agent success rate', () => {
  it('is absent until the agent has finished a task, whatever the node reports', () => {
    expect(successRateOf({ totalTasksCompleted: 0, totalTasksFailed: 0, successRate: 100 })).toBeNull();
  });

  it('counts failed tasks as finished', () => {
    expect(successRateOf({ totalTasksCompleted: 0, totalTasksFailed: 2, successRate: 0 })).toBe('0%');
    expect(successRateOf({ totalTasksCompleted: 5, totalTasksFailed: 1, successRate: 83.33 })).toBe('83%');
  });
});
