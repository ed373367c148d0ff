// Command Center: what needs attention now, each tile linking to its area.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Activity, Bot, CheckCircle2, GitPullRequest, Hourglass, Inbox, PlugZap, Rocket, TriangleAlert } from 'lucide-react';
import type { ReactNode } from 'react';
import { gql } from '../api/graphql';
import { CommandCenterQuery } from '../api/documents';
import { api, call } from '../api/rest';
import { useCan, useOrganization, useOrgKey } from '../api/hooks';
import { useLive } from '../api/live';
import { Badge, buttonClass, Card, EmptyState, ErrorNotice, LoadingBlock, Mono, PageHeader, StatusBadge, Time, cx } from '../components/ui';
import { shortId } from '../lib/time';
import { HealthScore } from '../components/HealthScore';
import { WaitingNotice } from './agents/Waiting';
import { waitKindOf } from './agents/waiting';
import { ApprovalCard, RecentlyDecided } from './agents/Approvals';
import { useAgents, useTasks } from './agents/queries';
import { BandBadge } from './Delivery';
import { DORA_KEYS, doraKey, formatDoraValue } from './dora';

const AGENT_STATES = ['IDLE', 'WORKING', 'COMPLETE', 'ERROR', 'DISABLED'] as const;

function Tile({ title, to, icon, count, children, testId }: { title: string; to: string; icon: ReactNode; count?: number; children: ReactNode; testId?: string }) {
  return (
    <Card
      title={
        <Link to={to} className="flex items-center gap-2 text-[13px] font-semibold hover:underline">
          <span className="text-muted">{icon}</span>
          {title}
          {count !== undefined && <Badge>{count}</Badge>}
        </Link>
      }
      actions={
        <Link to={to} className="text-[12px] text-muted hover:text-fg">
          Open →
        </Link>
      }
      bodyClassName="p-0"
    >
      <div data-testid={testId}>{children}</div>
    </Card>
  );
}

function Rows({ children }: { children: ReactNode }) {
  return <ul className="divide-y divide-line">{children}</ul>;
}

function Row({ children, to }: { children: ReactNode; to: string }) {
  return (
    <li>
      <Link to={to} className="flex items-center gap-3 px-4 py-2 text-[13px] hover:bg-panel-2/60">
        {children}
      </Link>
    </li>
  );
}

function Empty({ children }: { children: ReactNode }) {
  return <p className="px-4 py-5 text-[13px] text-muted">{children}</p>;
}

/** The DORA keys of the last 30 days (the delivery report's default range), with their bands. */
function Dora() {
  const query = useQuery({
    // Not under `dashboard`, which every live update refreshes: the node computes the report when asked.
    queryKey: useOrgKey('delivery', 'last-30-days'),
    queryFn: () => call(api.GET('/api/analytics/delivery')),
    staleTime: 60_000,
  });
  const report = query.data;
  const any = report ? report.overall.deployments > 0 || report.overall.failures > 0 || report.overall.changes_deployed > 0 : false;
  return (
    <Card title="Delivery (DORA, last 30 days)" actions={<Link to="/intelligence" className="text-[12px] text-muted hover:text-fg">Intelligence →</Link>}>
      {query.isLoading ? (
        <LoadingBlock rows={1} />
      ) : query.error ? (
        <ErrorNotice error={query.error} what="Analytics" />
      ) : !report || !any ? (
        <EmptyState icon={<Activity className="size-5" aria-hidden />} title="No delivery metrics yet">
          DORA tiles fill in once there are production deployments and the pull requests they ship to measure. Connect GitHub and Vercel first.
        </EmptyState>
      ) : (
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 md:grid-cols-4">
          {DORA_KEYS.map((definition) => {
            const key = doraKey(report.overall, definition.key);
            return (
              <div key={definition.key}>
                <div className="text-[11px] font-medium tracking-wide text-muted uppercase">{definition.label}</div>
                <div className="mt-0.5 flex flex-wrap items-center gap-2">
                  <span className="text-2xl font-semibold tabular-nums">{key ? formatDoraValue(key.value, definition.unit) : '—'}</span>
                  <BandBadge band={key?.band ?? null} />
                </div>
              </div>
            );
          })}
        </div>
      )}
    </Card>
  );
}

type PendingTask = { id: string; taskType: string; agentType: string; waitingReason: string | null; createdAt: string };

