// Tasks that wait: the node keeps a task it cannot assign (no enabled agent of its type in
// the organization) with `agent_id` null and a `waiting_reason`; the first agent of the
// type that is created or enabled takes it. A task whose agent is disabled waits for it to
// be enabled; a task past its agent's language-model budget, or rate-limited by a vendor,
// waits until a time the reason names ("waiting: …; it runs again at … UTC"), and no new
// agent would help. Pure, so it is unit-tested.
import type { TaskRow } from '../../api/models';

/** `agent`: no enabled agent of the type; `disabled`: its agent is disabled; `later`: a budget or rate limit. */
export type WaitKind = 'agent' | 'disabled' | 'later';

export interface Waiting {
  agentType: string;
  reason: string;
  kind: WaitKind;
  /** When a `later` wait ends (ISO), as the reason says. */
  until: string | null;
}

const RUNS_AGAIN = /;?\s*it runs again at (\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}) UTC\.?$/;

/** What kind of wait a reason describes, and until when. */
export function waitKindOf(reason: string | null | undefined): { kind: WaitKind; until: string | null } {
  const text = reason ?? '';
  const at = RUNS_AGAIN.exec(text);
  if (at) return { kind: 'later', until: `${at[1]}T${at[2]}Z` };
  if (/^waiting: its agent .* is disabled/.test(text)) return { kind: 'disabled', until: null };
  return { kind: 'agent', until: null };
}

/** A `later` reason in plain words: without the "waiting:" prefix and the machine-readable time. */
export function laterReason(reason: string): string {
  const text = reason.replace(RUNS_AGAIN, '').replace(/^waiting:\s*/, '').trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : 'A budget or rate limit';
}

type WaitingFields = Pick<TaskRow, 'agent_id' | 'agent_type' | 'waiting_reason' | 'status'>;

const OPEN = new Set(['pending', 'needs_approval']);

/** Why the task waits for an agent, or null when it has one (or is finished). */
export function waitingOf(task: WaitingFields): Waiting | null {
  if (!OPEN.has(task.status.toLowerCase())) return null;
  if (task.agent_id && !task.waiting_reason) return null;
  return { agentType: task.agent_type, reason: task.waiting_reason ?? `waiting for an enabled ${task.agent_type} agent`, ...waitKindOf(task.waiting_reason) };
}

export interface WaitingGroup extends Waiting {
  tasks: TaskRow[];
}

/** Waiting tasks by the agent type and the kind of wait, the longest queue first. */
export function groupWaiting(tasks: TaskRow[]): WaitingGroup[] {
  const groups = new Map<string, WaitingGroup>();
  for (const task of tasks) {
    const waiting = waitingOf(task);
    if (!waiting) continue;
    const key = `${waiting.kind}:${waiting.agentType}`;
    const group = groups.get(key) ?? { ...waiting, tasks: [] };
    group.tasks.push(task);
    // The latest time a budget wait ends, for the whole group.
    if (waiting.until && (!group.until || waiting.until > group.until)) group.until = waiting.until;
    groups.set(key, group);
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

const WORDS: Record<string, string> = { github: 'GitHub', llm: 'LLM', pr: 'PR', ui: 'UI', api: 'API', x: 'X', linkedin: 'LinkedIn', figma: 'Figma', vercel: 'Vercel', slack: 'Slack' };

/** An agent type in words: `code_review` → "code review", `github_watcher` → "GitHub watcher". */
export function agentTypeWords(agentType: string): string {
  return agentType
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((word) => WORDS[word.toLowerCase()] ?? word)
    .join(' ');
}

/** "a security agent", "an analytics agent". */
export function anAgent(agentType: string): string {
  const words = agentTypeWords(agentType);
  return `${/^[aeiou]/i.test(words) ? 'an' : 'a'} ${words} agent`;
}

/**
 * Drops what the node wrote for programs from a reason meant for people: a route with its
 * body ("(POST /api/agents {"type": "security"})", "POST /api/agents/…/enable"), the
 * leading "waiting:", and keeps the rest as a sentence.
 */
export function withoutApiSyntax(reason: string): string {
  const text = reason
    // "(POST /api/agents {…})", "(POST /api/agents/x/enable)"
    .replace(/\s*\((?:[^()]*?)\b(?:GET|POST|PUT|PATCH|DELETE)\s+\/api\/[^()]*\)/g, '')
    // a bare route with an optional JSON body
    .replace(/\s*\b(?:GET|POST|PUT|PATCH|DELETE)\s+\/api\/\S*(?:\s*\{[^}]*\})?/g, '')
    .replace(/^waiting:\s*/i, '')
    .replace(/\s+([,;:.])/g, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
}

export interface PlainWaiting {
  /** The situation in a few words: "Waiting for a security agent". */
  headline: string;
  /** What is missing, in a sentence; no route, no JSON. */
  detail: string;
  /** The node does not run the agent type at all: nobody can start one here. */
  typeMissing: boolean;
  /** For a `disabled` wait: the disabled agent's name, as the reason gives it. */
  agentName: string | null;
}

/**
 * A task's wait as people read it, from the task's agent type (structured) and the node's
 * reason. Reasons written by older nodes ("create one (POST /api/agents {"type": …})") and
 * newer ones ("this organization has none running; start one …") read the same.
 */
export function plainWaiting(agentType: string, reason: string | null | undefined, kind: WaitKind = waitKindOf(reason).kind): PlainWaiting {
  const text = reason ?? '';
  const agent = anAgent(agentType);
  if (kind === 'later') {
    return { headline: 'Waiting for a budget or rate limit', detail: laterReason(text), typeMissing: false, agentName: null };
  }
  if (kind === 'disabled') {
    const name = /^waiting: its agent (.+?) is disabled/.exec(text)?.[1] ?? null;
    return {
      headline: name ? `Waiting for ${name}, which is disabled` : `Waiting for its disabled ${agentTypeWords(agentType)} agent`,
      detail: `Its agent${name ? ` ${name}` : ''} is disabled: enable it and the task runs.`,
      typeMissing: false,
      agentName: name,
    };
  }
  if (/does not run that agent type/.test(text)) {
    return { headline: `Waiting for ${agent}`, detail: `This node does not run ${agentTypeWords(agentType)} agents yet, so none can be started here.`, typeMissing: true, agentName: null };
  }
  if (!text || /^waiting for an? (enabled )?\S+ agent\b/.test(text)) {
    return { headline: `Waiting for ${agent}`, detail: `This organization has no ${agentTypeWords(agentType)} agent running. Once one runs (a new one, or a disabled one enabled again), it takes the task.`, typeMissing: false, agentName: null };
  }
  return { headline: `Waiting for ${agent}`, detail: withoutApiSyntax(text), typeMissing: false, agentName: null };
}
