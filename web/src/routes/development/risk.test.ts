import { describe, expect, it } from 'vitest';
import { effectArrow, factorLabel, factorValue, factorsOf, joinRisks, riskScoreTone, riskSummary, risksById } from './risk';
import type { RiskAssessment } from '../../api/models';

function assessment(subject: RiskAssessment['subject'], id: string, risk: number, assessedAt = '2026-01-01T00:00:00Z', model = 'prior'): RiskAssessment {
  return {
    subject, id, risk, confidence: 0.3, model, assessed_at: assessedAt,
    factors: [
      { name: 'out_of_hours', value: 1, effect: 0.5 },
      { name: 'project_failure_rate', value: 0.25, effect: 0.45 },
      { name: 'lines_changed', value: 12, effect: -0.4 },
    ],
  };
}

describe('joining risks to rows', () => {
  const items = [
    assessment('deployment', 'd1', 62, '2026-01-02T00:00:00Z'),
    assessment('pull_request', 'd2', 80),
    assessment('deployment', 'd1', 30, '2026-01-01T00:00:00Z'),
    assessment('deployment', 'd3', 12),
  ];

  it('keeps the latest assessment of each row of the subject, by id', () => {
    const deployments = risksById(items, 'deployment');
    expect([...deployments.keys()].sort()).toEqual(['d1', 'd3']);
    expect(deployments.get('d1')?.risk).toBe(62);
    expect(risksById(items, 'pull_request').get('d2')?.risk).toBe(80);
    expect(risksById(undefined, 'deployment').size).toBe(0);
  });

  it('gives each row its assessment, and none to a row the agent has not assessed', () => {
    const rows = [{ id: 'd1', project_name: 'web' }, { id: 'd2', project_name: 'api' }, { id: 'd3', project_name: 'docs' }];
    const joined = joinRisks(rows, risksById(items, 'deployment'));
    expect(joined.map(({ row, risk }) => [row.project_name, risk?.risk ?? null])).toEqual([
      ['web', 62],
      // d2 is assessed as a pull request, not as a deployment.
      ['api', null],
      ['docs', 12],
    ]);
  });
});

describe('a risk and its factors', () => {
  it('is coloured green under 20, amber from 20, red from 50', () => {
    expect([0, 19, 20, 49, 50, 100].map(riskScoreTone)).toEqual(['green', 'green', 'amber', 'amber', 'red', 'red']);
  });

  it('reads the well-formed factors, largest effect first', () => {
    expect(factorsOf([{ name: 'a', value: 1, effect: 0.1 }, { name: 'b', value: 2, effect: -0.9 }, { name: 'c' }, null, 'x']).map((factor) => factor.name)).toEqual(['b', 'a']);
    expect(factorsOf(null)).toEqual([]);
    expect(factorsOf({ name: 'a' })).toEqual([]);
  });

  it('names the factors for people, with their values in their units', () => {
    expect(factorLabel('project_failure_rate')).toBe("Project's recent failure rate");
    expect(factorLabel('deployments_earlier_that_day')).toBe('Deployments earlier that day');
    expect(factorLabel('some_new_factor')).toBe('Some new factor');
    expect(factorValue({ name: 'project_failure_rate', value: 0.254 })).toBe('25 %');
    expect(factorValue({ name: 'out_of_hours', value: 1 })).toBe('yes');
    expect(factorValue({ name: 'not_mergeable', value: 0 })).toBe('no');
    expect(factorValue({ name: 'lines_changed', value: 1240 })).toBe('1,240');
    expect(factorValue({ name: 'some_new_factor', value: 0.12345 })).toBe('0.12');
  });

  it('points up for a factor that raises the risk, down for one that lowers it', () => {
    expect([0.5, -0.2, 0].map(effectArrow)).toEqual(['↑', '↓', '·']);
  });

  it('sums the whole assessment up for the tooltip, naming the model', () => {
    expect(riskSummary(assessment('deployment', 'd1', 62)).split('\n')).toEqual([
      'Risk 62 of 100 · prior model (too little history yet to train one) · confidence 30 %',
      '↑ Out of hours (before 08:00 or from 18:00 UTC): yes',
      "↑ Project's recent failure rate: 25 %",
      '↓ Lines changed: 12',
    ]);
    expect(riskSummary(assessment('deployment', 'd1', 62, undefined, 'trained'))).toContain("model trained on this organization's deployments");
  });
});
