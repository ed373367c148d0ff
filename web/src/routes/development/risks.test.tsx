import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';

vi.mock('../../api/hooks', () => ({
  useCan: () => false,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: 'viewer', me: { id: 'u1' } }),
}));
vi.mock('../../api/live', () => ({ useLive: () => undefined }));

const PR = { number: 7, body: null, state: 'OPEN', draft: false, reviewStatus: null, agentReviewStatus: null, baseBranch: 'main', headBranch: 'b', authorGithubId: null, openedAt: null, mergedAt: null, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', repository: { id: 'r1', fullName: 'acme/api' } };
vi.mock('../../api/graphql', () => ({
  gql: async () => ({ pullRequests: { items: [{ ...PR, id: 'pr1', title: 'Risky change' }, { ...PR, id: 'pr2', number: 8, title: 'Unassessed change' }], nextCursor: null } }),
}));

const DEPLOYMENT = { organization_id: 'o1', url: null, state: 'ready', environment: 'production', commit_sha: '1234567890', branch: 'main', metadata: {}, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };
const RISKS = {
  deployment: [
    { subject: 'deployment', id: 'd1', risk: 64, confidence: 0.3, model: 'prior', assessed_at: '2026-01-01T00:10:00Z', factors: [{ name: 'project_failure_rate', value: 0.4, effect: 0.9 }, { name: 'late_week', value: 1, effect: 0.4 }, { name: 'lines_changed', value: 3, effect: -0.6 }] },
  ],
  pull_request: [{ subject: 'pull_request', id: 'pr1', risk: 23, confidence: 0.62, model: 'trained', assessed_at: '2026-01-01T00:10:00Z', factors: [{ name: 'not_mergeable', value: 1, effect: 0.7 }] }],
};

vi.mock('../../api/rest', () => ({
  api: {
    GET: async (path: string, init?: { params?: { query?: { subject?: 'deployment' | 'pull_request' } } }) => {
      const items =
        path === '/api/deployments'
          ? [{ ...DEPLOYMENT, id: 'd1', project_name: 'web' }, { ...DEPLOYMENT, id: 'd2', project_name: 'docs' }]
          : path === '/api/analytics/risks'
            ? RISKS[init?.params?.query?.subject ?? 'deployment']
            : [];
      return { data: { items, next_cursor: null }, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { DevelopmentArea } = await import('./DevelopmentArea');

function show(url: string) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path="/development/*" element={<DevelopmentArea />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);

describe('the predicted risk on the rows of the Development Hub', () => {
  it('marks a deployment with its risk, and opens what weighed most with ↑ and ↓ and the model', async () => {
    show('/development/deployments');
    const rows = await screen.findAllByTestId('deployment-row');
    const web = rows.find((row) => row.textContent?.includes('web'))!;
    const button = await within(web).findByRole('button', { name: /risk 64/ });
    expect(button).toHaveAttribute('title', expect.stringContaining("↑ Project's recent failure rate: 40 %"));
    expect(button).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(button);
    const factors = within(web).getByTestId('risk-factors');
    expect(within(factors).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      "↑Project's recent failure rate (raises the risk)40 %",
      '↓Lines changed (lowers the risk)3',
      '↑Late in the week (Friday to Sunday) (raises the risk)yes',
    ]);
    expect(factors).toHaveTextContent('By the prior model (too little history yet to train one); confidence 30 %');
    // The deployment the agent has not assessed shows no risk.
    const docs = rows.find((row) => row.textContent?.includes('docs'))!;
    expect(within(docs).queryByTestId('risk')).toBeNull();
  });

  it("marks a pull request with its risk (a trained model's), without selecting the row when opened", async () => {
    show('/development');
    const rows = await screen.findAllByTestId('pr-row');
    const risky = rows.find((row) => row.textContent?.includes('Risky change'))!;
    const badge = await within(risky).findByTestId('risk');
    expect(badge).toHaveAttribute('data-model', 'trained');
    await userEvent.click(within(badge).getByRole('button', { name: /risk 23/ }));
    expect(within(risky).getByTestId('risk-factors')).toHaveTextContent("By the model trained on this organization's deployments; confidence 62 %");
    expect(screen.queryByTestId('pr-detail')).toBeNull();
    const unassessed = rows.find((row) => row.textContent?.includes('Unassessed change'))!;
    expect(within(unassessed).queryByTestId('risk')).toBeNull();
  });

  it('marks the deployment a link names (?id=)', async () => {
    show('/development/deployments?id=d2');
    const rows = await screen.findAllByTestId('deployment-row');
    expect(rows.find((row) => row.dataset.selected)?.textContent).toContain('docs');
  });
});
