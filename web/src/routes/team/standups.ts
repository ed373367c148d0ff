// How a standup reads: its day in words, the production line, the short line an older
// standup is listed with, and the agents' work.
import type { StandupRow } from '../../api/models';
import { agentTypeWords } from '../agents/waiting';

const DAY = new Intl.DateTimeFormat('en', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
const SHORT_DAY = new Intl.DateTimeFormat('en', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** The calendar day of `YYYY-MM-DD` (already in the organization's time zone), read as a date alone. */
function dayAt(day: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : null;
}

/** "Friday, March 6, 2026" (the day as written when it cannot be read). */
export function standupDay(day: string): string {
  const at = dayAt(day);
  return at === null ? day : DAY.format(at);
}

/** "Fri, Mar 6". */
export function standupShortDay(day: string): string {
  const at = dayAt(day);
  return at === null ? day : SHORT_DAY.format(at);
}

/** "2 ready, 1 failed (web, api)", or null when nothing was deployed to production that day. */
export function productionLine(standup: Pick<StandupRow, 'deployments_ready' | 'deployments_failed' | 'projects'>): string | null {
  if (standup.deployments_ready === 0 && standup.deployments_failed === 0) return null;
  const projects = standup.projects.length ? ` (${standup.projects.join(', ')})` : '';
  return `${standup.deployments_ready} ready, ${standup.deployments_failed} failed${projects}`;
}

function counted(count: number, what: string): string | null {
  return count > 0 ? `${count} ${what}` : null;
}

/** "2 merged · 1 opened · 3 waiting for review · 1 deployment · 1 incident", or "a quiet day". */
export function standupCounts(standup: StandupRow): string {
  const deployments = standup.deployments_ready + standup.deployments_failed;
  const parts = [
    counted(standup.merged.length, 'merged'),
    counted(standup.opened.length, 'opened'),
    counted(standup.waiting_for_review.length, 'waiting for review'),
    counted(deployments, deployments === 1 ? 'deployment' : 'deployments'),
    counted(standup.incidents, standup.incidents === 1 ? 'incident' : 'incidents'),
  ].filter((part): part is string => part !== null);
  return parts.length ? parts.join(' · ') : 'a quiet day';
}

/** "Code review: 4 completed, 1 failed". */
export function agentWorkLine(work: StandupRow['agents'][number]): string {
  const words = agentTypeWords(work.agent_type);
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}: ${work.completed} completed, ${work.failed} failed`;
}
