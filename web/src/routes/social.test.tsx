import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';

const state = vi.hoisted(() => ({ accounts: [] as unknown[], posts: [] as unknown[], forecasts: [] as unknown[] | 'fail', canDraft: true }));

vi.mock('../api/hooks', () => ({
  useCan: () => state.canDraft,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ role: 'member' }),
}));
vi.mock('../api/rest', () => ({
  api: {
    GET: async (path: string) => {
      if (path === '/api/analytics/content-forecasts' && state.forecasts === 'fail') throw new Error('the node failed');
      const items = path === '/api/social/accounts' ? state.accounts : path === '/api/social/posts' ? state.posts : path === '/api/analytics/content-forecasts' ? state.forecasts : [];
      return { data: { items, next_cursor: null }, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { Social } = await import('./Social');

function show() {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>
        <Social />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.accounts = [];
  state.posts = [];
  state.forecasts = [];
  state.canDraft = true;
});

describe('Social drafts, empty', () => {
  it('has a real button that opens the draft form', async () => {
    state.accounts = [{ id: 's1', platform: 'twitter', handle: 'acme', display_name: null, follower_count: 3, last_sync_at: null }];
    show();
    await userEvent.click(await screen.findByTestId('draft-one'));
    expect(screen.getByRole('dialog', { name: 'Draft a post' })).toBeInTheDocument();
  });

  it('says why it cannot draft without an account', async () => {
    show();
    const button = await screen.findByTestId('draft-one');
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription('Connect X or LinkedIn first: a post is drafted for one of its accounts.');
  });

  it('offers no button to a role that may not draft', async () => {
    state.canDraft = false;
    show();
    expect(await screen.findByText(/members draft posts/)).toBeInTheDocument();
    expect(screen.queryByTestId('draft-one')).toBeNull();
  });
});

const ACCOUNT = { id: 's1', platform: 'twitter', handle: 'acme', display_name: null, follower_count: 3, last_sync_at: null };
const POST = { social_account_id: 's1', agent_generated: false, scheduled_for: null, published_at: null, engagement_likes: 0, engagement_comments: 0, engagement_shares: 0, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };
const FORECASTS = [
  {
    post_id: 'p1', chance: 62, typical_engagement: 14, confidence: 0.3, model: 'prior', forecast_at: '2026-01-01T00:10:00Z',
    factors: [{ name: 'has_link', value: 1, effect: -0.2 }, { name: 'asks_a_question', value: 1, effect: 0.4 }, { name: 'business_hours', value: 1, effect: 0.3 }],
  },
  { post_id: 'p2', chance: 31, typical_engagement: null, confidence: 0.55, model: 'trained', forecast_at: '2026-01-01T00:10:00Z', factors: [{ name: 'weekend', value: 1, effect: -0.3 }] },
];

function rowOf(text: string): HTMLElement {
  return screen.getByText(text).closest('tr')!;
}

describe('the forecast of drafts and scheduled posts', () => {
  beforeEach(() => {
    state.accounts = [ACCOUNT];
    state.posts = [
      { ...POST, id: 'p1', content: 'Shipping day? See https://acme.dev', status: 'draft', agent_generated: true },
      { ...POST, id: 'p2', content: 'Weekend recap', status: 'scheduled', scheduled_for: '2026-01-03T10:00:00Z' },
      { ...POST, id: 'p3', content: 'Not forecast yet', status: 'draft' },
    ];
    state.forecasts = FORECASTS;
  });

  it('marks each forecast post with its chance to beat the typical post, and opens what weighed most with ↑ and ↓', async () => {
    show();
    await screen.findByText('Shipping day? See https://acme.dev');
    const draft = rowOf('Shipping day? See https://acme.dev');
    const button = await within(draft).findByRole('button', { name: /62 % to beat typical/ });
    expect(button).toHaveAttribute('title', expect.stringContaining('(typical: 14 engagements)'));
    expect(button).toHaveAttribute('title', expect.stringContaining('↑ Asks a question: yes'));
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(within(draft).getByText('by an agent')).toBeInTheDocument();
    await userEvent.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const factors = within(draft).getByTestId('forecast-factors');
    expect(button).toHaveAttribute('aria-controls', factors.id);
    expect(within(factors).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      '↑Asks a question (raises the chance)yes',
      '↑In business hours (09:00–17:00 UTC, weekdays) (raises the chance)yes',
      '↓Has a link (lowers the chance)yes',
    ]);
    expect(factors).toHaveTextContent('Typical: 14 engagements');
    expect(factors).toHaveTextContent('Model: prior (too few published posts yet to train on yours); confidence 30 %');

    const scheduled = rowOf('Weekend recap');
    await userEvent.click(within(scheduled).getByRole('button', { name: /31 % to beat typical/ }));
    const other = within(scheduled).getByTestId('forecast-factors');
    expect(other).toHaveTextContent('Nothing published on this platform yet to compare with.');
    expect(other).toHaveTextContent('Model: trained on your posts');

    // A post the agent has not forecast shows no badge.
    expect(within(rowOf('Not forecast yet')).queryByTestId('forecast')).toBeNull();
  });

  it('shows the posts without badges when the forecasts cannot be read', async () => {
    state.forecasts = 'fail';
    show();
    expect(await screen.findByText('Shipping day? See https://acme.dev')).toBeInTheDocument();
    expect(screen.getByText('Weekend recap')).toBeInTheDocument();
    expect(screen.queryByTestId('forecast')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('the length of a post as its platform counts it', () => {
  beforeEach(() => {
    state.accounts = [ACCOUNT, { ...ACCOUNT, id: 's2', platform: 'linkedin', handle: 'acme-inc' }];
    state.posts = [
      { ...POST, id: 'p1', platform: 'twitter', content: 'Release notes at https://acme.dev/a/very/long/path/to/the/notes', characters: 40, character_limit: 280, status: 'draft', agent_generated: true, metadata: { written_by: 'model' } },
      { ...POST, id: 'p2', platform: 'twitter', content: 'A long thread opener', characters: 301, character_limit: 280, status: 'draft', agent_generated: true, metadata: { written_by: 'template' } },
      { ...POST, id: 'p3', social_account_id: 's2', platform: 'linkedin', content: 'Quarterly update', characters: 16, character_limit: 3000, status: 'scheduled', scheduled_for: '2026-01-03T10:00:00Z', metadata: {} },
    ];
  });

  it("shows each post's count out of the platform's limit, in red past it", async () => {
    show();
    await screen.findByText('A long thread opener');
    const within280 = within(rowOf('Release notes at https://acme.dev/a/very/long/path/to/the/notes')).getByTestId('characters');
    expect(within280).toHaveTextContent('40 / 280');
    expect(within280).not.toHaveAttribute('data-over');
    expect(within280).not.toHaveClass('text-red-700');
    const over = within(rowOf('A long thread opener')).getByTestId('characters');
    expect(over).toHaveTextContent('301 / 280 · 21 over');
    expect(over).toHaveAttribute('data-over', 'true');
    expect(over).toHaveClass('text-red-700');
    expect(over).toHaveAttribute('title', '21 characters over the 280 this platform takes');
    expect(within(rowOf('Quarterly update')).getByTestId('characters')).toHaveTextContent('16 / 3000');
  });

  it('tags what an agent drafted, and what a model wrote', async () => {
    show();
    await screen.findByText('A long thread opener');
    const byModel = rowOf('Release notes at https://acme.dev/a/very/long/path/to/the/notes');
    expect(within(byModel).getByText('by an agent')).toBeInTheDocument();
    expect(within(byModel).getByText('written by a model')).toBeInTheDocument();
    const byTemplate = rowOf('A long thread opener');
    expect(within(byTemplate).getByText('by an agent')).toHaveAttribute('title', 'Drafted by the content agent from its template');
    expect(within(byTemplate).queryByText('written by a model')).toBeNull();
    const byPerson = rowOf('Quarterly update');
    expect(within(byPerson).queryByText('by an agent')).toBeNull();
  });

  it('counts the draft as it is typed, a link as 23 on X, and says the saved draft has the exact count', async () => {
    show();
    await userEvent.click(await screen.findByRole('button', { name: 'Draft a post' }));
    const dialog = screen.getByRole('dialog', { name: 'Draft a post' });
    await userEvent.type(within(dialog).getByLabelText('Content'), 'See https://acme.dev/a/very/long/path 🚀');
    const count = within(dialog).getByTestId('draft-characters');
    // "See " 4 + the link 23 + " " 1 + the emoji 2.
    expect(count).toHaveTextContent('About 30 / 280 characters, as X counts them (a link is 23, an emoji 2); the saved draft shows the exact count.');
    expect(count).not.toHaveAttribute('data-over');
    await userEvent.selectOptions(within(dialog).getByLabelText('Account'), 's2');
    expect(within(dialog).getByTestId('draft-characters')).toHaveTextContent('About 39 / 3000 characters; the saved draft shows the exact count.');
    await userEvent.selectOptions(within(dialog).getByLabelText('Account'), 's1');
    await userEvent.type(within(dialog).getByLabelText('Content'), ` ${'x'.repeat(255)}`);
    const over = within(dialog).getByTestId('draft-characters');
    expect(over).toHaveAttribute('data-over', 'true');
    expect(over).toHaveTextContent('About 286 / 280 characters (6 over)');
  });
});
