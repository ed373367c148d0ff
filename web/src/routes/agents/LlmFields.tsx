// The agent's own choice and limits of the language model (its configuration's `llm`) as
// labelled fields: whether it uses one, the provider, address and model, and its budgets.
// A key the node does not read is named without its value, with a button to remove it.
import { Trash2 } from 'lucide-react';
import { Button, Field, Input, Mono, Select, useFieldId } from '../../components/ui';
import type { ConfigDraft } from './ConfigForm';
import { LLM_AGENT_TYPES, LLM_BUDGET_FIELDS, LLM_KEY, LLM_PROVIDERS, llmDraftKey, readLlm, unknownKeyMessage, unknownLlmKeys, type LlmNumberSpec } from './llmConfig';

const ERROR_TEXT = 'text-[12px] text-red-700 dark:text-red-400';

export function LlmFields({ draft, onChange, errors, agentType }: { draft: ConfigDraft; onChange: (draft: ConfigDraft) => void; errors: Record<string, string>; agentType?: string | undefined }) {
  const base = useFieldId('llm');
  // A field's error, once saving found one, follows the value: it goes when the value is
  // fixed and says what is wrong with the value now.
  const now = readLlm(draft).errors;
  const errorOf = (key: string) => (errors[llmDraftKey(key)] !== undefined ? now[llmDraftKey(key)] : undefined);
  const text = (key: string) => {
    const value = draft[llmDraftKey(key)];
    return typeof value === 'string' ? value : '';
  };
  const set = (key: string, value: string | boolean) => onChange({ ...draft, [llmDraftKey(key)]: value });
  const remove = (entry: string) => onChange(Object.fromEntries(Object.entries(draft).filter(([key]) => key !== entry)));

  const enabled = draft[llmDraftKey('enabled')];
  const enabledId = `${base}-enabled`;
  const enabledError = errorOf('enabled');
  const provider = text('provider').trim();
  const providerId = `${base}-provider`;
  const providerError = errorOf('provider');
  const addressId = `${base}-base_url`;
  const addressError = errorOf('base_url');
  const modelId = `${base}-model`;
  const unknown = unknownLlmKeys(draft);
  const whole = draft[LLM_KEY];

  const number = (spec: LlmNumberSpec) => {
    const id = `${base}-${spec.key}`;
    const error = errorOf(spec.key);
    return (
      <Field key={spec.key} label={spec.label} htmlFor={id} error={error} hint={spec.hint}>
        <Input id={id} name={llmDraftKey(spec.key)} type="number" inputMode="numeric" min={1} max={spec.max} step={1} placeholder="the node’s" value={text(spec.key)} onChange={(event) => set(spec.key, event.target.value)} invalid={Boolean(error)} />
      </Field>
    );
  };

  return (
    <fieldset className="space-y-3 rounded-md border border-line p-3" data-testid="llm-config">
      <legend className="px-1 text-[12px] font-semibold">Language model</legend>
      <p className="text-[12px] text-muted">
        The agent asks the node’s language model (its <Mono>llm.*</Mono> settings) when the node has one. Here it can do without, use another provider, address or model, and keep budgets of its own. The API key is always the node’s: an agent’s configuration holds none.
      </p>
      {agentType !== undefined && !LLM_AGENT_TYPES.has(agentType) && (
        <p className="text-[12px] text-muted" data-testid="llm-unused">
          A <Mono>{agentType}</Mono> agent asks no model today: the node keeps these settings without using them.
        </p>
      )}
      {whole !== undefined && (
        <div className="flex items-start justify-between gap-2" data-testid="llm-not-object">
          <p className={ERROR_TEXT}>
            <Mono>llm</Mono> {readLlm({ [LLM_KEY]: whole }).errors[LLM_KEY]}
          </p>
          <Button size="sm" variant="ghost" icon={<Trash2 className="size-3.5" aria-hidden />} onClick={() => remove(LLM_KEY)}>
            Remove llm
          </Button>
        </div>
      )}
      <div className="space-y-1">
        <label htmlFor={enabledId} className="flex items-center gap-2 text-[13px]">
          <input
            id={enabledId}
            name={llmDraftKey('enabled')}
            type="checkbox"
            checked={enabled !== false}
            onChange={(event) => set('enabled', event.target.checked)}
            aria-invalid={enabledError ? true : undefined}
            aria-describedby={enabledError ? `${enabledId}-error` : undefined}
            className="size-4 accent-[var(--accent)]"
          />
          <span>Use a language model</span>
        </label>
        {enabledError ? (
          <p id={`${enabledId}-error`} className={ERROR_TEXT}>
            {enabledError}
          </p>
        ) : (
          <p className="text-[12px] text-muted">Unticked, the agent works without one (its rules alone), whatever the node has; the settings below are kept.</p>
        )}
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Provider" htmlFor={providerId} error={providerError} hint="openai also speaks to compatible servers (Ollama, vLLM, llama.cpp). Empty: the node’s. Another provider keeps the node’s address and key: give its address too.">
          <Select id={providerId} name={llmDraftKey('provider')} value={provider} onChange={(event) => set('provider', event.target.value)} invalid={Boolean(providerError)} aria-describedby={providerError ? `${providerId}-error` : undefined}>
            <option value="">The node’s</option>
            {LLM_PROVIDERS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
            {provider !== '' && !(LLM_PROVIDERS as readonly string[]).includes(provider) && <option value={provider}>{provider} (not a provider)</option>}
          </Select>
        </Field>
        <Field label="API address" htmlFor={addressId} error={addressError} hint="The provider’s API root, such as http://localhost:11434/v1 for Ollama. Empty: the node’s (llm.base_url, else its provider’s own).">
          <Input id={addressId} name={llmDraftKey('base_url')} type="url" inputMode="url" autoComplete="off" spellCheck={false} placeholder="the node’s" value={text('base_url')} onChange={(event) => set('base_url', event.target.value)} invalid={Boolean(addressError)} />
        </Field>
        <Field label="Model" htmlFor={modelId} hint="The model id as the provider names it (gpt-4o-mini, claude-sonnet-4-5, llama3.1). Empty: the node’s (llm.model).">
          <Input id={modelId} name={llmDraftKey('model')} autoComplete="off" spellCheck={false} placeholder="the node’s" value={text('model')} onChange={(event) => set('model', event.target.value)} />
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-3">{LLM_BUDGET_FIELDS.map(number)}</div>
      {unknown.length > 0 && (
        <div className="space-y-1.5" data-testid="llm-unknown">
          <p className="text-[12px] font-medium">Saved keys the node does not read (their values are not shown)</p>
          <ul className="space-y-1.5">
            {unknown.map((key) => (
              <li key={key} className="flex items-start justify-between gap-2">
                <p className={ERROR_TEXT}>
                  <Mono>llm.{key}</Mono>: {unknownKeyMessage(key)}
                </p>
                <Button size="sm" variant="ghost" icon={<Trash2 className="size-3.5" aria-hidden />} onClick={() => remove(llmDraftKey(key))} aria-label={`Remove llm.${key}`}>
                  Remove
                </Button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </fieldset>
  );
}
