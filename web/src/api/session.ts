// The console's one TokenManager and the calls that start and end a session.
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/openapi';
import { TokenManager, browserTokenDeps } from './tokens';
import { call } from './call';
import type { MailSent, Session, VerifyEmailBody } from './models';
import { CLIENT_HEADER } from './client';

export const tokens = new TokenManager(browserTokenDeps());

/**
 * The routes that start or end a session carry no access token, so they go through a
 * client of their own, typed by the same document, without rest.ts's token middleware
 * (which itself depends on the TokenManager above).
 */
const auth = createClient<paths>({ baseUrl: '', headers: CLIENT_HEADER });

export async function login(email: string, password: string): Promise<void> {
  tokens.setSession(await call(auth.POST('/api/auth/login', { body: { email, password } })));
}

export type RegisterInput = components['schemas']['Register'];

/**
 * The node's answer to a registration: the node's first account and an invited one are
 * signed in at once (201, a session carrying the organization). With open registration,
 * every other address is answered 202 whether or not it has an account: a link was mailed
 * to it, and the password is chosen from there.
 */
export type Registered = { signedIn: true; session: Session } | { signedIn: false; mailed: MailSent };

/** Creates the account (and its organization, or joins the invitation's); keeps the session when there is one. */
export async function register(input: RegisterInput): Promise<Registered> {
  const request = auth.POST('/api/auth/register', { body: input });
  const { response } = await request;
  const answer: unknown = await call(request);
  if (response.status === 202) return { signedIn: false, mailed: answer as MailSent };
  const session = answer as Session;
  tokens.setSession(session);
  return { signedIn: true, session };
}

/** Revokes the refresh token on the node, then forgets the session here. */
export async function logout(): Promise<void> {
  const refreshToken = tokens.currentRefreshToken();
  try {
    if (refreshToken) await call(auth.POST('/api/auth/logout', { body: { refresh_token: refreshToken } }));
  } finally {
    tokens.clear();
  }
}

/** Asks the node to mail a password-reset link (answered the same whether the account exists or not). */
export async function requestPasswordReset(email: string): Promise<void> {
  await call(auth.POST('/api/auth/password-reset', { body: { email } }));
}

/** Sets a new password with the mailed link's token; the answer is a new session (every earlier one is over). */
export async function confirmPasswordReset(token: string, password: string): Promise<void> {
  tokens.setSession(await call(auth.POST('/api/auth/password-reset/confirm', { body: { token, password } })));
}

/**
 * Verifies the address with the mailed link's token and sets the account's password: who
 * registered the address before its owner proved it keeps no password that works. The
 * answer is a new session, as a password reset's (every other one is over).
 */
export async function verifyEmail(token: string, password: string): Promise<void> {
  const body: VerifyEmailBody = { token, password };
  const session: unknown = await call(auth.POST('/api/auth/verify-email', { body }));
  tokens.setSession(session as Session);
}
