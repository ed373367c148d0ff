// What a task waiting for a person asks them to decide, and who decided it: a review to
// post (the pull request, the review's text and its line comments), a rollback (the
// deployment and what it goes back to), a post to publish (its text), or any other
// task's input as a list of its keys.
import { useQuery } from '@tanstack/react-query';
import { ExternalLink, MessageSquareText } from 'lucide-react';
import type { ReactNode } from 'react';
import { api, call } from '../../api/rest';
import { useOrgKey } from '../../api/hooks';
import { personName, useMemberNames } from '../../api/members';
import type { ApprovedVia, TaskRow } from '../../api/models';
import { ErrorNotice, Mono, StatusBadge, Time } from '../../components/ui';
import { Markdown } from '../../lib/markdown';

type Input = Record<string, unknown>;

function isObject(value: unknown): value is Input {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value : null;
}

export interface PlannedComment {
  path: string;
  line: number;
  body: string;
}

/** `post_review`'s input (crates/actors/src/code_review.rs `PostReview`). */
export interface PostReviewInput {
  repository: string;
  number: number;
  pull_request_id: string | null;
  head_sha: string | null;
  body: string;
  comments: PlannedComment[];
}

export function postReviewInputOf(input: unknown): PostReviewInput | null {
  if (!isObject(input) || typeof input.repository !== 'string' || typeof input.number !== 'number' || typeof input.body !== 'string') return null;
  const comments = Array.isArray(input.comments)
    ? input.comments.filter((comment): comment is PlannedComment => isObject(comment) && typeof comment.path === 'string' && typeof comment.line === 'number' && typeof comment.body === 'string')
    : [];
  return { repository: input.repository, number: input.number, pull_request_id: text(input.pull_request_id), head_sha: text(input.head_sha), body: input.body, comments };
}

/** `rollback`'s input (`Rollback`: the deployment it rolls back, optionally `to` and `reason`). */
export interface RollbackInput {
  deployment_id: string | null;
  vercel_deployment_id: string | null;
  url: string | null;
  project: string | null;
  to: string | null;
  reason: string | null;
}

export function rollbackInputOf(input: unknown): RollbackInput | null {
  if (!isObject(input)) return null;
  const read = (key: string) => text(input[key]);
  const rollback = { deployment_id: read('deployment_id'), vercel_deployment_id: read('vercel_deployment_id'), url: read('url'), project: read('project'), to: read('to') ?? read('target_deployment_id'), reason: read('reason') };
  return rollback.deployment_id || rollback.vercel_deployment_id || rollback.url || rollback.project ? rollback : null;
}

/** `publish_post`'s input (`PublishPost`). */
export function publishInputOf(input: unknown): { social_post_id: string } | null {
  if (!isObject(input)) return null;
  const id = text(input.social_post_id);
  return id ? { social_post_id: id } : null;
}

/** The pull request's page on GitHub. */
export function githubPullUrl(repository: string, number: number): string {
  return `https://github.com/${repository}/pull/${number}`;
}

/** What a task is, for people: its description, else what its type and input say. */
export function titleOf(task: Pick<TaskRow, 'description' | 'task_type' | 'input_data'>): string {
  if (task.description?.trim()) return task.description;
  if (task.task_type === 'post_review') {
    const input = postReviewInputOf(task.input_data);
    if (input) return `Post the review of ${input.repository}#${input.number} to GitHub`;
  }
  if (task.task_type === 'rollback') {
    const input = rollbackInputOf(task.input_data);
    if (input) return `Roll back ${input.project ?? input.url ?? 'a deployment'}`;
  }
  if (task.task_type === 'publish_post') return 'Publish a post';
  return task.task_type;
}

const VIA_WORDS: Record<ApprovedVia, string> = {
  console: 'in the console',
  api: 'through the API',
  graphql: 'through GraphQL',
  slack: 'in Slack',
};

/** Where a task was approved or rejected, in words ("in the console"); null when the node does not say. */
export function viaWords(via: unknown): string | null {
  return typeof via === 'string' && via in VIA_WORDS ? VIA_WORDS[via as ApprovedVia] : null;
}

