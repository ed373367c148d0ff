// Schedules: tasks the node creates for an agent on a cron expression, read on the
// organization's clocks (its time zone, UTC unless an admin or owner sets one in the
// organization's settings). Members, admins and owners (those who may manage agents, as
// the node checks) create them (an agent, a task type it can run, when, and the task's input),
// turn them on and off, and delete them. Next runs are instants, shown on the viewer's clocks.
import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { CalendarClock, Pause, Play, Plus, Trash2 } from 'lucide-react';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import { fieldErrors } from '../../api/problem';
import type { ScheduleRow, TaskTypeName } from '../../api/models';
import { Badge, Button, Card, EmptyState, ErrorNotice, Field, Input, LoadingBlock, Modal, Mono, Select, Textarea, Time, tableClass, useFieldId } from '../../components/ui';
import { CRON_EXAMPLES, describeCron } from '../../lib/cron';
import { organizationTimeZone } from '../../lib/timeZones';
import { useAgents } from '../agents/queries';
import { taskInput } from '../agents/TaskQueue';

export function useSchedules() {
  return useQuery({ queryKey: useOrgKey('schedules'), refetchInterval: 60_000, queryFn: () => call(api.GET('/api/schedules')) });
}

/** Why the caller may not change schedules, or null when they may. */
function useScheduleReason(): string | null {
  const allowed = useCan('spawnAgents');
  const { role } = useOrganization();
  if (allowed) return null;
  return `Schedules are managed by those who may manage agents (members, admins and owners); you are ${role === 'viewer' ? 'a viewer' : 'not one of them'}.`;
}

/** The organization's time zone, the clocks cron expressions are read on. */
function useTimeZone(): string {
  const { organization } = useOrganization();
  return organizationTimeZone(organization);
}

/** Where the time zone comes from and where it is changed. */
function TimeZoneNote({ timeZone }: { timeZone: string }) {
  return (
    <>
      Times are on the organization's clocks (<Mono>{timeZone}</Mono>); an admin or owner changes its time zone in the{' '}
      <Link to="/settings" className="underline">
        organization's settings
      </Link>
      .
    </>
  );
}

const FIELDS = ['name', 'agent_id', 'task_type', 'cron_expression', 'input_data', 'priority'];

