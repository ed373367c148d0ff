// A pull request's verdict as the node stores it: the security agent's block (first, in
// red), the review's risk, summary, findings and suggested reviewers, the pull request on
// GitHub, and whether the review was posted there.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ExternalLink, ShieldAlert } from 'lucide-react';
import { api, call } from '../../api/rest';
import { useOrgKey } from '../../api/hooks';
import { personName, useMemberNames } from '../../api/members';
import { Badge, ErrorNotice, LoadingBlock, Mono, StatusBadge, Time } from '../../components/ui';
import { githubPullUrl } from '../agents/decision';
import { postingOf, postTasksOf, riskTone, verdictOf, type Posting } from './verdict';

/** The stored pull request (REST: it carries `agent_review` and `blocked_reason`). */
export function usePullRequest(id: string) {
  return useQuery({
    // Under 'tasks': the verdict and a block are written by tasks finishing, so the row refreshes with them.
    queryKey: useOrgKey('tasks', 'pull-request', id),
    queryFn: () => call(api.GET('/api/pull-requests/{id}', { params: { path: { id } } })),
  });
}

function usePostTasks() {
  return useQuery({
    queryKey: useOrgKey('tasks', 'post-reviews'),
    queryFn: () => call(api.GET('/api/agent-tasks', { params: { query: { type: 'post_review', include: 'data', limit: 200 } } })),
  });
}

function useRepositories() {
  return useQuery({ queryKey: useOrgKey('repositories'), queryFn: () => call(api.GET('/api/repositories')) });
}

function PostingLine({ posting }: { posting: Posting }) {
  const names = useMemberNames();
  const taskLink = (id: string, label: string) => (
    <Link to={`/agents/tasks/${id}`} className="underline">
      {label}
    </Link>
  );
  switch (posting.state) {
    case 'none':
      return <span className="text-muted">Not posted to GitHub.</span>;
    case 'never':
      return <span className="text-muted">Not posted: the code review agent is set never to post; the review stays here.</span>;
    case 'waiting':
      return (
        <span>
          <Badge tone="amber">waiting for approval</Badge> The review is posted once a member approves it in the{' '}
          <Link to="/agents/approvals" className="underline">
            approval inbox
          </Link>
          .
        </span>
      );
    case 'posting':
      return (
        <span>
          <Badge tone="blue">posting</Badge> Approved; {taskLink(posting.task.id, 'the task')} is posting it.
        </span>
      );
    case 'posted':
      return (
        <span>
          <Badge tone="green">posted</Badge>{' '}
          {posting.url ? (
            <a href={posting.url} target="_blank" rel="noreferrer" className="inline-flex items-center gap-1 underline">
              the review on GitHub <ExternalLink className="size-3" aria-hidden />
            </a>
          ) : (
            'on GitHub'
          )}
          {posting.task?.approved_at && (
            <span className="text-muted">
              {' '}
              · approved by {personName(names, posting.task.approved_by)}, <Time iso={posting.task.approved_at} />
            </span>
          )}
        </span>
      );
    case 'rejected':
      return (
        <span>
          <Badge tone="red">rejected</Badge> Not posted: {personName(names, posting.task.rejected_by) ?? 'a member'} rejected it
          {posting.task.rejected_at && (
            <>
              , <Time iso={posting.task.rejected_at} />
            </>
          )}
          {posting.task.error_message ? ` (${posting.task.error_message})` : ''}.
        </span>
      );
    case 'superseded':
      return (
        <span>
          <Badge tone="gray">superseded</Badge> {posting.reason}
        </span>
      );
    case 'cancelled':
      return (
        <span>
          <Badge tone="gray">cancelled</Badge> Not posted{posting.reason ? `: ${posting.reason}` : ''}. {taskLink(posting.task.id, 'The task')} can be retried.
        </span>
      );
    case 'failed':
      return (
        <span>
          <Badge tone="red">failed</Badge> Posting failed{posting.reason ? `: ${posting.reason}` : ''}. {taskLink(posting.task.id, 'The task')} can be retried.
        </span>
      );
  }
}

/** The verdict card of one pull request. `fallbackRepository` is the list's `owner/name`, used until the repositories are read. */
export function PullRequestVerdict({ id, number, fallbackRepository }: { id: string; number: number; fallbackRepository: string | null }) {
  const pr = usePullRequest(id);
  const repositories = useRepositories();
  const postTasks = usePostTasks();
  const row = pr.data;
  const repository = (row && repositories.data?.items.find((candidate) => candidate.id === row.repository_id)?.full_name) ?? fallbackRepository;
  const verdict = verdictOf(row?.agent_review);
  const posting = postingOf(verdict, postTasksOf(postTasks.data?.items, { id, number, repository }));
  return (
    <section className="space-y-2 rounded-md border border-line p-3" data-testid="pr-verdict" aria-label="The verdict">
      {row?.blocked_reason && (
        <div role="alert" data-testid="pr-blocked" className="flex items-start gap-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900 dark:border-red-800 dark:bg-red-950/50 dark:text-red-200">
          <ShieldAlert className="mt-0.5 size-5 shrink-0" aria-hidden />
          <div>
            <strong className="font-semibold">Blocked by the security agent</strong>
            <p className="text-[13px]">{row.blocked_reason}</p>
          </div>
        </div>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <h4 className="font-semibold">Verdict</h4>
        {verdict?.risk && <Badge tone={riskTone(verdict.risk)}>risk: {verdict.risk}</Badge>}
        {row && !verdict && <StatusBadge status={row.agent_review_status ?? 'not_started'} />}
        {repository && (
          <a href={githubPullUrl(repository, number)} target="_blank" rel="noreferrer" className="ml-auto inline-flex items-center gap-1 text-[12px] text-muted hover:text-fg hover:underline">
            {repository}#{number} on GitHub <ExternalLink className="size-3" aria-hidden />
          </a>
        )}
      </div>
      {pr.isLoading && <LoadingBlock rows={1} />}
      {pr.error && <ErrorNotice error={pr.error} what="The pull request" />}
      {row && !verdict && <p className="text-[12px] text-muted">No verdict yet: the code review agent writes it here when its review finishes.</p>}
      {verdict && (
        <>
          {verdict.summary && <p data-testid="pr-verdict-summary">{verdict.summary}</p>}
          <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-[12px]">
            <div>
              <dt className="text-muted">Findings</dt>
              <dd data-testid="pr-verdict-findings">{verdict.findings === 0 ? 'none' : verdict.findings}</dd>
            </div>
            <div>
              <dt className="text-muted">Suggested reviewers</dt>
              <dd>{verdict.suggestedReviewers.length ? verdict.suggestedReviewers.join(', ') : <span className="text-muted">none found (no CODEOWNERS, no recent authors)</span>}</dd>
            </div>
            {verdict.headSha && (
              <div>
                <dt className="text-muted">Reviewed commit</dt>
                <dd><Mono>{verdict.headSha.slice(0, 7)}</Mono></dd>
              </div>
            )}
          </dl>
        </>
      )}
      {(verdict || posting.state !== 'none') && (
        <p className="text-[12px]" data-testid="pr-posting" data-state={posting.state}>
          <PostingLine posting={posting} />
        </p>
      )}
    </section>
  );
}
