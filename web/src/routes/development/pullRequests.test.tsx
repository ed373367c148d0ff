import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';

vi.mock('../../api/hooks', () => ({
  useCan: () => true,
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
      ],
      nextCursor: null,
    },
  }),
}));
vi.mock('../../api/rest', () => ({
  api: {
    GET: async (path: string) => {
      const items =
        path === '/api/pull-requests'
          ? [
              { id: 'pr1', repository_id: 'r1', number: 7, title: 'Add billing export', agent_review: { risk: 'critical', summary: 's', findings: [] }, blocked_reason: '1 finding(s) to fix before merging, the worst: an AWS key' },
              { id: 'pr2', repository_id: 'r1', number: 8, title: 'Fix typo', agent_review: null, blocked_reason: null },
            ]
          : [];
      return { data: { items }, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { DevelopmentArea } = await import('./DevelopmentArea');

afterEach(cleanup);

describe('the pull request list', () => {
  it("marks each pull request with its review's risk and a security block", async () => {
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter initialEntries={['/development']}>
          <Routes>
            <Route path="/development/*" element={<DevelopmentArea />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const rows = await screen.findAllByTestId('pr-row');
    const billing = rows.find((row) => row.textContent?.includes('Add billing export'))!;
    expect(await within(billing).findByText('risk: critical')).toBeInTheDocument();
    expect(within(billing).getByText('blocked')).toHaveAttribute('title', '1 finding(s) to fix before merging, the worst: an AWS key');
    const typo = rows.find((row) => row.textContent?.includes('Fix typo'))!;
    expect(within(typo).queryByText('blocked')).not.toBeInTheDocument();
    expect(within(typo).queryByText(/risk:/)).not.toBeInTheDocument();
  });
});
