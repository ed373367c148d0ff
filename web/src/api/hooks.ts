// Session and organization hooks shared by every area.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { tokens } from './session';
import { fetchMe, ME_KEY } from './membership';
import { useUi } from '../stores/ui';
import { can, type Action } from '../lib/permissions';

export function useSignedIn(): boolean {
  return useSyncExternalStore(
    (notify) => tokens.onChange(() => notify()),
    () => tokens.hasSession,
  );
}

export function useMe() {
  const signedIn = useSignedIn();
  return useQuery({
    queryKey: ME_KEY,
    enabled: signedIn,
    staleTime: 60_000,
    queryFn: fetchMe,
  });
}

/** The organization the console acts on, the caller's role there, and every organization of theirs. */
export function useOrganization() {
  const me = useMe();
  const chosen = useUi((state) => state.organizationId);
  const setOrganization = useUi((state) => state.setOrganization);
  const organizations = me.data?.organizations ?? [];
  const current = organizations.find((organization) => organization.id === chosen) ?? organizations[0] ?? null;
  useEffect(() => {
    if (current && current.id !== chosen) setOrganization(current.id);
  }, [current, chosen, setOrganization]);
  return {
    me: me.data ?? null,
    loading: me.isLoading,
    error: me.error,
    organization: current,
    organizationId: current?.id ?? null,
    role: current?.role ?? null,
    organizations,
  };
}

/** Whether the caller may take `action` in the current organization. */
export function useCan(action: Action): boolean {
  const { role } = useOrganization();
  return can(role, action);
}

/** Query keys scoped by organization, so switching organizations never shows stale rows. */
export function useOrgKey(...parts: unknown[]): unknown[] {
  const organizationId = useUi((state) => state.organizationId);
  return ['org', organizationId, ...parts];
}

export function useInvalidateOrg() {
  const client = useQueryClient();
  const organizationId = useUi((state) => state.organizationId);
  return (...parts: unknown[]) => client.invalidateQueries({ queryKey: ['org', organizationId, ...parts] });
}
