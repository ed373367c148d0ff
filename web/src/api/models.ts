import type { components } from './generated/openapi';

type Schemas = components['schemas'];

// The shapes of the node's REST answers.
//
// Every answer the OpenAPI document describes is read through its generated schema
// (src/api/generated/openapi.ts, rebuilt from openapi/openapi.json by `npm run generate`):
// the aliases below only give those schemas the console's names (`AgentRow`, `TaskRow`,
// …; an enum's REST spelling is `…Wire`, as GraphQL's generated enums are the upper-case
// mirrors of the same vocabulary). Where `call` (rest.ts) infers a route's answer from the
// document, call sites name no type at all.
//
// A field the node serves before the document is rebuilt is added here by hand, as optional,
// so the console compiles with either document: see `TaskRow`, `LlmSettings` and
// `OrganizationSettings`. The only answers the document leaves untyped are the
// webhook receipts (`/api/webhooks/{service}/receive`), which vendors read and the console
// never calls. Everything GraphQL serves is read through the generated GraphQL types.

/** An agent type and a task type as this node names them (the document lists the node's;
 *  the console reads them at run time from `GET /api/agents/types`). */
export type AgentTypeName = Schemas['CreateAgent']['type'];
export type TaskTypeName = Schemas['CreateTask']['task_type'];

export type AgentStatusWire = Schemas['AgentStatus'];
export type TaskStatusWire = Schemas['TaskStatus'];
export type RepositoryVisibilityWire = Schemas['RepositoryVisibility'];
export type PrStateWire = Schemas['PrState'];
export type ReviewStatusWire = Schemas['ReviewStatus'];
export type AgentReviewStatusWire = Schemas['AgentReviewStatus'];
export type DeploymentStateWire = Schemas['DeploymentState'];
export type DeploymentEnvironmentWire = Schemas['DeploymentEnvironment'];
export type ServiceWire = Schemas['Service'];
export type IntegrationStatusWire = Schemas['IntegrationStatus'];
export type SocialPlatformWire = Schemas['SocialPlatform'];
export type SocialPostStatusWire = Schemas['SocialPostStatus'];
export type FigmaFileTypeWire = Schemas['FigmaFileType'];
export type EventActorTypeWire = Schemas['EventActorType'];
export type AgentKindWire = Schemas['Kind'];
export type StrategyWire = Schemas['StrategyName'];

/** A member's role in an organization. */
export type Role = Schemas['MemberRole'];
/** An account's role on the node. */
export type UserRole = Schemas['UserRole'];

export type AgentRow = Schemas['Agent'];
/** Where a task was approved or rejected: the console, another REST client, GraphQL or Slack. */
export type ApprovedVia = 'console' | 'api' | 'graphql' | 'slack';
/** A task as a list shows it; its input and output are there when the list was asked
 *  for them (`include: 'data'`). A whole row (`TaskWhole`) is one too. */
export type TaskRow = Schemas['TaskSummary'] & { approved_via?: ApprovedVia | null };
/** A task's whole row (`GET /api/agent-tasks/{id}`, and the answers of its actions):
 *  its lease, key and decision times besides what a list shows. */
export type TaskWhole = Schemas['AgentTask'] & { approved_via?: ApprovedVia | null };
export type RepositoryRow = Schemas['Repository'];
export type PullRequestRow = Schemas['PullRequest'];
export type DeploymentRow = Schemas['Deployment'];
export type AgentType = Schemas['AgentType'];

export type AgentPage = Schemas['Page_Agent'];
export type TaskPage = Schemas['Page_TaskSummary'];
export type RepositoryPage = Schemas['Page_Repository'];
export type PullRequestPage = Schemas['Page_PullRequest'];
export type DeploymentPage = Schemas['Page_Deployment'];

/** An organization as the caller reads it, with the caller's role there. */
export type OrganizationRef = Schemas['Organization'];
/** What the console reads of an organization's `settings` (every other key is kept as it is). */
export interface OrganizationSettings extends Record<string, unknown> {
  /** Whether a person may approve a task they asked for (off unless set). */
  allow_self_approval?: boolean;
  /** The IANA time zone its schedules' cron expressions are read in (UTC unless set). */
  time_zone?: string;
}
export type User = Schemas['User'];
/** The caller: the account and its organizations (GET /api/auth/me). */
export type Me = Schemas['Me'];
export type MemberRow = Schemas['Member'];
export type Membership = Schemas['Membership'];
export type InvitationRow = Schemas['InvitationView'];
export type InvitationPreview = Schemas['InvitationPreview'];
/** A session from login, register, refresh, a password reset, an address verified or the GitHub callback. */
export type Session = Schemas['Session'];
/** A link mailed (`status` says what happened, in words; `email` the address written to). */
export type MailSent = Schemas['MailSent'];
/** `POST /api/auth/verify-email`: the mailed link's token and the password the account keeps (as registration's: 8 characters or more). */
export interface VerifyEmailBody {
  token: string;
  password: string;
}

