import { describe, expect, it } from 'vitest';
import {
  componentTypeLabel,
  differenceSentence,
  driftBadge,
  findingsToAct,
  isVariant,
  listOf,
  reportHeadline,
  setNameOf,
  variantCounts,
  variantsLabel,
} from './designSystem';
import type { DriftDifference, DriftFinding } from '../api/models';

describe('a drift difference in words', () => {
  it('names a property only one side has', () => {
    expect(differenceSentence({ kind: 'property_missing_in_code', property: 'hasIcon' })).toBe('hasIcon: in Figma, not in the code');
    expect(differenceSentence({ kind: 'property_missing_in_figma', property: 'tone' })).toBe('tone: in the code, not in Figma');
  });

  it('says which options each side has that the other does not', () => {
    expect(differenceSentence({ kind: 'options_differ', property: 'size', only_in_figma: ['large'], only_in_code: [] })).toBe('size: Figma has large, the code does not');
    expect(differenceSentence({ kind: 'options_differ', property: 'size', only_in_figma: [], only_in_code: ['xs', 'xl'] })).toBe('size: the code has xs and xl, Figma does not');
    expect(differenceSentence({ kind: 'options_differ', property: 'size', only_in_figma: ['extra-large'], only_in_code: ['large'] })).toBe(
      'size: Figma has extra-large, the code does not; the code has large, Figma does not',
    );
    expect(differenceSentence({ kind: 'options_differ', property: 'tone', only_in_figma: [], only_in_code: [] })).toBe('tone: the options differ');
  });

  it('names both kinds when a property is a different kind', () => {
    expect(differenceSentence({ kind: 'kind_differs', property: 'disabled', figma: 'boolean', code: 'string' })).toBe('disabled: Figma boolean, code string');
  });

  it('still says something of a kind it does not know', () => {
    expect(differenceSentence({ kind: 'renamed', property: 'label' } as unknown as DriftDifference)).toBe('label: differs');
  });

  it('lists words as a person would', () => {
    expect(listOf([])).toBe('');
    expect(listOf(['a'])).toBe('a');
    expect(listOf(['a', 'b'])).toBe('a and b');
    expect(listOf(['a', 'b', 'c'])).toBe('a, b and c');
  });
});

describe('a drift badge', () => {
  it('is green in step, amber with the count when it differs, red when missing, gray unchecked', () => {
    expect(driftBadge({ status: 'in_sync', differences: [] })).toMatchObject({ tone: 'green', label: 'in step' });
    const differs = driftBadge({ status: 'differs', differences: [{ kind: 'property_missing_in_code', property: 'hasIcon' }, { kind: 'property_missing_in_figma', property: 'tone' }] });
    expect(differs).toMatchObject({ tone: 'amber', label: 'differs · 2' });
    expect(differs.title).toBe('hasIcon: in Figma, not in the code\ntone: in the code, not in Figma');
    expect(driftBadge({ status: 'missing_in_code', differences: [] })).toMatchObject({ tone: 'red', label: 'missing in code' });
    expect(driftBadge(null)).toMatchObject({ tone: 'gray', label: 'not checked' });
    expect(driftBadge(undefined).label).toBe('not checked');
  });
});

describe('a drift report', () => {
  const finding = (name: string, status: DriftFinding['status']): DriftFinding => ({ design_component_id: name, name, code_name: name, status, differences: [] });

  it('keeps what a person acts on: differences first, then what code lacks', () => {
    const report = { components: [finding('A', 'missing_in_code'), finding('B', 'in_sync'), finding('C', 'differs')] };
    expect(findingsToAct(report).map((item) => item.name)).toEqual(['C', 'A']);
  });

  it('sums itself up in one line', () => {
    expect(reportHeadline({ figma_components: 5, in_sync: 3 })).toBe('3 of 5 Figma components in step with the code');
    expect(reportHeadline({ figma_components: 2, in_sync: 2 })).toBe('All 2 Figma components are in step with the code');
    expect(reportHeadline({ figma_components: 1, in_sync: 1 })).toBe('All 1 Figma component is in step with the code');
    expect(reportHeadline({ figma_components: 0, in_sync: 0 })).toBe('No Figma component to compare');
  });
});

describe('variants and their sets', () => {
  const rows = [
    { id: 'set', name: 'Button', figma_file_id: 'f1', figma_component_id: '1:1', component_type: 'component_set', metadata: {} },
    { id: 'v1', name: 'Size=Small', figma_file_id: 'f1', figma_component_id: '1:2', component_type: 'variant', metadata: { component_set: '1:1' } },
    { id: 'v2', name: 'Size=Large', figma_file_id: 'f1', figma_component_id: '1:3', component_type: 'variant', metadata: { component_set: '1:1' } },
    // The same node id in another file is another set.
    { id: 'other', name: 'Size=Small', figma_file_id: 'f2', figma_component_id: '1:2', component_type: 'variant', metadata: { component_set: '1:1' } },
    { id: 'lone', name: 'Avatar', figma_file_id: 'f1', figma_component_id: '2:1', component_type: 'component', metadata: { component_set: null } },
  ];

  it('counts the variants of each set in its own file', () => {
    expect(Object.fromEntries(variantCounts(rows))).toEqual({ set: 2 });
    expect(variantsLabel(2)).toBe('2 variants');
    expect(variantsLabel(1)).toBe('1 variant');
  });

  it('tells variants from components, and names their set', () => {
    expect(rows.map((row) => isVariant(row))).toEqual([false, true, true, true, false]);
    expect(setNameOf(rows[1]!, rows)).toBe('Button');
    expect(setNameOf(rows[3]!, rows)).toBeNull();
    expect(setNameOf(rows[4]!, rows)).toBeNull();
  });

  it('names the types', () => {
    expect(['component_set', 'component', 'variant', null, 'other_kind'].map(componentTypeLabel)).toEqual(['set', 'component', 'variant', '—', 'other kind']);
  });
});
