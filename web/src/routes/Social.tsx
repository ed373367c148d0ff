// Social Command Post: accounts, drafts (each with its length as the platform counts it and
// its forecast to beat the typical post), schedule, approvals, engagement.
import { useId, useState, type ReactNode } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { AtSign, CalendarClock, FilePen, Plus, Send, Trash2 } from 'lucide-react';
import { api, call } from '../api/rest';
import { useCan, useInvalidateOrg, useOrgKey } from '../api/hooks';
import { fieldErrors } from '../api/problem';
import type { ContentForecast, SocialAccountRow, SocialPostRow } from '../api/models';
import { Badge, Button, Card, EmptyState, ErrorNotice, Field, Input, LoadingBlock, Modal, PageHeader, Select, StatusBadge, Textarea, Time, cx, tableClass, useFieldId } from '../components/ui';
import { QueuedTask } from './agents/Waiting';
import { engagements, forecastBadgeText, forecastFactorLabel, forecastFactorValue, forecastModelLabel, forecastSummary, forecastTone, forecastsByPost } from './contentForecast';
import { effectArrow, factorsOf } from './development/risk';
import { CHARACTER_LIMITS, X_LINK_LENGTH, approximateCharacters, overLimit } from './socialCharacters';

const OVER = 'font-medium text-red-700 dark:text-red-400';

/** The draft form's count as it is typed: near the platform's own (the saved post carries the exact one). */
function DraftCharacters({ content, platform }: { content: string; platform: SocialAccountRow['platform'] | undefined }) {
  const count = approximateCharacters(content, platform);
  const limit = platform ? CHARACTER_LIMITS[platform] : null;
  const over = limit !== null && count > limit;
  return (
    <span data-testid="draft-characters" data-over={over || undefined}>
      <span className={cx('tabular-nums', over && OVER)}>
        About {count}
        {limit !== null && ` / ${limit}`} characters
      </span>
      {over && <span className={OVER}> ({count - (limit ?? 0)} over)</span>}
      {platform === 'twitter' ? `, as X counts them (a link is ${X_LINK_LENGTH}, an emoji 2)` : ''}; the saved draft shows the exact count.
    </span>
  );
}

/** A saved post's length as its platform counts it, out of the most it takes; in red when over. */
function Characters({ post }: { post: SocialPostRow }) {
  if (typeof post.characters !== 'number' || typeof post.character_limit !== 'number') return null;
  const over = overLimit(post);
  return (
    <span
      className={cx('text-[11px] tabular-nums', over ? OVER : 'text-muted')}
      title={over ? `${post.characters - post.character_limit} characters over the ${post.character_limit} this platform takes` : `Characters as the platform counts them, of the ${post.character_limit} it takes`}
      data-testid="characters"
      data-over={over || undefined}
    >
      {post.characters} / {post.character_limit}
      {over && <span> · {post.characters - post.character_limit} over</span>}
    </span>
  );
}

