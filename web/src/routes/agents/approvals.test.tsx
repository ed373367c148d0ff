import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import type { ReactNode } from 'react';
import type { Role, TaskWhole } from '../../api/models';
import { can, type Action } from '../../lib/permissions';

const state = vi.hoisted(() => ({ role: 'member' as Role, posted: [] as string[], settings: {} as Record<string, unknown>, refuse: null as unknown }));

vi.mock('../../api/hooks', () => ({
  useCan: (action: Action) => can(state.role, action),
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', organization: { id: 'o1', name: 'Acme', settings: state.settings }, role: state.role, me: { id: 'u1' } }),
}));
vi.mock('../../api/graphql', () => ({ gql: async () => ({ agents: { items: [] } }) }));

function task(overrides: Partial<TaskWhole>): TaskWhole {
  return {
    id: 't1', organization_id: 'o1', agent_id: null, agent_type: 'code_review', task_type: 'post_review', description: null, status: 'needs_approval', priority: 5,
    input_data: null, output_data: null, error_message: null, waiting_reason: null, retry_count: 0, max_attempts: 3, attempt: 0, run_after: '2026-01-01T00:00:00Z',
    requires_human_approval: true, approved_by: null, approved_at: null, rejected_by: null, rejected_at: null, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

const REVIEW = task({
  input_data: {
    repository: 'acme/api', number: 7, pull_request_id: 'pr1', head_sha: 'abcdef0123',
    body: '**CompanyOS code review** — risk: **high**\n\n- high `src/a.rs` (secret): a token',
    comments: [{ path: 'src/a.rs', line: 12, body: '**high** · secret · `aws-key`\n\nA key.' }],
  },
});

const ANSWERS: Record<string, unknown> = {
  '/api/pull-requests/{id}': { id: 'pr1', title: 'Add the billing export', repository_id: 'r1', number: 7 },
  '/api/deployments/{id}': { id: 'd1', project_name: 'web', url: 'web-abc.vercel.app', state: 'ready', environment: 'production', commit_sha: '1234567890', branch: 'main' },
  '/api/social/posts/{id}': { id: 'p1', platform: 'linkedin', content: 'We shipped the billing export today.', scheduled_for: null },
  '/api/organizations/{id}/members': { items: [{ user_id: 'u2', name: 'Ada Admin', email: 'ada@acme.test', role: 'admin', joined_at: '2026-01-01T00:00:00Z' }] },
  '/api/analytics/events': {
    items: [
      { id: 'e1', organization_id: 'o1', event_type: 'task.rejected', event_source: 'audit', actor_type: 'user', actor_id: 'u2', resource_type: 'agent_task', resource_id: 't9', metadata: { summary: 'rejected rollback of web' }, created_at: '2026-01-01T00:00:00Z' },
      { id: 'e2', organization_id: 'o1', event_type: 'agent.created', event_source: 'audit', actor_type: 'user', actor_id: 'u2', resource_type: 'agent', resource_id: 'a1', metadata: { summary: 'created an agent' }, created_at: '2026-01-01T00:00:00Z' },
    ],
  },
};

vi.mock('../../api/rest', async () => ({
  api: {
    GET: async (path: string) => ({ data: ANSWERS[path] ?? { items: [] }, response: new Response(null, { status: 200 }) }),
    POST: async (path: string) => {
      state.posted.push(path);
      if (state.refuse) return { error: state.refuse, response: new Response(null, { status: 403 }) };
      const decided = path.endsWith('/approve') ? { approved_by: 'u2', approved_at: new Date().toISOString(), status: 'pending' } : { rejected_by: 'u2', rejected_at: new Date().toISOString(), status: 'rejected' };
      return { data: { ...REVIEW, ...decided }, response: new Response(null, { status: 200 }) };
    },
  },
  call: (await vi.importActual<typeof import('../../api/call')>('../../api/call')).call,
}));

const { ApprovalCard, Approvals } = await import('./Approvals');
const { DecisionLine, decisionOf, postReviewInputOf, rollbackInputOf, githubPullUrl, titleOf, viaWords } = await import('./decision');

function wrap(children: ReactNode) {
  return render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <ul>{children}</ul>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.role = 'member';
  state.posted = [];
  state.settings = {};
  state.refuse = null;
});

describe('reading what a task decides', () => {
  it('reads post_review and rollback inputs, refusing what is not one', () => {
    expect(postReviewInputOf(REVIEW.input_data)?.comments).toHaveLength(1);
    expect(postReviewInputOf({ repository: 'a/b' })).toBeNull();
    expect(rollbackInputOf({ deployment_id: 'd1', project: 'web' })).toMatchObject({ deployment_id: 'd1', to: null });
    expect(rollbackInputOf({ unrelated: 1 })).toBeNull();
    expect(githubPullUrl('acme/api', 7)).toBe('https://github.com/acme/api/pull/7');
  });

  it('names a task by its description, else by what its type and input say', () => {
    expect(titleOf(REVIEW)).toBe('Post the review of acme/api#7 to GitHub');
    expect(titleOf(task({ task_type: 'rollback', input_data: { deployment_id: 'd1', project: 'web' } }))).toBe('Roll back web');
    expect(titleOf(task({ task_type: 'publish_post', input_data: {} }))).toBe('Publish a post');
    expect(titleOf(task({ task_type: 'count_text', description: 'count the words' }))).toBe('count the words');
    expect(titleOf(task({ task_type: 'count_text' }))).toBe('count_text');
  });

  it('says who decided, rejection winning over an earlier approval', () => {
    expect(decisionOf(task({}))).toBeNull();
    expect(decisionOf(task({ approved_by: 'u2', approved_at: '2026-01-02T00:00:00Z' }))).toEqual({ verb: 'approved', userId: 'u2', at: '2026-01-02T00:00:00Z' });
    expect(decisionOf(task({ approved_at: '2026-01-02T00:00:00Z', rejected_by: 'u3', rejected_at: '2026-01-03T00:00:00Z' }))?.verb).toBe('rejected');
  });
});

describe('an approval card', () => {
  it('shows a review to post: the pull request, the rendered review and its line comments', async () => {
    wrap(<ApprovalCard task={REVIEW} agentName="reviewer" />);
    expect(screen.getByRole('link', { name: 'Post the review of acme/api#7 to GitHub' })).toHaveAttribute('href', '/agents/tasks/t1');
    const link = await screen.findByRole('link', { name: /Add the billing export/ });
    expect(link).toHaveAttribute('href', 'https://github.com/acme/api/pull/7');
    const body = screen.getByRole('region', { name: "The review's text" });
    expect(within(body).getByText('CompanyOS code review').tagName).toBe('STRONG');
    expect(within(body).getByText('src/a.rs').tagName).toBe('CODE');
    const comments = screen.getByTestId('review-comments');
    expect(within(comments).getByText('src/a.rs:12')).toBeInTheDocument();
    expect(within(comments).getByText('A key.')).toBeInTheDocument();
    expect(screen.queryByText(/"repository"/)).not.toBeInTheDocument();
  });

  it('shows a rollback: the deployment and what it goes back to', async () => {
    wrap(<ApprovalCard task={task({ task_type: 'rollback', agent_type: 'deployment', input_data: { deployment_id: 'd1', project: 'web', url: 'web-abc.vercel.app' } })} agentName={undefined} />);
    const preview = screen.getByTestId('rollback-preview');
    expect(await within(preview).findByText('1234567')).toBeInTheDocument();
    expect(preview).toHaveTextContent('Roll back web (production)');
    expect(preview).toHaveTextContent('the previous ready production deployment');
  });

  it("shows a post to publish with the post's text", async () => {
    wrap(<ApprovalCard task={task({ task_type: 'publish_post', agent_type: 'content', input_data: { social_post_id: 'p1', social_account_id: 'a1' } })} agentName={undefined} />);
    expect(await screen.findByText('We shipped the billing export today.')).toBeInTheDocument();
    expect(screen.getByTestId('publish-preview')).toHaveTextContent('Publish this post on linkedin');
  });

  it("lists any other task's input by its keys", () => {
    wrap(<ApprovalCard task={task({ task_type: 'count_words', agent_type: 'text_stats', input_data: { text: 'hello world', limit: 3 } })} agentName={undefined} />);
    const list = screen.getByTestId('input-list');
    expect(within(list).getByText('text')).toBeInTheDocument();
    expect(within(list).getByText('hello world')).toBeInTheDocument();
    expect(within(list).getByText('3')).toBeInTheDocument();
  });

  it('after approving, names the member who decided and when', async () => {
    wrap(<ApprovalCard task={REVIEW} agentName="reviewer" />);
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByTestId('decision')).toHaveTextContent(/Approved by Ada Admin, just now/);
    expect(state.posted).toEqual(['/api/agent-tasks/{id}/approve']);
    expect(screen.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
  });

  it('lets the one who asked for a task reject it but not approve it, saying why', async () => {
    wrap(<ApprovalCard task={task({ task_type: 'count_text', agent_type: 'text_stats', requested_by: 'u1', input_data: { text: 'hi' } })} agentName={undefined} />);
    const approve = screen.getByRole('button', { name: 'Approve' });
    const why = "You asked for this task: another member must approve it (an admin can allow self-approval for a team of one in the organization's settings).";
    expect(approve).toBeDisabled();
    expect(approve).toHaveAccessibleDescription(why);
    expect(screen.getByTestId('approve-refusal')).toHaveTextContent(why);
    await userEvent.click(screen.getByRole('button', { name: 'Reject' }));
    await userEvent.click(screen.getByRole('button', { name: 'Reject' }));
    expect(state.posted).toEqual(['/api/agent-tasks/{id}/reject']);
  });

  it('lets them approve it when the organization allows self-approval, and another member in any case', () => {
    state.settings = { allow_self_approval: true };
    wrap(<ApprovalCard task={task({ task_type: 'count_text', agent_type: 'text_stats', requested_by: 'u1' })} agentName={undefined} />);
    expect(screen.getByRole('button', { name: 'Approve' })).toBeEnabled();
    cleanup();
    state.settings = {};
    wrap(<ApprovalCard task={task({ task_type: 'count_text', agent_type: 'text_stats', requested_by: 'u2' })} agentName={undefined} />);
    expect(screen.getByRole('button', { name: 'Approve' })).toBeEnabled();
  });

  it('leaves approving a rollback to an admin or owner', () => {
    const rollback = task({ task_type: 'rollback', agent_type: 'deployment', input_data: { deployment_id: 'd1', project: 'web' } });
    wrap(<ApprovalCard task={rollback} agentName={undefined} />);
    expect(screen.getByRole('button', { name: 'Approve' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Approve' })).toHaveAccessibleDescription('Rollbacks need an admin or owner; you are a member.');
    expect(screen.getByRole('button', { name: 'Reject' })).toBeEnabled();
    cleanup();
    state.role = 'admin';
    wrap(<ApprovalCard task={rollback} agentName={undefined} />);
    expect(screen.getByRole('button', { name: 'Approve' })).toBeEnabled();
  });

  it("shows the node's reason when it refuses an approval", async () => {
    state.refuse = { title: 'Not allowed', status: 403, detail: 'you asked for this task: another member must approve it (an admin can allow self-approval for a team of one in the organization\'s settings)' };
    wrap(<ApprovalCard task={REVIEW} agentName="reviewer" />);
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByText(/^you asked for this task: another member must approve it/)).toBeInTheDocument();
  });

  it('says where a decision was made', async () => {
    const decided = task({ status: 'rejected', rejected_by: 'u2', rejected_at: new Date().toISOString(), approved_via: 'slack' });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <DecisionLine task={decided} />
      </QueryClientProvider>,
    );
    await vi.waitFor(() => expect(screen.getByTestId('decision')).toHaveTextContent(/Rejected by Ada Admin · in Slack, just now/));
    expect(viaWords('console')).toBe('in the console');
    expect(viaWords('api')).toBe('through the API');
    expect(viaWords('graphql')).toBe('through GraphQL');
    expect(viaWords(null)).toBeNull();
  });

  it('offers no decision to a viewer', () => {
    state.role = 'viewer';
    wrap(<ApprovalCard task={REVIEW} agentName="reviewer" />);
    expect(screen.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
  });
});

describe('the approval inbox', () => {
  it("lists the team's recent decisions from the audit trail, naming who decided", async () => {
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter>
          <Approvals />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const decisions = await screen.findAllByTestId('team-decision');
    expect(decisions).toHaveLength(1);
    expect(within(decisions[0]!).getByRole('link', { name: 'rejected rollback of web' })).toHaveAttribute('href', '/agents/tasks/t9');
    expect(await within(decisions[0]!).findByText(/Ada Admin/)).toBeInTheDocument();
  });
});
