import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { ConfigError, ConfigForm, configurationOf, draftOf, type ConfigDraft } from './ConfigForm';
import { pathLines, pathsDraft, readDeployment } from './deploymentConfig';

afterEach(cleanup);

/** The deployment agent's default configuration as GET /api/agents/types lists it. */
const DEFAULTS = { paths: ['/'], timeout_ms: 10_000, slow_ms: 1_500, healthy_at: 70, ready_timeout_seconds: 900, ready_poll_ms: 5_000 };

describe('the deployment agent’s configuration, read from the form', () => {
  it('round-trips the defaults with their types', () => {
    expect(configurationOf(draftOf(DEFAULTS), DEFAULTS, 'deployment')).toEqual(DEFAULTS);
  });

  it('takes the paths one a line and leaves an empty number to the node’s default', () => {
    const draft = { ...draftOf(DEFAULTS), paths: pathsDraft('/\n  /api/health \n\n'), healthy_at: ' 85 ', ready_poll_ms: '' };
    expect(pathLines(draft.paths)).toBe('/\n  /api/health \n\n');
    expect(configurationOf(draft, DEFAULTS, 'deployment')).toEqual({ paths: ['/', '/api/health'], timeout_ms: 10_000, slow_ms: 1_500, healthy_at: 85, ready_timeout_seconds: 900 });
  });

  it('keeps keys it has no field for, as the generic form reads them', () => {
    expect(configurationOf({ ...draftOf(DEFAULTS), note: 'canary' }, DEFAULTS, 'deployment')).toMatchObject({ note: 'canary', timeout_ms: 10_000 });
  });

  it('names every key that is not valid, since the node would drop the whole configuration for one', () => {
    const draft = { ...draftOf(DEFAULTS), paths: pathsDraft('/\nhttps://acme.test/health'), timeout_ms: '50', slow_ms: '1.5', healthy_at: '120', ready_timeout_seconds: '-1', ready_poll_ms: 'often' };
    expect(readDeployment(draft, DEFAULTS).errors).toEqual({
      paths: '“https://acme.test/health” is not a path: each line starts with / (such as /api/health), without the host',
      timeout_ms: 'must be 100 or more',
      slow_ms: 'must be a whole number of milliseconds, 1 or more',
      healthy_at: 'must be from 0 to 100',
      ready_timeout_seconds: 'must be a whole number of seconds, 1 or more',
      ready_poll_ms: 'must be a whole number of milliseconds, 10 or more',
    });
    expect(() => configurationOf(draft, DEFAULTS, 'deployment')).toThrow(ConfigError);
  });

  it('wants “slow” under the probe timeout, said on the number typed', () => {
    expect(readDeployment({ ...draftOf(DEFAULTS), slow_ms: '10000' }, DEFAULTS).errors).toEqual({ slow_ms: 'must be under the probe timeout (10000 ms), or no answer could count as slow' });
    expect(readDeployment({ paths: '["/"]', timeout_ms: '1000' }, DEFAULTS).errors).toEqual({ timeout_ms: 'must be over “slow after” (1500 ms), or no answer could count as slow' });
  });
});

function Harness({ initial, onSaved }: { initial: Record<string, unknown>; onSaved: (configuration: Record<string, unknown>) => void }) {
  const [draft, setDraft] = useState<ConfigDraft>(draftOf(initial));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = () => {
    setErrors({});
    try {
      onSaved(configurationOf(draft, DEFAULTS, 'deployment'));
    } catch (error) {
      if (error instanceof ConfigError) setErrors(error.errors);
    }
  };
  return (
    <>
      <ConfigForm draft={draft} defaults={DEFAULTS} agentType="deployment" errors={errors} onChange={setDraft} />
      <button type="button" onClick={save}>
        Save
      </button>
    </>
  );
}

describe('the deployment agent’s fields', () => {
  it('are labelled inputs of the right types, with the defaults as hints', () => {
    render(<Harness initial={{ paths: ['/'] }} onSaved={() => undefined} />);
    expect(screen.getByTestId('deployment-config')).toBeInTheDocument();
    expect(screen.getByLabelText('Paths to probe')).toHaveValue('/');
    for (const label of ['Probe timeout (ms)', 'Slow after (ms)', 'Healthy from (score)', 'Ready within (seconds)', 'Ask Vercel every (ms)']) {
      expect(screen.getByLabelText(label)).toHaveAttribute('type', 'number');
    }
    // An agent saved before a key existed: the field is empty and says what the node uses.
    expect(screen.getByLabelText('Probe timeout (ms)')).toHaveValue(null);
    expect(screen.getByLabelText('Probe timeout (ms)')).toHaveAttribute('placeholder', '10000');
    expect(screen.getByText(/Empty: 10,000\./)).toBeInTheDocument();
    expect(screen.getByLabelText('Healthy from (score)')).toHaveAttribute('max', '100');
    // No generic JSON field for the keys that have their own.
    expect(screen.queryByLabelText('paths')).not.toBeInTheDocument();
  });

  it('shows what is wrong next to the field, until the value is fixed, and saves what the node reads', async () => {
    let saved: Record<string, unknown> | null = null;
    render(<Harness initial={DEFAULTS} onSaved={(configuration) => (saved = configuration)} />);
    const paths = screen.getByLabelText('Paths to probe');
    await userEvent.clear(paths);
    await userEvent.type(paths, '/{Enter}health');
    const healthy = screen.getByLabelText('Healthy from (score)');
    await userEvent.clear(healthy);
    await userEvent.type(healthy, '150');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toBeNull();
    expect(healthy).toHaveAttribute('aria-invalid', 'true');
    expect(healthy).toHaveAccessibleDescription('must be from 0 to 100');
    expect(paths).toHaveAccessibleDescription('“health” is not a path: each line starts with / (such as /api/health), without the host');

    await userEvent.clear(healthy);
    await userEvent.type(healthy, '80');
    expect(healthy).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByText('must be from 0 to 100')).not.toBeInTheDocument();
    expect(paths).toHaveAttribute('aria-invalid', 'true');

    await userEvent.type(paths, '{Backspace>6}/api/health');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(saved).toEqual({ ...DEFAULTS, paths: ['/', '/api/health'], healthy_at: 80 });
  });
});
