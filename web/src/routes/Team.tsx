// Team Coordination: members and roles, invitations, and where standups will show once
// the node has a team agent (it has no standup route yet, so none is asked for). The
// members and invitations are shared with Settings (team/MembersPanel.tsx).
import { Link, useSearchParams } from 'react-router';
import { CalendarClock, MailPlus } from 'lucide-react';
import { useCan, useOrganization } from '../api/hooks';
import { Button, Card, EmptyState, Mono, PageHeader } from '../components/ui';
import { InviteDialog, Invitations, MembersCard } from './team/MembersPanel';

/** Standups come with the team agent, which this node does not have: nothing to ask the node for yet. */
function Standups() {
  return (
    <Card title="Standups">
      <div data-testid="standups-unavailable">
        <EmptyState icon={<CalendarClock className="size-5" aria-hidden />} title="Standups are not available on this node yet">
          They come with the team agent, which this node does not have yet: it will post the daily summary here and to Slack. Connecting Slack in <Link to="/integrations" className="underline">Integrations</Link> gets it ready.
        </EmptyState>
      </div>
    </Card>
  );
}

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
