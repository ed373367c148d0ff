// Development Hub: pull requests with the agents' reviews and findings (and, once merged, a
// post drafted about one), repositories, deployments with health and risk, rollback through
// the approval flow. The risk of a deployment or a pull request is the prediction agent's
// (GET /api/analytics/risks).
import { Fragment, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, Route, Routes, useSearchParams } from 'react-router';
import { Bot, ExternalLink, GitBranch, GitPullRequest, Megaphone, RefreshCw, Rocket, Undo2 } from 'lucide-react';
import { FailureAnalysisView } from './FailureAnalysis';
import { latestFailureAnalysis } from './failure';
import { Incidents } from './Incidents';
import { RiskBadge, useRisks } from './Risk';
import { PullRequestVerdict } from './Verdict';
import { riskTone, verdictOf } from './verdict';
import { Tabs } from '../../components/Tabs';
import { Findings, findingsOf } from '../agents/TaskOutput';
import { HealthScore } from '../../components/HealthScore';
import { gql } from '../../api/graphql';
import { PullRequestsQuery } from '../../api/documents';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization, useOrgKey } from '../../api/hooks';
import { useLive } from '../../api/live';
import type { DeploymentRow, TaskRow } from '../../api/models';
import type { PullRequestFieldsFragment } from '../../api/generated/gql/graphql';
import { Badge, Button, Card, EmptyState, ErrorNotice, LoadingBlock, Mono, PageHeader, StatusBadge, Time, buttonClass, cx, tableClass } from '../../components/ui';
import { QueuedTask, WaitingNotice } from '../agents/Waiting';
import { shortId } from '../../lib/time';
import { rollbackRefusal } from '../../lib/permissions';
import { waitingOf } from '../agents/waiting';

/** The stored pull requests (REST: with the verdict and a security block), refreshed as tasks finish. */
function useStoredPullRequests() {
  return useQuery({
    queryKey: useOrgKey('tasks', 'pull-requests'),
    queryFn: () => call(api.GET('/api/pull-requests', { params: { query: { limit: 200 } } })),
  });
}

function useReviews() {
  return useQuery({
    queryKey: useOrgKey('tasks', 'reviews'),
    queryFn: () => call(api.GET('/api/agent-tasks', { params: { query: { type: 'analyze_pr', include: 'data', limit: 200 } } })),
  });
}

/**
 * The review tasks of a pull request: by its id (the agent-review route) or by its
 * repository and number (the GitHub watcher's `analyze_pr` input).
 */
export function reviewsOf(reviews: TaskRow[] | undefined, pr: Pick<PullRequestFieldsFragment, 'id' | 'number' | 'repository'>): TaskRow[] {
  return (reviews ?? []).filter((task) => {
    const input = task.input_data;
    if (!input) return false;
    if (input.pull_request_id !== undefined && input.pull_request_id !== null) return input.pull_request_id === pr.id;
    return typeof input.repository === 'string' && input.repository === pr.repository?.fullName && Number(input.number) === pr.number;
  });
}

/**
 * A merged pull request's "Draft a post": the content agent drafts one post about it for
 * each connected X or LinkedIn account, and each waits for approval before it is published.
 */
function DraftPostAbout({ pr }: { pr: PullRequestFieldsFragment }) {
  const invalidate = useInvalidateOrg();
  const draft = useMutation({
    mutationFn: () => call(api.POST('/api/social/drafts', { body: { pull_request_id: pr.id } })),
    onSuccess: () => {
      for (const key of ['tasks', 'socialPosts']) void invalidate(key);
    },
  });
  return (
    <div className="space-y-2" data-testid="draft-post-about">
      {draft.data ? (
        <QueuedTask task={draft.data} what="Drafting" />
      ) : (
        <div className="flex flex-wrap items-center gap-2">
          <Button size="sm" icon={<Megaphone className="size-3.5" aria-hidden />} loading={draft.isPending} onClick={() => draft.mutate()}>
            Draft a post
          </Button>
          <span className="text-[12px] text-muted">
            About this change, for each connected X or LinkedIn account; each draft waits for approval in <Link className="underline" to="/social">Social</Link>.
          </span>
        </div>
      )}
      {draft.error && <ErrorNotice error={draft.error} />}
    </div>
  );
}

