// A post's length as its platform counts it, near enough for the draft form: the node
// counts exactly (`characters` and `character_limit` of a saved post), this only guides
// the writing. On X each http(s) link counts 23 and wide characters and emoji 2; on
// LinkedIn every character counts 1.
import type { SocialPlatformWire, SocialPostRow } from '../api/models';

export const CHARACTER_LIMITS: Record<SocialPlatformWire, number> = { twitter: 280, linkedin: 3000 };

/** What X counts for any link, however long. */
export const X_LINK_LENGTH = 23;

const LINK = /https?:\/\/[^\s]+/gi;

/** X's weight of one code point: 1 for Latin, Greek, Cyrillic and the like and general punctuation, 2 otherwise. */
function xWeight(codePoint: number): number {
  const light =
    codePoint <= 0x10ff ||
    (codePoint >= 0x2000 && codePoint <= 0x200d) ||
    (codePoint >= 0x2010 && codePoint <= 0x201f) ||
    (codePoint >= 0x2032 && codePoint <= 0x2037);
  return light ? 1 : 2;
}

const graphemes = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter('en', { granularity: 'grapheme' }) : null;

/** Whether a grapheme is an emoji (a pictograph, or a sequence joined or presented as one). */
function isEmoji(grapheme: string): boolean {
  return /\p{Extended_Pictographic}/u.test(grapheme) || /[\u200d\ufe0f]/.test(grapheme);
}

function xCount(text: string): number {
  let count = 0;
  const pieces = graphemes ? Array.from(graphemes.segment(text), (piece) => piece.segment) : Array.from(text);
  for (const piece of pieces) {
    if (isEmoji(piece)) {
      count += 2;
      continue;
    }
    for (const character of piece) count += xWeight(character.codePointAt(0) ?? 0);
  }
  return count;
}

/** About how many characters the platform counts in `content` (the node's count of a saved post is exact). */
export function approximateCharacters(content: string, platform: SocialPlatformWire | null | undefined): number {
  const text = content.normalize('NFC');
  if (platform !== 'twitter') return Array.from(text).length;
  let links = 0;
  const rest = text.replace(LINK, () => {
    links += 1;
    return '';
  });
  return links * X_LINK_LENGTH + xCount(rest);
}

/** Whether a saved post is longer than its platform takes. */
export function overLimit(post: Pick<SocialPostRow, 'characters' | 'character_limit'>): boolean {
  return post.characters > post.character_limit;
}
