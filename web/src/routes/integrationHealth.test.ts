import { describe, expect, it } from 'vitest';
import { integrationHealth, sentence, watcherState, type IntegrationView } from './integrationHealth';

function integration(overrides: Partial<IntegrationView> = {}): IntegrationView {
  return {
    id: 'i1', service: 'github', status: 'active', metadata: {}, last_sync_at: '2026-01-01T10:00:00Z',
    created_at: '2026-01-01T09:00:00Z', updated_at: '2026-01-01T10:00:00Z', webhook_url: null, webhook_secret_set: null,
    last_sync: { at: '2026-01-01T10:00:00Z', ok: true, error: null },
    ...overrides,
  };
}

describe('integration health', () => {
  it('is green only when the last sync went well', () => {
    expect(integrationHealth(integration(), 'GitHub')).toEqual({ tone: 'green', label: 'active', problem: null });
    // Never synced yet, or a node that does not report the outcome.
    expect(integrationHealth(integration({ last_sync: null }), 'GitHub').tone).toBe('green');
    expect(integrationHealth(integration({ last_sync: undefined }), 'GitHub').tone).toBe('green');
  });

  it('is amber after a failed sync even while the status says active', () => {
    const health = integrationHealth(integration({ last_sync: { at: '2026-01-01T11:00:00Z', ok: false, error: 'github answered 502 Bad Gateway' } }), 'GitHub');
    expect(health).toEqual({ tone: 'amber', label: 'sync failed', problem: 'Github answered 502 Bad Gateway.' });
  });

  it('is red when the service refused the credentials, and says to reconnect', () => {
    const refused = integrationHealth(integration({ status: 'error', last_sync: { at: '2026-01-01T11:00:00Z', ok: false, error: 'the credentials were refused (401)' } }), 'GitHub');
    expect(refused.tone).toBe('red');
    expect(refused.label).toBe('error');
    expect(refused.problem).toBe('The credentials were refused (401). Reconnect with credentials GitHub accepts.');
    expect(integrationHealth(integration({ status: 'error', last_sync: null }), 'GitHub').problem).toBe('GitHub refused the credentials. Reconnect with credentials GitHub accepts.');
  });

  it('is gray while inactive', () => {
    expect(integrationHealth(integration({ status: 'inactive' }), 'Slack')).toEqual({ tone: 'gray', label: 'inactive', problem: null });
  });

  it('makes a sentence of the node’s words', () => {
    expect(sentence('  bad  credentials ')).toBe('Bad credentials.');
    expect(sentence('Done!')).toBe('Done!');
    expect(sentence('')).toBe('');
  });
});

describe('the watcher after connecting', () => {
  it('is the one just started, else one already running, else a disabled one, else none', () => {
    expect(watcherState('github_watcher', [{ name: 'github watcher', type: 'github_watcher' }], [])).toEqual({ state: 'started', name: 'github watcher' });
    const agents = [
      { name: 'off', type: 'github_watcher', status: 'DISABLED' },
      { name: 'on', type: 'github_watcher', status: 'IDLE' },
      { name: 'reviewer', type: 'code_review', status: 'IDLE' },
    ];
    expect(watcherState('github_watcher', [{ name: 'Code review', type: 'code_review' }], agents)).toEqual({ state: 'running', name: 'on' });
    expect(watcherState('github_watcher', [], agents.slice(0, 1))).toEqual({ state: 'disabled', name: 'off' });
    expect(watcherState('github_watcher', [], agents.slice(2))).toEqual({ state: 'none' });
  });
});

describe('a refusal that already says what to do', () => {
  it('is not told twice to reconnect', () => {
    const health = integrationHealth(integration({ status: 'error', last_sync: { at: '2026-01-01T11:00:00Z', ok: false, error: 'github refused the credentials: reconnect with a valid token' } }), 'GitHub');
    expect(health.problem).toBe('Github refused the credentials: reconnect with a valid token.');
  });
});
