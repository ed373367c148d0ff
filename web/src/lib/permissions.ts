// What a role may do, from the permission matrix (shared DESIGN.md; the node's
// crates/api/src/rbac.rs enforces it). The console offers only what the role allows.
import type { Role, TaskRow } from '../api/models';

export type Action =
  | 'viewDashboard'
  | 'manageIntegrations'
  | 'manageIntegrationSecrets'
  | 'spawnAgents'
  | 'approveTasks'
  | 'rollback'
  | 'publishSocial'
  | 'manageMembers'
  | 'deleteOrganization';

const MATRIX: Record<Action, readonly Role[]> = {
  viewDashboard: ['owner', 'admin', 'member', 'viewer'],
  // Syncing a connected service.
  manageIntegrations: ['owner', 'admin', 'member'],
  // Connecting, reconnecting and disconnecting one: its credentials and webhook secret.
  manageIntegrationSecrets: ['owner', 'admin'],
  spawnAgents: ['owner', 'admin', 'member'],
  approveTasks: ['owner', 'admin', 'member'],
  // Asking for a rollback, and approving a `rollback` task.
  rollback: ['owner', 'admin'],
  publishSocial: ['owner', 'admin', 'member'],
  manageMembers: ['owner', 'admin'],
  deleteOrganization: ['owner'],
};

export function can(role: Role | null | undefined, action: Action): boolean {
  return role ? MATRIX[action].includes(role) : false;
}

/** Every action the role may take. */
export function actionsOf(role: Role | null | undefined): Action[] {
  return (Object.keys(MATRIX) as Action[]).filter((action) => can(role, action));
}

/** Roles an actor may hand out: only an owner makes owners. */
export function assignableRoles(actor: Role | null | undefined): Role[] {
  if (actor === 'owner') return ['owner', 'admin', 'member', 'viewer'];
  if (actor === 'admin') return ['admin', 'member', 'viewer'];
  return [];
}

/** Whether `actor` may change or remove a member holding `target`. */
export function canManageMember(actor: Role | null | undefined, target: Role): boolean {
  if (!can(actor, 'manageMembers')) return false;
  return target !== 'owner' || actor === 'owner';
}

/** "a member", "an admin": a role with its article, for sentences. */
export function roleWords(role: Role | null | undefined): string {
  if (!role) return 'not a member here';
  return `${role === 'admin' || role === 'owner' ? 'an' : 'a'} ${role}`;
}

/** Why a rollback cannot be asked for or approved by this role (null: it can). */
export function rollbackRefusal(role: Role | null | undefined): string | null {
  return can(role, 'rollback') ? null : `Rollbacks need an admin or owner; you are ${roleWords(role)}.`;
}

/** Whether the organization lets a person approve a task they asked for (`settings.allow_self_approval`, off unless set). */
export function allowsSelfApproval(organization: { settings?: Record<string, unknown> | null } | null | undefined): boolean {
  return organization?.settings?.allow_self_approval === true;
}

export const SELF_APPROVAL_REFUSAL =
  "You asked for this task: another member must approve it (an admin can allow self-approval for a team of one in the organization's settings).";

/**
 * Why the caller, who may decide tasks, may not approve this one, as the node would refuse
 * it (null: they may): a rollback needs an admin or owner, and a task one asked for needs another member
 * unless the organization allows self-approval. Rejecting is not limited by either.
 */
export function approvalRefusal(
  task: Pick<TaskRow, 'task_type' | 'requested_by'>,
  who: { role: Role | null | undefined; userId: string | null | undefined; allowSelfApproval: boolean },
): string | null {
  if (task.task_type === 'rollback') {
    const refused = rollbackRefusal(who.role);
    if (refused) return refused;
  }
  if (!who.allowSelfApproval && who.userId && task.requested_by === who.userId) return SELF_APPROVAL_REFUSAL;
  return null;
}
