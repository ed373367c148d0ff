import { describe, expect, it } from 'vitest';
import { membershipChange } from './membership';
import type { OrganizationRef } from './models';

const acme: OrganizationRef = { id: 'a', name: 'Acme', slug: 'acme', role: 'member' };
const other: OrganizationRef = { id: 'o', name: 'Other', slug: 'other', role: 'owner' };

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
