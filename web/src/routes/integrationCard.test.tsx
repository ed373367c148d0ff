import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import type { IntegrationView } from './integrationHealth';
import { can, type Action } from '../lib/permissions';
import type { Role } from '../api/models';

const state = vi.hoisted(() => ({
  integrations: [] as unknown[],
  agents: [] as { id: string; name: string; type: string; status: string }[],
  requests: [] as string[],
  connected: null as unknown,
  tasks: [] as unknown[],
  role: 'owner' as Role,
}));

vi.mock('./agents/queries', () => ({
  useAgentTypes: () => ({ data: { items: [{ type: 'github_watcher', kind: 'watcher', capabilities: [], default_configuration: {} }] } }),
  useAgents: () => ({ data: { agents: { items: state.agents } } }),
}));
vi.mock('../api/hooks', () => ({
  useCan: (action: Action) => can(state.role, action),
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ role: state.role }),
}));
vi.mock('../api/rest', () => ({
  api: {
    GET: async (path: string) => {
      state.requests.push(`GET ${path}`);
      if (path === '/api/integrations') return { data: { items: state.integrations }, response: new Response(null, { status: 200 }) };
      if (path === '/api/agent-tasks') return { data: { items: state.tasks, next_cursor: null }, response: new Response(null, { status: 200 }) };
      return { data: state.tasks[0], response: new Response(null, { status: 200 }) };
    },
    POST: async (path: string) => {
      state.requests.push(`POST ${path}`);
      return { data: state.connected, response: new Response(null, { status: 201 }) };
    },
    DELETE: async () => ({ data: null, response: new Response(null, { status: 204 }) }),
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { Integrations } = await import('./Integrations');

function github(overrides: Partial<IntegrationView> = {}): IntegrationView {
  return {
    id: 'i1', service: 'github', status: 'active', metadata: {}, last_sync_at: '2026-01-01T10:00:00Z',
    created_at: '2026-01-01T09:00:00Z', updated_at: '2026-01-01T10:00:00Z', webhook_url: 'http://node/api/webhooks/github/receive?token=t', webhook_secret_set: true,
    last_sync: { at: '2026-01-01T10:00:00Z', ok: true, error: null },
    ...overrides,
  };
}

function show() {
  return render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <Integrations />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.integrations = [github()];
  state.agents = [];
  state.requests = [];
  state.connected = null;
  state.tasks = [];
  state.role = 'owner';
});

describe('the integration card', () => {
  it('shows a failed sync with its reason, and never a green active', async () => {
    state.integrations = [github({ status: 'error', last_sync: { at: '2026-01-01T11:00:00Z', ok: false, error: 'github refused the token (401 Bad credentials)' } })];
    show();
    const health = await screen.findByTestId('integration-health-github');
    expect(health).toHaveTextContent('error');
    expect(health).toHaveAttribute('data-tone', 'red');
    expect(screen.getByTestId('last-sync')).toHaveTextContent('failed');
    expect(screen.getByTestId('sync-problem')).toHaveTextContent('Github refused the token (401 Bad credentials). Reconnect with credentials GitHub accepts.');
    expect(screen.queryByText('active')).toBeNull();
  });

  it('shows a sync that went well as ok', async () => {
    show();
    expect(await screen.findByTestId('integration-health-github')).toHaveAttribute('data-tone', 'green');
    expect(screen.getByTestId('last-sync')).toHaveTextContent('ok');
    expect(screen.queryByTestId('sync-problem')).toBeNull();
  });

  it('says what a GitHub token needs, and why Connect waits for it', async () => {
    state.integrations = [];
    show();
    const card = (await screen.findByTestId('integration-github')).closest('section')!;
    await userEvent.click(within(card).getByRole('button', { name: 'Connect' }));
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByTestId('github-token-hint')).toHaveTextContent('Pull requests: Read and write, Contents: Read, Metadata: Read; a classic token the repo scope');
    expect(within(dialog).getByRole('button', { name: 'Connect' })).toHaveAccessibleDescription('Fill in the access token first.');
  });

  it('after reconnecting, does not ask for a watcher that runs, and follows the sync the node started', async () => {
    state.agents = [{ id: 'a1', name: 'github watcher', type: 'github_watcher', status: 'IDLE' }];
    state.connected = { ...github({ last_sync: null, updated_at: '2026-01-01T12:00:00Z' }), agents_started: [] };
    const sync = {
      id: 'sync-1', organization_id: 'o1', agent_id: 'a1', agent_type: 'github_watcher', task_type: 'sync_integration', status: 'in_progress', input_data: { service: 'github', integration_id: 'i1' },
      created_at: '2026-01-01T12:00:01Z', updated_at: '2026-01-01T12:00:01Z', waiting_reason: null, error_message: null,
    };
    state.tasks = [sync, { ...sync, id: 'other', input_data: { service: 'vercel' } }];
    show();
    const card = (await screen.findByTestId('integration-github')).closest('section')!;
    await userEvent.click(within(card).getByRole('button', { name: 'Reconnect' }));
    const dialog = screen.getByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Access token'), 'ghp_new');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Connect' }));
    const next = await within(dialog).findByTestId('watcher-next');
    expect(next).toHaveAttribute('data-state', 'running');
    expect(next).toHaveTextContent('its GitHub watcher agent github watcher, already running, turns the deliveries into tasks');
    expect(next.textContent).not.toMatch(/create|github_watcher/i);
    expect(within(dialog).queryByRole('button', { name: /Start a/ })).toBeNull();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    const queued = await within(card).findByTestId('queued-task');
    expect(queued).toHaveAttribute('data-task-id', 'sync-1');
    expect(queued).toHaveTextContent('Sync after reconnecting queued as');
  });

  it('after connecting with no watcher running, offers to start one', async () => {
    state.integrations = [];
    state.connected = { ...github({ last_sync: null }), agents_started: [{ id: 'c1', name: 'Code review', type: 'code_review' }] };
    show();
    const card = (await screen.findByTestId('integration-github')).closest('section')!;
    await userEvent.click(within(card).getByRole('button', { name: 'Connect' }));
    const dialog = screen.getByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Access token'), 'ghp_new');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(within(dialog).getByTestId('watcher-next')).toHaveAttribute('data-state', 'none'));
    expect(within(dialog).getByRole('button', { name: 'Start a GitHub watcher agent' })).toBeInTheDocument();
  });

  it('leaves connecting, reconnecting and disconnecting to an admin: a member syncs and is told whom to ask', async () => {
    state.role = 'member';
    state.integrations = [github()];
    show();
    const connected = (await screen.findByTestId('integration-github')).closest('section')!;
    expect(within(connected).getByTestId('ask-an-admin')).toHaveTextContent('Ask an admin to connect or change this service');
    expect(within(connected).queryByRole('button', { name: 'Reconnect' })).toBeNull();
    expect(within(connected).queryByRole('button', { name: 'Disconnect' })).toBeNull();
    await userEvent.click(within(connected).getByRole('button', { name: 'Sync now' }));
    expect(state.requests).toContain('POST /api/integrations/{service}/sync');
    const vercel = screen.getByTestId('integration-vercel').closest('section')!;
    expect(within(vercel).queryByRole('button', { name: 'Connect' })).toBeNull();
    expect(within(vercel).getByTestId('ask-an-admin')).toBeInTheDocument();
  });

  it('offers an admin every button', async () => {
    state.role = 'admin';
    show();
    const card = (await screen.findByTestId('integration-github')).closest('section')!;
    expect(within(card).getByRole('button', { name: 'Reconnect' })).toBeInTheDocument();
    expect(within(card).getByRole('button', { name: 'Disconnect' })).toBeInTheDocument();
    expect(within(card).queryByTestId('ask-an-admin')).toBeNull();
  });

  it('shows a viewer the Slack integration without its users, and no buttons', async () => {
    state.role = 'viewer';
    state.integrations = [github({ id: 'i2', service: 'slack', metadata: { team: 'Acme' }, webhook_url: null, webhook_secret_set: null })];
    show();
    const card = (await screen.findByTestId('integration-slack')).closest('section')!;
    expect(await within(card).findByTestId('integration-health-slack')).toHaveAttribute('data-tone', 'green');
    expect(within(card).queryAllByRole('button')).toHaveLength(0);
    expect(within(card).queryByTestId('ask-an-admin')).toBeNull();
  });
});
