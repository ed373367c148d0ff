// The cluster beside the supervision tree, from GET /api/cluster: each node with its
// status, run and lease age, how many organizations it runs, and which node runs the
// organization shown. On a single node, one line says so.
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/rest';
import { useOrganization } from '../../api/hooks';
import type { ClusterMember, ClusterView } from '../../api/models';
import { Badge, Card, ErrorNotice, LoadingBlock, Mono } from '../../components/ui';

const STATUS_TONE = { live: 'green', suspect: 'amber', dead: 'red' } as const;

/** `1500` → `1.5 s`, `320` → `320 ms`. */
export function leaseAge(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** The node running `organizationId`, if the cluster says. */
export function runningNode(view: ClusterView, organizationId: string | null): ClusterMember | null {
  if (!organizationId) return null;
  return view.members.find((member) => member.status !== 'dead' && member.your_organizations.includes(organizationId)) ?? null;
}

export function ClusterSummary({ view, organizationId }: { view: ClusterView; organizationId: string | null }) {
  if (!view.enabled) {
    return <p className="px-4 py-2.5 text-[12px] text-muted">Single node: every organization runs on this node.</p>;
  }
  const running = runningNode(view, organizationId);
  return (
    <div className="space-y-2 px-4 py-2.5">
      <p className="text-[12px]">
        {running ? (
          <>This organization runs on <Mono>{running.node}</Mono>{running.this_node ? ' (this node)' : ''}.</>
        ) : (
          'This organization is being placed on a node.'
        )}
      </p>
      <table className="w-full text-left text-[12px]">
        <thead className="text-muted">
          <tr>
            <th className="py-1 font-medium">Node</th>
            <th className="py-1 font-medium">Status</th>
            <th className="py-1 font-medium">Run</th>
            <th className="py-1 font-medium">Lease age</th>
            <th className="py-1 font-medium">Organizations</th>
          </tr>
        </thead>
        <tbody>
          {view.members.map((member) => (
            <tr key={member.node} data-testid="cluster-member" className="border-t border-line">
              <td className="py-1">
                <Mono>{member.node}</Mono>
                {member.this_node && <span className="ml-1.5 text-muted">this node</span>}
                <div className="text-[11px] text-muted">{member.address}</div>
              </td>
              <td className="py-1"><Badge tone={STATUS_TONE[member.status]}>{member.status}</Badge></td>
              <td className="py-1 tabular-nums">run {member.epoch}</td>
              <td className="py-1 tabular-nums">{leaseAge(member.lease_age_ms)}</td>
              <td className="py-1 tabular-nums">
                {member.organizations}
                {organizationId && member.your_organizations.includes(organizationId) && <span className="ml-1.5 text-muted">(this one)</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ClusterPanel() {
  const { organization } = useOrganization();
  const cluster = useQuery({
    queryKey: ['cluster'],
    refetchInterval: 2_000,
    queryFn: () => call(api.GET('/api/cluster')),
  });
  return (
    <Card title="Cluster" bodyClassName="p-0">
      <div data-testid="cluster-panel">
        {cluster.isLoading && <div className="p-4"><LoadingBlock rows={2} /></div>}
        {cluster.error && <div className="p-4"><ErrorNotice error={cluster.error} what="The cluster" /></div>}
        {cluster.data && <ClusterSummary view={cluster.data} organizationId={organization?.id ?? null} />}
      </div>
    </Card>
  );
}
