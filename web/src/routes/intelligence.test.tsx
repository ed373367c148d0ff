import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';

const state = vi.hoisted(() => ({ queries: [] as Record<string, unknown>[] }));

const AUDIT = {
  id: 'e1', organization_id: 'o1', event_type: 'task.approved', event_source: 'audit', actor_type: 'user', actor_id: 'u2', resource_type: 'agent_task', resource_id: 't1234567-0000',
  metadata: { summary: 'Ada Admin approved post_review for acme/api#7', task_type: 'post_review' }, created_at: '2026-01-01T00:00:00Z',
};
const WEBHOOK = { id: 'e2', organization_id: 'o1', event_type: 'pull_request.opened', event_source: 'github', actor_type: null, actor_id: null, resource_type: null, resource_id: null, metadata: { kind: 'pull_request' }, created_at: '2026-01-01T00:00:00Z' };

vi.mock('../api/hooks', () => ({
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: 'member', me: { id: 'u1' } }),
}));
const restMock = vi.hoisted(() => () => ({
  api: {
    GET: async (path: string, init?: { params?: { query?: Record<string, unknown> } }) => {
      if (path === '/api/organizations/{id}/members') {
        return { data: { items: [{ user_id: 'u1', name: 'Olivia Owner', email: 'o@acme.test', role: 'owner', joined_at: '2026-01-01T00:00:00Z' }, { user_id: 'u2', name: 'Ada Admin', email: 'a@acme.test', role: 'admin', joined_at: '2026-01-01T00:00:00Z' }] }, response: new Response(null, { status: 200 }) };
      }
      const query = init?.params?.query ?? {};
      state.queries.push(query);
      const items = query.source === 'audit' ? [AUDIT] : [AUDIT, WEBHOOK];
      return { data: { items }, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));
vi.mock('../api/rest', restMock);

const { EventLog, eventFilterOf, eventSummary } = await import('./Intelligence');

function Where() {
  return <output data-testid="where">{useLocation().search}</output>;
}

function show(url: string) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path="/intelligence" element={<><EventLog /><Where /></>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.queries = [];
});

describe('the event log', () => {
  it('reads its filters from the URL and an entry its sentence from metadata.summary', () => {
    expect(eventFilterOf(new URLSearchParams('source=audit&actor=u2'))).toEqual({ source: 'audit', actor: 'u2', type: '', event: '' });
    expect(eventFilterOf(new URLSearchParams('type=deployment.error&event=e9'))).toEqual({ source: '', actor: '', type: 'deployment.error', event: 'e9' });
    expect(eventSummary({ summary: 'Ada approved it' })).toBe('Ada approved it');
    expect(eventSummary({ kind: 'pull_request' })).toBeNull();
    expect(eventSummary(null)).toBeNull();
  });

  it("shows an audit entry's sentence and the member's name", async () => {
    show('/intelligence');
    const rows = await screen.findAllByTestId('event-row');
    const audit = rows.find((row) => row.dataset.source === 'audit')!;
    expect(within(audit).getByText('Ada Admin approved post_review for acme/api#7')).toBeInTheDocument();
    expect(await within(audit).findByRole('button', { name: 'Ada Admin' })).toBeInTheDocument();
    const webhook = rows.find((row) => row.dataset.source === 'github')!;
    expect(within(webhook).getByText('pull_request.opened')).toBeInTheDocument();
  });

  it('selects the audit trail and a member, asking the node with source=audit and actor_id, kept in the URL', async () => {
    show('/intelligence');
    await screen.findAllByTestId('event-row');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Source' }), 'audit');
    await screen.findByRole('option', { name: 'Ada Admin' });
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Member' }), 'u2');
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('?source=audit&actor=u2'));
    await waitFor(() => expect(state.queries).toContainEqual({ limit: 50, source: 'audit', actor_id: 'u2' }));
    expect(screen.getByRole('heading', { name: 'Audit trail' })).toBeInTheDocument();
  });

  it('shows only the type a search hit links to (?type=), marking its entry (?event=); the type can be let go', async () => {
    show('/intelligence?type=pull_request.opened&event=e2');
    const rows = await screen.findAllByTestId('event-row');
    expect(rows.find((row) => row.dataset.selected)?.textContent).toContain('pull_request.opened');
    await waitFor(() => expect(state.queries).toContainEqual({ limit: 50, type: 'pull_request.opened' }));
    await userEvent.click(screen.getByRole('button', { name: 'Show every type, not only pull_request.opened' }));
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('?event=e2'));
  });

  it('filters by a member from their name in an entry', async () => {
    show('/intelligence?source=audit');
    await userEvent.click(await screen.findByRole('button', { name: 'Ada Admin' }));
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('?source=audit&actor=u2'));
  });
});

describe('naming the actor of an audit entry', () => {
  it('prefers the member, then the name the entry kept, then the id', async () => {
    const { actorName } = await import('../api/members');
    const names = new Map([['u2', 'Ada Admin']]);
    expect(actorName(names, 'u2', { actor_name: 'Ada (old name)' })).toBe('Ada Admin');
    expect(actorName(names, 'u9abcdef0123', { actor_name: 'Former Member' })).toBe('Former Member');
    expect(actorName(names, 'u9abcdef0123', {})).toBe('user u9abcdef');
    expect(actorName(names, null, {})).toBeNull();
  });
});
