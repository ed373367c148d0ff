// Tasks that wait for an agent: the node keeps a task it cannot assign (no enabled agent
// of its type in the organization) with `agent_id` null and a `waiting_reason`; the first
// agent of the type that is created or enabled takes it. Pure, so it is unit-tested.
import type { TaskRow } from '../../api/models';

export interface Waiting {
  agentType: string;
  reason: string;
}

type WaitingFields = Pick<TaskRow, 'agent_id' | 'agent_type' | 'waiting_reason' | 'status'>;

const OPEN = new Set(['pending', 'needs_approval']);

/** Why the task waits for an agent, or null when it has one (or is finished). */
export function waitingOf(task: WaitingFields): Waiting | null {
  if (!OPEN.has(task.status.toLowerCase())) return null;
  if (task.agent_id && !task.waiting_reason) return null;
  return { agentType: task.agent_type, reason: task.waiting_reason ?? `waiting for an enabled ${task.agent_type} agent` };
}

export interface WaitingGroup extends Waiting {
  tasks: TaskRow[];
}

/** Waiting tasks by the agent type they wait for, the longest queue first. */
export function groupWaiting(tasks: TaskRow[]): WaitingGroup[] {
  const groups = new Map<string, WaitingGroup>();
  for (const task of tasks) {
    const waiting = waitingOf(task);
    if (!waiting) continue;
    const group = groups.get(waiting.agentType) ?? { ...waiting, tasks: [] };
    group.tasks.push(task);
    groups.set(waiting.agentType, group);
  }
  return [...groups.values()].sort((a, b) => b.tasks.length - a.tasks.length || a.agentType.localeCompare(b.agentType));
}

/** A name for a new agent of `agentType` that no agent of the organization has yet. */
export function newAgentName(agentType: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  const base = agentType.replace(/_/g, '-');
  if (!names.has(base)) return base;
  for (let index = 2; ; index += 1) {
    const candidate = `${base}-${index}`;
    if (!names.has(candidate)) return candidate;
  }
}
