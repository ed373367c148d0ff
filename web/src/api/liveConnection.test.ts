import { describe, expect, it, vi } from 'vitest';
import type { Client, ClientOptions, Sink, SubscribePayload } from 'graphql-ws';
import { CLOSE_FORBIDDEN, CLOSE_UNAUTHORIZED, LiveConnection, type LiveDeps, type LiveState } from './liveConnection';

/** A stand-in for graphql-ws: records clients and subscriptions, and plays the node's part. */
function fakeWs() {
  const clients: FakeClient[] = [];
  class FakeClient {
    subscriptions: { payload: SubscribePayload; sink: Sink; active: boolean }[] = [];
    disposed = false;
    socket = { readyState: 1, sent: [] as string[], send(data: string) { this.sent.push(data); } };
    params: Record<string, unknown> | null = null;
    constructor(readonly options: ClientOptions) {}
    subscribe(payload: SubscribePayload, sink: Sink) {
      const entry = { payload, sink, active: true };
      this.subscriptions.push(entry);
      return () => void (entry.active = false);
    }
    dispose() {
      this.disposed = true;
    }
    /** The socket opens and is acknowledged. */
    async connect() {
      this.options.on?.connecting?.(false);
      const params = this.options.connectionParams;
      this.params = (typeof params === 'function' ? await params() : params) as Record<string, unknown>;
      this.options.on?.connected?.(this.socket, undefined, false);
    }
    /** The node closes the socket; graphql-ws errors every subscription on a fatal code. */
    close(code: number) {
      this.socket.readyState = 3;
      this.options.on?.closed?.({ code, reason: '' });
      if (code === CLOSE_UNAUTHORIZED) for (const entry of this.subscriptions) if (entry.active) entry.sink.error({ code, reason: '' });
    }
    active() {
      return this.subscriptions.filter((entry) => entry.active);
    }
  }
  return {
    clients,
    createClient: (options: ClientOptions) => {
      const client = new FakeClient(options);
      clients.push(client);
      return client as unknown as Client;
    },
  };
}

function setup(overrides: Partial<LiveDeps> = {}) {
  const ws = fakeWs();
  let token = 'access-1';
  let organization: string | null = 'org-a';
  const listeners = new Set<() => void>();
  const states: LiveState[] = [];
  const deps: LiveDeps = {
    createClient: ws.createClient,
    url: 'ws://node/graphql/ws',
    accessToken: async () => token,
    refresh: vi.fn(async () => {
      token = 'access-2';
      return token;
    }),
    signedIn: () => true,
    organizationId: () => organization,
    onForbidden: vi.fn(async () => {
      organization = 'org-b';
    }),
    onState: (state) => states.push(state),
    onTokensChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    retryWait: async () => undefined,
    ...overrides,
  };
  const connection = new LiveConnection(deps);
  return {
    ws,
    deps,
    connection,
    states,
    rotate: (next: string) => {
      token = next;
      for (const listener of listeners) listener();
    },
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const payload = { query: 'subscription { agentTaskUpdated { id } }' };
const sink = () => ({ next: vi.fn(), error: vi.fn(), complete: vi.fn() });

describe('the live connection', () => {
  it('authenticates in connection_init with the token and the organization', async () => {
    const { ws, connection, states } = setup();
    connection.subscribe(payload, sink());
    await ws.clients[0]!.connect();
    expect(ws.clients[0]!.params).toEqual({ Authorization: 'Bearer access-1', organizationId: 'org-a' });
    expect(states.at(-1)).toBe('live');
  });

  it('on 4401 refreshes the session and reconnects with fresh params, subscriptions and all', async () => {
    const { ws, deps, connection } = setup();
    const first = sink();
    const second = sink();
    connection.subscribe(payload, first);
    connection.subscribe({ query: 'subscription { newEvent { id } }' }, second);
    await ws.clients[0]!.connect();
    ws.clients[0]!.close(CLOSE_UNAUTHORIZED);
    await flush();
    expect(deps.refresh).toHaveBeenCalledWith('access-1');
    expect(ws.clients[0]!.disposed).toBe(true);
    expect(ws.clients).toHaveLength(2);
    const next = ws.clients[1]!;
    expect(next.active().map((entry) => entry.payload.query)).toEqual([payload.query, 'subscription { newEvent { id } }']);
    await next.connect();
    expect(next.params).toMatchObject({ Authorization: 'Bearer access-2' });
    // The views never saw the close: their sinks got no error.
    expect(first.error).not.toHaveBeenCalled();
    expect(second.error).not.toHaveBeenCalled();
    next.subscriptions[0]!.sink.next({ data: { agentTaskUpdated: { id: 't1' } } });
    expect(first.next).toHaveBeenCalledWith({ data: { agentTaskUpdated: { id: 't1' } } });
  });

  it('stops when the refresh is refused (the session is over)', async () => {
    const { ws, connection, states } = setup({ refresh: vi.fn(async () => null) });
    connection.subscribe(payload, sink());
    await ws.clients[0]!.connect();
    ws.clients[0]!.close(CLOSE_UNAUTHORIZED);
    await flush();
    expect(ws.clients).toHaveLength(1);
    expect(states.at(-1)).toBe('offline');
  });

  it('on 4403 re-reads the memberships, then reconnects for the organization now on screen', async () => {
    const { ws, deps, connection } = setup();
    connection.subscribe(payload, sink());
    await ws.clients[0]!.connect();
    ws.clients[0]!.close(CLOSE_FORBIDDEN);
    await flush();
    expect(deps.onForbidden).toHaveBeenCalledTimes(1);
    expect(deps.refresh).not.toHaveBeenCalled();
    await ws.clients[1]!.connect();
    expect(ws.clients[1]!.params).toMatchObject({ organizationId: 'org-b' });
    expect(ws.clients[1]!.active()).toHaveLength(1);
  });

  it('hands a rotated token to the node as a ping payload, before the old one expires', async () => {
    const { ws, connection, rotate } = setup();
    connection.subscribe(payload, sink());
    await ws.clients[0]!.connect();
    rotate('access-9');
    await flush();
    expect(ws.clients[0]!.socket.sent.map((data) => JSON.parse(data))).toEqual([{ type: 'ping', payload: { Authorization: 'Bearer access-9' } }]);
    // The same token twice is not sent again.
    rotate('access-9');
    await flush();
    expect(ws.clients[0]!.socket.sent).toHaveLength(1);
  });

  it('moves the subscriptions to a new socket on restart (organization switch), and drops them on unsubscribe', async () => {
    const { ws, connection } = setup();
    const dispose = connection.subscribe(payload, sink());
    connection.restart();
    expect(ws.clients[0]!.disposed).toBe(true);
    expect(ws.clients[1]!.active()).toHaveLength(1);
    dispose();
    expect(ws.clients[1]!.active()).toHaveLength(0);
    expect(connection.size).toBe(0);
  });

  it('passes other errors to the view', async () => {
    const { ws, connection } = setup();
    const view = sink();
    connection.subscribe(payload, view);
    ws.clients[0]!.subscriptions[0]!.sink.error([{ message: 'not allowed' }]);
    expect(view.error).toHaveBeenCalledWith([{ message: 'not allowed' }]);
  });
});
