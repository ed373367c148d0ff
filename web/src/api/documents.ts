// Every GraphQL operation the console sends; `npm run generate` types them from the SDL.
import { graphql } from './generated/gql';

export const CommandCenterQuery = graphql(`
  query CommandCenter($organizationId: ID) {
    agents(organizationId: $organizationId, first: 100) {
      items {
        id
        name
        type
        status
      }
    }
    waiting: agentTasks(organizationId: $organizationId, filters: { status: NEEDS_APPROVAL }, first: 10) {
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
    pending: agentTasks(organizationId: $organizationId, filters: { status: PENDING }, first: 25) {
      items {
        id
        taskType
        agentType
        waitingReason
        createdAt
      }
    }
    running: agentTasks(organizationId: $organizationId, filters: { status: IN_PROGRESS }, first: 10) {
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
    failed: agentTasks(organizationId: $organizationId, filters: { status: FAILED }, first: 10) {
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
    pullRequests(organizationId: $organizationId, filters: { state: OPEN }, first: 8) {
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
`);

export const DoraQuery = graphql(`
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
`);

export const AgentsQuery = graphql(`
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
`);

export const PullRequestsQuery = graphql(`
  query PullRequests($organizationId: ID, $filters: PRFilters, $after: String) {
    pullRequests(organizationId: $organizationId, filters: $filters, first: 50, after: $after) {
      items {
        ...PullRequestFields
      }
      nextCursor
    }
  }
`);

export const PullRequestFields = graphql(`
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
`);

export const DeploymentsQuery = graphql(`
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
`);

export const EventsQuery = graphql(`
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
`);

export const SocialPostsQuery = graphql(`
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
`);

export const OrganizationQuery = graphql(`
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
`);

export const TaskCreatedSubscription = graphql(`
  subscription TaskCreated($organizationId: ID) {
    agentTaskCreated(organizationId: $organizationId) {
      id
      agentId
      status
      taskType
    }
  }
`);

export const TaskUpdatedSubscription = graphql(`
  subscription TaskUpdated($organizationId: ID) {
    agentTaskUpdated(organizationId: $organizationId) {
      id
      agentId
      status
      taskType
    }
  }
`);

export const AgentStatusSubscription = graphql(`
  subscription AgentStatus($organizationId: ID) {
    agentStatusChanged(organizationId: $organizationId) {
      agentId
      status
      taskId
    }
  }
`);

export const PullRequestSubscription = graphql(`
  subscription PullRequestUpdated($organizationId: ID) {
    pullRequestUpdated(organizationId: $organizationId) {
      ...PullRequestFields
    }
  }
`);

export const DeploymentSubscription = graphql(`
  subscription DeploymentChanged($organizationId: ID) {
    deploymentStatusChanged(organizationId: $organizationId) {
      id
      projectName
      state
      healthScore
    }
  }
`);

export const EventSubscription = graphql(`
  subscription NewEvent($organizationId: ID) {
    newEvent(organizationId: $organizationId) {
      id
      eventType
      eventSource
      createdAt
    }
  }
`);

export const IncidentEventFields = graphql(`
  fragment IncidentEventFields on Event {
    id
    eventType
    resourceId
    metadata
    createdAt
  }
`);

/**
 * One kind of incident event (the filter is exact), newest first; the incidents view asks
 * for each kind (a single query with every kind would pass the node's complexity limit).
 */
export const IncidentEventsQuery = graphql(`
  query IncidentEvents($organizationId: ID, $eventType: String!) {
    events(organizationId: $organizationId, filters: { eventType: $eventType }, first: 100) {
      items {
        ...IncidentEventFields
      }
    }
  }
`);
