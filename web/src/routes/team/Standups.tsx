// The standups the standup agent posted (GET /api/team/standups): the latest one in full,
// the older ones listed by day and opened one at a time. With none yet, how one comes
// (Slack connected, weekdays at nine in the organization's time zone) and, when the
// organization has a standup agent, a button that posts today's now.
import { useEffect, useId, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Bot, CalendarClock, ChevronDown, ChevronRight, Play } from 'lucide-react';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import type { StandupPullRequest, StandupRow, TaskRow } from '../../api/models';
import { Button, Card, EmptyState, ErrorNotice, LoadingBlock, Mono, Time } from '../../components/ui';
import { organizationTimeZone } from '../../lib/timeZones';
import { QueuedTask, useLiveTask } from '../agents/Waiting';
import { agentWorkLine, productionLine, standupCounts, standupDay, standupShortDay } from './standups';

/** The organization's time zone (`settings.time_zone`, an IANA name; UTC unless set). */
function useTimeZone(): string {
  const { organization } = useOrganization();
  return organizationTimeZone(organization);
}

function PullRequests({ title, items }: { title: string; items: StandupPullRequest[] }) {
  const heading = useId();
  return (
    <div role="group" aria-labelledby={heading} data-testid="standup-section">
      <h4 id={heading} className="text-[11px] font-medium uppercase tracking-wide text-muted">
        {title} ({items.length})
      </h4>
      {items.length === 0 ? (
        <p className="mt-1 text-[12px] text-muted">None.</p>
      ) : (
        <ul className="mt-1 space-y-1">
          {items.map((pr) => (
            <li key={`${pr.repository}#${pr.number}`} className="text-[13px]">
              <a className="hover:underline" href={`https://github.com/${pr.repository}/pull/${pr.number}`} target="_blank" rel="noreferrer">
                <Mono className="text-muted">{`${pr.repository}#${pr.number}`}</Mono> {pr.title}
              </a>{' '}
              <Time iso={pr.since} className="text-[12px] text-muted" />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** One standup in full: the model's summary, the pull requests, production, incidents, approvals and the agents' work. */
function StandupReport({ standup }: { standup: StandupRow }) {
  const production = productionLine(standup);
  return (
    <div className="space-y-3 text-[13px]">
      {standup.summary && (
        <div className="rounded-md border border-violet-200 bg-violet-50/60 p-2 dark:border-violet-900 dark:bg-violet-950/30" data-testid="standup-summary">
          <div className="mb-1 flex items-center gap-1.5 text-[11px] font-medium text-violet-900 dark:text-violet-200">
            <Bot className="size-3.5" aria-hidden />
            <span>Summary written by a language model</span>
          </div>
          <p className="whitespace-pre-wrap">{standup.summary}</p>
        </div>
      )}
      <div className="grid gap-3 md:grid-cols-3">
        <PullRequests title="Merged" items={standup.merged} />
        <PullRequests title="Opened" items={standup.opened} />
        <PullRequests title="Waiting for review" items={standup.waiting_for_review} />
      </div>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        <dt className="text-muted">Production</dt>
        <dd data-testid="standup-production">{production ?? 'Nothing deployed.'}</dd>
        {standup.incidents > 0 && (
          <>
            <dt className="text-muted">Incidents</dt>
            <dd data-testid="standup-incidents">
              <Link className="hover:underline" to="/development/incidents">
                {standup.incidents} incident{standup.incidents === 1 ? '' : 's'}
              </Link>
            </dd>
          </>
        )}
        {standup.approvals_waiting > 0 && (
          <>
            <dt className="text-muted">Approvals</dt>
            <dd data-testid="standup-approvals">
              <Link className="hover:underline" to="/agents/approvals">
                {standup.approvals_waiting} waiting for a person
              </Link>
            </dd>
          </>
        )}
        <dt className="text-muted">Agents' work</dt>
        <dd>
          {standup.agents.length === 0 ? (
            <span className="text-muted">None.</span>
          ) : (
            <ul className="space-y-0.5" data-testid="standup-agents">
              {standup.agents.map((work) => (
                <li key={work.agent_type}>{agentWorkLine(work)}</li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </div>
  );
}

/** When and where a standup was posted: its task, and the notification that took it to Slack. */
function Posted({ standup }: { standup: StandupRow }) {
  return (
    <span className="text-[12px] text-muted">
      {standup.posted_at ? (
        <>
          posted <Time iso={standup.posted_at} />
        </>
      ) : (
        'not posted'
      )}{' '}
      by{' '}
      <Link className="underline" to={`/agents/tasks/${standup.task_id}`}>
        its task
      </Link>
      {standup.notify_task_id && (
        <>
          {' '}
          ·{' '}
          <Link className="underline" to={`/agents/tasks/${standup.notify_task_id}`}>
            sent to Slack
          </Link>
        </>
      )}
    </span>
  );
}

function Latest({ standup }: { standup: StandupRow }) {
  return (
    <article data-testid="standup" data-day={standup.day} className="space-y-3">
      <header className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5">
        <h3 className="text-[15px] font-semibold">{standupDay(standup.day)}</h3>
        <span className="text-[12px] text-muted">{standup.time_zone}</span>
        <Posted standup={standup} />
      </header>
      <StandupReport standup={standup} />
    </article>
  );
}

function Older({ standup }: { standup: StandupRow }) {
  const [open, setOpen] = useState(false);
  const panel = useId();
  return (
    <li data-testid="standup" data-day={standup.day} className="border-t border-line py-2 first:border-t-0">
      <button type="button" aria-expanded={open} aria-controls={open ? panel : undefined} onClick={() => setOpen((value) => !value)} className="flex w-full items-baseline gap-2 rounded text-left text-[13px] hover:bg-panel-2/60 focus-visible:outline-2 focus-visible:outline-ring">
        {open ? <ChevronDown className="size-3.5 shrink-0 self-center" aria-hidden /> : <ChevronRight className="size-3.5 shrink-0 self-center" aria-hidden />}
        <span className="w-28 shrink-0 font-medium" title={`${standupDay(standup.day)} (${standup.time_zone})`}>
          {standupShortDay(standup.day)}
        </span>
        <span className="text-muted">{standupCounts(standup)}</span>
      </button>
      {open && (
        <div id={panel} className="mt-2 space-y-2 pl-5">
          <Posted standup={standup} />
          <StandupReport standup={standup} />
        </div>
      )}
    </li>
  );
}

/** The task "Post today's standup now" queued, followed until it finishes; then the list is read again. */
function PostingNow({ task }: { task: TaskRow }) {
  const row = useLiveTask(task);
  const invalidate = useInvalidateOrg();
  const done = row.status === 'completed';
  useEffect(() => {
    // Once, when the task completes (`invalidate` is a new function on every render).
    if (done) void invalidate('standups');
  }, [done]);
  return <QueuedTask task={task} what="Today's standup" />;
}

/** Posts today's standup now through the organization's standup agent (a `post_standup` task). */
function PostNow({ agentId }: { agentId: string }) {
  const invalidate = useInvalidateOrg();
  const post = useMutation({
    mutationFn: () => call(api.POST('/api/agent-tasks', { body: { agent_id: agentId, task_type: 'post_standup' } })),
    onSuccess: () => void invalidate('tasks'),
  });
  if (post.data) return <PostingNow task={post.data} />;
  return (
    <div className="flex flex-col items-center gap-2">
      <Button variant="primary" size="sm" icon={<Play className="size-3.5" aria-hidden />} loading={post.isPending} onClick={() => post.mutate()} data-testid="post-standup-now">
        Post today's standup now
      </Button>
      {post.error && <ErrorNotice error={post.error} />}
    </div>
  );
}

function NoStandups() {
  const timeZone = useTimeZone();
  const canRun = useCan('spawnAgents');
  const agents = useQuery({
    queryKey: useOrgKey('agents', 'standup'),
    queryFn: () => call(api.GET('/api/agents', { params: { query: { type: 'standup', limit: 20 } } })),
  });
  const standupAgents = (agents.data?.items ?? []).filter((agent) => agent.agent_type === 'standup');
  const agent = standupAgents.find((candidate) => candidate.status !== 'disabled') ?? standupAgents[0];
  return (
    <div data-testid="standups-empty">
      <EmptyState icon={<CalendarClock className="size-5" aria-hidden />} title="No standup yet" action={canRun && agent ? <PostNow agentId={agent.id} /> : undefined}>
        {agent ? (
          <>
            The standup agent <strong>{agent.name}</strong> posts one to Slack on weekdays at 09:00 in the organization's time zone (<Mono>{timeZone}</Mono>): the last working day's pull requests, deployments, incidents, approvals and agents' work. It shows here too.
          </>
        ) : (
          <>
            Once Slack is connected in <Link to="/integrations" className="underline">Integrations</Link>, the standup agent posts one on weekdays at 09:00 in the organization's time zone (<Mono>{timeZone}</Mono>): the last working day's pull requests, deployments, incidents, approvals and agents' work, to Slack and here.
          </>
        )}
      </EmptyState>
      {agents.error && (
        <div className="mt-2">
          <ErrorNotice error={agents.error} />
        </div>
      )}
    </div>
  );
}

export function Standups() {
  const standups = useQuery({ queryKey: useOrgKey('standups'), queryFn: () => call(api.GET('/api/team/standups')) });
  const [latest, ...older] = standups.data?.items ?? [];
  return (
    <div data-testid="standups">
      <Card title="Standups">
        {standups.isLoading && <LoadingBlock rows={3} />}
        {standups.error && <ErrorNotice error={standups.error} what="Standups" />}
        {standups.data && !latest && <NoStandups />}
        {latest && <Latest standup={latest} />}
        {older.length > 0 && (
          <div className="mt-4 border-t border-line pt-3">
            <h3 className="text-[11px] font-medium uppercase tracking-wide text-muted">Earlier ({older.length})</h3>
            <ul className="mt-1">
              {older.map((standup) => (
                <Older key={standup.task_id} standup={standup} />
              ))}
            </ul>
          </div>
        )}
      </Card>
    </div>
  );
}
