// The Design System page's words: a drift difference as a sentence, a component's drift
// as a badge, which findings a person needs to act on, and how variants gather under the
// component set they belong to.
import type { ComponentDrift, DesignComponentRow, DriftDifference, DriftFinding, DriftReport } from '../api/models';

type Tone = 'green' | 'amber' | 'red' | 'gray';

/** "a", "a and b", "a, b and c". */
export function listOf(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * One difference between a Figma component and its code component, for a person:
 * "size: Figma has large, the code does not", "hasIcon: in Figma, not in the code",
 * "disabled: Figma boolean, code string". Properties are named as code names them.
 */
export function differenceSentence(difference: DriftDifference): string {
  const { property } = difference;
  switch (difference.kind) {
    case 'property_missing_in_code':
      return `${property}: in Figma, not in the code`;
    case 'property_missing_in_figma':
      return `${property}: in the code, not in Figma`;
    case 'options_differ': {
      const parts: string[] = [];
      if (difference.only_in_figma.length > 0) parts.push(`Figma has ${listOf(difference.only_in_figma)}, the code does not`);
      if (difference.only_in_code.length > 0) parts.push(`the code has ${listOf(difference.only_in_code)}, Figma does not`);
      return `${property}: ${parts.length > 0 ? parts.join('; ') : 'the options differ'}`;
    }
    case 'kind_differs':
      return `${property}: Figma ${difference.figma}, code ${difference.code}`;
    default:
      // A kind a newer node reports.
      return `${property}: differs`;
  }
}

/** A component's drift as a badge: its colour, its words, and what a hover tells. */
export function driftBadge(drift: Pick<ComponentDrift, 'status' | 'differences'> | null | undefined): { tone: Tone; label: string; title: string } {
  if (!drift) return { tone: 'gray', label: 'not checked', title: 'The design QA agent has not compared this component with the code yet' };
  switch (drift.status) {
    case 'in_sync':
      return { tone: 'green', label: 'in step', title: 'The code component has the same properties and options' };
    case 'differs': {
      const count = drift.differences.length;
      return {
        tone: 'amber',
        label: count > 0 ? `differs · ${count}` : 'differs',
        title: count > 0 ? drift.differences.map(differenceSentence).join('\n') : 'The code component differs',
      };
    }
    case 'missing_in_code':
      return { tone: 'red', label: 'missing in code', title: 'No code component has its name' };
    default:
      return { tone: 'gray', label: String(drift.status).replace(/_/g, ' '), title: '' };
  }
}

/** The findings a person acts on: those that differ, then those missing in code. */
export function findingsToAct(report: Pick<DriftReport, 'components'>): DriftFinding[] {
  const rank = (finding: DriftFinding) => (finding.status === 'differs' ? 0 : 1);
  return report.components.filter((finding) => finding.status !== 'in_sync').sort((a, b) => rank(a) - rank(b));
}

/** The report in one line: "3 of 5 Figma components in step with the code". */
export function reportHeadline(report: Pick<DriftReport, 'figma_components' | 'in_sync'>): string {
  const total = report.figma_components;
  if (total === 0) return 'No Figma component to compare';
  if (report.in_sync === total) return `All ${total} Figma ${total === 1 ? 'component is' : 'components are'} in step with the code`;
  return `${report.in_sync} of ${total} Figma ${total === 1 ? 'component' : 'components'} in step with the code`;
}

type ComponentRow = Pick<DesignComponentRow, 'id' | 'figma_file_id' | 'figma_component_id' | 'component_type' | 'metadata'>;

/** The Figma node id of the set a variant belongs to, or null. */
export function setOf(component: Pick<DesignComponentRow, 'metadata'>): string | null {
  const set = component.metadata?.component_set;
  return typeof set === 'string' && set ? set : null;
}

/** A member of a component set (a variant), rather than a component as code has them. */
export function isVariant(component: Pick<DesignComponentRow, 'component_type' | 'metadata'>): boolean {
  return component.component_type === 'variant' || (component.component_type !== 'component_set' && setOf(component) !== null);
}

/** How many variants each component set has, by the set's row id. */
export function variantCounts(components: readonly ComponentRow[]): Map<string, number> {
  const sets = new Map<string, string>();
  for (const component of components) {
    if (component.component_type === 'component_set') sets.set(`${component.figma_file_id} ${component.figma_component_id}`, component.id);
  }
  const counts = new Map<string, number>();
  for (const component of components) {
    const set = setOf(component);
    if (!set || !isVariant(component)) continue;
    const id = sets.get(`${component.figma_file_id} ${set}`);
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The name of the set a variant belongs to, when the set is listed. */
export function setNameOf<T extends ComponentRow & { name: string }>(component: T, components: readonly T[]): string | null {
  const set = setOf(component);
  if (!set) return null;
  return components.find((other) => other.figma_file_id === component.figma_file_id && other.figma_component_id === set)?.name ?? null;
}

/** A component's type in words. */
export function componentTypeLabel(type: string | null | undefined): string {
  switch (type) {
    case 'component_set':
      return 'set';
    case 'component':
      return 'component';
    case 'variant':
      return 'variant';
    default:
      return type ? type.replace(/_/g, ' ') : '—';
  }
}

/** "1 variant", "4 variants". */
export function variantsLabel(count: number): string {
  return `${count} ${count === 1 ? 'variant' : 'variants'}`;
}
