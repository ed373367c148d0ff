import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import type { ReactNode } from 'react';
import { agentTypeWords, anAgent, groupWaiting, laterReason, newAgentName, plainWaiting, waitKindOf, waitingOf, withoutApiSyntax } from './waiting';
import type { TaskWhole } from '../../api/models';

const state = vi.hoisted(() => ({
  canSpawn: true,
  role: 'member' as string | null,
  types: ['github_watcher', 'text_stats'],
  posted: [] as unknown[],
  agents: [{ id: 'a1', name: 'github-watcher', type: 'github_watcher', status: 'IDLE' }],
}));

vi.mock('./queries', () => ({
  useAgentTypes: () => ({ data: { items: state.types.map((type) => ({ type, kind: 'watcher', capabilities: [], default_configuration: { agent_type: 'code_review' } })) } }),
  useAgents: () => ({ data: { agents: { items: state.agents } } }),
}));
vi.mock('../../api/hooks', () => ({
  useCan: () => state.canSpawn,
  useOrganization: () => ({ role: state.role }),
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
}));
vi.mock('../../api/rest', () => ({
  api: {
    POST: async (path: string, init: { body?: { name: string }; params?: { path: { id: string } } }) => {
      state.posted.push(init.body ?? { path, id: init.params?.path.id });
      return { data: { id: 'new', name: init.body?.name }, response: new Response(null, { status: 201 }) };
    },
    GET: async () => ({ data: null, response: new Response(null, { status: 200 }) }),
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { TaskStatusCell, WaitingNotice } = await import('./Waiting');

function task(overrides: Partial<TaskWhole> = {}): TaskWhole {
  return {
    id: 't1', organization_id: 'o1', agent_id: null, agent_type: 'github_watcher', task_type: 'sync_integration', description: null, status: 'pending', priority: 5,
    input_data: null, output_data: null, error_message: null, started_at: null, completed_at: null, duration_seconds: null, retry_count: 0,
    max_attempts: 3, attempt: 0, run_after: '2026-01-01T00:00:00Z', lease_owner: null, lease_expires_at: null, requires_human_approval: false,
    approved_by: null, approved_at: null, rejected_by: null, rejected_at: null, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
    waiting_reason: 'waiting for an enabled github_watcher agent: create one or enable a disabled one, and it runs', idempotency_key: null,
    ...overrides,
  };
}

function wrap(children: ReactNode) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>{children}</MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);

beforeEach(() => {
  state.canSpawn = true;
  state.role = 'member';
  state.types = ['github_watcher', 'text_stats'];
  state.posted = [];
  state.agents = [{ id: 'a1', name: 'github-watcher', type: 'github_watcher', status: 'IDLE' }];
});

describe('waiting tasks', () => {
  it('waits while no agent has the task, with the node’s reason', () => {
    expect(waitingOf(task())).toEqual({ agentType: 'github_watcher', reason: task().waiting_reason, kind: 'agent', until: null });
    expect(waitingOf(task({ waiting_reason: null }))).toEqual({ agentType: 'github_watcher', reason: 'waiting for an enabled github_watcher agent', kind: 'agent', until: null });
  });

  it('does not wait once an agent has it, or once it is finished', () => {
    expect(waitingOf(task({ agent_id: 'a1', waiting_reason: null }))).toBeNull();
    expect(waitingOf(task({ status: 'completed' }))).toBeNull();
    expect(waitingOf(task({ status: 'needs_approval' }))?.agentType).toBe('github_watcher');
  });

  it('groups waiting tasks by agent type, the longest queue first', () => {
    const groups = groupWaiting([task({ id: 'a', agent_type: 'code_review' }), task({ id: 'b' }), task({ id: 'c' }), task({ id: 'd', agent_id: 'x', waiting_reason: null })]);
    expect(groups.map((group) => [group.agentType, group.tasks.length])).toEqual([['github_watcher', 2], ['code_review', 1]]);
  });

  it('tells a budget or rate-limit wait from a wait for an agent, with when it ends', () => {
    const budget = "waiting: the agent's LLM budget of 1000 tokens per day is spent; it runs again at 2026-03-02 00:00:00 UTC";
    expect(waitKindOf(budget)).toEqual({ kind: 'later', until: '2026-03-02T00:00:00Z' });
    expect(waitKindOf('waiting: its agent reviewer is disabled; enable it (POST /api/agents/x/enable) and the task runs')).toEqual({ kind: 'disabled', until: null });
    expect(waitKindOf(task().waiting_reason)).toEqual({ kind: 'agent', until: null });
    expect(laterReason(budget)).toBe("The agent's LLM budget of 1000 tokens per day is spent");
    const groups = groupWaiting([task({ id: 'a', agent_id: 'x', agent_type: 'code_review', waiting_reason: budget }), task({ id: 'b', agent_type: 'code_review' })]);
    expect(groups.map((group) => [group.kind, group.agentType, group.until])).toEqual([['later', 'code_review', '2026-03-02T00:00:00Z'], ['agent', 'code_review', null]]);
  });

  it('names a new agent after its type, without taking a name in use', () => {
    expect(newAgentName('code_review', [])).toBe('code-review');
    expect(newAgentName('code_review', ['code-review', 'code-review-2'])).toBe('code-review-3');
  });
});

describe('the waiting notice', () => {
  it('shows a waiting task’s reason next to its status', () => {
    wrap(<TaskStatusCell task={task()} />);
    expect(screen.getByText('pending')).toBeInTheDocument();
    expect(screen.getByTestId('waiting-reason')).toHaveTextContent('Waiting for a GitHub watcher agent');
    expect(screen.getByTestId('waiting-reason').textContent).not.toMatch(/github_watcher|POST|\/api/);
  });

  it('shows the reason and creates an agent of the type in one click', async () => {
    const waiting = waitingOf(task())!;
    wrap(<WaitingNotice agentType={waiting.agentType} reason={waiting.reason} />);
    expect(screen.getByTestId('waiting-headline')).toHaveTextContent('Waiting for a GitHub watcher agent');
    expect(screen.getByTestId('waiting-reason')).toHaveTextContent('This organization has no GitHub watcher agent running.');
    await userEvent.click(screen.getByRole('button', { name: 'Start a GitHub watcher agent' }));
    await waitFor(() => expect(screen.getByTestId('created-waiting-agent')).toHaveTextContent('Created github-watcher-2'));
    expect(state.posted).toEqual([{ name: 'github-watcher-2', type: 'github_watcher', configuration: { agent_type: 'code_review' } }]);
  });

  it('offers to enable a disabled agent of the type, and still to create one', async () => {
    state.agents = [{ id: 'a1', name: 'github watcher', type: 'github_watcher', status: 'DISABLED' }];
    wrap(<WaitingNotice agentType="github_watcher" reason="waiting" />);
    expect(screen.getByRole('button', { name: 'Start a GitHub watcher agent' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Enable github watcher' }));
    await waitFor(() => expect(screen.getByTestId('enabled-waiting-agent')).toHaveTextContent('Enabled github watcher'));
    expect(state.posted).toEqual([{ path: '/api/agents/{id}/enable', id: 'a1' }]);
  });

  it('offers no button to a role that may not spawn agents, and says why', () => {
    state.canSpawn = false;
    state.role = 'viewer';
    wrap(<WaitingNotice agentType="security" reason={'waiting for an enabled security agent: create one (POST /api/agents {"type": "security"}) or enable a disabled one, and it runs'} />);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByTestId('waiting-headline')).toHaveTextContent('Waiting for a security agent');
    expect(screen.getByTestId('waiting-why-no-button')).toHaveTextContent('Viewers cannot start agents: ask a member, an admin or an owner');
    expect(screen.getByTestId('waiting-notice').textContent).not.toMatch(/POST|\/api|\{/);
  });

  it('shows a budget wait in plain words with when it runs again, and offers no agent', () => {
    const budget = "waiting: the agent's LLM budget of 60 requests per minute is spent; it runs again at 2026-03-02 00:01:00 UTC";
    wrap(<TaskStatusCell task={task({ agent_id: 'a1', waiting_reason: budget })} />);
    expect(screen.getByTestId('waiting-reason')).toHaveTextContent("The agent's LLM budget of 60 requests per minute is spent; runs again");
    cleanup();
    wrap(<WaitingNotice agentType="github_watcher" reason={budget} kind="later" until="2026-03-02T00:01:00Z" />);
    expect(screen.getByText(/Waits for a budget or rate limit/)).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('says so when the node has no agent type to create', () => {
    wrap(<WaitingNotice agentType="code_review" reason="waiting for a code_review agent: this node does not run that agent type yet" count={2} />);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByTestId('waiting-headline')).toHaveTextContent('2 tasks: Waiting for a code review agent');
    expect(screen.getByTestId('waiting-reason')).toHaveTextContent('This node does not run code review agents yet, so none can be started here.');
    expect(screen.queryByTestId('waiting-why-no-button')).toBeNull();
  });
});

describe('waiting reasons in plain words', () => {
  const OLD = 'waiting for an enabled security agent: create one (POST /api/agents {"type": "security"}) or enable a disabled one, and it runs';
  const NEW = 'waiting for a security agent: this organization has none running; start one or enable a disabled one, and the task runs';

  it('names agent types in words, with their article', () => {
    expect(agentTypeWords('github_watcher')).toBe('GitHub watcher');
    expect(agentTypeWords('code_review')).toBe('code review');
    expect(anAgent('security')).toBe('a security agent');
    expect(anAgent('incident_response')).toBe('an incident response agent');
  });

  it('reads the reasons of older and newer nodes alike, without their API syntax', () => {
    for (const reason of [OLD, NEW, null]) {
      const plain = plainWaiting('security', reason, 'agent');
      expect(plain.headline).toBe('Waiting for a security agent');
      expect(plain.detail).not.toMatch(/POST|\/api|\{|"/);
      expect(plain.typeMissing).toBe(false);
    }
  });

  it('says when the node does not run the type at all', () => {
    const plain = plainWaiting('security', 'waiting for a security agent: this node does not run that agent type yet');
    expect(plain.typeMissing).toBe(true);
    expect(plain.detail).toBe('This node does not run security agents yet, so none can be started here.');
  });

  it('names the disabled agent a task waits for, without its route', () => {
    const plain = plainWaiting('code_review', 'waiting: its agent reviewer is disabled; enable it (POST /api/agents/7f3c/enable) and the task runs');
    expect(plain).toMatchObject({ headline: 'Waiting for reviewer, which is disabled', detail: 'Its agent reviewer is disabled: enable it and the task runs.', agentName: 'reviewer' });
  });

  it('strips routes and bodies from any other reason', () => {
    expect(withoutApiSyntax('waiting: no key; set one (PATCH /api/agents/x {"llm": {}}) first')).toBe('No key; set one first');
    expect(withoutApiSyntax('call POST /api/agents {"type": "security"} to start one')).toBe('Call to start one');
    expect(plainWaiting('security', 'waiting: something else (POST /api/agents {"type": "security"})', 'agent').detail).toBe('Something else');
  });
});
