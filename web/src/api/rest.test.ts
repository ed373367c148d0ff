import { afterAll, describe, expect, it, vi } from 'vitest';

// The client reads `fetch` and `Request` when it is created: stand in for the node (and
// for the page's address, which relative paths resolve against) before loading it.
const requests: Request[] = [];
const BaseRequest = globalThis.Request;
vi.stubGlobal(
  'Request',
  class extends BaseRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === 'string' ? new URL(input, 'http://node.test') : input, init);
    }
  },
);
vi.stubGlobal(
  'fetch',
  vi.fn(async (input: Request) => {
    requests.push(input);
    return new Response(JSON.stringify({ items: [], next_cursor: null }), { status: 200, headers: { 'content-type': 'application/json' } });
  }),
);

const { api, call } = await import('./rest');

afterAll(() => {
  vi.unstubAllGlobals();
});

describe('the REST client', () => {
  it('names the console as the client on every request, so approvals made here are recorded as made in the console', async () => {
    await call(api.GET('/api/agent-tasks', { params: { query: { limit: 1 } } }));
    await call(api.POST('/api/agent-tasks/{id}/approve', { params: { path: { id: 't1' } } }));
    expect(requests).toHaveLength(2);
    for (const request of requests) expect(request.headers.get('x-companyos-client')).toBe('console');
  });
});
