// Lays the supervision tree out top-down: leaves side by side, each parent centred
// over its children. Pure, so it is unit-tested.
import type { TreeNode, TreeRole } from '../../api/models';

export interface Placed {
  node: TreeNode;
  x: number;
  y: number;
  depth: number;
}

export const NODE_WIDTH = 210;
export const NODE_GAP = 24;
export const LEVEL_HEIGHT = 150;

export function layoutTree(nodes: TreeNode[]): Placed[] {
  const byPath = new Map(nodes.map((node) => [node.path, node]));
  const children = new Map<string | null, TreeNode[]>();
  for (const node of nodes) {
    const parent = node.parent && byPath.has(node.parent) ? node.parent : null;
    const list = children.get(parent) ?? [];
    list.push(node);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  const placed: Placed[] = [];
  let nextLeaf = 0;
  const visit = (node: TreeNode, depth: number): number => {
    const kids = children.get(node.path) ?? [];
    let x: number;
    if (kids.length === 0) {
      x = nextLeaf * (NODE_WIDTH + NODE_GAP);
      nextLeaf += 1;
    } else {
      const xs = kids.map((child) => visit(child, depth + 1));
      x = ((xs[0] ?? 0) + (xs[xs.length - 1] ?? 0)) / 2;
    }
    placed.push({ node, x, y: depth * LEVEL_HEIGHT, depth });
    return x;
  };
  for (const root of children.get(null) ?? []) visit(root, 0);
  return placed;
}

const ROLE_ORDER: Record<TreeRole, number> = { root: 0, system: 1, system_actor: 2, organization: 3, kind: 4, integrations: 5, adapter: 6, agent: 7 };

function order(node: TreeNode): number {
  return ROLE_ORDER[node.role];
}

/**
 * The nodes drawn: the system supervisor's own actors (events, gateway, scheduler,
 * dispatcher) are folded into it unless asked for, so the organization's part of the
 * tree keeps a readable size. `hidden` counts what was folded.
 */
export function visibleTree(nodes: TreeNode[], showSystem: boolean): { nodes: TreeNode[]; hidden: number } {
  if (showSystem) return { nodes, hidden: 0 };
  const system = new Set(nodes.filter((node) => node.role === 'system').map((node) => node.path));
  const kept = nodes.filter((node) => !(node.role === 'system_actor' && node.parent != null && system.has(node.parent)));
  return { nodes: kept, hidden: nodes.length - kept.length };
}

/** What a node is called on screen: the agent's or organization's name, else its path segment. */
export function displayName(node: TreeNode, organizationName: string | null): string {
  if (node.agent_name) return node.agent_name;
  if (node.role === 'organization' && organizationName) return organizationName;
  return node.name;
}
