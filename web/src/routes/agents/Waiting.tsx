// How the console shows a task that waits for an agent: its reason in plain words (never
// the node's API syntax), and for roles that may spawn agents a one-click "Start a <type>
// agent" (the new agent takes the task); other roles are told why they have no button.
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Gauge, Hourglass, Play, Plus } from 'lucide-react';
import { useAgents, useAgentTypes } from './queries';
import { agentTypeWords as agentTypeWordsOf, anAgent, laterReason, newAgentName, plainWaiting, waitingOf, type WaitKind } from './waiting';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import type { AgentTypeName, TaskRow } from '../../api/models';
import { Button, ErrorNotice, Mono, StatusBadge, Time, cx } from '../../components/ui';
import { absoluteTime } from '../../lib/time';
import { shortId } from '../../lib/time';

/** Creates an agent of `agentType` with its type's default configuration. */
export function CreateAgentButton({ agentType, size = 'sm', secondary = false }: { agentType: string; size?: 'sm' | 'md'; secondary?: boolean }) {
  const types = useAgentTypes();
  const agents = useAgents();
  const invalidate = useInvalidateOrg();
  const known = types.data?.items.find((candidate) => candidate.type === agentType);
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/agents', {
          body: {
            name: newAgentName(agentType, (agents.data?.agents.items ?? []).map((agent) => agent.name)),
            type: agentType as AgentTypeName,
            configuration: known?.default_configuration ?? {},
          },
        }),
      ),
    onSuccess: () => {
      for (const key of ['agents', 'tree', 'tasks', 'dashboard']) void invalidate(key);
    },
  });
  if (create.data) {
    return (
      <p className="text-[12px] text-emerald-800 dark:text-emerald-300" data-testid="created-waiting-agent">
        Created <strong>{create.data.name}</strong>: it takes the waiting tasks.
      </p>
    );
  }
  return (
    <div className="space-y-1">
      <Button
        size={size}
        variant={secondary ? 'secondary' : 'primary'}
        icon={<Plus className="size-3.5" aria-hidden />}
        loading={create.isPending}
        disabled={!types.data || !agents.data}
        disabledReason="Reading this node's agent types and the organization's agents…"
        onClick={() => create.mutate()}
        data-testid="create-waiting-agent"
      >
        Start {anAgent(agentType)}
      </Button>
      {create.error && <ErrorNotice error={create.error} />}
    </div>
  );
}

/** Enables a disabled agent (the first enabled agent of a type takes its waiting tasks). */
export function EnableAgentButton({ agent }: { agent: { id: string; name: string } }) {
  const invalidate = useInvalidateOrg();
  const enable = useMutation({
    mutationFn: () => call(api.POST('/api/agents/{id}/enable', { params: { path: { id: agent.id } } })),
    onSuccess: () => {
      for (const key of ['agents', 'tree', 'tasks', 'dashboard']) void invalidate(key);
    },
  });
  if (enable.isSuccess) {
    return (
      <p className="text-[12px] text-emerald-800 dark:text-emerald-300" data-testid="enabled-waiting-agent">
        Enabled <strong>{agent.name}</strong>: it takes the waiting tasks.
      </p>
    );
  }
  return (
    <div className="space-y-1">
      <Button size="sm" variant="primary" icon={<Play className="size-3.5" aria-hidden />} loading={enable.isPending} onClick={() => enable.mutate()} data-testid="enable-waiting-agent">
        Enable {agent.name}
      </Button>
      {enable.error && <ErrorNotice error={enable.error} />}
    </div>
  );
}

/**
 * A task (or tasks) past a language-model budget or a vendor's rate limit: the reason in
 * plain words and when it runs again. No agent to create or enable: the wait ends by itself.
 */
export function LaterNotice({ agentType, reason, until, count, compact = false }: { agentType: string; reason: string; until: string | null | undefined; count?: number; compact?: boolean }) {
  return (
    <div
      className={cx('rounded-md border border-sky-200 bg-sky-50 text-sky-950 dark:border-sky-900 dark:bg-sky-950/40 dark:text-sky-200', compact ? 'mt-1 max-w-80 px-2 py-1.5' : 'px-3 py-2')}
      data-testid="waiting-notice"
      data-agent-type={agentType}
      data-kind="later"
    >
      <div className="flex items-center gap-1.5 text-[12px] font-semibold">
        <Gauge className="size-3.5 shrink-0" aria-hidden />
        <span>
          {count !== undefined && count > 1 ? `${count} tasks wait` : 'Waits'} for a budget or rate limit
          {until && (
            <>
              {' '}· runs again <Time iso={until} />
            </>
          )}
        </span>
      </div>
      <p className="mt-0.5 text-[12px]" data-testid="waiting-reason" title={reason}>
        {laterReason(reason)}
        {until && <span className="text-[11px] opacity-80"> (at {absoluteTime(until)})</span>}. It is not counted as an attempt.
      </p>
    </div>
  );
}

/**
 * The reason a task (or a group of tasks) waits, and what to do: enable a disabled agent
 * of the type, or create one when the node runs that type (for roles that may); else the
 * node's own words say what is missing. A budget or rate-limit wait says when it ends.
 */
export function WaitingNotice({ agentType, reason, count, compact = false, kind = 'agent', until }: { agentType: string; reason: string; count?: number; compact?: boolean; kind?: WaitKind; until?: string | null }) {
  if (kind === 'later') return <LaterNotice agentType={agentType} reason={reason} until={until} compact={compact} {...(count !== undefined ? { count } : {})} />;
  return <AgentWaitingNotice agentType={agentType} reason={reason} compact={compact} kind={kind} {...(count !== undefined ? { count } : {})} />;
}

