// Where the verification mail leads: /verify-email?token=…. Verifying the address sets the
// account's password, so whoever registered the address before its owner proved it keeps
// none that works; like a password reset, it ends every other session of the account and
// starts a new one here.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { CheckCircle2 } from 'lucide-react';
import { AuthFrame } from './AuthFrame';
import { Button, ErrorNotice, Field, Input, buttonClass } from '../../components/ui';
import { verifyEmail } from '../../api/session';
import { closeSubscriptions } from '../../api/graphql';
import { ApiProblem, fieldErrors } from '../../api/problem';
import { useSignedIn } from '../../api/hooks';

/** The shortest password the node takes (as at registration). */
export const MIN_PASSWORD = 8;

/** The node's answer to a link opened a second time: 409, "this link was already used …". */
export function isUsedLink(error: unknown): boolean {
  return error instanceof ApiProblem && error.status === 409 && /^this link was already used/i.test(error.detail);
}

export function VerifyEmail() {
  const [search] = useSearchParams();
  const token = search.get('token') ?? '';
  const signedIn = useSignedIn();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const [busy, setBusy] = useState(false);
  const [used, setUsed] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = fieldErrors(error, ['password']);
  const mismatch = repeat.length > 0 && repeat !== password;
  const passwordError = tooShort && password.length < MIN_PASSWORD ? `must be at least ${MIN_PASSWORD} characters` : errors.fields.password;

  const footer = <Link className="font-medium text-accent hover:underline" to="/">Go to the console</Link>;

  if (!token) {
    return (
      <AuthFrame title="Verify your e-mail" footer={footer}>
        <ErrorNotice error={new Error('this link has no token; open the link from the e-mail again')} what="E-mail verification" />
      </AuthFrame>
    );
  }

  if (used) {
    return (
      <AuthFrame title="Verify your e-mail" footer={footer}>
        <div className="space-y-3 text-[13px]" data-testid="verify-used">
          <p className="flex items-center gap-2">
            <CheckCircle2 className="size-4 shrink-0 text-emerald-600" aria-hidden /> This link was already used: your e-mail address is verified.
          </p>
          {!signedIn && (
            <Link className={buttonClass('primary')} to="/login">
              Sign in
            </Link>
          )}
        </div>
      </AuthFrame>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch || !password) return;
    if (password.length < MIN_PASSWORD) {
      setTooShort(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await verifyEmail(token, password);
      // Another account may have been signed in here: nothing cached from it stays.
      closeSubscriptions();
      client.clear();
      navigate('/', { replace: true });
    } catch (caught) {
      if (isUsedLink(caught)) setUsed(true);
      else setError(caught);
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Verify your e-mail" subtitle="Choose your password to finish verifying your address." footer={footer}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        {errors.form && <ErrorNotice error={error} what="E-mail verification" />}
        <Field label="Password" htmlFor="verify-password" error={passwordError} hint={`At least ${MIN_PASSWORD} characters.`}>
          <Input id="verify-password" type="password" autoComplete="new-password" required value={password} onChange={(event) => setPassword(event.target.value)} invalid={Boolean(passwordError)} />
        </Field>
        <Field label="Repeat it" htmlFor="verify-repeat" error={mismatch ? 'the two passwords differ' : undefined}>
          <Input id="verify-repeat" type="password" autoComplete="new-password" required value={repeat} onChange={(event) => setRepeat(event.target.value)} invalid={mismatch} />
        </Field>
        <Button type="submit" variant="primary" className="w-full" loading={busy} disabled={!password || mismatch} disabledReason={!password ? 'Choose a password first.' : 'The two passwords differ.'}>
          Verify and sign in
        </Button>
        <p className="text-[12px] text-muted">Every other session of this account is signed out.</p>
      </form>
    </AuthFrame>
  );
}
