// A task's timeline: its row's moments (who created, approved or rejected it), its
// events, the agent that ran it, what it decides, why it failed, its output; a failed or
// cancelled task can be retried.
import { useQuery, useMutation } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ArrowLeft, Ban, RotateCcw } from 'lucide-react';
import type { ReactNode } from 'react';
import { TaskOutput } from './TaskOutput';
import { WaitingNotice } from './Waiting';
import { waitingOf } from './waiting';
import { useAgents } from './queries';
import { api, call } from '../../api/rest';
import { gql } from '../../api/graphql';
import { EventsQuery } from '../../api/documents';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import { personName, useMemberNames } from '../../api/members';
import type { TaskRow, TaskWhole } from '../../api/models';
import { DecisionPreview, titleOf, viaWords } from './decision';
import { Button, Card, ErrorNotice, LoadingBlock, Mono, StatusBadge, Time } from '../../components/ui';
import { duration } from '../../lib/time';

interface Moment {
  at: string;
  label: ReactNode;
  tone?: 'red' | 'green';
}

const by = (names: Map<string, string>, userId: string | null | undefined) => {
  const name = personName(names, userId);
  return name ? ` by ${name}` : '';
};

/** The task's moments in order, naming the members who created, approved or rejected it, and where they decided. */
export function timelineOf(task: TaskWhole, names: Map<string, string> = new Map()): Moment[] {
  const waiting = waitingOf(task);
  const via = viaWords(task.approved_via);
  const where = via ? ` · ${via}` : '';
  const moments: Moment[] = [{ at: task.created_at, label: `Created${by(names, task.requested_by)}${task.requires_human_approval ? ', waiting for approval' : ''}${waiting ? (waiting.kind === 'later' ? ', waiting for a budget or rate limit' : `, waiting for a ${waiting.agentType} agent`) : ''}` }];
  if (task.approved_at) moments.push({ at: task.approved_at, label: `Approved${by(names, task.approved_by)}${where}`, tone: 'green' });
  if (task.rejected_at) moments.push({ at: task.rejected_at, label: `Rejected${by(names, task.rejected_by)}${where}`, tone: 'red' });
  if (task.started_at) moments.push({ at: task.started_at, label: `Started (attempt ${task.attempt} of ${task.max_attempts})` });
  if (task.retry_count > 0 && task.status === 'pending') moments.push({ at: task.run_after, label: `Retry ${task.retry_count} scheduled` });
  if (task.completed_at) moments.push({ at: task.completed_at, label: task.status === 'failed' ? 'Failed' : task.status === 'cancelled' ? 'Cancelled' : task.status === 'rejected' ? 'Closed, not run' : 'Completed', tone: task.status === 'completed' ? 'green' : 'red' });
  return moments.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** Why the task ended as it did, said once and plainly; nothing for a task that did not fail. */
export function outcomeOf(task: Pick<TaskRow, 'status' | 'error_message'>): { tone: 'red' | 'amber'; title: string; detail: string } | null {
  const message = task.error_message?.trim() ?? '';
  if (task.status === 'failed') return { tone: 'red', title: 'This task failed', detail: message || 'the node recorded no reason' };
  if (task.status === 'cancelled') return { tone: 'amber', title: 'This task was cancelled', detail: message };
  if (task.status === 'rejected') return { tone: 'amber', title: 'This task was rejected', detail: message };
  return null;
}

/** An event's own sentence (the audit trail's `metadata.summary`), when it has one. */
export function summaryOf(metadata: unknown): string | null {
  if (typeof metadata !== 'object' || metadata === null) return null;
  const summary = (metadata as { summary?: unknown }).summary;
  return typeof summary === 'string' && summary.trim() ? summary : null;
}

/** Retrying puts a failed or cancelled task back in the queue (member and above). */
export const RETRYABLE: readonly TaskRow['status'][] = ['failed', 'cancelled'];

function RetryButton({ task }: { task: TaskRow }) {
  const allowed = useCan('spawnAgents');
  const { role } = useOrganization();
  const invalidate = useInvalidateOrg();
  const retry = useMutation({
    mutationFn: () => call(api.POST('/api/agent-tasks/{id}/retry', { params: { path: { id: task.id } } })),
    onSuccess: () => {
      void invalidate('tasks');
      void invalidate('dashboard');
    },
  });
  const reason = allowed ? null : `Retrying needs the member role or above${role ? `; you are ${role === 'admin' || role === 'owner' ? 'an' : 'a'} ${role}` : ''}.`;
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex items-center gap-2">
        {reason && (
          <span className="text-[12px] text-muted" aria-hidden>
            {reason}
          </span>
        )}
        <Button size="sm" variant="primary" icon={<RotateCcw className="size-3.5" aria-hidden />} loading={retry.isPending} disabled={!allowed} disabledReason={reason} onClick={() => retry.mutate()}>
          Retry
        </Button>
      </div>
      {retry.error && (
        <div className="max-w-md text-left">
          <ErrorNotice error={retry.error} />
        </div>
      )}
    </div>
  );
}

