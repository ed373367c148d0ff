// The Intelligence Hub's anomalies and recommendations: what the anomaly detection agent
// flagged (hourly) and what the recommendation agent suggests (weekday mornings), read
// from the event log.
import type { ReactNode } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Lightbulb, Radar } from 'lucide-react';
import { api, call } from '../api/rest';
import { useOrgKey } from '../api/hooks';
import { Badge, Card, EmptyState, ErrorNotice, LoadingBlock, Mono, Time } from '../components/ui';
import { formatFigure } from './dora';
import { ANOMALY_EVENT, RECOMMENDATION_EVENTS, anomalyOf, detectorLabel, mergeRecommendations, recommendationLabel, seriesLabel, type Anomaly, type Recommendation } from './insights';

function AnomalyItem({ anomaly }: { anomaly: Anomaly }) {
  const flagged = anomaly.readings.filter((reading) => reading.flagged);
  return (
    <li className="space-y-1 px-4 py-3" data-testid="anomaly" data-series={anomaly.series}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">{seriesLabel(anomaly.series)}</span>
        {anomaly.direction && <Badge tone={anomaly.direction === 'above' ? 'red' : 'amber'}>{anomaly.direction} the expected band</Badge>}
        <Time iso={anomaly.at} className="ml-auto text-[12px] text-muted" />
      </div>
      <p className="text-[12px] tabular-nums">
        observed <strong>{formatFigure(anomaly.observed)}</strong> · expected {formatFigure(anomaly.expected)}
        {anomaly.lower !== null && anomaly.upper !== null && (
          <span className="text-muted">
            {' '}
            (band {formatFigure(anomaly.lower)}–{formatFigure(anomaly.upper)})
          </span>
        )}
      </p>
      {anomaly.summary && <p className="text-[12px] text-muted">{anomaly.summary}</p>}
      {anomaly.readings.length > 0 && (
        <p className="text-[11px] text-muted" title={anomaly.readings.map((reading) => `${detectorLabel(reading.detector)}: ${reading.score.toFixed(1)} σ${reading.flagged ? ' (flagged)' : ''}`).join('\n')}>
          Flagged by {flagged.length} of {anomaly.readings.length} detectors{flagged.length > 0 && `: ${flagged.map((reading) => detectorLabel(reading.detector)).join(', ')}`}
        </p>
      )}
    </li>
  );
}

export function Anomalies() {
  const events = useQuery({
    queryKey: useOrgKey('events', 'anomalies'),
    queryFn: () => call(api.GET('/api/analytics/events', { params: { query: { type: ANOMALY_EVENT, limit: 20 } } })),
  });
  const anomalies = (events.data?.items ?? []).flatMap((event) => anomalyOf(event) ?? []);
  return (
    <Card title="Anomalies" bodyClassName="p-0">
      <div data-testid="anomalies">
        {events.isLoading && <div className="p-4"><LoadingBlock rows={2} /></div>}
        {events.error && <div className="p-4"><ErrorNotice error={events.error} /></div>}
        {events.data && anomalies.length === 0 && (
          <div className="p-4">
            <EmptyState icon={<Radar className="size-5" aria-hidden />} title="No anomalies">
              The anomaly detection agent (<Mono>anomaly_detection</Mono>, started with GitHub or Vercel) runs hourly: it compares the last 24 hours of failed deployments, the agents' task failure rate,
              webhook rejections and engagement with their past four weeks, once there is a week of history, and lists here what stands out.
            </EmptyState>
          </div>
        )}
        {anomalies.length > 0 && <ul className="divide-y divide-line text-[13px]">{anomalies.map((anomaly) => <AnomalyItem key={anomaly.id} anomaly={anomaly} />)}</ul>}
      </div>
    </Card>
  );
}

const RATES = new Set(['failure_rate', 'overall_failure_rate']);

