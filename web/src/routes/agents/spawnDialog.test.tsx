import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import fixture from './agentTypes.fixture.json';
import { ApiProblem } from '../../api/problem';
import axe from 'axe-core';

// The node's answer to GET /api/agents/types, with each type's configuration schema.
const TYPES = fixture as { items: { type: string; default_configuration: Record<string, unknown>; configuration_schema: Record<string, unknown> }[] };
const typeOf = (name: string) => TYPES.items.find((item) => item.type === name)!;

const STATS = { totalTasksCompleted: 0, totalTasksFailed: 0, successRate: 100 };
const AGENTS = [
  { id: 'a1', name: 'text-stats', type: 'text_stats', status: 'IDLE', configuration: {}, stats: STATS, currentTask: null, lastActiveAt: null },
  // Saved before: a key the node no longer takes.
  { id: 'a2', name: 'deploys', type: 'deployment', status: 'IDLE', configuration: { ...typeOf('deployment').default_configuration, healthy_at: 90, probe_host: 'acme.test' }, stats: STATS, currentTask: null, lastActiveAt: null },
];

const patch = vi.fn<(path: string, init: { body: { name: string; configuration: Record<string, unknown> } }) => Promise<{ data?: unknown; error?: unknown }>>();
const post = vi.fn<(path: string, init: { body: { name: string; type: string; configuration: Record<string, unknown> } }) => Promise<{ data?: unknown; error?: unknown }>>();

vi.mock('./queries', () => ({
  useAgentTypes: () => ({ data: TYPES }),
  useAgents: () => ({ data: { agents: { items: AGENTS } } }),
}));
vi.mock('../../api/hooks', () => ({
  useCan: () => true,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ role: 'owner' }),
}));
vi.mock('../../api/rest', () => ({
  api: { POST: (path: string, init: never) => post(path, init), PATCH: (path: string, init: never) => patch(path, init) },
  call: async (request: Promise<{ data?: unknown; error?: unknown }>) => {
    const answer = await request;
    if (answer.error) throw answer.error;
    return answer.data;
  },
}));

const { AgentsList, SpawnDialog } = await import('./AgentsList');

beforeEach(() => {
  post.mockReset();
  post.mockResolvedValue({ data: {} });
  patch.mockReset();
  patch.mockResolvedValue({ data: {} });
});
afterEach(cleanup);

