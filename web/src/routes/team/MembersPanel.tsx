// Members and invitations of the organization, shared by the Team and Settings areas:
// the members with their roles (changed or removed by those who may), the invitation
// dialog, and the pending invitations (resent or revoked).
import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Send, Trash2, Users } from 'lucide-react';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import { useMembers } from '../../api/members';
import { fieldErrors } from '../../api/problem';
import type { MemberRow, Role } from '../../api/models';
import { assignableRoles, canManageMember } from '../../lib/permissions';
import { Button, Card, EmptyState, ErrorNotice, Field, Input, LoadingBlock, Modal, Select, Time, tableClass, useFieldId } from '../../components/ui';

export function InviteDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { organizationId, role } = useOrganization();
  const invalidate = useInvalidateOrg();
  const roles = assignableRoles(role);
  const [email, setEmail] = useState('');
  const [inviteRole, setInviteRole] = useState<Role>('member');
  const ids = { email: useFieldId('email'), role: useFieldId('role') };
  const invite = useMutation({
    mutationFn: () => call(api.POST('/api/organizations/{id}/members', { params: { path: { id: organizationId ?? '' } }, body: { email, role: inviteRole } })),
    onSuccess: () => {
      void invalidate('invitations');
      setEmail('');
      onClose();
    },
  });
  const errors = fieldErrors(invite.error, ['email', 'role']);
  return (
    <Modal
      title="Invite a member"
      open={open}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" loading={invite.isPending} disabled={!email.includes('@')} disabledReason="Enter the e-mail address to invite first." onClick={() => invite.mutate()}>
            Send invitation
          </Button>
        </>
      }
    >
      <form className="space-y-3" onSubmit={(event) => { event.preventDefault(); invite.mutate(); }}>
        {errors.form && <ErrorNotice error={invite.error} />}
        <Field label="Email" htmlFor={ids.email} error={errors.fields.email} hint="They receive a link by e-mail to join.">
          <Input id={ids.email} type="email" value={email} onChange={(event) => setEmail(event.target.value)} invalid={Boolean(errors.fields.email)} />
        </Field>
        <Field label="Role" htmlFor={ids.role} error={errors.fields.role}>
          <Select id={ids.role} value={inviteRole} onChange={(event) => setInviteRole(event.target.value as Role)}>
            {roles.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </Select>
        </Field>
      </form>
    </Modal>
  );
}