/** Tasks the node keeps because no agent of their type can take them, by type, with the fix. */
function WaitingForAgents({ tasks }: { tasks: PendingTask[] }) {
  const groups = new Map<string, { agentType: string; reason: string; count: number } & ReturnType<typeof waitKindOf>>();
  for (const task of tasks) {
    if (!task.waitingReason) continue;
    const wait = waitKindOf(task.waitingReason);
    const key = `${wait.kind}:${task.agentType}`;
    const group = groups.get(key) ?? { agentType: task.agentType, reason: task.waitingReason, count: 0, ...wait };
    group.count += 1;
    if (wait.until && (!group.until || wait.until > group.until)) group.until = wait.until;
    groups.set(key, group);
  }
  if (groups.size === 0) return null;
  return (
    <Card
      title={
        <Link to="/agents/tasks?status=pending" className="flex items-center gap-2 text-[13px] font-semibold hover:underline">
          <Hourglass className="size-4 text-muted" aria-hidden />
          {[...groups.values()].every((group) => group.kind === 'later') ? 'Waiting for a budget or rate limit' : 'Waiting for an agent'}
          <Badge tone="amber">{[...groups.values()].reduce((sum, group) => sum + group.count, 0)}</Badge>
        </Link>
      }
    >
      <ul className="grid gap-2 lg:grid-cols-2" data-testid="tile-waiting">
        {[...groups.entries()].map(([key, group]) => (
          <li key={key}>
            <WaitingNotice agentType={group.agentType} reason={group.reason} count={group.count} kind={group.kind} until={group.until} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** The tasks waiting for a person, each with what it decides, and what was just decided and by whom. */
function WaitingForApproval() {
  const tasks = useTasks({ status: 'needs_approval' });
  const agents = useAgents();
  const names = new Map((agents.data?.agents.items ?? []).map((agent) => [agent.id, agent.name]));
  const items = tasks.data?.items ?? [];
  return (
    <>
      {tasks.isLoading && <div className="p-4"><LoadingBlock rows={2} /></div>}
      {tasks.error && <div className="p-4"><ErrorNotice error={tasks.error} /></div>}
      {tasks.data && items.length === 0 && <Empty>Nothing waits for a person. Rollbacks, reviews to post and publications land here.</Empty>}
      {items.length > 0 && (
        <ul className="divide-y divide-line">
          {items.slice(0, 5).map((task) => (
            <ApprovalCard key={task.id} task={task} agentName={task.agent_id ? names.get(task.agent_id) : undefined} compact />
          ))}
        </ul>
      )}
      {items.length > 5 && (
        <p className="border-t border-line px-4 py-2 text-[12px]">
          <Link to="/agents/approvals" className="text-muted hover:text-fg">
            {items.length - 5} more in the approval inbox →
          </Link>
        </p>
      )}
      <div className="border-t border-line empty:hidden">
        <RecentlyDecided limit={3} bare />
      </div>
    </>
  );
}

export function CommandCenter() {
  const { organizationId, organization } = useOrganization();
  const canConnect = useCan('manageIntegrations');
  const key = useOrgKey('dashboard', 'overview');
  useLive(['pullRequests', 'deployments']);
  const query = useQuery({ queryKey: key, queryFn: () => gql(CommandCenterQuery, { organizationId }), refetchInterval: 30_000 });
  const data = query.data;
  const agents = data?.agents.items ?? [];
  const byState = Object.fromEntries(AGENT_STATES.map((state) => [state, agents.filter((agent) => agent.status === state).length]));
  const fresh = data && agents.length === 0 && data.pullRequests.items.length === 0 && data.deployments.items.length === 0;

  return (
    <div data-testid="command-center">
      <PageHeader title="Command Center" description={`What needs attention in ${organization?.name ?? 'your organization'} right now.`} />
      {query.error && <ErrorNotice error={query.error} />}
      {query.isLoading && <LoadingBlock rows={6} />}
      {data && (
        <div className="space-y-4">
          {fresh && (
            <Card className="border-accent/40">
              <div className="flex flex-wrap items-center gap-4">
                <PlugZap className="size-6 text-accent" aria-hidden />
                <div className="min-w-60 flex-1">
                  <p className="font-semibold">Start here: connect GitHub, then start a watcher</p>
                  <p className="text-[13px] text-muted">
                    Pull requests and deployments arrive through integrations; agents act on them. Connect GitHub and paste its webhook URL, then create a <Mono>github_watcher</Mono> and a <Mono>code_review</Mono> agent.
                  </p>
                </div>
                {canConnect && (
                  <Link to="/integrations" className={buttonClass('primary')}>
                    Connect a service
                  </Link>
                )}
              </div>
            </Card>
          )}
          <WaitingForAgents tasks={data.pending.items} />
          <Card title={<Link to="/agents" className="flex items-center gap-2 text-[13px] font-semibold hover:underline"><Bot className="size-4 text-muted" aria-hidden />Agents by state</Link>}>
            <div className="grid grid-cols-1 gap-2 sm:grid-cols-5 sm:gap-3" data-testid="agents-by-state">
              {AGENT_STATES.map((state) => (
                <Link key={state} to={`/agents/list?status=${state.toLowerCase()}`} className="flex items-baseline justify-between gap-2 rounded-md border border-line px-3 py-2 hover:bg-panel-2/60 sm:block">
                  <div className="text-[11px] font-medium tracking-wide text-muted uppercase">{state.toLowerCase()}</div>
                  <div className={cx('text-2xl font-semibold tabular-nums', state === 'ERROR' && (byState[state] ?? 0) > 0 && 'text-red-700 dark:text-red-400')}>{byState[state] ?? 0}</div>
                </Link>
              ))}
            </div>
          </Card>
          <div className="grid gap-4 lg:grid-cols-2">
            <Tile title="Waiting for approval" to="/agents/approvals" icon={<Inbox className="size-4" aria-hidden />} count={data.waiting.items.length} testId="tile-approvals">
              <WaitingForApproval />
            </Tile>
            <Tile title="Pull requests waiting for review" to="/development" icon={<GitPullRequest className="size-4" aria-hidden />} count={data.pullRequests.items.length} testId="tile-prs">
              {data.pullRequests.items.length === 0 ? (
                <Empty>No open pull requests. They appear when GitHub sends its webhooks.</Empty>
              ) : (
                <Rows>
                  {data.pullRequests.items.map((pr) => (
                    <Row key={pr.id} to={`/development?pr=${pr.id}`}>
                      <Mono className="text-muted">#{pr.number}</Mono>
                      <span className="flex-1 truncate font-medium">{pr.title}</span>
                      <span className="hidden text-[12px] text-muted md:inline">{pr.repository?.fullName}</span>
                      <StatusBadge status={pr.agentReviewStatus ?? pr.reviewStatus ?? 'pending'} />
                    </Row>
                  ))}
                </Rows>
              )}
            </Tile>
            <Tile title="Running tasks" to="/agents/tasks?status=in_progress" icon={<Activity className="size-4" aria-hidden />} count={data.running.items.length}>
              {data.running.items.length === 0 ? (
                <Empty>No task is running.</Empty>
              ) : (
                <Rows>
                  {data.running.items.map((task) => (
                    <Row key={task.id} to={`/agents/tasks/${task.id}`}>
                      <StatusBadge status="in_progress" />
                      <span className="flex-1 truncate">{task.taskType}</span>
                      <span className="text-muted">{task.agent?.name}</span>
                      <Time iso={task.startedAt} className="text-muted" />
                    </Row>
                  ))}
                </Rows>
              )}
            </Tile>
            <Tile title="Failed tasks" to="/agents/tasks?status=failed" icon={<TriangleAlert className="size-4" aria-hidden />} count={data.failed.items.length}>
              {data.failed.items.length === 0 ? (
                <Empty>
                  <CheckCircle2 className="mr-1 inline size-4 text-emerald-600" aria-hidden />
                  No failures.
                </Empty>
              ) : (
                <Rows>
                  {data.failed.items.map((task) => (
                    <Row key={task.id} to={`/agents/tasks/${task.id}`}>
                      <Mono className="text-muted">{shortId(task.id)}</Mono>
                      <span className="truncate">{task.taskType}</span>
                      <span className="flex-1 truncate text-[12px] text-red-700 dark:text-red-400">{task.errorMessage}</span>
                      <Time iso={task.completedAt} className="text-muted" />
                    </Row>
                  ))}
                </Rows>
              )}
            </Tile>
            <Tile title="Latest deployments" to="/development/deployments" icon={<Rocket className="size-4" aria-hidden />} count={data.deployments.items.length}>
              {data.deployments.items.length === 0 ? (
                <Empty>No deployments yet. Connect Vercel (or GitHub deployments) to see them with their health.</Empty>
              ) : (
                <Rows>
                  {data.deployments.items.map((deployment) => (
                    <Row key={deployment.id} to={`/development/deployments?id=${deployment.id}`}>
                      <StatusBadge status={deployment.state} />
                      <span className="flex-1 truncate font-medium">{deployment.projectName}</span>
                      <span className="text-[12px] text-muted">{deployment.environment?.toLowerCase() ?? ''}</span>
                      <HealthScore score={deployment.healthScore} />
                      <Time iso={deployment.createdAt} className="text-muted" />
                    </Row>
                  ))}
                </Rows>
              )}
            </Tile>
            <Dora />
          </div>
        </div>
      )}
    </div>
  );
}

