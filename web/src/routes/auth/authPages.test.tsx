import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router';
import type { ReactNode } from 'react';
import { fetchProviders, readProviders } from '../../api/providers';

const state = vi.hoisted(() => ({
  signedIn: false,
  registered: [] as unknown[],
  verify: { status: 200, body: null as unknown },
}));

vi.mock('../../api/hooks', () => ({ useSignedIn: () => state.signedIn }));
vi.mock('../../api/session', () => ({
  login: async () => undefined,
  register: async (input: unknown) => {
    state.registered.push(input);
    return { organization: null };
  },
}));
vi.mock('../../api/rest', async () => ({
  api: { POST: async () => ({ data: state.verify.status < 300 ? {} : undefined, error: state.verify.body, response: new Response(null, { status: state.verify.status }) }) },
  call: (await vi.importActual<typeof import('../../api/call')>('../../api/call')).call,
}));

const { Login } = await import('./Login');
const { Register, missingFields } = await import('./Register');
const { VerifyEmail } = await import('./VerifyEmail');

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
});
beforeEach(() => {
  state.signedIn = false;
  state.registered = [];
  state.verify = { status: 200, body: null };
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

  it('lists the missing fields of a form', () => {
    expect(Object.keys(missingFields({ organization: ' ', name: 'x', email: '', password: 'p' }))).toEqual(['organization', 'email']);
    expect(missingFields({ organization: 'a', name: 'b', email: 'c', password: 'd' })).toEqual({});
  });
});

describe('e-mail verification', () => {
  it('says a used link was used, and offers to sign in', async () => {
    state.verify = { status: 409, body: { title: 'Conflict', status: 409, detail: 'this link was already used; the address is verified' } };
    show(<VerifyEmail />, '/verify-email?token=t');
    expect(await screen.findByTestId('verify-used')).toHaveTextContent('This link was already used: your e-mail address is verified.');
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('still shows any other refusal as an error', async () => {
    state.verify = { status: 409, body: { title: 'Conflict', status: 409, detail: 'something else' } };
    show(<VerifyEmail />, '/verify-email?token=t');
    expect(await screen.findByRole('alert')).toHaveTextContent('Conflict: something else');
  });

  it('verifies a fresh link', async () => {
    show(<VerifyEmail />, '/verify-email?token=t');
    expect(await screen.findByText('Your e-mail address is verified.')).toBeInTheDocument();
  });
});