/** Why a role that may not start agents has no button (from the permission matrix). */
export function cannotSpawnReason(role: string | null | undefined): string {
  return role === 'viewer'
    ? 'Viewers cannot start agents: ask a member, an admin or an owner of the organization.'
    : 'Your role cannot start agents: ask a member, an admin or an owner of the organization.';
}

function AgentWaitingNotice({ agentType, reason, count, compact, kind }: { agentType: string; reason: string; count?: number; compact: boolean; kind: WaitKind }) {
  const canSpawn = useCan('spawnAgents');
  const { role } = useOrganization();
  const types = useAgentTypes();
  const agents = useAgents();
  const plain = plainWaiting(agentType, reason, kind);
  const runnable = types.data?.items.some((candidate) => candidate.type === agentType) ?? false;
  const disabled = (agents.data?.agents.items ?? []).filter((agent) => agent.type === agentType && agent.status === 'DISABLED').slice(0, 2);
  const many = count !== undefined && count > 1;
  return (
    <div
      className={cx('rounded-md border border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200', compact ? 'mt-1 max-w-80 px-2 py-1.5' : 'px-3 py-2')}
      data-testid="waiting-notice"
      data-agent-type={agentType}
      data-kind={kind}
    >
      <div className="flex items-center gap-1.5 text-[12px] font-semibold" data-testid="waiting-headline">
        <Hourglass className="size-3.5 shrink-0" aria-hidden />
        <span>
          {many ? `${count} tasks: ` : ''}
          {plain.headline}
        </span>
      </div>
      <p className="mt-0.5 text-[12px]" data-testid="waiting-reason">
        {plain.detail}
      </p>
      {canSpawn && runnable && (
        <div className="mt-1.5 flex flex-wrap items-start gap-2">
          {disabled.map((agent) => (
            <EnableAgentButton key={agent.id} agent={agent} />
          ))}
          {kind === 'agent' && <CreateAgentButton agentType={agentType} secondary={disabled.length > 0} />}
        </div>
      )}
      {canSpawn && types.data && !runnable && !plain.typeMissing && (
        <p className="mt-1 text-[12px]" data-testid="waiting-why-no-button">
          This node does not run {agentTypeWordsOf(agentType)} agents yet, so none can be started here.
        </p>
      )}
      {!canSpawn && (
        <p className="mt-1 text-[12px]" data-testid="waiting-why-no-button">
          {cannotSpawnReason(role)}
        </p>
      )}
    </div>
  );
}

/** A task's status, and (in one short line, the task queue's summary has the action) why it waits. */
export function TaskStatusCell({ task }: { task: TaskRow }) {
  const waiting = waitingOf(task);
  return (
    <div>
      <StatusBadge status={task.status} />
      {waiting && waiting.kind === 'later' ? (
        <p className="mt-0.5 flex max-w-72 items-start gap-1 text-[12px] text-sky-800 dark:text-sky-300" data-testid="waiting-reason" data-kind="later" title={waiting.reason}>
          <Gauge className="mt-0.5 size-3 shrink-0" aria-hidden />
          <span>
            {laterReason(waiting.reason)}
            {waiting.until && (
              <>
                ; runs again <Time iso={waiting.until} />
              </>
            )}
          </span>
        </p>
      ) : waiting ? (
        <p className="mt-0.5 flex max-w-72 items-start gap-1 text-[12px] text-amber-800 dark:text-amber-300" data-testid="waiting-reason">
          <Hourglass className="mt-0.5 size-3 shrink-0" aria-hidden />
          <span>{plainWaiting(waiting.agentType, waiting.reason, waiting.kind).headline}</span>
        </p>
      ) : null}
    </div>
  );
}

const FINISHED = ['completed', 'failed', 'rejected', 'cancelled'];

/** Whether a task has finished (whichever way). */
export function isFinished(task: Pick<TaskRow, 'status'>): boolean {
  return FINISHED.includes(task.status);
}

/** A task as the node has it now: refreshed by the live connection and every 5 s until it finishes. */
export function useLiveTask(task: TaskRow): TaskRow {
  const live = useQuery({
    queryKey: useOrgKey('tasks', 'one', task.id),
    initialData: task,
    refetchInterval: (query) => (query.state.data && isFinished(query.state.data) ? false : 5_000),
    queryFn: () => call(api.GET('/api/agent-tasks/{id}', { params: { path: { id: task.id } } })),
  });
  return live.data;
}

/**
 * The task an action (review, rollback, publish, generate, sync) queued, followed live:
 * its status, and the waiting notice while no agent has it.
 */
export function QueuedTask({ task, what }: { task: TaskRow; what: string }) {
  const row = useLiveTask(task);
  const waiting = waitingOf(row);
  return (
    <div className="space-y-1.5 text-[12px]" data-testid="queued-task" data-task-id={row.id} data-status={row.status}>
      <p className="flex flex-wrap items-center gap-1.5">
        <span>{what} queued as</span>
        <Link className="underline" to={`/agents/tasks/${row.id}`}>
          <Mono>{shortId(row.id)}</Mono>
        </Link>
        <StatusBadge status={row.status} />
        {row.status === 'needs_approval' && (
          <Link className="underline" to="/agents/approvals">
            approval inbox
          </Link>
        )}
      </p>
      {waiting && <WaitingNotice agentType={waiting.agentType} reason={waiting.reason} kind={waiting.kind} until={waiting.until} />}
      {row.status === 'failed' && row.error_message && (
        <p className="text-red-700 dark:text-red-400" data-testid="queued-task-error">
          {row.error_message}
        </p>
      )}
    </div>
  );
}
