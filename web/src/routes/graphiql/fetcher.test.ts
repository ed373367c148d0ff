import { describe, expect, it, vi } from 'vitest';
import { parse } from 'graphql';
import { consoleFetcher, isSubscription, requestHeaders } from './fetcher';

describe('GraphiQL fetcher', () => {
  it('tells subscriptions from queries, by the operation GraphiQL runs', () => {
    const documentAST = parse('query A { agents { items { id } } } subscription B { agentTaskUpdated { id } }');
    expect(isSubscription({ query: '', operationName: 'B' }, { documentAST })).toBe(true);
    expect(isSubscription({ query: '', operationName: 'A' }, { documentAST })).toBe(false);
    expect(isSubscription({ query: '# subscription in a comment\n{ agents { items { id } } }' })).toBe(false);
    expect(isSubscription({ query: 'subscription { newEvent { id } }' })).toBe(true);
  });

  it('sends the bearer token and the organization, and lets the headers editor win', () => {
    expect(requestHeaders('t', 'org-1', { 'X-Organization-Id': 'org-2', 'X-Extra': 1 })).toMatchObject({ authorization: 'Bearer t', 'x-organization-id': 'org-2', 'x-extra': '1' });
  });

  it('refreshes the session once on a 401 and repeats the request', async () => {
    const seen: string[] = [];
    const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
      const token = (init?.headers as Record<string, string>).authorization;
      seen.push(token ?? '');
      return token === 'Bearer fresh' ? new Response(JSON.stringify({ data: { ok: true } })) : new Response('{}', { status: 401 });
    });
    const fetcher = consoleFetcher({
      fetch: fetch as unknown as typeof globalThis.fetch,
      accessToken: async () => 'stale',
      refresh: async (rejected) => (rejected === 'stale' ? 'fresh' : null),
      organizationId: () => 'org-1',
      subscribe: () => () => undefined,
    });
    await expect(fetcher({ query: '{ ok }' })).resolves.toEqual({ data: { ok: true } });
    expect(seen).toEqual(['Bearer stale', 'Bearer fresh']);
  });

  it('runs subscriptions over the live connection, and unsubscribes', () => {
    const dispose = vi.fn();
    let sink: { next: (value: unknown) => void } | null = null;
    const fetcher = consoleFetcher({
      fetch: vi.fn() as unknown as typeof globalThis.fetch,
      accessToken: async () => 't',
      refresh: async () => null,
      organizationId: () => null,
      subscribe: (_payload, given) => {
        sink = given as never;
        return dispose;
      },
    });
    const observable = fetcher({ query: 'subscription { newEvent { id } }' }) as { subscribe: (observer: object) => { unsubscribe: () => void } };
    const next = vi.fn();
    const subscription = observable.subscribe({ next, error: vi.fn(), complete: vi.fn() });
    sink!.next({ data: { newEvent: { id: 'e1' } } });
    expect(next).toHaveBeenCalledWith({ data: { newEvent: { id: 'e1' } } });
    subscription.unsubscribe();
    expect(dispose).toHaveBeenCalled();
  });
});
