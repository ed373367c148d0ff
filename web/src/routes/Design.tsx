// Design System Manager: Figma files and components; drift and generated code once the
// design agents exist.
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Code2, GitCompareArrows, PenTool, RefreshCw } from 'lucide-react';
import { api, call } from '../api/rest';
import { useCan, useOrgKey } from '../api/hooks';
import { Badge, Button, Card, EmptyState, ErrorNotice, LoadingBlock, Mono, PageHeader, Time, tableClass } from '../components/ui';
import { QueuedTask } from './agents/Waiting';

export function Design() {
  const files = useQuery({ queryKey: useOrgKey('figmaFiles'), queryFn: () => call(api.GET('/api/figma/files')) });
  const components = useQuery({ queryKey: useOrgKey('designComponents'), queryFn: () => call(api.GET('/api/design-components')) });
  const canAct = useCan('spawnAgents');
  const canSync = useCan('manageIntegrations');
  const sync = useMutation({ mutationFn: (id: string) => call(api.POST('/api/figma/files/{id}/sync', { params: { path: { id } } })) });
  const generate = useMutation({ mutationFn: (id: string) => call(api.POST('/api/design-components/{id}/generate-code', { params: { path: { id } } })) });
  const fileNames = new Map((files.data?.items ?? []).map((file) => [file.id, file.name]));
  const fileItems = files.data?.items ?? [];
  const componentItems = components.data?.items ?? [];
  const lastTask = generate.data ?? sync.data;
  return (
    <div>
      <PageHeader title="Design System" description="Figma files and their components; drift between design and code, and generated components." />
      <div className="space-y-4">
        {(sync.error || generate.error) && <ErrorNotice error={sync.error ?? generate.error} />}
        {lastTask && <QueuedTask key={lastTask.id} task={lastTask} what={generate.data ? 'Code generation' : 'Sync'} />}
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
                        <Button size="sm" variant="ghost" icon={<RefreshCw className="size-3.5" aria-hidden />} loading={sync.isPending && sync.variables === file.id} onClick={() => sync.mutate(file.id)}>
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
        <Card title="Components" bodyClassName="p-0">
          {components.isLoading && <div className="p-4"><LoadingBlock /></div>}
          {components.error && <div className="p-4"><ErrorNotice error={components.error} /></div>}
          {components.data && componentItems.length === 0 && <p className="px-4 py-5 text-[13px] text-muted">No components yet: they come with the Figma files' libraries.</p>}
          {componentItems.length > 0 && (
            <table className={tableClass}>
              <thead>
                <tr>
                  <th>Component</th>
                  <th>File</th>
                  <th>Type</th>
                  <th>Code</th>
                  <th className="text-right">Uses</th>
                  {canAct && <th className="sr-only">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {componentItems.map((component) => (
                  <tr key={component.id}>
                    <td>
                      <div className="font-medium">{component.name}</div>
                      {component.description && <div className="text-[12px] text-muted">{component.description}</div>}
                    </td>
                    <td>{fileNames.get(component.figma_file_id) ?? '—'}</td>
                    <td>{component.component_type ?? '—'}</td>
                    <td>{component.code_generated ? <Mono>{component.code_path ?? 'generated'}</Mono> : <Badge tone="gray">not generated</Badge>}</td>
                    <td className="text-right tabular-nums">{component.usage_count}</td>
                    {canAct && (
                      <td className="text-right">
                        <Button size="sm" variant="ghost" icon={<Code2 className="size-3.5" aria-hidden />} loading={generate.isPending && generate.variables === component.id} onClick={() => generate.mutate(component.id)}>
                          Generate code
                        </Button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <div className="grid gap-4 lg:grid-cols-2">
          <Card title="Drift">
            <EmptyState icon={<GitCompareArrows className="size-5" aria-hidden />} title="No drift report yet">
              The design QA agent compares the library with the code and lists what drifted; it is not on this node yet.
            </EmptyState>
          </Card>
          <Card title="Generated code">
            <EmptyState icon={<Code2 className="size-5" aria-hidden />} title="No generated components yet">
              The component generator turns Figma components into React code here once it exists.
            </EmptyState>
          </Card>
        </div>
      </div>
    </div>
  );
}
