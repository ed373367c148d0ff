// Live updates: one hook per area subscribes to the node's GraphQL subscriptions and
// refreshes the organization's cached queries they affect.
import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from './graphql';
import {
  AgentStatusSubscription,
  DeploymentSubscription,
  EventSubscription,
  PullRequestSubscription,
  TaskCreatedSubscription,
  TaskUpdatedSubscription,
} from './documents';
import type { PullRequestFieldsFragment } from './generated/gql/graphql';
import { useUi } from '../stores/ui';

type Topic = 'tasks' | 'agents' | 'pullRequests' | 'deployments' | 'events';

/** Subscribes to the topics while mounted; each event invalidates the queries keyed under it. */
export function useLive(topics: Topic[]): void {
  const client = useQueryClient();
  const organizationId = useUi((state) => state.organizationId);
  const variables = { organizationId };
  const enabled = (topic: Topic) => Boolean(organizationId) && topics.includes(topic);
  const invalidate = (...keys: string[]) => {
    for (const key of keys) void client.invalidateQueries({ queryKey: ['org', organizationId, key] });
  };
  useSubscription(TaskCreatedSubscription, variables, () => invalidate('tasks', 'dashboard'), enabled('tasks'));
  useSubscription(TaskUpdatedSubscription, variables, () => invalidate('tasks', 'dashboard', 'agents'), enabled('tasks'));
  useSubscription(AgentStatusSubscription, variables, () => invalidate('agents', 'tree', 'dashboard'), enabled('agents'));
  useSubscription(
    PullRequestSubscription,
    variables,
    (data) => {
      upsertPullRequest(client, organizationId, data.pullRequestUpdated);
      invalidate('pullRequests', 'repositories', 'dashboard');
    },
    enabled('pullRequests'),
  );
  useSubscription(DeploymentSubscription, variables, () => invalidate('deployments', 'dashboard'), enabled('deployments'));
  useSubscription(EventSubscription, variables, () => invalidate('events'), enabled('events'));
}

interface PullRequestPageData {
  pullRequests: { items: PullRequestFieldsFragment[]; nextCursor: string | null };
}

/** Puts a pull request from an event into the cached lists at once (before the refetch lands). */
function upsertPullRequest(client: ReturnType<typeof useQueryClient>, organizationId: string | null, pullRequest: PullRequestFieldsFragment): void {
  client.setQueriesData<PullRequestPageData>({ queryKey: ['org', organizationId, 'pullRequests'] }, (previous) => {
    if (!previous) return previous;
    const items = previous.pullRequests.items.filter((item) => item.id !== pullRequest.id);
    return { pullRequests: { ...previous.pullRequests, items: [pullRequest, ...items] } };
  });
}
