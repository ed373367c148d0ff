import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { AuthFrame, nextPath } from './AuthFrame';
import { Button, ErrorNotice, Field, Input } from '../../components/ui';
import { login } from '../../api/session';
import { useSignedIn } from '../../api/hooks';
import { fieldErrors } from '../../api/problem';
import { GithubMark } from '../../components/GithubMark';
import { useAuthProviders } from '../../api/providers';

export function Login() {
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const signedIn = useSignedIn();
  // "Continue with GitHub" only where GitHub login is on.
  const providers = useAuthProviders();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (signedIn && !busy) return <Navigate to={nextPath(search)} replace />;
  const errors = fieldErrors(error, ['email', 'password']);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email, password);
      navigate(nextPath(search), { replace: true });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <AuthFrame
      title="Sign in"
      subtitle="Steer your agents, approve what needs a person."
      footer={
        <>
          First time on this node? <Link className="font-medium text-accent underline-offset-2 hover:underline" to="/register">Create the first account</Link>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-3" noValidate>
        {errors.form && <ErrorNotice error={error} />}
        <Field label="Email" htmlFor="login-email" error={errors.fields.email}>
          <Input id="login-email" type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} invalid={Boolean(errors.fields.email)} />
        </Field>
        <Field label="Password" htmlFor="login-password" error={errors.fields.password}>
          <Input id="login-password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} invalid={Boolean(errors.fields.password)} />
        </Field>
        <div className="-mt-1 text-right text-[12px]">
          <Link className="text-accent underline-offset-2 hover:underline" to={email.includes('@') ? `/forgot-password?email=${encodeURIComponent(email)}` : '/forgot-password'}>
            Forgot your password?
          </Link>
        </div>
        <Button type="submit" variant="primary" className="w-full" loading={busy}>
          Sign in
        </Button>
        {providers.data?.github && (
          <>
            <div className="relative py-1 text-center text-[12px] text-muted">
              <span className="bg-panel px-2">or</span>
            </div>
            <a href="/api/auth/github" className="flex h-8 w-full items-center justify-center gap-2 rounded-md border border-line text-[13px] font-medium hover:bg-panel-2">
              <GithubMark /> Continue with GitHub
            </a>
          </>
        )}
      </form>
    </AuthFrame>
  );
}
