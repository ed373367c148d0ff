// GraphQL over HTTP (queries, mutations) and graphql-transport-ws (subscriptions, over the
// one connection of liveConnection.ts), typed by the documents generated from
// crates/api/schema.graphql (src/api/generated/gql).
import { createClient } from 'graphql-ws';
import { useEffect, useRef } from 'react';
import { create } from 'zustand';
import type { TypedDocumentString } from './generated/gql/graphql';
import { tokens } from './session';
import { ApiProblem, problemFromResponse } from './problem';
import { currentOrganizationId, useUi } from '../stores/ui';
import { LiveConnection, type LiveState } from './liveConnection';
import { reloadMemberships } from './membership';

interface GraphQLErrorBody {
  message: string;
  extensions?: { status?: number; code?: string; field?: string };
}

function problemOf(errors: GraphQLErrorBody[]): ApiProblem {
  const first = errors[0] ?? { message: 'the query failed' };
  const status = first.extensions?.status ?? 400;
  const titles: Record<string, string> = {
    UNAUTHENTICATED: 'Not authenticated',
    FORBIDDEN: 'Not allowed',
    NOT_FOUND: 'Not found',
    CONFLICT: 'Conflict',
    BAD_USER_INPUT: 'Invalid request field',
    RATE_LIMITED: 'Too many requests',
  };
  return new ApiProblem({
    title: titles[first.extensions?.code ?? ''] ?? 'Query failed',
    status,
    detail: first.message,
    ...(first.extensions?.field ? { field: first.extensions.field } : {}),
  });
}

async function post(body: string, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const organization = currentOrganizationId();
  if (organization) headers['x-organization-id'] = organization;
  return fetch('/graphql', { method: 'POST', headers, body });
}

/** Runs a query or mutation; GraphQL errors become an ApiProblem (with the field the node names). */
export async function gql<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  const body = JSON.stringify({ query: document.toString(), variables: variables ?? {} });
  let token = await tokens.getAccessToken();
  let response = await post(body, token);
  if (response.status === 401) {
    token = await tokens.refresh(token ?? undefined);
    if (token) response = await post(body, token);
  }
  if (!response.ok) throw await problemFromResponse(response);
  const answer = (await response.json()) as { data?: TResult | null; errors?: GraphQLErrorBody[] };
  if (answer.errors?.length) throw problemOf(answer.errors);
  if (!answer.data) throw new ApiProblem({ title: 'Query failed', status: 500, detail: 'the node answered no data' });
  return answer.data;
}

export const useLiveStatus = create<{ state: LiveState; set: (state: LiveState) => void }>((set) => ({
  state: 'connecting',
  set: (state) => set({ state }),
}));

function wsUrl(path: string): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}${path}`;
}

let connection: LiveConnection | null = null;

/** The tab's one subscriptions connection (see liveConnection.ts), opened lazily. */
export function live(): LiveConnection {
  connection ??= new LiveConnection({
    createClient,
    url: wsUrl('/graphql/ws'),
    accessToken: () => tokens.getAccessToken(),
    refresh: (rejected) => tokens.refresh(rejected),
    signedIn: () => tokens.hasSession,
    organizationId: currentOrganizationId,
    onForbidden: reloadMemberships,
    onState: (state) => useLiveStatus.getState().set(state),
    onTokensChange: (listener) => tokens.onChange(listener),
  });
  return connection;
}

// Another organization on screen (the switcher, the palette, a lost membership): the
// subscriptions move to a new socket opened for it.
useUi.subscribe((state, previous) => {
  if (state.organizationId !== previous.organizationId) connection?.restart();
});

/** Sign-out: closes the socket. */
export function closeSubscriptions(): void {
  connection?.close();
}

/**
 * Subscribes while mounted; `onData` gets each event's data. Resubscribes when the
 * variables change.
 */
export function useSubscription<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  onData: (data: TResult) => void,
  enabled = true,
): void {
  const handler = useRef(onData);
  handler.current = onData;
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (!enabled) return;
    const dispose = live().subscribe<TResult>(
      { query: document.toString(), variables: JSON.parse(key) as Record<string, unknown> },
      {
        next: (value) => {
          if (value.data) handler.current(value.data);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    return dispose;
  }, [document, key, enabled]);
}
