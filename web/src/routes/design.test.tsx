import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import axe from 'axe-core';

const state = vi.hoisted(() => ({
  canAct: true,
  components: [] as unknown[],
  reports: [] as unknown[],
  code: {} as Record<string, unknown>,
  posts: [] as string[],
  codeAsked: [] as string[],
}));

vi.mock('../api/hooks', () => ({
  useCan: () => state.canAct,
  useInvalidateOrg: () => () => Promise.resolve(),
  useOrgKey: (...parts: unknown[]) => ['org', 'o1', ...parts],
  useOrganization: () => ({ organizationId: 'o1', role: state.canAct ? 'member' : 'viewer' }),
}));
vi.mock('./agents/Waiting', () => ({
  QueuedTask: ({ task, what }: { task: { id: string }; what: string }) => (
    <p data-testid="queued-task">
      {what} queued as {task.id}
    </p>
  ),
  useLiveTask: (task: unknown) => task,
  isFinished: () => false,
}));

function answer(status: number, data: unknown) {
  const response = new Response(null, { status });
  return status < 400 ? { data, response } : { error: data, response };
}

vi.mock('../api/rest', async () => {
  const { call } = await import('../api/call');
  return {
    call,
    api: {
      GET: async (path: string, init?: { params?: { path?: Record<string, string> } }) => {
        const id = init?.params?.path?.id ?? '';
        if (path === '/api/figma/files') return answer(200, { items: [{ id: 'f1', organization_id: 'o1', figma_file_key: 'KEY1', name: 'Library', file_type: 'component_library', metadata: {}, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' }] });
        if (path === '/api/design-components') return answer(200, { items: state.components });
        if (path === '/api/design/drift') return answer(200, { items: state.reports });
        if (path === '/api/design-components/{id}/code') {
          state.codeAsked.push(id);
          const code = state.code[id];
          return code ? answer(200, code) : answer(404, { type: 'about:blank', title: 'Not found', status: 404, detail: 'no code has been generated for this component yet' });
        }
        if (path === '/api/agent-tasks/{id}') return answer(200, { id, status: 'needs_approval', task_type: 'open_pull_request' });
        return answer(200, { items: [] });
      },
      POST: async (path: string) => {
        state.posts.push(path);
        return answer(202, { id: `task-${state.posts.length}`, status: 'pending', task_type: 'check_design_drift' });
      },
    },
  };
});

const { Design } = await import('./Design');

const TIMES = { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };
const DIFFERENCES = [
  { kind: 'options_differ', property: 'size', only_in_figma: ['large'], only_in_code: [] },
  { kind: 'property_missing_in_code', property: 'hasIcon' },
  { kind: 'kind_differs', property: 'disabled', figma: 'boolean', code: 'string' },
];
const DRIFT = { repository: 'acme/web', reference: 'main', checked_at: '2026-01-02T00:00:00Z' };
const COMPONENTS = [
  { id: 'button', figma_file_id: 'f1', figma_component_id: '1:1', name: 'Button', component_type: 'component_set', code_generated: true, code_path: 'src/components/Button.tsx', usage_count: 4, metadata: {}, drift: { ...DRIFT, status: 'differs', code_path: 'src/components/Button.tsx', differences: DIFFERENCES }, ...TIMES },
  { id: 'small', figma_file_id: 'f1', figma_component_id: '1:2', name: 'Size=Small', component_type: 'variant', code_generated: false, usage_count: 0, metadata: { component_set: '1:1' }, drift: null, ...TIMES },
  { id: 'large', figma_file_id: 'f1', figma_component_id: '1:3', name: 'Size=Large', component_type: 'variant', code_generated: false, usage_count: 0, metadata: { component_set: '1:1' }, drift: null, ...TIMES },
  { id: 'field', figma_file_id: 'f1', figma_component_id: '2:1', name: 'Forms/Text field', component_type: 'component', code_generated: false, usage_count: 1, metadata: {}, drift: { ...DRIFT, status: 'missing_in_code', differences: [] }, ...TIMES },
  { id: 'badge', figma_file_id: 'f1', figma_component_id: '3:1', name: 'Badge', component_type: 'component', code_generated: true, code_path: 'src/components/Badge.tsx', usage_count: 2, metadata: {}, drift: { ...DRIFT, status: 'in_sync', differences: [] }, ...TIMES },
  { id: 'avatar', figma_file_id: 'f1', figma_component_id: '4:1', name: 'Avatar', component_type: 'component', code_generated: false, usage_count: 0, metadata: {}, drift: null, ...TIMES },
];
const REPORT = {
  task_id: 't-drift',
  ...DRIFT,
  patterns: ['src/components/**/*.tsx'],
  figma_components: 3,
  code_components: 3,
  in_sync: 1,
  differ: 1,
  missing_in_code: 1,
  components: [
    { design_component_id: 'badge', name: 'Badge', code_name: 'Badge', status: 'in_sync', code_path: 'src/components/Badge.tsx', differences: [] },
    { design_component_id: 'field', name: 'Forms/Text field', code_name: 'TextField', status: 'missing_in_code', code_path: null, differences: [] },
    { design_component_id: 'button', name: 'Button', code_name: 'Button', status: 'differs', code_path: 'src/components/Button.tsx', differences: DIFFERENCES },
  ],
  missing_in_figma: [{ name: 'Tooltip', path: 'src/components/Tooltip.tsx' }],
  notes: ['src/components/Legacy.tsx: its props could not be read'],
};
const BUTTON_CODE = {
  task_id: 't-generate',
  design_component_id: 'button',
  name: 'Button',
  generated_at: '2026-01-03T00:00:00Z',
  files: [
    { path: 'src/components/Button.tsx', contents: "export function Button({ size = 'medium' }: ButtonProps) {\n  return <button data-size={size} />;\n}\n" },
    { path: 'src/components/Button.stories.tsx', contents: "export default { title: 'Button' };\n" },
  ],
  pull_request_task_id: 't-pull-request',
};

function show() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/design']}>
        <Design />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

function rowOf(name: string): HTMLElement {
  return within(screen.getByTestId('design-components')).getByText(name).closest('tr')!;
}

afterEach(cleanup);
beforeEach(() => {
  state.canAct = true;
  state.components = COMPONENTS;
  state.reports = [REPORT];
  state.code = { button: BUTTON_CODE };
  state.posts = [];
  state.codeAsked = [];
});

describe('the components table', () => {
  it('hides variants behind their set, which counts them', async () => {
    show();
    await screen.findByTestId('design-components');
    expect(screen.getAllByTestId('design-component').map((row) => row.dataset.componentId)).toEqual(['button', 'field', 'badge', 'avatar']);
    expect(rowOf('Button')).toHaveTextContent('2 variants');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Show variants (2)' }));
    expect(screen.getAllByTestId('design-component')).toHaveLength(6);
    expect(rowOf('Size=Small')).toHaveTextContent('in Button');
    expect(within(rowOf('Size=Small')).getByTestId('drift-cell')).toHaveTextContent('with its set');
  });

  it('shows each component’s drift as a badge', async () => {
    show();
    await screen.findByTestId('design-components');
    const drift = (name: string) => within(rowOf(name)).getByTestId('drift-cell');
    expect(drift('Button')).toHaveTextContent('differs · 3');
    expect(within(drift('Button')).getByText('differs · 3')).toHaveAttribute('title', 'size: Figma has large, the code does not\nhasIcon: in Figma, not in the code\ndisabled: Figma boolean, code string');
    expect(drift('Forms/Text field')).toHaveTextContent('missing in code');
    expect(drift('Badge')).toHaveTextContent('in step');
    expect(drift('Avatar')).toHaveTextContent('not checked');
  });
});

describe('the drift card', () => {
  it('sums up the latest report and writes each difference for a person', async () => {
    show();
    const report = await screen.findByTestId('drift-report');
    expect(report).toHaveTextContent('1 of 3 Figma components in step with the code');
    expect(report).toHaveTextContent('acme/web@main');
    expect(within(report).getByTestId('drift-count-in_sync')).toHaveTextContent('In step1');
    expect(within(report).getByTestId('drift-count-differ')).toHaveTextContent('Differ1');
    expect(within(report).getByTestId('drift-count-missing_in_code')).toHaveTextContent('Missing in code1');
    expect(within(report).getByTestId('drift-count-missing_in_figma')).toHaveTextContent('Only in code1');
    expect(within(report).getByTestId('drift-patterns')).toHaveTextContent('src/components/**/*.tsx');
    expect(within(report).getByTestId('drift-notes')).toHaveTextContent('src/components/Legacy.tsx: its props could not be read');

    const findings = within(report).getAllByTestId('drift-finding');
    expect(findings.map((finding) => finding.dataset.status)).toEqual(['differs', 'missing_in_code']);
    expect(within(findings[0]!).getAllByTestId('drift-difference').map((item) => item.textContent)).toEqual([
      'size: Figma has large, the code does not',
      'hasIcon: in Figma, not in the code',
      'disabled: Figma boolean, code string',
    ]);
    expect(findings[1]).toHaveTextContent('Forms/Text field');
    expect(findings[1]).toHaveTextContent('No code component is named TextField');
    expect(within(report).getByTestId('missing-in-figma')).toHaveTextContent('Tooltip');
    expect(within(report).getByTestId('missing-in-figma')).toHaveTextContent('src/components/Tooltip.tsx');
  });

  it('explains the agent when no check was made yet', async () => {
    state.reports = [];
    show();
    expect(await screen.findByText('No drift report yet')).toBeInTheDocument();
    expect(screen.getByText(/after each library publish, or when asked/)).toBeInTheDocument();
  });

  it('asks for a check now and follows its task', async () => {
    show();
    await screen.findByTestId('drift-report');
    await userEvent.click(screen.getByRole('button', { name: 'Check drift now' }));
    await waitFor(() => expect(state.posts).toEqual(['/api/design/drift']));
    expect(await screen.findByText('Drift check queued as task-1')).toBeInTheDocument();
  });

  it('offers no check, generation or regeneration to a role that may not start agents', async () => {
    state.canAct = false;
    show();
    await screen.findByTestId('drift-report');
    expect(screen.queryByRole('button', { name: 'Check drift now' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Generate code/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Generate again/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'View code of Button' })).toBeInTheDocument();
  });
});

describe('the generated code card', () => {
  it('shows each generated file with its path, contents and a copy button, and the pull request waiting', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    show();
    const code = await screen.findByTestId('generated-code');
    expect(screen.getByRole('combobox', { name: 'Component' })).toHaveValue('button');
    const files = within(code).getAllByTestId('generated-file');
    expect(files.map((file) => within(file).getByTestId('generated-file-contents').getAttribute('aria-label'))).toEqual(['Contents of src/components/Button.tsx', 'Contents of src/components/Button.stories.tsx']);
    expect(within(files[0]!).getByRole('region', { name: 'Contents of src/components/Button.tsx' }).textContent).toBe(BUTTON_CODE.files[0]!.contents);
    expect(files[1]).toHaveTextContent("export default { title: 'Button' };");
    fireEvent.click(within(files[1]!).getByRole('button', { name: 'Copy src/components/Button.stories.tsx' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(BUTTON_CODE.files[1]!.contents));
    const note = await within(code).findByTestId('pull-request-note');
    expect(note).toHaveTextContent('The pull request with these files waits for approval.');
    expect(within(note).getByRole('link', { name: /See the task/ })).toHaveAttribute('href', '/agents/tasks/t-pull-request');
  });

  it('says none is generated yet when the node answers 404', async () => {
    show();
    await screen.findByTestId('generated-code');
    await userEvent.click(screen.getByRole('button', { name: 'View code of Badge' }));
    expect(await screen.findByText('No code generated for Badge yet')).toBeInTheDocument();
    expect(state.codeAsked).toContain('badge');
    expect(screen.queryByTestId('generated-code')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('explains the generator when no component has code', async () => {
    state.components = COMPONENTS.map((component) => ({ ...component, code_generated: false }));
    show();
    expect(await screen.findByText('No generated components yet')).toBeInTheDocument();
    expect(state.codeAsked).toEqual([]);
  });

  it('shows the component it was asked to generate', async () => {
    show();
    await screen.findByTestId('generated-code');
    await userEvent.click(screen.getByRole('button', { name: 'Generate code for Avatar' }));
    await waitFor(() => expect(state.posts).toEqual(['/api/design-components/{id}/generate-code']));
    expect(await screen.findByText('Code generation queued as task-1')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Component' })).toHaveValue('avatar');
    expect(await screen.findByText('No code generated for Avatar yet')).toBeInTheDocument();
  });
});

describe('accessibility', () => {
  it('has no serious or critical axe violation with a report, variants shown and code open', async () => {
    show();
    await screen.findByTestId('generated-code');
    await screen.findByTestId('drift-report');
    await screen.findByTestId('pull-request-note');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Show variants (2)' }));
    const results = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false }, 'label-content-name-mismatch': { enabled: false } }, resultTypes: ['violations'] });
    const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
    expect(serious.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
  });
});
