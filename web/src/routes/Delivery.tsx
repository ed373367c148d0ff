// The Intelligence Hub's delivery section: the four DORA keys of the chosen range (each
// with its band and the counts behind it), the keys per project, and the business
// metrics, computed by the node when asked (GET /api/analytics/delivery).
import { useQuery } from '@tanstack/react-query';
import { Activity } from 'lucide-react';
import { api, call } from '../api/rest';
import { useOrgKey } from '../api/hooks';
import type { Band, DeliveryReport, DoraKeys } from '../api/models';
import { Badge, Card, EmptyState, ErrorNotice, LoadingBlock, Stat, tableClass } from '../components/ui';
import { DORA_KEYS, bandLabel, bandTone, doraKey, formatDoraValue, formatFigure, rangeBounds, type DoraKeyDefinition } from './dora';

export function BandBadge({ band }: { band: Band | null }) {
  return (
    <Badge tone={bandTone(band)} className={band ? undefined : 'font-normal'}>
      <span data-testid="dora-band" data-band={band ?? 'none'}>
        {bandLabel(band)}
      </span>
    </Badge>
  );
}

function KeyCard({ definition, keys }: { definition: DoraKeyDefinition; keys: DoraKeys }) {
  const key = doraKey(keys, definition.key);
  return (
    <div className="min-w-0 rounded-lg border border-line bg-panel p-4 shadow-sm" data-testid="dora-key" data-key={definition.key} title={definition.means}>
      <div className="flex items-start justify-between gap-2">
        <h3 className="text-[11px] font-medium tracking-wide text-muted uppercase">{definition.label}</h3>
        <BandBadge band={key?.band ?? null} />
      </div>
      <div className="mt-1 text-2xl font-semibold tabular-nums" data-testid="dora-value">
        {key ? formatDoraValue(key.value, definition.unit) : '—'}
      </div>
      <div className="text-[12px] text-muted">{definition.counts(keys)}</div>
    </div>
  );
}

function ProjectCell({ keys, definition }: { keys: DoraKeys; definition: DoraKeyDefinition }) {
  const key = doraKey(keys, definition.key);
  if (!key) return <span className="text-muted">—</span>;
  return (
    <span className="inline-flex items-center gap-1.5 tabular-nums">
      {formatDoraValue(key.value, definition.unit)}
      <Badge tone={bandTone(key.band)}>{bandLabel(key.band)}</Badge>
    </span>
  );
}

function Business({ report }: { report: DeliveryReport }) {
  const business = report.business;
  return (
    <div className="grid grid-cols-2 gap-4 md:grid-cols-4" data-testid="business-metrics">
      <Stat label="Deployments per day" value={formatFigure(business.deployments_per_day)} hint="finished production deployments" />
      <Stat label="Pull requests merged" value={formatFigure(business.pull_requests_merged_per_week)} hint="per week" />
      <Stat label="Social posts published" value={formatFigure(business.social_posts_published)} hint="in this range" />
      <Stat
        label="Agent task success rate"
        value={business.agent_task_success_rate === null || business.agent_task_success_rate === undefined ? '—' : `${formatFigure(business.agent_task_success_rate)}%`}
        hint={business.agent_task_success_rate === null || business.agent_task_success_rate === undefined ? 'no task finished in this range' : 'completed, of the finished tasks'}
      />
    </div>
  );
}

/** The delivery report of the range ending now (`hours` long). */
export function Delivery({ hours, rangeLabel }: { hours: number; rangeLabel: string }) {
  const report = useQuery({
    queryKey: useOrgKey('delivery', hours),
    queryFn: () => {
      const { from, to } = rangeBounds(hours);
      return call(api.GET('/api/analytics/delivery', { params: { query: { from, to } } }));
    },
  });
  const data = report.data;
  const empty = data && data.overall.deployments === 0 && data.overall.failures === 0 && data.overall.changes_deployed === 0;
  return (
    <section aria-labelledby="delivery-heading" className="space-y-3" data-testid="delivery">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="delivery-heading" className="text-[15px] font-semibold">
          Delivery (DORA)
        </h2>
        <span className="text-[12px] text-muted">last {rangeLabel} · production deployments · bands by the DORA 2023 thresholds</span>
      </div>
      {report.isLoading && <LoadingBlock rows={2} />}
      {report.error && <ErrorNotice error={report.error} what="The delivery report" />}
      {data && (
        <>
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4" data-testid="dora-cards">
            {DORA_KEYS.map((definition) => (
              <KeyCard key={definition.key} definition={definition} keys={data.overall} />
            ))}
          </div>
          {empty && (
            <EmptyState icon={<Activity className="size-5" aria-hidden />} title="No production deployments in this range">
              The keys are measured from production deployments (Vercel, or GitHub deployments) and the pull requests they ship: connect them in Integrations, or choose a longer range.
            </EmptyState>
          )}
          <div className="grid gap-4 xl:grid-cols-[1fr_minmax(0,28rem)]">
            <Card title="By project" bodyClassName="p-0">
              {data.projects.length === 0 ? (
                <p className="px-4 py-5 text-[13px] text-muted">No project deployed to production in this range.</p>
              ) : (
                // Its own scrolling region, reachable by keyboard: the table is wider than
                // the column it sits in on narrow screens.
                <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="DORA keys by project">
                <table className={tableClass} data-testid="dora-projects">
                  <thead>
                    <tr>
                      <th>Project</th>
                      {DORA_KEYS.map((definition) => (
                        <th key={definition.key}>{definition.label}</th>
                      ))}
                      <th className="text-right">Deployments</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.projects.map((project) => (
                      <tr key={project.project} data-testid="dora-project">
                        <td className="font-medium">{project.project}</td>
                        {DORA_KEYS.map((definition) => (
                          <td key={definition.key}>
                            <ProjectCell keys={project.keys} definition={definition} />
                          </td>
                        ))}
                        <td className="text-right tabular-nums">
                          {project.keys.deployments}
                          {project.keys.failures > 0 && <span className="text-muted"> ({project.keys.failures} failed)</span>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                </div>
              )}
            </Card>
            <Card title="Business">
              <Business report={data} />
            </Card>
          </div>
        </>
      )}
    </section>
  );
}
