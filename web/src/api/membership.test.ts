import { describe, expect, it } from 'vitest';
import { membershipChange } from './membership';
import type { OrganizationRef } from './models';

const organization = (id: string, name: string, slug: string, role: OrganizationRef['role']): OrganizationRef => ({
  id,
  name,
  slug,
  logo_url: null,
  settings: {},
  role,
  created_at: '2026-03-01T09:00:00Z',
  updated_at: '2026-03-01T09:00:00Z',
});
const acme = organization('a', 'Acme', 'acme', 'member');
const other = organization('o', 'Other', 'other', 'owner');

describe('a membership that ended (live connection closed with 4403)', () => {
  it('stays when the organization on screen is still the user’s', () => {
    expect(membershipChange([acme, other], [acme], 'a')).toEqual({ switchTo: 'a', lost: null });
  });

  it('switches to another organization and names the lost one', () => {
    expect(membershipChange([acme, other], [other], 'a')).toEqual({ switchTo: 'o', lost: acme });
  });

  it('has nowhere to go when the user belongs to no organization any more', () => {
    expect(membershipChange([acme], [], 'a')).toEqual({ switchTo: null, lost: acme });
  });
});
