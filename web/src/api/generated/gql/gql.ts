/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query CommandCenter($organizationId: ID) {\n    agents(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        name\n        type\n        status\n      }\n    }\n    waiting: agentTasks(organizationId: $organizationId, filters: { status: NEEDS_APPROVAL }, first: 10) {\n      items {\n        id\n        taskType\n        agentType\n        description\n        priority\n        createdAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    pending: agentTasks(organizationId: $organizationId, filters: { status: PENDING }, first: 25) {\n      items {\n        id\n        taskType\n        agentType\n        waitingReason\n        createdAt\n      }\n    }\n    running: agentTasks(organizationId: $organizationId, filters: { status: IN_PROGRESS }, first: 10) {\n      items {\n        id\n        taskType\n        startedAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    failed: agentTasks(organizationId: $organizationId, filters: { status: FAILED }, first: 10) {\n      items {\n        id\n        taskType\n        errorMessage\n        completedAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    deployments(organizationId: $organizationId, first: 6) {\n      items {\n        id\n        projectName\n        state\n        environment\n        healthScore\n        createdAt\n        url\n      }\n    }\n    pullRequests(organizationId: $organizationId, filters: { state: OPEN }, first: 8) {\n      items {\n        id\n        number\n        title\n        reviewStatus\n        agentReviewStatus\n        updatedAt\n        repository {\n          id\n          fullName\n        }\n      }\n    }\n  }\n": typeof types.CommandCenterDocument,
    "\n  query Dora($organizationId: ID, $query: AnalyticsQuery!) {\n    analytics(organizationId: $organizationId, query: $query) {\n      from\n      to\n      metrics {\n        metricType\n        count\n        min\n        max\n        average\n      }\n    }\n  }\n": typeof types.DoraDocument,
    "\n  query Agents($organizationId: ID) {\n    agents(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        name\n        type\n        status\n        capabilities\n        configuration\n        lastActiveAt\n        createdAt\n        currentTask {\n          id\n          taskType\n        }\n        stats {\n          totalTasksCompleted\n          totalTasksFailed\n          successRate\n          averageDurationSeconds\n        }\n      }\n    }\n  }\n": typeof types.AgentsDocument,
    "\n  query PullRequests($organizationId: ID, $filters: PRFilters, $after: String) {\n    pullRequests(organizationId: $organizationId, filters: $filters, first: 50, after: $after) {\n      items {\n        ...PullRequestFields\n      }\n      nextCursor\n    }\n  }\n": typeof types.PullRequestsDocument,
    "\n  fragment PullRequestFields on PullRequest {\n    id\n    number\n    title\n    body\n    state\n    draft\n    reviewStatus\n    agentReviewStatus\n    baseBranch\n    headBranch\n    authorGithubId\n    openedAt\n    mergedAt\n    createdAt\n    updatedAt\n    repository {\n      id\n      fullName\n    }\n  }\n": typeof types.PullRequestFieldsFragmentDoc,
    "\n  query Deployments($organizationId: ID, $after: String) {\n    deployments(organizationId: $organizationId, first: 50, after: $after) {\n      items {\n        id\n        projectName\n        url\n        state\n        environment\n        commitSha\n        branch\n        healthScore\n        createdAt\n        readyAt\n      }\n      nextCursor\n    }\n  }\n": typeof types.DeploymentsDocument,
    "\n  query Events($organizationId: ID, $filters: EventFilters, $first: Int) {\n    events(organizationId: $organizationId, filters: $filters, first: $first) {\n      items {\n        id\n        eventType\n        eventSource\n        resourceType\n        resourceId\n        metadata\n        createdAt\n      }\n      nextCursor\n    }\n  }\n": typeof types.EventsDocument,
    "\n  query SocialPosts($organizationId: ID) {\n    socialPosts(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        socialAccountId\n        platform\n        content\n        status\n        scheduledFor\n        publishedAt\n        agentGenerated\n        createdAt\n      }\n    }\n  }\n": typeof types.SocialPostsDocument,
    "\n  query OrganizationOverview($organizationId: ID) {\n    organization(id: $organizationId) {\n      id\n      name\n      role\n      members {\n        userId\n        email\n        name\n        role\n        joinedAt\n      }\n      integrations {\n        id\n        service\n        status\n        lastSyncAt\n      }\n    }\n  }\n": typeof types.OrganizationOverviewDocument,
    "\n  subscription TaskCreated($organizationId: ID) {\n    agentTaskCreated(organizationId: $organizationId) {\n      id\n      agentId\n      status\n      taskType\n    }\n  }\n": typeof types.TaskCreatedDocument,
    "\n  subscription TaskUpdated($organizationId: ID) {\n    agentTaskUpdated(organizationId: $organizationId) {\n      id\n      agentId\n      status\n      taskType\n    }\n  }\n": typeof types.TaskUpdatedDocument,
    "\n  subscription AgentStatus($organizationId: ID) {\n    agentStatusChanged(organizationId: $organizationId) {\n      agentId\n      status\n      taskId\n    }\n  }\n": typeof types.AgentStatusDocument,
    "\n  subscription PullRequestUpdated($organizationId: ID) {\n    pullRequestUpdated(organizationId: $organizationId) {\n      ...PullRequestFields\n    }\n  }\n": typeof types.PullRequestUpdatedDocument,
    "\n  subscription DeploymentChanged($organizationId: ID) {\n    deploymentStatusChanged(organizationId: $organizationId) {\n      id\n      projectName\n      state\n      healthScore\n    }\n  }\n": typeof types.DeploymentChangedDocument,
    "\n  subscription NewEvent($organizationId: ID) {\n    newEvent(organizationId: $organizationId) {\n      id\n      eventType\n      eventSource\n      createdAt\n    }\n  }\n": typeof types.NewEventDocument,
    "\n  fragment IncidentEventFields on Event {\n    id\n    eventType\n    resourceId\n    metadata\n    createdAt\n  }\n": typeof types.IncidentEventFieldsFragmentDoc,
    "\n  query IncidentEvents($organizationId: ID, $eventType: String!) {\n    events(organizationId: $organizationId, filters: { eventType: $eventType }, first: 100) {\n      items {\n        ...IncidentEventFields\n      }\n    }\n  }\n": typeof types.IncidentEventsDocument,
};
const documents: Documents = {
    "\n  query CommandCenter($organizationId: ID) {\n    agents(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        name\n        type\n        status\n      }\n    }\n    waiting: agentTasks(organizationId: $organizationId, filters: { status: NEEDS_APPROVAL }, first: 10) {\n      items {\n        id\n        taskType\n        agentType\n        description\n        priority\n        createdAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    pending: agentTasks(organizationId: $organizationId, filters: { status: PENDING }, first: 25) {\n      items {\n        id\n        taskType\n        agentType\n        waitingReason\n        createdAt\n      }\n    }\n    running: agentTasks(organizationId: $organizationId, filters: { status: IN_PROGRESS }, first: 10) {\n      items {\n        id\n        taskType\n        startedAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    failed: agentTasks(organizationId: $organizationId, filters: { status: FAILED }, first: 10) {\n      items {\n        id\n        taskType\n        errorMessage\n        completedAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    deployments(organizationId: $organizationId, first: 6) {\n      items {\n        id\n        projectName\n        state\n        environment\n        healthScore\n        createdAt\n        url\n      }\n    }\n    pullRequests(organizationId: $organizationId, filters: { state: OPEN }, first: 8) {\n      items {\n        id\n        number\n        title\n        reviewStatus\n        agentReviewStatus\n        updatedAt\n        repository {\n          id\n          fullName\n        }\n      }\n    }\n  }\n": types.CommandCenterDocument,
    "\n  query Dora($organizationId: ID, $query: AnalyticsQuery!) {\n    analytics(organizationId: $organizationId, query: $query) {\n      from\n      to\n      metrics {\n        metricType\n        count\n        min\n        max\n        average\n      }\n    }\n  }\n": types.DoraDocument,
    "\n  query Agents($organizationId: ID) {\n    agents(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        name\n        type\n        status\n        capabilities\n        configuration\n        lastActiveAt\n        createdAt\n        currentTask {\n          id\n          taskType\n        }\n        stats {\n          totalTasksCompleted\n          totalTasksFailed\n          successRate\n          averageDurationSeconds\n        }\n      }\n    }\n  }\n": types.AgentsDocument,
    "\n  query PullRequests($organizationId: ID, $filters: PRFilters, $after: String) {\n    pullRequests(organizationId: $organizationId, filters: $filters, first: 50, after: $after) {\n      items {\n        ...PullRequestFields\n      }\n      nextCursor\n    }\n  }\n": types.PullRequestsDocument,
    "\n  fragment PullRequestFields on PullRequest {\n    id\n    number\n    title\n    body\n    state\n    draft\n    reviewStatus\n    agentReviewStatus\n    baseBranch\n    headBranch\n    authorGithubId\n    openedAt\n    mergedAt\n    createdAt\n    updatedAt\n    repository {\n      id\n      fullName\n    }\n  }\n": types.PullRequestFieldsFragmentDoc,
    "\n  query Deployments($organizationId: ID, $after: String) {\n    deployments(organizationId: $organizationId, first: 50, after: $after) {\n      items {\n        id\n        projectName\n        url\n        state\n        environment\n        commitSha\n        branch\n        healthScore\n        createdAt\n        readyAt\n      }\n      nextCursor\n    }\n  }\n": types.DeploymentsDocument,
    "\n  query Events($organizationId: ID, $filters: EventFilters, $first: Int) {\n    events(organizationId: $organizationId, filters: $filters, first: $first) {\n      items {\n        id\n        eventType\n        eventSource\n        resourceType\n        resourceId\n        metadata\n        createdAt\n      }\n      nextCursor\n    }\n  }\n": types.EventsDocument,
    "\n  query SocialPosts($organizationId: ID) {\n    socialPosts(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        socialAccountId\n        platform\n        content\n        status\n        scheduledFor\n        publishedAt\n        agentGenerated\n        createdAt\n      }\n    }\n  }\n": types.SocialPostsDocument,
    "\n  query OrganizationOverview($organizationId: ID) {\n    organization(id: $organizationId) {\n      id\n      name\n      role\n      members {\n        userId\n        email\n        name\n        role\n        joinedAt\n      }\n      integrations {\n        id\n        service\n        status\n        lastSyncAt\n      }\n    }\n  }\n": types.OrganizationOverviewDocument,
    "\n  subscription TaskCreated($organizationId: ID) {\n    agentTaskCreated(organizationId: $organizationId) {\n      id\n      agentId\n      status\n      taskType\n    }\n  }\n": types.TaskCreatedDocument,
    "\n  subscription TaskUpdated($organizationId: ID) {\n    agentTaskUpdated(organizationId: $organizationId) {\n      id\n      agentId\n      status\n      taskType\n    }\n  }\n": types.TaskUpdatedDocument,
    "\n  subscription AgentStatus($organizationId: ID) {\n    agentStatusChanged(organizationId: $organizationId) {\n      agentId\n      status\n      taskId\n    }\n  }\n": types.AgentStatusDocument,
    "\n  subscription PullRequestUpdated($organizationId: ID) {\n    pullRequestUpdated(organizationId: $organizationId) {\n      ...PullRequestFields\n    }\n  }\n": types.PullRequestUpdatedDocument,
    "\n  subscription DeploymentChanged($organizationId: ID) {\n    deploymentStatusChanged(organizationId: $organizationId) {\n      id\n      projectName\n      state\n      healthScore\n    }\n  }\n": types.DeploymentChangedDocument,
    "\n  subscription NewEvent($organizationId: ID) {\n    newEvent(organizationId: $organizationId) {\n      id\n      eventType\n      eventSource\n      createdAt\n    }\n  }\n": types.NewEventDocument,
    "\n  fragment IncidentEventFields on Event {\n    id\n    eventType\n    resourceId\n    metadata\n    createdAt\n  }\n": types.IncidentEventFieldsFragmentDoc,
    "\n  query IncidentEvents($organizationId: ID, $eventType: String!) {\n    events(organizationId: $organizationId, filters: { eventType: $eventType }, first: 100) {\n      items {\n        ...IncidentEventFields\n      }\n    }\n  }\n": types.IncidentEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CommandCenter($organizationId: ID) {\n    agents(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        name\n        type\n        status\n      }\n    }\n    waiting: agentTasks(organizationId: $organizationId, filters: { status: NEEDS_APPROVAL }, first: 10) {\n      items {\n        id\n        taskType\n        agentType\n        description\n        priority\n        createdAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    pending: agentTasks(organizationId: $organizationId, filters: { status: PENDING }, first: 25) {\n      items {\n        id\n        taskType\n        agentType\n        waitingReason\n        createdAt\n      }\n    }\n    running: agentTasks(organizationId: $organizationId, filters: { status: IN_PROGRESS }, first: 10) {\n      items {\n        id\n        taskType\n        startedAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    failed: agentTasks(organizationId: $organizationId, filters: { status: FAILED }, first: 10) {\n      items {\n        id\n        taskType\n        errorMessage\n        completedAt\n        agent {\n          id\n          name\n        }\n      }\n    }\n    deployments(organizationId: $organizationId, first: 6) {\n      items {\n        id\n        projectName\n        state\n        environment\n        healthScore\n        createdAt\n        url\n      }\n    }\n    pullRequests(organizationId: $organizationId, filters: { state: OPEN }, first: 8) {\n      items {\n        id\n        number\n        title\n        reviewStatus\n        agentReviewStatus\n        updatedAt\n        repository {\n          id\n          fullName\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').CommandCenterDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Dora($organizationId: ID, $query: AnalyticsQuery!) {\n    analytics(organizationId: $organizationId, query: $query) {\n      from\n      to\n      metrics {\n        metricType\n        count\n        min\n        max\n        average\n      }\n    }\n  }\n"): typeof import('./graphql').DoraDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Agents($organizationId: ID) {\n    agents(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        name\n        type\n        status\n        capabilities\n        configuration\n        lastActiveAt\n        createdAt\n        currentTask {\n          id\n          taskType\n        }\n        stats {\n          totalTasksCompleted\n          totalTasksFailed\n          successRate\n          averageDurationSeconds\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').AgentsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PullRequests($organizationId: ID, $filters: PRFilters, $after: String) {\n    pullRequests(organizationId: $organizationId, filters: $filters, first: 50, after: $after) {\n      items {\n        ...PullRequestFields\n      }\n      nextCursor\n    }\n  }\n"): typeof import('./graphql').PullRequestsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PullRequestFields on PullRequest {\n    id\n    number\n    title\n    body\n    state\n    draft\n    reviewStatus\n    agentReviewStatus\n    baseBranch\n    headBranch\n    authorGithubId\n    openedAt\n    mergedAt\n    createdAt\n    updatedAt\n    repository {\n      id\n      fullName\n    }\n  }\n"): typeof import('./graphql').PullRequestFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Deployments($organizationId: ID, $after: String) {\n    deployments(organizationId: $organizationId, first: 50, after: $after) {\n      items {\n        id\n        projectName\n        url\n        state\n        environment\n        commitSha\n        branch\n        healthScore\n        createdAt\n        readyAt\n      }\n      nextCursor\n    }\n  }\n"): typeof import('./graphql').DeploymentsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Events($organizationId: ID, $filters: EventFilters, $first: Int) {\n    events(organizationId: $organizationId, filters: $filters, first: $first) {\n      items {\n        id\n        eventType\n        eventSource\n        resourceType\n        resourceId\n        metadata\n        createdAt\n      }\n      nextCursor\n    }\n  }\n"): typeof import('./graphql').EventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SocialPosts($organizationId: ID) {\n    socialPosts(organizationId: $organizationId, first: 100) {\n      items {\n        id\n        socialAccountId\n        platform\n        content\n        status\n        scheduledFor\n        publishedAt\n        agentGenerated\n        createdAt\n      }\n    }\n  }\n"): typeof import('./graphql').SocialPostsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OrganizationOverview($organizationId: ID) {\n    organization(id: $organizationId) {\n      id\n      name\n      role\n      members {\n        userId\n        email\n        name\n        role\n        joinedAt\n      }\n      integrations {\n        id\n        service\n        status\n        lastSyncAt\n      }\n    }\n  }\n"): typeof import('./graphql').OrganizationOverviewDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TaskCreated($organizationId: ID) {\n    agentTaskCreated(organizationId: $organizationId) {\n      id\n      agentId\n      status\n      taskType\n    }\n  }\n"): typeof import('./graphql').TaskCreatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TaskUpdated($organizationId: ID) {\n    agentTaskUpdated(organizationId: $organizationId) {\n      id\n      agentId\n      status\n      taskType\n    }\n  }\n"): typeof import('./graphql').TaskUpdatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription AgentStatus($organizationId: ID) {\n    agentStatusChanged(organizationId: $organizationId) {\n      agentId\n      status\n      taskId\n    }\n  }\n"): typeof import('./graphql').AgentStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PullRequestUpdated($organizationId: ID) {\n    pullRequestUpdated(organizationId: $organizationId) {\n      ...PullRequestFields\n    }\n  }\n"): typeof import('./graphql').PullRequestUpdatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DeploymentChanged($organizationId: ID) {\n    deploymentStatusChanged(organizationId: $organizationId) {\n      id\n      projectName\n      state\n      healthScore\n    }\n  }\n"): typeof import('./graphql').DeploymentChangedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription NewEvent($organizationId: ID) {\n    newEvent(organizationId: $organizationId) {\n      id\n      eventType\n      eventSource\n      createdAt\n    }\n  }\n"): typeof import('./graphql').NewEventDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment IncidentEventFields on Event {\n    id\n    eventType\n    resourceId\n    metadata\n    createdAt\n  }\n"): typeof import('./graphql').IncidentEventFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IncidentEvents($organizationId: ID, $eventType: String!) {\n    events(organizationId: $organizationId, filters: { eventType: $eventType }, first: 100) {\n      items {\n        ...IncidentEventFields\n      }\n    }\n  }\n"): typeof import('./graphql').IncidentEventsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
