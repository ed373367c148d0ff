// Agent and task reads shared by the agents area.
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/rest';
import { gql } from '../../api/graphql';
import { AgentsQuery } from '../../api/documents';
import { useOrganization, useOrgKey } from '../../api/hooks';
import type { LlmSettings, TaskStatusWire } from '../../api/models';

export function useAgents() {
  const { organizationId } = useOrganization();
  return useQuery({ queryKey: useOrgKey('agents'), queryFn: () => gql(AgentsQuery, { organizationId }), refetchInterval: 30_000 });
}

export function useAgentTypes() {
  return useQuery({ queryKey: useOrgKey('agentTypes'), staleTime: 5 * 60_000, queryFn: () => call(api.GET('/api/agents/types')) });
}

/** The node's language model as its operator set it, with the models an agent may choose. */
export function useLlmSettings() {
  return useQuery({ queryKey: useOrgKey('settings', 'llm'), staleTime: 5 * 60_000, queryFn: (): Promise<LlmSettings> => call(api.GET('/api/settings/llm')) });
}

/** What the task list can be narrowed by (`q` searches the type, description, error and id). */
export interface TaskFilter {
  status?: TaskStatusWire | '';
  agentId?: string;
  q?: string;
  type?: string;
  agentType?: string;
}

/** The list route's query for a filter, leaving out what is empty. The console's lists
 *  show the tasks' inputs (approval titles and previews) and outputs (the queue's result
 *  column), so they ask for them. */
export function taskQuery(filter: TaskFilter, limit = 100) {
  return {
    limit,
    include: 'data' as const,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.agentId ? { agent_id: filter.agentId } : {}),
    ...(filter.q?.trim() ? { q: filter.q.trim() } : {}),
    ...(filter.type ? { type: filter.type } : {}),
    ...(filter.agentType ? { agent_type: filter.agentType } : {}),
  };
}

export function useTasks(filter: TaskFilter, refetchInterval = 15_000) {
  return useQuery({
    queryKey: useOrgKey('tasks', filter),
    refetchInterval,
    queryFn: () => call(api.GET('/api/agent-tasks', { params: { query: taskQuery(filter) } })),
  });
}
