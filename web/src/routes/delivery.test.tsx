import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';

const state = vi.hoisted(() => ({ delivery: [] as { from: string; to: string }[], metrics: [] as string[], empty: false }));

vi.mock('../api/hooks', () => ({
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: 'viewer', me: { id: 'u1' } }),
}));
vi.mock('../api/live', () => ({ useLive: () => undefined }));

const KEYS = {
  deployment_frequency: { value: 0.4333, band: 'high' },
  lead_time_hours: { value: 26.46, band: 'medium' },
  change_failure_rate: { value: 7.69, band: 'elite' },
  time_to_restore_hours: null,
  deployments: 13,
  failures: 1,
  changes_deployed: 9,
  restored: 0,
};
const REPORT = {
  from: '2026-01-01T00:00:00Z',
  to: '2026-01-31T00:00:00Z',
  overall: KEYS,
  projects: [{ project: 'web', keys: { ...KEYS, deployment_frequency: { value: 0.1, band: 'low' } } }],
  business: { deployments_per_day: 0.47, pull_requests_merged_per_week: 5.25, social_posts_published: 3, agent_task_success_rate: null },
};
const EVENTS: Record<string, unknown[]> = {
  'anomaly.detected': [
    { id: 'a1', event_type: 'anomaly.detected', event_source: 'companyos', metadata: { series: 'webhook_rejections', observed: 12, expected: 1, lower: 0, upper: 3, readings: [{ detector: 'median_mad', score: 7.5, flagged: true }, { detector: 'ewma', score: 4, flagged: true }, { detector: 'weekly', score: 1, flagged: false }], summary: 'webhook deliveries that could not be processed: 12 in the last 24 h' }, created_at: '2026-01-30T10:05:00Z' },
  ],
  'recommendation.stale_pull_requests': [
    { id: 'r1', event_type: 'recommendation.stale_pull_requests', event_source: 'companyos', metadata: { subject: 'pull requests', title: '2 open pull requests have not moved for 7 days or more: merge, close or hand them over', evidence: { pull_requests: [{ id: 'p1', number: 4, title: 'Old change', repository: 'acme/api', idle_days: 9 }] } }, created_at: '2026-01-29T07:00:00Z' },
  ],
  'recommendation.risky_deployment_window': [
    { id: 'r2', event_type: 'recommendation.risky_deployment_window', event_source: 'companyos', metadata: { subject: 'Fri 16:00–20:00 UTC', title: 'Deployments on Fri 16:00–20:00 UTC fail 50 % of the time', evidence: { deployments: 6, failed: 3, failure_rate: 0.5 } }, created_at: '2026-01-30T07:00:00Z' },
  ],
};

vi.mock('../api/rest', () => ({
  api: {
    GET: async (path: string, init?: { params?: { query?: Record<string, string>; path?: Record<string, string> } }) => {
      const query = init?.params?.query ?? {};
      let data: unknown = { items: [] };
      if (path === '/api/analytics/delivery') {
        state.delivery.push({ from: query.from!, to: query.to! });
        data = state.empty ? { ...REPORT, overall: { ...KEYS, deployments: 0, failures: 0, changes_deployed: 0, lead_time_hours: null, change_failure_rate: null, deployment_frequency: { value: 0, band: 'low' } }, projects: [] } : REPORT;
      } else if (path === '/api/analytics/events') {
        data = { items: query.type ? (EVENTS[query.type] ?? []) : [] };
      } else if (path === '/api/analytics/metrics/{metric_type}') {
        state.metrics.push(init?.params?.path?.metric_type ?? '');
        data = { metric_type: init?.params?.path?.metric_type, points: [], summary: { count: 0 } };
      }
      return { data, response: new Response(null, { status: 200 }) };
    },
  },
  call: async (request: Promise<{ data: unknown }>) => (await request).data,
}));

