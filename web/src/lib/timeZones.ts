// The organization's time zone (`settings.time_zone`, an IANA name such as
// "Europe/Berlin"; UTC unless set): the clocks its schedules' cron expressions are read
// on. The node stays the judge of a name: one it does not know comes back as a 422 naming
// `settings.time_zone`.

/** A few zones to offer where the browser cannot list its own. */
const FALLBACK = [
  'UTC',
  'America/Los_Angeles',
  'America/Denver',
  'America/Chicago',
  'America/New_York',
  'America/Sao_Paulo',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Helsinki',
  'Africa/Johannesburg',
  'Asia/Dubai',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Shanghai',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Pacific/Auckland',
];

/** The organization's time zone, or UTC when it has none set. */
export function organizationTimeZone(organization: { settings?: Record<string, unknown> | null } | null | undefined): string {
  const zone = organization?.settings?.time_zone;
  return typeof zone === 'string' && zone.trim() ? zone.trim() : 'UTC';
}

/** The IANA zones the browser knows (a short list where it cannot say), UTC first. */
export function timeZoneNames(): string[] {
  let names: string[] = FALLBACK;
  try {
    const supported = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    if (supported.length) names = supported;
  } catch {
    // keep the short list
  }
  return ['UTC', ...names.filter((name) => name !== 'UTC')];
}
