import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import type { TaskWhole } from '../../api/models';
import { postingOf, postTasksOf, verdictOf } from './verdict';

function task(overrides: Partial<TaskWhole>): TaskWhole {
  return {
    id: 'post-1', organization_id: 'o1', agent_id: 'a1', agent_type: 'code_review', task_type: 'post_review', description: null, status: 'needs_approval', priority: 5,
    input_data: { repository: 'acme/api', number: 7, pull_request_id: 'pr1', body: 'x', comments: [] }, output_data: null, error_message: null, waiting_reason: null,
    retry_count: 0, max_attempts: 3, attempt: 0, run_after: '2026-01-01T00:00:00Z', requires_human_approval: true, approved_by: null, approved_at: null, rejected_by: null, rejected_at: null,
    created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

/** What code_review.rs writes on the pull request (`mark(Completed, result)`). */
const AGENT_REVIEW = {
  summary: 'High risk: S change (3 files, +40/−2 lines), 2 findings.',
  risk: 'high',
  findings: [
    { path: 'src/a.rs', line: 12, category: 'secret', rule: 'aws-key', severity: 'critical', message: 'an AWS key' },
    { path: 'Cargo.toml', line: null, category: 'dependencies', rule: 'new-crate', severity: 'low', message: 'a new crate' },
  ],
  suggested_reviewers: ['@alice', '@bob'],
  head_sha: 'abcdef0123456',
  posting: { mode: 'approval', task_id: 'post-2' },
  security_scan_task_id: 'scan-1',
  llm: null,
};

describe('the verdict', () => {
  it('is read from what the code review agent writes', () => {
    expect(verdictOf(AGENT_REVIEW)).toEqual({
      risk: 'high', summary: AGENT_REVIEW.summary, findings: 2, suggestedReviewers: ['@alice', '@bob'], headSha: 'abcdef0123456', postMode: 'approval', autoPostedUrl: null, postTaskId: 'post-2',
    });
    expect(verdictOf(null)).toBeNull();
    expect(verdictOf({ risk: 'unheard-of' })?.risk).toBeNull();
  });

  it("reads a review the agent posted at once from its posting", () => {
    const verdict = verdictOf({ ...AGENT_REVIEW, posting: { mode: 'auto', review: { id: 1, html_url: 'https://github.com/acme/api/pull/7#pullrequestreview-1', state: 'COMMENTED' } } });
    expect(postingOf(verdict, [])).toEqual({ state: 'posted', url: 'https://github.com/acme/api/pull/7#pullrequestreview-1', task: null });
    expect(postingOf(verdictOf({ ...AGENT_REVIEW, posting: { mode: 'never' } }), [])).toEqual({ state: 'never' });
  });
});

describe('whether the review was posted', () => {
  const pr = { id: 'pr1', number: 7, repository: 'acme/api' };

  it("takes the pull request's post_review tasks, newest first, by id or by repository and number", () => {
    const tasks = [
      task({ id: 'old', created_at: '2026-01-01T00:00:00Z' }),
      task({ id: 'new', created_at: '2026-01-02T00:00:00Z', input_data: { repository: 'acme/api', number: 7, body: '', comments: [] } }),
      task({ id: 'other', input_data: { repository: 'acme/api', number: 8, pull_request_id: 'pr2', body: '', comments: [] } }),
      task({ id: 'analysis', task_type: 'analyze_pr' }),
    ];
    expect(postTasksOf(tasks, pr).map((row) => row.id)).toEqual(['new', 'old']);
  });

  it('says waiting, posted with its link, rejected, superseded or failed from the latest task', () => {
    const verdict = verdictOf({ ...AGENT_REVIEW, posting: { mode: 'approval' } });
    expect(postingOf(verdict, [task({})]).state).toBe('waiting');
    expect(postingOf(verdict, [task({ status: 'completed', output_data: { posted: { id: 9, html_url: 'https://github.com/r/9', state: 'COMMENTED' }, comments: 1 } })])).toMatchObject({ state: 'posted', url: 'https://github.com/r/9' });
    expect(postingOf(verdict, [task({ status: 'rejected' })]).state).toBe('rejected');
    expect(postingOf(verdict, [task({ status: 'cancelled', error_message: 'superseded: a newer commit abc1234 was pushed; its review replaces this one' })])).toMatchObject({ state: 'superseded' });
    expect(postingOf(verdict, [task({ status: 'cancelled', error_message: 'cancelled by a member' })]).state).toBe('cancelled');
    expect(postingOf(verdict, [task({ status: 'failed', error_message: 'GitHub refused' })])).toMatchObject({ state: 'failed', reason: 'GitHub refused' });
    expect(postingOf(verdict, []).state).toBe('none');
  });

  it('prefers the task the verdict names over a newer one', () => {
    const verdict = verdictOf(AGENT_REVIEW);
    expect(postingOf(verdict, [task({ id: 'post-3', status: 'failed' }), task({ id: 'post-2', status: 'rejected' })]).state).toBe('rejected');
  });
});

const state = vi.hoisted(() => ({ pr: null as unknown, tasks: [] as unknown[] }));

vi.mock('../../api/hooks', () => ({
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: 'member', me: { id: 'u1' } }),
}));
vi.mock('../../api/rest', () => ({
  api: {
    GET: async (path: string) => {
      const answers: Record<string, unknown> = {
        '/api/pull-requests/{id}': state.pr,
        '/api/repositories': { items: [{ id: 'r1', full_name: 'acme/api' }] },
        '/api/agent-tasks': { items: state.tasks },
        '/api/organizations/{id}/members': { items: [{ user_id: 'u2', name: 'Ada Admin', email: 'a@acme.test', role: 'admin', joined_at: '2026-01-01T00:00:00Z' }] },
      };
      return { data: answers[path] ?? { items: [] }, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { PullRequestVerdict } = await import('./Verdict');

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <PullRequestVerdict id="pr1" number={7} fallbackRepository={null} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.pr = { id: 'pr1', repository_id: 'r1', number: 7, title: 'Add billing', agent_review_status: 'completed', agent_review: AGENT_REVIEW, blocked_reason: null };
  state.tasks = [];
});

describe('the verdict card', () => {
  it('shows risk, summary, findings, reviewers and the pull request on GitHub (its repository from repository_id)', async () => {
    show();
    expect(await screen.findByText('risk: high')).toBeInTheDocument();
    expect(screen.getByTestId('pr-verdict-summary')).toHaveTextContent(AGENT_REVIEW.summary);
    expect(screen.getByTestId('pr-verdict-findings')).toHaveTextContent('2');
    expect(screen.getByText('@alice, @bob')).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: /acme\/api#7 on GitHub/ })).toHaveAttribute('href', 'https://github.com/acme/api/pull/7');
    expect(screen.queryByTestId('pr-blocked')).not.toBeInTheDocument();
  });

  it("puts the security agent's block first, as an alert", async () => {
    state.pr = { ...(state.pr as object), blocked_reason: '1 finding(s) to fix before merging, the worst: an AWS key' };
    show();
    const blocked = await screen.findByRole('alert');
    expect(blocked).toHaveTextContent('Blocked by the security agent');
    expect(blocked).toHaveTextContent('the worst: an AWS key');
  });

  it('links the posted review and says who approved it', async () => {
    state.tasks = [task({ id: 'post-2', status: 'completed', approved_by: 'u2', approved_at: new Date().toISOString(), output_data: { posted: { id: 9, html_url: 'https://github.com/acme/api/pull/7#pullrequestreview-9', state: 'COMMENTED' }, comments: 1 } })];
    show();
    const posting = await screen.findByTestId('pr-posting');
    expect(await within(posting).findByRole('link', { name: /the review on GitHub/ })).toHaveAttribute('href', 'https://github.com/acme/api/pull/7#pullrequestreview-9');
    expect(await within(posting).findByText(/approved by Ada Admin/)).toBeInTheDocument();
  });

  it('says when there is no verdict yet', async () => {
    state.pr = { id: 'pr1', repository_id: 'r1', number: 7, title: 'x', agent_review_status: 'in_progress', agent_review: null, blocked_reason: null };
    show();
    expect(await screen.findByText(/No verdict yet/)).toBeInTheDocument();
  });
});
