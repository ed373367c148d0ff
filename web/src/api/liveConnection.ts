// The one graphql-transport-ws connection of a tab (/graphql/ws), shared by every live
// view and by GraphiQL's subscriptions, and kept alive across the session's life:
//
// - connection_init carries {"Authorization": "Bearer <token>", organizationId};
// - whenever the session's access token is rotated (the token manager does so a minute
//   before expiry), the new token goes over the open socket as a `ping` payload, so the
//   node keeps the connection instead of closing it when the old token expires;
// - closed with 4401 (the token expired anyway, e.g. after the machine slept, or the
//   session ended) it refreshes the session and reconnects with fresh connection params,
//   subscribing everything again; when the refresh is refused the session is over;
// - closed with 4403 (a membership of the user ended) it asks the console to re-read
//   the user's organizations (and switch away from one it lost), then reconnects.
//
// graphql-ws treats 4401 as fatal and errors every subscription; the subscriptions kept
// here are subscribed again on the new client, so a view never notices.
import type { Client, ClientOptions, FormattedExecutionResult, Sink, SubscribePayload } from 'graphql-ws';

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveDeps {
  createClient: (options: ClientOptions) => Client;
  url: string;
  /** A valid access token (refreshed first when about to expire), or null when signed out. */
  accessToken: () => Promise<string | null>;
  /** Refreshes the session; `rejected` is the token the node refused. Null: the session is over. */
  refresh: (rejected: string | undefined) => Promise<string | null>;
  signedIn: () => boolean;
  organizationId: () => string | null;
  /** The node closed with 4403: re-read the user's organizations, switch away from a lost one. */
  onForbidden: () => Promise<void>;
  onState: (state: LiveState) => void;
  /** Calls `listener` whenever the session's tokens change. */
  onTokensChange: (listener: () => void) => () => void;
  /** Waits before reconnecting after the `attempt`th failure in a row. */
  retryWait?: (attempt: number) => Promise<void>;
}

interface Entry {
  payload: SubscribePayload;
  sink: Sink;
  dispose: (() => void) | null;
}

interface SocketLike {
  readyState: number;
  send: (data: string) => void;
}

function closeCode(event: unknown): number | null {
  return typeof event === 'object' && event !== null && 'code' in event && typeof (event as { code: unknown }).code === 'number' ? (event as { code: number }).code : null;
}

export class LiveConnection {
  private client: Client | null = null;
  private socket: SocketLike | null = null;
  /** The token the current connection was opened or last refreshed with. */
  private token: string | null = null;
  private readonly entries = new Set<Entry>();
  private recovering = false;
  private generation = 0;

  constructor(private readonly deps: LiveDeps) {
    deps.onTokensChange(() => {
      // Signed in again (or refreshed): subscriptions left without a socket get one.
      if (deps.signedIn()) for (const entry of this.entries) if (!entry.dispose) this.attach(entry);
      void this.sendFreshToken();
    });
  }

  /** Subscribes `sink` to `payload` until the returned function is called. */
  subscribe<Data = Record<string, unknown>>(payload: SubscribePayload, sink: Sink<FormattedExecutionResult<Data>>): () => void {
    const entry: Entry = { payload, sink: sink as Sink, dispose: null };
    this.entries.add(entry);
    this.attach(entry);
    return () => {
      this.entries.delete(entry);
      entry.dispose?.();
      entry.dispose = null;
    };
  }

  /** Starts over on a new socket (organization switch, sign-in); subscriptions are kept. */
  restart(): void {
    this.drop();
    for (const entry of this.entries) this.attach(entry);
  }

  /** Closes the socket (sign-out); subscriptions still registered wait for the next restart or subscription. */
  close(): void {
    this.drop();
    this.deps.onState('offline');
  }

  /** How many subscriptions are registered (for tests and the status line). */
  get size(): number {
    return this.entries.size;
  }

  private drop(): void {
    this.generation += 1;
    for (const entry of this.entries) {
      entry.dispose?.();
      entry.dispose = null;
    }
    const client = this.client;
    this.client = null;
    this.socket = null;
    client?.dispose();
  }

  private attach(entry: Entry): void {
    if (this.recovering || !this.deps.signedIn()) return;
    const client = this.ensureClient();
    entry.dispose = client.subscribe(entry.payload, {
      next: (value) => entry.sink.next(value),
      error: (error) => {
        entry.dispose = null;
        // A 4401 or 4403 is recovered from: the entry is subscribed again on the next client.
        const code = closeCode(error);
        if (code === CLOSE_UNAUTHORIZED || code === CLOSE_FORBIDDEN) return;
        entry.sink.error(error);
      },
      complete: () => undefined,
    });
  }

  private ensureClient(): Client {
    if (this.client) return this.client;
    const generation = this.generation;
    const mine = () => generation === this.generation;
    this.client = this.deps.createClient({
      url: this.deps.url,
      lazy: true,
      keepAlive: 15_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: this.deps.retryWait ?? (async (retries) => {
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries)));
      }),
      connectionParams: async () => {
        const token = await this.deps.accessToken();
        if (!token) throw new Error('signed out');
        this.token = token;
        const organizationId = this.deps.organizationId();
        return { Authorization: `Bearer ${token}`, ...(organizationId ? { organizationId } : {}) };
      },
      on: {
        connecting: () => mine() && this.deps.onState('connecting'),
        connected: (socket) => {
          if (!mine()) return;
          this.socket = socket as SocketLike;
          this.deps.onState('live');
        },
        closed: (event) => {
          if (!mine()) return;
          this.socket = null;
          const code = closeCode(event);
          if (code === CLOSE_UNAUTHORIZED) void this.recover('unauthorized');
          else if (code === CLOSE_FORBIDDEN) void this.recover('forbidden');
          else this.deps.onState('offline');
        },
      },
    });
    return this.client;
  }

  private async recover(why: 'unauthorized' | 'forbidden'): Promise<void> {
    if (this.recovering) return;
    this.recovering = true;
    const rejected = this.token ?? undefined;
    // Stop this client's own retries and forget its subscriptions: they move to a new one.
    this.drop();
    this.deps.onState('connecting');
    try {
      if (why === 'unauthorized') {
        const token = await this.deps.refresh(rejected).catch(() => null);
        if (!token) {
          // The session is over (the console goes back to sign-in).
          this.deps.onState('offline');
          return;
        }
      } else {
        await this.deps.onForbidden().catch(() => undefined);
      }
    } finally {
      this.recovering = false;
    }
    for (const entry of this.entries) this.attach(entry);
  }

  /** Hands a rotated access token to the node over the open socket. */
  private async sendFreshToken(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1 || !this.deps.signedIn()) return;
    const token = await this.deps.accessToken().catch(() => null);
    if (!token || token === this.token || this.socket !== socket || socket.readyState !== 1) return;
    this.token = token;
    socket.send(JSON.stringify({ type: 'ping', payload: { Authorization: `Bearer ${token}` } }));
  }
}
