import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { can, type Action } from '../../lib/permissions';
import type { Role } from '../../api/models';

const state = vi.hoisted(() => ({ role: 'member' as Role, posted: [] as string[] }));

vi.mock('../../api/hooks', () => ({
  useCan: (action: Action) => can(state.role, action),
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: state.role, me: { id: 'u1' } }),
}));
vi.mock('../../api/live', () => ({ useLive: () => undefined }));
vi.mock('../../api/graphql', () => ({ gql: async () => ({ agents: { items: [] } }) }));

const DEPLOYMENT = {
  id: 'd1', organization_id: 'o1', project_name: 'web', url: 'web-abc.vercel.app', state: 'ready', environment: 'production', commit_sha: '1234567890', branch: 'main',
  metadata: {}, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

vi.mock('../../api/rest', () => ({
  api: {
    GET: async (path: string) => ({ data: { items: path === '/api/deployments' ? [DEPLOYMENT] : [] }, response: new Response(null, { status: 200 }) }),
    POST: async (path: string) => {
      state.posted.push(path);
      return { data: null, response: new Response(null, { status: 201 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { DevelopmentArea } = await import('./DevelopmentArea');

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/development/deployments']}>
        <Routes>
          <Route path="/development/*" element={<DevelopmentArea />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.role = 'member';
  state.posted = [];
});

describe('rolling back a deployment', () => {
  it('is left to an admin or owner: a member sees why not', async () => {
    show();
    const row = await screen.findByTestId('deployment-row');
    const button = within(row).getByRole('button', { name: 'Roll back' });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription('Rollbacks need an admin or owner; you are a member.');
  });

  it('is asked for by an admin', async () => {
    state.role = 'admin';
    show();
    const row = await screen.findByTestId('deployment-row');
    await userEvent.click(within(row).getByRole('button', { name: 'Roll back' }));
    await userEvent.click(within(row).getByRole('button', { name: 'Ask to roll back' }));
    await vi.waitFor(() => expect(state.posted).toEqual(['/api/deployments/{id}/rollback']));
  });

  it('is not offered to a viewer', async () => {
    state.role = 'viewer';
    show();
    const row = await screen.findByTestId('deployment-row');
    expect(within(row).queryByRole('button', { name: 'Roll back' })).not.toBeInTheDocument();
  });
});
