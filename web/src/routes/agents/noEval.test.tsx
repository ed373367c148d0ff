// The configuration form under the console's Content-Security-Policy, which has no
// 'unsafe-eval': nothing may turn a string into code (`eval`, `new Function`). Here both
// refuse, as the browser does, and note each attempt, so that one caught and swallowed
// still fails the test. Only the test's own DOM (jsdom) is let through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useRef, useState, type ComponentType } from 'react';
import fixture from './agentTypes.fixture.json';
import { knownConfiguration, schemaOf, type ConfigurationSchema } from './configSchema';
import type { ConfigFormHandle } from './ConfigForm';

const TYPES = fixture as { items: { type: string; default_configuration: Record<string, unknown>; configuration_schema: Record<string, unknown> }[] };
const typeOf = (name: string) => TYPES.items.find((item) => item.type === name)!;

const attempts: string[] = [];
const refuse = (what: string) => {
  attempts.push(what);
  return new EvalError(`${what}: evaluating a string as JavaScript is refused by the Content Security Policy`);
};
const realFunction = globalThis.Function;
const realEval = globalThis.eval;
const realConstructor = Object.getOwnPropertyDescriptor(realFunction.prototype, 'constructor')!;
/** jsdom's CSS selector engine (nwsapi), which builds its matchers with `Function`: the test's DOM, not the console. */
const fromTestDom = () => /[\\/]nwsapi[\\/]/.test(new Error().stack ?? '');
const refusingFunction: FunctionConstructor = new Proxy(realFunction, {
  construct: (target, args: string[], newTarget): object => {
    if (fromTestDom()) return Reflect.construct(target, args, newTarget === refusingFunction ? target : newTarget) as object;
    throw refuse('new Function');
  },
  apply: (target, self, args: string[]): unknown => {
    if (fromTestDom()) return Reflect.apply(target, self, args);
    throw refuse('Function');
  },
});

type ConfigFormType = ComponentType<{
  schema: ConfigurationSchema | null;
  formData: Record<string, unknown>;
  onChange: (formData: Record<string, unknown>) => void;
  handle: React.Ref<ConfigFormHandle | null>;
}>;
let ConfigForm: ConfigFormType;

beforeAll(async () => {
  globalThis.Function = refusingFunction;
  // `(function () {}).constructor` reaches the same constructor.
  Object.defineProperty(realFunction.prototype, 'constructor', { ...realConstructor, value: refusingFunction });
  globalThis.eval = () => {
    throw refuse('eval');
  };
  // The form, its library and its validator load with both refused.
  ({ ConfigForm } = await import('./ConfigForm'));
});

afterAll(() => {
  cleanup();
  globalThis.Function = realFunction;
  Object.defineProperty(realFunction.prototype, 'constructor', realConstructor);
  globalThis.eval = realEval;
});

let lastRead: Record<string, unknown> | null | undefined;

function Harness({ type }: { type: string }) {
  const schema = schemaOf(typeOf(type));
  const [formData, setFormData] = useState(() => knownConfiguration(typeOf(type).default_configuration, schema).configuration);
  const handle = useRef<ConfigFormHandle | null>(null);
  return (
    <>
      <ConfigForm schema={schema} formData={formData} onChange={setFormData} handle={handle} />
      <button type="button" onClick={() => (lastRead = handle.current?.read())}>
        Read
      </button>
    </>
  );
}

describe('the configuration form without eval', () => {
  it('refuses code from a string here, as the browser does', () => {
    expect(() => new Function('return 1')).toThrow(EvalError);
    expect(() => (0, globalThis.eval)('1')).toThrow(EvalError);
    attempts.length = 0;
  });

  it('validates the deployment agent’s configuration and shows each error next to its field', async () => {
    render(<Harness type="deployment" />);
    const schema = typeOf('deployment').configuration_schema as { properties: { healthy_at: { maximum: number } } };
    const healthy = await screen.findByLabelText('Healthy at', { exact: true });
    await userEvent.clear(healthy);
    await userEvent.type(healthy, String(schema.properties.healthy_at.maximum + 1));
    // A path must start with /.
    const paths = screen.getByRole('group', { name: 'Paths' });
    await userEvent.click(within(paths).getByRole('button', { name: 'Add to Paths' }));
    const items = within(paths).getAllByRole('textbox');
    await userEvent.type(items[items.length - 1]!, 'health');
    // An optional object's choice (`anyOf` of a `$ref` and null) follows the value.
    await userEvent.selectOptions(screen.getByLabelText('LLM', { exact: true }), 'Set here');
    const tokens = await screen.findByLabelText('Tokens per day', { exact: true });
    await userEvent.type(tokens, '0');

    await userEvent.click(screen.getByRole('button', { name: 'Read' }));
    expect(lastRead).toBeNull();
    expect(healthy).toHaveAttribute('aria-invalid', 'true');
    expect(healthy).toHaveAccessibleDescription(`must be at most ${schema.properties.healthy_at.maximum}`);
    expect(items[items.length - 1]).toHaveAccessibleDescription('must start with /');
    expect(tokens).toHaveAccessibleDescription('must be at least 1');
    expect(screen.getByLabelText('LLM', { exact: true })).toHaveDisplayValue('Set here');

    // Fixed, the errors go as they are typed, and the form reads.
    await userEvent.clear(healthy);
    await userEvent.type(healthy, '80');
    await userEvent.type(items[items.length - 1]!, '{Home}/');
    await userEvent.clear(tokens);
    await userEvent.type(tokens, '500');
    expect(healthy).not.toHaveAttribute('aria-invalid');
    await userEvent.click(screen.getByRole('button', { name: 'Read' }));
    expect(lastRead).toMatchObject({ healthy_at: 80, llm: { tokens_per_day: 500 } });
    expect((lastRead as { paths: string[] }).paths.at(-1)).toBe('/health');

    expect(attempts).toEqual([]);
  });
});
