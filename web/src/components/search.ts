// Where a search hit (GET /api/search) leads in the console, by the areas' own URL
// conventions: a pull request (and a finding, whose id is its pull request's) is selected
// in the Development Hub (`?pr=`), a deployment is marked in its tab (`?id=`), an event in
// the Intelligence Hub's event log (`?type=` its type, `&event=` it); components and
// posts lead to their areas. A node with an embeddings endpoint also finds documents by
// meaning: such a hit is tagged, and an answer that fell back to words alone says so.
import type { SearchHit, SearchKind, SearchMode } from '../api/models';

/** Queries shorter than this are not searched. */
export const SEARCH_MIN_CHARS = 2;
/** How long the palette waits after the last keystroke before it searches. */
export const SEARCH_DELAY_MS = 200;

const KINDS: Record<SearchKind, string> = {
  event: 'Event',
  pull_request: 'Pull request',
  finding: 'Review finding',
  deployment: 'Deployment',
  component: 'Component',
  post: 'Post',
};

/** A hit's kind in words. */
export function searchKindLabel(kind: string): string {
  return KINDS[kind as SearchKind] ?? kind.replace(/_/g, ' ');
}

/** The console's address of what a hit found. */
export function searchHitPath(hit: Pick<SearchHit, 'kind' | 'id' | 'title'>): string {
  const id = encodeURIComponent(hit.id);
  switch (hit.kind) {
    case 'pull_request':
    case 'finding':
      return `/development?pr=${id}`;
    case 'deployment':
      return `/development/deployments?id=${id}`;
    case 'component':
      return '/design';
    case 'post':
      return '/social';
    case 'event': {
      // An event's title is its type (`deployment.error`); the log filters by it and marks the entry.
      const type = /^[\w.:-]+$/.test(hit.title) ? `type=${encodeURIComponent(hit.title)}&` : '';
      return `/intelligence?${type}event=${id}`;
    }
    default:
      return '/intelligence';
  }
}

/**
 * The tag of a hit found by its meaning alone, with its similarity in words for the tag's
 * title; null for a hit its words found (alone or with its meaning), which needs no tag.
 */
export function matchedByTag(hit: Partial<Pick<SearchHit, 'matched_by' | 'similarity'>>): { label: string; title: string } | null {
  if (hit.matched_by !== 'meaning') return null;
  const similarity = typeof hit.similarity === 'number' && Number.isFinite(hit.similarity) ? `: ${Math.round(Math.min(Math.max(hit.similarity, 0), 1) * 100)} % similar` : '';
  return { label: 'by meaning', title: `Found by meaning, not by its words${similarity}` };
}

/** What the palette says under the hits about how the search was answered; null when nothing needs saying. */
export function searchModeNote(mode: SearchMode | string | null | undefined): string | null {
  if (mode === 'full_text_fallback') return 'Search by meaning is unavailable right now; these matched by words.';
  return null;
}
