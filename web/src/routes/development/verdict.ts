// The verdict the node keeps on a pull request, read from what the code review agent
// writes (crates/actors/src/code_review.rs: `record_agent_review` with
// {summary, risk, findings, suggested_reviewers, head_sha, posting, security_scan_task_id,
// llm}), and whether the review was posted (the latest `post_review` task for it, or the
// agent's own posting when it posts at once).
import type { TaskRow } from '../../api/models';

export type Risk = 'low' | 'medium' | 'high' | 'critical';

export interface Verdict {
  risk: Risk | null;
  summary: string | null;
  findings: number;
  suggestedReviewers: string[];
  headSha: string | null;
  /** How the agent was set to post: `auto`, `approval` or `never`. */
  postMode: 'auto' | 'approval' | 'never' | null;
  /** The review GitHub answered when the agent posted at once. */
  autoPostedUrl: string | null;
  /** The `post_review` task the agent queued, when posting waits for approval. */
  postTaskId: string | null;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function string(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value : null;
}

const RISKS: readonly Risk[] = ['low', 'medium', 'high', 'critical'];

/** The verdict in a pull request's `agent_review`; null when there is none yet. */
export function verdictOf(agentReview: unknown): Verdict | null {
  const review = record(agentReview);
  if (!review) return null;
  const risk = string(review.risk)?.toLowerCase();
  const posting = record(review.posting);
  const mode = string(posting?.mode);
  return {
    risk: RISKS.find((candidate) => candidate === risk) ?? null,
    summary: string(review.summary),
    findings: Array.isArray(review.findings) ? review.findings.length : 0,
    suggestedReviewers: Array.isArray(review.suggested_reviewers) ? review.suggested_reviewers.filter((name): name is string => typeof name === 'string' && name.length > 0) : [],
    headSha: string(review.head_sha),
    postMode: mode === 'auto' || mode === 'approval' || mode === 'never' ? mode : null,
    autoPostedUrl: string(record(posting?.review)?.html_url),
    postTaskId: string(posting?.task_id),
  };
}

export function riskTone(risk: Risk | null): 'green' | 'amber' | 'red' | 'gray' {
  if (risk === 'low') return 'green';
  if (risk === 'medium') return 'amber';
  if (risk === 'high' || risk === 'critical') return 'red';
  return 'gray';
}

/** The `post_review` tasks of one pull request (by its id, else its repository and number), newest first. */
export function postTasksOf(tasks: readonly TaskRow[] | undefined, pr: { id: string; number: number; repository: string | null }): TaskRow[] {
  return (tasks ?? [])
    .filter((task) => {
      if (task.task_type !== 'post_review') return false;
      const input = record(task.input_data);
      if (!input) return false;
      if (typeof input.pull_request_id === 'string') return input.pull_request_id === pr.id;
      return pr.repository !== null && input.repository === pr.repository && Number(input.number) === pr.number;
    })
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
}

export type Posting =
  | { state: 'none' }
  | { state: 'never' }
  | { state: 'waiting'; task: TaskRow }
  | { state: 'posting'; task: TaskRow }
  | { state: 'posted'; url: string | null; task: TaskRow | null }
  | { state: 'rejected'; task: TaskRow }
  | { state: 'superseded'; task: TaskRow; reason: string }
  | { state: 'cancelled'; task: TaskRow; reason: string | null }
  | { state: 'failed'; task: TaskRow; reason: string | null };

/** Whether the review was posted, from the latest `post_review` task (or the agent's own posting). */
export function postingOf(verdict: Verdict | null, postTasks: readonly TaskRow[]): Posting {
  const latest = (verdict?.postTaskId && postTasks.find((task) => task.id === verdict.postTaskId)) || postTasks[0];
  if (latest) {
    switch (latest.status) {
      case 'needs_approval':
        return { state: 'waiting', task: latest };
      case 'pending':
      case 'in_progress':
        return { state: 'posting', task: latest };
      case 'completed': {
        const posted = record(record(latest.output_data)?.posted);
        return { state: 'posted', url: string(posted?.html_url), task: latest };
      }
      case 'rejected':
        return { state: 'rejected', task: latest };
      case 'cancelled': {
        const reason = string(latest.error_message);
        return reason && /^superseded\b/i.test(reason) ? { state: 'superseded', task: latest, reason } : { state: 'cancelled', task: latest, reason };
      }
      case 'failed':
        return { state: 'failed', task: latest, reason: string(latest.error_message) };
    }
  }
  if (verdict?.postMode === 'auto') return { state: 'posted', url: verdict.autoPostedUrl, task: null };
  if (verdict?.postMode === 'never') return { state: 'never' };
  return { state: 'none' };
}