export function TaskDetail() {
  const { id = '' } = useParams();
  const { organizationId } = useOrganization();
  const invalidate = useInvalidateOrg();
  const canCancel = useCan('spawnAgents');
  const task = useQuery({ queryKey: useOrgKey('tasks', 'one', id), refetchInterval: 5_000, queryFn: () => call(api.GET('/api/agent-tasks/{id}', { params: { path: { id } } })) });
  const agents = useAgents();
  const names = useMemberNames();
  const events = useQuery({
    queryKey: useOrgKey('events', 'recent'),
    queryFn: () => gql(EventsQuery, { organizationId, first: 200 }),
  });
  const cancel = useMutation({ mutationFn: () => call(api.POST('/api/agent-tasks/{id}/cancel', { params: { path: { id } } })), onSuccess: () => void invalidate('tasks') });
  const row: TaskWhole | undefined = task.data;
  const waiting = row ? waitingOf(row) : null;
  const outcome = row ? outcomeOf(row) : null;
  const agent = agents.data?.agents.items.find((candidate) => candidate.id === row?.agent_id);
  const related = (events.data?.events.items ?? []).filter((event) => event.resourceId === id || JSON.stringify(event.metadata).includes(id));
  return (
    <div className="space-y-4">
      <Link to="/agents/tasks" className="inline-flex items-center gap-1 text-[13px] text-muted hover:text-fg">
        <ArrowLeft className="size-3.5" aria-hidden /> Task queue
      </Link>
      {task.isLoading && <LoadingBlock />}
      {task.error && <ErrorNotice error={task.error} />}
      {row && (
        <>
          <Card
            title={
              <div className="flex items-center gap-3">
                <h2 className="text-[15px] font-semibold">{titleOf(row)}</h2>
                <StatusBadge status={row.status} />
              </div>
            }
            actions={
              RETRYABLE.includes(row.status) ? (
                <RetryButton task={row} />
              ) : (
                canCancel &&
                ['pending', 'needs_approval', 'in_progress'].includes(row.status) && (
                  <Button size="sm" icon={<Ban className="size-3.5" aria-hidden />} loading={cancel.isPending} onClick={() => cancel.mutate()}>
                    Cancel task
                  </Button>
                )
              )
            }
          >
            {cancel.error && <ErrorNotice error={cancel.error} />}
            {outcome && (
              <div
                data-testid="task-outcome"
                className={`mb-3 rounded-md border px-3 py-2 text-[13px] ${outcome.tone === 'red' ? 'border-red-200 bg-red-50 text-red-900 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200' : 'border-amber-200 bg-amber-50 text-amber-950 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200'}`}
              >
                <strong className="font-semibold">{outcome.title}</strong>
                {outcome.detail && <p className="mt-0.5 whitespace-pre-wrap">{outcome.detail}</p>}
              </div>
            )}
            {waiting && (
              <div className="mb-3">
                <WaitingNotice agentType={waiting.agentType} reason={waiting.reason} kind={waiting.kind} until={waiting.until} />
              </div>
            )}
            <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-[13px] md:grid-cols-4">
              <Item label="Task id"><Mono>{row.id}</Mono></Item>
              <Item label="Type"><Mono>{row.task_type}</Mono></Item>
              <Item label="Agent">
                {agent ? (
                  <Link className="hover:underline" to="/agents/list">
                    {agent.name} <span className="text-muted">({agent.type})</span>
                  </Link>
                ) : row.agent_id ? (
                  <Mono>{row.agent_id}</Mono>
                ) : (
                  <span className="text-muted">
                    none yet: a <Mono className="text-muted">{row.agent_type}</Mono> agent takes it
                  </span>
                )}
              </Item>
              <Item label="Priority">{row.priority}</Item>
              <Item label="Status"><StatusBadge status={row.status} /></Item>
              <Item label="Attempts">{row.attempt} of {row.max_attempts} ({row.retry_count} retries)</Item>
              <Item label="Lease">{row.lease_owner ? <span><Mono>{row.lease_owner}</Mono> until <Time iso={row.lease_expires_at} /></span> : '—'}</Item>
              <Item label="Duration">{duration(row.duration_seconds)}</Item>
            </dl>
          </Card>
          <div className="grid gap-4 lg:grid-cols-2">
            <Card title="Timeline">
              <ol className="relative space-y-3 border-l border-line pl-4" data-testid="task-timeline">
                {timelineOf(row, names).map((moment, index) => (
                  <li key={index} className="text-[13px]">
                    <span className={`absolute -left-[5px] mt-1.5 size-2.5 rounded-full ${moment.tone === 'red' ? 'bg-red-600' : moment.tone === 'green' ? 'bg-emerald-600' : 'bg-zinc-400'}`} aria-hidden />
                    <div className="font-medium">{moment.label}</div>
                    <Time iso={moment.at} className="text-[12px] text-muted" />
                  </li>
                ))}
                {related.map((event) => (
                  <li key={event.id} className="text-[13px]">
                    <span className="absolute -left-[5px] mt-1.5 size-2.5 rounded-full bg-sky-600" aria-hidden />
                    <div className="font-medium">{summaryOf(event.metadata) ?? <Mono>{event.eventType}</Mono>} <span className="text-muted">from {event.eventSource}</span></div>
                    <Time iso={event.createdAt} className="text-[12px] text-muted" />
                  </li>
                ))}
              </ol>
            </Card>
            <Card title={row.status === 'needs_approval' || row.approved_at || row.rejected_at ? 'What it decides, and its output' : 'Input and output'}>
              <div className="space-y-3">
                <div>
                  <h3 className="mb-1 text-[12px] font-medium text-muted">Input</h3>
                  <DecisionPreview task={row} />
                  {row.input_data && Object.keys(row.input_data).length > 0 && (
                    <details className="mt-2">
                      <summary className="cursor-pointer text-[12px] text-muted">The input as JSON</summary>
                      <pre tabIndex={0} aria-label="Input" className="mt-1 max-h-48 overflow-auto rounded-md border border-line bg-panel-2 p-3 font-mono text-[12px]">{JSON.stringify(row.input_data, null, 2)}</pre>
                    </details>
                  )}
                </div>
                <div>
                  <h3 className="mb-1 text-[12px] font-medium text-muted">Output</h3>
                  {row.output_data !== null && row.output_data !== undefined ? (
                    <TaskOutput output={row.output_data} />
                  ) : (
                    <p className="text-[13px] text-muted">{outcome ? 'None: the task did not complete.' : row.status === 'completed' ? 'None: the task completed without output.' : 'No output yet.'}</p>
                  )}
                </div>
              </div>
            </Card>
          </div>
        </>
      )}
    </div>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">{label}</dt>
      <dd className="mt-0.5 truncate">{children}</dd>
    </div>
  );
}
