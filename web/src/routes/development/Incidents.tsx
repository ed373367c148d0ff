// Incidents: each one's timeline as the incident coordinator wrote it (events grouped by
// `metadata.incident`), newest first, with its status, project, reason, time to restore,
// and the rollback that waits for a person's approval.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { CheckCircle2, CircleAlert, Inbox, Siren } from 'lucide-react';
import { gql } from '../../api/graphql';
import { IncidentEventsQuery } from '../../api/documents';
import { api, call } from '../../api/rest';
import { useOrganization, useOrgKey } from '../../api/hooks';
import type { TaskRow } from '../../api/models';
import { Badge, Card, EmptyState, ErrorNotice, LoadingBlock, Mono, Time, buttonClass, cx } from '../../components/ui';
import { absoluteTime, shortId } from '../../lib/time';
import { INCIDENT_EVENT_TYPES, INCIDENT_STEPS, formatDuration, groupIncidents, incidentEventsOf, pendingRollbackOf, type Incident, type IncidentStatus } from './incidents';

const STATUS: Record<IncidentStatus, { label: string; tone: 'green' | 'amber' | 'red' }> = {
  resolved: { label: 'resolved', tone: 'green' },
  open: { label: 'open', tone: 'amber' },
  unresolved: { label: 'open · unresolved', tone: 'red' },
};

const STEP_TONES: Record<string, string> = {
  'incident.opened': 'bg-red-600',
  'incident.rollback_proposed': 'bg-violet-600',
  'incident.rolled_back': 'bg-sky-600',
  'incident.rollback_rejected': 'bg-red-600',
  'incident.rollback_failed': 'bg-red-600',
  'incident.still_unhealthy': 'bg-red-600',
  'incident.resolved': 'bg-emerald-600',
};

function stepDetail(event: Incident['timeline'][number]): string | null {
  const metadata = (typeof event.metadata === 'object' && event.metadata !== null ? event.metadata : {}) as Record<string, unknown>;
  if (event.eventType === 'incident.rolled_back' && typeof metadata.to === 'string') return `to ${metadata.to}`;
  if ((event.eventType === 'incident.rollback_failed' || event.eventType === 'incident.rollback_rejected') && typeof metadata.error === 'string') return metadata.error;
  return null;
}

export function IncidentCard({ incident, rollback }: { incident: Incident; rollback: TaskRow | null }) {
  const status = STATUS[incident.status];
  return (
    <li className="rounded-lg border border-line bg-panel p-4 shadow-sm" data-testid="incident" data-status={incident.status} data-incident={incident.id}>
      <div className="flex flex-wrap items-center gap-2">
        {incident.status === 'resolved' ? <CheckCircle2 className="size-4 text-emerald-600" aria-hidden /> : <CircleAlert className="size-4 text-red-600" aria-hidden />}
        <h3 className="text-[14px] font-semibold">{incident.project ?? 'A deployment'}</h3>
        <Badge tone={status.tone}>{status.label}</Badge>
        {incident.severity && <Badge tone={incident.severity === 'critical' || incident.severity === 'high' ? 'red' : 'gray'}>{incident.severity}</Badge>}
        <span className="ml-auto text-[12px] text-muted">
          opened <Time iso={incident.openedAt} />
        </span>
      </div>
      {incident.reason && <p className="mt-1 text-[13px]">{incident.reason}</p>}
      <div className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-[12px] text-muted">
        <Link to={`/agents/tasks/${incident.id}`} className="hover:underline">
          incident <Mono className="text-muted">{shortId(incident.id)}</Mono>
        </Link>
        {incident.deployment?.vercel_deployment_id && (
          <span>
            deployment <Mono className="text-muted">{incident.deployment.vercel_deployment_id}</Mono>
          </span>
        )}
        {incident.timeToRestoreSeconds !== null && (
          <span className="font-medium text-emerald-800 dark:text-emerald-300" data-testid="time-to-restore">
            restored in {formatDuration(incident.timeToRestoreSeconds)}
          </span>
        )}
      </div>
      {rollback && (
        <div className="mt-2 flex flex-wrap items-center gap-2 rounded-md border border-violet-200 bg-violet-50 px-3 py-2 text-[12px] text-violet-950 dark:border-violet-900 dark:bg-violet-950/40 dark:text-violet-200" data-testid="incident-rollback">
          <Inbox className="size-3.5" aria-hidden />
          <span>
            A rollback waits for approval (<Link className="underline" to={`/agents/tasks/${rollback.id}`}><Mono className="text-inherit">{shortId(rollback.id)}</Mono></Link>).
          </span>
          <Link to="/agents/approvals" className={cx(buttonClass('secondary', 'sm'), 'ml-auto')}>
            Open the approval inbox
          </Link>
        </div>
      )}
      <ol className="mt-3 space-y-1.5 border-l border-line pl-4" aria-label="Timeline">
        {incident.timeline.map((event) => {
          const detail = stepDetail(event);
          return (
            <li key={event.id} className="relative text-[12px]" data-event-type={event.eventType}>
              <span className={cx('absolute top-1.5 -left-[21px] size-2 rounded-full ring-2 ring-panel', STEP_TONES[event.eventType] ?? 'bg-zinc-400')} aria-hidden />
              <time dateTime={event.createdAt} className="mr-2 font-mono text-muted tabular-nums" title={absoluteTime(event.createdAt)}>
                {absoluteTime(event.createdAt)}
              </time>
              <span className="font-medium">{INCIDENT_STEPS[event.eventType] ?? event.eventType}</span>
              {detail && <span className="ml-1 text-muted">— {detail}</span>}
            </li>
          );
        })}
      </ol>
    </li>
  );
}

export function Incidents() {
  const { organizationId } = useOrganization();
  const events = useQuery({
    queryKey: useOrgKey('events', 'incidents'),
    refetchInterval: 30_000,
    queryFn: () => Promise.all(INCIDENT_EVENT_TYPES.map((eventType) => gql(IncidentEventsQuery, { organizationId, eventType }))),
  });
  const rollbacks = useQuery({
    queryKey: useOrgKey('tasks', 'rollbacks', 'needs_approval'),
    refetchInterval: 30_000,
    queryFn: () => call(api.GET('/api/agent-tasks', { params: { query: { type: 'rollback', status: 'needs_approval', include: 'data', limit: 100 } } })),
  });
  const incidents = groupIncidents(incidentEventsOf(events.data));
  const open = incidents.filter((incident) => incident.status !== 'resolved').length;
  return (
    <Card
      title={
        <div className="flex items-center gap-2">
          <h2 className="text-[13px] font-semibold">Incidents</h2>
          {open > 0 && <Badge tone="red">{open} open</Badge>}
        </div>
      }
      bodyClassName="p-4"
    >
      {events.isLoading && <LoadingBlock />}
      {events.error && <ErrorNotice error={events.error} what="The incident timeline" />}
      {events.data && incidents.length === 0 && (
        <EmptyState icon={<Siren className="size-5" aria-hidden />} title="No incidents">
          An incident opens when a production deployment fails (Vercel tells the <Mono>vercel_watcher</Mono>), or when a deploy pipeline's health monitor finds the new deployment unhealthy. The <Mono>incident_response</Mono> agent then writes its timeline here, proposes a rollback for approval, and records the time to restore.
        </EmptyState>
      )}
      {incidents.length > 0 && (
        <ul className="space-y-3" data-testid="incidents">
          {incidents.map((incident) => (
            <IncidentCard key={incident.id} incident={incident} rollback={pendingRollbackOf(incident, rollbacks.data?.items)} />
          ))}
        </ul>
      )}
    </Card>
  );
}