function show() {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>
        <SpawnDialog open onClose={() => undefined} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

// What jsdom cannot render (colours, icon fonts) is left to the browser run.
const AXE: axe.RunOptions = { rules: { 'color-contrast': { enabled: false }, 'label-content-name-mismatch': { enabled: false } }, resultTypes: ['violations'] };

/** The form's field for a key, by its label. */
const field = (label: string) => screen.findByLabelText(label, { exact: true });

describe('the create-agent dialog', () => {
  it('names the agent after the chosen type, following it until the name is edited', async () => {
    show();
    const name = screen.getByLabelText('Name');
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    expect(name).toHaveValue('code-review');
    // A name in use is not offered.
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'text_stats');
    expect(name).toHaveValue('text-stats-2');
    await userEvent.clear(name);
    await userEvent.type(name, 'my counter');
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    expect(name).toHaveValue('my counter');
  });

  it('says why it cannot create yet', async () => {
    show();
    const create = screen.getByRole('button', { name: 'Create and start' });
    expect(create).toBeDisabled();
    expect(create).toHaveAccessibleDescription('Choose a type first.');
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    expect(create).toBeEnabled();
    await userEvent.clear(screen.getByLabelText('Name'));
    expect(create).toHaveAccessibleDescription('Give the agent a name first.');
  });

  it('refuses a value the schema does not take next to its field, and sends nothing', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'deployment');
    const healthy = await field('Healthy at');
    const schema = typeOf('deployment').configuration_schema as { properties: { healthy_at: { maximum: number; description?: string } } };
    expect(healthy).toHaveAccessibleDescription(schema.properties.healthy_at.description ?? '');
    await userEvent.clear(healthy);
    await userEvent.type(healthy, String(schema.properties.healthy_at.maximum + 50));
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    expect(healthy).toHaveAttribute('aria-invalid', 'true');
    expect(healthy).toHaveAccessibleDescription(`must be at most ${schema.properties.healthy_at.maximum}`);
    expect(post).not.toHaveBeenCalled();
    // Fixed, its error goes as it is typed.
    await userEvent.clear(healthy);
    await userEvent.type(healthy, '80');
    expect(healthy).not.toHaveAttribute('aria-invalid');
  });

  it('sends the configuration with the types of the schema', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'deployment');
    const healthy = await field('Healthy at');
    await userEvent.clear(healthy);
    await userEvent.type(healthy, '80');
    // The paths are a list: one more is added and typed.
    const paths = screen.getByRole('group', { name: 'Paths' });
    await userEvent.click(within(paths).getByRole('button', { name: 'Add to Paths' }));
    const items = within(paths).getAllByRole('textbox');
    await userEvent.type(items[items.length - 1]!, '/api/health');
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    expect(post).toHaveBeenCalledTimes(1);
    const { name, type, configuration } = post.mock.calls[0]![1].body;
    const defaults = typeOf('deployment').default_configuration;
    expect({ name, type }).toEqual({ name: 'deployment', type: 'deployment' });
    expect(configuration.healthy_at).toBe(80);
    expect(configuration.paths).toEqual([...(defaults.paths as string[]), '/api/health']);
    for (const [key, value] of Object.entries(defaults)) if (key !== 'healthy_at' && key !== 'paths' && value !== null) expect(configuration[key]).toEqual(value);
    // Unset (null) values are left to the node.
    expect(Object.values(configuration)).not.toContain(null);
  });

  it('offers no way to enter a key the schema does not list', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'deployment');
    await field('Healthy at');
    const form = screen.getByTestId('agent-configuration');
    const listed = Object.keys((typeOf('deployment').configuration_schema as { properties: object }).properties);
    // Every control is one of the schema's keys (or an item or option of one).
    for (const control of within(form).queryAllByRole('textbox').concat(within(form).queryAllByRole('spinbutton'), within(form).queryAllByRole('combobox'))) {
      expect(listed.some((key) => control.id === `root_${key}` || control.id.startsWith(`root_${key}_`))).toBe(true);
    }
    // No control adds a key of one's own.
    expect(within(form).queryAllByRole('button').map((button) => button.getAttribute('aria-label') ?? button.textContent)).toEqual(expect.not.arrayContaining([expect.stringMatching(/^Add$/)]));
  });

  it('shows the node’s refusal (422) next to the field it names', async () => {
    post.mockResolvedValue({ error: new ApiProblem({ title: 'Invalid request field', status: 422, detail: 'configuration.healthy_at: 99 is not a score the node takes', field: 'configuration.healthy_at' }) });
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'deployment');
    const healthy = await field('Healthy at');
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    expect(post).toHaveBeenCalledTimes(1);
    expect(await screen.findByText('configuration.healthy_at: 99 is not a score the node takes')).toBeInTheDocument();
    expect(healthy).toHaveAttribute('aria-invalid', 'true');
    expect(healthy).toHaveAccessibleDescription('configuration.healthy_at: 99 is not a score the node takes');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the node’s refusal of a language model key next to that field', async () => {
    post.mockResolvedValue({ error: new ApiProblem({ title: 'Invalid request field', status: 422, detail: 'configuration.llm.model: gpt-4o is no longer allowed', field: 'configuration.llm.model' }) });
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    await userEvent.selectOptions(await field('LLM'), 'Set here');
    const model = await field('Model');
    await userEvent.selectOptions(model, modelsOf('code_review')[0]!);
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    expect(post.mock.calls[0]![1].body.configuration.llm).toEqual({ model: modelsOf('code_review')[0] });
    expect(await screen.findByText('configuration.llm.model: gpt-4o is no longer allowed')).toBeInTheDocument();
    expect(model).toHaveAttribute('aria-invalid', 'true');
  });

  it('offers the models the schema allows for an agent that asks one', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    const llm = await field('LLM');
    // Unset, the node's settings are the agent's.
    expect(llm).toHaveDisplayValue('Not set (the node’s default)');
    expect(screen.queryByLabelText('Model')).not.toBeInTheDocument();
    expect(within(llm).getAllByRole('option').map((option) => option.textContent)).toEqual(expect.arrayContaining(['Set here', 'Not set (the node’s default)']));
    await userEvent.selectOptions(llm, 'Set here');
    const model = await field('Model');
    expect(within(model).getAllByRole('option').map((option) => option.textContent)).toEqual(['Not set (the node’s default)', ...modelsOf('code_review')]);
  });

  it('refuses a language model budget the schema does not take, and sends what it takes', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    await userEvent.selectOptions(await field('LLM'), 'Set here');
    await userEvent.selectOptions(await field('Enabled'), 'No');
    await userEvent.type(await field('Requests per minute'), '5');
    const tokens = await field('Tokens per day');
    await userEvent.type(tokens, '0');
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    expect(tokens).toHaveAttribute('aria-invalid', 'true');
    expect(tokens).toHaveAccessibleDescription('must be at least 1');
    expect(post).not.toHaveBeenCalled();
    await userEvent.clear(tokens);
    await userEvent.type(tokens, '50000');
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    expect(post.mock.calls[0]![1].body.configuration.llm).toEqual({ enabled: false, tokens_per_day: 50000, requests_per_minute: 5 });
  });

  it('labels every field and ties each error to its field (axe)', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    await userEvent.selectOptions(await field('LLM'), 'Set here');
    await userEvent.type(await field('Tokens per day'), '0');
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    const results = await axe.run(screen.getByRole('dialog'), AXE);
    expect(results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'notification');
    const routes = await screen.findByRole('group', { name: 'Routes' });
    await userEvent.click(within(routes).getByRole('button', { name: 'Add to Routes' }));
    await userEvent.click(screen.getByRole('button', { name: 'Create and start' }));
    const again = await axe.run(screen.getByRole('dialog'), AXE);
    expect(again.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
  });
});

