// The prediction agent's forecast of a draft or scheduled post (GET
// /api/analytics/content-forecasts): the chance (0–100) that it engages (likes, comments,
// shares) more than the organization's typical post on its platform — the median of that
// platform's posts published in the last 180 days — with the factors that weighed most and
// the model that said so (`prior`, the documented one, until enough posts are published to
// train one). Joined to the Social Command Post's drafts and schedule by the post's id.
import type { ContentForecast, RiskFactor } from '../api/models';
import { effectArrow, factorsOf } from './development/risk';

/** The latest forecast of each post, by the post's id. */
export function forecastsByPost(items: readonly ContentForecast[] | undefined): Map<string, ContentForecast> {
  const byPost = new Map<string, ContentForecast>();
  for (const item of items ?? []) {
    if (typeof item.post_id !== 'string' || typeof item.chance !== 'number') continue;
    const known = byPost.get(item.post_id);
    if (!known || Date.parse(item.forecast_at) > Date.parse(known.forecast_at)) byPost.set(item.post_id, item);
  }
  return byPost;
}

/** The badge's words: "62 % to beat typical". */
export function forecastBadgeText(chance: number): string {
  return `${Math.round(chance)} % to beat typical`;
}

/** A chance's colour: from 60 green (likely to beat the typical post), up to 40 amber, else neutral. */
export function forecastTone(chance: number): 'green' | 'amber' | 'neutral' {
  if (chance >= 60) return 'green';
  if (chance <= 40) return 'amber';
  return 'neutral';
}

type FactorKind = 'hundreds' | 'count' | 'flag';

const FACTORS: Record<string, { label: string; kind: FactorKind }> = {
  length: { label: 'Length', kind: 'hundreds' },
  has_link: { label: 'Has a link', kind: 'flag' },
  hashtags: { label: 'Hashtags', kind: 'count' },
  asks_a_question: { label: 'Asks a question', kind: 'flag' },
  mentions: { label: 'Mentions someone (@)', kind: 'flag' },
  business_hours: { label: 'In business hours (09:00–17:00 UTC, weekdays)', kind: 'flag' },
  weekend: { label: 'On a weekend', kind: 'flag' },
};

/** A factor's name in words; an unknown one from its own name. */
export function forecastFactorLabel(name: string): string {
  const known = FACTORS[name];
  if (known) return known.label;
  const words = name.replace(/_/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : name;
}

/** A factor's value as a person reads it: characters (length is in hundreds), a count, yes or no. */
export function forecastFactorValue(factor: Pick<RiskFactor, 'name' | 'value'>): string {
  const kind = FACTORS[factor.name]?.kind;
  if (kind === 'flag') return factor.value >= 0.5 ? 'yes' : 'no';
  if (kind === 'hundreds') return `${Math.round(factor.value * 100).toLocaleString('en')} characters`;
  if (kind === 'count') return Math.round(factor.value).toLocaleString('en');
  return Number(factor.value.toFixed(2)).toLocaleString('en');
}

/** An engagement (likes, comments and shares) in words: "14 engagements", "1 engagement", "2.5 engagements". */
export function engagements(amount: number): string {
  const rounded = Number(amount.toFixed(1));
  return `${rounded.toLocaleString('en')} ${rounded === 1 ? 'engagement' : 'engagements'}`;
}

/** The typical engagement in words ("typical: 14 engagements"); null when nothing is published yet. */
export function typicalLabel(typical: number | null | undefined): string | null {
  if (typeof typical !== 'number' || !Number.isFinite(typical)) return null;
  return `typical: ${engagements(typical)}`;
}

/** Which model forecast, in words. */
export function forecastModelLabel(model: string): string {
  if (model === 'prior') return 'prior (too few published posts yet to train on yours)';
  if (model === 'trained') return 'trained on your posts';
  return `model ${model}`;
}

/** The whole forecast in one plain text, for the badge's tooltip. */
export function forecastSummary(forecast: ContentForecast): string {
  const typical = typicalLabel(forecast.typical_engagement);
  const lines = [
    `${Math.round(forecast.chance)} % chance to engage more than your typical post on this platform${typical ? ` (${typical})` : ''}`,
    `${forecastModelLabel(forecast.model)} · confidence ${Math.round(forecast.confidence * 100)} %`,
  ];
  for (const factor of factorsOf(forecast.factors)) lines.push(`${effectArrow(factor.effect)} ${forecastFactorLabel(factor.name)}: ${forecastFactorValue(factor)}`);
  return lines.join('\n');
}
