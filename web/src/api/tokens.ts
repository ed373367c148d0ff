// The session's tokens. The access token (15 minutes) lives in memory only; the refresh
// token lives in sessionStorage, so a reload of the tab keeps the session while nothing
// long-lived sits in localStorage, and closing the tab ends it. (An httpOnly cookie set
// by the node would keep it out of script's reach entirely; the node does not offer one.)
//
// Each refresh token works once, and a rotated one used again revokes its whole family.
// So refreshing is single-flight within a tab, serialised across tabs with a Web Lock,
// and a tab that rotates tells the others (BroadcastChannel): a duplicated tab, which
// starts with a copy of the same sessionStorage, adopts the new pair instead of using
// the spent token.

import type { Session } from './models';
import { CLIENT_HEADER } from './client';

/** What the manager keeps of a session: the pair and the access token's lifetime. */
export type SessionTokens = Pick<Session, 'access_token' | 'refresh_token' | 'expires_in'>;

export interface TokenDeps {
  fetch: typeof fetch;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  now: () => number;
  /** Runs `task` holding a lock shared by every tab of this origin. */
  withLock: <T>(task: () => Promise<T>) => Promise<T>;
  channel: { post: (message: RotationMessage) => void; listen: (handler: (message: RotationMessage) => void) => void } | null;
  setTimer: (callback: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

export interface RotationMessage {
  kind: 'rotated' | 'signed-out';
  previous: string;
  session?: SessionTokens;
  expiresAt?: number;
}

const STORAGE_KEY = 'companyos.refresh';
/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;

export type SessionListener = (signedIn: boolean) => void;

export class TokenManager {
  private accessToken: string | null = null;
  private expiresAt = 0;
  private refreshToken: string | null;
  private inflight: Promise<string | null> | null = null;
  private timer: unknown = null;
  private listeners = new Set<SessionListener>();

  constructor(private readonly deps: TokenDeps) {
    this.refreshToken = deps.storage?.getItem(STORAGE_KEY) ?? null;
    deps.channel?.listen((message) => this.onMessage(message));
  }

  get hasSession(): boolean {
    return this.refreshToken !== null;
  }

  onChange(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stores a pair from login, register, refresh or the GitHub callback. */
  setSession(session: SessionTokens, expiresAt?: number): void {
    this.accessToken = session.access_token;
    this.expiresAt = expiresAt ?? this.deps.now() + session.expires_in * 1000;
    this.refreshToken = session.refresh_token;
    this.deps.storage?.setItem(STORAGE_KEY, session.refresh_token);
    this.schedule();
    this.emit(true);
  }

  /** Adopts a refresh token alone (the GitHub login callback); the next call refreshes. */
  adoptRefreshToken(token: string): void {
    this.accessToken = null;
    this.expiresAt = 0;
    this.refreshToken = token;
    this.deps.storage?.setItem(STORAGE_KEY, token);
  }

  clear(broadcast = true): void {
    const previous = this.refreshToken;
    this.accessToken = null;
    this.expiresAt = 0;
    this.refreshToken = null;
    this.deps.storage?.removeItem(STORAGE_KEY);
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    if (broadcast && previous) this.deps.channel?.post({ kind: 'signed-out', previous });
    this.emit(false);
  }

  /** The refresh token to revoke at sign-out. */
  currentRefreshToken(): string | null {
    return this.refreshToken;
  }

  private fresh(): boolean {
    return this.accessToken !== null && this.deps.now() < this.expiresAt - REFRESH_MARGIN_MS;
  }

  /** A valid access token, refreshing first when it is about to expire; null when signed out. */
  async getAccessToken(): Promise<string | null> {
    if (this.fresh()) return this.accessToken;
    if (!this.refreshToken) return null;
    return this.refresh();
  }

  /**
   * Rotates the refresh token. Concurrent callers share one request; other tabs wait on
   * the lock, and find the pair the first one broadcast. `rejected` is an access token
   * the node refused: a different current one means someone refreshed meanwhile.
   */
  refresh(rejected?: string): Promise<string | null> {
    if (this.inflight) return this.inflight;
    const run = async (): Promise<string | null> => {
      if (this.accessToken && this.accessToken !== rejected && this.fresh()) return this.accessToken;
      const used = this.refreshToken;
      if (!used) return null;
      const response = await this.deps.fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...CLIENT_HEADER },
        body: JSON.stringify({ refresh_token: used }),
      });
      if (this.refreshToken !== used) {
        // Another tab rotated while our request was in flight and told us.
        return this.accessToken;
      }
      if (response.status === 401 || response.status === 400 || response.status === 422) {
        this.clear();
        return null;
      }
      if (!response.ok) throw new Error(`refresh failed with HTTP ${response.status}`);
      const answer = (await response.json()) as Session;
      const session: SessionTokens = { access_token: answer.access_token, refresh_token: answer.refresh_token, expires_in: answer.expires_in };
      this.setSession(session);
      this.deps.channel?.post({ kind: 'rotated', previous: used, session, expiresAt: this.expiresAt });
      return session.access_token;
    };
    this.inflight = this.deps.withLock(run).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private onMessage(message: RotationMessage): void {
    if (!this.refreshToken || message.previous !== this.refreshToken) return;
    if (message.kind === 'rotated' && message.session) this.setSession(message.session, message.expiresAt);
    if (message.kind === 'signed-out') this.clear(false);
  }

  private schedule(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    const delay = Math.max(1_000, this.expiresAt - REFRESH_MARGIN_MS - this.deps.now() + 1_000);
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      void this.refresh().catch(() => undefined);
    }, delay);
  }

  private emit(signedIn: boolean): void {
    for (const listener of this.listeners) listener(signedIn);
  }
}

/** The browser's implementations of the dependencies. */
export function browserTokenDeps(): TokenDeps {
  const hasLocks = typeof navigator !== 'undefined' && 'locks' in navigator && navigator.locks;
  let channel: BroadcastChannel | null = null;
  try {
    channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('companyos-session') : null;
  } catch {
    channel = null;
  }
  let storage: Storage | null = null;
  try {
    storage = window.sessionStorage;
  } catch {
    storage = null;
  }
  return {
    fetch: (...args) => fetch(...args),
    storage,
    now: () => Date.now(),
    withLock: hasLocks
      ? <T,>(task: () => Promise<T>) => navigator.locks.request('companyos-refresh', task) as Promise<T>
      : <T,>(task: () => Promise<T>) => task(),
    channel: channel
      ? {
          post: (message) => channel.postMessage(message),
          listen: (handler) => {
            channel.onmessage = (event: MessageEvent<RotationMessage>) => handler(event.data);
          },
        }
      : null,
    setTimer: (callback, ms) => window.setTimeout(callback, ms),
    clearTimer: (handle) => window.clearTimeout(handle as number),
  };
}
