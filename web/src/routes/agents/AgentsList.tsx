// Agents: spawn, configure, disable, enable, delete.
import { useRef, useState, type RefObject } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { Bot, Pause, Play, Plus, Settings2, Trash2 } from 'lucide-react';
import { useAgents, useAgentTypes } from './queries';
import { ConfigForm, type ConfigFormHandle } from './ConfigForm';
import { configErrorsOf, configurationToSend, knownConfiguration, schemaOf, takesNothing, type ConfigErrorSchema, type ConfigurationSchema } from './configSchema';
import { api, call } from '../../api/rest';
import type { AgentTypeName } from '../../api/models';
import { useCan, useInvalidateOrg } from '../../api/hooks';
import { fieldErrors } from '../../api/problem';
import type { AgentQuery } from './types';
import { Badge, Button, Card, EmptyState, ErrorNotice, Field, Input, LoadingBlock, Modal, Mono, Select, StatusBadge, Time, tableClass, useFieldId } from '../../components/ui';
import { shortId } from '../../lib/time';
import { successRateOf } from './stats';
import { newAgentName } from './waiting';

/**
 * The configuration to send, read from the form: null while it is not valid (each error
 * is then shown next to its field). Without a schema the configuration is sent as it is.
 */
function readConfiguration(schema: ConfigurationSchema | null, form: RefObject<ConfigFormHandle | null>, formData: Record<string, unknown>): Record<string, unknown> | null {
  if (!schema) return formData;
  if (takesNothing(schema)) return {};
  const read = form.current?.read();
  return read ? configurationToSend(read) : null;
}

/** Whether the node's refusal names a key the form shows (else it is said above the form). */
function shownInForm(errors: ConfigErrorSchema | null, schema: ConfigurationSchema | null): boolean {
  if (!errors || !schema || takesNothing(schema)) return false;
  const keys = Object.keys(errors).filter((key) => key !== '__errors');
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return keys.every((key) => key in properties);
}

export function SpawnDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const types = useAgentTypes();
  const agents = useAgents();
  const invalidate = useInvalidateOrg();
  const [type, setType] = useState('');
  const [name, setName] = useState('');
  // The name follows the chosen type until the person types one of their own.
  const [nameEdited, setNameEdited] = useState(false);
  const [formData, setFormData] = useState<Record<string, unknown>>({});
  const [configErrors, setConfigErrors] = useState<ConfigErrorSchema | null>(null);
  const form = useRef<ConfigFormHandle | null>(null);
  const nameId = useFieldId('name');
  const typeId = useFieldId('type');
  const selected = types.data?.items.find((candidate) => candidate.type === type);
  const schema = schemaOf(selected);
  const spawn = useMutation({
    mutationFn: (configuration: Record<string, unknown>) => call(api.POST('/api/agents', { body: { name, type: type as AgentTypeName, configuration } })),
    onSuccess: () => {
      void invalidate('agents');
      void invalidate('tree');
      onClose();
      setName('');
      setNameEdited(false);
      setType('');
    },
    onError: (error) => setConfigErrors(configErrorsOf(error)),
  });
  const errors = fieldErrors(spawn.error, ['name', 'type', 'configuration']);
  const configErrorAbove = errors.fields.configuration && !shownInForm(configErrors, schema) ? errors.fields.configuration : null;
  const send = () => {
    const configuration = readConfiguration(schema, form, formData);
    if (configuration) spawn.mutate(configuration);
  };
  return (
    <Modal
      title="Create an agent"
      open={open}
      onClose={onClose}
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            loading={spawn.isPending}
            disabled={!type || !name.trim()}
            disabledReason={!type ? 'Choose a type first.' : 'Give the agent a name first.'}
            onClick={send}
          >
            Create and start
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        {errors.form && <ErrorNotice error={spawn.error} />}
        {types.error && <ErrorNotice error={types.error} what="Agent types" />}
        <Field label="Type" htmlFor={typeId} error={errors.fields.type}>
          <Select
            id={typeId}
            value={type}
            onChange={(event) => {
              setType(event.target.value);
              const found = types.data?.items.find((candidate) => candidate.type === event.target.value);
              setFormData(knownConfiguration(found?.default_configuration, schemaOf(found)).configuration);
              setConfigErrors(null);
              spawn.reset();
              if (!nameEdited) setName(event.target.value ? newAgentName(event.target.value, (agents.data?.agents.items ?? []).map((agent) => agent.name)) : '');
            }}
          >
            <option value="">Choose a type…</option>
            {(types.data?.items ?? []).map((candidate) => (
              <option key={candidate.type} value={candidate.type}>
                {candidate.type} ({candidate.kind})
              </option>
            ))}
          </Select>
        </Field>
        {selected && (
          <p className="text-[12px] text-muted">
            Can: {selected.capabilities.length ? selected.capabilities.join(', ') : 'nothing listed'}
          </p>
        )}
        <Field label="Name" htmlFor={nameId} error={errors.fields.name}>
          <Input
            id={nameId}
            value={name}
            onChange={(event) => {
              setName(event.target.value);
              // Emptied, the name follows the type again.
              setNameEdited(event.target.value !== '');
            }}
            invalid={Boolean(errors.fields.name)}
          />
        </Field>
        {selected && (
          <fieldset className="space-y-2 rounded-md border border-line p-3" data-testid="agent-configuration">
            <legend className="px-1 text-[12px] font-medium">Configuration</legend>
            {configErrorAbove && <p className="text-[12px] text-red-700 dark:text-red-400">{configErrorAbove}</p>}
            <ConfigForm
              key={selected.type}
              schema={schema}
              formData={formData}
              onChange={(next) => {
                setFormData(next);
                setConfigErrors(null);
              }}
              extraErrors={configErrors}
              handle={form}
            />
          </fieldset>
        )}
      </div>
    </Modal>
  );
}

