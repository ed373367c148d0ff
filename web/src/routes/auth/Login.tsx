import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { AuthFrame, nextPath } from './AuthFrame';
import { Button, ErrorNotice, Field, Input } from '../../components/ui';
import { login } from '../../api/session';
import { useSignedIn } from '../../api/hooks';
import { fieldErrors } from '../../api/problem';

export function Login() {
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const signedIn = useSignedIn();
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
        <Button type="submit" variant="primary" className="w-full" loading={busy}>
          Sign in
        </Button>
        <div className="relative py-1 text-center text-[12px] text-muted">
          <span className="bg-panel px-2">or</span>
        </div>
        <a href="/api/auth/github" className="flex h-8 w-full items-center justify-center gap-2 rounded-md border border-line text-[13px] font-medium hover:bg-panel-2">
          <GithubMark /> Continue with GitHub
        </a>
      </form>
    </AuthFrame>
  );
}

function GithubMark() {
  return (
    <svg viewBox="0 0 16 16" className="size-4" fill="currentColor" aria-hidden>
      <path d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z" />
    </svg>
  );
}
