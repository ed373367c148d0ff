// Team Coordination: members and roles, invitations, and the standups the standup agent
// posts (team/Standups.tsx). The members and invitations are shared with Settings
// (team/MembersPanel.tsx).
import { useSearchParams } from 'react-router';
import { MailPlus } from 'lucide-react';
import { useCan, useOrganization } from '../api/hooks';
import { Button, Mono, PageHeader } from '../components/ui';
import { InviteDialog, Invitations, MembersCard } from './team/MembersPanel';
import { Standups } from './team/Standups';

export function Team() {
  const { organizationId, organization } = useOrganization();
  const canManage = useCan('manageMembers');
  const [search, setSearch] = useSearchParams();
  const setInviteOpen = (open: boolean) => setSearch(open ? { invite: '1' } : {}, { replace: true });
  return (
    <div>
      <PageHeader
        title="Team"
        description={`Who is in ${organization?.name ?? 'this organization'}, with which role.`}
        actions={
          canManage && (
            <Button variant="primary" icon={<MailPlus className="size-4" aria-hidden />} onClick={() => setInviteOpen(true)}>
              Invite member
            </Button>
          )
        }
      />
      <div className="space-y-4">
        <MembersCard />
        <Invitations />
        <Standups />
        <p className="text-[12px] text-muted">
          Organization id <Mono>{organizationId}</Mono>
        </p>
      </div>
      {canManage && <InviteDialog open={search.get('invite') === '1'} onClose={() => setInviteOpen(false)} />}
    </div>
  );
}
