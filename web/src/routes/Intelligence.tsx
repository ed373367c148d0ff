// Intelligence Hub: the delivery report (DORA keys with their bands, per project, and the
// business metrics) of the chosen range, the analysts' anomalies and recommendations,
// metrics over time, the event log with the audit trail (filtered by source, member and
// type, kept in the URL). Search is in the command palette (Ctrl/⌘-K).
import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { LineChart as LineChartIcon, X } from 'lucide-react';
import { useSearchParams } from 'react-router';
import { api, call } from '../api/rest';
import { useOrgKey } from '../api/hooks';
import { actorName, memberNames, useMembers } from '../api/members';
import { useLive } from '../api/live';
import { Card, EmptyState, ErrorNotice, LoadingBlock, Mono, PageHeader, Select, Time, cx, tableClass } from '../components/ui';
import { Delivery } from './Delivery';
import { Anomalies, Recommendations } from './Insights';
import { METRICS, overallPoints, rangeBounds, summarize } from './dora';

export { rangeBounds };

export const RANGES = [
  { key: '24h', label: '24 h', hours: 24 },
  { key: '7d', label: '7 days', hours: 24 * 7 },
  { key: '30d', label: '30 days', hours: 24 * 30 },
  { key: '90d', label: '90 days', hours: 24 * 90 },
] as const;

