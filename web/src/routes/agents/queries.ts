// Agent and task reads shared by the agents area.
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/rest';
import { gql } from '../../api/graphql';
import { AgentsQuery } from '../../api/documents';
import { useOrganization, useOrgKey } from '../../api/hooks';
import type { TaskStatusWire } from '../../api/models';

export function useAgents() {
  const { organizationId } = useOrganization();
  return useQuery({ queryKey: useOrgKey('agents'), queryFn: () => gql(AgentsQuery, { organizationId }), refetchInterval: 30_000 });
}

export function useAgentTypes() {
  return useQuery({ queryKey: useOrgKey('agentTypes'), staleTime: 5 * 60_000, queryFn: () => call(api.GET('/api/agents/types')) });
}

export function useTasks(filter: { status?: TaskStatusWire | ''; agentId?: string }, refetchInterval = 15_000) {
  return useQuery({
    queryKey: useOrgKey('tasks', filter),
    refetchInterval,
    queryFn: () =>
      call(
        api.GET('/api/agent-tasks', {
          params: { query: { limit: 100, ...(filter.status ? { status: filter.status } : {}), ...(filter.agentId ? { agent_id: filter.agentId } : {}) } },
        }),
      ),
  });
}
