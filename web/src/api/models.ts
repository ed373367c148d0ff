import type { components } from './generated/openapi';

type Schemas = components['schemas'];

// The shapes of the node's REST answers.
//
// Generated (aliases of the OpenAPI document's schemas, src/api/generated/openapi.ts,
// rebuilt by `npm run generate`): agents, tasks, repositories, pull requests and
// deployments, their pages, and the enums they carry; invitations. The names are the
// console's own (`AgentRow`, `TaskRow`, …; an enum's REST spelling is `…Wire`, as
// GraphQL's generated enums are the upper-case mirrors of the same vocabulary).
//
// Hand-written: everything else below. The document still types those answers as a bare
// `object` (crates/api/src/openapi.rs `Object`, `Page`), so these mirror the edge's
// answers (crates/api/src/rest/*.rs) and the store's rows; each is to become an alias as
// soon as the document describes it. The supervision tree is described, but its schema
// types a node's `kind` and `status` as free strings, which `TreeNode` narrows.
// Everything GraphQL serves is read through the generated GraphQL types instead.

export type AgentStatusWire = Schemas['AgentStatus'];
export type TaskStatusWire = Schemas['TaskStatus'];
export type RepositoryVisibilityWire = Schemas['RepositoryVisibility'];
export type PrStateWire = Schemas['PrState'];
export type ReviewStatusWire = Schemas['ReviewStatus'];
export type AgentReviewStatusWire = Schemas['AgentReviewStatus'];
export type DeploymentStateWire = Schemas['DeploymentState'];
export type DeploymentEnvironmentWire = Schemas['DeploymentEnvironment'];

export type AgentRow = Schemas['Agent'];
export type TaskRow = Schemas['AgentTask'];
export type RepositoryRow = Schemas['Repository'];
export type PullRequestRow = Schemas['PullRequest'];
export type DeploymentRow = Schemas['Deployment'];

export type AgentPage = Schemas['Page_Agent'];
export type TaskPage = Schemas['Page_AgentTask'];
export type RepositoryPage = Schemas['Page_Repository'];
export type PullRequestPage = Schemas['Page_PullRequest'];
export type DeploymentPage = Schemas['Page_Deployment'];

/** Invitations are described by the OpenAPI document: these are the generated schemas. */
export type InvitationRow = Schemas['InvitationView'];
export type InvitationPreview = Schemas['InvitationPreview'];

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface OrganizationRef {
  id: string;
  name: string;
  slug: string;
  role: Role;
}

export interface Me {
  id: string;
  email: string;
  name: string;
  avatar_url: string | null;
  email_verified_at?: string | null;
  /** Set once a GitHub account is linked (GitHub login, or "Link GitHub"). */
  github_id?: number | null;
  organizations: OrganizationRef[];
}

export interface AgentType {
  type: string;
  kind: 'watcher' | 'executor' | 'coordinator' | 'analyst';
  capabilities: string[];
  default_configuration: Record<string, unknown> | null;
}

export interface IntegrationRow {
  id: string;
  service: string;
  status: 'active' | 'inactive' | 'error';
  metadata: Record<string, unknown>;
  last_sync_at: string | null;
  created_at: string;
  updated_at: string;
  /** Shown to roles that manage integrations. */
  webhook_url?: string | null;
  webhook_secret_set?: boolean;
  last_delivery_at?: string | null;
  /** In the connect answer: the agents the node started for the service (its watcher, GitHub's code review). */
  agents_started?: { id: string; name: string; type: string }[];
}

export interface FigmaFileRow {
  id: string;
  figma_file_key: string;
  name: string;
  file_type: string | null;
  thumbnail_url: string | null;
  last_modified_at: string | null;
  created_at: string;
}

export interface DesignComponentRow {
  id: string;
  figma_file_id: string;
  figma_component_id: string;
  name: string;
  description: string | null;
  component_type: string | null;
  code_generated: boolean;
  code_path: string | null;
  usage_count: number;
}

export interface SocialAccountRow {
  id: string;
  platform: 'twitter' | 'linkedin';
  account_id: string;
  handle: string;
  display_name: string | null;
  avatar_url: string | null;
  follower_count: number;
  active: boolean;
  last_sync_at: string | null;
}

export interface SocialPostRow {
  id: string;
  social_account_id: string;
  platform: 'twitter' | 'linkedin';
  content: string;
  status: 'draft' | 'scheduled' | 'published' | 'failed';
  scheduled_for: string | null;
  published_at: string | null;
  engagement_likes: number;
  engagement_comments: number;
  engagement_shares: number;
  engagement_views: number;
  agent_generated: boolean;
  created_at: string;
}

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  joined_at: string;
}

export interface MetricSeries {
  metric_type: string;
  from: string;
  to: string;
  summary: { count: number; min: number | null; max: number | null; average: number | null };
  points: { id: string; value: number; unit: string | null; recorded_at: string; dimensions: unknown }[];
}

export interface EventRow {
  id: string;
  event_type: string;
  event_source: string;
  resource_type: string | null;
  resource_id: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
}

export type TreeRole = 'root' | 'system' | 'system_actor' | 'organization' | 'kind' | 'integrations' | 'adapter' | 'agent';

export interface TreeNode {
  path: string;
  parent: string | null;
  name: string;
  role: TreeRole;
  agent_id: string | null;
  agent_name: string | null;
  agent_type: string | null;
  kind: 'watcher' | 'executor' | 'coordinator' | 'analyst' | null;
  status: 'idle' | 'working' | 'complete' | 'error' | 'disabled' | null;
  restarts: number;
  messages_handled: number;
  mailbox: number;
  last_error: string | null;
  policy: { strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one'; max_restarts: number; window_secs: number } | null;
}

export interface SupervisionTree {
  nodes: TreeNode[];
}
