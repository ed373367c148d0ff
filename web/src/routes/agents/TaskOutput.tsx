// A task's output: `findings` (file, line, message, severity) as a list, the rest as JSON.
import { FileCode2 } from 'lucide-react';
import { Badge, Mono } from '../../components/ui';

export interface Finding {
  file?: string;
  path?: string;
  line?: number;
  severity?: string;
  message?: string;
  title?: string;
  rule?: string;
}

export function findingsOf(output: unknown): Finding[] {
  if (typeof output !== 'object' || output === null) return [];
  const findings = (output as { findings?: unknown }).findings;
  if (!Array.isArray(findings)) return [];
  return findings.filter((item): item is Finding => typeof item === 'object' && item !== null);
}

const SEVERITY: Record<string, 'red' | 'amber' | 'blue' | 'gray'> = { critical: 'red', high: 'red', error: 'red', medium: 'amber', warning: 'amber', low: 'blue', info: 'gray' };

export function Findings({ findings }: { findings: Finding[] }) {
  return (
    <ul className="divide-y divide-line rounded-md border border-line" data-testid="findings">
      {findings.map((finding, index) => (
        <li key={index} className="flex items-start gap-2 px-3 py-2 text-[13px]">
          <FileCode2 className="mt-0.5 size-4 shrink-0 text-muted" aria-hidden />
          <div className="min-w-0 flex-1">
            <Mono>
              {finding.file ?? finding.path ?? 'unknown file'}
              {finding.line !== undefined && `:${finding.line}`}
            </Mono>
            <p>{finding.message ?? finding.title ?? JSON.stringify(finding)}</p>
          </div>
          {finding.severity && <Badge tone={SEVERITY[finding.severity.toLowerCase()] ?? 'gray'}>{finding.severity}</Badge>}
        </li>
      ))}
    </ul>
  );
}

export function TaskOutput({ output }: { output: unknown }) {
  if (output === null || output === undefined) return <p className="text-[13px] text-muted">No output yet.</p>;
  const findings = findingsOf(output);
  const rest = findings.length && typeof output === 'object' ? Object.fromEntries(Object.entries(output as Record<string, unknown>).filter(([key]) => key !== 'findings')) : output;
  return (
    <div className="space-y-2">
      {findings.length > 0 && <Findings findings={findings} />}
      {(typeof rest !== 'object' || rest === null || Object.keys(rest).length > 0) && (
        <pre tabIndex={0} className="max-h-72 overflow-auto rounded-md border border-line bg-panel-2 p-3 font-mono text-[12px]">{JSON.stringify(rest, null, 2)}</pre>
      )}
    </div>
  );
}

/** One line that says what the output holds. */
export function outputSummary(output: unknown): string {
  if (output === null || output === undefined) return '';
  const findings = findingsOf(output);
  if (findings.length) return `${findings.length} finding${findings.length === 1 ? '' : 's'}`;
  const text = JSON.stringify(output);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
