import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { ConfigError, ConfigForm, configurationOf, draftOf, type ConfigDraft } from './ConfigForm';
import { llmChoicesOf, llmDraftOf, modelRefusal, offersLlm, readLlm, unknownLlmKeys, type LlmChoices } from './llmConfig';

afterEach(cleanup);

/** The code review agent's default configuration as GET /api/agents/types lists it. */
const DEFAULTS = { post: 'approval', max_comments: 30 };
const DEPLOYMENT_DEFAULTS = { paths: ['/'], timeout_ms: 10_000, slow_ms: 1_500, healthy_at: 70, ready_timeout_seconds: 900, ready_poll_ms: 5_000 };
const FULL = { enabled: false, model: 'gpt-4o', tokens_per_day: 50_000, requests_per_minute: 5, max_tokens: 800 };
/** The node's model, and the models an agent may choose as GET /api/settings/llm lists them. */
const CHOICES: LlmChoices = { nodeModel: 'gpt-4o-mini', allowedModels: ['gpt-4o-mini', 'gpt-4o'] };

describe('an agent’s llm, read from the form', () => {
  it('round-trips every key the node reads, with its type', () => {
    const configuration = { ...DEFAULTS, llm: FULL };
    expect(configurationOf(draftOf(configuration), DEFAULTS, 'code_review')).toEqual(configuration);
  });

  it('leaves an empty field to the node, and no llm at all when every field is', () => {
    expect(configurationOf(draftOf(DEFAULTS), DEFAULTS, 'code_review')).toEqual(DEFAULTS);
    const draft = { ...draftOf(DEFAULTS), 'llm.model': '  gpt-4o ', 'llm.tokens_per_day': ' ', 'llm.max_tokens': '' };
    expect(configurationOf(draft, DEFAULTS, 'code_review')).toEqual({ ...DEFAULTS, llm: { model: 'gpt-4o' } });
    // null is "not set" to the node, as an absent key is.
    expect(draftOf({ ...DEFAULTS, llm: null })).toEqual(draftOf(DEFAULTS));
    expect(draftOf({ ...DEFAULTS, llm: { model: null, max_tokens: 700 } })).toEqual({ ...draftOf(DEFAULTS), 'llm.max_tokens': '700' });
  });

  it('names every key that is not valid, since the node would ignore the whole llm for one', () => {
    const draft = {
      ...draftOf(DEFAULTS),
      'llm.enabled': '"false"',
      'llm.tokens_per_day': '0',
      'llm.requests_per_minute': '1.5',
      'llm.max_tokens': '4294967296',
    };
    expect(readLlm(draft).errors).toEqual({
      'llm.enabled': 'is saved as "false", which the node cannot read: tick or untick “Use a language model”',
      'llm.tokens_per_day': 'must be 1 or more: for an agent, 0 lets no request through (only the node’s own setting reads 0 as no limit); to stop its model, untick “Use a language model”',
      'llm.requests_per_minute': 'must be a whole number of requests, from 1 to 4,294,967,295',
      'llm.max_tokens': 'must be from 1 to 4,294,967,295',
    });
    expect(() => configurationOf(draft, DEFAULTS, 'code_review')).toThrow(ConfigError);
  });

  it('keeps a key the node does not read by name only, so a stored secret never enters the form', () => {
    const draft = draftOf({ ...DEFAULTS, llm: { model: 'gpt-4o-mini', api_key: 'sk-live-0123456789', temperature: 0.2 } });
    expect(JSON.stringify(draft)).not.toContain('sk-live-0123456789');
    expect(unknownLlmKeys(draft)).toEqual(['api_key', 'temperature']);
    expect(readLlm(draft).errors).toEqual({
      'llm.api_key': 'the node never takes a key or other secret from an agent’s configuration (it uses its own setting, llm.api_key) and ignores the agent’s whole llm while this is here: remove it',
      'llm.temperature': 'the node reads no llm.temperature (only enabled, model, tokens_per_day, requests_per_minute, max_tokens) and ignores the agent’s whole llm while it is here: remove it',
    });
    expect(() => configurationOf(draft, DEFAULTS, 'code_review')).toThrow(ConfigError);
  });

  it('names a provider or address saved before as keys the node refuses, without their values', () => {
    const draft = draftOf({ ...DEFAULTS, llm: { provider: 'openai', base_url: 'https://attacker.test/v1', model: 'gpt-4o' } });
    expect(JSON.stringify(draft)).not.toContain('attacker.test');
    expect(unknownLlmKeys(draft)).toEqual(['provider', 'base_url']);
    const refused = 'an agent cannot choose the model’s address or provider: the node sends its API key only to the operator’s llm.base_url, and refuses the configuration while this is here: remove it';
    expect(readLlm(draft).errors).toEqual({ 'llm.provider': refused, 'llm.base_url': refused });
    expect(() => configurationOf(draft, DEFAULTS, 'code_review')).toThrow(ConfigError);
  });

  it('takes only a model the node allows, once it is known which', () => {
    expect(modelRefusal('gpt-4o', CHOICES.allowedModels)).toBeNull();
    expect(modelRefusal('llama3.1', undefined)).toBeNull();
    expect(modelRefusal('llama3.1', CHOICES.allowedModels)).toBe('is not a model the node allows (gpt-4o-mini, gpt-4o): choose one of them, or leave it to the node’s');
    expect(modelRefusal('llama3.1', [])).toBe('the node has no model set, so an agent cannot choose one: leave it to the node’s');
    const draft = draftOf({ ...DEFAULTS, llm: { model: 'llama3.1' } });
    expect(() => configurationOf(draft, DEFAULTS, 'code_review', CHOICES.allowedModels)).toThrow(ConfigError);
    expect(configurationOf(draftOf({ ...DEFAULTS, llm: { model: 'gpt-4o' } }), DEFAULTS, 'code_review', CHOICES.allowedModels)).toEqual({ ...DEFAULTS, llm: { model: 'gpt-4o' } });
  });

  it('reads the node’s model and the allowed models from its settings', () => {
    expect(llmChoicesOf(undefined)).toBeUndefined();
    expect(llmChoicesOf({ model: 'gpt-4o-mini', allowed_models: ['gpt-4o-mini', 'gpt-4o'] })).toEqual(CHOICES);
    expect(llmChoicesOf({ model: null, allowed_models: [] })).toEqual({ nodeModel: null, allowedModels: [] });
    // A node that does not list them leaves the model unchecked.
    expect(llmChoicesOf({ model: 'gpt-4o-mini' } as Parameters<typeof llmChoicesOf>[0])).toEqual({ nodeModel: 'gpt-4o-mini', allowedModels: undefined });
  });

  it('refuses an llm that is not an object, without showing it', () => {
    expect(llmDraftOf('sk-live-0123456789')).toEqual({ llm: 'a text' });
    expect(readLlm(draftOf({ llm: ['gpt-4o'] })).errors).toEqual({ llm: 'is saved as a list, not an object of the keys below, so the node ignores it: remove it' });
  });

  it('is offered to the types that ask a model, and wherever the configuration has an llm', () => {
    expect(offersLlm('code_review', draftOf(DEFAULTS))).toBe(true);
    expect(offersLlm('deployment', draftOf(DEPLOYMENT_DEFAULTS))).toBe(true);
    expect(offersLlm('notification', draftOf({}))).toBe(false);
    expect(offersLlm('notification', draftOf({ llm: { enabled: false } }))).toBe(true);
    expect(offersLlm(undefined, draftOf({ llm: 'x' }))).toBe(true);
  });

  it('reads the other keys of a deployment agent with an llm as before', () => {
    const configuration = { ...DEPLOYMENT_DEFAULTS, llm: { tokens_per_day: 1000 } };
    expect(configurationOf(draftOf(configuration), DEPLOYMENT_DEFAULTS, 'deployment')).toEqual(configuration);
  });
});

