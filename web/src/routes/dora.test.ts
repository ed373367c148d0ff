import { describe, expect, it } from 'vitest';
import { DORA_KEYS, bandLabel, bandOf, bandTone, doraKey, formatDoraValue, formatFigure, overallPoints, rangeBounds, summarize } from './dora';
import type { DoraKeys } from '../api/models';

const KEYS: DoraKeys = {
  deployment_frequency: { value: 0.4333, band: 'high' },
  lead_time_hours: { value: 26.46, band: 'medium' },
  change_failure_rate: { value: 7.6923, band: 'elite' },
  time_to_restore_hours: null,
  deployments: 13,
  failures: 1,
  changes_deployed: 9,
  restored: 0,
};

describe('DORA bands', () => {
  it('colour elite green, high blue, medium amber, low red, and a key without data gray', () => {
    expect(bandTone('elite')).toBe('green');
    expect(bandTone('high')).toBe('blue');
    expect(bandTone('medium')).toBe('amber');
    expect(bandTone('low')).toBe('red');
    expect(bandTone(null)).toBe('gray');
  });

  it('are said in words, "No data" without one', () => {
    expect(['elite', 'high', 'medium', 'low'].map((band) => bandLabel(bandOf(band)))).toEqual(['Elite', 'High', 'Medium', 'Low']);
    expect(bandLabel(null)).toBe('No data');
    expect(bandOf('excellent')).toBeNull();
    expect(bandOf(undefined)).toBeNull();
  });
});

describe('DORA values', () => {
  it('keep as many decimals as they need', () => {
    expect(formatFigure(0)).toBe('0');
    expect(formatFigure(0.4333)).toBe('0.43');
    expect(formatFigure(3)).toBe('3');
    expect(formatFigure(26.46)).toBe('26.5');
    expect(formatFigure(12.04)).toBe('12');
    expect(formatFigure(1234.5)).toBe('1,235');
    expect(formatFigure(null)).toBe('—');
    expect(formatFigure(Number.NaN)).toBe('—');
  });

  it('carry their unit: per day, hours, percent', () => {
    expect(formatDoraValue(0.4333, '/day')).toBe('0.43/day');
    expect(formatDoraValue(26.46, 'h')).toBe('26.5 h');
    expect(formatDoraValue(7.6923, '%')).toBe('7.7%');
    expect(formatDoraValue(0, '%')).toBe('0%');
    expect(formatDoraValue(null, 'h')).toBe('—');
  });

  it('are read per key, null when the scope has no data for it', () => {
    expect(doraKey(KEYS, 'deployment_frequency')).toEqual({ value: 0.4333, band: 'high' });
    expect(doraKey(KEYS, 'time_to_restore_hours')).toBeNull();
    expect(doraKey({ ...KEYS, lead_time_hours: undefined }, 'lead_time_hours')).toBeNull();
  });

  it('name the counts behind each key', () => {
    expect(DORA_KEYS.map((definition) => [definition.label, definition.unit, definition.counts(KEYS)])).toEqual([
      ['Deployment frequency', '/day', '13 production deployments'],
      ['Lead time for changes', 'h', '9 changes deployed'],
      ['Change failure rate', '%', '1 of 13 deployments failed'],
      ['Time to restore', 'h', '0 of 1 failure restored'],
    ]);
  });
});

describe('the metrics over time', () => {
  it("chart the organization's points, not each project's", () => {
    const points = [
      { id: 'a', value: 1, dimensions: { band: 'high' } },
      { id: 'b', value: 5, dimensions: { band: 'low', project: 'web' } },
      { id: 'c', value: 2, dimensions: {} },
    ];
    expect(overallPoints(points).map((point) => point.id)).toEqual(['a', 'c']);
    expect(summarize([1, 2, 6])).toEqual({ average: 3, min: 1, max: 6, count: 3 });
    expect(summarize([])).toBeNull();
  });

  it('cover the range ending now', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(rangeBounds(24 * 7, now)).toEqual({ from: '2026-02-22T12:00:00.000Z', to: '2026-03-01T12:00:00.000Z' });
  });
});
