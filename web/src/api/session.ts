// The console's one TokenManager and the calls that start and end a session.
import { TokenManager, browserTokenDeps, type Session } from './tokens';
import { problemFromResponse } from './problem';

export const tokens = new TokenManager(browserTokenDeps());

async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await problemFromResponse(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export async function login(email: string, password: string): Promise<void> {
  tokens.setSession(await post<Session>('/api/auth/login', { email, password }));
}

export interface RegisterInput {
  email: string;
  name: string;
  password: string;
  organization?: string;
  invitation_token?: string;
}

export async function register(input: RegisterInput): Promise<{ organization?: { id: string } }> {
  const answer = await post<Session & { organization?: { id: string } }>('/api/auth/register', input);
  tokens.setSession(answer);
  return answer;
}

/** Revokes the refresh token on the node, then forgets the session here. */
export async function logout(): Promise<void> {
  const refreshToken = tokens.currentRefreshToken();
  try {
    if (refreshToken) await post('/api/auth/logout', { refresh_token: refreshToken });
  } finally {
    tokens.clear();
  }
}

/** Asks the node to mail a password-reset link (answered the same whether the account exists or not). */
export async function requestPasswordReset(email: string): Promise<void> {
  await post('/api/auth/password-reset', { email });
}

/** Sets a new password with the mailed link's token; the answer is a new session (every earlier one is over). */
export async function confirmPasswordReset(token: string, password: string): Promise<void> {
  tokens.setSession(await post<Session>('/api/auth/password-reset/confirm', { token, password }));
}
