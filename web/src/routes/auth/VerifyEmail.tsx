import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { CheckCircle2 } from 'lucide-react';
import { AuthFrame } from './AuthFrame';
import { ErrorNotice, Spinner } from '../../components/ui';
import { api, call } from '../../api/rest';

export function VerifyEmail() {
  const [search] = useSearchParams();
  const token = search.get('token') ?? '';
  const [state, setState] = useState<'working' | 'done' | { error: unknown }>('working');
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    if (!token) {
      setState({ error: new Error('this link has no token; open the link from the e-mail again') });
      return;
    }
    call(api.POST('/api/auth/verify-email', { body: { token } }))
      .then(() => setState('done'))
      .catch((error: unknown) => setState({ error }));
  }, [token]);
  return (
    <AuthFrame title="Verify your e-mail" footer={<Link className="font-medium text-accent hover:underline" to="/">Go to the console</Link>}>
      {state === 'working' && <Spinner label="Verifying" />}
      {state === 'done' && (
        <p className="flex items-center gap-2 text-[13px]">
          <CheckCircle2 className="size-4 text-emerald-600" aria-hidden /> Your e-mail address is verified.
        </p>
      )}
      {typeof state === 'object' && <ErrorNotice error={state.error} what="E-mail verification" />}
    </AuthFrame>
  );
}
