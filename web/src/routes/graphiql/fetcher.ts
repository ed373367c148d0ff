// GraphiQL's fetcher for the console: queries and mutations POST /graphql with the
// session's bearer token and the organization on screen (X-Organization-Id), refreshing
// the session once on a 401; subscriptions go over the console's own graphql-ws
// connection (/graphql/ws, authenticated in connection_init, re-established on 4401).
// Headers typed into GraphiQL's headers editor are sent too and win over these.
import { getIntrospectionQuery } from 'graphql';
import type { Fetcher, FetcherOpts, FetcherParams } from '@graphiql/toolkit';
import type { FormattedExecutionResult, Sink, SubscribePayload } from 'graphql-ws';

export interface FetcherDeps {
  fetch: typeof fetch;
  accessToken: () => Promise<string | null>;
  refresh: (rejected: string | undefined) => Promise<string | null>;
  organizationId: () => string | null;
  subscribe: (payload: SubscribePayload, sink: Sink<FormattedExecutionResult>) => () => void;
}

/**
 * The node limits a query's depth to 10, and GraphiQL's introspection query nests type
 * references 9 deep (`ofType { ofType { … } }`), so it is refused. The same introspection,
 * with type references 4 deep (enough for every wrapper the node's schema uses, e.g.
 * `[String!]!`), is sent instead: same options, same operation name.
 */
export function shallowIntrospection(params: FetcherParams): FetcherParams {
  if (params.operationName !== 'IntrospectionQuery' || !params.query.includes('__schema')) return params;
  const query = getIntrospectionQuery({
    descriptions: /\bdescription\b/.test(params.query),
    schemaDescription: /__schema\s*{\s*description/.test(params.query),
    specifiedByUrl: params.query.includes('specifiedByURL'),
    directiveIsRepeatable: params.query.includes('isRepeatable'),
    inputValueDeprecation: /args\(includeDeprecated: true\)/.test(params.query),
    oneOf: params.query.includes('isOneOf'),
    typeDepth: 4,
  });
  return { ...params, query };
}

/** Whether the operation GraphiQL runs is a subscription. */
export function isSubscription(params: FetcherParams, opts?: FetcherOpts): boolean {
  const definitions = opts?.documentAST?.definitions ?? [];
  const operations = definitions.filter((definition) => definition.kind === 'OperationDefinition');
  if (operations.length > 0) {
    const chosen = params.operationName ? operations.find((operation) => operation.name?.value === params.operationName) : operations[0];
    return chosen?.operation === 'subscription';
  }
  // No parsed document: the first operation keyword of the text.
  const text = params.query.replace(/#[^\n]*/g, '');
  const match = /\b(query|mutation|subscription)\b/.exec(text);
  return match?.[1] === 'subscription';
}

/** The request headers: the console's, then GraphiQL's own (case-insensitive, theirs win). */
export function requestHeaders(token: string | null, organizationId: string | null, extra: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (organizationId) headers['x-organization-id'] = organizationId;
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name.toLowerCase()] = String(value);
  }
  return headers;
}

export function consoleFetcher(deps: FetcherDeps): Fetcher {
  return (params, opts) => {
    if (isSubscription(params, opts)) {
      const payload: SubscribePayload = { query: params.query, variables: params.variables ?? {}, ...(params.operationName ? { operationName: params.operationName } : {}) };
      return {
        subscribe(observer: unknown, error?: unknown, complete?: unknown) {
          const sink =
            typeof observer === 'function'
              ? { next: observer as (value: unknown) => void, error: (error as ((reason: unknown) => void) | undefined) ?? (() => undefined), complete: (complete as (() => void) | undefined) ?? (() => undefined) }
              : (observer as { next: (value: unknown) => void; error: (reason: unknown) => void; complete: () => void });
          const dispose = deps.subscribe(payload, { next: (value) => sink.next(value), error: (reason) => sink.error(reason), complete: () => sink.complete() });
          return { unsubscribe: dispose };
        },
      } as ReturnType<Fetcher>;
    }
    const sent = shallowIntrospection(params);
    const body = JSON.stringify({ query: sent.query, variables: sent.variables ?? {}, operationName: sent.operationName ?? null });
    const send = (token: string | null) => deps.fetch('/graphql', { method: 'POST', headers: requestHeaders(token, deps.organizationId(), opts?.headers), body });
    return (async () => {
      let token = await deps.accessToken();
      let response = await send(token);
      if (response.status === 401 && !opts?.headers?.Authorization && !opts?.headers?.authorization) {
        token = await deps.refresh(token ?? undefined);
        if (token) response = await send(token);
      }
      const text = await response.text();
      try {
        return JSON.parse(text) as FormattedExecutionResult;
      } catch {
        return { errors: [{ message: `the node answered HTTP ${response.status}: ${text.slice(0, 300)}` }] } as FormattedExecutionResult;
      }
    })() as ReturnType<Fetcher>;
  };
}
