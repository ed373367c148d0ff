// An agent's success rate as people read it: none until a task has finished.

interface TaskStats {
  totalTasksCompleted: number;
  totalTasksFailed: number;
  successRate: number;
}

/** "83%", or null when the agent has finished no task yet (the node reports 100 then). */
export function successRateOf(stats: TaskStats): string | null {
  if (stats.totalTasksCompleted + stats.totalTasksFailed === 0) return null;
  return `${stats.successRate.toFixed(0)}%`;
}
