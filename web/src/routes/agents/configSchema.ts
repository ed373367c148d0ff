// An agent type's configuration as the node describes it: a JSON Schema (draft 2020-12)
// in GET /api/agents/types (`configuration_schema`). The form is built from it and
// validated by it (SchemaForm); what is here is light and free of the form library, so the
// agents list does not load it before a form is shown.
import { ApiProblem } from '../../api/problem';

/** A JSON Schema as the node sends it. */
export type ConfigurationSchema = Record<string, unknown>;

/** An agent type as GET /api/agents/types answers it, with its configuration's schema. */
export interface AgentTypeWithSchema {
  type: string;
  default_configuration?: Record<string, unknown> | null;
  configuration_schema?: unknown;
}

/** The type's configuration schema, or null when the node does not publish one. */
export function schemaOf(agentType: AgentTypeWithSchema | null | undefined): ConfigurationSchema | null {
  const schema = agentType?.configuration_schema;
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? (schema as ConfigurationSchema) : null;
}

/** Whether the schema's object takes no key at all. */
export function takesNothing(schema: ConfigurationSchema): boolean {
  const properties = schema.properties;
  const none = typeof properties !== 'object' || properties === null || Object.keys(properties).length === 0;
  return none && schema.additionalProperties === false;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The configuration to send: what the form holds, without the values left unset (an
 * object's `null` or empty object is as good as absent to the node, which then uses its
 * default). Lists keep their items as they are.
 */
export function configurationToSend(value: unknown): Record<string, unknown> {
  const pruned = prune(value);
  return isObject(pruned) ? pruned : {};
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (isObject(item) ? prune(item) ?? {} : item));
  if (!isObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const kept = prune(item);
    if (kept === undefined || kept === null) continue;
    if (isObject(kept) && Object.keys(kept).length === 0) continue;
    result[key] = kept;
  }
  return result;
}

/**
 * A saved configuration for the form: the keys the schema lists, and the names of those it
 * does not (the node refuses an unknown key, so the form cannot keep one; their values are
 * not shown, as one may be a secret).
 */
export function knownConfiguration(configuration: Record<string, unknown> | null | undefined, schema: ConfigurationSchema | null): { configuration: Record<string, unknown>; dropped: string[] } {
  const value = { ...(configuration ?? {}) };
  const properties = schema?.properties;
  if (!schema || schema.additionalProperties !== false || !isObject(properties)) return { configuration: value, dropped: [] };
  const dropped = Object.keys(value).filter((key) => !(key in properties));
  for (const key of dropped) delete value[key];
  return { configuration: value, dropped };
}

/** An error schema in the form library's shape: `{ key: { __errors: [...] } }`. */
export interface ConfigErrorSchema {
  __errors?: string[];
  [key: string]: ConfigErrorSchema | string[] | undefined;
}

/**
 * The node's refusal of a configuration as errors next to the field it names
 * (`configuration.healthy_at`, `configuration.llm.model`, `configuration.routes[0].channel`),
 * with its `detail` as the message; null when the problem is not about one of its keys.
 */
export function configErrorsOf(error: unknown): ConfigErrorSchema | null {
  if (!(error instanceof ApiProblem) || !error.field) return null;
  const match = /^configuration(?:[.[](.*))?$/.exec(error.field);
  if (!match) return null;
  const path = (match[1] ?? '')
    .replace(/\]/g, '')
    .split(/[.[]/)
    .filter((segment) => segment !== '');
  const message = error.detail || error.title;
  const root: ConfigErrorSchema = {};
  let node = root;
  for (const segment of path) {
    const next: ConfigErrorSchema = {};
    node[segment] = next;
    node = next;
  }
  node.__errors = [message];
  return root;
}

const ACRONYMS = new Set(['llm', 'url', 'id', 'api', 'pr']);
const UNITS: Record<string, string> = { ms: '(ms)', seconds: '(seconds)', secs: '(seconds)', minutes: '(minutes)' };

/** A label for a key without a title of its own: `ready_poll_ms` → “Ready poll (ms)”. */
export function labelOf(key: string): string {
  const item = /^(.*)-(\d+)$/.exec(key);
  if (item) return `${labelOf(item[1] ?? '')} ${item[2]}`;
  const words = key.split('_').filter(Boolean);
  return words
    .map((word, index) => {
      if (index > 0 && index === words.length - 1 && UNITS[word]) return UNITS[word];
      if (ACRONYMS.has(word)) return word.toUpperCase();
      return index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word;
    })
    .join(' ');
}
