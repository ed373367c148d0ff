// The task queue: every task with priority, status, attempts, lease and output; searched
// and filtered by status, task type and agent type, the filters kept in the URL's query.
import { useEffect, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ListTodo, Plus, Search, X } from 'lucide-react';
import { useAgents, useAgentTypes, useTasks, type TaskFilter } from './queries';
import { outputSummary } from './TaskOutput';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg } from '../../api/hooks';
import { fieldErrors } from '../../api/problem';
import type { TaskRow, TaskStatusWire, TaskTypeName } from '../../api/models';
import { Button, Card, EmptyState, ErrorNotice, Field, Input, LoadingBlock, Modal, Mono, Select, Textarea, Time, tableClass, useFieldId } from '../../components/ui';
import { shortId } from '../../lib/time';
import { TaskStatusCell, WaitingNotice } from './Waiting';
import { groupWaiting } from './waiting';

const STATUSES: TaskStatusWire[] = ['pending', 'needs_approval', 'in_progress', 'completed', 'failed', 'rejected', 'cancelled'];

/** The task's input from the form: an object, nothing when left empty, or what is wrong with it. */
export function taskInput(text: string): Record<string, unknown> | undefined | string {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return 'must be valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a JSON object';
  return { ...value };
}

/** Task types the node always holds for a person's approval when someone creates one by hand. */
export const ALWAYS_APPROVED_TYPES: ReadonlySet<string> = new Set(['post_review', 'rollback', 'deploy', 'publish_post']);

/** Whether a hand-made task of this type waits for approval whatever the form says. */
export function alwaysWaitsForApproval(taskType: string): boolean {
  return ALWAYS_APPROVED_TYPES.has(taskType.trim());
}

export function CreateTaskDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const agents = useAgents();
  const invalidate = useInvalidateOrg();
  const [form, setForm] = useState({ agent_id: '', task_type: '', priority: '5', input: '{\n  \n}', requires_approval: false, description: '' });
  const [inputError, setInputError] = useState<string | null>(null);
  const ids = { agent: useFieldId('agent'), type: useFieldId('type'), priority: useFieldId('priority'), input: useFieldId('input'), description: useFieldId('description'), approval: useFieldId('approval') };
  const alwaysApproved = alwaysWaitsForApproval(form.task_type);
  const create = useMutation({
    mutationFn: () => {
      const input = taskInput(form.input);
      if (typeof input === 'string') {
        setInputError(input);
        throw new Error(`input ${input}`);
      }
      return call(
        api.POST('/api/agent-tasks', {
          body: {
            agent_id: form.agent_id,
            task_type: form.task_type as TaskTypeName,
            priority: Number(form.priority),
            ...(input ? { input } : {}),
            requires_approval: alwaysApproved || form.requires_approval,
            ...(form.description ? { description: form.description } : {}),
          },
        }),
      );
    },
    onSuccess: () => {
      void invalidate('tasks');
      onClose();
    },
  });
  const errors = fieldErrors(inputError ? null : create.error, ['agent_id', 'task_type', 'priority', 'input', 'description']);
  const chosen = agents.data?.agents.items.find((agent) => agent.id === form.agent_id);
  return (
    <Modal
      title="Create a task"
      open={open}
      onClose={onClose}
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" loading={create.isPending} disabled={!form.agent_id || !form.task_type} disabledReason={!form.agent_id ? 'Choose the agent first.' : 'Choose the task type first.'} onClick={() => { setInputError(null); create.mutate(); }}>
            Create task
          </Button>
        </>
      }
    >
      <div className="grid grid-cols-2 gap-3">
        {errors.form && <div className="col-span-2"><ErrorNotice error={create.error} /></div>}
        <Field label="Agent" htmlFor={ids.agent} error={errors.fields.agent_id}>
          <Select id={ids.agent} value={form.agent_id} onChange={(event) => setForm({ ...form, agent_id: event.target.value })}>
            <option value="">Choose an agent…</option>
            {(agents.data?.agents.items ?? []).map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name} ({agent.type})
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Task type" htmlFor={ids.type} error={errors.fields.task_type} hint={chosen?.capabilities.length ? `This agent can: ${chosen.capabilities.join(', ')}` : undefined}>
          <Input id={ids.type} list={`${ids.type}-list`} value={form.task_type} onChange={(event) => setForm({ ...form, task_type: event.target.value })} invalid={Boolean(errors.fields.task_type)} />
          <datalist id={`${ids.type}-list`}>{chosen?.capabilities.map((capability) => <option key={capability} value={capability} />)}</datalist>
        </Field>
        <Field label="Priority (1–10, higher first)" htmlFor={ids.priority} error={errors.fields.priority}>
          <Input id={ids.priority} type="number" min={1} max={10} value={form.priority} onChange={(event) => setForm({ ...form, priority: event.target.value })} invalid={Boolean(errors.fields.priority)} />
        </Field>
        <Field label="Description" htmlFor={ids.description} error={errors.fields.description}>
          <Input id={ids.description} value={form.description} onChange={(event) => setForm({ ...form, description: event.target.value })} />
        </Field>
        <div className="col-span-2">
          <Field label="Input (JSON)" htmlFor={ids.input} error={inputError ?? errors.fields.input}>
            <Textarea id={ids.input} rows={5} value={form.input} onChange={(event) => setForm({ ...form, input: event.target.value })} invalid={Boolean(inputError ?? errors.fields.input)} />
          </Field>
        </div>
        <div className="col-span-2 space-y-0.5">
          <label htmlFor={ids.approval} className="flex items-center gap-2 text-[13px]">
            <input
              id={ids.approval}
              type="checkbox"
              checked={alwaysApproved || form.requires_approval}
              disabled={alwaysApproved}
              onChange={(event) => setForm({ ...form, requires_approval: event.target.checked })}
              aria-describedby={alwaysApproved ? `${ids.approval}-hint` : undefined}
              className="size-4"
            />
            Wait for a person to approve it before it runs
          </label>
          {alwaysApproved && (
            <p id={`${ids.approval}-hint`} className="pl-6 text-[12px] text-muted">
              A <Mono>{form.task_type.trim()}</Mono> task always waits for a person's approval.
            </p>
          )}
        </div>
      </div>
    </Modal>
  );
}

