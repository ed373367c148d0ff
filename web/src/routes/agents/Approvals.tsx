// The approval inbox: tasks in needs_approval with what deciding them decides (the
// review to post, the rollback, the post to publish, or the input's keys), approved or
// rejected here; what was decided in this session stays listed with who decided it,
// updating live. The cards are shared with the Command Center. Approve is offered as the
// node allows it: a rollback needs an admin or owner, and a task one asked for needs
// another member unless the organization allows self-approval; Reject stays.
import { useState } from 'react';
import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Check, Inbox, X } from 'lucide-react';
import { create } from 'zustand';
import { useAgents, useTasks } from './queries';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import { allowsSelfApproval, approvalRefusal } from '../../lib/permissions';
import type { TaskRow } from '../../api/models';
import { Button, Card, EmptyState, ErrorNotice, Input, LoadingBlock, Mono, StatusBadge, Time, cx } from '../../components/ui';
import { describeError } from '../../api/problem';
import { shortId } from '../../lib/time';
import { WaitingNotice } from './Waiting';
import { waitingOf } from './waiting';
import { DecisionLine, DecisionPreview, titleOf } from './decision';
import { actorName, useMemberNames } from '../../api/members';
import type { EventRow } from '../../api/models';

/** Tasks decided in this tab, newest first (kept across areas: the Command Center decides too). */
export const useDecided = create<{ ids: string[]; add: (id: string) => void }>((set) => ({
  ids: [],
  add: (id) => set((state) => ({ ids: [id, ...state.ids.filter((known) => known !== id)].slice(0, 20) })),
}));

/** One task waiting for a person: what it decides, and Approve / Reject for those who may. */
export function ApprovalCard({ task, agentName, compact = false }: { task: TaskRow; agentName: string | undefined; compact?: boolean }) {
  const canApprove = useCan('approveTasks');
  const { organization, role, me } = useOrganization();
  const refusal = approvalRefusal(task, { role, userId: me?.id, allowSelfApproval: allowsSelfApproval(organization) });
  const invalidate = useInvalidateOrg();
  const remember = useDecided((state) => state.add);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [decided, setDecided] = useState<TaskRow | null>(null);
  const done = (answer: TaskRow) => {
    setDecided(answer);
    remember(task.id);
    void invalidate('tasks');
    void invalidate('dashboard');
  };
  const approve = useMutation({ mutationFn: () => call(api.POST('/api/agent-tasks/{id}/approve', { params: { path: { id: task.id } } })), onSuccess: done });
  const reject = useMutation({
    mutationFn: () => call(api.POST('/api/agent-tasks/{id}/reject', { params: { path: { id: task.id } }, body: reason ? { reason } : {} })),
    onSuccess: done,
  });
  const error = approve.error ?? reject.error;
  const waiting = waitingOf(task);
  return (
    <li className="px-4 py-3" data-testid="approval-item" data-task-id={task.id} data-task-type={task.task_type}>
      <div className={cx('flex items-start gap-3', compact ? 'flex-col' : 'flex-wrap')}>
        <div className={cx('min-w-0', compact ? 'w-full' : 'flex-1 basis-72')}>
          <div className="flex items-center gap-2">
            <Link to={`/agents/tasks/${task.id}`} className="font-medium hover:underline">
              {titleOf(task)}
            </Link>
            {titleOf(task) !== task.task_type && <Mono className="text-muted">{task.task_type}</Mono>}
          </div>
          <div className="mt-0.5 flex flex-wrap items-center gap-x-3 text-[12px] text-muted">
            <span>agent {agentName ?? (task.agent_id ? shortId(task.agent_id) : `none yet (${task.agent_type})`)}</span>
            <span>priority {task.priority}</span>
            <span>
              asked <Time iso={task.created_at} />
            </span>
            <Mono className="text-muted" title={task.id}>{shortId(task.id)}</Mono>
          </div>
          <div className={cx('mt-2', compact && 'max-h-80 overflow-auto')}>
            <DecisionPreview task={task} />
          </div>
          {decided && <DecisionLine task={decided} className="mt-1.5" />}
          {waiting && <div className="mt-1.5 max-w-xl"><WaitingNotice agentType={waiting.agentType} reason={waiting.reason} kind={waiting.kind} until={waiting.until} /></div>}
          {error && <p className="mt-1 text-[12px] text-red-700 dark:text-red-400">{describeError(error).detail || describeError(error).title}</p>}
        </div>
        {canApprove && !rejecting && !decided && (
          <div className="flex items-center gap-2">
            {refusal && (
              <span className="max-w-72 text-[12px] text-muted" aria-hidden data-testid="approve-refusal">
                {refusal}
              </span>
            )}
            <Button size="sm" variant="primary" icon={<Check className="size-3.5" aria-hidden />} loading={approve.isPending} disabled={Boolean(refusal)} disabledReason={refusal} onClick={() => approve.mutate()}>
              Approve
            </Button>
            <Button size="sm" icon={<X className="size-3.5" aria-hidden />} onClick={() => setRejecting(true)}>
              Reject
            </Button>
          </div>
        )}
        {canApprove && rejecting && !decided && (
          <div className="flex items-center gap-2">
            <Input aria-label="Reason for rejecting" placeholder="Reason (optional)" value={reason} onChange={(event) => setReason(event.target.value)} className="h-7 w-56" />
            <Button size="sm" variant="danger" loading={reject.isPending} onClick={() => reject.mutate()}>
              Reject
            </Button>
            <Button size="sm" onClick={() => setRejecting(false)}>
              Cancel
            </Button>
          </div>
        )}
      </div>
    </li>
  );
}

