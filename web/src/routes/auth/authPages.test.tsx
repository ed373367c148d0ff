import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import type { ReactNode } from 'react';
import { fetchProviders, readProviders } from '../../api/providers';

const state = vi.hoisted(() => ({
  signedIn: false,
  registered: [] as unknown[],
  // The node's answer to POST /api/auth/register.
  registration: { status: 201, body: null as unknown },
  verify: { status: 200, body: null as unknown },
  verified: [] as { token: string; password: string }[],
  cleared: 0,
}));

vi.mock('../../api/hooks', () => ({ useSignedIn: () => state.signedIn }));
vi.mock('../../api/session', async () => {
  const { problemFrom } = await vi.importActual<typeof import('../../api/problem')>('../../api/problem');
  // Registration is the real one, against a node that answers `state.registration`. The
  // client reads `fetch` and `Request` when it is created, so both stand in before it loads
  // (and relative paths resolve against the page's address).
  const BaseRequest = globalThis.Request;
  vi.stubGlobal(
    'Request',
    class extends BaseRequest {
      constructor(input: RequestInfo | URL, init?: RequestInit) {
        super(typeof input === 'string' ? new URL(input, 'http://node.test') : input, init);
      }
    },
  );
  vi.stubGlobal('fetch', async (request: Request) => {
    state.registered.push(await request.json());
    const { status, body } = state.registration;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  const { register, tokens } = await vi.importActual<typeof import('../../api/session')>('../../api/session');
  vi.unstubAllGlobals();
  return {
    login: async () => undefined,
    register,
    tokens,
    // The node's answer to POST /api/auth/verify-email: a session, or a problem.
    verifyEmail: async (token: string, password: string) => {
      state.verified.push({ token, password });
      if (state.verify.status >= 300) throw problemFrom(state.verify.status, state.verify.body);
    },
  };
});
vi.mock('../../api/graphql', () => ({
  closeSubscriptions: () => {
    state.cleared += 1;
  },
}));
vi.mock('../../api/rest', async () => ({
  api: { POST: async () => ({ data: state.verify.status < 300 ? {} : undefined, error: state.verify.body, response: new Response(null, { status: state.verify.status }) }) },
  call: (await vi.importActual<typeof import('../../api/call')>('../../api/call')).call,
}));

const { Login } = await import('./Login');
const { Register, missingFields } = await import('./Register');
const { VerifyEmail } = await import('./VerifyEmail');
const { tokens } = await import('../../api/session');
const { useUi } = await import('../../stores/ui');

function show(children: ReactNode, path = '/') {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[path]}>{children}</MemoryRouter>
    </QueryClientProvider>,
  );
}

function answer(status: number, body?: unknown) {
  return vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  tokens.clear(false);
  useUi.getState().setOrganization(null);
});
beforeEach(() => {
  state.signedIn = false;
  state.registered = [];
  state.registration = { status: 201, body: null };
  state.verify = { status: 200, body: null };
  state.verified = [];
  state.cleared = 0;
});

describe('sign-in providers', () => {
  it('reads the node’s answer, and a node without the route as "no GitHub login"', async () => {
    expect(await fetchProviders(answer(200, { github: true, open_registration: false }))).toEqual({ github: true, open_registration: false });
    expect(await fetchProviders(answer(404))).toEqual({ github: false, open_registration: true });
    expect(readProviders({ github: 'yes' })).toEqual({ github: false, open_registration: true });
    await expect(fetchProviders(answer(500, { title: 'Internal error', status: 500 }))).rejects.toThrow('Internal error');
  });

  it('shows "Continue with GitHub" only when GitHub login is on', async () => {
    vi.stubGlobal('fetch', answer(200, { github: true, open_registration: true }));
    show(<Login />, '/login');
    expect(await screen.findByRole('link', { name: 'Continue with GitHub' })).toHaveAttribute('href', '/api/auth/github');
    cleanup();
    vi.stubGlobal('fetch', answer(200, { github: false, open_registration: true }));
    show(<Login />, '/login');
    await screen.findByRole('button', { name: 'Sign in' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByRole('link', { name: 'Continue with GitHub' })).toBeNull();
  });

  it('hides it on a node that does not have the route yet (404)', async () => {
    const fetcher = answer(404);
    vi.stubGlobal('fetch', fetcher);
    show(<Login />, '/login');
    await vi.waitFor(() => expect(fetcher).toHaveBeenCalled());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByRole('link', { name: 'Continue with GitHub' })).toBeNull();
  });
});

