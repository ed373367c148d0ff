import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useRef, useState } from 'react';
import fixture from './agentTypes.fixture.json';
import { ConfigForm, type ConfigFormHandle } from './ConfigForm';
import { configErrorsOf, configurationToSend, knownConfiguration, schemaOf, type ConfigErrorSchema } from './configSchema';
import { ApiProblem } from '../../api/problem';

afterEach(cleanup);

const TYPES = fixture as { items: { type: string; default_configuration: Record<string, unknown>; configuration_schema: Record<string, unknown> }[] };
const typeOf = (name: string) => TYPES.items.find((item) => item.type === name)!;

function Harness({ type, initial, extraErrors, onRead }: { type: string; initial?: Record<string, unknown>; extraErrors?: ConfigErrorSchema | null; onRead: (configuration: Record<string, unknown> | null) => void }) {
  const schema = schemaOf(typeOf(type));
  const known = knownConfiguration(initial ?? typeOf(type).default_configuration, schema);
  const [formData, setFormData] = useState(known.configuration);
  const handle = useRef<ConfigFormHandle | null>(null);
  return (
    <>
      <ConfigForm schema={schema} formData={formData} onChange={setFormData} extraErrors={extraErrors} dropped={known.dropped} handle={handle} />
      <button type="button" onClick={() => {
        const read = handle.current?.read();
        onRead(read ? configurationToSend(read) : null);
      }}>
        Read
      </button>
    </>
  );
}

/** What the form would send now (null: the schema refuses it). */
async function read(): Promise<Record<string, unknown> | null> {
  await userEvent.click(screen.getByRole('button', { name: 'Read' }));
  return lastRead;
}
let lastRead: Record<string, unknown> | null = null;
const remember = (configuration: Record<string, unknown> | null) => {
  lastRead = configuration;
};

describe('the notification agent’s configuration, from its schema', () => {
  it('edits its channels and routing rules as fields and lists, and sends them typed', async () => {
    render(<Harness type="notification" onRead={remember} />);
    await userEvent.type(await screen.findByLabelText('Default channel'), 'C0DEFAULT');
    await userEvent.type(screen.getByLabelText('Approvals channel'), 'C0APPROVE');
    const routes = screen.getByRole('group', { name: 'Routes' });
    await userEvent.click(within(routes).getByRole('button', { name: 'Add to Routes' }));
    const kinds = within(routes).getByRole('group', { name: 'Kinds' });
    await userEvent.click(within(kinds).getByRole('button', { name: 'Add to Kinds' }));
    await userEvent.type(within(kinds).getByRole('textbox'), 'deployment.*');
    await userEvent.selectOptions(within(routes).getByLabelText('Min severity'), 'high');
    await userEvent.type(within(routes).getByLabelText('Channel'), 'C0DEPLOYS');
    expect(await read()).toEqual({
      default_channel: 'C0DEFAULT',
      approvals_channel: 'C0APPROVE',
      routes: [{ kinds: ['deployment.*'], min_severity: 'high', channel: 'C0DEPLOYS' }],
    });
    await userEvent.click(within(routes).getByRole('button', { name: 'Remove item 1 of Routes' }));
    expect((await read())?.routes).toEqual([]);
  });

  it('refuses a rule left incomplete, next to its field', async () => {
    render(<Harness type="notification" onRead={remember} />);
    const routes = await screen.findByRole('group', { name: 'Routes' });
    await userEvent.click(within(routes).getByRole('button', { name: 'Add to Routes' }));
    expect(await read()).toBeNull();
    expect(within(routes).getByLabelText(/^Channel/)).toHaveAttribute('aria-invalid', 'true');
  });
});

describe('a saved configuration', () => {
  it('leaves out a key the schema does not list, saying so without its value', async () => {
    render(<Harness type="deployment" initial={{ ...typeOf('deployment').default_configuration, api_key: 'sk-never-shown' }} onRead={remember} />);
    expect(await screen.findByTestId('config-dropped')).toHaveTextContent('api_key');
    expect(screen.queryByText(/sk-never-shown/)).not.toBeInTheDocument();
    expect(await read()).not.toHaveProperty('api_key');
  });

  it('shows a refusal of the whole configuration above its fields', async () => {
    const errors = configErrorsOf(new ApiProblem({ title: 'Invalid request field', status: 422, detail: 'unknown field `foo`', field: 'configuration' }));
    render(<Harness type="deployment" extraErrors={errors} onRead={remember} />);
    expect(await screen.findByText('unknown field `foo`')).toBeInTheDocument();
  });
});