/** The models the type's schema allows an agent (`llm.model`'s enum). */
function modelsOf(type: string): string[] {
  const schema = typeOf(type).configuration_schema as { $defs?: Record<string, { properties?: { model?: { enum?: unknown[] } } }> };
  const model = Object.values(schema.$defs ?? {}).find((definition) => definition.properties?.model?.enum)?.properties?.model;
  return (model?.enum ?? []).filter((value): value is string => typeof value === 'string');
}

describe('the configure dialog', () => {
  it('edits the saved configuration by the type’s schema, leaving out a key the node no longer takes', async () => {
    render(
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter>
          <AgentsList />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Configure deploys' }));
    const healthy = await field('Healthy at');
    expect(healthy).toHaveValue(90);
    expect(screen.getByTestId('config-dropped')).toHaveTextContent('probe_host');
    await userEvent.clear(healthy);
    await userEvent.type(healthy, '-1');
    await userEvent.click(screen.getByRole('button', { name: 'Save and restart' }));
    expect(healthy).toHaveAttribute('aria-invalid', 'true');
    expect(patch).not.toHaveBeenCalled();
    await userEvent.clear(healthy);
    await userEvent.type(healthy, '75');
    await userEvent.click(screen.getByRole('button', { name: 'Save and restart' }));
    expect(patch).toHaveBeenCalledTimes(1);
    const { configuration } = patch.mock.calls[0]![1].body;
    expect(configuration.healthy_at).toBe(75);
    expect(configuration).not.toHaveProperty('probe_host');
  });
});
