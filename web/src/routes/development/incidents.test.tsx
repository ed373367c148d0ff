import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import type { ReactNode } from 'react';
import type { TaskWhole } from '../../api/models';
import { formatDuration, groupIncidents, incidentIdOf, pendingRollbackOf, type IncidentEvent } from './incidents';
import { causeLabel, failureAnalysisOf, latestFailureAnalysis } from './failure';
import { FailureAnalysisView } from './FailureAnalysis';
import { IncidentCard } from './Incidents';
import { ModelNotes } from './DevelopmentArea';

afterEach(cleanup);

function event(id: string, eventType: string, createdAt: string, metadata: Record<string, unknown>): IncidentEvent {
  return { id, eventType, resourceId: null, metadata, createdAt };
}

function task(overrides: Partial<TaskWhole> = {}): TaskWhole {
  return {
    id: 't1', organization_id: 'o1', agent_id: 'a1', agent_type: 'deployment', task_type: 'analyze_deployment_failure', description: null, status: 'completed', priority: 5,
    input_data: null, output_data: null, error_message: null, started_at: null, completed_at: null, duration_seconds: null, retry_count: 0,
    max_attempts: 3, attempt: 1, run_after: '2026-01-01T00:00:00Z', lease_owner: null, lease_expires_at: null, requires_human_approval: false,
    approved_by: null, approved_at: null, rejected_by: null, rejected_at: null, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
    waiting_reason: null, idempotency_key: null,
    ...overrides,
  };
}

function wrap(children: ReactNode) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>{children}</MemoryRouter>
    </QueryClientProvider>,
  );
}

// Newest first, as the node lists them; two incidents interleaved.
const EVENTS: IncidentEvent[] = [
  event('e6', 'incident.rollback_proposed', '2026-03-01T10:05:01Z', { incident: 'inc-b' }),
  event('e5', 'incident.opened', '2026-03-01T10:05:00Z', { incident: 'inc-b', reason: 'the deploy pipeline’s monitor found shop unhealthy', severity: 'high', deployment: { project: 'shop', vercel_deployment_id: 'dpl_2' } }),
  event('e4', 'incident.resolved', '2026-03-01T09:03:05Z', { incident: 'inc-a' }),
  event('e3', 'incident.rolled_back', '2026-03-01T09:02:00Z', { incident: 'inc-a', to: 'dpl_0' }),
  event('e2', 'incident.rollback_proposed', '2026-03-01T09:00:01Z', { incident: 'inc-a' }),
  event('e1', 'incident.opened', '2026-03-01T09:00:00Z', { incident: 'inc-a', reason: 'the production deployment of web failed', severity: 'critical', deployment: { project: 'web', vercel_deployment_id: 'dpl_1' } }),
  event('x1', 'vercel.deployment.error', '2026-03-01T08:59:00Z', { incident: 'not-an-incident-event' }),
];

