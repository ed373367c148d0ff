import { describe, expect, it } from 'vitest';
import { engagements, forecastBadgeText, forecastFactorLabel, forecastFactorValue, forecastModelLabel, forecastSummary, forecastTone, forecastsByPost, typicalLabel } from './contentForecast';
import type { ContentForecast } from '../api/models';

function forecast(postId: string, chance: number, forecastAt = '2026-01-01T00:00:00Z', extra: Partial<ContentForecast> = {}): ContentForecast {
  return {
    post_id: postId, chance, typical_engagement: 14, confidence: 0.3, model: 'prior', forecast_at: forecastAt,
    factors: [
      { name: 'has_link', value: 1, effect: -0.2 },
      { name: 'asks_a_question', value: 1, effect: 0.4 },
      { name: 'length', value: 2.4, effect: -0.05 },
    ],
    ...extra,
  };
}

describe('joining forecasts to posts', () => {
  it('keeps the latest forecast of each post, by the post id', () => {
    const byPost = forecastsByPost([
      forecast('p1', 40, '2026-01-01T00:00:00Z'),
      forecast('p2', 70),
      forecast('p1', 62, '2026-01-01T00:30:00Z'),
    ]);
    expect([...byPost.keys()].sort()).toEqual(['p1', 'p2']);
    expect(byPost.get('p1')?.chance).toBe(62);
    expect(forecastsByPost(undefined).size).toBe(0);
  });

  it('skips a forecast without a chance', () => {
    const malformed = { ...forecast('p1', 50), chance: null } as unknown as ContentForecast;
    expect(forecastsByPost([malformed]).size).toBe(0);
  });
});

describe('a forecast and its factors', () => {
  it('reads as its chance to beat the typical post', () => {
    expect(forecastBadgeText(62)).toBe('62 % to beat typical');
    expect(forecastBadgeText(0)).toBe('0 % to beat typical');
  });

  it('is green from 60, amber up to 40, neutral between', () => {
    expect([0, 40, 41, 59, 60, 100].map(forecastTone)).toEqual(['amber', 'amber', 'neutral', 'neutral', 'green', 'green']);
  });

  it('names the factors for people, with their values in their units', () => {
    expect(forecastFactorLabel('asks_a_question')).toBe('Asks a question');
    expect(forecastFactorLabel('has_link')).toBe('Has a link');
    expect(forecastFactorLabel('business_hours')).toBe('In business hours (09:00–17:00 UTC, weekdays)');
    expect(forecastFactorLabel('weekend')).toBe('On a weekend');
    expect(forecastFactorLabel('some_new_factor')).toBe('Some new factor');
    // Length is in hundreds of characters.
    expect(forecastFactorValue({ name: 'length', value: 2.4 })).toBe('240 characters');
    expect(forecastFactorValue({ name: 'length', value: 12.5 })).toBe('1,250 characters');
    expect(forecastFactorValue({ name: 'hashtags', value: 3 })).toBe('3');
    expect(forecastFactorValue({ name: 'mentions', value: 1 })).toBe('yes');
    expect(forecastFactorValue({ name: 'weekend', value: 0 })).toBe('no');
    expect(forecastFactorValue({ name: 'some_new_factor', value: 0.12345 })).toBe('0.12');
  });

  it('says the typical engagement, or nothing before anything is published', () => {
    expect(typicalLabel(14)).toBe('typical: 14 engagements');
    // A median of an even count of posts may fall between two.
    expect(typicalLabel(13.5)).toBe('typical: 13.5 engagements');
    expect(typicalLabel(1)).toBe('typical: 1 engagement');
    expect(typicalLabel(null)).toBeNull();
    expect(typicalLabel(undefined)).toBeNull();
    expect(engagements(0)).toBe('0 engagements');
  });

  it('names the model', () => {
    expect(forecastModelLabel('prior')).toBe('prior (too few published posts yet to train on yours)');
    expect(forecastModelLabel('trained')).toBe('trained on your posts');
    expect(forecastModelLabel('other')).toBe('model other');
  });

  it('sums the whole forecast up for the tooltip, largest effect first', () => {
    expect(forecastSummary(forecast('p1', 62)).split('\n')).toEqual([
      '62 % chance to engage more than your typical post on this platform (typical: 14 engagements)',
      'prior (too few published posts yet to train on yours) · confidence 30 %',
      '↑ Asks a question: yes',
      '↓ Has a link: yes',
      '↓ Length: 240 characters',
    ]);
    const first = forecastSummary(forecast('p1', 62, undefined, { typical_engagement: null, model: 'trained', factors: [] })).split('\n');
    expect(first).toEqual(['62 % chance to engage more than your typical post on this platform', 'trained on your posts · confidence 30 %']);
  });
});