/** A connected service; `webhook_url` and `webhook_secret_set` only for those who manage integrations. */
export type IntegrationRow = Schemas['Integration'];
/** The connect answer: the integration and the agents the node started for the service. */
export type ConnectedIntegration = Schemas['Connected'];
export type StartedAgent = Schemas['StartedAgent'];
export type ConnectionStatus = Schemas['ConnectionStatus'];

export type FigmaFileRow = Schemas['FigmaFile'];
export type DesignComponentRow = Schemas['DesignComponent'];
/** The design QA agent's drift check (GET /api/design/drift), a component's finding in it, and one difference. */
export type DriftReport = Schemas['DriftReport'];
export type DriftFinding = Schemas['DriftFinding'];
export type DriftDifference = Schemas['DriftDifference'];
export type DriftStatus = Schemas['DriftStatus'];
/** How a component stands against the code at the latest check (a design component's `drift`). */
export type ComponentDrift = Schemas['ComponentDrift'];
/** A code component no Figma component is named after. */
export type CodeComponent = Schemas['CodeComponent'];
/** The code the component generator last wrote for a component, and one of its files. */
export type GeneratedCode = Schemas['GeneratedCode'];
export type GeneratedFile = Schemas['GeneratedFile'];
export type SocialAccountRow = Schemas['SocialAccount'];
export type SocialPostRow = Schemas['SocialPost'];
/** A standup the standup agent posted (GET /api/team/standups), and a pull request in it. */
export type StandupRow = Schemas['Standup'];
export type StandupPullRequest = Schemas['StandupPullRequest'];

export type EventRow = Schemas['Event'];
export type MetricPoint = Schemas['MetricPoint'];
export type MetricSummary = Schemas['MetricSummary'];
export type MetricSeries = Schemas['MetricSeries'];
export type Report = Schemas['Report'];
export type Dashboard = Schemas['Dashboard'];

/** Where a node of the supervision tree sits (root, system, organization, kind, agent…). */
export type TreeRole = Schemas['Role'];
export type TreeNode = Schemas['TreeNode'];
export type ClusterView = Schemas['ClusterView'];
export type ClusterMember = Schemas['ClusterMember'];
export type RestartPolicy = Schemas['Policy'];
export type SupervisionTree = Schemas['Tree'];

/** A schedule: a task the node creates for an agent on a five-field cron expression (read in the organization's time zone). */
export type ScheduleRow = Schemas['Schedule'];
/** `POST /api/schedules`. */
export type NewScheduleBody = Schemas['CreateSchedule'];
/** The node's language model, as its operator set it (`GET /api/settings/llm`); null: not set (a budget: no limit). */
export type LlmSettings = Schemas['LlmSettings'] & {
  /** The models an agent may choose: the node's own first, then the operator's `llm.allowed_models`; empty when no model is set. */
  allowed_models?: string[];
};

// Delivery analytics (GET /api/analytics/delivery), risk (GET /api/analytics/risks),
// content forecasts (GET /api/analytics/content-forecasts) and search (GET /api/search).
/** A DORA performance band (DORA 2023 thresholds). */
export type Band = Schemas['Band'];
/** One key's value and the band it falls in. */
export type DoraKey = Schemas['DoraKey'];
/** The four DORA keys of one scope, with the counts they come from; a key without data is null. */
export type DoraKeys = Schemas['DoraKeys'];
export type ProjectKeys = Schemas['ProjectKeys'];
export type BusinessMetrics = Schemas['BusinessMetrics'];
/** Delivery analytics over `[from, to)`: the DORA keys overall and per project, and the business metrics. */
export type DeliveryReport = Schemas['DeliveryReport'];
export type RiskSubject = Schemas['RiskSubject'];
export type RiskFactor = Schemas['RiskFactor'];
/** The prediction agent's latest risk of a deployment or a pull request. */
export type RiskAssessment = Schemas['RiskAssessment'];
/** The prediction agent's latest forecast of a draft or scheduled post: the chance (0–100)
 *  it engages more than the organization's typical post on its platform. */
export type ContentForecast = Schemas['ContentForecast'];
export type SearchKind = Schemas['SearchKind'];
/** How a hit was found: by its words, by its meaning, or both. */
export type MatchedBy = Schemas['MatchedBy'];
/** How a search was answered: `full_text` (the node compares no meanings), `hybrid` (words
 *  and meaning), `full_text_fallback` (meaning failed for this query: words alone). */
export type SearchMode = Schemas['SearchMode'];
export type SearchHit = Schemas['SearchHit'];
export type SearchResults = Schemas['SearchResults'];