function DraftDialog({ accounts, onClose }: { accounts: SocialAccountRow[]; onClose: () => void }) {
  const invalidate = useInvalidateOrg();
  const [form, setForm] = useState({ social_account_id: accounts[0]?.id ?? '', content: '', scheduled_for: '' });
  const ids = { account: useFieldId('account'), content: useFieldId('content'), when: useFieldId('when') };
  const draft = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/social/posts', {
          body: {
            social_account_id: form.social_account_id,
            content: form.content,
            ...(form.scheduled_for ? { scheduled_for: new Date(form.scheduled_for).toISOString() } : {}),
          },
        }),
      ),
    onSuccess: () => {
      void invalidate('socialPosts');
      onClose();
    },
  });
  const errors = fieldErrors(draft.error, ['social_account_id', 'content', 'scheduled_for']);
  return (
    <Modal
      title="Draft a post"
      open
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" loading={draft.isPending} disabled={!form.content.trim()} disabledReason="Write the post first." onClick={() => draft.mutate()}>
            Save draft
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        {errors.form && <ErrorNotice error={draft.error} />}
        <Field label="Account" htmlFor={ids.account} error={errors.fields.social_account_id}>
          <Select id={ids.account} value={form.social_account_id} onChange={(event) => setForm({ ...form, social_account_id: event.target.value })}>
            {accounts.map((account) => (
              <option key={account.id} value={account.id}>
                @{account.handle} ({account.platform})
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Content" htmlFor={ids.content} error={errors.fields.content} hint={<DraftCharacters content={form.content} platform={accounts.find((account) => account.id === form.social_account_id)?.platform} />}>
          <Textarea id={ids.content} rows={5} className="font-sans text-[13px]" value={form.content} onChange={(event) => setForm({ ...form, content: event.target.value })} invalid={Boolean(errors.fields.content)} />
        </Field>
        <Field label="Schedule for (optional)" htmlFor={ids.when} error={errors.fields.scheduled_for}>
          <Input id={ids.when} type="datetime-local" value={form.scheduled_for} onChange={(event) => setForm({ ...form, scheduled_for: event.target.value })} />
        </Field>
      </div>
    </Modal>
  );
}

function PostActions({ post }: { post: SocialPostRow }) {
  const invalidate = useInvalidateOrg();
  const publish = useMutation({ mutationFn: () => call(api.POST('/api/social/posts/{id}/publish', { params: { path: { id: post.id } } })), onSuccess: () => void invalidate('tasks') });
  const remove = useMutation({ mutationFn: () => call(api.DELETE('/api/social/posts/{id}', { params: { path: { id: post.id } } })), onSuccess: () => void invalidate('socialPosts') });
  if (post.status === 'published') return null;
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex gap-1">
        {publish.data ? (
          <div className="max-w-96 text-left">
            <QueuedTask task={publish.data} what="Publication" />
          </div>
        ) : (
          <Button size="sm" variant="ghost" icon={<Send className="size-3.5" aria-hidden />} loading={publish.isPending} onClick={() => publish.mutate()}>
            Publish
          </Button>
        )}
        <Button size="sm" variant="ghost" icon={<Trash2 className="size-3.5" aria-hidden />} loading={remove.isPending} onClick={() => remove.mutate()} aria-label="Delete post">
          Delete
        </Button>
      </div>
      {(publish.error || remove.error) && <div className="max-w-80 text-left"><ErrorNotice error={publish.error ?? remove.error} /></div>}
    </div>
  );
}

/**
 * A post's text, its length as the platform counts it, and its badges: by an agent (and
 * whether a model wrote it), and its forecast, which opens (in the row, so
 * the table's scroller never cuts it off) the factors that weighed most, the typical
 * engagement it is measured against and the model.
 */
function PostSummary({ post, forecast }: { post: SocialPostRow; forecast: ContentForecast | undefined }) {
  const [open, setOpen] = useState(false);
  const panel = useId();
  const factors = forecast ? factorsOf(forecast.factors) : [];
  const writtenBy = post.metadata?.written_by;
  return (
    <>
      <p className="line-clamp-2">{post.content}</p>
      <div className="mt-1 flex flex-wrap items-center gap-1">
        <Characters post={post} />
        {post.agent_generated && (
          <Badge tone="violet" title={writtenBy === 'template' ? 'Drafted by the content agent from its template' : 'Drafted by the content agent'}>
            by an agent
          </Badge>
        )}
        {post.agent_generated && writtenBy === 'model' && (
          <Badge tone="violet" title="A language model wrote it: read it before publishing">
            written by a model
          </Badge>
        )}
        {forecast && (
          <button
            type="button"
            aria-expanded={open}
            aria-controls={open ? panel : undefined}
            title={forecastSummary(forecast)}
            onClick={() => setOpen((value) => !value)}
            className="rounded focus-visible:outline-2 focus-visible:outline-ring"
            data-testid="forecast"
            data-chance={forecast.chance}
            data-model={forecast.model}
          >
            <Badge tone={forecastTone(forecast.chance)}>
              {forecastBadgeText(forecast.chance)}
              {forecast.model === 'prior' && <span className="font-normal">· prior</span>}
            </Badge>
          </button>
        )}
      </div>
      {forecast && open && (
        <div id={panel} className="mt-1 w-64 rounded-md border border-line bg-panel p-2 text-[12px] whitespace-normal" data-testid="forecast-factors">
          <ul className="space-y-0.5">
            {factors.map((factor) => (
              <li key={factor.name} className="flex items-baseline gap-1.5">
                <span aria-hidden className={cx('w-3 shrink-0 text-center font-semibold', factor.effect > 0 ? 'text-emerald-700 dark:text-emerald-400' : factor.effect < 0 ? 'text-red-700 dark:text-red-400' : 'text-muted')}>
                  {effectArrow(factor.effect)}
                </span>
                <span className="flex-1">
                  {forecastFactorLabel(factor.name)}
                  <span className="sr-only">{factor.effect > 0 ? ' (raises the chance)' : factor.effect < 0 ? ' (lowers the chance)' : ''}</span>
                </span>
                <span className="tabular-nums text-muted">{forecastFactorValue(factor)}</span>
              </li>
            ))}
            {factors.length === 0 && <li className="text-muted">No factor stood out.</li>}
          </ul>
          <div className="mt-1.5 space-y-0.5 border-t border-line pt-1.5 text-[11px] text-muted">
            <p>
              {typeof forecast.typical_engagement === 'number'
                ? `Typical: ${engagements(forecast.typical_engagement)} (the median of this platform's posts published in the last 180 days).`
                : 'Nothing published on this platform yet to compare with.'}
            </p>
            <p>
              Model: {forecastModelLabel(forecast.model)}; confidence {Math.round(forecast.confidence * 100)} %; <Time iso={forecast.forecast_at} />.
            </p>
          </div>
        </div>
      )}
    </>
  );
}

function Posts({ title, posts, accounts, forecasts, empty, emptyAction }: { title: string; posts: SocialPostRow[]; accounts: Map<string, SocialAccountRow>; forecasts: Map<string, ContentForecast>; empty: string; emptyAction?: ReactNode }) {
  const canPublish = useCan('publishSocial');
  return (
    <Card title={`${title} (${posts.length})`} bodyClassName="p-0">
      {posts.length === 0 ? (
        <div className="flex flex-wrap items-center gap-3 px-4 py-5 text-[13px] text-muted">
          <p>{empty}</p>
          {emptyAction}
        </div>
      ) : (
        <table className={tableClass}>
          <thead>
            <tr>
              <th>Post</th>
              <th>Account</th>
              <th>Status</th>
              <th>When</th>
              {canPublish && <th className="sr-only">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {posts.map((post) => (
              <tr key={post.id}>
                <td className="max-w-md">
                  <PostSummary post={post} forecast={forecasts.get(post.id)} />
                </td>
                <td>@{accounts.get(post.social_account_id)?.handle ?? '—'}</td>
                <td><StatusBadge status={post.status} /></td>
                <td><Time iso={post.published_at ?? post.scheduled_for ?? post.created_at} className="text-muted" /></td>
                {canPublish && <td className="text-right"><PostActions post={post} /></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function Social() {
  const accounts = useQuery({ queryKey: useOrgKey('socialAccounts'), queryFn: () => call(api.GET('/api/social/accounts')) });
  const posts = useQuery({ queryKey: useOrgKey('socialPosts'), queryFn: () => call(api.GET('/api/social/posts', { params: { query: { limit: 200 } } })) });
  const approvals = useQuery({
    queryKey: useOrgKey('tasks', 'publish-approvals'),
    queryFn: () => call(api.GET('/api/agent-tasks', { params: { query: { status: 'needs_approval', include: 'data', limit: 100 } } })),
  });
  const forecasts = useQuery({
    queryKey: useOrgKey('contentForecasts'),
    queryFn: () => call(api.GET('/api/analytics/content-forecasts', { params: { query: { limit: 500 } } })),
    // An older node has no forecasts, and a failed read only leaves the posts without them.
    retry: false,
  });
  const canDraft = useCan('publishSocial');
  const [drafting, setDrafting] = useState(false);
  const accountItems = accounts.data?.items ?? [];
  const byId = new Map(accountItems.map((account) => [account.id, account]));
  const postItems = posts.data?.items ?? [];
  const forecastByPost = forecastsByPost(forecasts.data?.items);
  const published = postItems.filter((post) => post.status === 'published');
  const chart = published.slice(0, 20).reverse().map((post) => ({
    name: post.content.slice(0, 18),
    likes: post.engagement_likes,
    comments: post.engagement_comments,
    shares: post.engagement_shares,
  }));
  const publishApprovals = (approvals.data?.items ?? []).filter((task) => typeof task.input_data?.social_post_id === 'string');
  return (
    <div>
      <PageHeader
        title="Social Command Post"
        description="Accounts, drafts, the schedule, what waits for approval, and how posts did."
        actions={
          canDraft && accountItems.length > 0 && (
            <Button variant="primary" icon={<Plus className="size-4" aria-hidden />} onClick={() => setDrafting(true)}>
              Draft a post
            </Button>
          )
        }
      />
      {(accounts.error || posts.error) && <ErrorNotice error={accounts.error ?? posts.error} />}
      {accounts.isLoading || posts.isLoading ? (
        <LoadingBlock rows={5} />
      ) : (
        <div className="space-y-4">
          <Card title="Accounts" bodyClassName={accountItems.length ? 'p-0' : undefined}>
            {accountItems.length === 0 ? (
              <EmptyState icon={<AtSign className="size-5" aria-hidden />} title="No social accounts yet">
                Connect X or LinkedIn in <Link className="underline" to="/integrations">Integrations</Link>; the account is read on the first sync.
              </EmptyState>
            ) : (
              <table className={tableClass}>
                <thead>
                  <tr>
                    <th>Account</th>
                    <th>Platform</th>
                    <th className="text-right">Followers</th>
                    <th>Last sync</th>
                  </tr>
                </thead>
                <tbody>
                  {accountItems.map((account) => (
                    <tr key={account.id}>
                      <td>
                        <div className="font-medium">@{account.handle}</div>
                        {account.display_name && <div className="text-[12px] text-muted">{account.display_name}</div>}
                      </td>
                      <td>{account.platform}</td>
                      <td className="text-right tabular-nums">{account.follower_count.toLocaleString()}</td>
                      <td><Time iso={account.last_sync_at} className="text-muted" /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <div className="grid gap-4 xl:grid-cols-2">
            <Posts
              title="Drafts"
              posts={postItems.filter((post) => post.status === 'draft')}
              accounts={byId}
              forecasts={forecastByPost}
              empty={
                !canDraft
                  ? 'No drafts yet: members draft posts, or the content agent proposes some.'
                  : accountItems.length === 0
                    ? 'No drafts yet. Connect X or LinkedIn first: a post is drafted for one of its accounts.'
                    : 'No drafts yet: draft one, or let the content agent propose some.'
              }
              emptyAction={
                canDraft && (
                  <Button
                    size="sm"
                    variant="primary"
                    icon={<Plus className="size-3.5" aria-hidden />}
                    onClick={() => setDrafting(true)}
                    disabled={accountItems.length === 0}
                    disabledReason="Connect X or LinkedIn first: a post is drafted for one of its accounts."
                    data-testid="draft-one"
                  >
                    Draft a post
                  </Button>
                )
              }
            />
            <Posts title="Scheduled" posts={postItems.filter((post) => post.status === 'scheduled').sort((a, b) => (a.scheduled_for ?? '').localeCompare(b.scheduled_for ?? ''))} accounts={byId} forecasts={forecastByPost} empty="Nothing scheduled." />
          </div>
          <Card title={`Waiting for approval (${publishApprovals.length})`}>
            {publishApprovals.length === 0 ? (
              <p className="flex items-start gap-2 text-[13px] text-muted">
                <FilePen className="mt-0.5 size-4 shrink-0" aria-hidden />
                <span>
                  No publication waits for a person. Publishing a post asks for approval in the <Link className="underline" to="/agents/approvals">inbox</Link>.
                </span>
              </p>
            ) : (
              <ul className="space-y-1 text-[13px]">
                {publishApprovals.map((task) => (
                  <li key={task.id}>
                    <Link className="hover:underline" to={`/agents/tasks/${task.id}`}>
                      {task.description ?? task.task_type}
                    </Link>{' '}
                    <Time iso={task.created_at} className="text-muted" />
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Engagement of published posts">
            {chart.length === 0 ? (
              <EmptyState icon={<CalendarClock className="size-5" aria-hidden />} title="Nothing published yet">
                Likes, comments and shares of published posts are charted here.
              </EmptyState>
            ) : (
              <div className="h-64" data-testid="engagement-chart">
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={chart}>
                    <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
                    <XAxis dataKey="name" stroke="var(--muted)" fontSize={11} />
                    <YAxis stroke="var(--muted)" fontSize={11} />
                    <Tooltip contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', fontSize: 12 }} />
                    <Legend wrapperStyle={{ fontSize: 12 }} />
                    <Bar dataKey="likes" fill="#6366f1" />
                    <Bar dataKey="comments" fill="#0ea5e9" />
                    <Bar dataKey="shares" fill="#10b981" />
                  </BarChart>
                </ResponsiveContainer>
              </div>
            )}
          </Card>
        </div>
      )}
      {drafting && <DraftDialog accounts={accountItems} onClose={() => setDrafting(false)} />}
    </div>
  );
}
