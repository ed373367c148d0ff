import { describe, expect, it, vi } from 'vitest';
import { getIntrospectionQuery, parse } from 'graphql';
import { consoleFetcher, isSubscription, requestHeaders, shallowIntrospection } from './fetcher';

/** How deep a query nests its fields (what the node limits to 10). */
function depth(query: string): number {
  const definition = parse(query).definitions;
  const fragments = new Map(definition.filter((item) => item.kind === 'FragmentDefinition').map((item) => [item.name.value, item]));
  type Selections = { selections: readonly { kind: string; name?: { value: string }; selectionSet?: Selections }[] };
  const walk = (set: Selections | undefined): number => {
    if (!set) return 0;
    let deepest = 0;
    for (const selection of set.selections) {
      if (selection.kind === 'Field') deepest = Math.max(deepest, 1 + walk(selection.selectionSet));
      else if (selection.kind === 'FragmentSpread') deepest = Math.max(deepest, walk(fragments.get(selection.name!.value)!.selectionSet as Selections));
      else deepest = Math.max(deepest, walk(selection.selectionSet));
    }
    return deepest;
  };
  const operation = definition.find((item) => item.kind === 'OperationDefinition')!;
  return walk(operation.selectionSet as Selections);
}

describe('GraphiQL fetcher', () => {
  it('tells subscriptions from queries, by the operation GraphiQL runs', () => {
    const documentAST = parse('query A { agents { items { id } } } subscription B { agentTaskUpdated { id } }');
    expect(isSubscription({ query: '', operationName: 'B' }, { documentAST })).toBe(true);
    expect(isSubscription({ query: '', operationName: 'A' }, { documentAST })).toBe(false);
    expect(isSubscription({ query: '# subscription in a comment\n{ agents { items { id } } }' })).toBe(false);
    expect(isSubscription({ query: 'subscription { newEvent { id } }' })).toBe(true);
  });

  it('asks for an introspection shallow enough for the node’s depth limit, keeping its options', () => {
    const original = getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true });
    expect(depth(original)).toBeGreaterThan(10);
    const sent = shallowIntrospection({ query: original, operationName: 'IntrospectionQuery' });
    expect(depth(sent.query)).toBeLessThanOrEqual(10);
    expect(sent.query).toContain('args(includeDeprecated: true)');
    expect(sent.operationName).toBe('IntrospectionQuery');
    const other = { query: '{ agents { items { id } } }', operationName: 'Agents' };
    expect(shallowIntrospection(other)).toBe(other);
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
