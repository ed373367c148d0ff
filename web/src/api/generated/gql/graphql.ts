/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AgentReviewStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'IN_PROGRESS'
  | 'NOT_STARTED';

export type AgentStatus =
  | 'COMPLETE'
  | 'DISABLED'
  | 'ERROR'
  | 'IDLE'
  | 'WORKING';

export type AnalyticsQuery = {
  from?: string | null | undefined;
  metricTypes: Array<string>;
  to?: string | null | undefined;
};

export type DeploymentEnvironment =
  | 'DEVELOPMENT'
  | 'PREVIEW'
  | 'PRODUCTION';

export type DeploymentState =
  | 'BUILDING'
  | 'CANCELED'
  | 'ERROR'
  | 'QUEUED'
  | 'READY';

export type EventFilters = {
  createdAfter?: string | null | undefined;
  createdBefore?: string | null | undefined;
  eventType?: string | null | undefined;
  source?: string | null | undefined;
};

export type IntegrationStatus =
  | 'ACTIVE'
  | 'ERROR'
  | 'INACTIVE';

export type MemberRole =
  | 'ADMIN'
  | 'MEMBER'
  | 'OWNER'
  | 'VIEWER';

export type PrFilters = {
  repositoryId?: string | null | undefined;
  reviewStatus?: ReviewStatus | null | undefined;
  state?: PrState | null | undefined;
};

export type PrState =
  | 'CLOSED'
  | 'MERGED'
  | 'OPEN';

export type ReviewStatus =
  | 'APPROVED'
  | 'CHANGES_REQUESTED'
  | 'PENDING';

export type Service =
  | 'FIGMA'
  | 'GITHUB'
  | 'LINKEDIN'
  | 'SLACK'
  | 'TWITTER'
  | 'VERCEL';

export type SocialPlatform =
  | 'LINKEDIN'
  | 'TWITTER';

export type SocialPostStatus =
  | 'DRAFT'
  | 'FAILED'
  | 'PUBLISHED'
  | 'SCHEDULED';

export type TaskStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'IN_PROGRESS'
  | 'NEEDS_APPROVAL'
  | 'PENDING'
  | 'REJECTED';

export type CommandCenterQueryVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type CommandCenterQuery = { agents: { items: Array<{ id: string, name: string, type: string, status: AgentStatus }> }, waiting: { items: Array<{ id: string, taskType: string, agentType: string, description: string | null, priority: number, createdAt: string, agent: { id: string, name: string } | null }> }, pending: { items: Array<{ id: string, taskType: string, agentType: string, waitingReason: string | null, createdAt: string }> }, running: { items: Array<{ id: string, taskType: string, startedAt: string | null, agent: { id: string, name: string } | null }> }, failed: { items: Array<{ id: string, taskType: string, errorMessage: string | null, completedAt: string | null, agent: { id: string, name: string } | null }> }, deployments: { items: Array<{ id: string, projectName: string, state: DeploymentState, environment: DeploymentEnvironment | null, healthScore: number | null, createdAt: string, url: string }> }, pullRequests: { items: Array<{ id: string, number: number, title: string, reviewStatus: ReviewStatus | null, agentReviewStatus: AgentReviewStatus | null, updatedAt: string, repository: { id: string, fullName: string } | null }> } };

export type DoraQueryVariables = Exact<{
  organizationId?: string | null | undefined;
  query: AnalyticsQuery;
}>;


export type DoraQuery = { analytics: { from: string, to: string, metrics: Array<{ metricType: string, count: number, min: number | null, max: number | null, average: number | null }> } };

export type AgentsQueryVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type AgentsQuery = { agents: { items: Array<{ id: string, name: string, type: string, status: AgentStatus, capabilities: Array<string>, configuration: unknown, lastActiveAt: string | null, createdAt: string, currentTask: { id: string, taskType: string } | null, stats: { totalTasksCompleted: number, totalTasksFailed: number, successRate: number, averageDurationSeconds: number | null } }> } };

export type PullRequestsQueryVariables = Exact<{
  organizationId?: string | null | undefined;
  filters?: PrFilters | null | undefined;
  after?: string | null | undefined;
}>;


