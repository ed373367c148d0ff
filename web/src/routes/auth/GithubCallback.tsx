// Where GitHub login (and linking) lands: the node redirects here with the outcome in the
// URL fragment (see fragment.ts). A session's refresh token is moved into the session at
// once and the fragment is wiped from the address bar and the history.
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { CheckCircle2 } from 'lucide-react';
import { AuthFrame } from './AuthFrame';
import { parseCallbackFragment, providerName } from './fragment';
import { buttonClass, ErrorNotice, Spinner } from '../../components/ui';
import { tokens } from '../../api/session';
import { useSignedIn } from '../../api/hooks';

export function GithubCallback() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const signedIn = useSignedIn();
  // Read once: the effect below wipes the fragment.
  const [outcome] = useState(() => parseCallbackFragment(window.location.hash));
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
    if (started.current) return;
    started.current = true;
    if (outcome.kind === 'session') {
      tokens.adoptRefreshToken(outcome.refreshToken);
      tokens
        .refresh()
        .then((token) => (token ? navigate('/', { replace: true }) : setError(new Error('the session from GitHub login was refused'))))
        .catch(setError);
    }
    if (outcome.kind === 'linked') void client.invalidateQueries({ queryKey: ['me'] });
  }, [outcome, navigate, client]);

  if (outcome.kind === 'linked') {
    const name = providerName(outcome.provider);
    return (
      <AuthFrame title={`${name} is linked`} footer={<Link className="font-medium text-accent hover:underline" to="/">Go to the console</Link>}>
        <p className="flex items-center gap-2 text-[13px]" data-testid="github-linked">
          <CheckCircle2 className="size-4 text-emerald-600" aria-hidden /> Your {name} account is linked: you can sign in with {name} from now on.
        </p>
      </AuthFrame>
    );
  }
  if (outcome.kind === 'error' || outcome.kind === 'empty' || error) {
    return (
      <AuthFrame title="GitHub did not sign you in">
        <div className="space-y-3" data-testid="github-callback-error">
          {error ? (
            <ErrorNotice error={error} />
          ) : (
            <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-[13px] text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300">
              {outcome.kind === 'error' ? outcome.message : 'GitHub login did not return a session: start again from the sign-in page.'}
            </p>
          )}
          <Link to={signedIn ? '/' : '/login'} className={buttonClass('secondary')}>
            {signedIn ? 'Back to the console' : 'Back to sign-in'}
          </Link>
        </div>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title="Signing in with GitHub">
      <Spinner label="Finishing sign-in" />
    </AuthFrame>
  );
}