describe('incidents from their events', () => {
  it('groups events by metadata.incident, newest incident first, each timeline oldest first', () => {
    const incidents = groupIncidents(EVENTS);
    expect(incidents.map((incident) => incident.id)).toEqual(['inc-b', 'inc-a']);
    expect(incidents[1]!.timeline.map((item) => item.eventType)).toEqual(['incident.opened', 'incident.rollback_proposed', 'incident.rolled_back', 'incident.resolved']);
    expect(incidents[0]!.timeline.map((item) => item.id)).toEqual(['e5', 'e6']);
  });

  it('reads status, project, reason and time to restore', () => {
    const [open, resolved] = groupIncidents(EVENTS);
    expect(open).toMatchObject({ status: 'open', project: 'shop', severity: 'high', resolvedAt: null, timeToRestoreSeconds: null, latest: 'incident.rollback_proposed' });
    expect(resolved).toMatchObject({ status: 'resolved', project: 'web', reason: 'the production deployment of web failed', timeToRestoreSeconds: 185 });
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(3720)).toBe('1 h 2 min');
  });

  it('counts a rejected or failed rollback, or a still unhealthy restore, as unresolved', () => {
    const [incident] = groupIncidents([EVENTS[5]!, EVENTS[4]!, event('r', 'incident.rollback_rejected', '2026-03-01T09:10:00Z', { incident: 'inc-a', task: 'rb' })]);
    expect(incident!.status).toBe('unresolved');
  });

  it('ignores duplicates and events of other kinds, and falls back to the event’s resource', () => {
    expect(groupIncidents([...EVENTS, EVENTS[0]!]).flatMap((incident) => incident.timeline)).toHaveLength(6);
    expect(incidentIdOf({ id: 'z', eventType: 'incident.opened', resourceId: 'inc-c', metadata: {}, createdAt: '2026-03-01T00:00:00Z' })).toBe('inc-c');
    expect(groupIncidents([])).toEqual([]);
  });

  it('finds the rollback that waits for approval by the incident its reason names', () => {
    const rollback = task({ id: 'rb1', task_type: 'rollback', status: 'needs_approval', input_data: { vercel_deployment_id: 'dpl_2', reason: 'incident inc-b: the deploy pipeline’s monitor found shop unhealthy' } });
    const other = task({ id: 'rb2', task_type: 'rollback', status: 'needs_approval', input_data: { reason: 'incident inc-z: another' } });
    const [open, resolved] = groupIncidents(EVENTS);
    expect(pendingRollbackOf(open!, [other, rollback])?.id).toBe('rb1');
    expect(pendingRollbackOf(resolved!, [rollback])).toBeNull();
  });

  it('renders the timeline with times, the status, the time to restore and the approval link', () => {
    const [open, resolved] = groupIncidents(EVENTS);
    wrap(
      <ul>
        <IncidentCard incident={resolved!} rollback={null} />
        <IncidentCard incident={open!} rollback={task({ id: 'rb1', task_type: 'rollback', status: 'needs_approval' })} />
      </ul>,
    );
    const [first, second] = screen.getAllByTestId('incident');
    expect(within(first!).getByText('resolved')).toBeInTheDocument();
    expect(within(first!).getByTestId('time-to-restore')).toHaveTextContent('restored in 3 min 5 s');
    expect(within(first!).getByText('Rolled back')).toBeInTheDocument();
    expect(within(first!).getByText('— to dpl_0')).toBeInTheDocument();
    expect(within(first!).getAllByRole('listitem')).toHaveLength(4);
    expect(within(first!).getAllByRole('listitem')[0]!.querySelector('time')).toHaveAttribute('datetime', '2026-03-01T09:00:00Z');
    expect(within(second!).getByText('open')).toBeInTheDocument();
    expect(within(second!).getByRole('link', { name: 'Open the approval inbox' })).toHaveAttribute('href', '/agents/approvals');
    expect(within(second!).queryByTestId('time-to-restore')).toBeNull();
  });
});

const ANALYSIS = {
  cause: 'missing_environment_variable',
  step: 'build',
  confidence: 0.9,
  summary: 'The build needs DATABASE_URL, which the project does not set.',
  evidence: [
    { line: 118, text: 'Error: Environment variable not found: DATABASE_URL' },
    { line: 121, text: 'Build failed with exit code 1' },
  ],
  lines_read: 240,
  vercel_deployment_id: 'dpl_1',
};

