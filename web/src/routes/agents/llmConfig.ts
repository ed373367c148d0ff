// An agent's own choice and limits of the language model (crates/actors/src/llm.rs,
// AgentLlm): the `llm` object of its configuration, with exactly these keys — `enabled`,
// `provider`, `base_url`, `model`, `tokens_per_day`, `requests_per_minute`, `max_tokens`
// — each optional, each falling back to the node's `llm.*` settings. The API key is
// always the node's: an agent's configuration never carries one.
//
// The node reads the object at once and, when any key is unknown or of the wrong type (a
// string for a number, a fraction, a negative number, an `api_key`), silently ignores the
// whole object, `enabled: false` included; so each key is checked here before it is
// sent, an empty field is left out (the node then uses its own), and a key the node does
// not read is named, without its value, until it is removed. Pure, so it is unit-tested.
//
// In the form's draft the object is kept flat, one entry a key (`llm.model`, …): a text
// or number as typed, `llm.enabled` as a boolean. An unknown key is kept by name only (its
// value, which may be a secret, never enters the form), and an `llm` that is not an
// object stays under `llm`, also without its value.
import type { ConfigDraft } from './ConfigForm';

export const LLM_KEY = 'llm';
const PREFIX = `${LLM_KEY}.`;

/** The agent types whose work asks a model (crates/actors/src: `ctx.llm`): the code review's written review. */
export const LLM_AGENT_TYPES = new Set<string>(['code_review']);

/** The providers the node can speak (LlmProvider in crates/integrations/src/llm). */
export const LLM_PROVIDERS = ['openai', 'anthropic'] as const;

export type LlmTextKey = 'provider' | 'base_url' | 'model';

export interface LlmNumberSpec {
  key: 'tokens_per_day' | 'requests_per_minute' | 'max_tokens';
  label: string;
  hint: string;
  /** The largest value the node can read (u64 is capped at what a JSON number holds exactly). */
  max: number;
  /** What the value counts, for messages. */
  unit: string;
  /** Why 0 is refused, when it needs saying. */
  zero?: string;
}

const U32_MAX = 4_294_967_295;

export const LLM_BUDGET_FIELDS: LlmNumberSpec[] = [
  {
    key: 'tokens_per_day',
    label: 'Tokens per day',
    hint: 'Prompt and answer tokens the agent may use in a day; a task past it waits until the day’s budget refills. Empty: the node’s budget (llm.tokens_per_day, 200,000 unless the node sets another).',
    max: Number.MAX_SAFE_INTEGER,
    unit: 'tokens',
    zero: 'must be 1 or more: for an agent, 0 lets no request through (only the node’s own setting reads 0 as no limit); to stop its model, untick “Use a language model”',
  },
  {
    key: 'requests_per_minute',
    label: 'Requests per minute',
    hint: 'Model requests the agent may make in a minute; a task past it waits. Empty: the node’s budget (llm.requests_per_minute, 20 unless the node sets another).',
    max: U32_MAX,
    unit: 'requests',
    zero: 'must be 1 or more: for an agent, 0 lets no request through (only the node’s own setting reads 0 as no limit); to stop its model, untick “Use a language model”',
  },
  {
    key: 'max_tokens',
    label: 'Longest answer (tokens)',
    hint: 'The answer’s length limit for a request that sets none of its own (the code review asks for at most 900 itself). Empty: 1,024.',
    max: U32_MAX,
    unit: 'tokens',
  },
];

const TEXT_KEYS: readonly LlmTextKey[] = ['provider', 'base_url', 'model'];
const NUMBER_KEYS = LLM_BUDGET_FIELDS.map((spec) => spec.key);
/** Every key the node reads from an agent's `llm`, in the order the form shows them. */
export const LLM_KNOWN_KEYS: readonly string[] = ['enabled', ...TEXT_KEYS, ...NUMBER_KEYS];

/** The draft's entry for one key of the `llm` object. */
export function llmDraftKey(key: string): string {
  return `${PREFIX}${key}`;
}

/** Whether a draft entry belongs to the `llm` section. */
export function isLlmDraftKey(key: string): boolean {
  return key === LLM_KEY || key.startsWith(PREFIX);
}

/** Whether the section is offered: the type asks a model, or the configuration already has an `llm`. */
export function offersLlm(agentType: string | undefined, draft: ConfigDraft): boolean {
  return (agentType !== undefined && LLM_AGENT_TYPES.has(agentType)) || Object.keys(draft).some(isLlmDraftKey);
}

/** What a JSON value is, in words, for a message that must not show it. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a text';
  if (typeof value === 'number') return 'a number';
  return `a ${typeof value}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The draft entries for a configuration's `llm` value. `null` is as good as absent to the
 * node (it falls back to its own) and gives none.
 */
