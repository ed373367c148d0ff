import { describe, expect, it } from 'vitest';
import { CRON_EXAMPLES, describeCron } from './cron';

const text = (expression: string, timeZone?: string) => {
  const reading = describeCron(expression, timeZone);
  return reading.ok ? reading.text : `error: ${reading.error}`;
};

describe('describeCron', () => {
  it.each([
    ['* * * * *', 'every minute'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['0 * * * *', 'every hour, on the hour'],
    ['5 * * * *', 'every hour at minute 5'],
    ['0 */6 * * *', 'every 6 hours at minute 0'],
    ['30 9 * * *', 'every day at 09:30 UTC'],
    ['0 9,17 * * *', 'every day at 09:00, 17:00 UTC'],
    ['0 9 * * 1-5', 'at 09:00 UTC Monday to Friday'],
    ['0 8 * * mon', 'at 08:00 UTC on Monday'],
    ['0 8 * * 1,3,5', 'at 08:00 UTC on Monday, Wednesday and Friday'],
    ['0 0 1 * *', 'at 00:00 UTC on day 1 of the month'],
    ['0 0 1 jan *', 'at 00:00 UTC on day 1 of the month in January'],
    ['  0   9 * * 0 ', 'at 09:00 UTC on Sunday'],
  ])('reads %s as "%s"', (expression, expected) => {
    expect(text(expression)).toBe(expected);
  });

  it.each([
    ['0 9 * *', 'error: five fields are needed (minute hour day month weekday), not 4'],
    ['60 * * * *', 'error: the minute 60 is outside 0–59'],
    ['0 24 * * *', 'error: the hour 24 is outside 0–23'],
    ['0 0 0 * *', 'error: the day of the month 0 is outside 1–31'],
    ['*/0 * * * *', 'error: the minute "*/0" has a step that is not a whole number above 0'],
    ['0 9 * * fri-mon', 'error: the day of the week range "fri-mon" runs backwards'],
    ['x * * * *', 'error: the minute "x" is not a number'],
  ])('refuses %s', (expression, expected) => {
    expect(text(expression)).toBe(expected);
  });

  it.each([
    ['0 9 * * 1-5', 'at 09:00 Europe/Berlin time Monday to Friday'],
    ['30 9 * * *', 'every day at 09:30 Europe/Berlin time'],
    ['0 9,17 * * *', 'every day at 09:00, 17:00 Europe/Berlin time'],
    ['0 0 1 jan *', 'at 00:00 Europe/Berlin time on day 1 of the month in January'],
    ['0-30 9 * * *', 'every day at minute 0-30 of hour 9 (Europe/Berlin time)'],
    ['*/15 * * * *', 'every 15 minutes'],
  ])('reads %s on Berlin clocks as "%s"', (expression, expected) => {
    expect(text(expression, 'Europe/Berlin')).toBe(expected);
  });

  it('names UTC as before when the zone is UTC', () => {
    expect(text('0 9 * * 1-5', 'UTC')).toBe('at 09:00 UTC Monday to Friday');
    expect(text('0-30 9 * * *')).toBe('every day at minute 0-30 of hour 9 (UTC)');
  });

  it('reads every example as its label says', () => {
    for (const example of CRON_EXAMPLES) expect(describeCron(example.expression).ok).toBe(true);
  });
});
