// A stand-in for github.com and api.github.com on 127.0.0.1, for the end-to-end test:
// the OAuth pages the node sends a browser to (authorize, then back to the node's
// callback with a code), the token exchange, the user and their verified addresses, and
// the REST API a sync reads (every list is empty). The node is pointed at it with
// auth.github_url and auth.github_api_url. Every request is recorded.
import { createServer } from 'node:http';

export function startGithubStub({ user, emails }) {
  const requests = [];
  const state = { deny: false };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://stub');
    requests.push(`${req.method} ${url.pathname}`);
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/login/oauth/authorize') {
      // GitHub would ask the person; the stand-in agrees at once (or refuses when told to).
      const back = new URL(url.searchParams.get('redirect_uri'));
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      if (state.deny) {
        back.searchParams.set('error', 'access_denied');
        back.searchParams.set('error_description', 'The user has denied your application access.');
      } else {
        back.searchParams.set('code', `code-${Date.now()}`);
      }
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      req.resume();
      req.on('end', () => json(200, { access_token: 'gho_e2e_stub', token_type: 'bearer', scope: 'read:user,user:email' }));
      return;
    }
    if (url.pathname === '/user') return json(200, user);
    if (url.pathname === '/user/emails') return json(200, emails);
    if (req.method === 'GET') return json(200, []);
    req.resume();
    json(404, { message: 'Not Found' });
  });
  return new Promise((resolvePromise) =>
    server.listen(0, '127.0.0.1', () => {
      resolvePromise({ server, url: `http://127.0.0.1:${server.address().port}`, requests, state });
    }),
  );
}