export function llmDraftOf(value: unknown): ConfigDraft {
  if (value === null || value === undefined) return {};
  if (!isObject(value)) return { [LLM_KEY]: kindOf(value) };
  const draft: ConfigDraft = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue; // the node reads null as "not set"
    const entry = llmDraftKey(key);
    if (!LLM_KNOWN_KEYS.includes(key)) draft[entry] = kindOf(item);
    else if (key === 'enabled') draft[entry] = typeof item === 'boolean' ? item : JSON.stringify(item);
    else draft[entry] = typeof item === 'string' ? item : typeof item === 'number' ? String(item) : JSON.stringify(item);
  }
  return draft;
}

/** The keys of the draft's `llm` the node does not read, by name. */
export function unknownLlmKeys(draft: ConfigDraft): string[] {
  return Object.keys(draft)
    .filter((key) => key.startsWith(PREFIX))
    .map((key) => key.slice(PREFIX.length))
    .filter((key) => !LLM_KNOWN_KEYS.includes(key));
}

/** Why a key the node does not read cannot stay. */
export function unknownKeyMessage(key: string): string {
  // Said without the value: it may be a secret.
  if (/api_?key|secret|password|credential|(^|_)key$|(^|_)token$/i.test(key)) {
    return 'the node never takes a key or other secret from an agent’s configuration (it uses its own setting, llm.api_key) and ignores the agent’s whole llm while this is here: remove it';
  }
  return `the node reads no llm.${key} (only ${LLM_KNOWN_KEYS.join(', ')}) and ignores the agent’s whole llm while it is here: remove it`;
}

function readNumber(spec: LlmNumberSpec, raw: string | boolean | undefined): { value: number | undefined } | { error: string } {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') return { value: undefined };
  const range = `from 1 to ${spec.max.toLocaleString('en')}`;
  if (!/^\d+$/.test(text)) return { error: `must be a whole number of ${spec.unit}, ${range}` };
  const value = Number(text);
  if (value === 0 && spec.zero) return { error: spec.zero };
  if (!Number.isSafeInteger(value) || value < 1 || value > spec.max) return { error: `must be ${range}` };
  return { value };
}

/** An http(s) address, without the trailing slash (as the node keeps its own llm.base_url). */
function readAddress(text: string): { value: string } | { error: string } {
  const error = { error: 'must be an http:// or https:// address, such as http://localhost:11434/v1' };
  if (!/^https?:\/\/\S+$/.test(text)) return error;
  try {
    new URL(text);
  } catch {
    return error;
  }
  return { value: text.replace(/\/+$/, '') };
}

/**
 * The `llm` object to send (undefined when every field is left to the node), and every
 * key that is not valid, as `llm.<key>` (or `llm` itself) with what is wrong.
 */
export function readLlm(draft: ConfigDraft): { value: Record<string, unknown> | undefined; errors: Record<string, string> } {
  const value: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const whole = draft[LLM_KEY];
  if (whole !== undefined) {
    errors[LLM_KEY] = `is saved as ${typeof whole === 'string' ? whole : 'a value'}, not an object of the keys below, so the node ignores it: remove it`;
  }
  const enabled = draft[llmDraftKey('enabled')];
  if (typeof enabled === 'boolean') value.enabled = enabled;
  else if (enabled !== undefined) errors[llmDraftKey('enabled')] = `is saved as ${enabled}, which the node cannot read: tick or untick “Use a language model”`;
  for (const key of TEXT_KEYS) {
    const raw = draft[llmDraftKey(key)];
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') continue;
    if (key === 'provider') {
      if ((LLM_PROVIDERS as readonly string[]).includes(text)) value.provider = text;
      else errors[llmDraftKey(key)] = `must be ${LLM_PROVIDERS.join(' or ')}: the node fails the agent’s model requests with “${text}”`;
    } else if (key === 'base_url') {
      const address = readAddress(text);
      if ('error' in address) errors[llmDraftKey(key)] = address.error;
      else value.base_url = address.value;
    } else value[key] = text;
  }
  for (const spec of LLM_BUDGET_FIELDS) {
    const read = readNumber(spec, draft[llmDraftKey(spec.key)]);
    if ('error' in read) errors[llmDraftKey(spec.key)] = read.error;
    else if (read.value !== undefined) value[spec.key] = read.value;
  }
  for (const key of unknownLlmKeys(draft)) errors[llmDraftKey(key)] = unknownKeyMessage(key);
  return { value: Object.keys(value).length > 0 ? value : undefined, errors };
}

/** The draft without the `llm` section's entries. */
export function withoutLlm(draft: ConfigDraft): ConfigDraft {
  return Object.fromEntries(Object.entries(draft).filter(([key]) => !isLlmDraftKey(key)));
}