type Agent = AgentQuery;

function ConfigureDialog({ agent, onClose }: { agent: Agent; onClose: () => void }) {
  const types = useAgentTypes();
  const invalidate = useInvalidateOrg();
  const schema = schemaOf(types.data?.items.find((candidate) => candidate.type === agent.type));
  const saved = agent.configuration as Record<string, unknown> | null;
  const [name, setName] = useState(agent.name);
  const [formData, setFormData] = useState<Record<string, unknown>>(() => ({ ...(saved ?? {}) }));
  const [configErrors, setConfigErrors] = useState<ConfigErrorSchema | null>(null);
  const form = useRef<ConfigFormHandle | null>(null);
  const nameId = useFieldId('name');
  const save = useMutation({
    mutationFn: (configuration: Record<string, unknown>) => call(api.PATCH('/api/agents/{id}', { params: { path: { id: agent.id } }, body: { name, configuration } })),
    onSuccess: () => {
      void invalidate('agents');
      void invalidate('tree');
      onClose();
    },
    onError: (error) => setConfigErrors(configErrorsOf(error)),
  });
  const errors = fieldErrors(save.error, ['name', 'configuration']);
  const configErrorAbove = errors.fields.configuration && !shownInForm(configErrors, schema) ? errors.fields.configuration : null;
  const loading = types.isLoading && !schema;
  const send = () => {
    const configuration = readConfiguration(schema, form, knownConfiguration(formData, schema).configuration);
    if (configuration) save.mutate(configuration);
  };
  return (
    <Modal
      title={`Configure ${agent.name}`}
      open
      onClose={onClose}
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" loading={save.isPending} disabled={loading} disabledReason="The agent type’s configuration is loading." onClick={send}>
            Save and restart
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        {errors.form && <ErrorNotice error={save.error} />}
        <Field label="Name" htmlFor={nameId} error={errors.fields.name}>
          <Input id={nameId} value={name} onChange={(event) => setName(event.target.value)} />
        </Field>
        <fieldset className="space-y-2 rounded-md border border-line p-3" data-testid="agent-configuration">
          <legend className="px-1 text-[12px] font-medium">Configuration</legend>
          {configErrorAbove && <p className="text-[12px] text-red-700 dark:text-red-400">{configErrorAbove}</p>}
          {loading ? (
            <LoadingBlock rows={3} />
          ) : (
            <ConfigForm
              schema={schema}
              formData={knownConfiguration(formData, schema).configuration}
              dropped={knownConfiguration(saved, schema).dropped}
              onChange={(next) => {
                setFormData(next);
                setConfigErrors(null);
              }}
              extraErrors={configErrors}
              handle={form}
            />
          )}
        </fieldset>
        <p className="text-[12px] text-muted">Saving restarts the agent with the new configuration; a task it was running is retried.</p>
      </div>
    </Modal>
  );
}

