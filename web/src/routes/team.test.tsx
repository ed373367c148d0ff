import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import document from '../../openapi/openapi.json';

const state = vi.hoisted(() => ({ requested: [] as string[] }));

vi.mock('../api/hooks', () => ({
  useCan: () => true,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', organization: { id: 'o1', name: 'Acme' }, role: 'owner', me: { id: 'u1' } }),
}));
vi.mock('../api/rest', () => ({
  api: {
    GET: async (path: string) => {
      state.requested.push(path);
      const items = path === '/api/organizations/{id}/members' ? [{ user_id: 'u1', name: 'Olivia Owner', email: 'owner@acme.test', role: 'owner', joined_at: '2026-01-01T00:00:00Z' }] : [];
      return { data: { items }, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { Team } = await import('./Team');

afterEach(cleanup);
beforeEach(() => {
  state.requested = [];
});

describe('the Team area', () => {
  it('asks the node only for routes its OpenAPI document describes, and none for standups', async () => {
    render(
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter>
          <Team />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    await screen.findByText('Olivia Owner');
    await waitFor(() => expect(state.requested).toContain('/api/organizations/{id}/invitations'));
    const described = Object.keys(document.paths);
    expect(state.requested.filter((path) => !described.includes(path))).toEqual([]);
    expect(state.requested.some((path) => path.includes('standup'))).toBe(false);
    expect(described.some((path) => path.includes('standup'))).toBe(false);
  });

  it('says standups come with the team agent, which this node does not have yet', async () => {
    render(
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter>
          <Team />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const standups = screen.getByTestId('standups-unavailable');
    expect(within(standups).getByText('Standups are not available on this node yet')).toBeInTheDocument();
    expect(standups).toHaveTextContent('They come with the team agent, which this node does not have yet');
    expect(within(standups).getByRole('link', { name: 'Integrations' })).toHaveAttribute('href', '/integrations');
    expect(within(standups).queryByRole('alert')).not.toBeInTheDocument();
    await screen.findByText('Olivia Owner');
  });
});
