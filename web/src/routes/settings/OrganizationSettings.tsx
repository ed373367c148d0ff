// The organization: its name (admins and owners rename it), whether a person may approve
// a task they asked for (admins and owners decide), the time zone its schedules run on
// (admins and owners set it), address, id and the caller's role.
import { useMemo, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/rest';
import { useCan, useInvalidateOrg, useOrganization } from '../../api/hooks';
import { ME_KEY } from '../../api/membership';
import { fieldErrors } from '../../api/problem';
import { allowsSelfApproval, roleWords } from '../../lib/permissions';
import { timeZoneNames } from '../../lib/timeZones';
import type { OrganizationRef, OrganizationSettings as Settings } from '../../api/models';
import { Button, Card, ErrorNotice, Field, Input, Mono, Time, useFieldId } from '../../components/ui';

/** The organization's settings with self-approval turned on or off, every other key kept. */
export function withSelfApproval(settings: Record<string, unknown> | null | undefined, allow: boolean): Settings {
  return { ...(settings ?? {}), allow_self_approval: allow };
}

/** The organization's settings with its time zone set (left out when empty: UTC), every other key kept. */
export function withTimeZone(settings: Record<string, unknown> | null | undefined, timeZone: string): Settings {
  const { time_zone: _previous, ...rest } = settings ?? {};
  const zone = timeZone.trim();
  return zone ? { ...rest, time_zone: zone } : rest;
}

const TIME_ZONE_FIELDS = ['settings.time_zone'];

/**
 * The IANA time zone the organization's schedules read their cron expressions in (UTC
 * unless set), typed or picked from the zones the browser knows. The node judges the name
 * and moves every schedule's next run to the new clocks; others see it read-only.
 */
function TimeZone({ organization, canEdit }: { organization: OrganizationRef; canEdit: boolean }) {
  const client = useQueryClient();
  const invalidate = useInvalidateOrg();
  const id = useFieldId('time-zone');
  const zones = useMemo(timeZoneNames, []);
  const [typed, setTyped] = useState<string | null>(null);
  const current = typeof organization.settings?.time_zone === 'string' ? organization.settings.time_zone.trim() : '';
  const shown = typed ?? current;
  const save = useMutation({
    mutationFn: () => call(api.PATCH('/api/organizations/{id}', { params: { path: { id: organization.id } }, body: { settings: withTimeZone(organization.settings, shown) } })),
    onSuccess: async () => {
      await Promise.all([client.invalidateQueries({ queryKey: ME_KEY }), invalidate('schedules')]);
      setTyped(null);
    },
  });
  const errors = fieldErrors(save.error, TIME_ZONE_FIELDS);
  const unchanged = shown.trim() === current;
  const reason = !canEdit ? `Changing the time zone needs the admin or owner role; you are ${roleWords(organization.role)}.` : unchanged ? 'Change the time zone first.' : null;
  return (
    <form
      className="mt-5 max-w-xl space-y-3 border-t border-line pt-4"
      data-testid="time-zone"
      onSubmit={(event) => {
        event.preventDefault();
        if (!reason) save.mutate();
      }}
    >
      <h3 className="text-[11px] font-medium tracking-wide text-muted uppercase">Schedules</h3>
      {errors.form && <ErrorNotice error={save.error} />}
      <Field label="Time zone" htmlFor={id} error={errors.fields['settings.time_zone']} hint={canEdit ? 'An IANA name such as Europe/Berlin; empty for UTC.' : undefined}>
        <Input
          id={id}
          list={`${id}-zones`}
          value={shown}
          placeholder="UTC (not set)"
          readOnly={!canEdit}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => setTyped(event.target.value)}
          invalid={Boolean(errors.fields['settings.time_zone'])}
        />
        <datalist id={`${id}-zones`}>
          {zones.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </Field>
      <p className="text-[12px] text-muted">
        Schedules (the standup at nine on weekdays, the daily reports) run on this time zone's clocks.
      </p>
      {save.isSuccess && unchanged && (
        <p role="status" className="text-[12px] text-emerald-800 dark:text-emerald-300">
          Saved. Every schedule's next run follows the new clocks.
        </p>
      )}
      <div className="flex items-center gap-2">
        <Button type="submit" variant="primary" loading={save.isPending} disabled={Boolean(reason)} disabledReason={reason}>
          Save time zone
        </Button>
        {!canEdit && <span className="text-[12px] text-muted" aria-hidden>{reason}</span>}
      </div>
    </form>
  );
}

/**
 * Whether a person may approve a task they asked for (off: another member must). Saved at
 * once on ticking; others see it read-only.
 */
function SelfApproval({ organization, canEdit }: { organization: OrganizationRef; canEdit: boolean }) {
  const client = useQueryClient();
  const id = useFieldId('self-approval');
  const [shown, setShown] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: (allow: boolean) => call(api.PATCH('/api/organizations/{id}', { params: { path: { id: organization.id } }, body: { settings: withSelfApproval(organization.settings, allow) } })),
    onMutate: (allow) => setShown(allow),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ME_KEY });
    },
    onSettled: () => setShown(null),
  });
  const checked = shown ?? allowsSelfApproval(organization);
  return (
    <div className="mt-5 max-w-xl space-y-1 border-t border-line pt-4" data-testid="self-approval">
      <h3 className="text-[11px] font-medium tracking-wide text-muted uppercase">Approvals</h3>
      <label htmlFor={id} className="flex items-center gap-2 text-[13px]">
        <input
          id={id}
          type="checkbox"
          checked={checked}
          disabled={!canEdit || save.isPending}
          onChange={(event) => save.mutate(event.target.checked)}
          aria-describedby={`${id}-hint`}
          className="size-4 accent-[var(--accent)]"
        />
        <span>Let a person approve tasks they asked for (for a team of one)</span>
      </label>
      <p id={`${id}-hint`} className="text-[12px] text-muted">
        Off: another member must approve what someone asked for. Rollbacks always need an admin or owner.
      </p>
      {!canEdit && <p className="text-[12px] text-muted">Only an admin or owner changes this; you are {roleWords(organization.role)}.</p>}
      {save.isSuccess && (
        <p role="status" className="text-[12px] text-emerald-800 dark:text-emerald-300">
          Saved.
        </p>
      )}
      {save.error && <ErrorNotice error={save.error} />}
    </div>
  );
}

