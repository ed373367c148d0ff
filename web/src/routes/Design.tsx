// Design System Manager: Figma files and their components, the design QA agent's drift
// between the library and the code, and the code the component generator wrote.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Code2, FileCode2, GitCompareArrows, GitPullRequest, Info, PenTool, RefreshCw } from 'lucide-react';
import { api, call } from '../api/rest';
import { ApiProblem, isNotAvailable } from '../api/problem';
import { useCan, useInvalidateOrg, useOrgKey } from '../api/hooks';
import type { DesignComponentRow, DriftFinding, DriftReport, GeneratedCode, TaskRow } from '../api/models';
import { Badge, Button, Card, CopyButton, EmptyState, ErrorNotice, Field, LoadingBlock, Mono, PageHeader, Select, StatusBadge, Time, cx, tableClass, useFieldId } from '../components/ui';
import { shortId } from '../lib/time';
import { QueuedTask, isFinished, useLiveTask } from './agents/Waiting';
import {
  componentTypeLabel,
  differenceSentence,
  driftBadge,
  findingsToAct,
  isVariant,
  reportHeadline,
  setNameOf,
  setOf,
  variantCounts,
  variantsLabel,
} from './designSystem';

const CODE_CARD = 'generated-code';

/** A task an action queued, followed until it finishes; then what it changed is read again. */
interface Followed {
  task: TaskRow;
  what: string;
  refresh: readonly string[];
}