function humanize(key: string): string {
  const words = key.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function scalar(key: string, value: unknown): string {
  if (typeof value === 'number') return RATES.has(key) ? `${formatFigure(value * 100)} %` : formatFigure(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One row of an evidence list: a pull request (linked), a retried deployment, or its fields. */
function EvidenceRow({ list, item }: { list: string; item: Record<string, unknown> }): ReactNode {
  if (list === 'pull_requests' && typeof item.id === 'string') {
    const days = typeof item.waiting_days === 'number' ? `waiting ${item.waiting_days} d` : typeof item.idle_days === 'number' ? `idle ${item.idle_days} d` : null;
    return (
      <>
        <Link to={`/development?pr=${item.id}`} className="hover:underline">
          {typeof item.number === 'number' && <Mono className="mr-1 text-muted">#{item.number}</Mono>}
          {typeof item.title === 'string' ? item.title : 'pull request'}
        </Link>
        {typeof item.repository === 'string' && <span className="text-muted"> · {item.repository}</span>}
        {days && <span className="text-muted"> · {days}</span>}
      </>
    );
  }
  if (list === 'retried' && typeof item.failed === 'string' && typeof item.passed === 'string') {
    return (
      <>
        {typeof item.commit_sha === 'string' && <Mono className="mr-1">{item.commit_sha.slice(0, 7)}</Mono>}
        <Link to={`/development/deployments?id=${item.failed}`} className="hover:underline">failed</Link>, then{' '}
        <Link to={`/development/deployments?id=${item.passed}`} className="hover:underline">passed</Link> unchanged
      </>
    );
  }
  return (
    <span className="text-muted">
      {Object.entries(item)
        .map(([key, value]) => `${humanize(key)}: ${scalar(key, value)}`)
        .join(' · ')}
    </span>
  );
}

/** The rows and figures behind a recommendation: lists of rows (linked where they can be), then figures. */
export function Evidence({ evidence }: { evidence: Record<string, unknown> }) {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return <p className="text-muted">No evidence attached.</p>;
  return (
    <dl className="space-y-1.5" data-testid="evidence">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">{humanize(key)}</dt>
          <dd>
            {Array.isArray(value) ? (
              <ul className="list-disc space-y-0.5 pl-4">
                {value.map((item, index) => (
                  <li key={index}>{isRecord(item) ? <EvidenceRow list={key} item={item} /> : scalar(key, item)}</li>
                ))}
              </ul>
            ) : isRecord(value) ? (
              <pre className="overflow-x-auto rounded bg-panel-2 p-1.5 font-mono text-[11px]">{JSON.stringify(value, null, 2)}</pre>
            ) : (
              <span className="tabular-nums">{scalar(key, value)}</span>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function RecommendationItem({ recommendation }: { recommendation: Recommendation }) {
  return (
    <li className="space-y-1 px-4 py-3" data-testid="recommendation" data-kind={recommendation.kind}>
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone="violet">{recommendationLabel(recommendation.kind)}</Badge>
        {recommendation.subject && <span className="text-[12px] text-muted">{recommendation.subject}</span>}
        <Time iso={recommendation.at} className="ml-auto text-[12px] text-muted" />
      </div>
      <p className="font-medium">{recommendation.title}</p>
      {recommendation.evidence && (
        <details className="text-[12px]">
          <summary className="cursor-pointer text-muted select-none hover:text-fg">Evidence</summary>
          <div className="mt-1.5 rounded-md border border-line p-2">
            <Evidence evidence={recommendation.evidence} />
          </div>
        </details>
      )}
    </li>
  );
}

export function Recommendations() {
  const prefix = useOrgKey('events', 'recommendations');
  const lists = useQueries({
    queries: RECOMMENDATION_EVENTS.map((type) => ({
      queryKey: [...prefix, type],
      queryFn: () => call(api.GET('/api/analytics/events', { params: { query: { type, limit: 20 } } })),
    })),
  });
  const loading = lists.some((list) => list.isLoading);
  const error = lists.find((list) => list.error)?.error;
  const recommendations = mergeRecommendations(lists.map((list) => list.data?.items));
  return (
    <Card title="Recommendations" bodyClassName="p-0">
      <div data-testid="recommendations">
        {loading && recommendations.length === 0 && <div className="p-4"><LoadingBlock rows={2} /></div>}
        {error && <div className="p-4"><ErrorNotice error={error} /></div>}
        {!loading && !error && recommendations.length === 0 && (
          <div className="p-4">
            <EmptyState icon={<Lightbulb className="size-5" aria-hidden />} title="No recommendations yet">
              The recommendation agent (<Mono>recommendation</Mono>, started with GitHub or Vercel) runs on weekdays at 07:00 in the organization's time zone: it reads the open pull requests and 90 days of deployments, and
              suggests what to do about review bottlenecks, stale pull requests, deployment windows that fail and flaky builds.
            </EmptyState>
          </div>
        )}
        {recommendations.length > 0 && (
          <ul className="divide-y divide-line text-[13px]">
            {recommendations.map((recommendation) => (
              <RecommendationItem key={recommendation.id} recommendation={recommendation} />
            ))}
          </ul>
        )}
      </div>
    </Card>
  );
}
