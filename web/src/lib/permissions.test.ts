import { describe, expect, it } from 'vitest';
import { actionsOf, assignableRoles, can, canManageMember } from './permissions';

describe('role to actions', () => {
  it.each([
    ['owner', ['viewDashboard', 'manageIntegrations', 'spawnAgents', 'approveTasks', 'publishSocial', 'manageMembers', 'deleteOrganization']],
    ['admin', ['viewDashboard', 'manageIntegrations', 'spawnAgents', 'approveTasks', 'publishSocial', 'manageMembers']],
    ['member', ['viewDashboard', 'manageIntegrations', 'spawnAgents', 'approveTasks', 'publishSocial']],
    ['viewer', ['viewDashboard']],
  ] as const)('%s may do exactly what the matrix says', (role, actions) => {
    expect(actionsOf(role)).toEqual(actions);
  });

  it('nobody may act without a role', () => {
    expect(can(null, 'viewDashboard')).toBe(false);
    expect(actionsOf(undefined)).toEqual([]);
  });

  it('only an owner hands out or takes away the owner role', () => {
    expect(assignableRoles('owner')).toContain('owner');
    expect(assignableRoles('admin')).not.toContain('owner');
    expect(assignableRoles('member')).toEqual([]);
    expect(canManageMember('admin', 'owner')).toBe(false);
    expect(canManageMember('owner', 'owner')).toBe(true);
    expect(canManageMember('admin', 'viewer')).toBe(true);
    expect(canManageMember('viewer', 'viewer')).toBe(false);
  });
});