/** What was decided in this tab, each with who decided it and its live status. */
export function RecentlyDecided({ limit = 20, bare = false }: { limit?: number; bare?: boolean }) {
  const ids = useDecided((state) => state.ids).slice(0, limit);
  const baseKey = useOrgKey('tasks', 'one');
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: [...baseKey, id],
      queryFn: () => call(api.GET('/api/agent-tasks/{id}', { params: { path: { id } } })),
      refetchInterval: 5_000,
    })),
  });
  if (ids.length === 0) return null;
  const list = (
    <ul className="divide-y divide-line" data-testid="decided-list">
      {results.map((result, index) =>
        result.data ? (
          <li key={ids[index]} className="flex items-center gap-3 px-4 py-2 text-[13px]" data-testid="decided-item" data-status={result.data.status}>
            <StatusBadge status={result.data.status} />
            <Link to={`/agents/tasks/${result.data.id}`} className="flex-1 truncate hover:underline">
              {result.data.description ?? result.data.task_type}
            </Link>
            <DecisionLine task={result.data} />
          </li>
        ) : null,
      )}
    </ul>
  );
  if (bare) return list;
  return (
    <Card title="Decided in this session" bodyClassName="p-0">
      {list}
    </Card>
  );
}

/** The audit trail's approvals and rejections, newest first. */
export function decisionsOf(events: readonly EventRow[] | undefined): EventRow[] {
  return (events ?? []).filter((event) => event.event_type === 'task.approved' || event.event_type === 'task.rejected');
}

/** Decisions by anyone in the organization, from the audit trail (refreshed as tasks change). */
function TeamDecisions() {
  const names = useMemberNames();
  const events = useQuery({
    queryKey: useOrgKey('tasks', 'audit-decisions'),
    // The audit entry may land just after the task's update: look again a little later too.
    refetchInterval: 15_000,
    queryFn: () => call(api.GET('/api/analytics/events', { params: { query: { source: 'audit', limit: 100 } } })),
  });
  const decisions = decisionsOf(events.data?.items).slice(0, 10);
  if (decisions.length === 0) return null;
  return (
    <Card title="Recent decisions" bodyClassName="p-0" actions={<Link to="/intelligence?source=audit" className="text-[12px] text-muted hover:text-fg">Audit trail →</Link>}>
      <ul className="divide-y divide-line" data-testid="team-decisions">
        {decisions.map((event) => {
          const summary = typeof event.metadata.summary === 'string' ? event.metadata.summary : null;
          return (
            <li key={event.id} className="flex items-center gap-3 px-4 py-2 text-[13px]" data-testid="team-decision">
              <StatusBadge status={event.event_type === 'task.approved' ? 'approved' : 'rejected'} />
              {event.resource_id ? (
                <Link to={`/agents/tasks/${event.resource_id}`} className="flex-1 truncate hover:underline">
                  {summary ?? event.event_type}
                </Link>
              ) : (
                <span className="flex-1 truncate">{summary ?? event.event_type}</span>
              )}
              <span className="text-[12px] text-muted">
                {actorName(names, event.actor_id, event.metadata) ?? 'someone'}, <Time iso={event.created_at} />
              </span>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

export function Approvals() {
  const tasks = useTasks({ status: 'needs_approval' }, 10_000);
  const agents = useAgents();
  const names = new Map((agents.data?.agents.items ?? []).map((agent) => [agent.id, agent.name]));
  const items = tasks.data?.items ?? [];
  return (
    <div className="space-y-4">
      <Card title={`Waiting for approval${items.length ? ` (${items.length})` : ''}`} bodyClassName="p-0">
        {tasks.isLoading && <div className="p-4"><LoadingBlock /></div>}
        {tasks.error && <div className="p-4"><ErrorNotice error={tasks.error} /></div>}
        {tasks.data && items.length === 0 && (
          <div className="p-4">
            <EmptyState icon={<Inbox className="size-5" aria-hidden />} title="Inbox zero">
              Work that needs a person — rollbacks, publications, tasks created with “wait for approval” — waits here.
            </EmptyState>
          </div>
        )}
        {items.length > 0 && (
          <ul className="divide-y divide-line" data-testid="approval-list">
            {items.map((task) => (
              <ApprovalCard key={task.id} task={task} agentName={task.agent_id ? names.get(task.agent_id) : undefined} />
            ))}
          </ul>
        )}
      </Card>
      <RecentlyDecided />
      <TeamDecisions />
    </div>
  );
}
