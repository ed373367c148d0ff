// Where the password-reset mail leads: /reset-password?token=…. A new password ends every
// earlier session of the account and starts a new one here.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { AuthFrame } from './AuthFrame';
import { Button, ErrorNotice, Field, Input } from '../../components/ui';
import { confirmPasswordReset } from '../../api/session';
import { closeSubscriptions } from '../../api/graphql';
import { ApiProblem, fieldErrors } from '../../api/problem';

export function ResetPassword() {
  const [search] = useSearchParams();
  const token = search.get('token') ?? '';
  const navigate = useNavigate();
  const client = useQueryClient();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = fieldErrors(error, ['password']);
  const mismatch = repeat.length > 0 && repeat !== password;

  if (!token) {
    return (
      <AuthFrame title="Reset your password">
        <div className="space-y-3">
          <ErrorNotice error={new Error('this link has no token; open the link from the e-mail again')} />
          <Link className="font-medium text-accent hover:underline" to="/forgot-password">
            Ask for a new link
          </Link>
        </div>
      </AuthFrame>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(null);
    try {
      await confirmPasswordReset(token, password);
      // A new account may be signed in now: nothing cached from another one stays.
      closeSubscriptions();
      client.clear();
      navigate('/', { replace: true });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  // A token the node refuses (used, expired) is named as the `token` field: above the form, with the way out.
  const tokenRefused = error instanceof ApiProblem && error.field === 'token';
  return (
    <AuthFrame
      title="Choose a new password"
      subtitle="Every other session of your account ends; you stay signed in here."
      footer={
        <Link className="font-medium text-accent underline-offset-2 hover:underline" to="/login">
          Back to sign-in
        </Link>
      }
    >
      <form onSubmit={submit} className="space-y-3" noValidate>
        {errors.form && (
          <div className="space-y-2">
            <ErrorNotice error={error} />
            {tokenRefused && (
              <Link className="text-[13px] font-medium text-accent hover:underline" to="/forgot-password">
                Ask for a new link
              </Link>
            )}
          </div>
        )}
        <Field label="New password" htmlFor="reset-password" error={errors.fields.password} hint="At least 8 characters.">
          <Input id="reset-password" type="password" autoComplete="new-password" required value={password} onChange={(event) => setPassword(event.target.value)} invalid={Boolean(errors.fields.password)} />
        </Field>
        <Field label="Repeat it" htmlFor="reset-repeat" error={mismatch ? 'the two passwords differ' : undefined}>
          <Input id="reset-repeat" type="password" autoComplete="new-password" required value={repeat} onChange={(event) => setRepeat(event.target.value)} invalid={mismatch} />
        </Field>
        <Button type="submit" variant="primary" className="w-full" loading={busy} disabled={!password || mismatch} disabledReason={!password ? 'Choose a new password first.' : 'The two passwords differ.'}>
          Set the new password
        </Button>
      </form>
    </AuthFrame>
  );
}
