// How one may sign in on this node: GitHub login (when the operator configured it) and
// whether anyone may register. `GET /api/auth/providers` needs no sign-in; a node that
// does not have the route (404) offers no GitHub login.
import { useQuery } from '@tanstack/react-query';
import { problemFromResponse } from './problem';
import type { components } from './generated/openapi';

/** The document's `SignInProviders`. */
export type AuthProviders = components['schemas']['SignInProviders'];

/** What an older node without the route offers: no GitHub login, registration as before. */
export const WITHOUT_PROVIDERS: AuthProviders = { github: false, open_registration: true };

/** The node's answer, read field by field (anything unexpected is "off"). */
export function readProviders(body: unknown): AuthProviders {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return { github: record.github === true, open_registration: record.open_registration !== false };
}

export async function fetchProviders(fetcher: typeof fetch = fetch): Promise<AuthProviders> {
  const response = await fetcher('/api/auth/providers', { headers: { accept: 'application/json' } });
  if (response.status === 404) return WITHOUT_PROVIDERS;
  if (!response.ok) throw await problemFromResponse(response);
  return readProviders(await response.json());
}

export function useAuthProviders() {
  return useQuery({ queryKey: ['authProviders'], staleTime: 5 * 60_000, retry: false, queryFn: () => fetchProviders() });
}