describe('registration', () => {
  it('marks every missing field at once and sends nothing', async () => {
    show(<Register />, '/register');
    await userEvent.type(screen.getByLabelText('Your name'), 'Olivia');
    await userEvent.click(screen.getByRole('button', { name: 'Create organization' }));
    expect(screen.getByLabelText('Organization name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Your name')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByLabelText('Organization name')).toHaveAccessibleDescription("Enter your organization's name.");
    expect(screen.getByLabelText('Organization name')).toHaveFocus();
    expect(state.registered).toEqual([]);
    // Filling a field clears its mark.
    await userEvent.type(screen.getByLabelText('Email'), 'o@acme.test');
    expect(screen.getByLabelText('Email')).not.toHaveAttribute('aria-invalid');
  });

  it('signs the node’s first account in at once (201) and goes to the console', async () => {
    state.registration = {
      status: 201,
      body: { access_token: 'access', refresh_token: 'refresh', token_type: 'Bearer', expires_in: 900, organization: { id: 'org-1', name: 'Acme', slug: 'acme', role: 'owner' } },
    };
    showRegister();
    await fillRegistration();
    expect(await screen.findByText('The dashboard')).toBeInTheDocument();
    expect(state.registered).toEqual([{ organization: 'Acme', name: 'Olivia', email: 'o@acme.test', password: 'correct horse' }]);
    expect(tokens.hasSession).toBe(true);
    expect(tokens.currentRefreshToken()).toBe('refresh');
    expect(useUi.getState().organizationId).toBe('org-1');
  });

  it('with open registration (202), says a link was mailed to the address and keeps no session', async () => {
    state.registration = { status: 202, body: { status: 'follow the link mailed to this address to choose your password and sign in', email: 'o@acme.test' } };
    showRegister();
    await fillRegistration();
    const mailed = await screen.findByTestId('register-mailed');
    expect(screen.getByRole('heading', { name: 'Check your mail' })).toBeInTheDocument();
    expect(mailed).toHaveTextContent('We mailed a link to o@acme.test. Follow it to choose your password and sign in.');
    expect(mailed).toHaveTextContent('The mail may take a minute to arrive. If it does not, look in your spam folder.');
    expect(screen.getByRole('link', { name: 'Back to sign-in' })).toHaveAttribute('href', '/login');
    expect(screen.queryByText('The dashboard')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(tokens.hasSession).toBe(false);
    expect(tokens.currentRefreshToken()).toBeNull();
    expect(useUi.getState().organizationId).toBeNull();
  });

  it('still puts a refused field next to it (422)', async () => {
    state.registration = { status: 422, body: { title: 'Invalid request field', status: 422, detail: 'password: must be at least 8 characters', field: 'password' } };
    showRegister();
    await fillRegistration();
    await vi.waitFor(() => expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('password: must be at least 8 characters'));
    expect(screen.queryByTestId('register-mailed')).toBeNull();
    expect(tokens.hasSession).toBe(false);
  });

  it('lists the missing fields of a form', () => {
    expect(Object.keys(missingFields({ organization: ' ', name: 'x', email: '', password: 'p' }))).toEqual(['organization', 'email']);
    expect(missingFields({ organization: 'a', name: 'b', email: 'c', password: 'd' })).toEqual({});
  });
});

/** The registration page, with the dashboard it leads to. */
function showRegister() {
  show(
    <Routes>
      <Route path="/register" element={<Register />} />
      <Route path="/" element={<p>The dashboard</p>} />
    </Routes>,
    '/register',
  );
}

async function fillRegistration() {
  await userEvent.type(screen.getByLabelText('Organization name'), 'Acme');
  await userEvent.type(screen.getByLabelText('Your name'), 'Olivia');
  await userEvent.type(screen.getByLabelText('Email'), 'o@acme.test');
  await userEvent.type(screen.getByLabelText('Password'), 'correct horse');
  await userEvent.click(screen.getByRole('button', { name: 'Create organization' }));
}

/** The verification page, with the dashboard it leads to. */
function showVerify(path = '/verify-email?token=t') {
  show(
    <Routes>
      <Route path="/verify-email" element={<VerifyEmail />} />
      <Route path="/" element={<p>The dashboard</p>} />
    </Routes>,
    path,
  );
}

async function choosePassword(password = 'correct horse', repeat = password) {
  await userEvent.type(screen.getByLabelText('Password'), password);
  await userEvent.type(screen.getByLabelText('Repeat it'), repeat);
  await userEvent.click(screen.getByRole('button', { name: 'Verify and sign in' }));
}

describe('e-mail verification', () => {
  it('asks for the password before verifying, and sends nothing on opening the link', () => {
    showVerify();
    expect(screen.getByText('Choose your password to finish verifying your address.')).toBeInTheDocument();
    expect(screen.getByText('Every other session of this account is signed out.')).toBeInTheDocument();
    expect(screen.getByText('At least 8 characters.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Verify and sign in' })).toHaveAccessibleDescription('Choose a password first.');
    expect(state.verified).toEqual([]);
  });

  it('verifies with the password, signs in and goes to the dashboard', async () => {
    showVerify();
    await choosePassword('correct horse');
    expect(await screen.findByText('The dashboard')).toBeInTheDocument();
    expect(state.verified).toEqual([{ token: 't', password: 'correct horse' }]);
    expect(state.cleared).toBe(1);
  });

  it('refuses a short password or two that differ, without sending them', async () => {
    showVerify();
    await choosePassword('short', 'short');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('must be at least 8 characters');
    cleanup();
    showVerify();
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse');
    await userEvent.type(screen.getByLabelText('Repeat it'), 'correct hose');
    expect(screen.getByRole('button', { name: 'Verify and sign in' })).toBeDisabled();
    expect(screen.getByLabelText('Repeat it')).toHaveAccessibleDescription('the two passwords differ');
    expect(state.verified).toEqual([]);
  });

  it('says a used link was used, and offers to sign in', async () => {
    state.verify = { status: 409, body: { title: 'Conflict', status: 409, detail: 'this link was already used; the address is verified' } };
    showVerify();
    await choosePassword();
    expect(await screen.findByTestId('verify-used')).toHaveTextContent('This link was already used: your e-mail address is verified.');
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows an unknown or expired link as the node says', async () => {
    state.verify = { status: 422, body: { title: 'Invalid request field', status: 422, detail: 'this link is unknown or has expired; ask for a new one', field: 'token' } };
    showVerify();
    await choosePassword();
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid request field: this link is unknown or has expired; ask for a new one');
    expect(screen.queryByText('The dashboard')).toBeNull();
  });

  it('puts a refused password next to the field', async () => {
    state.verify = { status: 422, body: { title: 'Invalid request field', status: 422, detail: 'password: must be at least 8 characters', field: 'password' } };
    showVerify();
    await choosePassword();
    await vi.waitFor(() => expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('password: must be at least 8 characters'));
  });

  it('still shows any other refusal as an error', async () => {
    state.verify = { status: 409, body: { title: 'Conflict', status: 409, detail: 'something else' } };
    showVerify();
    await choosePassword();
    expect(await screen.findByRole('alert')).toHaveTextContent('Conflict: something else');
  });

  it('says so when the link has no token', () => {
    showVerify('/verify-email');
    expect(screen.getByRole('alert')).toHaveTextContent('this link has no token; open the link from the e-mail again');
  });
});
