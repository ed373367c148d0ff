// The DORA keys as the node reports them (GET /api/analytics/delivery): each key's value
// with its band (DORA 2023 thresholds, decided by the node), and the counts behind it;
// the business metrics; and the metric types the analytics agent records them as daily.
import type { Band, DoraKeys } from '../api/models';

/** The [from, to) of a range ending now, as the analytics endpoints take it. */
export function rangeBounds(hours: number, now = Date.now()): { from: string; to: string } {
  return { from: new Date(now - hours * 3600_000).toISOString(), to: new Date(now).toISOString() };
}

export const BANDS: readonly Band[] = ['elite', 'high', 'medium', 'low'];

/** A band as the node spells it; null for anything else (a key without data has none). */
export function bandOf(value: unknown): Band | null {
  return BANDS.find((band) => band === value) ?? null;
}

/** A band's colour: elite green, high blue, medium amber, low red; no data gray. */
export function bandTone(band: Band | null | undefined): 'green' | 'blue' | 'amber' | 'red' | 'gray' {
  switch (band) {
    case 'elite':
      return 'green';
    case 'high':
      return 'blue';
    case 'medium':
      return 'amber';
    case 'low':
      return 'red';
    default:
      return 'gray';
  }
}

/** A band in words, as its badge says it. */
export function bandLabel(band: Band | null | undefined): string {
  switch (band) {
    case 'elite':
      return 'Elite';
    case 'high':
      return 'High';
    case 'medium':
      return 'Medium';
    case 'low':
      return 'Low';
    default:
      return 'No data';
  }
}

export type DoraUnit = '/day' | 'h' | '%';

/** A figure with as many decimals as it needs: 2 under 1, 1 under 100, none above; no trailing ".0". */
export function formatFigure(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  const decimals = magnitude === 0 ? 0 : magnitude < 1 ? 2 : magnitude < 100 ? 1 : 0;
  return Number(value.toFixed(decimals)).toLocaleString('en', { maximumFractionDigits: decimals });
}

/** A key's value with its unit: "0.43/day", "26.5 h", "12.5%"; "—" when the key has no data. */
export function formatDoraValue(value: number | null | undefined, unit: DoraUnit | string): string {
  const figure = formatFigure(value);
  if (figure === '—') return figure;
  return unit === 'h' ? `${figure} h` : `${figure}${unit}`;
}

export type DoraKeyName = 'deployment_frequency' | 'lead_time_hours' | 'change_failure_rate' | 'time_to_restore_hours';

export interface DoraKeyDefinition {
  key: DoraKeyName;
  label: string;
  unit: DoraUnit;
  /** What the value measures, in a sentence. */
  means: string;
  /** The counts the value comes from, in words. */
  counts: (keys: DoraKeys) => string;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export const DORA_KEYS: readonly DoraKeyDefinition[] = [
  {
    key: 'deployment_frequency',
    label: 'Deployment frequency',
    unit: '/day',
    means: 'Successful production deployments per day.',
    counts: (keys) => `${plural(keys.deployments, 'production deployment', 'production deployments')}`,
  },
  {
    key: 'lead_time_hours',
    label: 'Lead time for changes',
    unit: 'h',
    means: 'Median hours from a pull request opened to its production deployment.',
    counts: (keys) => `${plural(keys.changes_deployed, 'change', 'changes')} deployed`,
  },
  {
    key: 'change_failure_rate',
    label: 'Change failure rate',
    unit: '%',
    means: 'Failed production deployments, percent of the finished ones.',
    counts: (keys) => `${keys.failures} of ${plural(keys.deployments, 'deployment', 'deployments')} failed`,
  },
  {
    key: 'time_to_restore_hours',
    label: 'Time to restore',
    unit: 'h',
    means: 'Median hours from a failed deployment to the service restored.',
    counts: (keys) => `${keys.restored} of ${plural(keys.failures, 'failure', 'failures')} restored`,
  },
];

/** A key of a scope: its value and band, or null when the scope has no data for it. */
export function doraKey(keys: DoraKeys, name: DoraKeyName): { value: number; band: Band | null } | null {
  const key = keys[name];
  if (!key || typeof key.value !== 'number') return null;
  return { value: key.value, band: bandOf(key.band) };
}

/** The series the Intelligence Hub charts: what the analytics agent records daily, and the task analytics agent's rate. */
export const METRICS = [
  { type: 'dora.deployment_frequency', label: 'Deployment frequency', unit: '/day', agent: 'analytics' },
  { type: 'dora.lead_time', label: 'Lead time for changes', unit: ' h', agent: 'analytics' },
  { type: 'dora.change_failure_rate', label: 'Change failure rate', unit: '%', agent: 'analytics' },
  { type: 'dora.time_to_restore', label: 'Time to restore', unit: ' h', agent: 'analytics' },
  { type: 'deployments_per_day', label: 'Deployments per day', unit: '/day', agent: 'analytics' },
  { type: 'pull_request_merge_velocity', label: 'Pull requests merged per week', unit: '/week', agent: 'analytics' },
  { type: 'social_posts_published', label: 'Social posts published', unit: '', agent: 'analytics' },
  { type: 'agent_task_success_rate', label: 'Agent task success rate', unit: '%', agent: 'analytics' },
  { type: 'task_success_rate', label: 'Task success rate (task analytics agent)', unit: '%', agent: 'task_analytics' },
] as const;

/**
 * The points of a metric that belong to the organization as a whole: the analytics agent
 * records each DORA key once overall and once per project (`dimensions.project`), and a
 * chart of the whole leaves the projects' points out.
 */
export function overallPoints<P extends { dimensions?: Record<string, unknown> | null }>(points: P[]): P[] {
  return points.filter((point) => point.dimensions?.project === undefined || point.dimensions?.project === null);
}

/** Average, minimum and maximum of some values; null without any. */
export function summarize(values: number[]): { average: number; min: number; max: number; count: number } | null {
  if (values.length === 0) return null;
  const sum = values.reduce((total, value) => total + value, 0);
  return { average: sum / values.length, min: Math.min(...values), max: Math.max(...values), count: values.length };
}
