// How an integration is doing, as its card says it: the node's status and the outcome of
// its last sync (`last_sync`: when, ok or why not). A failed sync is never shown as a
// green "active": refused credentials (`status: error`) are red, any other failure amber.
// And whether the service's watcher agent runs, which turns its webhooks into tasks.
// Pure, so it is unit-tested.
import type { IntegrationRow } from '../api/models';

/** How the last sync went (the document's `LastSync`). */
export type LastSync = NonNullable<IntegrationRow['last_sync']>;
export type IntegrationView = IntegrationRow;

export type HealthTone = 'green' | 'amber' | 'red' | 'gray';

export interface Health {
  tone: HealthTone;
  /** The badge: "active", "sync failed", "error", "inactive". */
  label: string;
  /** What went wrong, in a sentence, when something did. */
  problem: string | null;
}

/** The node's words for a failure, as a sentence. */
export function sentence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (!trimmed) return '';
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export function integrationHealth(integration: IntegrationView, serviceName: string): Health {
  const failed = integration.last_sync && !integration.last_sync.ok ? integration.last_sync : null;
  const why = failed?.error ? sentence(failed.error) : null;
  if (integration.status === 'error') {
    return {
      tone: 'red',
      label: 'error',
      problem: why && /reconnect/i.test(why) ? why : `${why ?? `${serviceName} refused the credentials.`} Reconnect with credentials ${serviceName} accepts.`,
    };
  }
  if (failed) return { tone: 'amber', label: 'sync failed', problem: why ?? 'The last sync failed; the node did not say why.' };
  if (integration.status === 'inactive') return { tone: 'gray', label: 'inactive', problem: null };
  return { tone: 'green', label: 'active', problem: null };
}

/** Whether the service's watcher turns its webhooks into tasks, after connecting. */
export type WatcherState =
  | { state: 'started'; name: string }
  | { state: 'running'; name: string }
  | { state: 'disabled'; name: string }
  | { state: 'none' };

interface AgentLike {
  name: string;
  type: string;
  status: string;
}

export function watcherState(watcher: string, started: readonly Pick<AgentLike, 'name' | 'type'>[], agents: readonly AgentLike[]): WatcherState {
  const fresh = started.find((agent) => agent.type === watcher);
  if (fresh) return { state: 'started', name: fresh.name };
  const ofType = agents.filter((agent) => agent.type === watcher);
  const running = ofType.find((agent) => agent.status.toUpperCase() !== 'DISABLED');
  if (running) return { state: 'running', name: running.name };
  const disabled = ofType[0];
  if (disabled) return { state: 'disabled', name: disabled.name };
  return { state: 'none' };
}
