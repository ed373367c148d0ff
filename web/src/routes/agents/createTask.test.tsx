import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';

const state = vi.hoisted(() => ({ bodies: [] as unknown[] }));

vi.mock('./queries', () => ({
  useAgents: () => ({ data: { agents: { items: [{ id: 'a1', name: 'deployer', type: 'deployment', capabilities: ['rollback', 'check_health'] }] } } }),
}));
vi.mock('../../api/hooks', () => ({
  useCan: () => true,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: 'member', me: { id: 'u1' } }),
}));
vi.mock('../../api/rest', () => ({
  api: {
    POST: async (_path: string, init: { body: unknown }) => {
      state.bodies.push(init.body);
      return { data: {}, response: new Response(null, { status: 201 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { CreateTaskDialog, alwaysWaitsForApproval } = await import('./TaskQueue');

function show() {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>
        <CreateTaskDialog open onClose={() => undefined} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.bodies = [];
});

describe('a task made by hand', () => {
  it('always waits for approval when it reviews, rolls back, deploys or publishes', () => {
    for (const type of ['post_review', 'rollback', 'deploy', 'publish_post', ' rollback ']) expect(alwaysWaitsForApproval(type)).toBe(true);
    for (const type of ['count_text', 'check_health', '']) expect(alwaysWaitsForApproval(type)).toBe(false);
  });

  it('shows the approval box ticked and fixed for those types, and asks for approval', async () => {
    show();
    const box = screen.getByLabelText('Wait for a person to approve it before it runs');
    expect(box).not.toBeChecked();
    expect(box).toBeEnabled();
    await userEvent.selectOptions(screen.getByLabelText('Agent'), 'a1');
    await userEvent.type(screen.getByLabelText('Task type'), 'rollback');
    expect(box).toBeChecked();
    expect(box).toBeDisabled();
    expect(box).toHaveAccessibleDescription("A rollback task always waits for a person's approval.");
    await userEvent.click(screen.getByRole('button', { name: 'Create task' }));
    await vi.waitFor(() => expect(state.bodies).toHaveLength(1));
    expect(state.bodies[0]).toMatchObject({ agent_id: 'a1', task_type: 'rollback', requires_approval: true });
  });

  it('leaves the choice to the person for other types', async () => {
    show();
    await userEvent.selectOptions(screen.getByLabelText('Agent'), 'a1');
    await userEvent.type(screen.getByLabelText('Task type'), 'check_health');
    const box = screen.getByLabelText('Wait for a person to approve it before it runs');
    expect(box).toBeEnabled();
    expect(box).not.toBeChecked();
    await userEvent.click(screen.getByRole('button', { name: 'Create task' }));
    await vi.waitFor(() => expect(state.bodies).toHaveLength(1));
    expect(state.bodies[0]).toMatchObject({ task_type: 'check_health', requires_approval: false });
  });
});
