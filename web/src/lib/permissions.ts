// What a role may do, from the permission matrix (shared DESIGN.md; the node's
// crates/api/src/rbac.rs enforces it). The console offers only what the role allows.
import type { Role } from '../api/models';

export type Action =
  | 'viewDashboard'
  | 'manageIntegrations'
  | 'spawnAgents'
  | 'approveTasks'
  | 'publishSocial'
  | 'manageMembers'
  | 'deleteOrganization';

const MATRIX: Record<Action, readonly Role[]> = {
  viewDashboard: ['owner', 'admin', 'member', 'viewer'],
  manageIntegrations: ['owner', 'admin', 'member'],
  spawnAgents: ['owner', 'admin', 'member'],
  approveTasks: ['owner', 'admin', 'member'],
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
