import { describe, expect, it } from 'vitest';
import { matchedByTag, searchModeNote } from './search';

describe('how a hit was found', () => {
  it('tags a hit found by meaning alone, with its similarity in the title', () => {
    expect(matchedByTag({ matched_by: 'meaning', similarity: 0.8234 })).toEqual({ label: 'by meaning', title: 'Found by meaning, not by its words: 82 % similar' });
    expect(matchedByTag({ matched_by: 'meaning', similarity: null })).toEqual({ label: 'by meaning', title: 'Found by meaning, not by its words' });
  });

  it('does not tag a hit its words found, nor one from a node that does not say', () => {
    expect(matchedByTag({ matched_by: 'words' })).toBeNull();
    expect(matchedByTag({ matched_by: 'both', similarity: 0.9 })).toBeNull();
    expect(matchedByTag({})).toBeNull();
  });
});

describe('how a search was answered', () => {
  it('says so only when meaning was unavailable for the query', () => {
    expect(searchModeNote('full_text_fallback')).toBe('Search by meaning is unavailable right now; these matched by words.');
    expect(searchModeNote('hybrid')).toBeNull();
    expect(searchModeNote('full_text')).toBeNull();
    expect(searchModeNote(undefined)).toBeNull();
  });
});
