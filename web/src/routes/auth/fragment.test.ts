import { describe, expect, it } from 'vitest';
import { parseCallbackFragment, providerName } from './fragment';

describe('the GitHub callback fragment', () => {
  it('reads the session of a login', () => {
    expect(parseCallbackFragment('#refresh_token=abc123')).toEqual({ kind: 'session', refreshToken: 'abc123' });
  });

  it('reads a linked account', () => {
    expect(parseCallbackFragment('#linked=github')).toEqual({ kind: 'linked', provider: 'github' });
    expect(providerName('github')).toBe('GitHub');
  });

  it('decodes the error the node encoded (form encoding: + is a space)', () => {
    expect(parseCallbackFragment('#error=GitHub+did+not+sign+you+in%3A+access_denied')).toEqual({ kind: 'error', message: 'GitHub did not sign you in: access_denied' });
  });

  it('prefers an error over anything else, and names an empty one', () => {
    expect(parseCallbackFragment('#refresh_token=abc&error=refused')).toEqual({ kind: 'error', message: 'refused' });
    expect(parseCallbackFragment('#error=')).toEqual({ kind: 'error', message: 'GitHub login failed' });
  });

  it('says when there is nothing to read', () => {
    expect(parseCallbackFragment('')).toEqual({ kind: 'empty' });
    expect(parseCallbackFragment('#refresh_token=')).toEqual({ kind: 'empty' });
    expect(parseCallbackFragment('#something=else')).toEqual({ kind: 'empty' });
  });
});
