// Five-field cron expressions (minute hour day-of-month month day-of-week) as the node's
// schedules take them, read on the organization's clocks (its `settings.time_zone`, UTC
// unless set), and read back in words so a person can check what they typed.
// The node stays the judge: an expression it refuses comes back as a 422 naming
// `cron_expression`.

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of the month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of the week', min: 0, max: 7 },
] as const;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export type CronReading = { ok: true; text: string } | { ok: false; error: string };

function number(token: string, field: number): number | null {
  const lower = token.toLowerCase();
  if (field === 3 && MONTHS.includes(lower)) return MONTHS.indexOf(lower) + 1;
  if (field === 4 && DAYS.includes(lower)) return DAYS.indexOf(lower);
  return /^\d+$/.test(token) ? Number(token) : null;
}

/** Checks one field: `*`, `*\/n`, `a`, `a-b`, `a-b/n` and lists of them, within the field's range. */
function checkField(text: string, field: number): string | null {
  const { name, min, max } = FIELDS[field] ?? FIELDS[0];
  for (const part of text.split(',')) {
    const [range = '', step, extra] = part.split('/');
    if (extra !== undefined || (step !== undefined && !/^\d+$/.test(step)) || step === '0') return `the ${name} "${part}" has a step that is not a whole number above 0`;
    if (range === '*') continue;
    const [from = '', to, more] = range.split('-');
    if (more !== undefined) return `the ${name} "${part}" is not a value or a range`;
    for (const bound of to === undefined ? [from] : [from, to]) {
      const value = number(bound, field);
      if (value === null) return `the ${name} "${bound}" is not a number`;
      if (value < min || value > max) return `the ${name} ${value} is outside ${min}–${max}`;
    }
    if (to !== undefined && (number(from, field) ?? 0) > (number(to, field) ?? 0)) return `the ${name} range "${range}" runs backwards`;
  }
  return null;
}

const pad = (value: string) => value.padStart(2, '0');

function dayName(token: string): string {
  const value = number(token, 4);
  return value === null ? token : (DAY_NAMES[value] ?? token);
}

function days(text: string): string | null {
  if (text === '*') return null;
  if (/^[^,/-]+-[^,/-]+$/.test(text)) {
    const [from = '', to = ''] = text.split('-');
    return `${dayName(from)} to ${dayName(to)}`;
  }
  if (/^[^/-]+(,[^/-]+)*$/.test(text)) {
    const names = text.split(',').map(dayName);
    return names.length === 1 ? `on ${names[0]}` : `on ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  }
  return `on days of the week ${text}`;
}

/** How the times name their clocks: "UTC", or "Europe/Berlin time". */
function clocks(timeZone: string): string {
  return timeZone === 'UTC' ? 'UTC' : `${timeZone} time`;
}

/**
 * What the expression means, in words, on the clocks of `timeZone` (an IANA name):
 * "every day at 09:00 UTC", "at 09:00 Europe/Berlin time Monday to Friday"; or what is
 * wrong with it.
 */
export function describeCron(expression: string, timeZone = 'UTC'): CronReading {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return { ok: false, error: `five fields are needed (minute hour day month weekday), not ${fields.length}` };
  for (const [index, field] of fields.entries()) {
    const error = checkField(field, index);
    if (error) return { ok: false, error };
  }
  const [minute = '*', hour = '*', dayOfMonth = '*', month = '*', dayOfWeek = '*'] = fields;
  const simple = (value: string) => /^\d+$/.test(value);
  let when: string;
  if (minute === '*' && hour === '*') when = 'every minute';
  else if (/^\*\/\d+$/.test(minute) && hour === '*') when = `every ${minute.slice(2)} minutes`;
  else if (simple(minute) && hour === '*') when = minute === '0' ? 'every hour, on the hour' : `every hour at minute ${Number(minute)}`;
  else if (simple(minute) && /^\*\/\d+$/.test(hour)) when = `every ${hour.slice(2)} hours at minute ${Number(minute)}`;
  else if (simple(minute) && simple(hour)) when = `at ${pad(hour)}:${pad(minute)} ${clocks(timeZone)}`;
  else if (simple(minute) && /^\d+(,\d+)+$/.test(hour)) when = `at ${hour.split(',').map((value) => `${pad(value)}:${pad(minute)}`).join(', ')} ${clocks(timeZone)}`;
  else when = `at minute ${minute} of hour ${hour} (${clocks(timeZone)})`;
  const parts = [when];
  const weekdays = days(dayOfWeek);
  if (dayOfMonth !== '*') parts.push(simple(dayOfMonth) ? `on day ${Number(dayOfMonth)} of the month` : `on days ${dayOfMonth} of the month`);
  if (weekdays) parts.push(dayOfMonth !== '*' ? `or ${weekdays}` : weekdays);
  if (month !== '*') parts.push(simple(month) || MONTHS.includes(month.toLowerCase()) ? `in ${MONTH_NAMES[(number(month, 3) ?? 1) - 1]}` : `in months ${month}`);
  if (dayOfMonth === '*' && !weekdays && month === '*' && /^at /.test(when)) parts.unshift('every day');
  return { ok: true, text: parts.join(' ') };
}

/** A few expressions to start from (their times on the organization's clocks). */
export const CRON_EXAMPLES: readonly { expression: string; label: string }[] = [
  { expression: '*/15 * * * *', label: 'every 15 minutes' },
  { expression: '0 * * * *', label: 'every hour' },
  { expression: '0 9 * * *', label: 'every day at 09:00' },
  { expression: '0 9 * * 1-5', label: 'weekdays at 09:00' },
  { expression: '0 8 * * 1', label: 'Mondays at 08:00' },
];