export function OrganizationSettings() {
  const { organization, role } = useOrganization();
  const canEdit = useCan('manageMembers');
  const client = useQueryClient();
  const [name, setName] = useState<string | null>(null);
  const nameId = useFieldId('organization-name');
  const shown = name ?? organization?.name ?? '';
  const save = useMutation({
    mutationFn: () => call(api.PATCH('/api/organizations/{id}', { params: { path: { id: organization?.id ?? '' } }, body: { name: shown.trim() } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ME_KEY });
      setName(null);
    },
  });
  const errors = fieldErrors(save.error, ['name']);
  if (!organization) return null;
  const unchanged = shown.trim() === organization.name;
  const reason = !canEdit
    ? `Renaming the organization needs the admin or owner role; you are ${role === 'member' ? 'a member' : role === 'viewer' ? 'a viewer' : 'not an admin'}.`
    : !shown.trim()
      ? 'The organization needs a name.'
      : unchanged
        ? 'Change the name first.'
        : null;
  return (
    <Card title="Organization">
      <form
        className="max-w-xl space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          if (!reason) save.mutate();
        }}
      >
        {errors.form && <ErrorNotice error={save.error} />}
        <Field label="Name" htmlFor={nameId} error={errors.fields.name} hint={canEdit ? 'Shown to every member, in the organization switcher and in notifications.' : undefined}>
          <Input id={nameId} value={shown} readOnly={!canEdit} onChange={(event) => setName(event.target.value)} invalid={Boolean(errors.fields.name)} maxLength={255} />
        </Field>
        {save.isSuccess && unchanged && (
          <p role="status" className="text-[12px] text-emerald-800 dark:text-emerald-300">
            Saved.
          </p>
        )}
        <div className="flex items-center gap-2">
          <Button type="submit" variant="primary" loading={save.isPending} disabled={Boolean(reason)} disabledReason={reason}>
            Save name
          </Button>
          {!canEdit && <span className="text-[12px] text-muted" aria-hidden>{reason}</span>}
        </div>
      </form>
      <SelfApproval organization={organization} canEdit={canEdit} />
      <TimeZone organization={organization} canEdit={canEdit} />
      <dl className="mt-5 grid max-w-xl grid-cols-2 gap-x-6 gap-y-2 border-t border-line pt-4 text-[13px]">
        <div>
          <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">Address</dt>
          <dd><Mono>{organization.slug}</Mono></dd>
        </div>
        <div>
          <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">Your role</dt>
          <dd className="capitalize">{organization.role}</dd>
        </div>
        <div>
          <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">Organization id</dt>
          <dd><Mono>{organization.id}</Mono></dd>
        </div>
        <div>
          <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">Created</dt>
          <dd><Time iso={organization.created_at} /></dd>
        </div>
      </dl>
    </Card>
  );
}
