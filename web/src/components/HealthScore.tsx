import { Badge } from './ui';

/** A deployment's health score (0–100) in its colour: green from 80, amber from 50, red below. */
export function HealthScore({ score, checked }: { score: number | null | undefined; checked?: boolean }) {
  if (score === null || score === undefined) return <span className="text-[12px] text-muted" title={checked ? 'Checked, no score' : 'Health not measured yet'}>health —</span>;
  const tone = score >= 80 ? 'green' : score >= 50 ? 'amber' : 'red';
  return (
    <Badge tone={tone} title={`Health score (0–100)${checked ? ', measured by a deployment agent' : ''}`}>
      health {score}
    </Badge>
  );
}