describe('a choice of constants', () => {
  it('is a select of the schema’s values', async () => {
    type Choice = { $ref?: string; oneOf?: { const: string }[]; enum?: string[] };
    const schema = typeOf('code_review').configuration_schema as { properties: { post: Choice }; $defs?: Record<string, Choice> };
    const post0 = schema.properties.post;
    const choice = post0.$ref ? schema.$defs?.[post0.$ref.replace('#/$defs/', '')] ?? {} : post0;
    const values = choice.oneOf?.map((option) => option.const) ?? choice.enum ?? [];
    expect(values.length).toBeGreaterThan(1);
    render(<Harness type="code_review" onRead={remember} />);
    const post = await screen.findByLabelText('Post');
    expect(within(post).getAllByRole('option').length).toBeGreaterThanOrEqual(values.length);
    await userEvent.selectOptions(post, within(post).getAllByRole('option').find((option) => option.textContent?.includes(values[values.length - 1]!))!);
    expect((await read())?.post).toBe(values[values.length - 1]);
  });
});

describe('the node’s refusal', () => {
  it('names the field as the form does', () => {
    const problem = (field: string) => new ApiProblem({ title: 'Invalid request field', status: 422, detail: 'no', field });
    expect(configErrorsOf(problem('configuration.healthy_at'))).toEqual({ healthy_at: { __errors: ['no'] } });
    expect(configErrorsOf(problem('configuration.llm.model'))).toEqual({ llm: { model: { __errors: ['no'] } } });
    expect(configErrorsOf(problem('configuration.routes[0].channel'))).toEqual({ routes: { 0: { channel: { __errors: ['no'] } } } });
    expect(configErrorsOf(problem('configuration'))).toEqual({ __errors: ['no'] });
    expect(configErrorsOf(problem('name'))).toBeNull();
    expect(configErrorsOf(new Error('offline'))).toBeNull();
  });

  it('sends unset values as absent, keeping lists as they are', () => {
    expect(configurationToSend({ a: 1, b: null, c: undefined, llm: { model: null }, routes: [], paths: ['/'] })).toEqual({ a: 1, routes: [], paths: ['/'] });
  });
});

describe('every agent type of the node', () => {
  it('has a form of its schema that takes the type’s defaults as they are', async () => {
    for (const item of TYPES.items) {
      const { unmount } = render(<Harness type={item.type} onRead={remember} />);
      expect(screen.queryByText(/Unsupported field/)).not.toBeInTheDocument();
      if (screen.queryByText('This agent type takes no configuration.')) {
        unmount();
        continue;
      }
      await screen.findByRole('button', { name: 'Read' });
      await waitFor(() => expect(document.querySelector('.rjsf')).not.toBeNull());
      const defaults = Object.fromEntries(Object.entries(item.default_configuration).filter(([, value]) => value !== null));
      expect({ type: item.type, read: await read() }).toEqual({ type: item.type, read: defaults });
      unmount();
    }
  });
});

describe('a value the schema gives no type', () => {
  it('is typed as JSON', async () => {
    const workflow = TYPES.items.find((item) => item.type === 'workflow_coordinator');
    if (!workflow) return;
    render(<Harness type="workflow_coordinator" onRead={remember} />);
    const steps = await screen.findByRole('group', { name: 'Steps' });
    await userEvent.click(within(steps).getByRole('button', { name: 'Add to Steps' }));
    await userEvent.type(within(steps).getByLabelText('Stage'), '0');
    await userEvent.type(within(steps).getByLabelText('Name'), 'review');
    await userEvent.type(within(steps).getByLabelText('Assign to type'), 'code_review');
    await userEvent.type(within(steps).getByLabelText('Task type'), 'analyze_pr');
    await userEvent.type(within(steps).getByLabelText('Input'), '{{"number": 7}');
    expect((await read())?.steps).toEqual([{ stage: 0, name: 'review', assign_to_type: 'code_review', task_type: 'analyze_pr', input: { number: 7 }, blocking: true, priority: 5, requires_approval: false }]);
  });
});
