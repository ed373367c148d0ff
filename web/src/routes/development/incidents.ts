// Incidents from their timelines: the incident coordinator writes each step as an event
// (`incident.opened`, `incident.rollback_proposed`, `incident.rolled_back`,
// `incident.rollback_rejected`, `incident.rollback_failed`, `incident.still_unhealthy`,
// `incident.resolved`) whose metadata names the incident (its `open_incident` task id).
// Pure, so it is unit-tested.
import type { IncidentEventFieldsFragment, IncidentEventsQuery } from '../../api/generated/gql/graphql';
import type { TaskRow } from '../../api/models';

export type IncidentEvent = IncidentEventFieldsFragment;

export type IncidentStatus = 'open' | 'resolved' | 'unresolved';

export interface Incident {
  /** The `open_incident` task's id. */
  id: string;
  status: IncidentStatus;
  /** The deployment's project, as the incident was opened with. */
  project: string | null;
  reason: string | null;
  severity: string | null;
  deployment: { deployment_id?: string; vercel_deployment_id?: string; url?: string; project?: string } | null;
  openedAt: string;
  resolvedAt: string | null;
  /** Seconds from opened to resolved, once resolved. */
  timeToRestoreSeconds: number | null;
  /** Oldest first. */
  timeline: IncidentEvent[];
  /** Where the incident stands now: the latest event's kind (`rolled_back`, `rollback_proposed`…). */
  latest: string;
}

/** The words a timeline shows for each kind of event. */
export const INCIDENT_STEPS: Record<string, string> = {
  'incident.opened': 'Opened',
  'incident.rollback_proposed': 'Rollback proposed, waiting for approval',
  'incident.rolled_back': 'Rolled back',
  'incident.rollback_rejected': 'Rollback rejected',
  'incident.rollback_failed': 'Rollback failed',
  'incident.still_unhealthy': 'Still unhealthy after the rollback',
  'incident.resolved': 'Resolved',
};

const ENDS_UNRESOLVED = new Set(['incident.rollback_rejected', 'incident.rollback_failed', 'incident.still_unhealthy']);

function text(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The incident an event belongs to: `metadata.incident`, else the event's resource (the incident task). */
export function incidentIdOf(event: IncidentEvent): string | null {
  return text(record(event.metadata)?.incident) ?? (event.eventType.startsWith('incident.') ? event.resourceId : null);
}

/** The kinds of event an incident's timeline holds, in the order they happen. */
export const INCIDENT_EVENT_TYPES = Object.keys(INCIDENT_STEPS);

/** The events of every page of the incident queries (one per kind), in one list. */
export function incidentEventsOf(pages: (IncidentEventsQuery | undefined)[] | undefined): IncidentEvent[] {
  return (pages ?? []).flatMap((page) => page?.events.items ?? []);
}

/** Incidents grouped from their events, the newest first (by when each was opened, or its first event). */
export function groupIncidents(events: IncidentEvent[]): Incident[] {
  const byIncident = new Map<string, IncidentEvent[]>();
  const seen = new Set<string>();
  for (const event of events) {
    if (!event.eventType.startsWith('incident.') || seen.has(event.id)) continue;
    const id = incidentIdOf(event);
    if (!id) continue;
    seen.add(event.id);
    const list = byIncident.get(id) ?? [];
    list.push(event);
    byIncident.set(id, list);
  }
  const incidents: Incident[] = [];
  for (const [id, list] of byIncident) {
    const timeline = [...list].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id));
    const opened = timeline.find((event) => event.eventType === 'incident.opened') ?? null;
    const resolved = timeline.find((event) => event.eventType === 'incident.resolved') ?? null;
    const last = timeline[timeline.length - 1]!;
    const metadata = record(opened?.metadata) ?? {};
    const deployment = record(metadata.deployment) as Incident['deployment'];
    const openedAt = opened?.createdAt ?? timeline[0]!.createdAt;
    incidents.push({
      id,
      status: resolved ? 'resolved' : ENDS_UNRESOLVED.has(last.eventType) ? 'unresolved' : 'open',
      project: text(deployment?.project),
      reason: text(metadata.reason),
      severity: text(metadata.severity),
      deployment,
      openedAt,
      resolvedAt: resolved?.createdAt ?? null,
      timeToRestoreSeconds: resolved ? Math.max(0, (Date.parse(resolved.createdAt) - Date.parse(openedAt)) / 1000) : null,
      timeline,
      latest: last.eventType,
    });
  }
  return incidents.sort((a, b) => Date.parse(b.openedAt) - Date.parse(a.openedAt) || b.id.localeCompare(a.id));
}

/**
 * The rollback an incident proposed, while it waits for a person: the `rollback` task
 * whose reason names the incident ("incident <id>: …") and that still needs approval.
 */
export function pendingRollbackOf(incident: Pick<Incident, 'id' | 'status'>, tasks: TaskRow[] | undefined): TaskRow | null {
  if (incident.status === 'resolved') return null;
  return (
    (tasks ?? []).find((task) => {
      if (task.task_type !== 'rollback' || task.status !== 'needs_approval') return false;
      const reason = text(task.input_data?.reason);
      return reason !== null && reason.startsWith(`incident ${incident.id}`);
    }) ?? null
  );
}

/** "42 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return whole % 60 ? `${minutes} min ${whole % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
