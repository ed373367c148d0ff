import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';

const state = vi.hoisted(() => ({ queries: [] as Record<string, unknown>[] }));

vi.mock('../../api/hooks', () => ({
  useCan: () => false,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: 'viewer', me: { id: 'u1' } }),
}));
vi.mock('../../api/graphql', () => ({ gql: async () => ({ agents: { items: [{ id: 'a2', name: 'reviewer', type: 'code_review', capabilities: ['analyze_pr', 'post_review'] }] } }) }));
const restMock = vi.hoisted(() => () => ({
  api: {
    GET: async (path: string, init?: { params?: { query?: Record<string, unknown> } }) => {
      if (path === '/api/agents/types') {
        return { data: { items: [{ type: 'text_stats', kind: 'executor', capabilities: ['count_text'], default_configuration: {} }, { type: 'code_review', kind: 'executor', capabilities: ['analyze_pr', 'post_review'], default_configuration: {} }] }, response: new Response(null, { status: 200 }) };
      }
      if (path === '/api/agent-tasks') state.queries.push(init?.params?.query ?? {});
      return { data: { items: [] }, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));
vi.mock('../../api/rest', restMock);

const { TaskQueue, filterOf } = await import('./TaskQueue');
const { taskQuery } = await import('./queries');

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.search}</output>;
}

function show(url: string) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path="/agents/tasks" element={<><TaskQueue /><Where /></>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.queries = [];
});

describe('the task filters', () => {
  it('are read from the URL, an unknown status ignored', () => {
    expect(filterOf(new URLSearchParams('status=failed&q=boom&type=count_text&agent_type=text_stats'))).toEqual({ status: 'failed', q: 'boom', type: 'count_text', agentType: 'text_stats' });
    expect(filterOf(new URLSearchParams('status=bogus')).status).toBe('');
  });

  it('become the list route query, leaving out what is empty', () => {
    expect(taskQuery({ status: '', q: '  ', type: 'post_review', agentType: '' })).toEqual({ limit: 100, include: 'data', type: 'post_review' });
    expect(taskQuery({ q: ' timeout ', agentType: 'code_review' })).toEqual({ limit: 100, include: 'data', q: 'timeout', agent_type: 'code_review' });
  });

  it('ask the node for what the URL says', async () => {
    show('/agents/tasks?q=boom&type=count_text&agent_type=text_stats');
    await waitFor(() => expect(state.queries).toContainEqual({ limit: 100, include: 'data', q: 'boom', type: 'count_text', agent_type: 'text_stats' }));
    expect(screen.getByRole('searchbox', { name: 'Search tasks' })).toHaveValue('boom');
    expect(await screen.findByText('No task matches these filters')).toBeInTheDocument();
  });

  it('keep a search and the selects in the URL', async () => {
    show('/agents/tasks');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search tasks' }), 'timeout{Enter}');
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('?q=timeout'));
    await screen.findByRole('option', { name: 'post_review' });
    // The node's other types (a text_stats agent's count_text) are not this organization's: not offered.
    expect(screen.queryByRole('option', { name: 'count_text' })).not.toBeInTheDocument();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Task type' }), 'post_review');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Agent type' }), 'code_review');
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('?q=timeout&type=post_review&agent_type=code_review'));
    await waitFor(() => expect(state.queries).toContainEqual({ limit: 100, include: 'data', q: 'timeout', type: 'post_review', agent_type: 'code_review' }));
    await userEvent.click(screen.getAllByRole('button', { name: 'Clear filters' })[0]!);
    await waitFor(() => expect(screen.getByTestId('where')).toBeEmptyDOMElement());
  });
});
