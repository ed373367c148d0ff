// The live supervision tree as a graph (xyflow): root → system and organizations →
// kinds → agents, each with its state, mailbox, restarts, last error and its
// supervisor's policy, from GET /api/supervision/tree. Refreshed on agent status events
// and by a slow poll.
import { useMemo, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { Pause, Play, X } from 'lucide-react';
import { Link } from 'react-router';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import type { TreeNode, TreeRole } from '../../api/models';
import { Badge, Button, Card, EmptyState, ErrorNotice, LoadingBlock, Mono, StatusBadge, cx } from '../../components/ui';
import { displayName, layoutTree, NODE_WIDTH, visibleTree } from './treeLayout';
import { useUi } from '../../stores/ui';
import { ClusterPanel } from './ClusterPanel';

type TreeNodeData = { node: TreeNode; selected: boolean; label: string; folded: number };

/** The smallest zoom fitting the view may choose: labels stay readable on a narrow screen. */
export const FIT_MIN_ZOOM = 0.75;

const ROLE_LABEL: Record<TreeRole, string> = {
  root: 'root supervisor',
  system: 'system supervisor',
  system_actor: 'system actor',
  organization: 'organization',
  kind: 'kind supervisor',
  integrations: 'integrations',
  adapter: 'adapter',
  agent: 'agent',
};

function TreeCard({ data }: NodeProps<Node<TreeNodeData>>) {
  const { node, selected, label, folded } = data;
  const supervisor = node.role !== 'agent' && node.role !== 'system_actor' && node.role !== 'adapter';
  return (
    <div
      className={cx(
        'rounded-md border bg-panel px-2.5 py-2 text-left text-[12px] shadow-sm',
        selected ? 'border-accent ring-2 ring-accent/30' : 'border-line',
        node.status === 'error' && 'border-red-400',
        node.status === 'disabled' && 'opacity-70',
      )}
      style={{ width: NODE_WIDTH }}
    >
      <Handle type="target" position={Position.Top} className="!size-1.5 !border-0 !bg-zinc-400" />
      <div className="flex items-center justify-between gap-1">
        <span className="truncate font-semibold" title={node.path}>
          {label}
        </span>
        {node.status ? <StatusBadge status={node.status} /> : <Badge tone="gray">{ROLE_LABEL[node.role]}</Badge>}
      </div>
      {node.agent_type && <Mono className="block truncate text-[11px] text-muted">{node.agent_type}</Mono>}
      <div className="mt-1 flex gap-2.5 text-[11px] text-muted tabular-nums">
        <span title="Messages waiting in the mailbox">✉ {node.mailbox}</span>
        <span title="Restarts">↻ {node.restarts}</span>
        <span title="Messages handled">✓ {node.messages_handled}</span>
        {node.passive && <span title="Passive: its actor is stopped while it is idle; its next task or question starts it">◌ passive</span>}
      </div>
      {folded > 0 && <div className="mt-1 text-[11px] text-muted">+ {folded} system actors</div>}
      {supervisor && node.policy && (
        <div className="mt-1 truncate text-[11px] text-muted" title="Restart policy of this supervisor">
          {node.policy.strategy} · {node.policy.max_restarts}/{node.policy.window_secs}s
        </div>
      )}
      {node.last_error && (
        <div className="mt-1 truncate text-[11px] text-red-700 dark:text-red-400" title={node.last_error}>
          {node.last_error}
        </div>
      )}
      <Handle type="source" position={Position.Bottom} className="!size-1.5 !border-0 !bg-zinc-400" />
    </div>
  );
}

const nodeTypes = { tree: TreeCard };

function Details({ node, parent, label }: { node: TreeNode; parent: TreeNode | undefined; label: string }) {
  const canSteer = useCan('spawnAgents');
  const invalidate = useInvalidateOrg();
  const toggle = useMutation({
    mutationFn: () => {
      const id = node.agent_id ?? '';
      return node.status === 'disabled'
        ? call(api.POST('/api/agents/{id}/enable', { params: { path: { id } } }))
        : call(api.POST('/api/agents/{id}/disable', { params: { path: { id } } }));
    },
    onSuccess: () => {
      void invalidate('tree');
      void invalidate('agents');
    },
  });
  const policy = node.policy ?? parent?.policy ?? null;
  return (
    <div className="space-y-3 text-[13px]" data-testid="tree-details">
      <div>
        <div className="font-semibold">{label}</div>
        <Mono className="break-all text-[11px] text-muted">{node.path}</Mono>
      </div>
      <dl className="grid grid-cols-2 gap-2">
        <dt className="text-muted">Role</dt>
        <dd>{ROLE_LABEL[node.role]}</dd>
        {node.status && (
          <>
            <dt className="text-muted">State</dt>
            <dd><StatusBadge status={node.status} /></dd>
          </>
        )}
        {node.agent_type && (
          <>
            <dt className="text-muted">Type</dt>
            <dd><Mono>{node.agent_type}</Mono></dd>
          </>
        )}
        {node.role === 'agent' && (
          <>
            <dt className="text-muted">Actor</dt>
            <dd>{node.passive ? 'passive: stopped while idle, started by its next task or question' : 'running'}</dd>
          </>
        )}
        <dt className="text-muted">Mailbox</dt>
        <dd className="tabular-nums">{node.mailbox}</dd>
        <dt className="text-muted">Restarts</dt>
        <dd className="tabular-nums">{node.restarts}</dd>
        <dt className="text-muted">Handled</dt>
        <dd className="tabular-nums">{node.messages_handled}</dd>
      </dl>
      {policy && (
        <div className="rounded-md border border-line p-2">
          <div className="text-[11px] font-medium tracking-wide text-muted uppercase">{node.policy ? 'Its policy' : "Supervisor's policy"}</div>
          <div>
            <Mono>{policy.strategy}</Mono>: at most {policy.max_restarts} restarts in {policy.window_secs} s
          </div>
        </div>
      )}
      {node.last_error && <ErrorNotice error={new Error(node.last_error)} />}
      {canSteer && node.role === 'agent' && node.agent_id && (
        <Button size="sm" loading={toggle.isPending} icon={node.status === 'disabled' ? <Play className="size-3.5" aria-hidden /> : <Pause className="size-3.5" aria-hidden />} onClick={() => toggle.mutate()}>
          {node.status === 'disabled' ? 'Enable agent' : 'Disable agent'}
        </Button>
      )}
      {toggle.error && <ErrorNotice error={toggle.error} />}
    </div>
  );
}

export function SupervisionTree() {
  const dark = useUi((state) => state.theme) === 'dark' || document.documentElement.classList.contains('dark');
  const { organization } = useOrganization();
  const tree = useQuery({
    queryKey: useOrgKey('tree'),
    refetchInterval: 15_000,
    queryFn: () => call(api.GET('/api/supervision/tree')),
  });
  const [selected, setSelected] = useState<string | null>(null);
  const [showSystem, setShowSystem] = useState(false);
  const all: TreeNode[] = useMemo(() => tree.data?.nodes ?? [], [tree.data]);
  const { nodes, hidden } = useMemo(() => visibleTree(all, showSystem), [all, showSystem]);
  const organizationName = organization?.name ?? null;
  const nameOf = (node: TreeNode) => displayName(node, organizationName);

  const { flowNodes, flowEdges, shape } = useMemo(() => {
    const placed = layoutTree(nodes);
    const folded = (node: TreeNode) => (node.role === 'system' ? all.filter((other) => other.parent === node.path && other.role === 'system_actor').length - nodes.filter((other) => other.parent === node.path).length : 0);
    const flowNodes: Node<TreeNodeData>[] = placed.map(({ node, x, y }) => ({
      id: node.path,
      type: 'tree',
      position: { x, y },
      data: { node, selected: node.path === selected, label: displayName(node, organizationName), folded: folded(node) },
      draggable: false,
    }));
    const known = new Set(nodes.map((node) => node.path));
    const flowEdges: Edge[] = nodes
      .filter((node) => node.parent && known.has(node.parent))
      .map((node) => ({ id: `${node.parent}->${node.path}`, source: node.parent ?? '', target: node.path, type: 'smoothstep', animated: node.status === 'working' }));
    // Redraw (and fit the view again) when the set of nodes changes, not on every refresh.
    return { flowNodes, flowEdges, shape: nodes.map((node) => node.path).join('|') };
  }, [nodes, all, selected, organizationName]);

  const chosen = all.find((node) => node.path === selected);
  const counts = {
    agents: all.filter((node) => node.role === 'agent').length,
    errors: all.filter((node) => node.status === 'error').length,
    restarts: all.reduce((sum, node) => sum + node.restarts, 0),
  };

  return (
    <div className="space-y-3">
      <ClusterPanel />
      <Card
        title={
          <div className="flex items-center gap-3 text-[13px]">
            <h2 className="font-semibold">Supervision tree</h2>
            <span className="text-muted">{counts.agents} agents · {counts.errors} in error · {counts.restarts} restarts</span>
          </div>
        }
        actions={
          all.some((node) => node.role === 'system_actor') && (
            <label className="flex items-center gap-1.5 text-[12px] text-muted">
              <input type="checkbox" className="size-3.5" checked={showSystem} onChange={(event) => setShowSystem(event.target.checked)} />
              Show system actors{hidden > 0 ? ` (${hidden})` : ''}
            </label>
          )
        }
        bodyClassName="p-0"
      >
        {tree.isLoading && <div className="p-4"><LoadingBlock rows={5} /></div>}
        {tree.error && (
          <div className="space-y-2 p-4" data-testid="tree-error">
            <ErrorNotice error={tree.error} what="The supervision tree" />
            <p className="text-[12px] text-muted">
              The agents themselves are listed under <Link className="underline" to="/agents/list">Agents</Link>; the tree is read again every 15 seconds.
            </p>
          </div>
        )}
        {tree.data && nodes.length === 0 && (
          <div className="p-4">
            <EmptyState title="The tree is empty">The node answered no supervisors: is its runtime starting?</EmptyState>
          </div>
        )}
        {nodes.length > 0 && (
          <div className="relative" data-testid="supervision-tree">
            <div className="h-[460px] md:h-[600px]">
            <ReactFlow
              key={shape}
              nodes={flowNodes}
              edges={flowEdges}
              nodeTypes={nodeTypes}
              fitView
              // Fitted, the labels stay readable (12 px at 0.75 is 9 px): a tree wider than the
              // screen is shown from its middle and panned, rather than shrunk to specks.
              fitViewOptions={{ padding: 0.08, maxZoom: 1, minZoom: FIT_MIN_ZOOM }}
              minZoom={0.2}
              nodesConnectable={false}
              colorMode={dark ? 'dark' : 'light'}
              onNodeClick={(_, node) => setSelected(node.id)}
              onPaneClick={() => setSelected(null)}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={20} size={1} />
              <Controls showInteractive={false} />
            </ReactFlow>
            </div>
            <aside className="relative m-3 rounded-lg border border-line bg-panel p-3 shadow-lg md:absolute md:top-3 md:right-3 md:z-10 md:m-0 md:w-72" aria-label="Details">
              {chosen ? (
                <>
                  <button type="button" className="absolute top-2 right-2 rounded p-1 text-muted hover:bg-panel-2" aria-label="Close the details" onClick={() => setSelected(null)}>
                    <X className="size-3.5" aria-hidden />
                  </button>
                  <Details node={chosen} parent={all.find((node) => node.path === chosen.parent)} label={nameOf(chosen)} />
                </>
              ) : (
                <p className="text-[12px] text-muted">Select a node to see its state, its supervisor's policy and its last error.</p>
              )}
            </aside>
          </div>
        )}
      </Card>
    </div>
  );
}
