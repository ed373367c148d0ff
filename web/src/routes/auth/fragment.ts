// What the node's GitHub callback tells the console in the URL fragment of
// /auth/callback (a fragment never reaches a server): `#refresh_token=…` after a login,
// `#linked=github` after linking GitHub to the signed-in account, `#error=…` when either
// failed. Pure, so it is unit-tested.

export type CallbackOutcome =
  | { kind: 'session'; refreshToken: string }
  | { kind: 'linked'; provider: string }
  | { kind: 'error'; message: string }
  | { kind: 'empty' };

export function parseCallbackFragment(hash: string): CallbackOutcome {
  const fragment = new URLSearchParams(hash.replace(/^#/, ''));
  const error = fragment.get('error');
  if (error !== null) return { kind: 'error', message: error.trim() || 'GitHub login failed' };
  const refreshToken = fragment.get('refresh_token');
  if (refreshToken) return { kind: 'session', refreshToken };
  const linked = fragment.get('linked');
  if (linked) return { kind: 'linked', provider: linked };
  return { kind: 'empty' };
}

/** A provider's name for people. */
export function providerName(provider: string): string {
  return provider === 'github' ? 'GitHub' : provider;
}