export type PullRequestsQuery = { pullRequests: { nextCursor: string | null, items: Array<{ id: string, number: number, title: string, body: string | null, state: PrState, draft: boolean, reviewStatus: ReviewStatus | null, agentReviewStatus: AgentReviewStatus | null, baseBranch: string | null, headBranch: string | null, authorGithubId: number | null, openedAt: string | null, mergedAt: string | null, createdAt: string, updatedAt: string, repository: { id: string, fullName: string } | null }> } };

export type PullRequestFieldsFragment = { id: string, number: number, title: string, body: string | null, state: PrState, draft: boolean, reviewStatus: ReviewStatus | null, agentReviewStatus: AgentReviewStatus | null, baseBranch: string | null, headBranch: string | null, authorGithubId: number | null, openedAt: string | null, mergedAt: string | null, createdAt: string, updatedAt: string, repository: { id: string, fullName: string } | null };

export type DeploymentsQueryVariables = Exact<{
  organizationId?: string | null | undefined;
  after?: string | null | undefined;
}>;


export type DeploymentsQuery = { deployments: { nextCursor: string | null, items: Array<{ id: string, projectName: string, url: string, state: DeploymentState, environment: DeploymentEnvironment | null, commitSha: string | null, branch: string | null, healthScore: number | null, createdAt: string, readyAt: string | null }> } };

export type EventsQueryVariables = Exact<{
  organizationId?: string | null | undefined;
  filters?: EventFilters | null | undefined;
  first?: number | null | undefined;
}>;


export type EventsQuery = { events: { nextCursor: string | null, items: Array<{ id: string, eventType: string, eventSource: string, resourceType: string | null, resourceId: string | null, metadata: unknown, createdAt: string }> } };

export type SocialPostsQueryVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type SocialPostsQuery = { socialPosts: { items: Array<{ id: string, socialAccountId: string, platform: SocialPlatform, content: string, status: SocialPostStatus, scheduledFor: string | null, publishedAt: string | null, agentGenerated: boolean, createdAt: string }> } };

export type OrganizationOverviewQueryVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type OrganizationOverviewQuery = { organization: { id: string, name: string, role: MemberRole, members: Array<{ userId: string, email: string, name: string, role: MemberRole, joinedAt: string }>, integrations: Array<{ id: string, service: Service, status: IntegrationStatus, lastSyncAt: string | null }> } };

export type TaskCreatedSubscriptionVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type TaskCreatedSubscription = { agentTaskCreated: { id: string, agentId: string | null, status: TaskStatus, taskType: string } };

export type TaskUpdatedSubscriptionVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type TaskUpdatedSubscription = { agentTaskUpdated: { id: string, agentId: string | null, status: TaskStatus, taskType: string } };

export type AgentStatusSubscriptionVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type AgentStatusSubscription = { agentStatusChanged: { agentId: string, status: AgentStatus, taskId: string | null } };

export type PullRequestUpdatedSubscriptionVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type PullRequestUpdatedSubscription = { pullRequestUpdated: { id: string, number: number, title: string, body: string | null, state: PrState, draft: boolean, reviewStatus: ReviewStatus | null, agentReviewStatus: AgentReviewStatus | null, baseBranch: string | null, headBranch: string | null, authorGithubId: number | null, openedAt: string | null, mergedAt: string | null, createdAt: string, updatedAt: string, repository: { id: string, fullName: string } | null } };

export type DeploymentChangedSubscriptionVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type DeploymentChangedSubscription = { deploymentStatusChanged: { id: string, projectName: string, state: DeploymentState, healthScore: number | null } };

export type NewEventSubscriptionVariables = Exact<{
  organizationId?: string | null | undefined;
}>;


export type NewEventSubscription = { newEvent: { id: string, eventType: string, eventSource: string, createdAt: string } };

export type IncidentEventFieldsFragment = { id: string, eventType: string, resourceId: string | null, metadata: unknown, createdAt: string };

export type IncidentEventsQueryVariables = Exact<{
  organizationId?: string | null | undefined;
  eventType: string;
}>;


