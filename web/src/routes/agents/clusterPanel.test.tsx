import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ClusterPanel, ClusterSummary, leaseAge, runningNode } from './ClusterPanel';
import type { ClusterView } from '../../api/models';

const answer = vi.hoisted(() => ({ current: null as unknown, fail: false, paths: [] as string[] }));

vi.mock('../../api/hooks', () => ({
  useOrganization: () => ({ organization: { id: 'org-1', name: 'Acme' } }),
}));
vi.mock('../../api/rest', () => ({
  api: {
    GET: async (path: string) => {
      answer.paths.push(path);
      return { data: answer.current, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => {
    const { data } = await request;
    if (answer.fail) throw new Error('the cluster could not be read');
    return data;
  },
}));

afterEach(() => {
  cleanup();
  answer.fail = false;
  answer.paths = [];
});

function renderPanel() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <ClusterPanel />
    </QueryClientProvider>,
  );
}

const cluster: ClusterView = {
  enabled: true,
  members: [
    { node: 'node-a', address: 'http://10.0.0.1:8080', status: 'live', epoch: 2, lease_age_ms: 320, organizations: 3, your_organizations: [], this_node: true },
    { node: 'node-b', address: 'http://10.0.0.2:8080', status: 'suspect', epoch: 1, lease_age_ms: 2400, organizations: 2, your_organizations: ['org-1'], this_node: false },
    { node: 'node-c', address: 'http://10.0.0.3:8080', status: 'dead', epoch: 4, lease_age_ms: 9000, organizations: 0, your_organizations: [], this_node: false },
  ],
};

describe('cluster panel', () => {
  it('says a single node runs everything', () => {
    render(<ClusterSummary view={{ enabled: false, members: [] }} organizationId="org-1" />);
    expect(screen.getByText(/Single node: every organization runs on this node/)).toBeInTheDocument();
    expect(screen.queryByTestId('cluster-member')).toBeNull();
  });

  it('lists the members with their status and says which runs this organization', () => {
    render(<ClusterSummary view={cluster} organizationId="org-1" />);
    const rows = screen.getAllByTestId('cluster-member');
    expect(rows).toHaveLength(3);
    expect(within(rows[0]!).getByText('this node')).toBeInTheDocument();
    expect(within(rows[0]!).getByText('live')).toBeInTheDocument();
    expect(within(rows[1]!).getByText('suspect')).toBeInTheDocument();
    expect(within(rows[1]!).getByText('(this one)')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('dead')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('run 4')).toBeInTheDocument();
    expect(screen.getByText(/This organization runs on/)).toHaveTextContent('This organization runs on node-b.');
  });

  it('formats lease ages and finds the running node', () => {
    expect(leaseAge(320)).toBe('320 ms');
    expect(leaseAge(2400)).toBe('2.4 s');
    expect(runningNode(cluster, 'org-1')?.node).toBe('node-b');
    expect(runningNode(cluster, 'org-9')).toBeNull();
    expect(runningNode(cluster, null)).toBeNull();
  });

  it('reads GET /api/cluster and compares the organization shown with each node', async () => {
    answer.current = cluster;
    renderPanel();
    const panel = await screen.findByTestId('cluster-panel');
    expect(await within(panel).findByText(/This organization runs on/)).toHaveTextContent('This organization runs on node-b.');
    expect(within(panel).getAllByTestId('cluster-member')).toHaveLength(3);
    expect(within(panel).getAllByRole('columnheader').map((header) => header.textContent)).toEqual(['Node', 'Status', 'Run', 'Lease age', 'Organizations']);
    expect(answer.paths).toContain('/api/cluster');
  });

  it('shows a failed read the way the console does', async () => {
    answer.fail = true;
    renderPanel();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('the cluster could not be read');
    expect(screen.getByTestId('cluster-panel')).toContainElement(alert);
  });
});
