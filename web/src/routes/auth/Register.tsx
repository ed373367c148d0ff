import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { MailCheck } from 'lucide-react';
import { AuthFrame } from './AuthFrame';
import { Button, ErrorNotice, Field, Input } from '../../components/ui';
import { register } from '../../api/session';
import { fieldErrors } from '../../api/problem';
import type { MailSent } from '../../api/models';
import { useUi } from '../../stores/ui';

type RegisterForm = { organization: string; name: string; email: string; password: string };

const REQUIRED: Record<keyof RegisterForm, string> = {
  organization: "Enter your organization's name.",
  name: 'Enter your name.',
  email: 'Enter your e-mail address.',
  password: 'Choose a password.',
};

/** Every empty field with what to put there, all at once (the node would name only the first). */
export function missingFields(form: RegisterForm): Partial<Record<keyof RegisterForm, string>> {
  const missing: Partial<Record<keyof RegisterForm, string>> = {};
  for (const key of Object.keys(REQUIRED) as (keyof RegisterForm)[]) if (!form[key].trim()) missing[key] = REQUIRED[key];
  return missing;
}

export function Register() {
  const navigate = useNavigate();
  const setOrganization = useUi((state) => state.setOrganization);
  const [form, setForm] = useState<RegisterForm>({ organization: '', name: '', email: '', password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState<Partial<Record<keyof RegisterForm, string>>>({});
  // Open registration answers with a mailed link instead of a session.
  const [mailed, setMailed] = useState<MailSent | null>(null);
  const fromNode = fieldErrors(error, ['organization', 'name', 'email', 'password']);
  const errors = { form: fromNode.form, fields: { ...fromNode.fields, ...missing } };
  const update = (key: keyof RegisterForm) => (event: React.ChangeEvent<HTMLInputElement>) => {
    setForm({ ...form, [key]: event.target.value });
    if (missing[key] && event.target.value.trim()) {
      const rest = { ...missing };
      delete rest[key];
      setMissing(rest);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const empty = missingFields(form);
    setMissing(empty);
    const first = (Object.keys(empty) as (keyof RegisterForm)[])[0];
    if (first) {
      setError(null);
      document.getElementById(`register-${first}`)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await register(form);
      if (!answer.signedIn) {
        setMailed(answer.mailed);
        setBusy(false);
        return;
      }
      if (answer.session.organization?.id) setOrganization(answer.session.organization.id);
      navigate('/', { replace: true });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  if (mailed) {
    const address = mailed.email?.trim() || form.email.trim();
    return (
      <AuthFrame
        title="Check your mail"
        footer={
          <Link className="font-medium text-accent underline-offset-2 hover:underline" to="/login">
            Back to sign-in
          </Link>
        }
      >
        <div className="space-y-3 text-[13px]" data-testid="register-mailed">
          <p className="flex items-start gap-2">
            <MailCheck className="mt-0.5 size-4 shrink-0 text-emerald-600" aria-hidden />
            <span>
              We mailed a link to <strong>{address}</strong>. Follow it to choose your password and sign in.
            </span>
          </p>
          <p className="text-muted">The mail may take a minute to arrive. If it does not, look in your spam folder.</p>
        </div>
      </AuthFrame>
    );
  }

  return (
    <AuthFrame
      title="Create your organization"
      subtitle="The first account owns this CompanyOS node. Others join by invitation."
      footer={
        <>
          Have an account? <Link className="font-medium text-accent underline-offset-2 hover:underline" to="/login">Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-3" noValidate>
        {errors.form && <ErrorNotice error={error} />}
        <Field label="Organization name" htmlFor="register-organization" error={errors.fields.organization}>
          <Input id="register-organization" required value={form.organization} onChange={update('organization')} invalid={Boolean(errors.fields.organization)} placeholder="Acme" />
        </Field>
        <Field label="Your name" htmlFor="register-name" error={errors.fields.name}>
          <Input id="register-name" autoComplete="name" required value={form.name} onChange={update('name')} invalid={Boolean(errors.fields.name)} />
        </Field>
        <Field label="Email" htmlFor="register-email" error={errors.fields.email}>
          <Input id="register-email" type="email" autoComplete="email" required value={form.email} onChange={update('email')} invalid={Boolean(errors.fields.email)} />
        </Field>
        <Field label="Password" htmlFor="register-password" error={errors.fields.password} hint="At least 8 characters.">
          <Input id="register-password" type="password" autoComplete="new-password" required value={form.password} onChange={update('password')} invalid={Boolean(errors.fields.password)} />
        </Field>
        <Button type="submit" variant="primary" className="w-full" loading={busy}>
          Create organization
        </Button>
      </form>
    </AuthFrame>
  );
}
