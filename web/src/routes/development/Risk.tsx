// The predicted risk of a deployment or a pull request on its row: a 0–100 badge (its
// factors on hover), which opens the factors, the confidence and the model.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/rest';
import { useOrgKey } from '../../api/hooks';
import type { RiskAssessment, RiskSubject } from '../../api/models';
import { Badge, Time, cx } from '../../components/ui';
import { effectArrow, factorLabel, factorValue, factorsOf, modelLabel, riskScoreTone, riskSummary, risksById } from './risk';

/**
 * The latest assessments of deployments or of pull requests, by id. Keyed under `tasks`,
 * so they are read again whenever a task finishes (the agent's `predict_risk` among them).
 */
export function useRisks(subject: RiskSubject): Map<string, RiskAssessment> {
  const risks = useQuery({
    queryKey: useOrgKey('tasks', 'risks', subject),
    queryFn: () => call(api.GET('/api/analytics/risks', { params: { query: { subject, limit: 500 } } })),
    // An older node has no risks: the rows are shown without them.
    retry: false,
  });
  return risksById(risks.data?.items, subject);
}

/** The badge, and under it (once opened) what weighed most; nothing without an assessment. */
export function RiskBadge({ assessment }: { assessment: RiskAssessment | null | undefined }) {
  const [open, setOpen] = useState(false);
  if (!assessment) return null;
  const factors = factorsOf(assessment.factors);
  return (
    <div className="inline-flex flex-col items-start gap-1" data-testid="risk" data-risk={assessment.risk} data-model={assessment.model}>
      <button
        type="button"
        aria-expanded={open}
        title={riskSummary(assessment)}
        onClick={(event) => {
          event.stopPropagation();
          setOpen((value) => !value);
        }}
        className="rounded focus-visible:outline-2 focus-visible:outline-ring"
      >
        <Badge tone={riskScoreTone(assessment.risk)}>
          risk {assessment.risk}
          {assessment.model === 'prior' && <span className="font-normal">· prior</span>}
        </Badge>
      </button>
      {open && (
        <div className="w-64 rounded-md border border-line bg-panel p-2 text-[12px] whitespace-normal" data-testid="risk-factors">
          <ul className="space-y-0.5">
            {factors.map((factor) => (
              <li key={factor.name} className="flex items-baseline gap-1.5">
                <span aria-hidden className={cx('w-3 shrink-0 text-center font-semibold', factor.effect > 0 ? 'text-red-700 dark:text-red-400' : factor.effect < 0 ? 'text-emerald-700 dark:text-emerald-400' : 'text-muted')}>
                  {effectArrow(factor.effect)}
                </span>
                <span className="flex-1">
                  {factorLabel(factor.name)}
                  <span className="sr-only">{factor.effect > 0 ? ' (raises the risk)' : factor.effect < 0 ? ' (lowers the risk)' : ''}</span>
                </span>
                <span className="tabular-nums text-muted">{factorValue(factor)}</span>
              </li>
            ))}
            {factors.length === 0 && <li className="text-muted">No factor stood out.</li>}
          </ul>
          <p className="mt-1.5 border-t border-line pt-1.5 text-[11px] text-muted">
            By the {modelLabel(assessment.model)}; confidence {Math.round(assessment.confidence * 100)} %; <Time iso={assessment.assessed_at} />.
          </p>
        </div>
      )}
    </div>
  );
}
