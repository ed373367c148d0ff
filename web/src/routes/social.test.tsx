import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';

const state = vi.hoisted(() => ({ accounts: [] as unknown[], canDraft: true }));

vi.mock('../api/hooks', () => ({
  useCan: () => state.canDraft,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ role: 'member' }),
}));
vi.mock('../api/rest', () => ({
  api: {
    GET: async (path: string) => ({
      data: path === '/api/social/accounts' ? { items: state.accounts } : { items: [], next_cursor: null },
      response: new Response(null, { status: 200 }),
    }),
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { Social } = await import('./Social');

function show() {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>
        <Social />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.accounts = [];
  state.canDraft = true;
});

describe('Social drafts, empty', () => {
  it('has a real button that opens the draft form', async () => {
    state.accounts = [{ id: 's1', platform: 'twitter', handle: 'acme', display_name: null, follower_count: 3, last_sync_at: null }];
    show();
    await userEvent.click(await screen.findByTestId('draft-one'));
    expect(screen.getByRole('dialog', { name: 'Draft a post' })).toBeInTheDocument();
  });

  it('says why it cannot draft without an account', async () => {
    show();
    const button = await screen.findByTestId('draft-one');
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription('Connect X or LinkedIn first: a post is drafted for one of its accounts.');
  });

  it('offers no button to a role that may not draft', async () => {
    state.canDraft = false;
    show();
    expect(await screen.findByText(/members draft posts/)).toBeInTheDocument();
    expect(screen.queryByTestId('draft-one')).toBeNull();
  });
});
