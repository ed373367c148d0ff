// Why a deployment failed: the `analyze_deployment_failure` task's output (the cause the
// deployment agent read from Vercel's build events, a summary, and the lines that show
// it). Pure, so it is unit-tested.
import type { DeploymentRow, TaskRow } from '../../api/models';

export type FailureCause = 'out_of_memory' | 'timeout' | 'missing_environment_variable' | 'dependency_install' | 'failing_tests' | 'build_error' | 'unknown';

export type BuildStep = 'install' | 'build' | 'test' | 'deploy';

export interface FailureAnalysis {
  cause: FailureCause | string;
  /** The step whose command was running when the failure started, when the log says. */
  step: BuildStep | string | null;
  /** 0–1: how surely the log's lines say it. */
  confidence: number | null;
  summary: string;
  evidence: { line: number; text: string }[];
  lines_read: number | null;
  vercel_deployment_id: string | null;
}

export const CAUSE_LABELS: Record<FailureCause, string> = {
  out_of_memory: 'Out of memory',
  timeout: 'Timed out',
  missing_environment_variable: 'Missing environment variable',
  dependency_install: 'Dependency install failed',
  failing_tests: 'Failing tests',
  build_error: 'Build error',
  unknown: 'Unknown cause',
};

/** The step in plain words: "the build step". */
export function stepLabel(step: string): string {
  return `the ${step} step`;
}

/** How sure the reading is, in words. */
export function confidenceLabel(confidence: number): string {
  if (confidence >= 0.8) return 'named in the log';
  if (confidence >= 0.4) return 'from a generic error line';
  return 'a guess';
}

export function causeLabel(cause: string): string {
  return CAUSE_LABELS[cause as FailureCause] ?? cause.replace(/_/g, ' ');
}

/** The analysis in a task's output, or null when the output is not one. */
export function failureAnalysisOf(output: unknown): FailureAnalysis | null {
  if (typeof output !== 'object' || output === null) return null;
  const value = output as Record<string, unknown>;
  if (typeof value.cause !== 'string') return null;
  const evidence = Array.isArray(value.evidence)
    ? value.evidence
        .filter((item): item is { line?: unknown; text?: unknown } => typeof item === 'object' && item !== null)
        .map((item) => ({ line: typeof item.line === 'number' ? item.line : 0, text: typeof item.text === 'string' ? item.text : String(item.text ?? '') }))
    : [];
  return {
    cause: value.cause,
    step: typeof value.step === 'string' ? value.step : null,
    confidence: typeof value.confidence === 'number' ? value.confidence : null,
    summary: typeof value.summary === 'string' ? value.summary : '',
    evidence,
    lines_read: typeof value.lines_read === 'number' ? value.lines_read : null,
    vercel_deployment_id: typeof value.vercel_deployment_id === 'string' ? value.vercel_deployment_id : null,
  };
}

/** Whether a task is about the deployment: by the row's id or by Vercel's id in its input (or output). */
export function isAbout(task: TaskRow, deployment: Pick<DeploymentRow, 'id' | 'vercel_deployment_id'>): boolean {
  const input = task.input_data ?? {};
  const nested = (typeof input.deployment === 'object' && input.deployment !== null ? input.deployment : {}) as Record<string, unknown>;
  const ids = [input.deployment_id, nested.deployment_id].filter((id): id is string => typeof id === 'string');
  const vercelIds = [input.vercel_deployment_id, nested.vercel_deployment_id].filter((id): id is string => typeof id === 'string');
  // Only an input that names no deployment is matched by the id the output found.
  if (ids.length === 0 && vercelIds.length === 0) {
    const found = failureAnalysisOf(task.output_data)?.vercel_deployment_id;
    if (found) vercelIds.push(found);
  }
  if (ids.includes(deployment.id)) return true;
  return Boolean(deployment.vercel_deployment_id) && vercelIds.includes(deployment.vercel_deployment_id);
}

/**
 * The latest `analyze_deployment_failure` task about the deployment: the latest completed
 * one with its analysis, else the latest one at all (running, waiting or failed) so its
 * status can be shown.
 */
export function latestFailureAnalysis(tasks: TaskRow[] | undefined, deployment: Pick<DeploymentRow, 'id' | 'vercel_deployment_id'>): { task: TaskRow; analysis: FailureAnalysis | null } | null {
  const about = (tasks ?? [])
    .filter((task) => task.task_type === 'analyze_deployment_failure' && isAbout(task, deployment))
    .sort((a, b) => Date.parse(b.completed_at ?? b.created_at) - Date.parse(a.completed_at ?? a.created_at));
  const done = about.find((task) => task.status === 'completed' && failureAnalysisOf(task.output_data));
  if (done) return { task: done, analysis: failureAnalysisOf(done.output_data) };
  const latest = about[0];
  return latest ? { task: latest, analysis: null } : null;
}
