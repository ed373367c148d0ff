// The deployment agent's configuration (crates/actors/src/deployment.rs, DeploymentConfig):
// the paths its health check probes, how long a probe may take and when it counts as
// slow, the score under which a check notifies, and how long a redeploy waits for the new
// deployment to be ready and how often it asks. The node reads the whole object at once
// and, when any key has the wrong type (a fraction, a negative number, a string), silently
// runs with every default instead; so each key is checked here before it is sent, and an
// empty number is left out (the node then uses that key's default). Pure, so it is
// unit-tested.
import type { ConfigDraft } from './ConfigForm';

export interface DeploymentNumberSpec {
  key: 'timeout_ms' | 'slow_ms' | 'healthy_at' | 'ready_timeout_seconds' | 'ready_poll_ms';
  label: string;
  hint: string;
  /** The smallest value the node honours (it raises anything lower to this). */
  min: number;
  max?: number;
  /** What the value counts, for messages. */
  unit: string;
}

export const DEPLOYMENT_PATHS_KEY = 'paths';

export const HEALTH_CHECK_FIELDS: DeploymentNumberSpec[] = [
  { key: 'timeout_ms', label: 'Probe timeout (ms)', hint: 'How long one path may take to answer before it counts as down; 100 ms at least.', min: 100, unit: 'milliseconds' },
  { key: 'slow_ms', label: 'Slow after (ms)', hint: 'A slower answer loses points: four times slower scores half. Keep it under the probe timeout.', min: 1, unit: 'milliseconds' },
  { key: 'healthy_at', label: 'Healthy from (score)', hint: 'A check scoring under this (0–100) notifies, as a deployment health alert.', min: 0, max: 100, unit: 'points' },
];

export const REDEPLOY_FIELDS: DeploymentNumberSpec[] = [
  { key: 'ready_timeout_seconds', label: 'Ready within (seconds)', hint: 'How long a redeploy waits for the new deployment to be ready before the task fails.', min: 1, unit: 'seconds' },
  { key: 'ready_poll_ms', label: 'Ask Vercel every (ms)', hint: 'How often a redeploy asks whether the new deployment is ready; 10 ms at least.', min: 10, unit: 'milliseconds' },
];

export const DEPLOYMENT_KEYS = new Set<string>([DEPLOYMENT_PATHS_KEY, ...HEALTH_CHECK_FIELDS.map((field) => field.key), ...REDEPLOY_FIELDS.map((field) => field.key)]);

/** The paths as the form shows them, one a line: from the draft's JSON list, else the text as it is. */
export function pathLines(raw: string | boolean | undefined): string {
  if (typeof raw !== 'string') return '';
  try {
    const value: unknown = JSON.parse(raw);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join('\n');
  } catch {
    // not JSON: shown as typed
  }
  return raw;
}

/** The draft's value for lines typed into the paths field (kept as a JSON list, as draftOf keeps lists). */
export function pathsDraft(lines: string): string {
  return JSON.stringify(lines.split('\n'));
}

/** The paths to send, or what is wrong with them. */
function readPaths(raw: string | boolean | undefined): { value: string[] } | { error: string } {
  const lines = pathLines(raw)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const bad = lines.find((line) => !line.startsWith('/') || /\s/.test(line));
  if (bad !== undefined) return { error: `“${bad}” is not a path: each line starts with / (such as /api/health), without the host` };
  return { value: lines };
}

/** A whole number within the field's range, nothing when left empty, or what is wrong with it. */
function readNumber(spec: DeploymentNumberSpec, raw: string | boolean | undefined): { value: number | undefined } | { error: string } {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') return { value: undefined };
  const range = spec.max === undefined ? `${spec.min} or more` : `from ${spec.min} to ${spec.max}`;
  if (!/^\d+$/.test(text)) return { error: `must be a whole number of ${spec.unit}, ${range}` };
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < spec.min || (spec.max !== undefined && value > spec.max)) return { error: `must be ${range}` };
  return { value };
}

/** Every deployment key that is not valid in the draft, with what is wrong, to show next to its field. */
export function deploymentErrors(draft: ConfigDraft, defaults?: Record<string, unknown> | null): Record<string, string> {
  return readDeployment(draft, defaults).errors;
}

/**
 * The deployment agent's keys of the configuration to send (an empty number left out),
 * and the keys that are not valid. `defaults` (the type's) stand in for a number left
 * empty where one value is checked against another.
 */
export function readDeployment(draft: ConfigDraft, defaults?: Record<string, unknown> | null): { configuration: Record<string, unknown>; errors: Record<string, string> } {
  const configuration: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const paths = readPaths(draft[DEPLOYMENT_PATHS_KEY]);
  if ('error' in paths) errors[DEPLOYMENT_PATHS_KEY] = paths.error;
  else configuration[DEPLOYMENT_PATHS_KEY] = paths.value;
  for (const spec of [...HEALTH_CHECK_FIELDS, ...REDEPLOY_FIELDS]) {
    const read = readNumber(spec, draft[spec.key]);
    if ('error' in read) errors[spec.key] = read.error;
    else if (read.value !== undefined) configuration[spec.key] = read.value;
  }
  // An answer slower than the timeout is no answer: "slow" must come before it. The
  // message goes to the number typed (to the timeout when "slow" is the default).
  const timeout = configuration.timeout_ms ?? defaults?.timeout_ms;
  const slow = configuration.slow_ms ?? defaults?.slow_ms;
  if (typeof timeout === 'number' && typeof slow === 'number' && slow >= timeout && !errors.slow_ms && !errors.timeout_ms) {
    if (configuration.slow_ms !== undefined) errors.slow_ms = `must be under the probe timeout (${timeout} ms), or no answer could count as slow`;
    else errors.timeout_ms = `must be over “slow after” (${slow} ms), or no answer could count as slow`;
  }
  return { configuration, errors };
}
