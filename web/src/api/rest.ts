// The REST client: openapi-fetch typed by the paths generated from the node's OpenAPI
// document (src/api/generated/openapi.ts). Every request carries the access token and
// the chosen organization; a 401 refreshes the session once and repeats the request.
// Every request also names the console as its client (CLIENT_HEADER, client.ts).
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './generated/openapi';
import { tokens } from './session';
import { currentOrganizationId } from '../stores/ui';
import { CLIENT_HEADER } from './client';

export const api = createClient<paths>({ baseUrl: '', headers: CLIENT_HEADER });

const pending = new Map<string, Request>();
const PUBLIC = new Set(['/api/auth/login', '/api/auth/register', '/api/auth/refresh', '/api/auth/logout']);

const authenticate: Middleware = {
  async onRequest({ request, id, schemaPath }) {
    if (!PUBLIC.has(schemaPath)) {
      const token = await tokens.getAccessToken();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      const organization = currentOrganizationId();
      if (organization && !request.headers.has('x-organization-id')) request.headers.set('x-organization-id', organization);
      pending.set(id, request.clone());
    }
    return request;
  },
  async onResponse({ request, response, id }) {
    const copy = pending.get(id);
    pending.delete(id);
    if (response.status !== 401 || !copy) return response;
    const rejected = request.headers.get('authorization')?.replace(/^Bearer /, '');
    const token = await tokens.refresh(rejected);
    if (!token) return response;
    copy.headers.set('authorization', `Bearer ${token}`);
    return fetch(copy);
  },
  onError({ id }) {
    pending.delete(id);
  },
};

api.use(authenticate);

export { call } from './call';
