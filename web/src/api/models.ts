import type { components } from './generated/openapi';

// Shapes of REST answers that the node's OpenAPI document does not describe yet: it
// types every response body as a bare `object` (crates/api/src/openapi.rs `Object`,
// `Page`). They mirror the store's serialized rows (crates/store/src/*.rs) and the
// edge's json! bodies; each is to be replaced by the generated schema as soon as the
// document carries response schemas. Everything GraphQL serves is read through the
// generated GraphQL types instead.

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

export type TaskStatusWire = 'pending' | 'needs_approval' | 'in_progress' | 'completed' | 'failed' | 'rejected' | 'cancelled';

export interface TaskRow {
  id: string;
  /** Null while the task waits for an agent of `agent_type`. */
  agent_id: string | null;
  /** The type of agent that performs the task. */
  agent_type: string;
  task_type: string;
  description: string | null;
  status: TaskStatusWire;
  priority: number;
  input_data: unknown;
  output_data: unknown;
  error_message: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  retry_count: number;
  max_attempts: number;
  attempt: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  requires_human_approval: boolean;
  approved_by: string | null;
  approved_at: string | null;
  rejected_by: string | null;
  rejected_at: string | null;
  created_at: string;
  updated_at: string;
  /** Why the task is not running yet, while it waits for an agent of its type. */
  waiting_reason: string | null;
}

export interface AgentRow {
  id: string;
  name: string;
  agent_type: string;
  status: 'idle' | 'working' | 'complete' | 'error' | 'disabled';
  capabilities: string[];
  configuration: Record<string, unknown>;
  current_task_id: string | null;
  total_tasks_completed: number;
  total_tasks_failed: number;
  success_rate: number;
  average_duration_seconds: number | null;
  last_active_at: string | null;
  created_at: string;
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

export interface RepositoryRow {
  id: string;
  github_id: number;
  name: string;
  full_name: string;
  default_branch: string;
  visibility: 'public' | 'private' | null;
  last_sync_at: string | null;
  created_at: string;
}

export interface DeploymentRow {
  id: string;
  /** Vercel's id of the deployment. */
  vercel_deployment_id: string;
  project_name: string;
  url: string;
  state: 'queued' | 'building' | 'ready' | 'error' | 'canceled';
  environment: 'production' | 'preview' | 'development' | null;
  commit_sha: string | null;
  branch: string | null;
  health_score: number | null;
  /** Set once a deployment agent has checked its health. */
  agent_checked: boolean;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  ready_at: string | null;
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

/** Invitations are described by the OpenAPI document: these are the generated schemas. */
export type InvitationRow = components['schemas']['InvitationView'];
export type InvitationPreview = components['schemas']['InvitationPreview'];

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
