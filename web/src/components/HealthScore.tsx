import { Badge } from './ui';

export function HealthScore({ score }: { score: number | null | undefined }) {
  if (score === null || score === undefined) return <span className="text-[12px] text-muted" title="Health not measured yet">health —</span>;
  const tone = score >= 80 ? 'green' : score >= 50 ? 'amber' : 'red';
  return (
    <Badge tone={tone} title="Health score (0–100)">
      health {score}
    </Badge>
  );
}
