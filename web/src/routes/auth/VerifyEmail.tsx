import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { CheckCircle2 } from 'lucide-react';
import { AuthFrame } from './AuthFrame';
import { ErrorNotice, Spinner, buttonClass } from '../../components/ui';
import { api, call } from '../../api/rest';
import { ApiProblem } from '../../api/problem';
import { useSignedIn } from '../../api/hooks';

/** The node's answer to a link opened a second time: 409, "this link was already used …". */
export function isUsedLink(error: unknown): boolean {
  return error instanceof ApiProblem && error.status === 409 && /^this link was already used/i.test(error.detail);
}

export function VerifyEmail() {
  const [search] = useSearchParams();
  const token = search.get('token') ?? '';
  const signedIn = useSignedIn();
  const [state, setState] = useState<'working' | 'done' | 'used' | { error: unknown }>('working');
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
      .catch((error: unknown) => setState(isUsedLink(error) ? 'used' : { error }));
  }, [token]);
  return (
    <AuthFrame title="Verify your e-mail" footer={<Link className="font-medium text-accent hover:underline" to="/">Go to the console</Link>}>
      {state === 'working' && <Spinner label="Verifying" />}
      {state === 'done' && (
        <p className="flex items-center gap-2 text-[13px]">
          <CheckCircle2 className="size-4 text-emerald-600" aria-hidden /> Your e-mail address is verified.
        </p>
      )}
      {state === 'used' && (
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
      )}
      {typeof state === 'object' && <ErrorNotice error={state.error} what="E-mail verification" />}
    </AuthFrame>
  );
}
