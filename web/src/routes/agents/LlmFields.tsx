// The agent's own choice and limits of the language model (its configuration's `llm`) as
// labelled fields: whether it uses one, which of the models the node allows, and its
// budgets. The address, provider and key are the node's: a key the node does not take (a
// `provider` or `base_url` saved before, too) is named without its value, with a button
// to remove it.
import { Trash2 } from 'lucide-react';
import { Button, Field, Input, Mono, Select, useFieldId } from '../../components/ui';
import type { ConfigDraft } from './ConfigForm';
import { LLM_AGENT_TYPES, LLM_BUDGET_FIELDS, LLM_KEY, llmDraftKey, readLlm, unknownKeyMessage, unknownLlmKeys, type LlmChoices, type LlmNumberSpec } from './llmConfig';

const ERROR_TEXT = 'text-[12px] text-red-700 dark:text-red-400';

export function LlmFields({
  draft,
  onChange,
  errors,
  agentType,
  choices,
}: {
  draft: ConfigDraft;
  onChange: (draft: ConfigDraft) => void;
  errors: Record<string, string>;
  agentType?: string | undefined;
  /** The node's model and the models an agent may choose; undefined while not read. */
  choices?: LlmChoices | undefined;
}) {
  const base = useFieldId('llm');
  const allowed = choices?.allowedModels;
  // A field's error, once saving found one, follows the value: it goes when the value is
  // fixed and says what is wrong with the value now.
  const now = readLlm(draft, allowed).errors;
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
  const modelId = `${base}-model`;
  const model = text('model').trim();
  // A model saved before that the node does not allow is flagged at once: the node refuses it.
  const modelError = errorOf('model') ?? (model !== '' ? now[llmDraftKey('model')] : undefined);
  const nodeModel = choices?.nodeModel ?? null;
  const nodeModelLabel = choices ? `The node’s model (${nodeModel ?? 'none set'})` : 'The node’s model';
  // One allowed model or none leaves nothing to choose, unless a model saved before needs changing.
  const fixed = allowed !== undefined && allowed.length <= 1 && model === '';
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
        The agent asks the node’s language model (its <Mono>llm.*</Mono> settings) when the node has one. Here it can do without, choose another of the models the node allows, and keep budgets of its own. The model’s address, provider and API key are always the node’s: an agent’s configuration holds none.
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
      {fixed ? (
        <div className="space-y-1" data-testid="llm-model-fixed">
          <span className="text-[12px] font-medium">Model</span>
          <p className="text-[13px]">
            {nodeModel ? (
              <>
                The node’s model, <Mono>{nodeModel}</Mono>
              </>
            ) : (
              'The node’s model (none set)'
            )}
          </p>
          <p className="text-[12px] text-muted">The node allows no other model (its operator lists the others in llm.allowed_models).</p>
        </div>
      ) : (
        <div className="max-w-sm">
          <Field label="Model" htmlFor={modelId} error={modelError} hint="One of the models the node allows (its own, then its operator’s llm.allowed_models). The address, provider and API key are always the node’s.">
            <Select id={modelId} name={llmDraftKey('model')} value={model} onChange={(event) => set('model', event.target.value)} invalid={Boolean(modelError)} aria-describedby={modelError ? `${modelId}-error` : undefined}>
              <option value="">{nodeModelLabel}</option>
              {(allowed ?? []).map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
              {model !== '' && !(allowed ?? []).includes(model) && <option value={model}>{allowed === undefined ? model : `${model} (not allowed)`}</option>}
            </Select>
          </Field>
        </div>
      )}
      <div className="grid gap-3 sm:grid-cols-3">{LLM_BUDGET_FIELDS.map(number)}</div>
      {unknown.length > 0 && (
        <div className="space-y-1.5" data-testid="llm-unknown">
          <p className="text-[12px] font-medium">Saved keys the node does not take (their values are not shown)</p>
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