describe('failure analysis', () => {
  it('reads the analysis from a task output, and nothing from other outputs', () => {
    expect(failureAnalysisOf(ANALYSIS)).toEqual(ANALYSIS);
    expect(failureAnalysisOf({ healthy: false })).toBeNull();
    expect(failureAnalysisOf(null)).toBeNull();
    expect(causeLabel('out_of_memory')).toBe('Out of memory');
    expect(causeLabel('something_new')).toBe('something new');
  });

  it('takes the latest completed analysis of the deployment, by its id or Vercel’s', () => {
    const deployment = { id: 'd1', vercel_deployment_id: 'dpl_1' };
    const older = task({ id: 'old', input_data: { deployment_id: 'd1' }, output_data: { ...ANALYSIS, cause: 'timeout' }, completed_at: '2026-03-01T09:00:00Z' });
    const newer = task({ id: 'new', input_data: { vercel_deployment_id: 'dpl_1' }, output_data: ANALYSIS, completed_at: '2026-03-01T10:00:00Z' });
    const running = task({ id: 'run', status: 'in_progress', input_data: { deployment_id: 'd1' }, created_at: '2026-03-01T11:00:00Z' });
    const elsewhere = task({ id: 'other', input_data: { deployment_id: 'd2', vercel_deployment_id: 'dpl_2' }, output_data: ANALYSIS, completed_at: '2026-03-01T12:00:00Z' });
    const review = task({ id: 'review', task_type: 'check_deployment', input_data: { deployment_id: 'd1' }, completed_at: '2026-03-01T12:00:00Z' });
    expect(latestFailureAnalysis([older, newer, running, elsewhere, review], deployment)?.task.id).toBe('new');
    expect(latestFailureAnalysis([running], deployment)).toEqual({ task: running, analysis: null });
    expect(latestFailureAnalysis([elsewhere], deployment)).toBeNull();
  });

  it('shows the cause as a label, the summary and the evidence lines in a monospace list', () => {
    wrap(<FailureAnalysisView task={task({ output_data: ANALYSIS })} analysis={failureAnalysisOf(ANALYSIS)} />);
    expect(screen.getByTestId('failure-analysis')).toHaveAttribute('data-cause', 'missing_environment_variable');
    expect(screen.getByText('Missing environment variable')).toBeInTheDocument();
    expect(screen.getByTestId('failure-summary')).toHaveTextContent('The build needs DATABASE_URL');
    const evidence = screen.getByRole('list', { name: 'Evidence from the build log' });
    expect(evidence).toHaveClass('font-mono');
    const lines = within(evidence).getAllByRole('listitem');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toHaveTextContent('118Error: Environment variable not found: DATABASE_URL');
    expect(screen.getByText('240 build log lines read.')).toBeInTheDocument();
    expect(screen.getByTestId('failure-step')).toHaveTextContent('in the build step · named in the log');
  });

  it('reads an older analysis without a step or a confidence', () => {
    const older = { ...ANALYSIS, step: undefined, confidence: undefined };
    expect(failureAnalysisOf(older)).toEqual({ ...ANALYSIS, step: null, confidence: null });
    wrap(<FailureAnalysisView task={task({ output_data: older })} analysis={failureAnalysisOf(older)} />);
    expect(screen.queryByTestId('failure-step')).toBeNull();
  });

  it('says the analysis is not done yet, or why it failed', () => {
    wrap(<FailureAnalysisView task={task({ status: 'in_progress' })} analysis={null} />);
    expect(screen.getByText(/has not finished reading the build log/)).toBeInTheDocument();
    cleanup();
    wrap(<FailureAnalysisView task={task({ status: 'failed', error_message: 'Vercel is not connected' })} analysis={null} />);
    expect(screen.getByText('Vercel is not connected')).toBeInTheDocument();
  });
});

describe('the model’s notes on a review', () => {
  it('shows the summary labelled as the model’s', () => {
    wrap(<ModelNotes output={{ findings: [], llm: { summary: 'Adds a cache; check eviction.', comments: 2, comments_dropped: 1, model: 'small-model', input_tokens: 900, output_tokens: 100 } }} />);
    expect(screen.getByTestId('model-notes')).toHaveTextContent("The model's notes");
    expect(screen.getByTestId('model-notes')).toHaveTextContent('small-model');
    expect(screen.getByTestId('model-notes')).toHaveTextContent('2 line comments · 1 off the diff dropped · 1000 tokens');
    expect(screen.getByText('Adds a cache; check eviction.')).toBeInTheDocument();
  });

  it('shows the model’s error as a muted note, and nothing without llm', () => {
    wrap(<ModelNotes output={{ llm: { error: 'the provider answered 500' } }} />);
    expect(screen.getByTestId('model-error')).toHaveTextContent('the provider answered 500');
    cleanup();
    const { container } = wrap(<ModelNotes output={{ findings: [], llm: null }} />);
    expect(container).toBeEmptyDOMElement();
  });
});
