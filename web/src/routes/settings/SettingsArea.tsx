// Settings: the organization, its members and invitations, its integrations at a glance,
// the node's language model (read-only) and the schedules that create tasks.
import { Route, Routes, useSearchParams } from 'react-router';
import { MailPlus } from 'lucide-react';
import { useCan, useOrganization } from '../../api/hooks';
import { Button, PageHeader } from '../../components/ui';
import { Tabs } from '../../components/Tabs';
import { InviteDialog, Invitations, MembersCard } from '../team/MembersPanel';
import { OrganizationSettings } from './OrganizationSettings';
import { IntegrationsSummary } from './IntegrationsSummary';
import { LanguageModel } from './LanguageModel';
import { Schedules } from './Schedules';

function Members() {
  const canManage = useCan('manageMembers');
  const { role } = useOrganization();
  const [search, setSearch] = useSearchParams();
  const setInviteOpen = (open: boolean) => setSearch(open ? { invite: '1' } : {}, { replace: true });
  return (
    <div className="space-y-4">
      <div className="flex justify-end">
        <Button
          variant="primary"
          icon={<MailPlus className="size-4" aria-hidden />}
          disabled={!canManage}
          disabledReason={canManage ? null : `Inviting needs the admin or owner role; you are ${role === 'member' ? 'a member' : 'a viewer'}.`}
          onClick={() => setInviteOpen(true)}
        >
          Invite member
        </Button>
      </div>
      <MembersCard />
      <Invitations />
      {canManage && <InviteDialog open={search.get('invite') === '1'} onClose={() => setInviteOpen(false)} />}
    </div>
  );
}

export const SETTINGS_TABS = [
  { to: '/settings', label: 'Organization', end: true },
  { to: '/settings/members', label: 'Members' },
  { to: '/settings/integrations', label: 'Integrations' },
  { to: '/settings/llm', label: 'Language model' },
  { to: '/settings/schedules', label: 'Schedules' },
];

export function SettingsArea() {
  const { organization } = useOrganization();
  return (
    <div>
      <PageHeader title="Settings" description={`How ${organization?.name ?? 'this organization'} is set up: its name, people, services, language model and schedules.`} />
      <Tabs tabs={SETTINGS_TABS} />
      <Routes>
        <Route index element={<OrganizationSettings />} />
        <Route path="members" element={<Members />} />
        <Route path="integrations" element={<IntegrationsSummary />} />
        <Route path="llm" element={<LanguageModel />} />
        <Route path="schedules" element={<Schedules />} />
      </Routes>
    </div>
  );
}
