import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';

vi.mock('./queries', () => ({
  useAgentTypes: () => ({
    data: {
      items: [
        { type: 'text_stats', kind: 'executor', capabilities: ['count_text'], default_configuration: {} },
        { type: 'code_review', kind: 'executor', capabilities: ['analyze_pr'], default_configuration: {} },
      ],
    },
  }),
  useAgents: () => ({ data: { agents: { items: [{ id: 'a1', name: 'text-stats', type: 'text_stats', status: 'IDLE' }] } } }),
  useLlmSettings: () => ({ data: { enabled: true, provider: 'openai', model: 'gpt-4o-mini', api_key_set: true, allowed_models: ['gpt-4o-mini', 'gpt-4o'] } }),
}));
vi.mock('../../api/hooks', () => ({
  useCan: () => true,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ role: 'owner' }),
}));
vi.mock('../../api/rest', () => ({
  api: { POST: async () => ({ data: {}, response: new Response(null, { status: 201 }) }) },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { SpawnDialog } = await import('./AgentsList');

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

  it('offers the models the node allows for an agent that asks one', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Type'), 'code_review');
    const model = screen.getByLabelText('Model');
    expect(within(model).getAllByRole('option').map((option) => option.textContent)).toEqual(['The node’s model (gpt-4o-mini)', 'gpt-4o-mini', 'gpt-4o']);
  });
});
