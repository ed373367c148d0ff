// Where GitHub login lands: the node redirects here with the session's refresh token in
// the URL fragment (never sent to a server); it is moved into the session at once.
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { AuthFrame } from './AuthFrame';
import { ErrorNotice, Spinner } from '../../components/ui';
import { tokens } from '../../api/session';

export function GithubCallback() {
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const refreshToken = fragment.get('refresh_token');
    window.history.replaceState(null, '', window.location.pathname);
    if (!refreshToken) {
      setError(new Error(fragment.get('error') ?? 'GitHub login did not return a session'));
      return;
    }
    tokens.adoptRefreshToken(refreshToken);
    tokens
      .refresh()
      .then((token) => (token ? navigate('/', { replace: true }) : setError(new Error('the session from GitHub login was refused'))))
      .catch(setError);
  }, [navigate]);
  return <AuthFrame title="Signing in with GitHub">{error ? <ErrorNotice error={error} /> : <Spinner label="Finishing sign-in" />}</AuthFrame>;
}
