import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { can, type Action } from '../../lib/permissions';
import type { Role } from '../../api/models';

interface Sent {
  method: string;
  path: string;
  body: unknown;
}

const state = vi.hoisted(() => ({
  role: 'admin' as Role,
  sent: [] as Sent[],
  schedules: [] as unknown[],
  failCreate: null as unknown,
  failOrganization: null as unknown,
  llm: null as unknown,
  settings: {} as Record<string, unknown>,
}));

const LLM = { enabled: true, provider: 'openai', model: 'gpt-4o-mini', base_url: null, api_key_set: true, tokens_per_day: 200000, requests_per_minute: null, max_tokens: 1024, allowed_models: ['gpt-4o-mini', 'gpt-4o'] };

const SCHEDULE = {
  id: 's1', organization_id: 'o1', agent_id: 'a1', name: 'Weekday counts', cron_expression: '0 9 * * 1-5', task_type: 'count_text', input_data: { text: 'hi' }, priority: 5, enabled: true,
  last_run_at: null, next_run_at: '2026-01-05T09:00:00Z', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

vi.mock('../../api/hooks', () => ({
  useCan: (action: Action) => can(state.role, action),
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({
    organizationId: 'o1',
    organization: { id: 'o1', name: 'Acme', slug: 'acme', role: state.role, settings: state.settings, created_at: '2026-01-01T00:00:00Z' },
    role: state.role,
    me: { id: 'u1' },
  }),
}));
vi.mock('../../api/graphql', () => ({
  gql: async () => ({
    agents: {
      items: [
        { id: 'a1', name: 'counter', type: 'text_stats', capabilities: ['count_text'] },
        { id: 'a2', name: 'reviewer', type: 'code_review', capabilities: ['analyze_pr', 'post_review'] },
      ],
    },
  }),
}));

const restMock = vi.hoisted(() => async () => {
  const { call } = await vi.importActual<typeof import('../../api/call')>('../../api/call');
  const answer = (status: number, body: unknown) => ({ data: status < 400 ? body : undefined, error: status >= 400 ? body : undefined, response: new Response(null, { status }) });
  const GETS: Record<string, () => unknown> = {
    '/api/settings/llm': () => state.llm,
    '/api/schedules': () => ({ items: state.schedules }),
    '/api/integrations': () => ({ items: [{ id: 'i1', service: 'github', status: 'active', metadata: {}, last_sync_at: '2026-01-01T00:00:00Z', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' }] }),
    '/api/organizations/{id}/members': () => ({ items: [{ user_id: 'u1', name: 'Olivia Owner', email: 'o@acme.test', role: 'owner', joined_at: '2026-01-01T00:00:00Z' }] }),
    '/api/organizations/{id}/invitations': () => ({ items: [] }),
  };
  const send = (method: string) => async (path: string, init?: { body?: unknown }) => {
    state.sent.push({ method, path, body: init?.body });
    if (method === 'POST' && path === '/api/schedules' && state.failCreate) return answer(422, state.failCreate);
    if (method === 'PATCH' && path === '/api/organizations/{id}' && state.failOrganization) return answer(422, state.failOrganization);
    if (method === 'DELETE') return answer(204, undefined);
    return answer(method === 'POST' ? 201 : 200, { ...SCHEDULE, ...(init?.body as object) });
  };
  return {
    api: { GET: async (path: string) => answer(200, GETS[path]?.() ?? { items: [] }), POST: send('POST'), PATCH: send('PATCH'), DELETE: send('DELETE') },
    call,
  };
});
vi.mock('../../api/rest', restMock);

const { SettingsArea } = await import('./SettingsArea');

function show(path: string) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/settings/*" element={<SettingsArea />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.role = 'admin';
  state.sent = [];
  state.schedules = [SCHEDULE];
  state.failCreate = null;
  state.failOrganization = null;
  state.llm = LLM;
  state.settings = { timezone: 'Europe/Paris' };
});

describe('Settings', () => {
  it('has a tab for each section', () => {
    show('/settings');
    const tabs = screen.getByRole('navigation', { name: 'Sections' });
    expect(within(tabs).getAllByRole('link').map((link) => link.textContent)).toEqual(['Organization', 'Members', 'Integrations', 'Language model', 'Schedules']);
  });

  it('lets an admin rename the organization', async () => {
    show('/settings');
    const name = screen.getByLabelText('Name');
    expect(screen.getByRole('button', { name: 'Save name' })).toBeDisabled();
    await userEvent.clear(name);
    await userEvent.type(name, 'Acme Labs');
    await userEvent.click(screen.getByRole('button', { name: 'Save name' }));
    await waitFor(() => expect(state.sent).toEqual([{ method: 'PATCH', path: '/api/organizations/{id}', body: { name: 'Acme Labs' } }]));
  });

  it('tells a member why they may not rename it', () => {
    state.role = 'member';
    show('/settings');
    expect(screen.getByLabelText('Name')).toHaveAttribute('readonly');
    expect(screen.getByRole('button', { name: 'Save name' })).toHaveAccessibleDescription('Renaming the organization needs the admin or owner role; you are a member.');
  });

  it('lets an admin let a person approve what they asked for, keeping the other settings', async () => {
    show('/settings');
    const box = screen.getByLabelText('Let a person approve tasks they asked for (for a team of one)');
    expect(box).not.toBeChecked();
    expect(box).toHaveAccessibleDescription('Off: another member must approve what someone asked for. Rollbacks always need an admin or owner.');
    await userEvent.click(box);
    await waitFor(() => expect(state.sent).toEqual([{ method: 'PATCH', path: '/api/organizations/{id}', body: { settings: { timezone: 'Europe/Paris', allow_self_approval: true } } }]));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
  });

  it('shows a member whether self-approval is on, without letting them change it', () => {
    state.role = 'member';
    state.settings = { allow_self_approval: true };
    show('/settings');
    const box = screen.getByLabelText('Let a person approve tasks they asked for (for a team of one)');
    expect(box).toBeChecked();
    expect(box).toBeDisabled();
    expect(screen.getByTestId('self-approval')).toHaveTextContent('Only an admin or owner changes this; you are a member.');
  });

  it("lets an admin set the organization's time zone, keeping the other settings", async () => {
    state.settings = { allow_self_approval: true, time_zone: 'Europe/Paris' };
    show('/settings');
    const zone = screen.getByLabelText('Time zone');
    expect(zone).toHaveValue('Europe/Paris');
    expect(screen.getByTestId('time-zone')).toHaveTextContent("Schedules (the standup at nine on weekdays, the daily reports) run on this time zone's clocks.");
    const offered = Array.from(document.querySelectorAll<HTMLOptionElement>(`datalist#${CSS.escape(zone.getAttribute('list') ?? '')} option`)).map((option) => option.value);
    expect(offered[0]).toBe('UTC');
    expect(offered).toContain('Europe/Berlin');
    expect(screen.getByRole('button', { name: 'Save time zone' })).toBeDisabled();
    await userEvent.clear(zone);
    await userEvent.type(zone, 'Europe/Berlin');
    await userEvent.click(screen.getByRole('button', { name: 'Save time zone' }));
    await waitFor(() => expect(state.sent).toEqual([{ method: 'PATCH', path: '/api/organizations/{id}', body: { settings: { allow_self_approval: true, time_zone: 'Europe/Berlin' } } }]));
    expect(await screen.findByText("Saved. Every schedule's next run follows the new clocks.")).toBeInTheDocument();
  });

  it('shows UTC when no time zone is set, and unsets one that is cleared', async () => {
    show('/settings');
    const zone = screen.getByLabelText('Time zone');
    expect(zone).toHaveValue('');
    expect(zone).toHaveAttribute('placeholder', 'UTC (not set)');
    await userEvent.type(zone, 'Asia/Tokyo');
    await userEvent.click(screen.getByRole('button', { name: 'Save time zone' }));
    await waitFor(() => expect(state.sent).toEqual([{ method: 'PATCH', path: '/api/organizations/{id}', body: { settings: { timezone: 'Europe/Paris', time_zone: 'Asia/Tokyo' } } }]));
  });

  it("puts the node's refusal of a time zone next to the field", async () => {
    state.failOrganization = { title: 'Invalid request field', status: 422, detail: 'settings.time_zone: "Mars/Olympus" is not an IANA time zone name', field: 'settings.time_zone' };
    show('/settings');
    const zone = screen.getByLabelText('Time zone');
    await userEvent.type(zone, 'Mars/Olympus');
    await userEvent.click(screen.getByRole('button', { name: 'Save time zone' }));
    expect(await screen.findByText('settings.time_zone: "Mars/Olympus" is not an IANA time zone name')).toBeInTheDocument();
    expect(zone).toHaveAttribute('aria-invalid', 'true');
    expect(zone).toHaveAccessibleDescription('settings.time_zone: "Mars/Olympus" is not an IANA time zone name');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('tells a member why they may not change the time zone', () => {
    state.role = 'member';
    state.settings = { time_zone: 'Europe/Berlin' };
    show('/settings');
    expect(screen.getByLabelText('Time zone')).toHaveAttribute('readonly');
    expect(screen.getByLabelText('Time zone')).toHaveValue('Europe/Berlin');
    expect(screen.getByRole('button', { name: 'Save time zone' })).toHaveAccessibleDescription('Changing the time zone needs the admin or owner role; you are a member.');
  });

  it('lists the members and invitations Team shows', async () => {
    show('/settings/members');
    expect(await screen.findByText('Olivia Owner')).toBeInTheDocument();
    expect(await screen.findByText('No pending invitations.')).toBeInTheDocument();
  });

  it('summarises the integrations with a way to manage them', async () => {
    show('/settings/integrations');
    const table = await screen.findByTestId('integrations-summary');
    expect(within(table).getAllByRole('row')).toHaveLength(7);
    expect(table.querySelector('[data-service=github]')).toHaveTextContent('active');
    expect(table.querySelector('[data-service=slack]')).toHaveTextContent('not connected');
    expect(screen.getByRole('link', { name: 'Manage in Integrations' })).toHaveAttribute('href', '/integrations');
  });

  it("shows the node's language model read-only and how an operator changes it", async () => {
    show('/settings/llm');
    const settings = await screen.findByTestId('llm-settings');
    expect(settings).toHaveTextContent('gpt-4o-mini');
    expect(settings).toHaveTextContent('set (never shown)');
    expect(settings).toHaveTextContent('200,000 tokens');
    expect(settings).toHaveTextContent('no limit');
    expect(screen.getByTestId('llm-how-to-change')).toHaveTextContent('COMPANYOS_LLM_*');
    const allowed = screen.getByTestId('llm-allowed-models');
    expect(within(allowed).getAllByRole('listitem').map((item) => item.textContent)).toEqual(["gpt-4o-mini (the node's own)", 'gpt-4o']);
    expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
  });

  it('says when agents have no other model to choose', async () => {
    state.llm = { ...LLM, allowed_models: ['gpt-4o-mini'] };
    show('/settings/llm');
    expect(await screen.findByTestId('llm-allowed-models')).toHaveTextContent('Only the node\'s own: agents have no other model to choose.');
  });

  it('says when the node has no language model', async () => {
    state.llm = { enabled: false, provider: null, model: null, base_url: null, api_key_set: false, tokens_per_day: null, requests_per_minute: null, max_tokens: null, allowed_models: [] };
    show('/settings/llm');
    expect(await screen.findByText('This node has no language model')).toBeInTheDocument();
    expect(screen.queryByTestId('llm-settings')).not.toBeInTheDocument();
    expect(screen.getByTestId('llm-allowed-models')).toHaveTextContent('None: the node has no model set.');
  });
});

describe('Schedules', () => {
  it('lists schedules with their cron in words', async () => {
    show('/settings/schedules');
    const row = await screen.findByTestId('schedule-row');
    expect(row).toHaveTextContent('Weekday counts');
    expect(row).toHaveTextContent('at 09:00 UTC Monday to Friday');
    expect(await within(row).findByText('counter')).toBeInTheDocument();
  });

  it("reads cron expressions on the organization's clocks and says where they change", async () => {
    state.settings = { time_zone: 'Europe/Berlin' };
    show('/settings/schedules');
    const row = await screen.findByTestId('schedule-row');
    expect(row).toHaveTextContent('at 09:00 Europe/Berlin time Monday to Friday');
    const note = screen.getByTestId('schedule-time-zone');
    expect(note).toHaveTextContent("Times are on the organization's clocks (Europe/Berlin); an admin or owner changes its time zone in the organization's settings.");
    expect(within(note).getByRole('link', { name: "organization's settings" })).toHaveAttribute('href', '/settings');
    await userEvent.click(screen.getByRole('button', { name: 'Create schedule' }));
    const dialog = await screen.findByRole('dialog');
    const cron = within(dialog).getByLabelText('When (cron: minute hour day month weekday, Europe/Berlin)');
    expect(within(dialog).getByTestId('cron-hint')).toHaveTextContent('Runs at 09:00 Europe/Berlin time Monday to Friday.');
    expect(within(dialog).getByTestId('cron-time-zone')).toHaveTextContent("an admin or owner changes its time zone in the organization's settings");
    await userEvent.clear(cron);
    await userEvent.type(cron, '30 2 * * *');
    expect(within(dialog).getByTestId('cron-hint')).toHaveTextContent('Runs every day at 02:30 Europe/Berlin time.');
  });

  it('names UTC when the organization has no time zone', async () => {
    state.schedules = [];
    show('/settings/schedules');
    expect(await screen.findByText('No schedules yet')).toBeInTheDocument();
    expect(screen.getByText(/on the organization's clocks/)).toHaveTextContent("on the organization's clocks (UTC, changed in the organization's settings)");
    await userEvent.click(screen.getByRole('button', { name: 'Create schedule' }));
    expect(within(await screen.findByRole('dialog')).getByLabelText('When (cron: minute hour day month weekday, UTC)')).toBeInTheDocument();
  });

  it('creates one: an agent, a task type it can run, a cron with a hint, and JSON input', async () => {
    show('/settings/schedules');
    await userEvent.click(screen.getByRole('button', { name: 'Create schedule' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Name'), 'Nightly review');
    await within(dialog).findByRole('option', { name: 'reviewer (code_review)' });
    await userEvent.selectOptions(within(dialog).getByLabelText('Agent'), 'a2');
    const types = within(dialog).getByLabelText('Task type');
    expect(within(types).getAllByRole('option').map((option) => option.textContent)).toEqual(['Choose a task type…', 'analyze_pr', 'post_review']);
    await userEvent.selectOptions(types, 'analyze_pr');
    const cron = within(dialog).getByLabelText(/When/);
    await userEvent.clear(cron);
    await userEvent.type(cron, '0 24 * * *');
    expect(within(dialog).getByText('the hour 24 is outside 0–23')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Create schedule' })).toBeDisabled();
    await userEvent.clear(cron);
    await userEvent.type(cron, '30 2 * * *');
    expect(within(dialog).getByTestId('cron-hint')).toHaveTextContent('Runs every day at 02:30 UTC.');
    await userEvent.type(within(dialog).getByLabelText(/Input/), '{{"repository": "acme/api", "number": 7}');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create schedule' }));
    await waitFor(() =>
      expect(state.sent).toContainEqual({
        method: 'POST',
        path: '/api/schedules',
        body: { name: 'Nightly review', agent_id: 'a2', task_type: 'analyze_pr', cron_expression: '30 2 * * *', priority: 5, input_data: { repository: 'acme/api', number: 7 } },
      }),
    );
  });

  it("puts the node's refusal of a cron expression next to the field", async () => {
    state.failCreate = { title: 'Invalid request field', status: 422, detail: 'cron_expression: 31 February never comes', field: 'cron_expression' };
    show('/settings/schedules');
    await userEvent.click(screen.getByRole('button', { name: 'Create schedule' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Name'), 'Never');
    await within(dialog).findByRole('option', { name: 'counter (text_stats)' });
    await userEvent.selectOptions(within(dialog).getByLabelText('Agent'), 'a1');
    expect(within(dialog).getByLabelText('Task type')).toHaveValue('count_text');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create schedule' }));
    expect(await within(dialog).findByText('cron_expression: 31 February never comes')).toBeInTheDocument();
  });

  it('disables one, and deletes one only after confirming', async () => {
    show('/settings/schedules');
    await userEvent.click(await screen.findByRole('button', { name: 'Disable Weekday counts' }));
    await waitFor(() => expect(state.sent).toContainEqual({ method: 'PATCH', path: '/api/schedules/{id}', body: { enabled: false } }));
    await userEvent.click(screen.getByRole('button', { name: 'Delete Weekday counts' }));
    expect(state.sent.some((sent) => sent.method === 'DELETE')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Delete “Weekday counts”' }));
    await waitFor(() => expect(state.sent).toContainEqual({ method: 'DELETE', path: '/api/schedules/{id}', body: undefined }));
  });

  it('tells a viewer why they may not change schedules', async () => {
    state.role = 'viewer';
    show('/settings/schedules');
    const create = screen.getByRole('button', { name: 'Create schedule' });
    expect(create).toBeDisabled();
    expect(create).toHaveAccessibleDescription('Schedules are managed by those who may manage agents (members, admins and owners); you are a viewer.');
    expect(await screen.findByRole('button', { name: 'Disable Weekday counts' })).toBeDisabled();
  });

  it('lets a member manage them, as the node does', async () => {
    state.role = 'member';
    show('/settings/schedules');
    expect(screen.getByRole('button', { name: 'Create schedule' })).toBeEnabled();
    expect(await screen.findByRole('button', { name: 'Disable Weekday counts' })).toBeEnabled();
  });
});
