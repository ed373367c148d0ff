// A stand-in for github.com, api.github.com and api.figma.com on 127.0.0.1, for the
// end-to-end test: the OAuth pages the node sends a browser to (authorize, then back to
// the node's callback with a code), the token exchange, the user and their verified
// addresses, and the REST API that syncs, reviews and the design agents read: the
// fixture's repository and its pull requests (each with one changed file), its tree and
// the files given (raw), empty lists elsewhere, reviews and comments accepted; and
// Figma's files with their components, component sets and nodes. The node is pointed at
// it with auth.github_url, auth.github_api_url and integrations.figma_api_url.
// Every request is recorded, the reviews posted are counted by pull request
// (`reviewsPosted`), and a token put in `state.refusedTokens` is refused (401 Bad
// credentials) when a sync lists the repositories with it.
import { createServer } from 'node:http';

const DIFF = `diff --git a/README.md b/README.md
index 980a0d5..3b18e51 100644
--- a/README.md
+++ b/README.md
@@ -1 +1,2 @@
 Hello World!
+Some new information for the readers.
`;

/**
 * `tree`: the repository's git tree (GET …/git/trees/{default branch or its sha}), and
 * `files`: path → text on the default branch (GET …/contents/{path}, raw). `figma`:
 * `token` (X-Figma-Token; another is refused as Figma does) and `files`: file key →
 * `{ file, components, componentSets, nodes }`, each the body Figma answers with.
 */
export function startGithubStub({ user, emails, pullRequest, repository, tree = null, files = {}, figma = { token: null, files: {} } }) {
  const requests = [];
  const state = { deny: false, refusedTokens: new Set() };
  /** `owner/name#number` → how many reviews were posted on it. */
  const reviewsPosted = new Map();
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
    if (req.method === 'POST') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        if (url.pathname === '/login/oauth/access_token') return json(200, { access_token: 'gho_e2e_stub', token_type: 'bearer', scope: 'read:user,user:email' });
        const review = url.pathname.match(/^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)\/reviews$/);
        if (review) reviewsPosted.set(`${review[1]}#${review[2]}`, (reviewsPosted.get(`${review[1]}#${review[2]}`) ?? 0) + 1);
        if (/\/pulls\/\d+\/reviews$/.test(url.pathname)) {
          return json(200, { id: 80, state: 'COMMENTED', body: 'review', html_url: `${repository.html_url}/pull/1#pullrequestreview-80`, submitted_at: new Date().toISOString() });
        }
        if (/\/issues\/\d+\/comments$/.test(url.pathname)) return json(201, { id: 81, html_url: `${repository.html_url}/pull/1#issuecomment-81`, body: 'comment', user: { login: 'companyos', id: 1 } });
        json(404, { message: 'Not Found' });
      });
      return;
    }
    // The repository listings a sync starts with: refused for a token the test chose.
    const listing = url.pathname === '/user/repos' || url.pathname === '/installation/repositories' || /^\/orgs\/[^/]+\/repos$/.test(url.pathname);
    const authorization = req.headers.authorization ?? '';
    if (listing && [...state.refusedTokens].some((token) => authorization.includes(token))) {
      return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    if (url.pathname.startsWith('/v1/')) return figmaApi(url, req.headers['x-figma-token'], json);
    if (url.pathname === '/user') return json(200, user);
    if (url.pathname === '/user/emails') return json(200, emails);
    const repo = `/repos/${repository.full_name}`;
    if (url.pathname === repo) return json(200, repository);
    const pull = url.pathname.match(new RegExp(`^${repo}/pulls/(\\d+)(/files)?$`));
    if (pull) {
      const number = Number(pull[1]);
      if (pull[2]) return json(200, [{ filename: 'README.md', status: 'modified', additions: 1, deletions: 0, changes: 1, patch: DIFF.split('\n').slice(4).join('\n'), sha: '3b18e512dba79e4c8300dd08aeb37f8e728b8dad' }]);
      if ((req.headers.accept ?? '').includes('diff')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(DIFF);
        return;
      }
      return json(200, { ...pullRequest, number, additions: 1, deletions: 0, changed_files: 1 });
    }
    const notFound = (documentation) => json(404, { message: 'Not Found', documentation_url: `https://docs.github.com/rest/${documentation}`, status: '404' });
    const treeRef = url.pathname.startsWith(`${repo}/git/trees/`) ? decodeURIComponent(url.pathname.slice(`${repo}/git/trees/`.length)) : null;
    if (treeRef !== null) {
      if (!tree || (treeRef !== repository.default_branch && treeRef !== tree.sha)) return notFound('git/trees#get-a-tree');
      // Without ?recursive=1 GitHub lists the top folder only.
      return json(200, url.searchParams.get('recursive') ? tree : { ...tree, tree: tree.tree.filter((entry) => !entry.path.includes('/')) });
    }
    if (url.pathname.startsWith(`${repo}/contents/`)) {
      const path = decodeURIComponent(url.pathname.slice(`${repo}/contents/`.length));
      const ref = url.searchParams.get('ref') ?? repository.default_branch;
      if (ref !== repository.default_branch || !Object.hasOwn(files, path)) return notFound('repos/contents#get-repository-content');
      if ((req.headers.accept ?? '').includes('raw')) {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(files[path]);
        return;
      }
      const content = Buffer.from(files[path]);
      return json(200, { type: 'file', encoding: 'base64', size: content.length, name: path.split('/').pop(), path, content: content.toString('base64') });
    }
    if (req.method === 'GET') return json(200, []);
    json(404, { message: 'Not Found' });
  });
  /** Figma's REST API: a file, its published components and component sets, and its nodes. */
  function figmaApi(url, token, json) {
    // Figma's errors are {status, err}.
    if (!token || (figma.token && token !== figma.token)) return json(403, { status: 403, err: 'Invalid token' });
    const found = url.pathname.match(/^\/v1\/files\/([^/]+)(\/components|\/component_sets|\/nodes)?$/);
    const file = found && figma.files?.[decodeURIComponent(found[1])];
    if (!file) return json(404, { status: 404, err: 'Not found' });
    switch (found[2]) {
      case undefined:
        return json(200, file.file);
      case '/components':
        return json(200, file.components);
      case '/component_sets':
        return json(200, file.componentSets);
      default:
        // The nodes asked for, whichever they are.
        if (!url.searchParams.get('ids')) return json(400, { status: 400, err: 'Missing required parameter ids' });
        return json(200, file.nodes);
    }
  }
  return new Promise((resolvePromise) =>
    server.listen(0, '127.0.0.1', () => {
      resolvePromise({ server, url: `http://127.0.0.1:${server.address().port}`, requests, state, reviewsPosted });
    }),
  );
}
