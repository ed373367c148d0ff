import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';

const state = vi.hoisted(() => ({ searches: [] as string[] }));

vi.mock('../api/hooks', () => ({
  useOrganization: () => ({ role: 'member', organizations: [], organizationId: 'o1' }),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
}));
const HITS = [
  { kind: 'deployment', id: 'd1', title: 'web production ready', snippet: 'web-abc.vercel.app main «deploy» the <b>login</b> fix', rank: 3, updated_at: '2026-01-01T00:00:00Z' },
  { kind: 'finding', id: 'pr7', title: 'Review of #7 Add billing', snippet: 'high secret «deploy» key', rank: 2, updated_at: '2026-01-01T00:00:00Z' },
  { kind: 'event', id: 'e1', title: 'deployment.error', snippet: 'vercel {"«deploy»ment": 1}', rank: 1, updated_at: '2026-01-01T00:00:00Z' },
].map((hit) => ({ ...hit, matched_by: 'words', similarity: null }));
// Found by meaning too: one by its words and meaning, one by its meaning alone (its snippet is the text's start).
const MEANING_HITS = [
  { kind: 'pull_request', id: 'pr9', title: 'Rate-limit the login endpoint', snippet: 'Stops «outage» from a login storm', rank: 0.03, updated_at: '2026-01-01T00:00:00Z', matched_by: 'both', similarity: 0.71 },
  { kind: 'event', id: 'e2', title: 'incident.opened', snippet: 'The API answered 503 for ten minutes', rank: 0.02, updated_at: '2026-01-01T00:00:00Z', matched_by: 'meaning', similarity: 0.64 },
];
function answer(q: string) {
  if (q.startsWith('depl')) return { query: q, mode: 'hybrid', hits: HITS };
  if (q.startsWith('outage')) return { query: q, mode: 'hybrid', hits: MEANING_HITS };
  // The node could not compare meanings for this query: words alone answered.
  if (q.startsWith('rollb')) return { query: q, mode: 'full_text_fallback', hits: HITS.slice(0, 1) };
  return { query: q, mode: 'full_text', hits: [] };
}
vi.mock('../api/rest', () => ({
  api: {
    GET: async (path: string, init?: { params?: { query?: { q?: string } } }) => {
      if (path !== '/api/search') throw new Error(`unexpected ${path}`);
      const q = init?.params?.query?.q ?? '';
      state.searches.push(q);
      return { data: answer(q), response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { CommandPalette } = await import('./CommandPalette');
const { useUi } = await import('../stores/ui');

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.pathname + location.search}</output>;
}

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/']}>
        <CommandPalette />
        <Routes>
          <Route path="*" element={<Where />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  act(() => useUi.getState().setPaletteOpen(true));
}

afterEach(cleanup);
beforeEach(() => {
  state.searches = [];
  useUi.getState().setPaletteOpen(false);
});

describe('searching from the command palette', () => {
  it('does not search one character', async () => {
    show();
    await userEvent.type(screen.getByRole('combobox', { name: 'Command' }), 'd');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(state.searches).toEqual([]);
    expect(screen.queryByRole('group', { name: 'Search' })).toBeNull();
  });

  it('searches once the typing pauses, and lists the hits under "Search" with their kind and highlighted snippet', async () => {
    show();
    await userEvent.type(screen.getByRole('combobox', { name: 'Command' }), 'deploy');
    const group = await screen.findByRole('group', { name: 'Search' });
    const hits = await within(group).findAllByRole('option');
    // Debounced: one request for what was typed, not one per keystroke.
    expect(state.searches).toEqual(['deploy']);
    expect(hits.map((hit) => hit.dataset.kind)).toEqual(['deployment', 'finding', 'event']);
    expect(hits[0]).toHaveTextContent('web production ready');
    expect(hits[0]).toHaveTextContent('Deployment');
    expect(hits[1]).toHaveTextContent('Review finding');
    // The match is a <mark>; the snippet's markup stays text.
    expect(hits[0]!.querySelector('mark')).toHaveTextContent('deploy');
    expect(hits[0]!.querySelector('b')).toBeNull();
    expect(hits[0]).toHaveTextContent('the <b>login</b> fix');
  });

  it('goes to a deployment in its tab, a finding to its pull request, an event to the event log', async () => {
    show();
    await userEvent.type(screen.getByRole('combobox', { name: 'Command' }), 'deploy');
    const group = await screen.findByRole('group', { name: 'Search' });
    await userEvent.click((await within(group).findAllByRole('option'))[0]!);
    expect(screen.getByTestId('where')).toHaveTextContent('/development/deployments?id=d1');
    expect(screen.queryByRole('dialog', { name: 'Command palette' })).toBeNull();

    act(() => useUi.getState().setPaletteOpen(true));
    await userEvent.type(screen.getByRole('combobox', { name: 'Command' }), 'deploy');
    await userEvent.click((await within(await screen.findByRole('group', { name: 'Search' })).findAllByRole('option'))[1]!);
    expect(screen.getByTestId('where')).toHaveTextContent('/development?pr=pr7');

    act(() => useUi.getState().setPaletteOpen(true));
    const input = screen.getByRole('combobox', { name: 'Command' });
    await userEvent.type(input, 'deploy');
    await within(await screen.findByRole('group', { name: 'Search' })).findAllByRole('option');
    // By keyboard: past the matching commands to the last hit.
    const options = screen.getAllByRole('option');
    for (let step = 1; step < options.length; step += 1) await userEvent.keyboard('{ArrowDown}');
    expect(input).toHaveAttribute('aria-activedescendant', 'palette-search-event-e1');
    await userEvent.keyboard('{Enter}');
    expect(screen.getByTestId('where')).toHaveTextContent('/intelligence?type=deployment.error&event=e1');
  });

  it('tags a hit found by its meaning alone, and no other', async () => {
    show();
    await userEvent.type(screen.getByRole('combobox', { name: 'Command' }), 'outage');
    const group = await screen.findByRole('group', { name: 'Search' });
    const hits = await within(group).findAllByRole('option');
    expect(hits.map((hit) => hit.dataset.matchedBy)).toEqual(['both', 'meaning']);
    expect(within(hits[0]!).queryByTestId('search-hit-meaning')).toBeNull();
    const tag = within(hits[1]!).getByTestId('search-hit-meaning');
    expect(tag).toHaveTextContent('by meaning');
    expect(tag).toHaveAttribute('title', 'Found by meaning, not by its words: 64 % similar');
    // The tag is part of what the option says.
    expect(hits[1]).toHaveAccessibleName(expect.stringContaining('by meaning'));
    // A snippet found by meaning has no match to mark.
    expect(hits[1]!.querySelector('mark')).toBeNull();
    expect(hits[1]).toHaveTextContent('The API answered 503 for ten minutes');
    expect(screen.queryByTestId('search-mode-note')).toBeNull();
  });

  it('says when meaning was unavailable and words alone answered', async () => {
    show();
    await userEvent.type(screen.getByRole('combobox', { name: 'Command' }), 'rollback');
    const group = await screen.findByRole('group', { name: 'Search' });
    await within(group).findAllByRole('option');
    expect(within(group).getByTestId('search-mode-note')).toHaveTextContent('Search by meaning is unavailable right now; these matched by words.');
    // The note is not an option the keyboard moves to.
    expect(within(group).getAllByRole('option')).toHaveLength(1);
  });

  it('says when nothing is found', async () => {
    show();
    await userEvent.type(screen.getByRole('combobox', { name: 'Command' }), 'zzqx');
    await waitFor(() => expect(screen.getByTestId('search-status')).toHaveTextContent('Nothing found for “zzqx”.'));
    expect(screen.queryByTestId('search-hit')).toBeNull();
  });
});