/** Waiting tasks by the agent type they wait for, each group with its one-click fix. */
function WaitingSummary({ tasks }: { tasks: TaskRow[] }) {
  const groups = groupWaiting(tasks);
  if (groups.length === 0) return null;
  return (
    <Card title={`${groups.every((group) => group.kind === 'later') ? 'Waiting for a budget or rate limit' : groups.some((group) => group.kind === 'later') ? 'Waiting' : 'Waiting for an agent'} (${groups.reduce((sum, group) => sum + group.tasks.length, 0)})`} className="mb-4">
      <ul className="space-y-2" data-testid="waiting-groups">
        {groups.map((group) => (
          <li key={`${group.kind}:${group.agentType}`}>
            <WaitingNotice agentType={group.agentType} reason={group.reason} count={group.tasks.length} kind={group.kind} until={group.until} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** The filters in the URL's query (`status`, `q`, `type`, `agent_type`). */
export function filterOf(search: URLSearchParams): TaskFilter & { status: TaskStatusWire | '' } {
  const status = search.get('status') ?? '';
  return {
    status: (STATUSES as string[]).includes(status) ? (status as TaskStatusWire) : '',
    q: search.get('q') ?? '',
    type: search.get('type') ?? '',
    agentType: search.get('agent_type') ?? '',
  };
}

/** The search box: typing waits a moment before it changes the URL (and asks the node). */
function SearchBox({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = window.setTimeout(() => onChange(text), 300);
    return () => window.clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <div className="relative">
      <Search className="pointer-events-none absolute top-1.5 left-2 size-3.5 text-muted" aria-hidden />
      <Input
        type="search"
        aria-label="Search tasks"
        placeholder="Search type, description, error, id…"
        className="h-7 w-64 py-0 pl-7"
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') onChange(text);
        }}
      />
    </div>
  );
}

export function TaskQueue() {
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const filter = filterOf(search);
  const { status } = filter;
  const tasks = useTasks(filter);
  const agents = useAgents();
  const types = useAgentTypes();
  const canCreate = useCan('spawnAgents');
  const names = new Map((agents.data?.agents.items ?? []).map((agent) => [agent.id, agent.name]));
  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
  };
  const agentTypes = (types.data?.items ?? []).map((type) => type.type).sort();
  // What this organization's agents can run and the listed tasks' types (not every type the node knows).
  const taskTypes = [...new Set([...(agents.data?.agents.items ?? []).flatMap((agent) => agent.capabilities), ...(tasks.data?.items ?? []).map((task) => task.task_type), ...(filter.type ? [filter.type] : [])])].sort();
  const filtered = Boolean(filter.status || filter.q || filter.type || filter.agentType);
  const clearFilters = () => {
    const next = new URLSearchParams(search);
    for (const key of ['status', 'q', 'type', 'agent_type']) next.delete(key);
    setSearch(next, { replace: true });
  };
  const items = tasks.data?.items ?? [];
  return (
    <>
    <WaitingSummary tasks={items} />
    <Card
      title={<h2 className="text-[13px] font-semibold">Task queue</h2>}
      actions={
        canCreate && (
          <Button size="sm" variant="primary" icon={<Plus className="size-3.5" aria-hidden />} onClick={() => setParam('new', '1')}>
            Create task
          </Button>
        )
      }
      bodyClassName="p-0"
    >
      <div className="flex flex-wrap items-center gap-2 border-b border-line px-4 py-2" role="search" aria-label="Task filters" data-testid="task-filters">
        <SearchBox value={filter.q ?? ''} onChange={(value) => setParam('q', value.trim() || null)} />
        <Select aria-label="Status" className="h-7 w-40 py-0" value={status} onChange={(event) => setParam('status', event.target.value || null)}>
          <option value="">Any status</option>
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {value.replace(/_/g, ' ')}
            </option>
          ))}
        </Select>
        <Select aria-label="Task type" className="h-7 w-44 py-0" value={filter.type} onChange={(event) => setParam('type', event.target.value || null)}>
          <option value="">Any task type</option>
          {taskTypes.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </Select>
        <Select aria-label="Agent type" className="h-7 w-44 py-0" value={filter.agentType} onChange={(event) => setParam('agent_type', event.target.value || null)}>
          <option value="">Any agent type</option>
          {[...new Set([...agentTypes, ...(filter.agentType ? [filter.agentType] : [])])].map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </Select>
        {filtered && (
          <Button size="sm" variant="ghost" icon={<X className="size-3.5" aria-hidden />} onClick={clearFilters}>
            Clear filters
          </Button>
        )}
      </div>
      {tasks.isLoading && <div className="p-4"><LoadingBlock /></div>}
      {tasks.error && <div className="p-4"><ErrorNotice error={tasks.error} /></div>}
      {tasks.data && items.length === 0 && (
        <div className="p-4">
          {filtered ? (
            <EmptyState icon={<Search className="size-5" aria-hidden />} title="No task matches these filters" action={<Button size="sm" onClick={clearFilters}>Clear filters</Button>}>
              {filter.q ? <>Nothing found for “{filter.q}”{status ? ` among ${status.replace(/_/g, ' ')} tasks` : ''}.</> : 'Try another status, task type or agent type.'}
            </EmptyState>
          ) : (
            <EmptyState icon={<ListTodo className="size-5" aria-hidden />} title="The queue is empty">
              Tasks come from watchers reacting to events, from schedules, and from people. Create one by hand to try an agent.
            </EmptyState>
          )}
        </div>
      )}
      {items.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass} data-testid="task-table">
            <thead>
              <tr>
                <th>Task</th>
                <th>Agent</th>
                <th className="text-right">Priority</th>
                <th>Status</th>
                <th className="text-right">Attempts</th>
                <th>Lease</th>
                <th>Output</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((task) => (
                <tr key={task.id} className="cursor-pointer" onClick={() => navigate(`/agents/tasks/${task.id}`)}>
                  <td>
                    <Link to={`/agents/tasks/${task.id}`} className="font-medium hover:underline" onClick={(event) => event.stopPropagation()}>
                      {task.task_type}
                    </Link>
                    <div><Mono className="text-muted" title={task.id}>{shortId(task.id)}</Mono></div>
                  </td>
                  <td>
                    {task.agent_id ? (
                      (names.get(task.agent_id) ?? <Mono>{shortId(task.agent_id)}</Mono>)
                    ) : (
                      <span className="text-muted">
                        none yet <Mono className="text-muted">({task.agent_type})</Mono>
                      </span>
                    )}
                  </td>
                  <td className="text-right tabular-nums">{task.priority}</td>
                  <td><TaskStatusCell task={task} /></td>
                  <td className="text-right tabular-nums">{task.attempt} / {task.max_attempts}</td>
                  <td className="text-[12px]">
                    {task.lease_expires_at && task.status === 'in_progress' ? (
                      <span title={task.lease_owner ?? ''}>
                        until <Time iso={task.lease_expires_at} />
                      </span>
                    ) : (
                      <span className="text-muted">—</span>
                    )}
                  </td>
                  <td className="max-w-64 truncate font-mono text-[12px] text-muted">{task.error_message ? <span className="text-red-700 dark:text-red-400">{task.error_message}</span> : outputSummary(task.output_data)}</td>
                  <td><Time iso={task.created_at} className="text-muted" /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canCreate && <CreateTaskDialog open={search.get('new') === '1'} onClose={() => setParam('new', null)} />}
    </Card>
    </>
  );
}