export function CreateScheduleDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const agents = useAgents();
  const invalidate = useInvalidateOrg();
  const timeZone = useTimeZone();
  const [form, setForm] = useState({ name: '', agent_id: '', task_type: '', cron_expression: '0 9 * * 1-5', priority: '5', input: '' });
  const [inputError, setInputError] = useState<string | null>(null);
  const ids = { name: useFieldId('name'), agent: useFieldId('agent'), type: useFieldId('type'), cron: useFieldId('cron'), priority: useFieldId('priority'), input: useFieldId('input') };
  const chosen = agents.data?.agents.items.find((agent) => agent.id === form.agent_id);
  const capabilities = chosen?.capabilities ?? [];
  const cron = describeCron(form.cron_expression, timeZone);
  const create = useMutation({
    mutationFn: () => {
      const input = taskInput(form.input);
      if (typeof input === 'string') {
        setInputError(input);
        throw new Error(`input ${input}`);
      }
      return call(
        api.POST('/api/schedules', {
          body: {
            name: form.name.trim(),
            agent_id: form.agent_id,
            task_type: form.task_type as TaskTypeName,
            cron_expression: form.cron_expression.trim(),
            priority: Number(form.priority),
            ...(input ? { input_data: input } : {}),
          },
        }),
      );
    },
    onSuccess: () => {
      void invalidate('schedules');
      setForm({ name: '', agent_id: '', task_type: '', cron_expression: '0 9 * * 1-5', priority: '5', input: '' });
      onClose();
    },
  });
  const errors = fieldErrors(inputError ? null : create.error, FIELDS);
  const missing = !form.name.trim() ? 'Name the schedule first.' : !form.agent_id ? 'Choose an agent first.' : !form.task_type ? 'Choose a task type first.' : !cron.ok ? `Fix the cron expression first: ${cron.error}.` : null;
  return (
    <Modal
      title="Create a schedule"
      open={open}
      onClose={onClose}
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            loading={create.isPending}
            disabled={Boolean(missing)}
            disabledReason={missing}
            onClick={() => {
              setInputError(null);
              create.mutate();
            }}
          >
            Create schedule
          </Button>
        </>
      }
    >
      <div className="grid grid-cols-2 gap-3">
        {errors.form && (
          <div className="col-span-2">
            <ErrorNotice error={create.error} />
          </div>
        )}
        <Field label="Name" htmlFor={ids.name} error={errors.fields.name}>
          <Input id={ids.name} value={form.name} placeholder="Weekday morning report" onChange={(event) => setForm({ ...form, name: event.target.value })} invalid={Boolean(errors.fields.name)} />
        </Field>
        <Field label="Agent" htmlFor={ids.agent} error={errors.fields.agent_id}>
          <Select
            id={ids.agent}
            value={form.agent_id}
            onChange={(event) => {
              const agent = agents.data?.agents.items.find((candidate) => candidate.id === event.target.value);
              const only = agent?.capabilities.length === 1 ? (agent.capabilities[0] ?? '') : '';
              setForm({ ...form, agent_id: event.target.value, task_type: agent?.capabilities.includes(form.task_type) ? form.task_type : only });
            }}
            invalid={Boolean(errors.fields.agent_id)}
          >
            <option value="">Choose an agent…</option>
            {(agents.data?.agents.items ?? []).map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name} ({agent.type})
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Task type" htmlFor={ids.type} error={errors.fields.task_type} hint={chosen ? `What a ${chosen.type} agent can run.` : 'Choose an agent to see what it can run.'}>
          <Select id={ids.type} value={form.task_type} disabled={!chosen} onChange={(event) => setForm({ ...form, task_type: event.target.value })} invalid={Boolean(errors.fields.task_type)}>
            <option value="">{chosen ? 'Choose a task type…' : '—'}</option>
            {capabilities.map((capability) => (
              <option key={capability} value={capability}>
                {capability}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Priority (1–10, higher first)" htmlFor={ids.priority} error={errors.fields.priority}>
          <Input id={ids.priority} type="number" min={1} max={10} value={form.priority} onChange={(event) => setForm({ ...form, priority: event.target.value })} invalid={Boolean(errors.fields.priority)} />
        </Field>
        <div className="col-span-2">
          <Field
            label={`When (cron: minute hour day month weekday, ${timeZone})`}
            htmlFor={ids.cron}
            error={errors.fields.cron_expression ?? (cron.ok ? undefined : cron.error)}
            hint={cron.ok ? <span data-testid="cron-hint">Runs {cron.text}.</span> : undefined}
          >
            <Input id={ids.cron} className="font-mono" value={form.cron_expression} onChange={(event) => setForm({ ...form, cron_expression: event.target.value })} invalid={!cron.ok || Boolean(errors.fields.cron_expression)} />
          </Field>
          <p className="mt-1 text-[12px] text-muted" data-testid="cron-time-zone">
            <TimeZoneNote timeZone={timeZone} />
          </p>
          <p className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-[12px] text-muted">
            Try:
            {CRON_EXAMPLES.map((example) => (
              <button key={example.expression} type="button" className="underline decoration-dotted hover:text-fg" onClick={() => setForm({ ...form, cron_expression: example.expression })}>
                {example.label}
              </button>
            ))}
          </p>
        </div>
        <div className="col-span-2">
          <Field label="Input (JSON, optional)" htmlFor={ids.input} error={inputError ?? errors.fields.input_data} hint="The task's input each time the schedule runs.">
            <Textarea id={ids.input} rows={4} className="font-mono" placeholder={'{\n  "text": "…"\n}'} value={form.input} onChange={(event) => setForm({ ...form, input: event.target.value })} invalid={Boolean(inputError ?? errors.fields.input_data)} />
          </Field>
        </div>
      </div>
    </Modal>
  );
}

function ScheduleActions({ schedule, reason }: { schedule: ScheduleRow; reason: string | null }) {
  const invalidate = useInvalidateOrg();
  const [confirming, setConfirming] = useState(false);
  const toggle = useMutation({
    mutationFn: () => call(api.PATCH('/api/schedules/{id}', { params: { path: { id: schedule.id } }, body: { enabled: !schedule.enabled } })),
    onSuccess: () => void invalidate('schedules'),
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/schedules/{id}', { params: { path: { id: schedule.id } } })),
    onSuccess: () => void invalidate('schedules'),
  });
  const error = toggle.error ?? remove.error;
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex items-center justify-end gap-1">
        <Button
          size="sm"
          variant="ghost"
          loading={toggle.isPending}
          disabled={Boolean(reason)}
          disabledReason={reason}
          icon={schedule.enabled ? <Pause className="size-3.5" aria-hidden /> : <Play className="size-3.5" aria-hidden />}
          onClick={() => toggle.mutate()}
          aria-label={`${schedule.enabled ? 'Disable' : 'Enable'} ${schedule.name}`}
        >
          {schedule.enabled ? 'Disable' : 'Enable'}
        </Button>
        {confirming ? (
          <>
            <Button size="sm" variant="danger" loading={remove.isPending} onClick={() => remove.mutate()}>
              Delete “{schedule.name}”
            </Button>
            <Button size="sm" onClick={() => setConfirming(false)}>
              Keep
            </Button>
          </>
        ) : (
          <Button size="sm" variant="ghost" disabled={Boolean(reason)} disabledReason={reason} icon={<Trash2 className="size-3.5" aria-hidden />} onClick={() => setConfirming(true)} aria-label={`Delete ${schedule.name}`}>
            Delete
          </Button>
        )}
      </div>
      {error && (
        <div className="max-w-80 text-left">
          <ErrorNotice error={error} />
        </div>
      )}
    </div>
  );
}

