// The organization's members, read once and shared: the Team and Settings areas list
// them, and tasks, approvals and the audit trail name people by their user id.
import { useQuery } from '@tanstack/react-query';
import { api, call } from './rest';
import { useOrganization, useOrgKey } from './hooks';
import type { MemberRow } from './models';
import { shortId } from '../lib/time';

export function useMembers() {
  const { organizationId } = useOrganization();
  return useQuery({
    queryKey: useOrgKey('members'),
    enabled: Boolean(organizationId),
    queryFn: () => call(api.GET('/api/organizations/{id}/members', { params: { path: { id: organizationId ?? '' } } })),
  });
}

/** A member's name by user id; unknown ids (a member who left) are absent. */
export function memberNames(members: readonly MemberRow[] | undefined): Map<string, string> {
  return new Map((members ?? []).map((member) => [member.user_id, member.name]));
}

/** The names of the organization's members by user id. */
export function useMemberNames(): Map<string, string> {
  return memberNames(useMembers().data?.items);
}

/** How a user id reads: the member's name, else (a member who left, or names not read yet) the id's start. */
export function personName(names: Map<string, string>, userId: string | null | undefined): string | null {
  if (!userId) return null;
  return names.get(userId) ?? `user ${shortId(userId)}`;
}

/** Who an audit entry names: the member by id, else the name the entry kept (`metadata.actor_name`), else the id's start. */
export function actorName(names: Map<string, string>, userId: string | null | undefined, metadata: unknown): string | null {
  if (!userId) return null;
  const kept = typeof metadata === 'object' && metadata !== null ? (metadata as { actor_name?: unknown }).actor_name : undefined;
  return names.get(userId) ?? (typeof kept === 'string' && kept ? kept : personName(names, userId));
}
