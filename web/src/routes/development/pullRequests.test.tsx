import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';

const state = vi.hoisted(() => ({ canPublish: true, posted: [] as { path: string; body: unknown }[], draftAnswer: 'queued' as 'queued' | 'conflict' }));

const DRAFT_TASK = { id: 'dt1', agent_id: 'cw1', agent_type: 'content_writer', task_type: 'draft_post', status: 'pending', priority: 5, attempts: 0, max_attempts: 3, created_at: '2026-01-02T00:00:00Z', updated_at: '2026-01-02T00:00:00Z' };

vi.mock('../../api/hooks', () => ({
  useCan: (action: string) => action !== 'publishSocial' || state.canPublish,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: 'member', me: { id: 'u1' } }),
}));
vi.mock('../../api/live', () => ({ useLive: () => undefined }));
vi.mock('../../api/graphql', () => ({
  gql: async () => ({
    pullRequests: {
      items: [
        { id: 'pr1', number: 7, title: 'Add billing export', body: null, state: 'OPEN', draft: false, reviewStatus: null, agentReviewStatus: 'COMPLETED', baseBranch: 'main', headBranch: 'billing', authorGithubId: null, openedAt: null, mergedAt: null, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', repository: { id: 'r1', fullName: 'acme/api' } },
        { id: 'pr2', number: 8, title: 'Fix typo', body: null, state: 'OPEN', draft: false, reviewStatus: null, agentReviewStatus: null, baseBranch: 'main', headBranch: 'typo', authorGithubId: null, openedAt: null, mergedAt: null, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', repository: { id: 'r1', fullName: 'acme/api' } },
        { id: 'pr3', number: 6, title: 'Ship the billing page', body: null, state: 'MERGED', draft: false, reviewStatus: null, agentReviewStatus: null, baseBranch: 'main', headBranch: 'billing-page', authorGithubId: null, openedAt: null, mergedAt: '2026-01-01T12:00:00Z', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T12:00:00Z', repository: { id: 'r1', fullName: 'acme/api' } },
      ],
      nextCursor: null,
    },
  }),
}));
vi.mock('../../api/rest', async () => ({
  api: {
    GET: async (path: string) => {
      if (path === '/api/agent-tasks/{id}') return { data: DRAFT_TASK, response: new Response(null, { status: 200 }) };
      const items =
        path === '/api/pull-requests'
          ? [
              { id: 'pr1', repository_id: 'r1', number: 7, title: 'Add billing export', agent_review: { risk: 'critical', summary: 's', findings: [] }, blocked_reason: '1 finding(s) to fix before merging, the worst: an AWS key' },
              { id: 'pr2', repository_id: 'r1', number: 8, title: 'Fix typo', agent_review: null, blocked_reason: null },
            ]
          : [];
      return { data: { items }, response: new Response(null, { status: 200 }) };
    },
    POST: async (path: string, init?: { body?: unknown }) => {
      state.posted.push({ path, body: init?.body });
      if (state.draftAnswer === 'conflict') {
        return { error: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'the pull request is not merged' }, response: new Response(null, { status: 409 }) };
      }
      return { data: DRAFT_TASK, response: new Response(null, { status: 202 }) };
    },
  },
  call: (await vi.importActual<typeof import('../../api/call')>('../../api/call')).call,
}));

const { DevelopmentArea } = await import('./DevelopmentArea');

function show(entry = '/development') {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[entry]}>
        <Routes>
          <Route path="/development/*" element={<DevelopmentArea />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.canPublish = true;
  state.posted = [];
  state.draftAnswer = 'queued';
});

describe('the pull request list', () => {
  it("marks each pull request with its review's risk and a security block", async () => {
    show();
    const rows = await screen.findAllByTestId('pr-row');
    const billing = rows.find((row) => row.textContent?.includes('Add billing export'))!;
    expect(await within(billing).findByText('risk: critical')).toBeInTheDocument();
    expect(within(billing).getByText('blocked')).toHaveAttribute('title', '1 finding(s) to fix before merging, the worst: an AWS key');
    const typo = rows.find((row) => row.textContent?.includes('Fix typo'))!;
    expect(within(typo).queryByText('blocked')).not.toBeInTheDocument();
    expect(within(typo).queryByText(/risk:/)).not.toBeInTheDocument();
  });
});

describe('drafting a post about a merged pull request', () => {
  it('asks the content agent for drafts about it and follows the task', async () => {
    show('/development?pr=pr3');
    const detail = await screen.findByTestId('pr-detail');
    await userEvent.click(within(detail).getByRole('button', { name: 'Draft a post' }));
    expect(state.posted).toEqual([{ path: '/api/social/drafts', body: { pull_request_id: 'pr3' } }]);
    const queued = await within(detail).findByTestId('queued-task');
    expect(queued).toHaveAttribute('data-task-id', 'dt1');
    expect(queued).toHaveTextContent('Drafting queued as');
    expect(within(detail).queryByRole('button', { name: 'Draft a post' })).toBeNull();
  });

  it('says why the node refused (a pull request it does not have as merged)', async () => {
    state.draftAnswer = 'conflict';
    show('/development?pr=pr3');
    const detail = await screen.findByTestId('pr-detail');
    await userEvent.click(within(detail).getByRole('button', { name: 'Draft a post' }));
    expect(await within(detail).findByRole('alert')).toHaveTextContent('Conflict: the pull request is not merged');
    expect(within(detail).getByRole('button', { name: 'Draft a post' })).toBeInTheDocument();
  });

  it('is offered only on a merged pull request, to a role that may publish', async () => {
    show('/development?pr=pr1');
    const open = await screen.findByTestId('pr-detail');
    expect(within(open).queryByRole('button', { name: 'Draft a post' })).toBeNull();
    cleanup();
    state.canPublish = false;
    show('/development?pr=pr3');
    const merged = await screen.findByTestId('pr-detail');
    expect(within(merged).getByText('Ship the billing page')).toBeInTheDocument();
    expect(within(merged).queryByRole('button', { name: 'Draft a post' })).toBeNull();
  });
});