export function Schedules() {
  const schedules = useSchedules();
  const agents = useAgents();
  const reason = useScheduleReason();
  const timeZone = useTimeZone();
  const [creating, setCreating] = useState(false);
  const names = new Map((agents.data?.agents.items ?? []).map((agent) => [agent.id, agent]));
  const items = schedules.data?.items ?? [];
  return (
    <Card
      title={`Schedules${items.length ? ` (${items.length})` : ''}`}
      actions={
        <Button size="sm" variant="primary" icon={<Plus className="size-3.5" aria-hidden />} disabled={Boolean(reason)} disabledReason={reason} onClick={() => setCreating(true)}>
          Create schedule
        </Button>
      }
      bodyClassName="p-0"
    >
      {schedules.isLoading && <div className="p-4"><LoadingBlock /></div>}
      {schedules.error && <div className="p-4"><ErrorNotice error={schedules.error} what="Schedules" /></div>}
      {schedules.data && items.length === 0 && (
        <div className="p-4">
          <EmptyState icon={<CalendarClock className="size-5" aria-hidden />} title="No schedules yet">
            A schedule creates a task for an agent at the times its cron expression names, on the organization's clocks (<Mono>{timeZone}</Mono>, changed in the{' '}
            <Link to="/settings" className="underline">
              organization's settings
            </Link>
            ): a daily report, a weekly sync, a health check every 15 minutes.
            {reason ? ` ${reason}` : ''}
          </EmptyState>
        </div>
      )}
      {items.length > 0 && (
        <>
          <div className="overflow-x-auto">
            <table className={tableClass} data-testid="schedule-table">
              <thead>
                <tr>
                  <th>Schedule</th>
                  <th>Agent and task</th>
                  <th>When</th>
                  <th>Next run</th>
                  <th>Last run</th>
                  <th className="sr-only">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((schedule) => {
                  const agent = names.get(schedule.agent_id);
                  const reading = describeCron(schedule.cron_expression, timeZone);
                  return (
                    <tr key={schedule.id} data-testid="schedule-row" data-enabled={schedule.enabled}>
                      <td>
                        <div className="font-medium">{schedule.name}</div>
                        {!schedule.enabled && <Badge tone="gray">disabled</Badge>}
                      </td>
                      <td>
                        <div>{agent ? agent.name : <Mono className="text-muted">{schedule.agent_id.slice(0, 8)}</Mono>}</div>
                        <Mono className="text-muted">{schedule.task_type}</Mono>
                      </td>
                      <td>
                        <Mono className="whitespace-nowrap">{schedule.cron_expression}</Mono>
                        {reading.ok && <div className="text-[12px] text-muted">{reading.text}</div>}
                      </td>
                      <td>{schedule.enabled ? <Time iso={schedule.next_run_at} /> : <span className="text-muted">—</span>}</td>
                      <td><Time iso={schedule.last_run_at} className="text-muted" /></td>
                      <td className="text-right">
                        <ScheduleActions schedule={schedule} reason={reason} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="border-t border-line px-4 py-2 text-[12px] text-muted" data-testid="schedule-time-zone">
            <TimeZoneNote timeZone={timeZone} /> Next and last runs are shown on your own clocks.
          </p>
        </>
      )}
      {!reason && <CreateScheduleDialog open={creating} onClose={() => setCreating(false)} />}
    </Card>
  );
}
