// An agent's configuration as a form, shaped by its type's default configuration:
// strings, numbers and booleans as fields, anything else as JSON. The notification agent's
// channels and routing rules also have fields of their own (the routes stay editable as
// JSON), and so does the deployment agent's health check and redeploy (DeploymentFields).
// An agent whose type asks a language model, or whose configuration has an `llm`, has
// that model's choice and budgets as fields of their own too (LlmFields).
import { Plus, Trash2 } from 'lucide-react';
import { Button, Field, Input, Select, Textarea, useFieldId } from '../../components/ui';
import { DeploymentFields } from './DeploymentFields';
import { DEPLOYMENT_KEYS, readDeployment } from './deploymentConfig';
import { LlmFields } from './LlmFields';
import { LLM_KEY, isLlmDraftKey, llmDraftOf, offersLlm, readLlm, withoutLlm, type LlmChoices } from './llmConfig';

export type ConfigDraft = Record<string, string | boolean>;

export function draftOf(configuration: Record<string, unknown> | null | undefined): ConfigDraft {
  const draft: ConfigDraft = {};
  for (const [key, value] of Object.entries(configuration ?? {})) {
    if (key === LLM_KEY) {
      Object.assign(draft, llmDraftOf(value));
      continue;
    }
    draft[key] = typeof value === 'boolean' ? value : typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value, null, 2);
  }
  return draft;
}

/**
 * The configuration to send, read back with the defaults' types (and, for an agent type
 * with fields of its own, by that type's rules); throws a ConfigError naming every key
 * that is not valid. The `llm` model is checked against the models the node allows, when
 * they are known.
 */
export function configurationOf(draft: ConfigDraft, defaults: Record<string, unknown> | null | undefined, agentType?: string, allowedModels?: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const llm = readLlm(draft, allowedModels);
  if (llm.value !== undefined) result[LLM_KEY] = llm.value;
  Object.assign(errors, llm.errors);
  let generic = withoutLlm(draft);
  if (agentType === 'deployment') {
    const deployment = readDeployment(draft, defaults);
    Object.assign(result, deployment.configuration);
    Object.assign(errors, deployment.errors);
    generic = Object.fromEntries(Object.entries(generic).filter(([key]) => !DEPLOYMENT_KEYS.has(key)));
  }
  for (const [key, raw] of Object.entries(generic)) {
    const sample = defaults?.[key];
    if (typeof raw === 'boolean') result[key] = raw;
    else if (typeof sample === 'number') {
      const value = Number(raw);
      if (raw.trim() === '' || Number.isNaN(value)) errors[key] = `${key} must be a number`;
      else result[key] = value;
    } else if (typeof sample === 'string') result[key] = raw;
    else if (sample === null || sample === undefined) {
      // No type to go by: JSON when it reads as JSON, else the text as it is (a channel id).
      try {
        result[key] = JSON.parse(raw);
      } catch {
        result[key] = raw;
      }
    } else {
      try {
        result[key] = JSON.parse(raw);
      } catch {
        errors[key] = `${key} must be valid JSON`;
      }
    }
  }
  if (Object.keys(errors).length > 0) throw new ConfigError(errors);
  // A routing rule's kinds left with an empty entry while typing.
  if (Array.isArray(result.routes)) {
    result.routes = result.routes.map((route: unknown) =>
      typeof route === 'object' && route !== null && Array.isArray((route as { kinds?: unknown }).kinds) ? { ...route, kinds: (route as { kinds: unknown[] }).kinds.filter((kind) => kind !== '') } : route,
    );
  }
  return result;
}

/** Keys of a configuration that are not valid, each with what is wrong, to show next to its field. */
export class ConfigError extends Error {
  constructor(readonly errors: Record<string, string>) {
    super(Object.values(errors).join('; '));
  }
}

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

export interface RouteDraft {
  kinds: string[];
  min_severity: string;
  channel: string;
}

