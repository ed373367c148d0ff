// Which services are connected, at a glance; connecting and managing them is the
// Integrations area's.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, call } from '../../api/rest';
import { useOrgKey } from '../../api/hooks';
import type { ServiceWire } from '../../api/models';
import { buttonClass, Card, ErrorNotice, LoadingBlock, StatusBadge, Time, tableClass } from '../../components/ui';

export const SERVICES: readonly { service: ServiceWire; label: string }[] = [
  { service: 'github', label: 'GitHub' },
  { service: 'vercel', label: 'Vercel' },
  { service: 'figma', label: 'Figma' },
  { service: 'slack', label: 'Slack' },
  { service: 'twitter', label: 'X' },
  { service: 'linkedin', label: 'LinkedIn' },
];

export function IntegrationsSummary() {
  const integrations = useQuery({ queryKey: useOrgKey('integrations'), queryFn: () => call(api.GET('/api/integrations')) });
  const byService = new Map((integrations.data?.items ?? []).map((integration) => [integration.service, integration]));
  const connected = SERVICES.filter(({ service }) => byService.has(service)).length;
  return (
    <Card
      title={`Integrations${integrations.data ? ` (${connected} of ${SERVICES.length} connected)` : ''}`}
      actions={
        <Link to="/integrations" className={buttonClass('secondary', 'sm')}>
          Manage in Integrations
        </Link>
      }
      bodyClassName="p-0"
    >
      {integrations.isLoading && <div className="p-4"><LoadingBlock rows={2} /></div>}
      {integrations.error && <div className="p-4"><ErrorNotice error={integrations.error} /></div>}
      {integrations.data && (
        <table className={tableClass} data-testid="integrations-summary">
          <thead>
            <tr>
              <th>Service</th>
              <th>Status</th>
              <th>Last sync</th>
            </tr>
          </thead>
          <tbody>
            {SERVICES.map(({ service, label }) => {
              const integration = byService.get(service);
              return (
                <tr key={service} data-service={service}>
                  <td className="font-medium">
                    <Link to="/integrations" className="hover:underline">
                      {label}
                    </Link>
                  </td>
                  <td>{integration ? <StatusBadge status={integration.status} /> : <span className="text-muted">not connected</span>}</td>
                  <td>{integration ? <Time iso={integration.last_sync_at} className="text-muted" /> : <span className="text-muted">—</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}