export type IncidentEventsQuery = { events: { items: Array<{ id: string, eventType: string, resourceId: string | null, metadata: unknown, createdAt: string }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const PullRequestFieldsFragmentDoc = new TypedDocumentString(`
    fragment PullRequestFields on PullRequest {
  id
  number
  title
  body
  state
  draft
  reviewStatus
  agentReviewStatus
  baseBranch
  headBranch
  authorGithubId
  openedAt
  mergedAt
  createdAt
  updatedAt
  repository {
    id
    fullName
  }
}
    `, {"fragmentName":"PullRequestFields"}) as unknown as TypedDocumentString<PullRequestFieldsFragment, unknown>;
export const IncidentEventFieldsFragmentDoc = new TypedDocumentString(`
    fragment IncidentEventFields on Event {
  id
  eventType
  resourceId
  metadata
  createdAt
}
    `, {"fragmentName":"IncidentEventFields"}) as unknown as TypedDocumentString<IncidentEventFieldsFragment, unknown>;
export const CommandCenterDocument = new TypedDocumentString(`
    query CommandCenter($organizationId: ID) {
  agents(organizationId: $organizationId, first: 100) {
    items {
      id
      name
      type
      status
    }
  }
  waiting: agentTasks(
    organizationId: $organizationId
    filters: {status: NEEDS_APPROVAL}
    first: 10
  ) {
    items {
      id
      taskType
      agentType
      description
      priority
      createdAt
      agent {
        id
        name
      }
    }
  }
  pending: agentTasks(
    organizationId: $organizationId
    filters: {status: PENDING}
    first: 25
  ) {
    items {
      id
      taskType
      agentType
      waitingReason
      createdAt
    }
  }
  running: agentTasks(
    organizationId: $organizationId
    filters: {status: IN_PROGRESS}
    first: 10
  ) {
    items {
      id
      taskType
      startedAt
      agent {
        id
        name
      }
    }
  }
  failed: agentTasks(
    organizationId: $organizationId
    filters: {status: FAILED}
    first: 10
  ) {
    items {
      id
      taskType
      errorMessage
      completedAt
      agent {
        id
        name
      }
    }
  }
  deployments(organizationId: $organizationId, first: 6) {
    items {
      id
      projectName
      state
      environment
      healthScore
      createdAt
      url
    }
  }
  pullRequests(organizationId: $organizationId, filters: {state: OPEN}, first: 8) {
    items {
      id
      number
      title
      reviewStatus
      agentReviewStatus
      updatedAt
      repository {
        id
        fullName
      }
    }
  }
}
    `) as unknown as TypedDocumentString<CommandCenterQuery, CommandCenterQueryVariables>;
export const DoraDocument = new TypedDocumentString(`
    query Dora($organizationId: ID, $query: AnalyticsQuery!) {
  analytics(organizationId: $organizationId, query: $query) {
    from
    to
    metrics {
      metricType
      count
      min
      max
      average
    }
  }
}
    `) as unknown as TypedDocumentString<DoraQuery, DoraQueryVariables>;
export const AgentsDocument = new TypedDocumentString(`
    query Agents($organizationId: ID) {
  agents(organizationId: $organizationId, first: 100) {
    items {
      id
      name
      type
      status
      capabilities
      configuration
      lastActiveAt
      createdAt
      currentTask {
        id
        taskType
      }
      stats {
        totalTasksCompleted
        totalTasksFailed
        successRate
        averageDurationSeconds
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AgentsQuery, AgentsQueryVariables>;
export const PullRequestsDocument = new TypedDocumentString(`
    query PullRequests($organizationId: ID, $filters: PRFilters, $after: String) {
  pullRequests(
    organizationId: $organizationId
    filters: $filters
    first: 50
    after: $after
  ) {
    items {
      ...PullRequestFields
    }
    nextCursor
  }
}
    fragment PullRequestFields on PullRequest {
  id
  number
  title
  body
  state
  draft
  reviewStatus
  agentReviewStatus
  baseBranch
  headBranch
  authorGithubId
  openedAt
  mergedAt
  createdAt
  updatedAt
  repository {
    id
    fullName
  }
}`) as unknown as TypedDocumentString<PullRequestsQuery, PullRequestsQueryVariables>;
export const DeploymentsDocument = new TypedDocumentString(`
    query Deployments($organizationId: ID, $after: String) {
  deployments(organizationId: $organizationId, first: 50, after: $after) {
    items {
      id
      projectName
      url
      state
      environment
      commitSha
      branch
      healthScore
      createdAt
      readyAt
    }
    nextCursor
  }
}
    `) as unknown as TypedDocumentString<DeploymentsQuery, DeploymentsQueryVariables>;
export const EventsDocument = new TypedDocumentString(`
    query Events($organizationId: ID, $filters: EventFilters, $first: Int) {
  events(organizationId: $organizationId, filters: $filters, first: $first) {
    items {
      id
      eventType
      eventSource
      resourceType
      resourceId
      metadata
      createdAt
    }
    nextCursor
  }
}
    `) as unknown as TypedDocumentString<EventsQuery, EventsQueryVariables>;
export const SocialPostsDocument = new TypedDocumentString(`
    query SocialPosts($organizationId: ID) {
  socialPosts(organizationId: $organizationId, first: 100) {
    items {
      id
      socialAccountId
      platform
      content
      status
      scheduledFor
      publishedAt
      agentGenerated
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<SocialPostsQuery, SocialPostsQueryVariables>;
export const OrganizationOverviewDocument = new TypedDocumentString(`
    query OrganizationOverview($organizationId: ID) {
  organization(id: $organizationId) {
    id
    name
    role
    members {
      userId
      email
      name
      role
      joinedAt
    }
    integrations {
      id
      service
      status
      lastSyncAt
    }
  }
}
    `) as unknown as TypedDocumentString<OrganizationOverviewQuery, OrganizationOverviewQueryVariables>;
export const TaskCreatedDocument = new TypedDocumentString(`
    subscription TaskCreated($organizationId: ID) {
  agentTaskCreated(organizationId: $organizationId) {
    id
    agentId
    status
    taskType
  }
}
    `) as unknown as TypedDocumentString<TaskCreatedSubscription, TaskCreatedSubscriptionVariables>;
export const TaskUpdatedDocument = new TypedDocumentString(`
    subscription TaskUpdated($organizationId: ID) {
  agentTaskUpdated(organizationId: $organizationId) {
    id
    agentId
    status
    taskType
  }
}
    `) as unknown as TypedDocumentString<TaskUpdatedSubscription, TaskUpdatedSubscriptionVariables>;
export const AgentStatusDocument = new TypedDocumentString(`
    subscription AgentStatus($organizationId: ID) {
  agentStatusChanged(organizationId: $organizationId) {
    agentId
    status
    taskId
  }
}
    `) as unknown as TypedDocumentString<AgentStatusSubscription, AgentStatusSubscriptionVariables>;
export const PullRequestUpdatedDocument = new TypedDocumentString(`
    subscription PullRequestUpdated($organizationId: ID) {
  pullRequestUpdated(organizationId: $organizationId) {
    ...PullRequestFields
  }
}
    fragment PullRequestFields on PullRequest {
  id
  number
  title
  body
  state
  draft
  reviewStatus
  agentReviewStatus
  baseBranch
  headBranch
  authorGithubId
  openedAt
  mergedAt
  createdAt
  updatedAt
  repository {
    id
    fullName
  }
}`) as unknown as TypedDocumentString<PullRequestUpdatedSubscription, PullRequestUpdatedSubscriptionVariables>;
export const DeploymentChangedDocument = new TypedDocumentString(`
    subscription DeploymentChanged($organizationId: ID) {
  deploymentStatusChanged(organizationId: $organizationId) {
    id
    projectName
    state
    healthScore
  }
}
    `) as unknown as TypedDocumentString<DeploymentChangedSubscription, DeploymentChangedSubscriptionVariables>;
export const NewEventDocument = new TypedDocumentString(`
    subscription NewEvent($organizationId: ID) {
  newEvent(organizationId: $organizationId) {
    id
    eventType
    eventSource
    createdAt
  }
}
    `) as unknown as TypedDocumentString<NewEventSubscription, NewEventSubscriptionVariables>;
export const IncidentEventsDocument = new TypedDocumentString(`
    query IncidentEvents($organizationId: ID, $eventType: String!) {
  events(
    organizationId: $organizationId
    filters: {eventType: $eventType}
    first: 100
  ) {
    items {
      ...IncidentEventFields
    }
  }
}
    fragment IncidentEventFields on Event {
  id
  eventType
  resourceId
  metadata
  createdAt
}`) as unknown as TypedDocumentString<IncidentEventsQuery, IncidentEventsQueryVariables>;