/** The notification agent's routes from the draft's JSON, or null when it is not a list of routes. */
export function routesOf(raw: string | boolean | undefined): RouteDraft[] | null {
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return [];
  if (typeof raw !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (value === null) return [];
  if (!Array.isArray(value)) return null;
  return value.map((item) => {
    const route = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    return {
      ...route,
      kinds: Array.isArray(route.kinds) ? route.kinds.map(String) : typeof route.kinds === 'string' ? [route.kinds] : [],
      min_severity: typeof route.min_severity === 'string' ? route.min_severity : 'info',
      channel: typeof route.channel === 'string' ? route.channel : '',
    };
  });
}

/** A channel kept in the draft as JSON text (its default is null), read as plain text. */
export function channelOf(raw: string | boolean | undefined): string {
  if (typeof raw !== 'string' || raw.trim() === '') return '';
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'string' ? value : value === null ? '' : raw;
  } catch {
    return raw;
  }
}

const NOTIFICATION_KEYS = new Set(['default_channel', 'approvals_channel', 'routes']);

/** The notification agent's default and approvals channels, and its routing rules as a table. */
function NotificationFields({ draft, onChange, errors }: { draft: ConfigDraft; onChange: (draft: ConfigDraft) => void; errors: Record<string, string> }) {
  const base = useFieldId('notification');
  const routes = routesOf(draft.routes);
  const setChannel = (key: string, value: string) => onChange({ ...draft, [key]: value.trim() ? JSON.stringify(value.trim()) : 'null' });
  const setRoutes = (next: RouteDraft[]) => onChange({ ...draft, routes: JSON.stringify(next, null, 2) });
  const update = (index: number, change: Partial<RouteDraft>) => routes && setRoutes(routes.map((route, at) => (at === index ? { ...route, ...change } : route)));
  return (
    <div className="space-y-3" data-testid="notification-config">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Default channel" htmlFor={`${base}-default`} error={errors.default_channel} hint="Slack channel id (C…) for notices no route takes">
          <Input id={`${base}-default`} placeholder="C0123456789" value={channelOf(draft.default_channel)} onChange={(event) => setChannel('default_channel', event.target.value)} />
        </Field>
        <Field label="Approvals channel" htmlFor={`${base}-approvals`} error={errors.approvals_channel} hint="Where approval requests with buttons go; the default channel when empty">
          <Input id={`${base}-approvals`} placeholder="C0123456789" value={channelOf(draft.approvals_channel)} onChange={(event) => setChannel('approvals_channel', event.target.value)} />
        </Field>
      </div>
      <div className="space-y-1.5">
        <div className="flex items-center justify-between">
          <span className="text-[12px] font-medium">Routes</span>
          {routes && (
            <Button size="sm" icon={<Plus className="size-3.5" aria-hidden />} onClick={() => setRoutes([...routes, { kinds: ['deployment.*'], min_severity: 'info', channel: '' }])}>
              Add a route
            </Button>
          )}
        </div>
        {routes === null ? (
          <p className="text-[12px] text-red-700 dark:text-red-400">The routes are not a list in JSON; fix them in the JSON below.</p>
        ) : routes.length === 0 ? (
          <p className="text-[12px] text-muted">No routes: every notice goes to the default channel. A route sends notices of some kinds (such as <code className="font-mono">deployment.*</code>) from a minimum severity to a channel; the first route that matches wins.</p>
        ) : (
          <table className="w-full text-left text-[12px] [&_td]:py-1 [&_td]:pr-2 [&_th]:pb-1 [&_th]:pr-2 [&_th]:font-medium [&_th]:text-muted" data-testid="notification-routes">
            <thead>
              <tr>
                <th>Kinds (comma-separated)</th>
                <th className="w-32">Minimum severity</th>
                <th className="w-40">Channel</th>
                <th className="w-8"><span className="sr-only">Remove</span></th>
              </tr>
            </thead>
            <tbody>
              {routes.map((route, index) => (
                <tr key={index}>
                  <td>
                    <Input
                      aria-label={`Route ${index + 1} kinds`}
                      className="font-mono text-[12px]"
                      placeholder="deployment.*, incident.*"
                      value={route.kinds.join(', ')}
                      onChange={(event) => update(index, { kinds: event.target.value.split(',').map((kind) => kind.trim()).filter((kind, at, all) => kind !== '' || at === all.length - 1) })}
                    />
                  </td>
                  <td>
                    <Select aria-label={`Route ${index + 1} minimum severity`} value={route.min_severity} onChange={(event) => update(index, { min_severity: event.target.value })}>
                      {SEVERITIES.map((severity) => (
                        <option key={severity} value={severity}>
                          {severity}
                        </option>
                      ))}
                    </Select>
                  </td>
                  <td>
                    <Input aria-label={`Route ${index + 1} channel`} className="font-mono text-[12px]" placeholder="C0123456789" value={route.channel} onChange={(event) => update(index, { channel: event.target.value.trim() })} />
                  </td>
                  <td>
                    <Button size="sm" variant="ghost" aria-label={`Remove route ${index + 1}`} icon={<Trash2 className="size-3.5" aria-hidden />} onClick={() => setRoutes(routes.filter((_, at) => at !== index))} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

export function ConfigForm({
  draft,
  defaults,
  onChange,
  errors,
  agentType,
  llmChoices,
}: {
  draft: ConfigDraft;
  defaults: Record<string, unknown> | null | undefined;
  onChange: (draft: ConfigDraft) => void;
  errors: Record<string, string>;
  agentType?: string;
  /** The node's model and the models an agent may choose, for the language model fields. */
  llmChoices?: LlmChoices | undefined;
}) {
  const base = useFieldId('config');
  const notification = agentType === 'notification';
  const deployment = agentType === 'deployment';
  const llm = offersLlm(agentType, draft);
  const keys = Object.keys(draft).filter((key) => !isLlmDraftKey(key) && (notification ? key !== 'default_channel' && key !== 'approvals_channel' : deployment ? !DEPLOYMENT_KEYS.has(key) : true));
  if (!notification && !deployment && !llm && keys.length === 0) return <p className="text-[13px] text-muted">This agent type takes no configuration.</p>;
  const llmFields = llm && <LlmFields draft={draft} onChange={onChange} errors={errors} agentType={agentType} choices={llmChoices} />;
  const field = (key: string) => {
        const value = draft[key];
        const sample = defaults?.[key];
        const id = `${base}-${key}`;
        if (typeof value === 'boolean') {
          return (
            <label key={key} className="flex items-center gap-2 text-[13px]">
              <input id={id} type="checkbox" checked={value} onChange={(event) => onChange({ ...draft, [key]: event.target.checked })} className="size-4 accent-[var(--accent)]" />
              <span className="font-mono text-[12px]">{key}</span>
            </label>
          );
        }
        const complex = typeof sample === 'object' && sample !== null;
        return (
          <Field key={key} label={key} htmlFor={id} error={errors[key]}>
            {complex ? (
              <Textarea id={id} rows={Math.min(8, String(value).split('\n').length + 1)} value={String(value)} onChange={(event) => onChange({ ...draft, [key]: event.target.value })} invalid={Boolean(errors[key])} />
            ) : (
              <Input id={id} type={typeof sample === 'number' ? 'number' : 'text'} value={String(value)} onChange={(event) => onChange({ ...draft, [key]: event.target.value })} invalid={Boolean(errors[key])} />
            )}
          </Field>
        );
  };
  if (deployment) {
    return (
      <div className="space-y-3">
        <DeploymentFields draft={draft} defaults={defaults} onChange={onChange} errors={errors} />
        {keys.map(field)}
        {llmFields}
      </div>
    );
  }
  if (!notification) {
    return (
      <div className="space-y-3">
        {keys.map(field)}
        {llmFields}
      </div>
    );
  }
  const others = keys.filter((key) => !NOTIFICATION_KEYS.has(key));
  return (
    <div className="space-y-3">
      <NotificationFields draft={draft} onChange={onChange} errors={errors} />
      {others.map(field)}
      <details className="rounded-md border border-line px-3 py-2" open={routesOf(draft.routes) === null || undefined}>
        <summary className="cursor-pointer text-[12px] font-medium">Routes as JSON</summary>
        <div className="mt-2">{field('routes')}</div>
      </details>
      {llmFields}
    </div>
  );
}
