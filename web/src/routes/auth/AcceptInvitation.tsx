// The link an invitee receives: preview the invitation, then register with it (or, signed
// in already, accept it with the current account).
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { AuthFrame } from './AuthFrame';
import { Button, ErrorNotice, Field, Input, Spinner } from '../../components/ui';
import { register } from '../../api/session';
import { api, call } from '../../api/rest';
import { fieldErrors } from '../../api/problem';
import { useSignedIn } from '../../api/hooks';
import { useUi } from '../../stores/ui';

/** Accepts with the signed-in account; the answer is the organization joined. */
function acceptInvitation(token: string) {
  return call(api.POST('/api/invitations/accept', { body: { token } }));
}

export function AcceptInvitation() {
  const [search] = useSearchParams();
  const token = search.get('token') ?? '';
  const navigate = useNavigate();
  const signedIn = useSignedIn();
  const setOrganization = useUi((state) => state.setOrganization);
  const preview = useQuery({
    queryKey: ['invitation', token],
    enabled: token.length > 0,
    retry: false,
    queryFn: () => call(api.POST('/api/invitations/preview', { body: { token } })),
  });
  const [form, setForm] = useState({ name: '', password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = fieldErrors(error, ['name', 'password', 'email']);

  if (!token) {
    return (
      <AuthFrame title="Invitation">
        <ErrorNotice error={new Error('this link has no invitation token; open the link from the e-mail again')} />
      </AuthFrame>
    );
  }

  const join = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (signedIn) {
        const organization = await acceptInvitation(token);
        setOrganization(organization.id);
      } else {
        // An invited account is signed in at once (201).
        const answer = await register({ email: preview.data?.email ?? '', name: form.name, password: form.password, invitation_token: token });
        if (answer.signedIn && answer.session.organization?.id) setOrganization(answer.session.organization.id);
      }
      navigate('/', { replace: true });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <AuthFrame
      title={preview.data ? `Join ${preview.data.organization_name}` : 'Join an organization'}
      subtitle={preview.data ? <>You were invited as <strong>{preview.data.role}</strong> with {preview.data.email}.</> : undefined}
    >
      {preview.isLoading && <Spinner label="Reading the invitation" />}
      {preview.error && <ErrorNotice error={preview.error} what="Invitation preview" />}
      {preview.data && (
        <form onSubmit={join} className="space-y-3" noValidate>
          {errors.form && <ErrorNotice error={error} />}
          {!signedIn && (
            <>
              <Field label="Email" htmlFor="invite-email" error={errors.fields.email}>
                <Input id="invite-email" value={preview.data.email} readOnly />
              </Field>
              <Field label="Your name" htmlFor="invite-name" error={errors.fields.name}>
                <Input id="invite-name" autoComplete="name" value={form.name} onChange={(event) => setForm({ ...form, name: event.target.value })} invalid={Boolean(errors.fields.name)} />
              </Field>
              <Field label="Password" htmlFor="invite-password" error={errors.fields.password} hint="At least 8 characters.">
                <Input id="invite-password" type="password" autoComplete="new-password" value={form.password} onChange={(event) => setForm({ ...form, password: event.target.value })} invalid={Boolean(errors.fields.password)} />
              </Field>
            </>
          )}
          <Button type="submit" variant="primary" className="w-full" loading={busy}>
            {signedIn ? 'Accept the invitation' : 'Create account and join'}
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}