const { Intelligence } = await import('./Intelligence');

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/intelligence']}>
        <Routes>
          <Route path="/intelligence" element={<Intelligence />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(cleanup);
beforeEach(() => {
  state.delivery = [];
  state.metrics = [];
  state.empty = false;
});

const days = (range: { from: string; to: string }) => Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000);

describe('the delivery section of the Intelligence Hub', () => {
  it('shows the four DORA keys with their values, bands and counts', async () => {
    show();
    const cards = await screen.findAllByTestId('dora-key');
    expect(cards.map((card) => [card.dataset.key, within(card).getByTestId('dora-value').textContent, within(card).getByTestId('dora-band').dataset.band])).toEqual([
      ['deployment_frequency', '0.43/day', 'high'],
      ['lead_time_hours', '26.5 h', 'medium'],
      ['change_failure_rate', '7.7%', 'elite'],
      ['time_to_restore_hours', '—', 'none'],
    ]);
    expect(cards[0]).toHaveTextContent('High');
    expect(cards[2]).toHaveTextContent('1 of 13 deployments failed');
    expect(cards[3]).toHaveTextContent('No data');
    const project = within(screen.getByTestId('dora-projects')).getByTestId('dora-project');
    expect(project).toHaveTextContent('web');
    expect(project).toHaveTextContent('0.1/dayLow');
    const business = screen.getByTestId('business-metrics');
    expect(business).toHaveTextContent('0.47');
    expect(business).toHaveTextContent('5.3');
    expect(business).toHaveTextContent('no task finished in this range');
  });

  it('asks for the range chosen: 30 days first, then 7', async () => {
    show();
    await screen.findAllByTestId('dora-key');
    expect(state.delivery.map(days)).toEqual([30]);
    await userEvent.click(screen.getByRole('button', { name: '7 days' }));
    await waitFor(() => expect(state.delivery.map(days)).toEqual([30, 7]));
  });

  it("charts the analytics agent's series", async () => {
    show();
    await screen.findAllByTestId('dora-key');
    await waitFor(() => expect(state.metrics).toContain('dora.lead_time'));
    expect(state.metrics).toEqual(expect.arrayContaining(['dora.deployment_frequency', 'dora.change_failure_rate', 'dora.time_to_restore', 'deployments_per_day', 'pull_request_merge_velocity', 'social_posts_published', 'agent_task_success_rate']));
    expect(state.metrics).not.toContain('mttr');
  });

  it('says what is missing without production deployments', async () => {
    state.empty = true;
    show();
    expect(await screen.findByText('No production deployments in this range')).toBeInTheDocument();
    expect(screen.getAllByTestId('dora-key')).toHaveLength(4);
  });
});

describe('anomalies and recommendations', () => {
  it('lists an anomaly with its observed value against the expected band', async () => {
    show();
    const anomaly = await screen.findByTestId('anomaly');
    expect(anomaly).toHaveTextContent('Webhook deliveries not processed');
    expect(anomaly).toHaveTextContent('above the expected band');
    expect(anomaly).toHaveTextContent('observed 12 · expected 1 (band 0–3)');
    expect(anomaly).toHaveTextContent('Flagged by 2 of 3 detectors: median and MAD, moving average');
  });

  it('lists the recommendations newest first, their evidence folded', async () => {
    show();
    await waitFor(() => expect(screen.getAllByTestId('recommendation')).toHaveLength(2));
    const [first, second] = screen.getAllByTestId('recommendation');
    expect(first).toHaveTextContent('Risky deployment window');
    expect(first).toHaveTextContent('Failure rate50 %');
    expect(second).toHaveTextContent('2 open pull requests have not moved for 7 days or more');
    const evidence = second!.querySelector('details')!;
    expect(evidence.open).toBe(false);
    await userEvent.click(within(second!).getByText('Evidence'));
    expect(evidence.open).toBe(true);
    expect(within(second!).getByRole('link', { name: /#4\s*Old change/ })).toHaveAttribute('href', '/development?pr=p1');
  });
});