/** Who decided a task and when, from the row (user ids; names come from the members). */
export function decisionOf(task: Pick<TaskRow, 'approved_by' | 'approved_at' | 'rejected_by' | 'rejected_at'>): { verb: 'approved' | 'rejected'; userId: string | null; at: string } | null {
  if (task.rejected_at) return { verb: 'rejected', userId: task.rejected_by ?? null, at: task.rejected_at };
  if (task.approved_at) return { verb: 'approved', userId: task.approved_by ?? null, at: task.approved_at };
  return null;
}

/** "Approved by Ada Admin · in the console, 2 min ago" — or nothing while the task waits. */
export function DecisionLine({ task, className }: { task: TaskRow; className?: string }) {
  const names = useMemberNames();
  const decision = decisionOf(task);
  if (!decision) return null;
  const who = personName(names, decision.userId);
  const via = viaWords(task.approved_via);
  return (
    <p className={['text-[12px]', decision.verb === 'rejected' ? 'text-red-800 dark:text-red-300' : 'text-emerald-800 dark:text-emerald-300', className].filter(Boolean).join(' ')} data-testid="decision">
      {decision.verb === 'approved' ? 'Approved' : 'Rejected'}
      {who ? ` by ${who}` : ''}
      {via ? ` · ${via}` : ''}, <Time iso={decision.at} />
    </p>
  );
}

function Labelled({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">{label}</dt>
      <dd className="mt-0.5 break-words">{children}</dd>
    </div>
  );
}

function valueOf(value: unknown): ReactNode {
  if (value === null || value === undefined) return <span className="text-muted">—</span>;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return <Mono>{String(value)}</Mono>;
  return <Mono className="break-all">{JSON.stringify(value)}</Mono>;
}

/** Any input as a definition list of its keys. */
export function InputList({ input }: { input: unknown }) {
  if (!isObject(input) || Object.keys(input).length === 0) return <p className="text-[12px] text-muted">No input.</p>;
  return (
    <dl className="grid gap-x-4 gap-y-1.5 text-[12px] sm:grid-cols-2" data-testid="input-list">
      {Object.entries(input).map(([key, value]) => (
        <Labelled key={key} label={key.replace(/_/g, ' ')}>
          {valueOf(value)}
        </Labelled>
      ))}
    </dl>
  );
}

