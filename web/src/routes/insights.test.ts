import { describe, expect, it } from 'vitest';
import { anomalyOf, mergeRecommendations, recommendationLabel, recommendationOf, seriesLabel } from './insights';
import type { EventRow } from '../api/models';

function event(id: string, type: string, createdAt: string, metadata: Record<string, unknown>): EventRow {
  return { id, organization_id: 'o1', event_type: type, event_source: 'companyos', actor_type: 'agent', actor_id: 'a1', resource_type: 'agent_task', resource_id: 't1', metadata, created_at: createdAt };
}

describe('merging recommendation events', () => {
  const stale = event('r1', 'recommendation.stale_pull_requests', '2026-01-05T07:00:00Z', {
    subject: 'pull requests',
    title: '3 open pull requests have not moved for 7 days or more: merge, close or hand them over',
    evidence: { pull_requests: [{ id: 'p1', number: 4, title: 'Old', repository: 'acme/api', idle_days: 9 }] },
  });
  const bottleneck = event('r2', 'recommendation.review_bottleneck', '2026-01-06T07:00:00Z', { subject: 'alice', title: 'alice is the suggested reviewer of 3 pull requests', evidence: { pull_requests: [] } });
  const window = event('r3', 'recommendation.risky_deployment_window', '2026-01-04T07:00:00Z', { subject: 'Fri 16:00–20:00 UTC', title: 'Deployments on Fri fail', evidence: { deployments: 6, failed: 3 } });
  const flaky = event('r4', 'recommendation.flaky_deployments', '2026-01-06T07:00:00Z', { subject: 'web', title: "web's builds failed twice", evidence: { retried: [] } });

  it('lists the four types as one, newest first', () => {
    const merged = mergeRecommendations([[bottleneck], [stale], [window], [flaky]]);
    expect(merged.map((item) => item.id)).toEqual(['r4', 'r2', 'r1', 'r3']);
    expect(merged[2]).toEqual({
      id: 'r1',
      kind: 'stale_pull_requests',
      subject: 'pull requests',
      title: '3 open pull requests have not moved for 7 days or more: merge, close or hand them over',
      evidence: { pull_requests: [{ id: 'p1', number: 4, title: 'Old', repository: 'acme/api', idle_days: 9 }] },
      at: '2026-01-05T07:00:00Z',
    });
  });

  it('keeps each event once, skips lists not loaded yet and events that are not recommendations', () => {
    const other = event('e1', 'pull_request.opened', '2026-01-07T00:00:00Z', {});
    expect(mergeRecommendations([[stale, other], undefined, [stale]]).map((item) => item.id)).toEqual(['r1']);
    expect(mergeRecommendations([])).toEqual([]);
  });

  it('falls back to the kind in words when an event has no title', () => {
    const bare = recommendationOf(event('r5', 'recommendation.flaky_deployments', '2026-01-01T00:00:00Z', {}));
    expect(bare).toMatchObject({ title: 'Flaky deployments', subject: null, evidence: null });
    expect(recommendationLabel('review_bottleneck')).toBe('Review bottleneck');
  });
});

describe('an anomaly event', () => {
  it('is read with its band, its direction and the detectors that flagged it', () => {
    const anomaly = anomalyOf(
      event('a1', 'anomaly.detected', '2026-01-05T10:05:00Z', {
        series: 'deployment_failures', observed: 5, expected: 0.4, lower: 0, upper: 1.8,
        readings: [{ detector: 'median_mad', score: 6.2, flagged: true }, { detector: 'ewma', score: 2.1, flagged: false }, { detector: 'bogus' }, 'x'],
        summary: 'failed production deployments: 5 in the last 24 h, expected 0.4 (band 0.0–1.8)',
      }),
    );
    expect(anomaly).toMatchObject({ series: 'deployment_failures', observed: 5, expected: 0.4, lower: 0, upper: 1.8, direction: 'above' });
    expect(anomaly?.readings).toEqual([{ detector: 'median_mad', score: 6.2, flagged: true }, { detector: 'ewma', score: 2.1, flagged: false }, { detector: 'bogus', score: 0, flagged: false }]);
    expect(seriesLabel('deployment_failures')).toBe('Failed production deployments');
    expect(anomalyOf(event('a2', 'anomaly.detected', '2026-01-05T10:05:00Z', { series: 'engagement', observed: 1, lower: 10, upper: 40 }))?.direction).toBe('below');
    expect(anomalyOf(event('e1', 'pull_request.opened', '2026-01-05T10:05:00Z', {}))).toBeNull();
  });
});