function AgentActions({ agent, onConfigure }: { agent: Agent; onConfigure: () => void }) {
  const invalidate = useInvalidateOrg();
  const done = () => {
    void invalidate('agents');
    void invalidate('tree');
  };
  const toggle = useMutation({
    mutationFn: () =>
      agent.status === 'DISABLED'
        ? call(api.POST('/api/agents/{id}/enable', { params: { path: { id: agent.id } } }))
        : call(api.POST('/api/agents/{id}/disable', { params: { path: { id: agent.id } } })),
    onSuccess: done,
  });
  const remove = useMutation({ mutationFn: () => call(api.DELETE('/api/agents/{id}', { params: { path: { id: agent.id } } })), onSuccess: done });
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="flex items-center justify-end gap-1">
      {(toggle.error || remove.error) && <span className="max-w-60 truncate text-[12px] text-red-700 dark:text-red-400" title={String((toggle.error ?? remove.error) as Error)}>{((toggle.error ?? remove.error) as Error).message}</span>}
      <Button size="sm" variant="ghost" icon={<Settings2 className="size-3.5" aria-hidden />} onClick={onConfigure} aria-label={`Configure ${agent.name}`}>
        Configure
      </Button>
      <Button
        size="sm"
        variant="ghost"
        loading={toggle.isPending}
        icon={agent.status === 'DISABLED' ? <Play className="size-3.5" aria-hidden /> : <Pause className="size-3.5" aria-hidden />}
        onClick={() => toggle.mutate()}
        aria-label={`${agent.status === 'DISABLED' ? 'Enable' : 'Disable'} ${agent.name}`}
      >
        {agent.status === 'DISABLED' ? 'Enable' : 'Disable'}
      </Button>
      {confirming ? (
        <>
          <Button size="sm" variant="danger" loading={remove.isPending} onClick={() => remove.mutate()}>
            Delete with its tasks
          </Button>
          <Button size="sm" onClick={() => setConfirming(false)}>
            Keep
          </Button>
        </>
      ) : (
        <Button size="sm" variant="ghost" icon={<Trash2 className="size-3.5" aria-hidden />} onClick={() => setConfirming(true)} aria-label={`Delete ${agent.name}`}>
          Delete
        </Button>
      )}
    </div>
  );
}

export function AgentsList() {
  const [search, setSearch] = useSearchParams();
  const agents = useAgents();
  const canSpawn = useCan('spawnAgents');
  const [configuring, setConfiguring] = useState<Agent | null>(null);
  const status = search.get('status');
  const spawnOpen = search.get('new') === '1';
  const setSpawnOpen = (open: boolean) => {
    const next = new URLSearchParams(search);
    if (open) next.set('new', '1');
    else next.delete('new');
    setSearch(next, { replace: true });
  };
  const items = (agents.data?.agents.items ?? []).filter((agent) => !status || agent.status === status.toUpperCase());
  return (
    <Card
      title={
        <div className="flex items-center gap-2">
          <h2 className="text-[13px] font-semibold">Agents</h2>
          {status && (
            <Badge>
              status: {status}{' '}
              <Link to="/agents/list" className="ml-1 underline">
                clear
              </Link>
            </Badge>
          )}
        </div>
      }
      actions={
        canSpawn && (
          <Button variant="primary" size="sm" icon={<Plus className="size-3.5" aria-hidden />} onClick={() => setSpawnOpen(true)}>
            Create agent
          </Button>
        )
      }
      bodyClassName="p-0"
    >
      {agents.isLoading && <div className="p-4"><LoadingBlock /></div>}
      {agents.error && <div className="p-4"><ErrorNotice error={agents.error} /></div>}
      {agents.data && items.length === 0 && (
        <div className="p-4">
          <EmptyState icon={<Bot className="size-5" aria-hidden />} title={status ? `No ${status} agents` : 'No agents yet'}>
            Agents do the work: a <Mono>github_watcher</Mono> turns GitHub events into tasks, a <Mono>code_review</Mono> agent reviews pull requests, <Mono>text_stats</Mono> is a simple one to try.
          </EmptyState>
        </div>
      )}
      {items.length > 0 && (
        <table className={tableClass} data-testid="agents-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Status</th>
              <th>Current task</th>
              <th className="text-right">Done / failed</th>
              <th className="text-right">Success</th>
              <th>Last active</th>
              {canSpawn && <th className="sr-only">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((agent) => (
              <tr key={agent.id}>
                <td>
                  <div className="font-medium">{agent.name}</div>
                  <Mono className="text-muted" title={agent.id}>{shortId(agent.id)}</Mono>
                </td>
                <td><Mono>{agent.type}</Mono></td>
                <td><StatusBadge status={agent.status} /></td>
                <td>{agent.currentTask ? <Link className="hover:underline" to={`/agents/tasks/${agent.currentTask.id}`}>{agent.currentTask.taskType}</Link> : <span className="text-muted">—</span>}</td>
                <td className="text-right tabular-nums">{agent.stats.totalTasksCompleted} / {agent.stats.totalTasksFailed}</td>
                <td className="text-right tabular-nums">{successRateOf(agent.stats) ?? <span className="text-muted" title="This agent has finished no task yet">— <span className="text-[12px]">no tasks yet</span></span>}</td>
                <td><Time iso={agent.lastActiveAt} className="text-muted" /></td>
                {canSpawn && <td><AgentActions agent={agent} onConfigure={() => setConfiguring(agent)} /></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canSpawn && <SpawnDialog open={spawnOpen} onClose={() => setSpawnOpen(false)} />}
      {configuring && <ConfigureDialog agent={configuring} onClose={() => setConfiguring(null)} />}
    </Card>
  );
}