function PullRequestDetail({ pr, reviews }: { pr: PullRequestFieldsFragment; reviews: TaskRow[] }) {
  const canReview = useCan('spawnAgents');
  const canDraft = useCan('publishSocial');
  const invalidate = useInvalidateOrg();
  const request = useMutation({
    mutationFn: () => call(api.POST('/api/pull-requests/{id}/agent-review', { params: { path: { id: pr.id } } })),
    onSuccess: () => void invalidate('tasks'),
  });
  return (
    <div className="space-y-3 text-[13px]" data-testid="pr-detail">
      <div>
        <div className="flex items-center gap-2">
          <Mono className="text-muted">#{pr.number}</Mono>
          <h3 className="text-[15px] font-semibold">{pr.title}</h3>
        </div>
        <div className="mt-1 flex flex-wrap items-center gap-2 text-[12px] text-muted">
          <StatusBadge status={pr.state} />
          {pr.draft && <Badge tone="gray">draft</Badge>}
          <span>{pr.repository?.fullName}</span>
          <span className="inline-flex items-center gap-1">
            <GitBranch className="size-3" aria-hidden />
            <Mono>{pr.headBranch}</Mono> → <Mono>{pr.baseBranch}</Mono>
          </span>
          <span>opened <Time iso={pr.openedAt ?? pr.createdAt} /></span>
        </div>
      </div>
      {canDraft && pr.state === 'MERGED' && <DraftPostAbout key={pr.id} pr={pr} />}
      {pr.body && <p className="max-h-32 overflow-auto whitespace-pre-wrap rounded-md bg-panel-2 p-2 text-[12px]">{pr.body}</p>}
      <PullRequestVerdict id={pr.id} number={pr.number} fallbackRepository={pr.repository?.fullName ?? null} />
      <div className="flex items-center justify-between">
        <h4 className="font-semibold">Agent reviews</h4>
        {canReview && (
          <Button size="sm" icon={<RefreshCw className="size-3.5" aria-hidden />} loading={request.isPending} onClick={() => request.mutate()}>
            Request a review
          </Button>
        )}
      </div>
      {request.error && <ErrorNotice error={request.error} />}
      {request.data && <QueuedTask task={request.data} what="Review" />}
      {reviews.length === 0 ? (
        <p className="text-[12px] text-muted">
          No review yet. A <Mono>github_watcher</Mono> queues one for the <Mono>code_review</Mono> agent when a pull request opens.
        </p>
      ) : (
        <ul className="space-y-2">
          {reviews.map((review) => {
            const findings = findingsOf(review.output_data);
            return (
              <li key={review.id} className="rounded-md border border-line p-2">
                <div className="flex items-center gap-2">
                  <StatusBadge status={review.status} />
                  <Link to={`/agents/tasks/${review.id}`} className="hover:underline">
                    <Mono>{shortId(review.id)}</Mono>
                  </Link>
                  <span className="text-[12px] text-muted">{findings.length} finding{findings.length === 1 ? '' : 's'}</span>
                  <Time iso={review.completed_at ?? review.created_at} className="ml-auto text-[12px] text-muted" />
                </div>
                {review.id !== request.data?.id && waitingOf(review) && <WaitingNotice agentType={review.agent_type} reason={waitingOf(review)?.reason ?? ''} kind={waitingOf(review)?.kind} until={waitingOf(review)?.until} compact />}
                {review.status === 'failed' && review.error_message && <p className="mt-1 text-[12px] text-red-700 dark:text-red-400">{review.error_message}</p>}
                {findings.length > 0 && <div className="mt-2"><Findings findings={findings} /></div>}
                <ModelNotes output={review.output_data} />
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

export interface ModelReview {
  summary?: string;
  comments?: number;
  comments_dropped?: number;
  model?: string;
  input_tokens?: number;
  output_tokens?: number;
  error?: string;
}

/** The language model's part of a review output (`llm`), when there is one. */
export function modelReviewOf(output: unknown): ModelReview | null {
  if (typeof output !== 'object' || output === null) return null;
  const llm = (output as { llm?: unknown }).llm;
  return typeof llm === 'object' && llm !== null && !Array.isArray(llm) ? (llm as ModelReview) : null;
}

/** The model's notes on a review, labelled as the model's; its error as a muted note. */
export function ModelNotes({ output }: { output: unknown }) {
  const llm = modelReviewOf(output);
  if (!llm) return null;
  if (typeof llm.summary === 'string' && llm.summary.trim()) {
    const tokens = (llm.input_tokens ?? 0) + (llm.output_tokens ?? 0);
    return (
      <div className="mt-2 rounded-md border border-violet-200 bg-violet-50/60 p-2 dark:border-violet-900 dark:bg-violet-950/30" data-testid="model-notes">
        <div className="mb-1 flex flex-wrap items-center gap-1.5 text-[11px] font-medium text-violet-900 dark:text-violet-200">
          <Bot className="size-3.5" aria-hidden />
          <span>The model's notes</span>
          {llm.model && <Mono className="text-inherit">{llm.model}</Mono>}
          <span className="font-normal text-muted">
            {llm.comments ? `· ${llm.comments} line comment${llm.comments === 1 ? '' : 's'}` : ''}
            {llm.comments_dropped ? ` · ${llm.comments_dropped} off the diff dropped` : ''}
            {tokens ? ` · ${tokens} tokens` : ''}
          </span>
        </div>
        <p className="text-[12px] whitespace-pre-wrap">{llm.summary}</p>
        <p className="mt-1 text-[11px] text-muted">Written by a language model, not by the rules; check it before acting on it.</p>
      </div>
    );
  }
  if (typeof llm.error === 'string' && llm.error) {
    return (
      <p className="mt-2 text-[12px] text-muted" data-testid="model-error">
        <Bot className="mr-1 inline size-3.5 align-[-2px]" aria-hidden />
        No notes from the model this time: {llm.error}
      </p>
    );
  }
  return null;
}

function PullRequests() {
  const { organizationId } = useOrganization();
  const [search, setSearch] = useSearchParams();
  const [state, setState] = useState<'OPEN' | 'CLOSED' | 'MERGED' | ''>('');
  const prs = useQuery({
    queryKey: useOrgKey('pullRequests', state),
    queryFn: () => gql(PullRequestsQuery, { organizationId, filters: state ? { state } : null }),
  });
  const reviews = useReviews();
  const stored = useStoredPullRequests();
  const verdicts = new Map((stored.data?.items ?? []).map((row) => [row.id, { blocked: row.blocked_reason ?? null, risk: verdictOf(row.agent_review)?.risk ?? null }]));
  const risks = useRisks('pull_request');
  const items = prs.data?.pullRequests.items ?? [];
  const selected = items.find((pr) => pr.id === search.get('pr')) ?? null;
  return (
    <div className="grid gap-4 xl:grid-cols-[1fr_440px]">
      <Card
        title={
          <div className="flex items-center gap-3">
            <h2 className="text-[13px] font-semibold">Pull requests</h2>
            <div role="group" aria-label="State" className="flex gap-1">
              {(['', 'OPEN', 'MERGED', 'CLOSED'] as const).map((value) => (
                <button key={value} type="button" aria-pressed={state === value} onClick={() => setState(value)} className={cx('rounded px-2 py-0.5 text-[12px]', state === value ? 'bg-panel-2 font-medium text-fg' : 'text-muted hover:text-fg')}>
                  {value ? value.toLowerCase() : 'all'}
                </button>
              ))}
            </div>
          </div>
        }
        bodyClassName="p-0"
      >
        {prs.isLoading && <div className="p-4"><LoadingBlock /></div>}
        {prs.error && <div className="p-4"><ErrorNotice error={prs.error} /></div>}
        {prs.data && items.length === 0 && (
          <div className="p-4">
            <EmptyState icon={<GitPullRequest className="size-5" aria-hidden />} title="No pull requests yet">
              Connect GitHub in <Link className="underline" to="/integrations">Integrations</Link> and paste the webhook URL into the repository's or organization's webhook settings; pull requests appear here as they open.
            </EmptyState>
          </div>
        )}
        {items.length > 0 && (
          <table className={tableClass} data-testid="pr-table">
            <thead>
              <tr>
                <th>Pull request</th>
                <th>Repository</th>
                <th>State</th>
                <th>Agent review</th>
                <th>Risk</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((pr) => {
                const prReviews = reviewsOf(reviews.data?.items, pr);
                const findingCount = prReviews.reduce((sum, review) => sum + findingsOf(review.output_data).length, 0);
                return (
                  <tr key={pr.id} className={cx('cursor-pointer', selected?.id === pr.id && 'bg-panel-2')} onClick={() => setSearch({ pr: pr.id }, { replace: true })} data-testid="pr-row" data-review-status={prReviews[0]?.status ?? ''}>
                    <td>
                      <button type="button" className="text-left font-medium hover:underline" onClick={() => setSearch({ pr: pr.id }, { replace: true })}>
                        <Mono className="mr-1.5 text-muted">#{pr.number}</Mono>
                        {pr.title}
                      </button>
                    </td>
                    <td className="text-muted">{pr.repository?.fullName ?? '—'}</td>
                    <td><StatusBadge status={pr.draft ? 'draft' : pr.state} /></td>
                    <td>
                      <StatusBadge status={prReviews[0]?.status ?? pr.agentReviewStatus ?? 'not_started'} />
                      {verdicts.get(pr.id)?.risk && <Badge tone={riskTone(verdicts.get(pr.id)?.risk ?? null)} className="ml-1.5">risk: {verdicts.get(pr.id)?.risk}</Badge>}
                      {verdicts.get(pr.id)?.blocked && (
                        <Badge tone="red" className="ml-1.5" title={verdicts.get(pr.id)?.blocked ?? undefined}>
                          blocked
                        </Badge>
                      )}
                      {findingCount > 0 && <span className="ml-1.5 text-[12px] text-muted">{findingCount} findings</span>}
                    </td>
                    <td><RiskBadge assessment={risks.get(pr.id)} /></td>
                    <td><Time iso={pr.updatedAt} className="text-muted" /></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Details">{selected ? <PullRequestDetail pr={selected} reviews={reviewsOf(reviews.data?.items, selected)} /> : <p className="text-[13px] text-muted">Select a pull request to see its reviews and findings.</p>}</Card>
    </div>
  );
}

function Repositories() {
  const repositories = useQuery({ queryKey: useOrgKey('repositories'), queryFn: () => call(api.GET('/api/repositories')) });
  const canSync = useCan('manageIntegrations');
  const sync = useMutation({ mutationFn: (id: string) => call(api.POST('/api/repositories/{id}/sync', { params: { path: { id } } })) });
  const items = repositories.data?.items ?? [];
  return (
    <Card title="Repositories" bodyClassName="p-0">
      {repositories.isLoading && <div className="p-4"><LoadingBlock /></div>}
      {repositories.error && <div className="p-4"><ErrorNotice error={repositories.error} /></div>}
      {sync.error && <div className="p-4 pb-0"><ErrorNotice error={sync.error} /></div>}
      {sync.data && <div className="p-4 pb-0"><QueuedTask task={sync.data} what="Sync" /></div>}
      {repositories.data && items.length === 0 && (
        <div className="p-4">
          <EmptyState icon={<GitBranch className="size-5" aria-hidden />} title="No repositories yet">
            Repositories are read from GitHub when it is connected (and on every sync), or appear with their first webhook.
          </EmptyState>
        </div>
      )}
      {items.length > 0 && (
        <table className={tableClass}>
          <thead>
            <tr>
              <th>Repository</th>
              <th>Default branch</th>
              <th>Visibility</th>
              <th>Last sync</th>
              {canSync && <th className="sr-only">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((repository) => (
              <tr key={repository.id}>
                <td className="font-medium">{repository.full_name}</td>
                <td><Mono>{repository.default_branch}</Mono></td>
                <td>{repository.visibility ?? '—'}</td>
                <td><Time iso={repository.last_sync_at} className="text-muted" /></td>
                {canSync && (
                  <td className="text-right">
                    <Button size="sm" variant="ghost" icon={<RefreshCw className="size-3.5" aria-hidden />} loading={sync.isPending && sync.variables === repository.id} onClick={() => sync.mutate(repository.id)}>
                      Sync
                    </Button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** Asks for a rollback (an admin or owner; a member sees why not). */
function RollbackButton({ deployment }: { deployment: DeploymentRow }) {
  const { role } = useOrganization();
  const refused = rollbackRefusal(role);
  const rollback = useMutation({ mutationFn: () => call(api.POST('/api/deployments/{id}/rollback', { params: { path: { id: deployment.id } } })) });
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="flex flex-col items-end gap-1">
      {rollback.data ? (
        <div className="max-w-96 text-left">
          <QueuedTask task={rollback.data} what="Rollback" />
        </div>
      ) : confirming ? (
        <div className="flex gap-1">
          <Button size="sm" variant="danger" loading={rollback.isPending} onClick={() => rollback.mutate()}>
            Ask to roll back
          </Button>
          <Button size="sm" onClick={() => setConfirming(false)}>
            Keep
          </Button>
        </div>
      ) : (
        <Button size="sm" variant="ghost" icon={<Undo2 className="size-3.5" aria-hidden />} disabled={Boolean(refused)} disabledReason={refused} onClick={() => setConfirming(true)}>
          Roll back
        </Button>
      )}
      {rollback.error && (
        <div className="max-w-80 text-left">
          <ErrorNotice error={rollback.error} />
        </div>
      )}
    </div>
  );
}

function Deployments() {
  const deployments = useQuery({ queryKey: useOrgKey('deployments'), queryFn: () => call(api.GET('/api/deployments', { params: { query: { limit: 100 } } })) });
  const canRollback = useCan('spawnAgents');
  const analyses = useQuery({
    queryKey: useOrgKey('tasks', 'failure-analyses'),
    queryFn: () => call(api.GET('/api/agent-tasks', { params: { query: { type: 'analyze_deployment_failure', include: 'data', limit: 200 } } })),
  });
  const risks = useRisks('deployment');
  const items = deployments.data?.items ?? [];
  const columns = canRollback ? 8 : 7;
  // `?id=` (a link from the Command Center or a search) marks its deployment and brings it into view.
  const [search] = useSearchParams();
  const chosen = search.get('id');
  const chosenRow = useRef<HTMLTableRowElement>(null);
  const found = items.some((deployment) => deployment.id === chosen);
  useEffect(() => {
    if (found) chosenRow.current?.scrollIntoView?.({ block: 'center' });
  }, [found, chosen]);
  return (
    <Card title="Deployments" bodyClassName="p-0">
      {deployments.isLoading && <div className="p-4"><LoadingBlock /></div>}
      {deployments.error && <div className="p-4"><ErrorNotice error={deployments.error} /></div>}
      {deployments.data && items.length === 0 && (
        <div className="p-4">
          <EmptyState icon={<Rocket className="size-5" aria-hidden />} title="No deployments yet">
            Connect Vercel (with its project) or GitHub deployments in <Link className="underline" to="/integrations">Integrations</Link>; deployments arrive with their state, and a <Mono>deployment</Mono> agent scores their health.
          </EmptyState>
        </div>
      )}
      {items.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass} data-testid="deployment-table">
            <thead>
              <tr>
                <th>Project</th>
                <th>State</th>
                <th>Environment</th>
                <th>Commit</th>
                <th>Health</th>
                <th>Risk</th>
                <th>Created</th>
                {canRollback && <th className="sr-only">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((deployment) => {
                const failure = deployment.state === 'error' ? latestFailureAnalysis(analyses.data?.items, deployment) : null;
                return (
                  <Fragment key={deployment.id}>
                  <tr
                    ref={deployment.id === chosen ? chosenRow : undefined}
                    data-testid="deployment-row"
                    data-state={deployment.state}
                    data-selected={deployment.id === chosen || undefined}
                    className={cx(deployment.id === chosen && 'bg-panel-2')}
                  >
                    <td>
                      <div className="font-medium">{deployment.project_name}</div>
                      {deployment.url ? (
                        <a href={deployment.url.startsWith('http') ? deployment.url : `https://${deployment.url}`} target="_blank" rel="noreferrer" className="inline-flex items-center gap-1 text-[12px] text-muted hover:underline">
                          {deployment.url} <ExternalLink className="size-3" aria-hidden />
                        </a>
                      ) : (
                        <span className="text-[12px] text-muted">no URL yet</span>
                      )}
                    </td>
                    <td><StatusBadge status={deployment.state} /></td>
                    <td>{deployment.environment ?? '—'}</td>
                    <td>
                      <Mono>{deployment.commit_sha?.slice(0, 7) ?? '—'}</Mono>
                      {deployment.branch && <div className="text-[12px] text-muted">{deployment.branch}</div>}
                    </td>
                    <td><HealthScore score={deployment.health_score} checked={deployment.agent_checked} /></td>
                    <td><RiskBadge assessment={risks.get(deployment.id)} /></td>
                    <td><Time iso={deployment.created_at} className="text-muted" /></td>
                    {canRollback && <td className="text-right"><RollbackButton deployment={deployment} /></td>}
                  </tr>
                  {failure && (
                    <tr className="!border-t-0 hover:!bg-transparent">
                      <td colSpan={columns} className="!pt-0">
                        <div className="rounded-md border border-red-200 bg-red-50/40 p-3 dark:border-red-900/60 dark:bg-red-950/20">
                          <FailureAnalysisView task={failure.task} analysis={failure.analysis} />
                        </div>
                      </td>
                    </tr>
                  )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

export function DevelopmentArea() {
  useLive(['pullRequests', 'deployments', 'tasks', 'events']);
  return (
    <div>
      <PageHeader
        title="Development Hub"
        description="Pull requests with the agents' reviews, repositories, deployments with health and risk, incidents."
        actions={
          <Link to="/integrations" className={buttonClass('secondary', 'sm')}>
            Integrations
          </Link>
        }
      />
      <Tabs
        tabs={[
          { to: '/development', label: 'Pull requests', end: true },
          { to: '/development/repositories', label: 'Repositories' },
          { to: '/development/deployments', label: 'Deployments' },
          { to: '/development/incidents', label: 'Incidents' },
        ]}
      />
      <Routes>
        <Route index element={<PullRequests />} />
        <Route path="repositories" element={<Repositories />} />
        <Route path="deployments" element={<Deployments />} />
        <Route path="incidents" element={<Incidents />} />
      </Routes>
    </div>
  );
}
