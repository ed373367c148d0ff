import { describe, expect, it } from 'vitest';
import { SELF_APPROVAL_REFUSAL, actionsOf, allowsSelfApproval, approvalRefusal, assignableRoles, can, canManageMember, rollbackRefusal } from './permissions';

describe('role to actions', () => {
  it.each([
    ['owner', ['viewDashboard', 'manageIntegrations', 'manageIntegrationSecrets', 'spawnAgents', 'approveTasks', 'rollback', 'publishSocial', 'manageMembers', 'deleteOrganization']],
    ['admin', ['viewDashboard', 'manageIntegrations', 'manageIntegrationSecrets', 'spawnAgents', 'approveTasks', 'rollback', 'publishSocial', 'manageMembers']],
    ['member', ['viewDashboard', 'manageIntegrations', 'spawnAgents', 'approveTasks', 'publishSocial']],
    ['viewer', ['viewDashboard']],
  ] as const)('%s may do exactly what the matrix says', (role, actions) => {
    expect(actionsOf(role)).toEqual(actions);
  });

  it('nobody may act without a role', () => {
    expect(can(null, 'viewDashboard')).toBe(false);
    expect(actionsOf(undefined)).toEqual([]);
  });

  it('only an admin or owner rolls back, or connects and disconnects a service; a member still syncs', () => {
    expect(can('member', 'rollback')).toBe(false);
    expect(can('admin', 'rollback')).toBe(true);
    expect(can('member', 'manageIntegrationSecrets')).toBe(false);
    expect(can('member', 'manageIntegrations')).toBe(true);
    expect(can('owner', 'manageIntegrationSecrets')).toBe(true);
    expect(rollbackRefusal('member')).toBe('Rollbacks need an admin or owner; you are a member.');
    expect(rollbackRefusal('admin')).toBeNull();
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

describe('approving a task', () => {
  const mine = { task_type: 'count_text', requested_by: 'u1' };
  it('needs another member for a task one asked for, unless the organization allows it', () => {
    expect(approvalRefusal(mine, { role: 'owner', userId: 'u1', allowSelfApproval: false })).toBe(SELF_APPROVAL_REFUSAL);
    expect(approvalRefusal(mine, { role: 'owner', userId: 'u1', allowSelfApproval: true })).toBeNull();
    expect(approvalRefusal(mine, { role: 'member', userId: 'u2', allowSelfApproval: false })).toBeNull();
    expect(approvalRefusal({ task_type: 'count_text', requested_by: null }, { role: 'member', userId: 'u1', allowSelfApproval: false })).toBeNull();
  });

  it('needs an admin or owner for a rollback, self-approval or not', () => {
    const rollback = { task_type: 'rollback', requested_by: null };
    expect(approvalRefusal(rollback, { role: 'member', userId: 'u1', allowSelfApproval: true })).toBe('Rollbacks need an admin or owner; you are a member.');
    expect(approvalRefusal(rollback, { role: 'admin', userId: 'u1', allowSelfApproval: false })).toBeNull();
    expect(approvalRefusal({ ...rollback, requested_by: 'u1' }, { role: 'admin', userId: 'u1', allowSelfApproval: false })).toBe(SELF_APPROVAL_REFUSAL);
  });

  it('reads the organization’s setting, off unless it is true', () => {
    expect(allowsSelfApproval({ settings: { allow_self_approval: true } })).toBe(true);
    expect(allowsSelfApproval({ settings: { allow_self_approval: 'yes' } })).toBe(false);
    expect(allowsSelfApproval({ settings: {} })).toBe(false);
    expect(allowsSelfApproval(null)).toBe(false);
  });
});
