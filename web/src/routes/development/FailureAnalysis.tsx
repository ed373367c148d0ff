// Why a failed deployment failed, as the deployment agent's `analyze_deployment_failure`
// concluded: the cause as a label, the summary, and the build lines that show it.
import { Link } from 'react-router';
import { SearchX } from 'lucide-react';
import type { TaskRow } from '../../api/models';
import { Badge, Mono, StatusBadge, Time } from '../../components/ui';
import { shortId } from '../../lib/time';
import { causeLabel, confidenceLabel, stepLabel, type FailureAnalysis } from './failure';
import { WaitingNotice } from '../agents/Waiting';
import { waitingOf } from '../agents/waiting';

const CAUSE_TONES: Record<string, 'red' | 'amber' | 'violet' | 'gray'> = {
  out_of_memory: 'red',
  timeout: 'amber',
  missing_environment_variable: 'violet',
  dependency_install: 'amber',
  failing_tests: 'red',
  build_error: 'red',
  unknown: 'gray',
};

export function FailureAnalysisView({ task, analysis }: { task: TaskRow; analysis: FailureAnalysis | null }) {
  const waiting = waitingOf(task);
  return (
    <div className="space-y-2 text-[13px]" data-testid="failure-analysis" data-cause={analysis?.cause ?? ''}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-[12px] font-semibold">Why it failed</span>
        {analysis ? (
          <Badge tone={CAUSE_TONES[analysis.cause] ?? 'gray'} title={analysis.cause}>
            {causeLabel(analysis.cause)}
          </Badge>
        ) : null}
        {analysis?.step ? (
          <span className="text-[12px] text-muted" data-testid="failure-step">
            in {stepLabel(analysis.step)}
            {analysis.confidence != null ? ` · ${confidenceLabel(analysis.confidence)}` : ''}
          </span>
        ) : null}
        {analysis ? null : (
          <StatusBadge status={task.status} />
        )}
        <Link to={`/agents/tasks/${task.id}`} className="text-[12px] text-muted hover:underline">
          analysis <Mono className="text-muted">{shortId(task.id)}</Mono>
        </Link>
        <Time iso={task.completed_at ?? task.created_at} className="text-[12px] text-muted" />
      </div>
      {analysis ? (
        <>
          {analysis.summary && <p data-testid="failure-summary">{analysis.summary}</p>}
          {analysis.evidence.length > 0 ? (
            <ol className="max-h-56 overflow-auto rounded-md border border-line bg-panel-2 py-1 font-mono text-[12px]" aria-label="Evidence from the build log" data-testid="failure-evidence">
              {analysis.evidence.map((item, index) => (
                <li key={`${item.line}-${index}`} className="flex gap-3 px-3 py-0.5">
                  <span className="w-12 shrink-0 text-right text-muted tabular-nums" aria-label={`line ${item.line}`}>
                    {item.line}
                  </span>
                  <span className="break-all whitespace-pre-wrap">{item.text}</span>
                </li>
              ))}
            </ol>
          ) : (
            <p className="flex items-center gap-1.5 text-[12px] text-muted">
              <SearchX className="size-3.5" aria-hidden /> No line of the build log pointed at a cause.
            </p>
          )}
          {analysis.lines_read !== null && <p className="text-[11px] text-muted">{analysis.lines_read} build log lines read.</p>}
        </>
      ) : waiting ? (
        <WaitingNotice agentType={waiting.agentType} reason={waiting.reason} kind={waiting.kind} until={waiting.until} compact />
      ) : task.status === 'failed' && task.error_message ? (
        <p className="text-[12px] text-red-700 dark:text-red-400">{task.error_message}</p>
      ) : (
        <p className="text-[12px] text-muted">The deployment agent has not finished reading the build log yet.</p>
      )}
    </div>
  );
}
