import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import type { TaskWhole } from '../../api/models';

function task(overrides: Partial<TaskWhole>): TaskWhole {
  return {
    id: 't1', organization_id: 'o1', agent_id: null, agent_type: 'text_stats', task_type: 'count_text', description: null, status: 'failed', priority: 5,
    input_data: { text: 'hello' }, output_data: null, error_message: null, waiting_reason: null, retry_count: 0, max_attempts: 3, attempt: 3, run_after: '2026-01-01T00:00:00Z',
    requires_human_approval: false, approved_by: null, approved_at: null, rejected_by: null, rejected_at: null, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

const state = vi.hoisted(() => ({
  role: 'member',
  task: null as unknown,
  posted: [] as string[],
  retryAnswer: { status: 200, body: null as unknown },
}));

vi.mock('../../api/hooks', () => ({
  useCan: (action: string) => state.role !== 'viewer' || action === 'viewDashboard',
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', organization: { id: 'o1', name: 'Acme' }, role: state.role, me: { id: 'u1' } }),
}));
vi.mock('../../api/graphql', () => ({ gql: async () => ({ agents: { items: [] }, events: { items: [] } }) }));

const restMock = vi.hoisted(() => async () => {
  const { call } = await vi.importActual<typeof import('../../api/call')>('../../api/call');
  const json = (status: number, body: unknown) => ({ data: status < 400 ? body : undefined, error: status >= 400 ? body : undefined, response: new Response(null, { status }) });
  return {
    api: {
      GET: async (path: string) => {
        if (path === '/api/agent-tasks/{id}') return json(200, state.task);
        if (path === '/api/organizations/{id}/members')
          return json(200, {
            items: [
              { user_id: 'u1', name: 'Olivia Owner', email: 'o@acme.test', role: 'owner', joined_at: '2026-01-01T00:00:00Z' },
              { user_id: 'u2', name: 'Ada Admin', email: 'a@acme.test', role: 'admin', joined_at: '2026-01-01T00:00:00Z' },
            ],
          });
        return json(200, { items: [] });
      },
      POST: async (path: string) => {
        state.posted.push(path);
        return json(state.retryAnswer.status, state.retryAnswer.body);
      },
    },
    call,
  };
});
vi.mock('../../api/rest', restMock);

const { TaskDetail, timelineOf, outcomeOf } = await import('./TaskDetail');

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/agents/tasks/t1']}>
        <Routes>
          <Route path="/agents/tasks/:id" element={<TaskDetail />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.role = 'member';
  state.posted = [];
  state.retryAnswer = { status: 200, body: task({ status: 'pending' }) };
});

describe('a failed task', () => {
  it('says why it failed once, plainly, with no generic error and no "No output yet"', async () => {
    state.task = task({ error_message: 'the text is empty', completed_at: '2026-01-01T00:01:00Z' });
    show();
    const outcome = await screen.findByTestId('task-outcome');
    expect(outcome).toHaveTextContent('This task failed');
    expect(screen.getAllByText('the text is empty')).toHaveLength(1);
    expect(screen.queryByText(/Something went wrong/)).not.toBeInTheDocument();
    expect(screen.queryByText(/No output yet/)).not.toBeInTheDocument();
    expect(within(screen.getByTestId('task-timeline')).getByText('Failed')).toBeInTheDocument();
  });

  it('is retried by a member', async () => {
    state.task = task({ error_message: 'boom' });
    show();
    await userEvent.click(await screen.findByRole('button', { name: 'Retry' }));
    expect(state.posted).toEqual(['/api/agent-tasks/{id}/retry']);
  });

  it("shows the node's reason when a retry is refused", async () => {
    state.task = task({ error_message: 'boom' });
    state.retryAnswer = { status: 409, body: { title: 'Conflict', status: 409, detail: 'only a failed or cancelled task can be retried' } };
    show();
    await userEvent.click(await screen.findByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Conflict: only a failed or cancelled task can be retried');
  });

  it('offers a viewer a disabled Retry that says why', async () => {
    state.role = 'viewer';
    state.task = task({ error_message: 'boom' });
    show();
    const button = await screen.findByRole('button', { name: 'Retry' });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription('Retrying needs the member role or above; you are a viewer.');
  });
});

describe('a superseded review', () => {
  it('says why it was cancelled and may be retried', async () => {
    state.task = task({ task_type: 'post_review', agent_type: 'code_review', status: 'cancelled', error_message: 'superseded: a newer commit abc1234 was pushed; its review replaces this one', input_data: null });
    show();
    expect(await screen.findByTestId('task-outcome')).toHaveTextContent('This task was cancelled');
    expect(screen.getByText(/superseded: a newer commit abc1234/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeEnabled();
  });
});

describe('the timeline', () => {
  it('names who created, approved and rejected the task', () => {
    const names = new Map([['u1', 'Olivia Owner'], ['u2', 'Ada Admin']]);
    const labels = timelineOf(task({ status: 'completed', requested_by: 'u1', requires_human_approval: true, approved_by: 'u2', approved_at: '2026-01-01T00:02:00Z', completed_at: '2026-01-01T00:03:00Z' }), names).map((moment) => moment.label);
    expect(labels).toEqual(['Created by Olivia Owner, waiting for approval', 'Approved by Ada Admin', 'Completed']);
    expect(timelineOf(task({ status: 'rejected', rejected_by: 'u9', rejected_at: '2026-01-01T00:02:00Z' }), names).map((moment) => moment.label)).toContain('Rejected by user u9');
  });

  it('says where the task was approved or rejected', () => {
    const names = new Map([['u2', 'Ada Admin']]);
    const approved = (via: TaskWhole['approved_via']) => timelineOf(task({ status: 'completed', approved_by: 'u2', approved_at: '2026-01-01T00:02:00Z', approved_via: via }), names).map((moment) => moment.label);
    expect(approved('console')).toContain('Approved by Ada Admin · in the console');
    expect(approved('api')).toContain('Approved by Ada Admin · through the API');
    expect(approved('graphql')).toContain('Approved by Ada Admin · through GraphQL');
    expect(approved('slack')).toContain('Approved by Ada Admin · in Slack');
    expect(approved(null)).toContain('Approved by Ada Admin');
    const rejected = timelineOf(task({ status: 'rejected', rejected_by: 'u2', rejected_at: '2026-01-01T00:02:00Z', approved_via: 'slack' }), names).map((moment) => moment.label);
    expect(rejected).toContain('Rejected by Ada Admin · in Slack');
  });

  it('shows where it was approved in the rendered timeline', async () => {
    state.task = task({ status: 'completed', output_data: { words: 1 }, approved_by: 'u2', approved_at: '2026-01-01T00:02:00Z', approved_via: 'console' });
    show();
    const timeline = await screen.findByTestId('task-timeline');
    expect(await within(timeline).findByText('Approved by Ada Admin · in the console')).toBeInTheDocument();
  });

  it('shows member names in the rendered timeline', async () => {
    state.task = task({ status: 'completed', output_data: { words: 1 }, requested_by: 'u1', approved_by: 'u2', approved_at: '2026-01-01T00:02:00Z' });
    show();
    const timeline = await screen.findByTestId('task-timeline');
    expect(await within(timeline).findByText('Approved by Ada Admin')).toBeInTheDocument();
    expect(within(timeline).getByText('Created by Olivia Owner')).toBeInTheDocument();
  });

  it('has no outcome for a task that did not fail', () => {
    expect(outcomeOf({ status: 'completed', error_message: null })).toBeNull();
    expect(outcomeOf({ status: 'failed', error_message: null })?.detail).toBe('the node recorded no reason');
  });
});
