import type { AgentsQuery } from '../../api/generated/gql/graphql';

/** One agent as the agents query reads it. */
export type AgentQuery = AgentsQuery['agents']['items'][number];