export function Design() {
  const files = useQuery({ queryKey: useOrgKey('figmaFiles'), queryFn: () => call(api.GET('/api/figma/files')) });
  const components = useQuery({ queryKey: useOrgKey('designComponents'), queryFn: () => call(api.GET('/api/design-components')) });
  const canAct = useCan('spawnAgents');
  const canSync = useCan('manageIntegrations');
  const [queued, setQueued] = useState<Followed | null>(null);
  const [showVariants, setShowVariants] = useState(false);
  const [viewing, setViewing] = useState<string | null>(null);
  const variantsToggle = useFieldId('show-variants');
  const codeSelect = useFieldId('generated-component');
  const fileItems = files.data?.items ?? [];
  const componentItems = components.data?.items ?? [];
  const fileNames = new Map(fileItems.map((file) => [file.id, file.name]));
  const counts = variantCounts(componentItems);
  const variants = componentItems.filter(isVariant).length;
  const rows = showVariants ? componentItems : componentItems.filter((component) => !isVariant(component));
  /** The row code is generated for: a variant's set. */
  const unitOf = (id: string) => {
    const component = componentItems.find((candidate) => candidate.id === id);
    const set = component && isVariant(component) ? setOf(component) : null;
    const owner = set ? componentItems.find((candidate) => candidate.figma_file_id === component?.figma_file_id && candidate.figma_component_id === set) : undefined;
    return owner?.id ?? id;
  };
  const sync = useMutation({
    mutationFn: (id: string) => call(api.POST('/api/figma/files/{id}/sync', { params: { path: { id } } })),
    onSuccess: (task) => setQueued({ task, what: 'Sync', refresh: ['figmaFiles', 'designComponents'] }),
  });
  const generate = useMutation({
    mutationFn: (id: string) => call(api.POST('/api/design-components/{id}/generate-code', { params: { path: { id } } })),
    onSuccess: (task, id) => {
      setQueued({ task, what: 'Code generation', refresh: ['designComponents', 'designCode'] });
      setViewing(unitOf(id));
    },
  });
  const viewCode = (id: string) => {
    setViewing(id);
    document.getElementById(CODE_CARD)?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    document.getElementById(codeSelect)?.focus({ preventScroll: true });
  };
  return (
    <div>
      <PageHeader title="Design System" description="Figma files and their components; drift between design and code, and the code generated from components." />
      <div className="space-y-4">
        {(sync.error || generate.error) && <ErrorNotice error={sync.error ?? generate.error} />}
        {queued && <FollowedTask key={queued.task.id} {...queued} />}
        <Card title="Figma files" bodyClassName="p-0">
          {files.isLoading && <div className="p-4"><LoadingBlock /></div>}
          {files.error && <div className="p-4"><ErrorNotice error={files.error} /></div>}
          {files.data && fileItems.length === 0 && (
            <div className="p-4">
              <EmptyState icon={<PenTool className="size-5" aria-hidden />} title="No Figma files yet">
                Connect Figma in <Link className="underline" to="/integrations">Integrations</Link> with a token and your team id or file keys; files and their library components are read on every sync.
              </EmptyState>
            </div>
          )}
          {fileItems.length > 0 && (
            <table className={tableClass}>
              <thead>
                <tr>
                  <th>File</th>
                  <th>Key</th>
                  <th>Type</th>
                  <th>Modified</th>
                  {canSync && <th className="sr-only">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {fileItems.map((file) => (
                  <tr key={file.id}>
                    <td className="font-medium">{file.name}</td>
                    <td><Mono>{file.figma_file_key}</Mono></td>
                    <td>{file.file_type ?? '—'}</td>
                    <td><Time iso={file.last_modified_at} className="text-muted" /></td>
                    {canSync && (
                      <td className="text-right">
                        <Button size="sm" variant="ghost" aria-label={`Sync ${file.name}`} icon={<RefreshCw className="size-3.5" aria-hidden />} loading={sync.isPending && sync.variables === file.id} onClick={() => sync.mutate(file.id)}>
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
        <Card
          title="Components"
          bodyClassName="p-0"
          actions={
            variants > 0 && (
              <label htmlFor={variantsToggle} className="flex cursor-pointer items-center gap-1.5 text-[12px]">
                <input id={variantsToggle} type="checkbox" className="size-3.5 accent-accent" checked={showVariants} onChange={(event) => setShowVariants(event.target.checked)} data-testid="show-variants" />
                Show variants ({variants})
              </label>
            )
          }
        >
          {components.isLoading && <div className="p-4"><LoadingBlock /></div>}
          {components.error && <div className="p-4"><ErrorNotice error={components.error} /></div>}
          {components.data && componentItems.length === 0 && <p className="px-4 py-5 text-[13px] text-muted">No components yet: they come with the Figma files' libraries.</p>}
          {rows.length > 0 && (
            <table className={tableClass} data-testid="design-components">
              <thead>
                <tr>
                  <th>Component</th>
                  <th>File</th>
                  <th>Type</th>
                  <th>Drift</th>
                  <th>Code</th>
                  <th className="text-right">Uses</th>
                  <th className="sr-only">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((component) => {
                  const variant = isVariant(component);
                  const setName = variant ? setNameOf(component, componentItems) : null;
                  const count = counts.get(component.id) ?? 0;
                  return (
                    <tr key={component.id} data-testid="design-component" data-component-id={component.id}>
                      <td className={cx(variant && 'pl-8')}>
                        <div className="flex flex-wrap items-center gap-1.5">
                          <span className="font-medium">{component.name}</span>
                          {count > 0 && <Badge tone="neutral">{variantsLabel(count)}</Badge>}
                        </div>
                        {setName && <div className="text-[12px] text-muted">in {setName}</div>}
                        {component.description && <div className="text-[12px] text-muted">{component.description}</div>}
                      </td>
                      <td>{fileNames.get(component.figma_file_id) ?? '—'}</td>
                      <td>{componentTypeLabel(component.component_type)}</td>
                      <td data-testid="drift-cell">{variant && !component.drift ? <span className="text-[12px] text-muted">with its set</span> : <DriftBadge drift={component.drift} />}</td>
                      <td>{component.code_generated ? <Mono>{component.code_path ?? 'generated'}</Mono> : <Badge tone="gray">not generated</Badge>}</td>
                      <td className="text-right tabular-nums">{component.usage_count}</td>
                      <td className="text-right">
                        <div className="flex items-center justify-end gap-1">
                          {component.code_generated && (
                            <Button size="sm" variant="ghost" aria-label={`View code of ${component.name}`} icon={<FileCode2 className="size-3.5" aria-hidden />} onClick={() => viewCode(component.id)}>
                              View code
                            </Button>
                          )}
                          {canAct && !variant && (
                            <Button size="sm" variant="ghost" aria-label={`Generate code for ${component.name}`} icon={<Code2 className="size-3.5" aria-hidden />} loading={generate.isPending && generate.variables === component.id} onClick={() => generate.mutate(component.id)}>
                              Generate code
                            </Button>
                          )}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Card>
        <DriftCard canAct={canAct} onGenerate={(id) => generate.mutate(id)} generating={generate.isPending ? generate.variables : undefined} />
        <GeneratedCodeCard components={componentItems} viewing={viewing} onView={setViewing} selectId={codeSelect} canAct={canAct} onGenerate={(id) => generate.mutate(id)} generating={generate.isPending ? generate.variables : undefined} />
      </div>
    </div>
  );
}

/** A queued task followed live; once it finishes, what it changed is read again. */
function FollowedTask({ task, what, refresh }: Followed) {
  const row = useLiveTask(task);
  const invalidate = useInvalidateOrg();
  const finished = isFinished(row);
  useEffect(() => {
    // Once, when the task finishes (`invalidate` is a new function on every render).
    if (finished) for (const key of refresh) void invalidate(key);
  }, [finished]);
  return <QueuedTask task={task} what={what} />;
}

function DriftBadge({ drift }: { drift: Parameters<typeof driftBadge>[0] }) {
  const badge = driftBadge(drift);
  return (
    <Badge tone={badge.tone} title={badge.title}>
      {badge.label}
    </Badge>
  );
}

// ---- drift

function DriftCard({ canAct, onGenerate, generating }: { canAct: boolean; onGenerate: (id: string) => void; generating: string | undefined }) {
  const reports = useQuery({ queryKey: useOrgKey('designDrift'), queryFn: () => call(api.GET('/api/design/drift')) });
  const check = useMutation({ mutationFn: () => call(api.POST('/api/design/drift')) });
  const [latest, ...earlier] = reports.data?.items ?? [];
  return (
    <Card
      title="Drift"
      actions={
        canAct && (
          <Button size="sm" icon={<GitCompareArrows className="size-3.5" aria-hidden />} loading={check.isPending} onClick={() => check.mutate()} data-testid="check-drift">
            Check drift now
          </Button>
        )
      }
    >
      <div className="space-y-4">
        {check.error && <ErrorNotice error={check.error} />}
        {check.data && <FollowedTask key={check.data.id} task={check.data} what="Drift check" refresh={['designDrift', 'designComponents']} />}
        {reports.isLoading && <LoadingBlock />}
        {reports.error && <ErrorNotice error={reports.error} what="Drift reports" />}
        {reports.data && !latest && (
          <EmptyState icon={<GitCompareArrows className="size-5" aria-hidden />} title="No drift report yet">
            The design QA agent compares the Figma library with the repository's code components after each library publish, or when asked{canAct ? ' with Check drift now' : ' by a member'}, and lists what drifted here.
          </EmptyState>
        )}
        {latest && <DriftReportView report={latest} canAct={canAct} onGenerate={onGenerate} generating={generating} />}
        {earlier.length > 0 && <EarlierChecks reports={earlier} />}
      </div>
    </Card>
  );
}

function DriftReportView({ report, canAct, onGenerate, generating }: { report: DriftReport; canAct: boolean; onGenerate: (id: string) => void; generating: string | undefined }) {
  const findings = findingsToAct(report);
  const stats: { label: string; value: number; dot: string; testId: string }[] = [
    { label: 'In step', value: report.in_sync, dot: 'bg-emerald-600', testId: 'in_sync' },
    { label: 'Differ', value: report.differ, dot: 'bg-amber-500', testId: 'differ' },
    { label: 'Missing in code', value: report.missing_in_code, dot: 'bg-red-600', testId: 'missing_in_code' },
    { label: 'Only in code', value: report.missing_in_figma.length, dot: 'bg-zinc-400', testId: 'missing_in_figma' },
  ];
  return (
    <div className="space-y-4" data-testid="drift-report">
      <div>
        <p className="text-[13px] font-medium">{reportHeadline(report)}</p>
        <p className="mt-0.5 flex flex-wrap items-center gap-x-1.5 text-[12px] text-muted">
          <Mono>
            {report.repository}@{report.reference}
          </Mono>
          <span aria-hidden>·</span>
          <span>
            checked <Time iso={report.checked_at} />
          </span>
          <span aria-hidden>·</span>
          <span>
            {report.figma_components} Figma and {report.code_components} code components
          </span>
        </p>
      </div>
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        {stats.map((stat) => (
          <div key={stat.label} className="rounded-md border border-line bg-panel-2/50 px-3 py-2" data-testid={`drift-count-${stat.testId}`}>
            <dt className="flex items-center gap-1.5 text-[12px] text-muted">
              <span className={cx('size-2 rounded-full', stat.dot)} aria-hidden />
              {stat.label}
            </dt>
            <dd className="text-lg font-semibold tabular-nums">{stat.value}</dd>
          </div>
        ))}
      </dl>
      {report.patterns.length > 0 && (
        <p className="text-[12px] text-muted" data-testid="drift-patterns">
          Code components found by{' '}
          {report.patterns.map((pattern, index) => (
            <span key={pattern}>
              {index > 0 && ', '}
              <Mono>{pattern}</Mono>
            </span>
          ))}
        </p>
      )}
      {report.notes.length > 0 && (
        <ul className="space-y-1 rounded-md border border-line bg-panel-2/50 px-3 py-2 text-[12px]" aria-label="Notes of the check" data-testid="drift-notes">
          {report.notes.map((note) => (
            <li key={note} className="flex items-start gap-1.5">
              <Info className="mt-0.5 size-3.5 shrink-0 text-muted" aria-hidden />
              <span>{note}</span>
            </li>
          ))}
        </ul>
      )}
      <section className="space-y-2">
        <h3 className="text-[12px] font-semibold">To bring in step</h3>
        {findings.length === 0 ? (
          <p className="text-[13px] text-muted">Every Figma component has a code component with the same properties and options.</p>
        ) : (
          <ul className="space-y-2">
            {findings.map((finding) => (
              <FindingItem key={finding.design_component_id} finding={finding} canAct={canAct} onGenerate={onGenerate} generating={generating === finding.design_component_id} />
            ))}
          </ul>
        )}
      </section>
      {report.missing_in_figma.length > 0 && (
        <section className="space-y-2">
          <h3 className="text-[12px] font-semibold">In the code, not in Figma</h3>
          <p className="text-[12px] text-muted">No Figma component is named after these code components: add them to the library, or rename them.</p>
          <ul className="divide-y divide-line rounded-md border border-line" data-testid="missing-in-figma">
            {report.missing_in_figma.map((component) => (
              <li key={`${component.path} ${component.name}`} className="flex flex-wrap items-baseline justify-between gap-x-3 px-3 py-1.5">
                <Mono className="font-medium">{component.name}</Mono>
                <code className="font-mono text-[12px] break-all text-muted">{component.path}</code>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function FindingItem({ finding, canAct, onGenerate, generating }: { finding: DriftFinding; canAct: boolean; onGenerate: (id: string) => void; generating: boolean }) {
  return (
    <li className="rounded-md border border-line px-3 py-2" data-testid="drift-finding" data-status={finding.status}>
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <span className="text-[13px] font-medium">{finding.name}</span>
        <DriftBadge drift={finding} />
        <span className="text-[12px] text-muted">
          code: <Mono>{finding.code_name}</Mono>
        </span>
        {finding.code_path && <code className="font-mono text-[12px] break-all text-muted">{finding.code_path}</code>}
      </div>
      {finding.status === 'missing_in_code' ? (
        <div className="mt-1 flex flex-wrap items-center justify-between gap-2">
          <p className="text-[12px] text-muted">
            No code component is named <Mono>{finding.code_name}</Mono>: generate it, or rename the code component that implements it.
          </p>
          {canAct && (
            <Button size="sm" variant="ghost" aria-label={`Generate code for ${finding.name}`} icon={<Code2 className="size-3.5" aria-hidden />} loading={generating} onClick={() => onGenerate(finding.design_component_id)}>
              Generate code
            </Button>
          )}
        </div>
      ) : (
        <ul className="mt-1 list-disc space-y-0.5 pl-5 text-[13px]" aria-label={`Differences of ${finding.name}`}>
          {finding.differences.map((difference, index) => (
            <li key={index} data-testid="drift-difference">
              {differenceSentence(difference)}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function EarlierChecks({ reports }: { reports: DriftReport[] }) {
  return (
    <details className="text-[12px]" data-testid="earlier-checks">
      <summary className="cursor-pointer text-muted">Earlier checks ({reports.length})</summary>
      <ul className="mt-2 divide-y divide-line rounded-md border border-line">
        {reports.map((report) => (
          <li key={report.task_id} className="flex flex-wrap items-center gap-x-2 gap-y-0.5 px-3 py-1.5">
            <Time iso={report.checked_at} />
            <Mono>
              {report.repository}@{report.reference}
            </Mono>
            <span className="text-muted">
              {report.in_sync} in step, {report.differ} differ, {report.missing_in_code} missing in code, {report.missing_in_figma.length} only in code
            </span>
          </li>
        ))}
      </ul>
    </details>
  );
}

// ---- generated code

/** The code last generated for a component; null while none was (the node answers 404). */
async function generatedCodeOf(id: string): Promise<GeneratedCode | null> {
  try {
    return await call(api.GET('/api/design-components/{id}/code', { params: { path: { id } } }));
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 404 && !isNotAvailable(error)) return null;
    throw error;
  }
}

function GeneratedCodeCard({
  components,
  viewing,
  onView,
  selectId,
  canAct,
  onGenerate,
  generating,
}: {
  components: DesignComponentRow[];
  viewing: string | null;
  onView: (id: string) => void;
  selectId: string;
  canAct: boolean;
  onGenerate: (id: string) => void;
  generating: string | undefined;
}) {
  const generated = components.filter((component) => component.code_generated);
  const asked = viewing ? components.find((component) => component.id === viewing) : undefined;
  const choices = asked && !asked.code_generated ? [...generated, asked] : generated;
  const selected = (viewing && choices.some((component) => component.id === viewing) ? viewing : null) ?? choices[0]?.id ?? null;
  const chosen = choices.find((component) => component.id === selected);
  const code = useQuery({
    queryKey: useOrgKey('designCode', selected),
    enabled: selected !== null,
    queryFn: () => generatedCodeOf(selected!),
  });
  return (
    <Card
      id={CODE_CARD}
      title="Generated code"
      actions={
        canAct &&
        chosen && (
          <Button size="sm" icon={<Code2 className="size-3.5" aria-hidden />} loading={generating === chosen.id} onClick={() => onGenerate(chosen.id)} aria-label={`Generate again: ${chosen.name}`}>
            Generate again
          </Button>
        )
      }
    >
      {choices.length === 0 ? (
        <EmptyState icon={<Code2 className="size-5" aria-hidden />} title="No generated components yet">
          Ask for code with Generate code on a component: the component generator writes a React component and its story from the Figma spec, shows them here and, when pull requests are on, proposes them in a pull request that waits for approval.
        </EmptyState>
      ) : (
        <div className="space-y-4">
          <div className="max-w-sm">
            <Field label="Component" htmlFor={selectId}>
              <Select id={selectId} value={selected ?? ''} onChange={(event) => onView(event.target.value)} data-testid="generated-component">
                {choices.map((component) => (
                  <option key={component.id} value={component.id}>
                    {component.name}
                    {component.code_generated ? '' : ' (not generated yet)'}
                  </option>
                ))}
              </Select>
            </Field>
          </div>
          {code.isLoading && <LoadingBlock />}
          {code.error && <ErrorNotice error={code.error} what="Generated code" />}
          {code.data === null && (
            <EmptyState icon={<FileCode2 className="size-5" aria-hidden />} title={`No code generated for ${chosen?.name ?? 'this component'} yet`}>
              {canAct ? 'Ask the component generator with Generate code; its files show here once it has written them.' : 'A member can ask the component generator for it; its files show here once it has written them.'}
            </EmptyState>
          )}
          {code.data && <GeneratedCodeView code={code.data} />}
        </div>
      )}
    </Card>
  );
}

function GeneratedCodeView({ code }: { code: GeneratedCode }) {
  return (
    <div className="space-y-3" data-testid="generated-code">
      <p className="flex flex-wrap items-center gap-x-1.5 text-[12px] text-muted">
        <Mono>{code.name}</Mono>
        <span>
          generated <Time iso={code.generated_at} />
        </span>
        <span aria-hidden>·</span>
        <span>
          {code.files.length} {code.files.length === 1 ? 'file' : 'files'}, by task{' '}
          <Link className="underline" to={`/agents/tasks/${code.task_id}`}>
            <Mono>{shortId(code.task_id)}</Mono>
          </Link>
        </span>
      </p>
      {code.pull_request_task_id && <PullRequestNote taskId={code.pull_request_task_id} />}
      {code.files.map((file) => (
        <figure key={file.path} className="overflow-hidden rounded-md border border-line" data-testid="generated-file">
          <figcaption className="flex flex-wrap items-center justify-between gap-2 border-b border-line bg-panel-2/60 px-3 py-1.5">
            <Mono className="break-all">{file.path}</Mono>
            <CopyButton value={file.contents} name={`Copy ${file.path}`} />
          </figcaption>
          <pre role="region" aria-label={`Contents of ${file.path}`} tabIndex={0} className="max-h-96 overflow-auto bg-panel p-3 font-mono text-[12px] leading-relaxed text-fg focus:outline-none focus-visible:ring-2 focus-visible:ring-ring/40" data-testid="generated-file-contents">
            {file.contents}
          </pre>
        </figure>
      ))}
    </div>
  );
}

/** The pull request task the generator asked for: waiting for approval, or done. */
function PullRequestNote({ taskId }: { taskId: string }) {
  const task = useQuery({
    queryKey: useOrgKey('tasks', 'one', taskId),
    queryFn: () => call(api.GET('/api/agent-tasks/{id}', { params: { path: { id: taskId } } })),
  });
  const status = task.data?.status;
  const sentence =
    status === 'completed'
      ? 'The pull request with these files is opened.'
      : status === 'failed' || status === 'rejected' || status === 'cancelled'
        ? 'The pull request with these files was not opened.'
        : status === 'needs_approval' || status === undefined
          ? 'The pull request with these files waits for approval.'
          : 'The pull request with these files is on its way.';
  return (
    <p className="flex flex-wrap items-center gap-1.5 rounded-md border border-line bg-panel-2/50 px-3 py-2 text-[12px]" data-testid="pull-request-note">
      <GitPullRequest className="size-3.5 shrink-0 text-muted" aria-hidden />
      <span>{sentence}</span>
      <Link className="underline" to={`/agents/tasks/${taskId}`}>
        See the task <Mono>{shortId(taskId)}</Mono>
      </Link>
      {status && <StatusBadge status={status} />}
      {status === 'needs_approval' && (
        <Link className="underline" to="/agents/approvals">
          approval inbox
        </Link>
      )}
    </p>
  );
}
