// The prediction agent's risk of a deployment or a pull request (GET /api/analytics/risks):
// 0–100, with a confidence, the three factors that weighed most and the model that said
// so (`prior`, the documented one, until the organization's own history trains one).
// Joined to the rows of the Development Hub by the row's id.
import type { RiskAssessment, RiskFactor, RiskSubject } from '../../api/models';

/** The assessments of one subject by the id of what they assess, the latest of each. */
export function risksById(items: readonly RiskAssessment[] | undefined, subject: RiskSubject): Map<string, RiskAssessment> {
  const byId = new Map<string, RiskAssessment>();
  for (const item of items ?? []) {
    if (item.subject !== subject || typeof item.risk !== 'number') continue;
    const known = byId.get(item.id);
    if (!known || Date.parse(item.assessed_at) > Date.parse(known.assessed_at)) byId.set(item.id, item);
  }
  return byId;
}

/** Each row with its assessment, or null when the agent has not assessed it. */
export function joinRisks<R extends { id: string }>(rows: readonly R[], risks: Map<string, RiskAssessment>): { row: R; risk: RiskAssessment | null }[] {
  return rows.map((row) => ({ row, risk: risks.get(row.id) ?? null }));
}

/** A risk's colour: under a typical change's few tens green, from 20 amber, from 50 red. */
export function riskScoreTone(risk: number): 'green' | 'amber' | 'red' {
  if (risk >= 50) return 'red';
  if (risk >= 20) return 'amber';
  return 'green';
}

/** The factors as the agent wrote them (`factors` is the agent's JSON): the well-formed ones, largest effect first. */
export function factorsOf(value: unknown): RiskFactor[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((factor): factor is RiskFactor => typeof factor === 'object' && factor !== null && typeof factor.name === 'string' && typeof factor.value === 'number' && typeof factor.effect === 'number')
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));
}

type FactorKind = 'count' | 'rate' | 'flag';

const FACTORS: Record<string, { label: string; kind: FactorKind }> = {
  lines_changed: { label: 'Lines changed', kind: 'count' },
  files_changed: { label: 'Files changed', kind: 'count' },
  project_failure_rate: { label: "Project's recent failure rate", kind: 'rate' },
  author_failure_rate: { label: "Author's recent failure rate", kind: 'rate' },
  serious_findings: { label: 'Serious review findings', kind: 'count' },
  out_of_hours: { label: 'Out of hours (before 08:00 or from 18:00 UTC)', kind: 'flag' },
  late_week: { label: 'Late in the week (Friday to Sunday)', kind: 'flag' },
  deployments_earlier_that_day: { label: 'Deployments earlier that day', kind: 'count' },
  not_mergeable: { label: 'GitHub cannot merge it as it is', kind: 'flag' },
};

/** A factor's name in words; an unknown one from its own name. */
export function factorLabel(name: string): string {
  const known = FACTORS[name];
  if (known) return known.label;
  const words = name.replace(/_/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : name;
}

/** A factor's value as a person reads it: a count, a percentage (rates are 0–1), yes or no. */
export function factorValue(factor: Pick<RiskFactor, 'name' | 'value'>): string {
  const kind = FACTORS[factor.name]?.kind;
  if (kind === 'flag') return factor.value >= 0.5 ? 'yes' : 'no';
  if (kind === 'rate') return `${Math.round(factor.value * 100)} %`;
  if (kind === 'count') return Math.round(factor.value).toLocaleString('en');
  return Number(factor.value.toFixed(2)).toLocaleString('en');
}

/** ↑ when the factor raises the risk, ↓ when it lowers it, · when it weighs nothing. */
export function effectArrow(effect: number): '↑' | '↓' | '·' {
  if (effect > 0) return '↑';
  if (effect < 0) return '↓';
  return '·';
}

/** Which model assessed, in words. */
export function modelLabel(model: string): string {
  if (model === 'prior') return 'prior model (too little history yet to train one)';
  if (model === 'trained') return "model trained on this organization's deployments";
  return `model ${model}`;
}

/** The whole assessment in one plain text, for the badge's tooltip. */
export function riskSummary(assessment: RiskAssessment): string {
  const lines = [`Risk ${assessment.risk} of 100 · ${modelLabel(assessment.model)} · confidence ${Math.round(assessment.confidence * 100)} %`];
  for (const factor of factorsOf(assessment.factors)) lines.push(`${effectArrow(factor.effect)} ${factorLabel(factor.name)}: ${factorValue(factor)}`);
  return lines.join('\n');
}
