// The signed-in user and their organizations (GET /api/auth/me), and what the console does
// when one of their memberships ends while it is open (the live connection closes with
// 4403): read them again and, when the organization on screen is gone, switch to another
// one and say so.
import { api, call } from './rest';
import { queryClient } from './queryClient';
import type { Me, OrganizationRef } from './models';
import { useUi } from '../stores/ui';

export const ME_KEY = ['me'] as const;

export function fetchMe(): Promise<Me> {
  return call(api.GET('/api/auth/me'));
}

export interface MembershipChange {
  /** The organization to show now (null: the user belongs to none). */
  switchTo: string | null;
  /** The organization that was on screen and is no longer the user's. */
  lost: Pick<OrganizationRef, 'id' | 'name'> | null;
}

/** Pure: what to show after the user's organizations were read again. */
export function membershipChange(previous: OrganizationRef[], current: OrganizationRef[], chosen: string | null): MembershipChange {
  if (chosen && current.some((organization) => organization.id === chosen)) return { switchTo: chosen, lost: null };
  const lost = chosen ? (previous.find((organization) => organization.id === chosen) ?? { id: chosen, name: 'this organization' }) : null;
  return { switchTo: current[0]?.id ?? null, lost };
}

/** Re-reads the user's organizations; switches away from the one on screen if it was lost. */
export async function reloadMemberships(): Promise<void> {
  const previous = queryClient.getQueryData<Me>(ME_KEY)?.organizations ?? [];
  const me = await queryClient.fetchQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 0 });
  const ui = useUi.getState();
  const { switchTo, lost } = membershipChange(previous, me.organizations, ui.organizationId);
  if (!lost) return;
  const next = me.organizations.find((organization) => organization.id === switchTo);
  ui.setOrganization(switchTo);
  ui.setNotice(`You no longer have access to ${lost.name}${next ? `: you are in ${next.name} now` : ''}.`);
  queryClient.removeQueries({ queryKey: ['org', lost.id] });
  await queryClient.invalidateQueries({ queryKey: ['org'] });
}
