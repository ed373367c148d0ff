// An agent's own choice and limits of the language model (crates/actors/src/llm.rs,
// AgentLlm): the `llm` object of its configuration, with exactly these keys — `enabled`,
// `model`, `tokens_per_day`, `requests_per_minute`, `max_tokens` — each optional, each
// falling back to the node's `llm.*` settings. The model's address, provider and API key
// are always the node's: the node sends its key only to the operator's `llm.base_url`, so
// it refuses an agent's `provider` or `base_url` (and never takes a key from one). The
// model, when set, must be one the node allows (GET /api/settings/llm, `allowed_models`:
// the node's own model, then the operator's `llm.allowed_models`).
//
// The node reads the object at once and, when any key is unknown or of the wrong type (a
// string for a number, a fraction, a negative number, an `api_key`), refuses or ignores
// the whole object, `enabled: false` included; so each key is checked here before it is
// sent, an empty field is left out (the node then uses its own), and a key the node does
// not take (a `provider` or `base_url` saved before, too) is named, without its value,
// until it is removed. Pure, so it is unit-tested.
//
// In the form's draft the object is kept flat, one entry a key (`llm.model`, …): a text
// or number as typed, `llm.enabled` as a boolean. An unknown key is kept by name only (its
// value, which may be a secret, never enters the form), and an `llm` that is not an
// object stays under `llm`, also without its value.
import type { ConfigDraft } from './ConfigForm';
import type { LlmSettings } from '../../api/models';

export const LLM_KEY = 'llm';
const PREFIX = `${LLM_KEY}.`;

/** The agent types whose work asks a model (crates/actors/src: `ctx.llm`): the code review's written review, the deployment agent's second reading of a failed build. */
export const LLM_AGENT_TYPES = new Set<string>(['code_review', 'deployment']);

/** Keys an agent's `llm` had before, which the node now refuses: the model's address and provider are the operator's. */
export const LLM_REFUSED_KEYS: readonly string[] = ['provider', 'base_url'];

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

const NUMBER_KEYS = LLM_BUDGET_FIELDS.map((spec) => spec.key);
/** Every key the node reads from an agent's `llm`, in the order the form shows them. */
export const LLM_KNOWN_KEYS: readonly string[] = ['enabled', 'model', ...NUMBER_KEYS];

/** What the node offers an agent's model field (GET /api/settings/llm). */
export interface LlmChoices {
  /** The node's own model (`llm.model`), null when it has none. */
  nodeModel: string | null;
  /** The models an agent may choose, the node's own first; undefined when the node does not say. */
  allowedModels: readonly string[] | undefined;
}

/** The choices from the node's settings (undefined while they are not read). */
export function llmChoicesOf(settings: Pick<LlmSettings, 'model' | 'allowed_models'> | null | undefined): LlmChoices | undefined {
  if (!settings) return undefined;
  const allowed = Array.isArray(settings.allowed_models) ? settings.allowed_models.filter((model): model is string => typeof model === 'string' && model !== '') : undefined;
  return { nodeModel: settings.model?.trim() || null, allowedModels: allowed };
}

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
  if (LLM_REFUSED_KEYS.includes(key)) {
    return 'an agent cannot choose the model’s address or provider: the node sends its API key only to the operator’s llm.base_url, and refuses the configuration while this is here: remove it';
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

/**
 * Why an agent may not have this model (null: it may): it must be one of the models the
 * node allows. Unchecked (null) while the allowed models are not known.
 */
export function modelRefusal(model: string, allowedModels: readonly string[] | undefined): string | null {
  if (allowedModels === undefined || allowedModels.includes(model)) return null;
  if (allowedModels.length === 0) return 'the node has no model set, so an agent cannot choose one: leave it to the node’s';
  return `is not a model the node allows (${allowedModels.join(', ')}): choose one of them, or leave it to the node’s`;
}

/**
 * The `llm` object to send (undefined when every field is left to the node), and every
 * key that is not valid, as `llm.<key>` (or `llm` itself) with what is wrong. The model is
 * checked against `allowedModels` when they are known.
 */
export function readLlm(draft: ConfigDraft, allowedModels?: readonly string[]): { value: Record<string, unknown> | undefined; errors: Record<string, string> } {
  const value: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const whole = draft[LLM_KEY];
  if (whole !== undefined) {
    errors[LLM_KEY] = `is saved as ${typeof whole === 'string' ? whole : 'a value'}, not an object of the keys below, so the node ignores it: remove it`;
  }
  const enabled = draft[llmDraftKey('enabled')];
  if (typeof enabled === 'boolean') value.enabled = enabled;
  else if (enabled !== undefined) errors[llmDraftKey('enabled')] = `is saved as ${enabled}, which the node cannot read: tick or untick “Use a language model”`;
  const rawModel = draft[llmDraftKey('model')];
  const model = typeof rawModel === 'string' ? rawModel.trim() : '';
  if (model !== '') {
    const refused = modelRefusal(model, allowedModels);
    if (refused) errors[llmDraftKey('model')] = refused;
    else value.model = model;
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
