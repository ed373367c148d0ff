import { afterEach, describe, expect, it, vi } from 'vitest';
import { organizationTimeZone, timeZoneNames } from './timeZones';

afterEach(() => vi.restoreAllMocks());

describe('organizationTimeZone', () => {
  it.each([
    [{ settings: { time_zone: 'Europe/Berlin' } }, 'Europe/Berlin'],
    [{ settings: { time_zone: '' } }, 'UTC'],
    [{ settings: { time_zone: 3 } }, 'UTC'],
    [{ settings: {} }, 'UTC'],
    [{ settings: null }, 'UTC'],
    [null, 'UTC'],
  ])('reads %j as %s', (organization, expected) => {
    expect(organizationTimeZone(organization)).toBe(expected);
  });
});

describe('timeZoneNames', () => {
  it("offers the browser's zones, UTC first and once", () => {
    const names = timeZoneNames();
    expect(names[0]).toBe('UTC');
    expect(names.filter((name) => name === 'UTC')).toHaveLength(1);
    expect(names).toContain('America/New_York');
  });

  it('falls back to a short list where the browser cannot say', () => {
    vi.spyOn(Intl, 'supportedValuesOf').mockImplementation(() => {
      throw new RangeError('unsupported');
    });
    const names = timeZoneNames();
    expect(names[0]).toBe('UTC');
    expect(names).toContain('Europe/Berlin');
    expect(names.length).toBeLessThan(30);
  });
});