function MemberRowView({ member }: { member: MemberRow }) {
  const { organizationId, role, me } = useOrganization();
  const invalidate = useInvalidateOrg();
  const manageable = canManageMember(role, member.role) && member.user_id !== me?.id;
  const change = useMutation({
    mutationFn: (next: Role) => call(api.PATCH('/api/organizations/{id}/members/{user_id}', { params: { path: { id: organizationId ?? '', user_id: member.user_id } }, body: { role: next } })),
    onSuccess: () => void invalidate('members'),
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/organizations/{id}/members/{user_id}', { params: { path: { id: organizationId ?? '', user_id: member.user_id } } })),
    onSuccess: () => void invalidate('members'),
  });
  const [confirming, setConfirming] = useState(false);
  const error = change.error ?? remove.error;
  return (
    <tr>
      <td>
        <div className="font-medium">{member.name}{member.user_id === me?.id && <span className="ml-1 text-muted">(you)</span>}</div>
        <div className="text-[12px] text-muted">{member.email}</div>
      </td>
      <td>
        {manageable ? (
          <Select aria-label={`Role of ${member.name}`} className="h-7 w-32 py-0" value={member.role} disabled={change.isPending} onChange={(event) => change.mutate(event.target.value as Role)}>
            {assignableRoles(role).map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </Select>
        ) : (
          <span className="capitalize">{member.role}</span>
        )}
        {error && <div className="mt-1 max-w-80"><ErrorNotice error={error} /></div>}
      </td>
      <td><Time iso={member.joined_at} className="text-muted" /></td>
      <td className="text-right">
        {manageable &&
          (confirming ? (
            <div className="flex justify-end gap-1">
              <Button size="sm" variant="danger" loading={remove.isPending} onClick={() => remove.mutate()}>
                Remove
              </Button>
              <Button size="sm" onClick={() => setConfirming(false)}>
                Keep
              </Button>
            </div>
          ) : (
            <Button size="sm" variant="ghost" icon={<Trash2 className="size-3.5" aria-hidden />} onClick={() => setConfirming(true)} aria-label={`Remove ${member.name}`}>
              Remove
            </Button>
          ))}
      </td>
    </tr>
  );
}

export function Invitations() {
  const { organizationId } = useOrganization();
  const canManage = useCan('manageMembers');
  const invalidate = useInvalidateOrg();
  const invitations = useQuery({
    queryKey: useOrgKey('invitations'),
    enabled: canManage,
    queryFn: () => call(api.GET('/api/organizations/{id}/invitations', { params: { path: { id: organizationId ?? '' } } })),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/organizations/{id}/invitations/{invitation_id}', { params: { path: { id: organizationId ?? '', invitation_id: id } } })),
    onSuccess: () => void invalidate('invitations'),
  });
  // A new link is mailed and the old one stops working; the answer is the new invitation.
  const [resent, setResent] = useState<string[]>([]);
  const resend = useMutation({
    mutationFn: (id: string) => call(api.POST('/api/organizations/{id}/invitations/{invitation_id}/resend', { params: { path: { id: organizationId ?? '', invitation_id: id } } })),
    onSuccess: (answer) => {
      setResent((emails) => [...emails, answer.email]);
      void invalidate('invitations');
    },
  });
  if (!canManage) return null;
  const items = invitations.data?.items ?? [];
  return (
    <Card title="Pending invitations" bodyClassName="p-0">
      {invitations.isLoading && <div className="p-4"><LoadingBlock rows={2} /></div>}
      {invitations.error && <div className="p-4"><ErrorNotice error={invitations.error} what="The invitations list" /></div>}
      {(revoke.error || resend.error) && <div className="p-4"><ErrorNotice error={revoke.error ?? resend.error} /></div>}
      {invitations.data && items.length === 0 && <p className="px-4 py-5 text-[13px] text-muted">No pending invitations.</p>}
      {items.length > 0 && (
        <table className={tableClass} data-testid="invitation-table">
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              <th>Sent</th>
              <th>Expires</th>
              <th className="sr-only">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((invitation) => (
              <tr key={invitation.id}>
                <td>{invitation.email}</td>
                <td className="capitalize">{invitation.role}</td>
                <td><Time iso={invitation.created_at} className="text-muted" /></td>
                <td><Time iso={invitation.expires_at} /></td>
                <td className="text-right">
                  <div className="flex items-center justify-end gap-1">
                    {resent.includes(invitation.email) && (
                      <span className="text-[12px] text-emerald-800 dark:text-emerald-300" role="status" data-testid="invitation-resent">
                        new link sent
                      </span>
                    )}
                    <Button size="sm" variant="ghost" icon={<Send className="size-3.5" aria-hidden />} loading={resend.isPending && resend.variables === invitation.id} onClick={() => resend.mutate(invitation.id)} aria-label={`Resend the invitation to ${invitation.email}`}>
                      Resend
                    </Button>
                    <Button size="sm" variant="ghost" loading={revoke.isPending && revoke.variables === invitation.id} onClick={() => revoke.mutate(invitation.id)} aria-label={`Revoke the invitation to ${invitation.email}`}>
                      Revoke
                    </Button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** The members with their roles. */
export function MembersCard() {
  const members = useMembers();
  const items = members.data?.items ?? [];
  return (
    <Card title={`Members${items.length ? ` (${items.length})` : ''}`} bodyClassName="p-0">
      {members.isLoading && <div className="p-4"><LoadingBlock /></div>}
      {members.error && <div className="p-4"><ErrorNotice error={members.error} /></div>}
      {members.data && items.length === 0 && (
        <div className="p-4">
          <EmptyState icon={<Users className="size-5" aria-hidden />} title="Only you so far" />
        </div>
      )}
      {items.length > 0 && (
        <table className={tableClass} data-testid="member-table">
          <thead>
            <tr>
              <th>Member</th>
              <th>Role</th>
              <th>Joined</th>
              <th className="sr-only">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((member) => (
              <MemberRowView key={member.user_id} member={member} />
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
