import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import document from '../../openapi/openapi.json';
import { can, type Action } from '../lib/permissions';
import type { Role } from '../api/models';

const state = vi.hoisted(() => ({
  requested: [] as { path: string; query: unknown }[],
  posted: [] as { path: string; body: unknown }[],
  standups: [] as unknown[],
  agents: [] as unknown[],
  role: 'owner' as Role,
}));

const TASK = { id: 't1', agent_id: 'a1', agent_type: 'standup', task_type: 'post_standup', status: 'pending', priority: 5, attempts: 0, max_attempts: 3, created_at: '2026-03-09T09:00:00Z', updated_at: '2026-03-09T09:00:00Z' };

vi.mock('../api/hooks', () => ({
  useCan: (action: Action) => can(state.role, action),
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', organization: { id: 'o1', name: 'Acme', settings: { time_zone: 'America/New_York' } }, role: state.role, me: { id: 'u1' } }),
}));
vi.mock('../api/rest', () => ({
  api: {
    GET: async (path: string, init?: { params?: { query?: unknown } }) => {
      state.requested.push({ path, query: init?.params?.query });
      if (path === '/api/agent-tasks/{id}') return { data: TASK, response: new Response(null, { status: 200 }) };
      const items =
        path === '/api/organizations/{id}/members'
          ? [{ user_id: 'u1', name: 'Olivia Owner', email: 'owner@acme.test', role: 'owner', joined_at: '2026-01-01T00:00:00Z' }]
          : path === '/api/team/standups'
            ? state.standups
            : path === '/api/agents'
              ? state.agents
              : [];
      return { data: { items, next_cursor: null }, response: new Response(null, { status: 200 }) };
    },
    POST: async (path: string, init?: { body?: unknown }) => {
      state.posted.push({ path, body: init?.body });
      return { data: TASK, response: new Response(null, { status: 201 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { Team } = await import('./Team');

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <Team />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const PR = { repository: 'acme/api', title: '', since: '2026-03-06T15:00:00Z' };
const STANDUP = {
  task_id: 's1',
  day: '2026-03-06',
  time_zone: 'America/New_York',
  posted_at: '2026-03-09T14:00:00Z',
  merged: [{ ...PR, number: 12, title: 'Add billing export' }],
  opened: [{ ...PR, number: 14, title: 'Faster search' }, { ...PR, repository: 'acme/web', number: 3, title: 'Dark mode' }],
  waiting_for_review: [{ ...PR, number: 13, title: 'Retry webhooks' }],
  deployments_ready: 2,
  deployments_failed: 1,
  projects: ['web', 'api'],
  incidents: 1,
  approvals_waiting: 3,
  agents: [{ agent_type: 'code_review', completed: 4, failed: 1 }],
  summary: 'Billing export shipped; one web deployment failed.',
  notify_task_id: 'n1',
};
const OLDER = {
  ...STANDUP,
  task_id: 's0',
  day: '2026-03-05',
  posted_at: '2026-03-06T14:00:00Z',
  merged: [],
  opened: [{ ...PR, number: 11, title: 'Old change' }],
  waiting_for_review: [],
  deployments_ready: 0,
  deployments_failed: 0,
  projects: [],
  incidents: 0,
  approvals_waiting: 0,
  agents: [],
  summary: null,
  notify_task_id: null,
};

afterEach(cleanup);
beforeEach(() => {
  state.requested = [];
  state.posted = [];
  state.standups = [];
  state.agents = [];
  state.role = 'owner';
});

describe('the Team area', () => {
  it('asks the node only for routes its OpenAPI document describes, the standups among them', async () => {
    show();
    await screen.findByText('Olivia Owner');
    await waitFor(() => expect(state.requested.map((request) => request.path)).toContain('/api/organizations/{id}/invitations'));
    await screen.findByTestId('standups-empty');
    const described = Object.keys(document.paths);
    expect(state.requested.filter((request) => !described.includes(request.path))).toEqual([]);
    expect(state.requested.map((request) => request.path)).toContain('/api/team/standups');
  });
});

describe('the standups', () => {
  it('shows the latest standup in full: the summary, the pull requests by section, production, incidents, approvals and agents', async () => {
    state.standups = [STANDUP, OLDER];
    show();
    const card = await screen.findByTestId('standups');
    const [latest, older] = await within(card).findAllByTestId('standup');
    expect(latest).toHaveAttribute('data-day', '2026-03-06');
    expect(within(latest!).getByRole('heading', { name: 'Friday, March 6, 2026' })).toBeInTheDocument();
    expect(latest).toHaveTextContent('America/New_York');
    expect(within(latest!).getByTestId('standup-summary')).toHaveTextContent('Summary written by a language modelBilling export shipped; one web deployment failed.');
    const merged = within(latest!).getByRole('group', { name: /^Merged \(/ });
    expect(merged).toHaveTextContent('Merged (1)');
    expect(within(merged).getByRole('link', { name: 'acme/api#12 Add billing export' })).toHaveAttribute('href', 'https://github.com/acme/api/pull/12');
    const opened = within(latest!).getByRole('group', { name: /^Opened \(/ });
    expect(within(opened).getAllByRole('listitem').map((item) => item.querySelector('a')?.textContent)).toEqual(['acme/api#14 Faster search', 'acme/web#3 Dark mode']);
    expect(within(latest!).getByRole('group', { name: /^Waiting for review \(/ })).toHaveTextContent('acme/api#13 Retry webhooks');
    expect(within(latest!).getByTestId('standup-production')).toHaveTextContent('2 ready, 1 failed (web, api)');
    expect(within(latest!).getByTestId('standup-incidents')).toHaveTextContent('1 incident');
    expect(within(latest!).getByTestId('standup-approvals')).toHaveTextContent('3 waiting for a person');
    expect(within(latest!).getByTestId('standup-agents')).toHaveTextContent('Code review: 4 completed, 1 failed');
    expect(within(latest!).getByRole('link', { name: 'sent to Slack' })).toHaveAttribute('href', '/agents/tasks/n1');

    // An older standup is one line of counts until it is opened.
    const toggle = within(older!).getByRole('button');
    expect(toggle).toHaveTextContent('Thu, Mar 5');
    expect(toggle).toHaveTextContent('1 opened');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(within(older!).queryByRole('group', { name: /^Opened \(/ })).toBeNull();
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(within(older!).getByRole('group', { name: /^Opened \(/ })).toHaveTextContent('acme/api#11 Old change');
    expect(within(older!).getByTestId('standup-production')).toHaveTextContent('Nothing deployed.');
    expect(within(older!).queryByTestId('standup-incidents')).toBeNull();
    expect(within(older!).queryByTestId('standup-approvals')).toBeNull();
    expect(within(older!).queryByTestId('standup-summary')).toBeNull();
    expect(screen.queryByTestId('standups-empty')).toBeNull();
  });

  it('says, with none yet, that the standup agent posts weekdays at nine in the organization’s time zone once Slack is connected', async () => {
    show();
    const empty = await screen.findByTestId('standups-empty');
    expect(within(empty).getByText('No standup yet')).toBeInTheDocument();
    expect(empty).toHaveTextContent('Once Slack is connected in Integrations, the standup agent posts one on weekdays at 09:00 in the organization\'s time zone (America/New_York)');
    expect(within(empty).getByRole('link', { name: 'Integrations' })).toHaveAttribute('href', '/integrations');
    await waitFor(() => expect(state.requested.find((request) => request.path === '/api/agents')?.query).toEqual({ type: 'standup', limit: 20 }));
    expect(within(empty).queryByRole('button', { name: "Post today's standup now" })).toBeNull();
    expect(within(empty).queryByRole('alert')).toBeNull();
  });

  it("posts today's standup now through the organization's standup agent and follows the task", async () => {
    state.agents = [
      { id: 'a0', name: 'Old standup', agent_type: 'standup', status: 'disabled' },
      { id: 'a1', name: 'Standup', agent_type: 'standup', status: 'idle' },
    ];
    show();
    const empty = await screen.findByTestId('standups-empty');
    await userEvent.click(await within(empty).findByRole('button', { name: "Post today's standup now" }));
    expect(state.posted).toEqual([{ path: '/api/agent-tasks', body: { agent_id: 'a1', task_type: 'post_standup' } }]);
    const queued = await within(empty).findByTestId('queued-task');
    expect(queued).toHaveAttribute('data-task-id', 't1');
    expect(queued).toHaveTextContent("Today's standup queued as");
    expect(empty).toHaveTextContent('Slack');
  });

  it('offers no button to a role that may not create tasks', async () => {
    state.role = 'viewer';
    state.agents = [{ id: 'a1', name: 'Standup', agent_type: 'standup', status: 'idle' }];
    show();
    const empty = await screen.findByTestId('standups-empty');
    expect(await within(empty).findByText('Standup')).toBeInTheDocument();
    expect(empty).toHaveTextContent('The standup agent Standup posts one to Slack on weekdays at 09:00');
    expect(within(empty).queryByRole('button')).toBeNull();
  });
});