function Harness({
  initial,
  type = 'code_review',
  defaults = DEFAULTS,
  choices = CHOICES,
  onSaved,
}: {
  initial: Record<string, unknown>;
  type?: string;
  defaults?: Record<string, unknown>;
  choices?: LlmChoices | undefined;
  onSaved: (configuration: Record<string, unknown>) => void;
}) {
  const [draft, setDraft] = useState<ConfigDraft>(draftOf(initial));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = () => {
    setErrors({});
    try {
      onSaved(configurationOf(draft, defaults, type, choices?.allowedModels));
    } catch (error) {
      if (error instanceof ConfigError) setErrors(error.errors);
    }
  };
  return (
    <>
      <ConfigForm draft={draft} defaults={defaults} agentType={type} errors={errors} onChange={setDraft} llmChoices={choices} />
      <button type="button" onClick={save}>
        Save
      </button>
    </>
  );
}

describe('the llm fields', () => {
  it('are labelled inputs of the right types, with the node’s defaults as hints', () => {
    render(<Harness initial={DEFAULTS} onSaved={() => undefined} />);
    const section = screen.getByTestId('llm-config');
    expect(screen.getByRole('group', { name: 'Language model' })).toBe(section);
    expect(screen.getByLabelText('Use a language model')).toBeChecked();
    // The model is a choice among those the node allows; no provider or address to choose.
    const model = screen.getByLabelText('Model');
    expect(model).toHaveValue('');
    expect(within(model).getAllByRole('option').map((option) => [(option as HTMLOptionElement).value, option.textContent])).toEqual([
      ['', 'The node’s model (gpt-4o-mini)'],
      ['gpt-4o-mini', 'gpt-4o-mini'],
      ['gpt-4o', 'gpt-4o'],
    ]);
    expect(screen.queryByLabelText('Provider')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('API address')).not.toBeInTheDocument();
    for (const label of ['Tokens per day', 'Requests per minute', 'Longest answer (tokens)']) {
      expect(screen.getByLabelText(label)).toHaveAttribute('type', 'number');
      expect(screen.getByLabelText(label)).toHaveAttribute('min', '1');
      expect(screen.getByLabelText(label)).toHaveValue(null);
    }
    expect(screen.getByText(/200,000 unless the node sets another/)).toBeInTheDocument();
    expect(screen.getByText(/20 unless the node sets another/)).toBeInTheDocument();
    expect(screen.getByText(/Empty: 1,024\./)).toBeInTheDocument();
    // The key is the node's: no field for one, and no raw JSON of the llm.
    expect(screen.queryByLabelText(/api key/i)).not.toBeInTheDocument();
    expect(screen.queryByLabelText('llm')).not.toBeInTheDocument();
    // The code review's own keys keep their generic fields.
    expect(screen.getByLabelText('max_comments')).toHaveValue(30);
  });

  it('shows what is wrong next to the field, until the value is fixed, and saves what the node reads', async () => {
    let saved: Record<string, unknown> | null = null;
    render(<Harness initial={DEFAULTS} onSaved={(configuration) => (saved = configuration)} />);
    const tokens = screen.getByLabelText('Tokens per day');
    const requests = screen.getByLabelText('Requests per minute');
    await userEvent.type(tokens, '0');
    await userEvent.type(requests, '1.5');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toBeNull();
    expect(tokens).toHaveAttribute('aria-invalid', 'true');
    expect(tokens).toHaveAccessibleDescription(/^must be 1 or more: for an agent, 0 lets no request through/);
    expect(requests).toHaveAccessibleDescription('must be a whole number of requests, from 1 to 4,294,967,295');

    await userEvent.clear(tokens);
    await userEvent.type(tokens, '50000');
    expect(tokens).not.toHaveAttribute('aria-invalid');
    expect(requests).toHaveAttribute('aria-invalid', 'true');

    await userEvent.clear(requests);
    await userEvent.type(requests, '5');
    await userEvent.selectOptions(screen.getByLabelText('Model'), 'gpt-4o');
    await userEvent.click(screen.getByLabelText('Use a language model'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toEqual({ ...DEFAULTS, llm: { enabled: false, model: 'gpt-4o', tokens_per_day: 50_000, requests_per_minute: 5 } });
  });

  it('never shows a stored secret, names its key, and saves without it once removed', async () => {
    let saved: Record<string, unknown> | null = null;
    const { container } = render(<Harness initial={{ ...DEFAULTS, llm: { model: 'gpt-4o-mini', api_key: 'sk-live-0123456789' } }} onSaved={(configuration) => (saved = configuration)} />);
    expect(container.textContent).not.toContain('sk-live-0123456789');
    for (const input of container.querySelectorAll('input, textarea, select')) expect((input as HTMLInputElement).value).not.toContain('sk-live-0123456789');
    expect(within(screen.getByTestId('llm-unknown')).getByText('llm.api_key')).toBeInTheDocument();
    expect(screen.getByLabelText('Model')).toHaveValue('gpt-4o-mini');
    expect(screen.getByLabelText('Model')).not.toHaveAttribute('aria-invalid');

    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Remove llm.api_key' }));
    expect(screen.queryByTestId('llm-unknown')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toEqual({ ...DEFAULTS, llm: { model: 'gpt-4o-mini' } });
  });

  it('names a provider and address saved before as refused, without their values, and saves without them once removed', async () => {
    let saved: Record<string, unknown> | null = null;
    const { container } = render(<Harness initial={{ ...DEFAULTS, llm: { provider: 'openai', base_url: 'https://attacker.test/v1', model: 'gpt-4o' } }} onSaved={(configuration) => (saved = configuration)} />);
    expect(container.textContent).not.toContain('attacker.test');
    for (const input of container.querySelectorAll('input, textarea, select')) expect((input as HTMLInputElement).value).not.toContain('attacker.test');
    const unknown = screen.getByTestId('llm-unknown');
    expect(within(unknown).getByText('llm.provider')).toBeInTheDocument();
    expect(within(unknown).getByText('llm.base_url')).toBeInTheDocument();
    expect(unknown).toHaveTextContent('an agent cannot choose the model’s address or provider');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Remove llm.provider' }));
    await userEvent.click(screen.getByRole('button', { name: 'Remove llm.base_url' }));
    expect(screen.queryByTestId('llm-unknown')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toEqual({ ...DEFAULTS, llm: { model: 'gpt-4o' } });
  });

  it('shows the node’s model as plain text when it allows no other', () => {
    render(<Harness initial={DEFAULTS} choices={{ nodeModel: 'gpt-4o-mini', allowedModels: ['gpt-4o-mini'] }} onSaved={() => undefined} />);
    expect(screen.queryByLabelText('Model')).not.toBeInTheDocument();
    expect(screen.getByTestId('llm-model-fixed')).toHaveTextContent('The node’s model, gpt-4o-mini');
    cleanup();
    render(<Harness initial={DEFAULTS} choices={{ nodeModel: null, allowedModels: [] }} onSaved={() => undefined} />);
    expect(screen.getByTestId('llm-model-fixed')).toHaveTextContent('The node’s model (none set)');
  });

  it('flags a saved model the node does not allow, and saves once the node’s is chosen', async () => {
    let saved: Record<string, unknown> | null = null;
    render(<Harness initial={{ ...DEFAULTS, llm: { model: 'llama3.1', max_tokens: 700 } }} choices={{ nodeModel: 'gpt-4o-mini', allowedModels: ['gpt-4o-mini'] }} onSaved={(configuration) => (saved = configuration)} />);
    const model = screen.getByLabelText('Model');
    expect(model).toHaveValue('llama3.1');
    expect(within(model).getByRole('option', { name: 'llama3.1 (not allowed)' })).toBeInTheDocument();
    expect(model).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('is not a model the node allows (gpt-4o-mini): choose one of them, or leave it to the node’s')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toBeNull();
    await userEvent.selectOptions(model, '');
    // Nothing left to choose: the node's model as text.
    expect(screen.getByTestId('llm-model-fixed')).toHaveTextContent('gpt-4o-mini');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toEqual({ ...DEFAULTS, llm: { max_tokens: 700 } });
  });

  it('shows an llm that is not an object without its value, until it is removed', async () => {
    let saved: Record<string, unknown> | null = null;
    const { container } = render(<Harness initial={{ ...DEFAULTS, llm: 'sk-live-0123456789' }} onSaved={(configuration) => (saved = configuration)} />);
    expect(container.textContent).not.toContain('sk-live-0123456789');
    expect(screen.getByTestId('llm-not-object')).toHaveTextContent('llm is saved as a text, not an object of the keys below, so the node ignores it: remove it');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Remove llm' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toEqual(DEFAULTS);
  });

  it('appear next to another type’s fields when its configuration has an llm, saying the type asks no model', async () => {
    let saved: Record<string, unknown> | null = null;
    render(<Harness type="notification" defaults={{}} initial={{ llm: { enabled: false } }} onSaved={(configuration) => (saved = configuration)} />);
    expect(screen.getByTestId('llm-unused')).toHaveTextContent('A notification agent asks no model today');
    expect(screen.getByLabelText('Use a language model')).not.toBeChecked();
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toEqual({ llm: { enabled: false } });
  });

  it('are not offered to a type that asks no model when its configuration has no llm', () => {
    render(<Harness type="notification" defaults={{}} initial={{}} onSaved={() => undefined} />);
    expect(screen.queryByTestId('llm-config')).not.toBeInTheDocument();
  });
});