function MetricChart({ type, label, unit, agent, hours }: { type: string; label: string; unit: string; agent: string; hours: number }) {
  const key = useOrgKey('metrics', type, hours);
  const series = useQuery({
    queryKey: key,
    queryFn: () => {
      const { from, to } = rangeBounds(hours);
      return call(api.GET('/api/analytics/metrics/{metric_type}', { params: { path: { metric_type: type }, query: { from, to } } }));
    },
  });
  // The organization's own series: a DORA key is recorded per project too (`dimensions.project`).
  const points = useMemo(() => overallPoints(series.data?.points ?? []).map((point) => ({ at: Date.parse(point.recorded_at), value: point.value })).sort((a, b) => a.at - b.at), [series.data]);
  const summary = summarize(points.map((point) => point.value));
  return (
    <Card
      title={label}
      actions={summary && <span className="text-[12px] text-muted tabular-nums">avg {summary.average.toFixed(1)}{unit} · min {summary.min.toFixed(1)} · max {summary.max.toFixed(1)}</span>}
    >
      {series.isLoading && <LoadingBlock rows={3} />}
      {series.error && <ErrorNotice error={series.error} />}
      {series.data && points.length === 0 && (
        <EmptyState icon={<LineChartIcon className="size-5" aria-hidden />} title="No points in this range">
          {agent === 'task_analytics' ? (
            <>
              A <Mono>task_analytics</Mono> agent records it; create one in Agents.
            </>
          ) : (
            <>
              The delivery analytics agent (<Mono>analytics</Mono>, started with GitHub or Vercel) records <Mono>{type}</Mono> daily at 00:15 in the organization's time zone; the first point comes after its first run.
            </>
          )}
        </EmptyState>
      )}
      {points.length > 0 && (
        <div className="h-48" data-testid={`chart-${type}`}>
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
              <XAxis dataKey="at" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={(value: number) => new Date(value).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} stroke="var(--muted)" fontSize={11} />
              <YAxis stroke="var(--muted)" fontSize={11} />
              <Tooltip labelFormatter={(value) => new Date(Number(value)).toLocaleString()} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', fontSize: 12 }} />
              <Line type="monotone" dataKey="value" stroke="var(--accent)" strokeWidth={2} dot={points.length < 40} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </Card>
  );
}

const SOURCES = ['github', 'vercel', 'figma', 'slack', 'twitter', 'linkedin', 'agent', 'user', 'system', 'companyos'];

/**
 * The event log's filters in the URL's query: `source` (`audit` is the audit trail),
 * `actor` (a member) and `type` (an event type, as a search hit links to it); `event`
 * marks one entry.
 */
export function eventFilterOf(search: URLSearchParams): { source: string; actor: string; type: string; event: string } {
  return { source: search.get('source') ?? '', actor: search.get('actor') ?? '', type: search.get('type') ?? '', event: search.get('event') ?? '' };
}

/** An event's own sentence (`metadata.summary`, as audit entries carry), when it has one. */
export function eventSummary(metadata: unknown): string | null {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return null;
  const summary = (metadata as { summary?: unknown }).summary;
  return typeof summary === 'string' && summary.trim() ? summary : null;
}

export function EventLog() {
  const [search, setSearch] = useSearchParams();
  const { source, actor, type, event: marked } = eventFilterOf(search);
  const members = useMembers();
  const names = memberNames(members.data?.items);
  const events = useQuery({
    queryKey: useOrgKey('events', 'log', source, actor, type),
    queryFn: () =>
      call(
        api.GET('/api/analytics/events', {
          params: { query: { limit: 50, ...(source ? { source } : {}), ...(actor ? { actor_id: actor } : {}), ...(type ? { type } : {}) } },
        }),
      ),
  });
  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
  };
  const items = events.data?.items ?? [];
  const filtered = Boolean(source || actor || type);
  // Arriving with a filter (a link to the audit trail) or a marked entry (a search hit), the log is what was asked for: bring it into view.
  const card = useRef<HTMLDivElement>(null);
  const arrivedFiltered = useRef(filtered || Boolean(marked));
  useEffect(() => {
    if (arrivedFiltered.current) card.current?.scrollIntoView?.({ block: 'start' });
  }, []);
  return (
    <div ref={card} id="event-log" className="scroll-mt-4">
    <Card
      title={source === 'audit' ? 'Audit trail' : 'Event log'}
      actions={
        <div className="flex flex-wrap items-center gap-2" data-testid="event-filters">
          {type && (
            <span className="inline-flex h-7 items-center gap-1 rounded-md border border-line bg-panel-2 pr-1 pl-2 text-[12px]">
              <Mono>{type}</Mono>
              <button type="button" className="rounded p-0.5 text-muted hover:text-fg" aria-label={`Show every type, not only ${type}`} onClick={() => setParam('type', '')}>
                <X className="size-3.5" aria-hidden />
              </button>
            </span>
          )}
          <Select aria-label="Source" className="h-7 w-40 py-0" value={source} onChange={(event) => setParam('source', event.target.value)}>
            <option value="">All sources</option>
            <option value="audit">Audit trail (people's actions)</option>
            {SOURCES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </Select>
          <Select aria-label="Member" className="h-7 w-44 py-0" value={actor} onChange={(event) => setParam('actor', event.target.value)}>
            <option value="">Anyone</option>
            {(members.data?.items ?? []).map((member) => (
              <option key={member.user_id} value={member.user_id}>
                {member.name}
              </option>
            ))}
            {actor && !names.has(actor) && <option value={actor}>user {actor.slice(0, 8)}</option>}
          </Select>
        </div>
      }
      bodyClassName="p-0"
    >
      {events.isLoading && <div className="p-4"><LoadingBlock /></div>}
      {events.error && <div className="p-4"><ErrorNotice error={events.error} /></div>}
      {events.data && items.length === 0 && (
        <p className="px-4 py-5 text-[13px] text-muted">
          {filtered
            ? source === 'audit'
              ? `No audit entries${actor ? ` for ${names.get(actor) ?? 'this member'}` : ''} yet. Approvals, rejections, retries, cancellations, posted reviews, integrations and agents changed by people are written here.`
              : type
                ? `No ${type} events${source || actor ? ' match these filters' : ''}.`
                : 'No events match these filters.'
            : 'No events yet. Everything integrations and agents do is written here.'}
        </p>
      )}
      {items.length > 0 && (
        <table className={tableClass} data-testid="event-table">
          <thead>
            <tr>
              <th>Event</th>
              <th>Source</th>
              <th>By</th>
              <th>Resource</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {items.map((event) => {
              const summary = eventSummary(event.metadata);
              return (
                <tr key={event.id} data-testid="event-row" data-source={event.event_source} data-selected={event.id === marked || undefined} className={cx(event.id === marked && 'bg-panel-2')}>
                  <td className="max-w-md">
                    {summary ? (
                      <>
                        <div>{summary}</div>
                        <Mono className="text-[11px] text-muted">{event.event_type}</Mono>
                      </>
                    ) : (
                      <Mono>{event.event_type}</Mono>
                    )}
                  </td>
                  <td>{event.event_source}</td>
                  <td>
                    {event.actor_type === 'user' && event.actor_id ? (
                      <button type="button" className="hover:underline" title="Only this member's entries" onClick={() => setParam('actor', event.actor_id ?? '')}>
                        {actorName(names, event.actor_id, event.metadata)}
                      </button>
                    ) : (
                      <span className="text-muted">{event.actor_type ?? '—'}</span>
                    )}
                  </td>
                  <td className="text-muted">{event.resource_type ?? '—'} {event.resource_id && <Mono className="text-muted">{event.resource_id.slice(0, 8)}</Mono>}</td>
                  <td><Time iso={event.created_at} className="text-muted" /></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
    </div>
  );
}

export function Intelligence() {
  useLive(['events']);
  const [range, setRange] = useState<(typeof RANGES)[number]['key']>('30d');
  const chosen = RANGES.find((candidate) => candidate.key === range) ?? RANGES[2];
  const hours = chosen.hours;
  return (
    <div>
      <PageHeader
        title="Intelligence Hub"
        description="Delivery and agent metrics over time, anomalies, recommendations, the event log. Search everything with Ctrl/⌘-K."
        actions={
          <div role="group" aria-label="Range" className="flex rounded-md border border-line p-0.5">
            {RANGES.map((candidate) => (
              <button key={candidate.key} type="button" aria-pressed={range === candidate.key} onClick={() => setRange(candidate.key)} className={cx('rounded px-2.5 py-1 text-[12px] font-medium', range === candidate.key ? 'bg-panel-2 text-fg' : 'text-muted hover:text-fg')}>
                {candidate.label}
              </button>
            ))}
          </div>
        }
      />
      <div className="space-y-4">
        <Delivery hours={hours} rangeLabel={chosen.label} />
        <div className="grid gap-4 lg:grid-cols-2">
          <Anomalies />
          <Recommendations />
        </div>
        <section aria-labelledby="over-time-heading" className="space-y-3">
          <h2 id="over-time-heading" className="text-[15px] font-semibold">
            Over time
          </h2>
          <div className="grid gap-4 lg:grid-cols-2 2xl:grid-cols-3">
            {METRICS.map((metric) => (
              <MetricChart key={metric.type} {...metric} hours={hours} />
            ))}
          </div>
        </section>
        <EventLog />
      </div>
    </div>
  );
}
