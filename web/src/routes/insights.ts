// What the analysts write as events, read for the Intelligence Hub: anomalies
// (`anomaly.detected`, from the anomaly detection agent, hourly) and recommendations
// (`recommendation.*`, from the recommendation agent, on weekday mornings).
import type { EventRow } from '../api/models';

export const ANOMALY_EVENT = 'anomaly.detected';

export const RECOMMENDATION_EVENTS = [
  'recommendation.review_bottleneck',
  'recommendation.stale_pull_requests',
  'recommendation.risky_deployment_window',
  'recommendation.flaky_deployments',
] as const;

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value : null;
}

function number(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const SERIES: Record<string, string> = {
  deployment_failures: 'Failed production deployments',
  task_failure_rate: "The agents' task failure rate",
  webhook_rejections: 'Webhook deliveries not processed',
  engagement: 'Engagement on published posts',
};

/** A watched series in words; an unknown one from its own name. */
export function seriesLabel(series: string): string {
  return SERIES[series] ?? series.replace(/_/g, ' ');
}

export interface Reading {
  detector: string;
  score: number;
  flagged: boolean;
}

export interface Anomaly {
  id: string;
  series: string;
  observed: number | null;
  expected: number | null;
  lower: number | null;
  upper: number | null;
  readings: Reading[];
  summary: string | null;
  /** Whether the day was above the expected band, or below it. */
  direction: 'above' | 'below' | null;
  at: string;
}

/** An `anomaly.detected` event as the list shows it; null for another event. */
export function anomalyOf(event: EventRow): Anomaly | null {
  if (event.event_type !== ANOMALY_EVENT) return null;
  const metadata = record(event.metadata) ?? {};
  const observed = number(metadata.observed);
  const lower = number(metadata.lower);
  const upper = number(metadata.upper);
  const readings = Array.isArray(metadata.readings)
    ? metadata.readings.flatMap((reading) => {
        const item = record(reading);
        return item && typeof item.detector === 'string' ? [{ detector: item.detector, score: number(item.score) ?? 0, flagged: item.flagged === true }] : [];
      })
    : [];
  return {
    id: event.id,
    series: text(metadata.series) ?? 'unknown',
    observed,
    expected: number(metadata.expected),
    lower,
    upper,
    readings,
    summary: text(metadata.summary),
    direction: observed === null ? null : upper !== null && observed > upper ? 'above' : lower !== null && observed < lower ? 'below' : null,
    at: event.created_at,
  };
}

const DETECTORS: Record<string, string> = {
  median_mad: 'median and MAD',
  ewma: 'moving average',
  weekly: 'same weekday',
};

/** A detector in words. */
export function detectorLabel(detector: string): string {
  return DETECTORS[detector] ?? detector.replace(/_/g, ' ');
}

export type RecommendationKind = 'review_bottleneck' | 'stale_pull_requests' | 'risky_deployment_window' | 'flaky_deployments';

const KINDS: Record<string, string> = {
  review_bottleneck: 'Review bottleneck',
  stale_pull_requests: 'Stale pull requests',
  risky_deployment_window: 'Risky deployment window',
  flaky_deployments: 'Flaky deployments',
};

/** A recommendation's kind in words. */
export function recommendationLabel(kind: string): string {
  return KINDS[kind] ?? kind.replace(/_/g, ' ');
}

export interface Recommendation {
  id: string;
  kind: string;
  /** Who or what it is about: a reviewer, a deployment window, a project. */
  subject: string | null;
  /** What to do, in one sentence. */
  title: string;
  evidence: Record<string, unknown> | null;
  at: string;
}

/** A `recommendation.*` event as the list shows it; null for another event. */
export function recommendationOf(event: EventRow): Recommendation | null {
  if (!event.event_type.startsWith('recommendation.')) return null;
  const metadata = record(event.metadata) ?? {};
  const kind = event.event_type.slice('recommendation.'.length);
  return {
    id: event.id,
    kind,
    subject: text(metadata.subject),
    title: text(metadata.title) ?? text(metadata.summary) ?? recommendationLabel(kind),
    evidence: record(metadata.evidence),
    at: event.created_at,
  };
}

/**
 * The recommendations of several lists (one per event type) as one, newest first: each
 * event once, whatever list it came in, and only `recommendation.*` events.
 */
export function mergeRecommendations(lists: readonly (readonly EventRow[] | undefined)[]): Recommendation[] {
  const byId = new Map<string, Recommendation>();
  for (const list of lists) {
    for (const event of list ?? []) {
      const recommendation = recommendationOf(event);
      if (recommendation && !byId.has(recommendation.id)) byId.set(recommendation.id, recommendation);
    }
  }
  return [...byId.values()].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.id.localeCompare(a.id));
}
