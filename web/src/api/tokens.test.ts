import { describe, expect, it, vi } from 'vitest';
import { REFRESH_MARGIN_MS, TokenManager, type RotationMessage, type TokenDeps } from './tokens';
import type { Session } from './models';

function memoryStorage(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
    values,
  };
}

/** A bus standing in for BroadcastChannel between tabs (a sender does not hear itself). */
function bus() {
  const handlers: ((message: RotationMessage) => void)[] = [];
  return {
    channel: () => {
      let own: ((message: RotationMessage) => void) | null = null;
      return {
        post: (message: RotationMessage) => handlers.filter((handler) => handler !== own).forEach((handler) => handler(message)),
        listen: (handler: (message: RotationMessage) => void) => {
          own = handler;
          handlers.push(handler);
        },
      };
    },
  };
}

/** A lock shared by the "tabs" of one test, like navigator.locks. */
function sharedLock() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T,>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** A session as POST /api/auth/refresh answers it (no user or organization on a refresh). */
function session(n: number, expiresIn = 900): Session {
  return { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'Bearer', expires_in: expiresIn };
}

/** A node that rotates: each refresh token works once; reusing one is a 401. */
function fakeNode() {
  let issued = 1;
  const valid = new Set(['refresh-1']);
  const calls: string[] = [];
  const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
    const { refresh_token } = JSON.parse(String(init?.body)) as { refresh_token: string };
    calls.push(refresh_token);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (!valid.delete(refresh_token)) return new Response(JSON.stringify({ title: 'Not authenticated', status: 401 }), { status: 401 });
    issued += 1;
    valid.add(`refresh-${issued}`);
    return new Response(JSON.stringify(session(issued)), { status: 200 });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

function deps(overrides: Partial<TokenDeps>): TokenDeps {
  return {
    fetch: vi.fn() as unknown as typeof fetch,
    storage: memoryStorage(),
    now: () => 1_000_000,
    withLock: (task) => task(),
    channel: null,
    setTimer: () => 0,
    clearTimer: () => undefined,
    ...overrides,
  };
}

describe('TokenManager', () => {
  it('keeps the refresh token in session storage and the access token in memory only', () => {
    const storage = memoryStorage();
    const tokens = new TokenManager(deps({ storage }));
    tokens.setSession(session(1));
    expect(storage.values.get('companyos.refresh')).toBe('refresh-1');
    expect([...storage.values.values()]).not.toContain('access-1');
  });

  it('returns the access token while it is fresh, without refreshing', async () => {
    const node = fakeNode();
    const tokens = new TokenManager(deps({ fetch: node.fetch }));
    tokens.setSession(session(1));
    await expect(tokens.getAccessToken()).resolves.toBe('access-1');
    expect(node.calls).toHaveLength(0);
  });

  it('refreshes before expiry, inside the margin', async () => {
    let now = 0;
    const node = fakeNode();
    const tokens = new TokenManager(deps({ fetch: node.fetch, now: () => now }));
    tokens.setSession(session(1, 900));
    now = 900_000 - REFRESH_MARGIN_MS + 1;
    await expect(tokens.getAccessToken()).resolves.toBe('access-2');
    expect(node.calls).toEqual(['refresh-1']);
  });

  it('shares one refresh between concurrent callers of a tab', async () => {
    const node = fakeNode();
    const tokens = new TokenManager(deps({ fetch: node.fetch, storage: memoryStorage({ 'companyos.refresh': 'refresh-1' }) }));
    const results = await Promise.all([tokens.getAccessToken(), tokens.getAccessToken(), tokens.refresh(), tokens.getAccessToken()]);
    expect(results).toEqual(['access-2', 'access-2', 'access-2', 'access-2']);
    expect(node.calls).toEqual(['refresh-1']);
  });

  it('never spends the same refresh token twice across two tabs that share it', async () => {
    const node = fakeNode();
    const lock = sharedLock();
    const channel = bus();
    const tabA = new TokenManager(deps({ fetch: node.fetch, withLock: lock, channel: channel.channel(), storage: memoryStorage({ 'companyos.refresh': 'refresh-1' }) }));
    const tabB = new TokenManager(deps({ fetch: node.fetch, withLock: lock, channel: channel.channel(), storage: memoryStorage({ 'companyos.refresh': 'refresh-1' }) }));
    const [a, b] = await Promise.all([tabA.getAccessToken(), tabB.getAccessToken()]);
    expect(node.calls).toEqual(['refresh-1']);
    expect(a).toBe('access-2');
    expect(b).toBe('access-2');
    expect(tabB.currentRefreshToken()).toBe('refresh-2');
  });

  it('signs out when the node refuses the refresh token', async () => {
    const node = fakeNode();
    const storage = memoryStorage({ 'companyos.refresh': 'spent' });
    const tokens = new TokenManager(deps({ fetch: node.fetch, storage }));
    const listener = vi.fn();
    tokens.onChange(listener);
    await expect(tokens.getAccessToken()).resolves.toBeNull();
    expect(tokens.hasSession).toBe(false);
    expect(storage.values.has('companyos.refresh')).toBe(false);
    expect(listener).toHaveBeenCalledWith(false);
  });

  it('after a 401 with a token someone already replaced, uses the new one instead of refreshing', async () => {
    const node = fakeNode();
    const tokens = new TokenManager(deps({ fetch: node.fetch }));
    tokens.setSession(session(5));
    await expect(tokens.refresh('access-4')).resolves.toBe('access-5');
    expect(node.calls).toHaveLength(0);
  });

  it('schedules the next refresh a minute before expiry', () => {
    const setTimer = vi.fn(() => 1);
    const tokens = new TokenManager(deps({ setTimer, now: () => 0 }));
    tokens.setSession(session(1, 900));
    expect(setTimer).toHaveBeenCalledWith(expect.any(Function), 900_000 - REFRESH_MARGIN_MS + 1_000);
  });

  it('a sign-out in one tab signs out the tabs sharing its session', () => {
    const channel = bus();
    const tabA = new TokenManager(deps({ channel: channel.channel(), storage: memoryStorage({ 'companyos.refresh': 'refresh-1' }) }));
    const tabB = new TokenManager(deps({ channel: channel.channel(), storage: memoryStorage({ 'companyos.refresh': 'refresh-1' }) }));
    const other = new TokenManager(deps({ channel: channel.channel(), storage: memoryStorage({ 'companyos.refresh': 'refresh-9' }) }));
    tabA.clear();
    expect(tabB.hasSession).toBe(false);
    expect(other.hasSession).toBe(true);
  });
});
