// "Forgot your password?": the node mails a link to /reset-password?token=… (or writes it
// to its log when it has no mail server). It answers the same whether or not an account
// has the address, and so does this page.
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { MailCheck } from 'lucide-react';
import { AuthFrame } from './AuthFrame';
import { Button, ErrorNotice, Field, Input } from '../../components/ui';
import { requestPasswordReset } from '../../api/session';
import { fieldErrors } from '../../api/problem';

export function ForgotPassword() {
  const [search] = useSearchParams();
  const [email, setEmail] = useState(search.get('email') ?? '');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = fieldErrors(error, ['email']);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await requestPasswordReset(email.trim());
      setSent(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame
      title="Reset your password"
      subtitle="We mail you a link to choose a new one."
      footer={
        <Link className="font-medium text-accent underline-offset-2 hover:underline" to="/login">
          Back to sign-in
        </Link>
      }
    >
      {sent ? (
        <div className="space-y-3 text-[13px]" data-testid="reset-sent">
          <p className="flex items-start gap-2">
            <MailCheck className="mt-0.5 size-4 shrink-0 text-emerald-600" aria-hidden />
            <span>
              If an account uses <strong>{email.trim()}</strong>, a link to reset its password is on its way. It works once, for a limited time.
            </span>
          </p>
          <Button onClick={() => setSent(false)}>Use another address</Button>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-3" noValidate>
          {errors.form && <ErrorNotice error={error} />}
          <Field label="Email" htmlFor="forgot-email" error={errors.fields.email}>
            <Input id="forgot-email" type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} invalid={Boolean(errors.fields.email)} />
          </Field>
          <Button type="submit" variant="primary" className="w-full" loading={busy} disabled={!email.includes('@')} disabledReason="Enter your e-mail address first.">
            Send the link
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}