function PostReviewPreview({ input }: { input: PostReviewInput }) {
  const id = input.pull_request_id;
  const pr = useQuery({
    // Under 'tasks': the review's verdict is written when tasks finish, so it refreshes with them.
    queryKey: useOrgKey('tasks', 'pull-request', id),
    enabled: Boolean(id),
    staleTime: 60_000,
    queryFn: () => call(api.GET('/api/pull-requests/{id}', { params: { path: { id: id ?? '' } } })),
  });
  return (
    <div className="space-y-2" data-testid="post-review-preview">
      <p className="text-[13px]">
        Post this review on{' '}
        <a href={githubPullUrl(input.repository, input.number)} target="_blank" rel="noreferrer" className="inline-flex items-center gap-1 font-medium hover:underline">
          {pr.data ? pr.data.title : `${input.repository}#${input.number}`} <ExternalLink className="size-3" aria-hidden />
        </a>{' '}
        <span className="text-muted">
          ({input.repository}#{input.number}
          {input.head_sha ? <>, commit <Mono className="text-muted">{input.head_sha.slice(0, 7)}</Mono></> : null})
        </span>
      </p>
      <div className="max-h-72 overflow-auto rounded-md border border-line bg-panel-2/50 p-3" aria-label="The review's text" role="region" tabIndex={0}>
        <Markdown source={input.body} />
      </div>
      {input.comments.length > 0 ? (
        <div>
          <h4 className="mb-1 text-[12px] font-medium text-muted">
            {input.comments.length} line comment{input.comments.length === 1 ? '' : 's'}
          </h4>
          <ul className="max-h-72 divide-y divide-line overflow-auto rounded-md border border-line" data-testid="review-comments">
            {input.comments.map((comment, index) => (
              <li key={index} className="flex gap-2 px-3 py-2">
                <MessageSquareText className="mt-0.5 size-4 shrink-0 text-muted" aria-hidden />
                <div className="min-w-0 flex-1">
                  <Mono>
                    {comment.path}:{comment.line}
                  </Mono>
                  <Markdown source={comment.body} className="mt-0.5" />
                </div>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="text-[12px] text-muted">No line comments: the review is its text alone.</p>
      )}
    </div>
  );
}

function RollbackPreview({ input }: { input: RollbackInput }) {
  const id = input.deployment_id;
  const deployment = useQuery({
    queryKey: useOrgKey('deployments', 'one', id),
    enabled: Boolean(id),
    queryFn: () => call(api.GET('/api/deployments/{id}', { params: { path: { id: id ?? '' } } })),
  });
  const row = deployment.data;
  const url = row?.url ?? input.url;
  return (
    <div className="space-y-2" data-testid="rollback-preview">
      <p className="text-[13px]">
        Roll back <strong className="font-semibold">{row?.project_name ?? input.project ?? 'a deployment'}</strong>
        {row?.environment ? ` (${row.environment})` : ''}
      </p>
      {deployment.error && <ErrorNotice error={deployment.error} what="The deployment" />}
      <dl className="grid gap-x-4 gap-y-1.5 text-[12px] sm:grid-cols-2">
        <Labelled label="Away from">
          {url ? (
            <a href={url.startsWith('http') ? url : `https://${url}`} target="_blank" rel="noreferrer" className="hover:underline">
              {url}
            </a>
          ) : (
            <Mono>{input.vercel_deployment_id ?? input.deployment_id}</Mono>
          )}
          {row && (
            <span className="ml-1.5 inline-flex items-center gap-1.5">
              <StatusBadge status={row.state} />
              {row.commit_sha && <Mono className="text-muted">{row.commit_sha.slice(0, 7)}</Mono>}
              {row.branch && <span className="text-muted">{row.branch}</span>}
            </span>
          )}
        </Labelled>
        <Labelled label="Back to">{input.to ? <Mono>{input.to}</Mono> : <span>the previous ready production deployment (the deployment agent finds it when it runs)</span>}</Labelled>
        {input.reason && <Labelled label="Why">{input.reason}</Labelled>}
      </dl>
    </div>
  );
}

function PublishPreview({ postId }: { postId: string }) {
  const post = useQuery({
    queryKey: useOrgKey('socialPosts', 'one', postId),
    queryFn: () => call(api.GET('/api/social/posts/{id}', { params: { path: { id: postId } } })),
  });
  return (
    <div className="space-y-2" data-testid="publish-preview">
      {post.error && <ErrorNotice error={post.error} what="The post" />}
      {post.data && (
        <>
          <p className="text-[13px]">
            Publish this post on <strong className="font-semibold capitalize">{post.data.platform}</strong>
            {post.data.scheduled_for ? (
              <>
                {' '}
                (scheduled <Time iso={post.data.scheduled_for} />)
              </>
            ) : null}
          </p>
          <blockquote className="rounded-md border border-line bg-panel-2/50 p-3 text-[13px] whitespace-pre-wrap">{post.data.content}</blockquote>
        </>
      )}
    </div>
  );
}

/** What deciding the task decides, rendered for people rather than as JSON. */
export function DecisionPreview({ task }: { task: TaskRow }) {
  if (task.task_type === 'post_review') {
    const input = postReviewInputOf(task.input_data);
    if (input) return <PostReviewPreview input={input} />;
  }
  if (task.task_type === 'rollback') {
    const input = rollbackInputOf(task.input_data);
    if (input) return <RollbackPreview input={input} />;
  }
  if (task.task_type === 'publish_post') {
    const input = publishInputOf(task.input_data);
    if (input) return <PublishPreview postId={input.social_post_id} />;
  }
  return <InputList input={task.input_data} />;
}
