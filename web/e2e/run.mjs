// End-to-end test of the console against a real node.
//
//   node web/e2e/run.mjs <path to the companyos binary>
//   npm run e2e --prefix web -- <path to the companyos binary>   (or COMPANYOS_BIN=…)
//
// Starts the node on a scratch SQLite data directory and a free port, with GitHub (login
// and API) and Figma's API pointed at a stand-in on 127.0.0.1 (e2e/github-stub.mjs); serves web/dist on
// the node's origin (the node itself through console.dir, else e2e/serve.mjs in front of
// it); drives Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core;
// prints one line per check and a final "N passed, N failed" line, and exits 0 only when
// every check passed. It installs nothing: web/node_modules (npm ci) and Chromium must be
// there. Screenshots go to e2e/screenshots/, the node's log to e2e/output/node.log, the
// figures to e2e/output/figures.json.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, createWriteStream, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB = resolve(HERE, '..');
const REPO = resolve(WEB, '..');
const SHOTS = join(HERE, 'screenshots');
const OUTPUT = join(HERE, 'output');
const FIXTURES_ROOT = join(REPO, 'fixtures');
const FIXTURES = join(FIXTURES_ROOT, 'github');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const binary = process.argv[2] ?? process.env.COMPANYOS_BIN;
const WATCHDOG_MS = Number(process.env.E2E_TIMEOUT_MS ?? 20 * 60_000);

const results = [];
const figures = {};
function check(name, ok, detail = '') {
  results.push({ name, ok });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}
async function step(name, body) {
  try {
    const detail = await body();
    return check(name, true, typeof detail === 'string' ? detail : '');
  } catch (error) {
    const message = error?.message ?? String(error);
    // E2E_VERBOSE=1 prints Playwright's whole call log under the line.
    return check(name, false, process.env.E2E_VERBOSE ? message : message.split('\n')[0]);
  }
}
/** A failure before the checks can run: said as a check, then the summary line. */
function cannotRun(message) {
  check('the end-to-end test can run', false, message);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}
const sleep = (ms) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (!binary) cannotRun('usage: node web/e2e/run.mjs <path to the companyos binary> (or set COMPANYOS_BIN)');
if (!existsSync(binary)) cannotRun(`no companyos binary at ${binary}`);
if (!existsSync(CHROMIUM)) cannotRun(`no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium), or set CHROMIUM to another build`);
if (!existsSync(join(WEB, 'node_modules/playwright-core')) || !existsSync(join(WEB, 'node_modules/axe-core'))) cannotRun('web/node_modules is missing: run npm ci in web/ first');
if (!existsSync(join(WEB, 'dist/index.html'))) {
  console.log('web/dist is missing: building it (npm run build)');
  try {
    execFileSync('npm', ['run', 'build'], { cwd: WEB, stdio: 'inherit' });
  } catch {
    cannotRun('npm run build failed');
  }
}
const { chromium } = await import('playwright-core');
const { startConsoleServer } = await import('./serve.mjs');
const { startGithubStub } = await import('./github-stub.mjs');
mkdirSync(SHOTS, { recursive: true });
mkdirSync(OUTPUT, { recursive: true });

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
    server.on('error', reject);
  });
}

// ---------------------------------------------------------------- the node and GitHub
const owner = { email: 'owner@acme.test', name: 'Olivia Owner', password: 'correct horse battery', organization: 'Acme' };
const prFixture = readFileSync(join(FIXTURES, 'pull_request/opened.payload.json'));
const prPayload = JSON.parse(prFixture.toString());
const prTitle = prPayload.pull_request.title;
const fixture = (path) => JSON.parse(readFileSync(join(FIXTURES_ROOT, path), 'utf8'));
// The repository's code components the design QA agent reads (the tree lists them): Button's
// sizes stop at medium and it has no hasIcon; the text field is as Figma has it.
const repositoryFiles = {
  'src/components/Button.tsx': `import type { ReactNode } from 'react';
export interface ButtonProps {
  size?: 'small' | 'medium';
  label: string;
  disabled?: boolean;
  icon?: ReactNode;
  onClick?: () => void;
}
export function Button({ size = 'medium', label }: ButtonProps) { return <button data-size={size}>{label}</button>; }
`,
  'src/components/text-field/index.tsx': `export type TextFieldProps = { placeholder?: string; className?: string };
export default function TextField({ placeholder }: TextFieldProps) { return <input placeholder={placeholder} />; }
`,
};
const figmaToken = 'figd_e2e';
const figmaFileKey = 'FILEKEY1';
const github = await startGithubStub({
  user: { id: 4242, login: 'olivia-gh', name: owner.name, avatar_url: null },
  emails: [{ email: owner.email, primary: true, verified: true }],
  pullRequest: prPayload.pull_request,
  repository: prPayload.repository,
  tree: fixture('github/api/git_tree.shape.json'),
  files: repositoryFiles,
  figma: {
    token: figmaToken,
    files: {
      [figmaFileKey]: {
        file: {
          name: 'Design System', role: 'viewer', lastModified: '2026-12-01T16:20:00Z', editorType: 'figma', thumbnailUrl: 'https://example.com/thumb.png', version: '4093872811',
          document: { id: '0:0', name: 'Document', type: 'DOCUMENT', children: [] }, components: {}, componentSets: {}, styles: {}, schemaVersion: 0,
        },
        components: fixture('figma/api/file_components.shape.json'),
        componentSets: fixture('figma/api/file_component_sets.shape.json'),
        nodes: fixture('figma/api/file_nodes.shape.json'),
      },
    },
  },
});
const port = await freePort();
const nodeUrl = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'companyos-e2e-'));
const log = createWriteStream(join(OUTPUT, 'node.log'));
let nodeOutput = '';
// An unknown COMPANYOS_* variable is a start-up error, so only settings the node lists are set.
const settings = execFileSync(binary, ['settings'], { encoding: 'utf8' });
const optional = {
  COMPANYOS_CONSOLE_DIR: join(WEB, 'dist'),
  COMPANYOS_AUTH_GITHUB_CLIENT_ID: 'e2e-client',
  COMPANYOS_AUTH_GITHUB_CLIENT_SECRET: 'e2e-client-secret',
  COMPANYOS_AUTH_GITHUB_URL: github.url,
  COMPANYOS_AUTH_GITHUB_API_URL: github.url,
  COMPANYOS_INTEGRATIONS_FIGMA_API_URL: github.url,
};
const node = spawn(binary, ['serve'], {
  env: {
    ...process.env,
    ...Object.fromEntries(Object.entries(optional).filter(([key]) => settings.includes(key))),
    COMPANYOS_DATA_DIR: dataDir,
    COMPANYOS_LISTEN: `127.0.0.1:${port}`,
    COMPANYOS_AUTH_OPEN_REGISTRATION: 'true',
    COMPANYOS_AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    COMPANYOS_LOG_FORMAT: 'human',
    COMPANYOS_INTEGRATIONS_SYNC_INTERVAL_SECS: '0',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
for (const stream of [node.stdout, node.stderr]) {
  stream.on('data', (chunk) => {
    nodeOutput += chunk.toString();
    log.write(chunk);
  });
}
let exiting = false;
node.on('exit', (code) => {
  if (!exiting) console.log(`node exited early with code ${code}; see e2e/output/node.log`);
});

let consoleServer = null;
let browser = null;
let shortLived = null;
async function finish() {
  if (exiting) return;
  exiting = true;
  await browser?.close().catch(() => undefined);
  consoleServer?.close();
  github.server.close();
  node.kill('SIGTERM');
  shortLived?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
  writeFileSync(join(OUTPUT, 'figures.json'), JSON.stringify(figures, null, 2));
  const failed = results.filter((result) => !result.ok).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
process.on('SIGINT', finish);
setTimeout(() => {
  check('the end-to-end test finishes in time', false, `still running after ${WATCHDOG_MS / 1000} s`);
  void finish();
}, WATCHDOG_MS).unref();

const ready = await (async () => {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    try {
      if ((await fetch(`${nodeUrl}/readyz`)).ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return false;
})();
if (!check('node starts and answers /readyz', ready, nodeUrl)) await finish();

// The console's origin: the node itself when it serves web/dist, else a server in front.
const builtIndex = readFileSync(join(WEB, 'dist/index.html'), 'utf8');
const entry = builtIndex.match(/\/assets\/index-[\w-]+\.js/)?.[0];
const served = await fetch(`${nodeUrl}/`).then((response) => response.text()).catch(() => '');
const spaFallback = await fetch(`${nodeUrl}/agents/approvals`).then((response) => response.text()).catch(() => '');
let origin = nodeUrl;
if (entry && served.includes(entry) && spaFallback.includes(entry)) {
  check('the node serves web/dist at / and client routes on reload', true);
} else {
  check('the node serves web/dist at / and client routes on reload', false, 'the node does not serve this build; the test goes on through e2e/serve.mjs in front of it');
  consoleServer = await startConsoleServer(nodeUrl);
  origin = `http://127.0.0.1:${consoleServer.address().port}`;
}

await step('the initial route\'s JavaScript is at most 250 KB gzipped', async () => {
  const manifest = JSON.parse(readFileSync(join(WEB, 'dist/.vite/manifest.json'), 'utf8'));
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const next of manifest[key]?.imports ?? []) visit(next);
  };
  visit('index.html');
  visit('src/routes/CommandCenter.tsx');
  let total = 0;
  for (const key of seen) {
    const file = manifest[key]?.file;
    if (file?.endsWith('.js')) total += gzipSync(readFileSync(join(WEB, 'dist', file)), { level: 9 }).length;
  }
  figures.initial_route_js_gzip_kb = Math.round(total / 102.4) / 10;
  if (total > 250 * 1024) throw new Error(`${figures.initial_route_js_gzip_kb} KB`);
  return `${figures.initial_route_js_gzip_kb} KB`;
});

await step('the node serves the console\'s assets compressed (Accept-Encoding: br, gzip)', async () => {
  if (!entry) throw new Error('no main JavaScript asset in dist/index.html');
  if (origin !== nodeUrl) throw new Error('the node does not serve this build (e2e/serve.mjs serves it instead)');
  const response = await fetch(`${nodeUrl}${entry}`, { headers: { 'accept-encoding': 'br, gzip' } });
  const encoding = response.headers.get('content-encoding');
  const body = await response.text();
  const original = readFileSync(join(WEB, 'dist', entry), 'utf8');
  if (response.status !== 200) throw new Error(`${entry} answered ${response.status}`);
  if (body !== original) throw new Error(`${entry} decoded differs from dist`);
  if (encoding !== 'br' && encoding !== 'gzip') throw new Error(`${entry} came back with Content-Encoding ${encoding ?? '(none)'}`);
  return `${entry}: Content-Encoding ${encoding}`;
});

// ---------------------------------------------------------------- REST and webhook helpers
async function rest(method, path, { token, org, body, raw } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (org) headers['x-organization-id'] = org;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${nodeUrl}${path}`, { method, headers, body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined) });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: response.status, json };
}
/** The links the node logged in place of mails, of one kind; with `to`, only those mailed to that address. */
function linksInLog(kind, to = null) {
  const lines = to ? nodeOutput.split('\n').filter((line) => line.includes(`to=${to} `)).join('\n') : nodeOutput;
  return [...lines.matchAll(/link=(\S+)/g)].map((match) => match[1].replace(/["',]+$/, '')).filter((link) => link.includes(kind));
}
async function waitForLink(kind, previous, { timeout = 8000, to = null } = {}) {
  const started = Date.now();
  while (Date.now() - started < timeout) {
    const links = linksInLog(kind, to).filter((link) => !previous.includes(link));
    if (links.length) return links[links.length - 1];
    await sleep(100);
  }
  return null;
}
async function until(what, probe, timeout = 10_000) {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeout) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}
let webhookUrl = null;
const webhookSecret = `whsec-${randomUUID()}`;
async function deliver(event, body) {
  const target = new URL(webhookUrl);
  const signature = createHmac('sha256', webhookSecret).update(body).digest('hex');
  const response = await fetch(`${nodeUrl}${target.pathname}${target.search}`, {
    method: 'POST',
    headers: { 'X-GitHub-Event': event, 'X-GitHub-Delivery': randomUUID(), 'X-Hub-Signature-256': `sha256=${signature}`, 'Content-Type': 'application/json' },
    body,
  });
  if (response.status !== 202) throw new Error(`the ${event} webhook answered ${response.status}`);
}
/** The fixture as another pull request of the same repository. */
function anotherPullRequest(index) {
  const payload = JSON.parse(prFixture.toString());
  const number = 100 + index;
  payload.number = number;
  payload.pull_request.number = number;
  payload.pull_request.id = 900000 + index;
  payload.pull_request.node_id = `PR_e2e_${index}`;
  payload.pull_request.title = `E2E pull request ${index}`;
  payload.pull_request.html_url = payload.pull_request.html_url.replace(/\/\d+$/, `/${number}`);
  return { title: payload.pull_request.title, body: Buffer.from(JSON.stringify(payload)) };
}

// ---------------------------------------------------------------- browser helpers
browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const axeSource = readFileSync(join(WEB, 'node_modules/axe-core/axe.min.js'), 'utf8');
const cspViolations = [];

async function newPage(colorScheme = 'light') {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => console.log(`      page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|create|frame|evaluate)/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text().slice(0, 200)}`);
  });
  return page;
}
async function axe(page) {
  // Evaluated through the DevTools protocol: the node's CSP (script-src 'self') refuses an injected <script>.
  await page.evaluate(`${axeSource}\n;true`);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations.map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.length, target: violation.nodes[0]?.target?.join(' ') })));
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}
const describeViolations = (violations) => violations.map((violation) => `${violation.impact} ${violation.id} (${violation.nodes}× e.g. ${violation.target})`).join('; ');
async function signIn(page, email, password) {
  await page.goto(`${origin}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}
async function userMenu(page, item) {
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: item }).click();
}
const notBlank = async (page) => {
  const text = (await page.locator('main').innerText().catch(() => '')).trim();
  if (text.length < 20) throw new Error('the page is blank');
};
const waitLive = (page) => page.waitForFunction(() => document.querySelector('[data-testid=live-status]')?.getAttribute('data-state') === 'live', null, { timeout: 10_000 });

// ---------------------------------------------------------------- the run
const page = await newPage();
let ownerToken = null;
let organizationId = null;
const authed = () => ({ token: ownerToken, org: organizationId });

await step('a refused registration (an organization name of 300 characters) answers 422, said next to its field', async () => {
  await page.goto(`${origin}/register`);
  await page.getByLabel('Organization name').fill('A'.repeat(300));
  await page.getByLabel('Your name').fill(owner.name);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(owner.password);
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/auth/register');
  await page.getByRole('button', { name: 'Create organization' }).click();
  const response = await answered;
  if (response.status() !== 422) throw new Error(`the registration answered ${response.status()}`);
  const message = (await page.locator('#register-organization-error').innerText({ timeout: 5000 })).trim();
  await page.screenshot({ path: join(SHOTS, 'register-refused.png') });
  return `422; "${message}"`;
});

await step('an empty registration form marks every missing field at once and sends nothing', async () => {
  const other = await newPage();
  const sent = [];
  other.on('request', (request) => new URL(request.url()).pathname === '/api/auth/register' && sent.push(request.url()));
  await other.goto(`${origin}/register`);
  await other.getByRole('button', { name: 'Create organization' }).click();
  const marked = [];
  for (const label of ['Organization name', 'Your name', 'Email', 'Password']) {
    if ((await other.getByLabel(label, { exact: true }).getAttribute('aria-invalid')) === 'true') marked.push(label);
  }
  await other.screenshot({ path: join(SHOTS, 'register-empty.png') });
  await other.context().close();
  if (marked.length !== 4) throw new Error(`marked: ${marked.join(', ') || 'none'}`);
  if (sent.length) throw new Error('the empty form was sent');
  return marked.join(', ');
});

await step('register the first user (owner) in the console, after the refused attempt', async () => {
  await page.goto(`${origin}/register`);
  await page.getByLabel('Organization name').fill(owner.organization);
  await page.getByLabel('Your name').fill(owner.name);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(owner.password);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByTestId('command-center').waitFor();
  const login = await rest('POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } });
  ownerToken = login.json.access_token;
  const me = await rest('GET', '/api/auth/me', { token: ownerToken });
  organizationId = me.json.organizations[0].id;
  if (me.json.organizations[0].role !== 'owner') throw new Error(`the first account is ${me.json.organizations[0].role} of its organization`);
  return `organization ${organizationId}; owner (node role ${me.json.role})`;
});

await step('a problem+json error is shown next to its field (short password)', async () => {
  const other = await newPage();
  await other.goto(`${origin}/register`);
  await other.getByLabel('Organization name').fill('X');
  await other.getByLabel('Your name').fill('X');
  await other.getByLabel('Email').fill('short@x.test');
  await other.getByLabel('Password').fill('short');
  await other.getByRole('button', { name: 'Create organization' }).click();
  await other.locator('#register-password-error').waitFor();
  const message = await other.locator('#register-password-error').innerText();
  await other.context().close();
  return `"${message}"`;
});

await step('an unverified address shows a banner; the user menu resends the verification link', async () => {
  await page.getByTestId('verify-banner').waitFor();
  const before = linksInLog('verify-email');
  await userMenu(page, 'Resend the verification e-mail');
  const link = await waitForLink('verify-email', before);
  if (!link) throw new Error('no new verification link (link=…verify-email?token=…) in the node log');
  await page.keyboard.press('Escape');
  return 'a new link was mailed';
});

await step('connect GitHub with its credentials form and read the webhook URL', async () => {
  await page.goto(`${origin}/integrations`);
  await page.getByTestId('integration-github').waitFor();
  await page.locator('section', { has: page.getByTestId('integration-github') }).getByRole('button', { name: 'Connect', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Access token').fill('ghp_e2e_token');
  await dialog.getByLabel('Webhook secret').fill(webhookSecret);
  await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
  webhookUrl = (await dialog.getByTestId('webhook-url').innerText()).trim();
  const started = (await dialog.getByTestId('agents-started').innerText({ timeout: 1000 }).catch(() => '')).replace(/\s+/g, ' ').trim();
  await page.screenshot({ path: join(SHOTS, 'integrations-connected.png') });
  await dialog.getByRole('button', { name: 'Done' }).click();
  if (!webhookUrl.includes('/api/webhooks/github/receive')) throw new Error(`unexpected webhook URL ${webhookUrl}`);
  return `${webhookUrl}${started ? `; ${started}` : ''}`;
});

await step('after a reload, the GitHub card still shows the webhook URL with its copy button', async () => {
  await page.reload();
  const card = page.locator('section', { has: page.getByTestId('integration-github') });
  const shown = (await card.getByTestId('webhook-url').innerText({ timeout: 5000 })).trim();
  if (shown !== webhookUrl) throw new Error(`the card shows ${shown}`);
  await card.getByRole('button', { name: 'Copy' }).waitFor();
  await card.getByText('secret set').waitFor();
  return 'from GET /api/integrations';
});

let pullRequestId = null;
await step('a signed pull_request delivery appears in the Development Hub without a reload', async () => {
  if (!webhookUrl) throw new Error('no webhook URL');
  await page.goto(`${origin}/development`);
  await page.getByText('No pull requests yet').waitFor();
  await waitLive(page);
  await sleep(300);
  const delays = [];
  const deliveries = [{ title: prTitle, body: prFixture }, ...[1, 2, 3, 4].map(anotherPullRequest)];
  for (const delivery of deliveries) {
    const marker = await page.evaluate(() => performance.now());
    await deliver('pull_request', delivery.body);
    const seenAt = await page.waitForFunction((text) => {
      const found = [...document.querySelectorAll('[data-testid=pr-row]')].some((row) => row.textContent?.includes(text));
      return found ? performance.now() : false;
    }, delivery.title, { timeout: 10_000, polling: 'raf' });
    delays.push(Math.round((await seenAt.jsonValue()) - marker));
    await sleep(300);
  }
  figures.webhook_to_console_ms = delays;
  figures.webhook_to_console_median_ms = median(delays);
  await page.screenshot({ path: join(SHOTS, 'development-pull-request.png') });
  const listed = await rest('GET', '/api/pull-requests?limit=50', authed());
  pullRequestId = listed.json.items.find((item) => item.title === prTitle)?.id ?? null;
  return `"${prTitle}" and 4 more shown ${delays.join(', ')} ms after their POST`;
});

await step('the webhook-to-console delay is within 1 s (median of 5)', async () => {
  if (figures.webhook_to_console_median_ms === undefined) throw new Error('not measured');
  if (figures.webhook_to_console_median_ms > 1000) throw new Error(`${figures.webhook_to_console_median_ms} ms`);
  return `${figures.webhook_to_console_median_ms} ms`;
});

const types = (await rest('GET', '/api/agents/types', authed())).json?.items?.map((item) => item.type) ?? [];
/** Disables every enabled agent of a type (connecting GitHub may have started some): its tasks then wait. */
async function disableAgentsOf(type) {
  const agents = await rest('GET', `/api/agents?type=${type}`, authed());
  const enabled = (agents.json?.items ?? []).filter((agent) => agent.status !== 'disabled');
  for (const agent of enabled) await rest('POST', `/api/agents/${agent.id}/disable`, authed());
  return enabled.map((agent) => agent.name);
}

await step('an agent review requested while no code_review agent is enabled waits, saying why; the notice\'s one click runs it', async () => {
  if (!pullRequestId) throw new Error('no pull request');
  const disabled = await disableAgentsOf('code_review');
  await page.goto(`${origin}/development?pr=${pullRequestId}`);
  await page.getByTestId('pr-detail').getByRole('button', { name: 'Request a review' }).click();
  const queued = page.getByTestId('queued-task');
  const reason = (await queued.getByTestId('waiting-notice').innerText({ timeout: 5000 })).replace(/\s+/g, ' ').trim();
  if (!reason.includes('Waiting for a code review agent')) throw new Error(`the notice does not say what it waits for in plain words: "${reason}"`);
  if (/POST|\/api\/|[{}"]|code_review/.test(reason)) throw new Error(`the notice shows the node's API syntax: "${reason}"`);
  await page.screenshot({ path: join(SHOTS, 'development-review-waiting.png') });
  if (!types.includes('code_review')) {
    if (await queued.getByTestId('create-waiting-agent').count()) throw new Error('offers to create a code_review agent the node cannot run');
    return `"${reason}" (this node has no code_review agent type: no create button)`;
  }
  // With a disabled code_review agent (connecting GitHub starts one) the notice offers to enable it; else to create one.
  const enable = queued.getByTestId('enable-waiting-agent');
  const action = (await enable.count()) ? enable.first() : queued.getByTestId('create-waiting-agent');
  const label = (await action.innerText()).trim();
  const started = Date.now();
  await action.click({ timeout: 20_000 });
  await page.locator('[data-testid=queued-task][data-status=completed], [data-testid=queued-task][data-status=failed]').waitFor({ timeout: 60_000 });
  const elapsed = Date.now() - started;
  const task = await rest('GET', `/api/agent-tasks/${await queued.getAttribute('data-task-id')}`, authed());
  await page.screenshot({ path: join(SHOTS, 'development-review-done.png') });
  if (task.json.status !== 'completed') throw new Error(`"${label}" clicked; the review ${task.json.status}: ${task.json.error_message}`);
  return `"${reason}"${disabled.length ? ` (disabled first: ${disabled.join(', ')})` : ''}; "${label}" → completed ${elapsed} ms later`;
});

await step('a GitHub sync while no github_watcher is enabled waits, said in plain words; "Start a GitHub watcher agent" runs it, live', async () => {
  const disabled = await disableAgentsOf('github_watcher');
  await page.goto(`${origin}/integrations`);
  const card = page.locator('section', { has: page.getByTestId('integration-github') });
  await waitLive(page);
  await card.getByRole('button', { name: 'Sync now' }).click();
  const queued = card.getByTestId('queued-task');
  const reason = (await queued.getByTestId('waiting-notice').innerText({ timeout: 5000 })).replace(/\s+/g, ' ').trim();
  if (!reason.includes('Waiting for a GitHub watcher agent')) throw new Error(`the notice does not say what it waits for in plain words: "${reason}"`);
  if (/POST|\/api\/|[{}"]|github_watcher/.test(reason)) throw new Error(`the notice shows the node's API syntax: "${reason}"`);
  const taskId = await queued.getAttribute('data-task-id');
  const before = await rest('GET', `/api/agent-tasks/${taskId}`, authed());
  if (before.json.agent_id !== null || before.json.status !== 'pending') throw new Error(`the task is not waiting: ${JSON.stringify({ agent_id: before.json.agent_id, status: before.json.status })}`);
  await page.screenshot({ path: join(SHOTS, 'integrations-sync-waiting.png') });
  const started = Date.now();
  await queued.getByRole('button', { name: 'Start a GitHub watcher agent' }).click();
  await card.locator('[data-testid=queued-task][data-status=completed]').waitFor({ timeout: 30_000 });
  const elapsed = Date.now() - started;
  await page.screenshot({ path: join(SHOTS, 'integrations-sync-completed.png') });
  const after = await rest('GET', `/api/agent-tasks/${taskId}`, authed());
  if (after.json.status !== 'completed') throw new Error(`the API says ${after.json.status}: ${after.json.error_message}`);
  figures.waiting_task_completed_after_create_ms = elapsed;
  return `"${reason}"${disabled.length ? ` (disabled first: ${disabled.join(', ')})` : ''} → completed ${elapsed} ms after the click (output ${JSON.stringify(after.json.output_data)})`;
});

/** Reconnects GitHub from its card with `token` (the webhook secret is kept); returns what the dialog said after. */
async function reconnectGithub(token) {
  await page.goto(`${origin}/integrations`);
  const card = page.locator('section', { has: page.getByTestId('integration-github') });
  await card.getByRole('button', { name: 'Reconnect' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Access token').fill(token);
  await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
  const next = dialog.getByTestId('watcher-next');
  const said = (await next.innerText({ timeout: 10_000 })).replace(/\s+/g, ' ').trim();
  const state = await next.getAttribute('data-state');
  return { card, dialog, said, state };
}
const refusedToken = 'ghp_e2e_refused_by_github';
github.state.refusedTokens.add(refusedToken);

await step('a GitHub token the stand-in refuses (401 on the repository listing): the reconnect dialog does not ask for a watcher that runs, and the card shows the failed sync in red with its reason', async () => {
  const { card, dialog, said, state } = await reconnectGithub(refusedToken);
  await dialog.screenshot({ path: join(SHOTS, 'integrations-reconnect-dialog.png') });
  if (/create a|github_watcher/i.test(said)) throw new Error(`the dialog says "${said}"`);
  if (state !== 'running' && state !== 'started') throw new Error(`the dialog sees the watcher as "${state}": "${said}"`);
  await dialog.getByRole('button', { name: 'Done' }).click();
  const health = card.getByTestId('integration-health-github');
  await card.locator('[data-testid=integration-health-github][data-tone=red], [data-testid=integration-health-github][data-tone=amber]').waitFor({ timeout: 30_000 });
  const problem = (await card.getByTestId('sync-problem').innerText({ timeout: 5000 })).trim();
  const label = (await health.innerText()).trim();
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'integrations-sync-failed.png') });
  const listed = await rest('GET', '/api/integrations', authed());
  const row = listed.json.items.find((item) => item.service === 'github');
  if (row.last_sync?.ok !== false) throw new Error(`GET /api/integrations says last_sync ${JSON.stringify(row.last_sync)}`);
  if (label === 'active') throw new Error('the card says active');
  return `"${said.slice(0, 90)}…"; card: ${label}, "${problem}" (node: status ${row.status})`;
});

await step('reconnecting with a good token shows the sync the node starts at once, and the card goes healthy', async () => {
  const { card, dialog } = await reconnectGithub('ghp_e2e_token');
  await dialog.getByRole('button', { name: 'Done' }).click();
  const queued = card.getByTestId('queued-task');
  const what = (await queued.innerText({ timeout: 15_000 })).replace(/\s+/g, ' ').trim();
  await card.locator('[data-testid=integration-health-github][data-tone=green]').waitFor({ timeout: 30_000 });
  await card.locator('[data-testid=last-sync][data-ok=true]').waitFor({ timeout: 30_000 });
  if (await card.getByTestId('sync-problem').count()) throw new Error('the card still shows the failure');
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'integrations-sync-healthy.png') });
  const row = (await rest('GET', '/api/integrations', authed())).json.items.find((item) => item.service === 'github');
  if (row.status !== 'active' || row.last_sync?.ok !== true) throw new Error(`the node says ${row.status}, last_sync ${JSON.stringify(row.last_sync)}`);
  return `"${what.slice(0, 80)}"; active, last sync ok`;
});

if (types.includes('code_review')) {
  await step('a pull request opened once a github_watcher and a code_review agent run is reviewed, live', async () => {
    await page.goto(`${origin}/development`);
    await page.getByTestId('pr-table').waitFor();
    await waitLive(page);
    const next = anotherPullRequest(5);
    const started = Date.now();
    await deliver('pull_request', next.body);
    await page.locator('[data-testid=pr-row]', { hasText: next.title }).waitFor();
    const row = page.locator('[data-testid=pr-row][data-review-status=completed], [data-testid=pr-row][data-review-status=failed]', { hasText: next.title });
    await row.waitFor({ timeout: 60_000 });
    const status = await row.getAttribute('data-review-status');
    await row.click();
    await page.getByTestId('pr-detail').waitFor();
    await page.screenshot({ path: join(SHOTS, 'development-reviewed.png') });
    if (status !== 'completed') {
      const tasks = await rest('GET', '/api/agent-tasks?type=analyze_pr&limit=20', authed());
      throw new Error(`the review ${status}: ${tasks.json.items.find((task) => task.status === 'failed')?.error_message}`);
    }
    return `review completed ${Date.now() - started} ms after the delivery`;
  });
}

await step('the task queue groups waiting tasks with their reason', async () => {
  await page.goto(`${origin}/agents/tasks`);
  await page.getByTestId('task-table').waitFor();
  const waiting = await rest('GET', '/api/agent-tasks?status=pending&limit=100', authed());
  const open = waiting.json.items.filter((task) => task.agent_id === null);
  if (open.length === 0) return 'no task waits any more (every agent type it needed exists)';
  await page.getByTestId('waiting-groups').waitFor({ timeout: 5000 });
  const reasons = await page.getByTestId('waiting-groups').getByTestId('waiting-reason').allInnerTexts();
  await page.screenshot({ path: join(SHOTS, 'agents-tasks-waiting.png'), fullPage: true });
  return reasons.map((reason) => `"${reason}"`).join(', ');
});

let agentId = null;
await step('create a text_stats agent from its type form', async () => {
  await page.goto(`${origin}/agents/list?new=1`);
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Type').selectOption('text_stats');
  await dialog.getByLabel('Name').fill('e2e-counter');
  await dialog.getByRole('button', { name: 'Create and start' }).click();
  await page.getByTestId('agents-table').getByText('e2e-counter').waitFor();
  const agents = await rest('GET', '/api/agents?type=text_stats', authed());
  agentId = agents.json.items.find((agent) => agent.name === 'e2e-counter')?.id;
  if (!agentId) throw new Error('the agent is not listed by the API');
  return agentId;
});

await step('the owner of a team of one lets a person approve what they asked for, in Settings', async () => {
  // Off by default: the task below, asked for by the owner, could then only be approved by another member.
  await page.goto(`${origin}/settings`);
  const box = page.getByLabel('Let a person approve tasks they asked for (for a team of one)');
  if (await box.isChecked()) throw new Error('self-approval is on before anyone turned it on');
  await box.check();
  await page.getByTestId('self-approval').getByText('Saved.').waitFor({ timeout: 10_000 });
  const me = await rest('GET', '/api/auth/me', authed());
  const settings = me.json?.organizations?.find((organization) => organization.id === organizationId)?.settings ?? {};
  if (settings.allow_self_approval !== true) throw new Error(`the organization's settings are ${JSON.stringify(settings)}`);
  return 'allow_self_approval is on';
});

let taskId = null;
await step('a task needing approval appears in the approval inbox live', async () => {
  await page.goto(`${origin}/agents/approvals`);
  // The inbox may hold other work already (a rollback, a review to post): it is loaded when either shows.
  await page.locator('[data-testid=approval-list], :text("Inbox zero")').first().waitFor();
  const created = await rest('POST', '/api/agent-tasks', { ...authed(), body: { agent_id: agentId, task_type: 'count_text', input: { text: 'hello approval world' }, requires_approval: true, description: 'count the words of the e2e text' } });
  if (created.status !== 201) throw new Error(`create task answered ${created.status}: ${JSON.stringify(created.json)}`);
  taskId = created.json.id;
  const started = Date.now();
  await page.locator(`[data-testid=approval-item][data-task-id="${taskId}"]`).waitFor({ timeout: 10_000 });
  await page.screenshot({ path: join(SHOTS, 'agents-approvals.png') });
  return `shown after ${Date.now() - started} ms`;
});

await step('approve it in the console and see it completed', async () => {
  await page.locator(`[data-testid=approval-item][data-task-id="${taskId}"]`).getByRole('button', { name: 'Approve' }).click();
  await page.locator('[data-testid=decided-item][data-status=completed]').waitFor({ timeout: 20_000 });
  const task = await rest('GET', `/api/agent-tasks/${taskId}`, authed());
  if (task.json.status !== 'completed') throw new Error(`the API says ${task.json.status}`);
  await page.screenshot({ path: join(SHOTS, 'agents-approved.png') });
  return `output ${JSON.stringify(task.json.output_data)}`;
});

if (types.includes('code_review')) {
  let reviewTask = null;
  const reviewKey = `${prPayload.repository.full_name}#${prPayload.number}`;
  await step('a pull request review waiting for approval shows the pull request\'s title and the review rendered from Markdown', async () => {
    const waiting = await until('a post_review task waiting for approval', async () => {
      const listed = await rest('GET', '/api/agent-tasks?status=needs_approval&type=post_review&include=data&limit=50', authed());
      return listed.json?.items?.find((task) => task.input_data?.number === prPayload.number) ?? null;
    }, 30_000);
    reviewTask = waiting;
    await page.goto(`${origin}/agents/approvals`);
    const item = page.locator(`[data-testid=approval-item][data-task-id="${waiting.id}"]`);
    const preview = item.getByTestId('post-review-preview');
    await preview.getByText(prTitle).first().waitFor({ timeout: 10_000 });
    const region = preview.getByRole('region', { name: "The review's text" });
    const rendered = await region.evaluate((element) => element.querySelectorAll('p, h1, h2, h3, h4, ul, ol, strong, code').length);
    const text = (await region.innerText()).trim();
    await item.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'approval-post-review.png') });
    if (!rendered) throw new Error('the review is not rendered (no paragraph, heading, list or emphasis)');
    if (/^#{1,4} |\*\*/m.test(text)) throw new Error(`the review shows Markdown syntax: "${text.slice(0, 120)}"`);
    return `"${prTitle}"; ${rendered} rendered elements; ${waiting.input_data.comments?.length ?? 0} line comments`;
  });

  await step('approving the review shows who approved it, and the stand-in receives the review once', async () => {
    if (!reviewTask) throw new Error('no review waits for approval');
    const before = github.reviewsPosted.get(reviewKey) ?? 0;
    const item = page.locator(`[data-testid=approval-item][data-task-id="${reviewTask.id}"]`);
    await item.getByRole('button', { name: 'Approve' }).click();
    // On the card while it stays, then in "Decided in this session".
    const decided = page.locator(`[data-testid=approval-item][data-task-id="${reviewTask.id}"] [data-testid=decision], [data-testid=decided-item]:has(a[href="/agents/tasks/${reviewTask.id}"]) [data-testid=decision]`).first();
    const decision = (await decided.innerText({ timeout: 10_000 })).trim();
    await page.screenshot({ path: join(SHOTS, 'approval-approved-by.png') });
    if (!decision.includes(`Approved by ${owner.name}`)) throw new Error(`the card says "${decision}"`);
    const done = await until('the review task to finish', async () => {
      const task = await rest('GET', `/api/agent-tasks/${reviewTask.id}`, authed());
      return ['completed', 'failed', 'cancelled'].includes(task.json.status) ? task.json : null;
    }, 30_000);
    if (done.status !== 'completed') throw new Error(`the review task ${done.status}: ${done.error_message}`);
    await until('the review posted to the stand-in', async () => (github.reviewsPosted.get(reviewKey) ?? 0) > before, 10_000);
    return `"${decision}"; ${github.reviewsPosted.get(reviewKey)} review(s) posted on ${reviewKey}`;
  });

  await step('a review requested twice for the same head commit is posted to GitHub only once', async () => {
    if (!pullRequestId) throw new Error('no pull request');
    const posted = github.reviewsPosted.get(reviewKey) ?? 0;
    if (posted !== 1) throw new Error(`${posted} reviews were posted on ${reviewKey} before asking again`);
    const asked = [];
    for (let round = 0; round < 2; round += 1) {
      await page.goto(`${origin}/development?pr=${pullRequestId}`);
      await page.getByTestId('pr-detail').getByRole('button', { name: 'Request a review' }).click();
      const queued = page.getByTestId('queued-task');
      await queued.waitFor();
      asked.push(await queued.getAttribute('data-task-id'));
    }
    for (const id of asked) {
      await until(`the review ${id} to finish`, async () => {
        const task = await rest('GET', `/api/agent-tasks/${id}`, authed());
        return ['completed', 'failed', 'cancelled'].includes(task.json.status);
      }, 60_000);
    }
    // Whatever the reviews asked to post for this commit is approved, as a person would.
    await sleep(1500);
    const again = await rest('GET', '/api/agent-tasks?status=needs_approval&type=post_review&include=data&limit=50', authed());
    const more = (again.json?.items ?? []).filter((task) => task.input_data?.number === prPayload.number);
    for (const task of more) await rest('POST', `/api/agent-tasks/${task.id}/approve`, authed());
    await sleep(5000);
    const after = github.reviewsPosted.get(reviewKey) ?? 0;
    await page.screenshot({ path: join(SHOTS, 'development-review-twice.png') });
    if (after !== 1) throw new Error(`${after} reviews posted on ${reviewKey} for one head commit (${more.length} more asked for approval)`);
    return `2 more reviews requested, ${more.length} more waited for approval; still 1 review posted`;
  });
}

await step('a failed task can be retried from its detail', async () => {
  const created = await rest('POST', '/api/agent-tasks', { ...authed(), body: { agent_id: agentId, task_type: 'count_text', input: { words: 'no text key: fails' }, description: 'a task that fails, to retry' } });
  if (created.status !== 201) throw new Error(`create task answered ${created.status}: ${JSON.stringify(created.json)}`);
  const failed = await until('the task to fail', async () => {
    const task = await rest('GET', `/api/agent-tasks/${created.json.id}`, authed());
    return task.json.status === 'failed' ? task.json : null;
  }, 20_000);
  await page.goto(`${origin}/agents/tasks/${failed.id}`);
  const retried = page.waitForResponse((response) => new URL(response.url()).pathname === `/api/agent-tasks/${failed.id}/retry`);
  await page.getByRole('button', { name: 'Retry', exact: true }).click();
  const answer = await retried;
  if (answer.status() !== 200) throw new Error(`the retry answered ${answer.status()}`);
  const ranAgain = await until('the task to run again', async () => {
    const task = await rest('GET', `/api/agent-tasks/${failed.id}`, authed());
    return task.json.started_at && task.json.started_at > failed.started_at ? task.json : null;
  }, 20_000);
  await page.screenshot({ path: join(SHOTS, 'task-retried.png') });
  return `retried: ran again at ${ranAgain.started_at} (now ${ranAgain.status})`;
});

await step('the supervision tree shows the organization and its agents from /api/supervision/tree', async () => {
  const answered = page.waitForResponse((response) => response.url().endsWith('/api/supervision/tree'), { timeout: 10_000 });
  await page.goto(`${origin}/agents`);
  const response = await answered;
  if (response.status() !== 200) throw new Error(`GET /api/supervision/tree answered ${response.status()}`);
  const tree = await response.json();
  await page.getByTestId('supervision-tree').waitFor();
  const names = tree.nodes.filter((item) => item.role === 'agent').map((item) => item.agent_name);
  if (!names.includes('e2e-counter')) throw new Error(`the tree's agents are ${names.join(', ')}`);
  for (const name of [...names, owner.organization]) await page.locator('.react-flow__node', { hasText: name }).first().waitFor();
  await page.locator('.react-flow__node', { hasText: 'e2e-counter' }).first().click();
  await page.getByTestId('tree-details').getByText('text_stats').waitFor();
  // A single node says so above the tree.
  await page.getByTestId('cluster-panel').getByText('Single node: every organization runs on this node.').waitFor();
  await page.screenshot({ path: join(SHOTS, 'agents-tree.png') });
  const agents = tree.nodes.filter((item) => item.role === 'agent').map((item) => item.agent_name);
  return `${tree.nodes.length} nodes, agents: ${agents.join(', ')}`;
});

await step('a rollback without a deployment agent is kept waiting for approval and an agent', async () => {
  await deliver('deployment', readFileSync(join(FIXTURES, 'deployment/payload.json')));
  await until('the deployment row', async () => (await rest('GET', '/api/deployments', authed())).json?.items?.length > 0, 8000);
  await page.goto(`${origin}/development/deployments`);
  await page.getByRole('button', { name: 'Roll back' }).first().click();
  await page.getByRole('button', { name: 'Ask to roll back' }).click();
  const queued = page.getByTestId('queued-task');
  await queued.waitFor();
  const status = await queued.getAttribute('data-status');
  const reason = (await queued.getByTestId('waiting-reason').innerText({ timeout: 5000 })).trim();
  await page.screenshot({ path: join(SHOTS, 'development-rollback-waiting.png'), fullPage: true });
  if (status !== 'needs_approval') throw new Error(`the rollback task is ${status}, not needs_approval`);
  return `${status}; "${reason}"`;
});

await step('an incident opened through the API shows its timeline and the rollback waiting for approval', async () => {
  const agent = await rest('POST', '/api/agents', { ...authed(), body: { name: 'e2e-incidents', type: 'incident_response' } });
  if (agent.status !== 201) throw new Error(`create the incident_response agent answered ${agent.status}: ${JSON.stringify(agent.json)}`);
  const created = await rest('POST', '/api/agent-tasks', {
    ...authed(),
    body: { agent_id: agent.json.id, task_type: 'open_incident', input: { deployment: { project: 'e2e-shop', vercel_deployment_id: 'dpl_e2e_incident' }, reason: 'the e2e deployment of e2e-shop failed', severity: 'high' } },
  });
  if (created.status !== 201) throw new Error(`create the open_incident task answered ${created.status}: ${JSON.stringify(created.json)}`);
  const incident = created.json.id;
  await until('the incident timeline events', async () => {
    const events = await rest('GET', '/api/analytics/events?type=incident.rollback_proposed&limit=50', authed());
    return events.json?.items?.some((event) => event.metadata?.incident === incident);
  }, 15_000);
  await page.goto(`${origin}/development/incidents`);
  const card = page.locator(`[data-testid=incident][data-incident="${incident}"]`);
  await card.waitFor({ timeout: 10_000 });
  await card.getByRole('heading', { name: 'e2e-shop' }).waitFor();
  await card.locator('[data-event-type="incident.rollback_proposed"]').waitFor();
  await card.getByTestId('incident-rollback').waitFor({ timeout: 10_000 });
  const status = await card.getAttribute('data-status');
  const steps = await card.locator('[data-event-type]').count();
  await page.screenshot({ path: join(SHOTS, 'development-incident.png'), fullPage: true });
  if (status !== 'open') throw new Error(`the incident is ${status}, not open`);
  return `${status}, ${steps} timeline events, rollback waiting for approval`;
});

await step('a deployment agent is configured with fields built from its schema: a value the schema refuses is shown next to its field, and the node keeps what is saved with its types', async () => {
  const deployment = (await rest('GET', '/api/agents/types', authed())).json.items.find((item) => item.type === 'deployment');
  const max = deployment?.configuration_schema?.properties?.healthy_at?.maximum;
  if (typeof max !== 'number') throw new Error(`the deployment type's schema gives healthy_at no maximum: ${JSON.stringify(deployment?.configuration_schema?.properties?.healthy_at)}`);
  await page.goto(`${origin}/agents/list?new=1`);
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Type').selectOption('deployment');
  await dialog.getByLabel('Name').fill('e2e-deployments');
  await dialog.getByTestId('agent-configuration').waitFor();
  // The form loads with its schema's fields.
  const healthy = dialog.getByLabel('Healthy at', { exact: true });
  await healthy.waitFor({ timeout: 10_000 });
  const paths = dialog.getByRole('group', { name: 'Paths', exact: true });
  await paths.getByRole('button', { name: 'Add to Paths' }).click();
  await paths.getByRole('textbox').last().fill('/api/health');
  await healthy.fill(String(max + 50));
  await dialog.getByRole('button', { name: 'Create and start' }).click();
  await dialog.getByText(`must be at most ${max}`, { exact: true }).waitFor({ timeout: 5000 });
  if ((await healthy.getAttribute('aria-invalid')) !== 'true') throw new Error('the score field is not marked invalid');
  const violations = await axe(page);
  await page.screenshot({ path: join(SHOTS, 'agents-deployment-config.png') });
  if (violations.length) throw new Error(`axe: ${describeViolations(violations)}`);
  if ((await rest('GET', '/api/agents?type=deployment', authed())).json.items.length) throw new Error('the refused configuration reached the node');
  await healthy.fill('80');
  await dialog.getByRole('button', { name: 'Create and start' }).click();
  await page.getByTestId('agents-table').getByText('e2e-deployments').waitFor();
  const agent = (await rest('GET', '/api/agents?type=deployment', authed())).json.items.find((item) => item.name === 'e2e-deployments');
  if (!agent) throw new Error('the agent is not listed by the API');
  // Left out of the rest of the run, which expects no deployment agent.
  await rest('DELETE', `/api/agents/${agent.id}`, authed());
  // The type's defaults with what was typed; an unset (null) value is as good as absent.
  const defaults = deployment.default_configuration ?? {};
  const expected = { ...defaults, paths: [...(defaults.paths ?? ['/']), '/api/health'], healthy_at: 80 };
  const sorted = (value) => JSON.stringify(Object.fromEntries(Object.entries(value ?? {}).filter(([, item]) => item !== null).sort(([a], [b]) => a.localeCompare(b))));
  if (sorted(agent.configuration) !== sorted(expected)) throw new Error(`the node keeps ${JSON.stringify(agent.configuration)}, not ${sorted(expected)}`);
  if (JSON.stringify(agent.configuration.paths) !== JSON.stringify(['/', '/api/health'])) throw new Error(`the node probes ${JSON.stringify(agent.configuration.paths)}`);
  return JSON.stringify(agent.configuration);
});

if (types.includes('code_review')) {
  await step('a code_review agent\'s model is configured with fields built from its schema: a budget the schema refuses is shown next to its field, the node keeps what is saved with its types, and refuses an api_key or a model address in it (422 naming configuration.llm) keeping what it had', async () => {
    const name = 'e2e-reviewer-llm';
    const secret = 'sk-e2e-never-shown-0123456789';
    const find = async () => (await rest('GET', '/api/agents?type=code_review', authed())).json.items.find((item) => item.name === name);
    await page.goto(`${origin}/agents/list?new=1`);
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Type').selectOption('code_review');
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByTestId('agent-configuration').waitFor();
    // Unset, the agent's llm is the node's; set here, it has fields of its own.
    const llm = dialog.getByLabel('LLM', { exact: true });
    await llm.waitFor({ timeout: 10_000 });
    await llm.selectOption({ label: 'Set here' });
    await dialog.getByLabel('Enabled', { exact: true }).selectOption({ label: 'No' });
    // The provider and the address are the node's alone: the schema offers neither.
    for (const label of ['Provider', 'API address', 'Base URL', 'API key']) {
      if (await dialog.getByLabel(label, { exact: true }).count()) throw new Error(`the form offers ${label}`);
    }
    await dialog.getByLabel('Requests per minute', { exact: true }).fill('5');
    const tokens = dialog.getByLabel('Tokens per day', { exact: true });
    await tokens.fill('0');
    await dialog.getByRole('button', { name: 'Create and start' }).click();
    const refused = dialog.getByText('must be at least 1', { exact: true });
    await refused.waitFor({ timeout: 5000 });
    if ((await tokens.getAttribute('aria-invalid')) !== 'true') throw new Error('the tokens field is not marked invalid');
    let violations = await axe(page);
    await refused.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'agents-llm-config.png') });
    if (violations.length) throw new Error(`axe: ${describeViolations(violations)}`);
    if (await find()) throw new Error('the refused configuration reached the node');
    await tokens.fill('50000');
    await dialog.getByRole('button', { name: 'Create and start' }).click();
    await page.getByTestId('agents-table').getByText(name).waitFor();
    const created = await find();
    if (!created) throw new Error('the agent is not listed by the API');
    const expected = { enabled: false, tokens_per_day: 50000, requests_per_minute: 5 };
    // An unset (null) key is as good as absent.
    const sorted = (value) => JSON.stringify(Object.fromEntries(Object.entries(value ?? {}).filter(([, item]) => item !== null).sort(([a], [b]) => a.localeCompare(b))));
    try {
      if (sorted(created.configuration.llm) !== sorted(expected)) throw new Error(`the node keeps llm ${JSON.stringify(created.configuration.llm)}`);
      if (created.configuration.post !== 'approval' || created.configuration.max_comments !== 30) throw new Error(`the node keeps ${JSON.stringify(created.configuration)}`);
      // A key put there through the API: the agent would ignore the whole llm for it, so
      // the node refuses it naming the object, and keeps what it had.
      const patched = await rest('PATCH', `/api/agents/${created.id}`, { ...authed(), body: { configuration: { ...created.configuration, llm: { ...created.configuration.llm, api_key: secret } } } });
      if (patched.status !== 422 || patched.json?.field !== 'configuration.llm.api_key') throw new Error(`PATCH with an api_key answered ${patched.status} ${JSON.stringify(patched.json)}`);
      if (JSON.stringify(patched.json).includes(secret)) throw new Error('the refusal repeats the key');
      const redirected = await rest('PATCH', `/api/agents/${created.id}`, { ...authed(), body: { configuration: { ...created.configuration, llm: { ...created.configuration.llm, base_url: 'http://127.0.0.1:9/v1' } } } });
      if (redirected.status !== 422 || !String(redirected.json?.detail).includes('llm.base_url')) throw new Error(`PATCH with a model address answered ${redirected.status} ${JSON.stringify(redirected.json)}`);
      const saved = await find();
      if (sorted(saved?.configuration.llm) !== sorted(expected)) throw new Error(`after the refusal the node keeps llm ${JSON.stringify(saved?.configuration.llm)}`);
      return JSON.stringify(saved.configuration);
    } finally {
      // Left out of the rest of the run.
      await rest('DELETE', `/api/agents/${created.id}`, authed());
    }
  });
}

// ---- the design system: Figma's library against the repository's code, by the node's design agents.
/** Follows a task until it finishes; its row when it completed, else an error saying how it ended. */
async function completedTask(what, id, timeout = 60_000) {
  const task = await until(`${what} to finish`, async () => {
    const answer = await rest('GET', `/api/agent-tasks/${id}`, authed());
    return ['completed', 'failed', 'cancelled', 'rejected'].includes(answer.json?.status) ? answer.json : null;
  }, timeout);
  if (task.status !== 'completed') throw new Error(`${what} ${task.status}: ${task.error_message}`);
  return task;
}

await step('with Figma connected, the Design page shows the design QA agent\'s drift report (differences in sentences) and the code the component generator wrote for Button', async () => {
  const repository = prPayload.repository.full_name;
  const connected = await rest('POST', '/api/integrations/figma/connect', { ...authed(), body: { credentials: { token: figmaToken, file_keys: figmaFileKey }, webhook_secret: 'e2e-passcode' } });
  if (connected.status !== 201) throw new Error(`connecting Figma answered ${connected.status}: ${JSON.stringify(connected.json)}`);
  const started = (connected.json.agents_started ?? []).map((agent) => agent.type);
  for (const type of ['design_qa', 'component_generator']) if (!started.includes(type)) throw new Error(`connecting Figma started ${started.join(', ') || 'no agent'}, not ${type}`);
  // The sync follows the file, and syncs it in a task of its own.
  const sync = await rest('POST', '/api/integrations/figma/sync', authed());
  if (sync.status !== 202) throw new Error(`the Figma sync answered ${sync.status}: ${JSON.stringify(sync.json)}`);
  const synced = await completedTask('the Figma sync', sync.json.id);
  const fileSync = synced.output_data?.follow_up_tasks?.[0];
  if (!fileSync) throw new Error(`the Figma sync has no file sync to follow: ${JSON.stringify(synced.output_data)}`);
  await completedTask('the Figma file sync', fileSync);
  const check = await rest('POST', '/api/design/drift', authed());
  if (check.status !== 202) throw new Error(`the drift check answered ${check.status}: ${JSON.stringify(check.json)}`);
  const report = (await completedTask('the drift check', check.json.id)).output_data;
  const statuses = Object.fromEntries((report.components ?? []).map((finding) => [finding.name, finding.status]).sort(([a], [b]) => a.localeCompare(b)));
  const button = (report.components ?? []).find((finding) => finding.name === 'Button');
  const differences = JSON.stringify(button?.differences ?? []);
  if (report.repository !== repository || report.reference !== 'master') throw new Error(`the report is of ${report.repository}@${report.reference}`);
  if (JSON.stringify(statuses) !== JSON.stringify({ Avatar: 'missing_in_code', Button: 'differs', 'Forms/Text field': 'in_sync' })) throw new Error(`the report finds ${JSON.stringify(statuses)}`);
  if (differences !== JSON.stringify([{ kind: 'options_differ', property: 'size', only_in_figma: ['large'], only_in_code: [] }, { kind: 'property_missing_in_code', property: 'hasIcon' }])) throw new Error(`Button's differences are ${differences}`);
  if (JSON.stringify(report.missing_in_figma) !== JSON.stringify([{ name: 'Badge', path: 'src/components/Badge.tsx' }])) throw new Error(`only in the code: ${JSON.stringify(report.missing_in_figma)}`);
  const rows = (await rest('GET', '/api/design-components', authed())).json?.items ?? [];
  const buttonRow = rows.find((row) => row.name === 'Button' && row.component_type === 'component_set');
  if (!buttonRow) throw new Error(`no Button component set among ${rows.map((row) => `${row.name} (${row.component_type})`).join(', ')}`);
  const generation = await rest('POST', `/api/design-components/${buttonRow.id}/generate-code`, authed());
  if (generation.status !== 202) throw new Error(`generating Button's code answered ${generation.status}: ${JSON.stringify(generation.json)}`);
  await completedTask('the code generation', generation.json.id);
  // What the agents read, they read from the stand-in's Figma and GitHub.
  for (const request of [`GET /v1/files/${figmaFileKey}/nodes`, `GET /repos/${repository}/git/trees/master`, `GET /repos/${repository}/contents/src/components/Button.tsx`]) {
    if (!github.requests.includes(request)) throw new Error(`the stand-in was not asked ${request}`);
  }

  await page.goto(`${origin}/design`);
  await settle(page);
  const drift = page.locator('section', { has: page.getByRole('heading', { name: 'Drift', exact: true }) }).getByTestId('drift-report');
  await drift.getByText(`${repository}@master`, { exact: true }).waitFor();
  const sentences = (await drift.getByTestId('drift-difference').allInnerTexts()).map((text) => text.trim());
  for (const sentence of ['size: Figma has large, the code does not', 'hasIcon: in Figma, not in the code']) {
    if (!sentences.includes(sentence)) throw new Error(`the Drift card's differences are ${JSON.stringify(sentences)}`);
  }
  await drift.getByTestId('drift-difference').filter({ hasText: 'size: Figma has large' }).waitFor();
  await drift.getByTestId('missing-in-figma').getByText('Badge', { exact: true }).waitFor();
  await drift.locator('[data-testid=drift-finding][data-status=missing_in_code]', { hasText: 'Avatar' }).waitFor();
  const table = page.getByTestId('design-components');
  const buttonBadge = (await table.getByTestId('design-component').filter({ hasText: 'Button' }).getByTestId('drift-cell').innerText()).trim();
  if (buttonBadge !== 'differs · 2') throw new Error(`Button's drift badge says "${buttonBadge}"`);
  const listed = await table.getByTestId('design-component').allInnerTexts();
  if (listed.some((text) => text.includes('Size=Small'))) throw new Error('the components table lists the variants by default');
  await page.getByRole('button', { name: 'View code of Button', exact: true }).click();
  const code = page.locator('section', { has: page.getByRole('heading', { name: 'Generated code', exact: true }) });
  if ((await code.getByTestId('generated-component').inputValue()) !== buttonRow.id) throw new Error('"View code" does not select Button');
  await code.getByTestId('generated-file').locator('figcaption').getByText('src/components/Button.tsx', { exact: true }).waitFor();
  const contents = code.getByRole('region', { name: 'Contents of src/components/Button.tsx', exact: true });
  await contents.waitFor();
  const line = "export type ButtonSize = 'small' | 'medium' | 'large';";
  if (!(await contents.innerText()).includes(line)) throw new Error(`Button.tsx as shown lacks ${line}`);
  const files = (await code.getByTestId('generated-file').locator('figcaption').allInnerTexts()).map((caption) => caption.split('\n')[0].trim());
  // The console scrolls inside <main>: the window is made as tall as the page for one picture of it all.
  const tall = await page.evaluate(() => {
    const main = document.querySelector('main');
    return Math.ceil(main.getBoundingClientRect().top + main.scrollHeight);
  });
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: viewport.width, height: Math.min(Math.max(tall, viewport.height), 6000) });
  // Two animation frames: the page has laid itself out at the new size.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await page.screenshot({ path: join(SHOTS, 'design-drift.png') });
  await page.setViewportSize(viewport);
  const violations = await axe(page);
  if (violations.length) throw new Error(`axe: ${describeViolations(violations)}`);
  return `${report.in_sync} in step, ${report.differ} differs (${sentences.join('; ')}), ${report.missing_in_code} missing in code, only in code: Badge; code: ${files.join(', ')}`;
});

// ---- areas: screenshots and accessibility, as the owner, light theme, then dark.
const AREAS = [
  ['command-center', '/'],
  ['agents-tree', '/agents'],
  ['agents-list', '/agents/list'],
  ['agents-tasks', '/agents/tasks'],
  ['agents-approvals', '/agents/approvals'],
  ['task-detail', () => `/agents/tasks/${taskId}`],
  ['development', '/development'],
  ['development-repositories', '/development/repositories'],
  ['development-deployments', '/development/deployments'],
  ['development-incidents', '/development/incidents'],
  ['design', '/design'],
  ['team', '/team'],
  ['social', '/social'],
  ['intelligence', '/intelligence'],
  ['integrations', '/integrations'],
  ['graphiql', '/graphiql'],
];
async function settle(target) {
  await target.waitForLoadState('networkidle').catch(() => undefined);
  await target.locator('[role=status][aria-label=Loading], [aria-busy=true]').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
  if (new URL(target.url()).pathname === '/graphiql') await target.locator('.graphiql-container .monaco-editor').first().waitFor({ timeout: 15_000 });
  await sleep(400);
}
for (const [name, path] of AREAS) {
  await step(`area ${name}: renders, screenshot, no serious or critical axe violation`, async () => {
    const target = typeof path === 'function' ? path() : path;
    await page.goto(`${origin}${target}`);
    await settle(page);
    await notBlank(page);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    const violations = await axe(page);
    if (violations.length) throw new Error(describeViolations(violations));
  });
}
await step('signed-out pages (sign-in, register, forgot and reset password, GitHub callback): render, no serious axe violation', async () => {
  const visitor = await newPage();
  const problems = [];
  for (const [name, target] of [['login', '/login'], ['register', '/register'], ['forgot-password', '/forgot-password'], ['reset-password', '/reset-password?token=e2e'], ['github-callback-error', '/auth/callback#error=GitHub+did+not+sign+you+in']]) {
    await visitor.goto(`${origin}${target}`);
    await visitor.waitForLoadState('networkidle').catch(() => undefined);
    await sleep(200);
    await visitor.screenshot({ path: join(SHOTS, `${name}.png`) });
    const text = (await visitor.locator('main').innerText()).trim();
    if (text.length < 20) problems.push(`${name}: blank`);
    problems.push(...(await axe(visitor)).map((violation) => `${name}: ${violation.impact} ${violation.id} (${violation.target})`));
  }
  await visitor.context().close();
  if (problems.length) throw new Error(problems.join('; '));
});
const darkPage = await newPage('dark');
await step('dark theme: Command Center, Agents, Development, Intelligence and GraphiQL render, no serious axe violation', async () => {
  await darkPage.goto(`${origin}/login`);
  await darkPage.evaluate(() => localStorage.setItem('companyos-ui', JSON.stringify({ state: { theme: 'dark', organizationId: null, sidebarCollapsed: false }, version: 0 })));
  await signIn(darkPage, owner.email, owner.password);
  const problems = [];
  for (const [name, target] of [['command-center', '/'], ['agents-tree', '/agents'], ['development', '/development'], ['intelligence', '/intelligence'], ['graphiql', '/graphiql']]) {
    await darkPage.goto(`${origin}${target}`);
    await settle(darkPage);
    await notBlank(darkPage);
    if (!(await darkPage.evaluate(() => document.documentElement.classList.contains('dark')))) throw new Error('the dark class is not set');
    await darkPage.screenshot({ path: join(SHOTS, `${name}-dark.png`), fullPage: true });
    problems.push(...(await axe(darkPage)).map((violation) => `${name}: ${violation.impact} ${violation.id} (${violation.target})`));
  }
  await darkPage.context().close();
  if (problems.length) throw new Error(problems.join('; '));
});

// ---- a phone: 390 px wide.
await step('at 390 px the sidebar folds behind a menu button and Command Center, Development and Integrations do not overflow sideways', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const phone = await context.newPage();
  phone.setDefaultTimeout(15_000);
  phone.on('pageerror', (error) => console.log(`      page error: ${error.message}`));
  try {
    await signIn(phone, owner.email, owner.password);
    const problems = [];
    const widths = [];
    for (const [name, target] of [['command-center', '/'], ['development', '/development'], ['integrations', '/integrations'], ['agents-tasks', '/agents/tasks'], ['agents-list', '/agents/list'], ['social', '/social']]) {
      await phone.goto(`${origin}${target}`);
      await settle(phone);
      await notBlank(phone);
      if (!(await phone.getByTestId('menu-button').isVisible())) problems.push(`${name}: no menu button`);
      if (await phone.getByTestId('sidebar').isVisible()) problems.push(`${name}: the sidebar shows`);
      const measured = await phone.evaluate(() => {
        const main = document.querySelector('main');
        return { page: document.scrollingElement.scrollWidth, main: main ? main.scrollWidth - main.clientWidth : 0 };
      });
      widths.push(`${name} ${measured.page}`);
      if (measured.page > 390) problems.push(`${name}: the page is ${measured.page} px wide`);
      if (measured.main > 1) problems.push(`${name}: the area scrolls sideways by ${measured.main} px`);
      // The area scrolls inside <main>: let the page grow to its height for a whole-page picture.
      await phone.evaluate(() => {
        for (const element of [document.documentElement, document.body, document.getElementById('root'), document.getElementById('root')?.firstElementChild]) if (element) element.style.height = 'auto';
        const main = document.querySelector('main');
        if (main) main.style.overflow = 'visible';
      });
      await phone.screenshot({ path: join(SHOTS, `390-${name}.png`), fullPage: true });
    }
    await phone.goto(`${origin}/integrations`);
    await phone.getByTestId('menu-button').click();
    await phone.getByTestId('mobile-menu').getByRole('link', { name: 'Development' }).waitFor();
    await phone.screenshot({ path: join(SHOTS, '390-menu.png') });
    await phone.getByTestId('mobile-menu').getByRole('link', { name: 'Development' }).click();
    await phone.waitForURL(/\/development$/);
    if (await phone.getByTestId('mobile-menu').count()) problems.push('the menu stays open after going to an area');
    if (problems.length) throw new Error(problems.join('; '));
    return widths.join(', ');
  } finally {
    await context.close();
  }
});

await step('at 390 px the supervision tree, fitted to the view, keeps its labels readable', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const phone = await context.newPage();
  phone.setDefaultTimeout(15_000);
  try {
    await signIn(phone, owner.email, owner.password);
    await phone.goto(`${origin}/agents`);
    await phone.getByTestId('supervision-tree').locator('.react-flow__node').first().waitFor();
    await sleep(800);
    const zoom = await phone.evaluate(() => {
      const transform = getComputedStyle(document.querySelector('.react-flow__viewport')).transform;
      return new DOMMatrixReadOnly(transform).a;
    });
    const label = await phone.locator('.react-flow__node').first().evaluate((node) => Number.parseFloat(getComputedStyle(node.querySelector('span') ?? node).fontSize));
    await phone.screenshot({ path: join(SHOTS, '390-agents-tree.png'), fullPage: true });
    const shown = Math.round(label * zoom * 10) / 10;
    if (shown < 9) throw new Error(`labels drawn at ${shown} px (zoom ${zoom.toFixed(2)})`);
    return `zoom ${zoom.toFixed(2)}: labels at ${shown} px`;
  } finally {
    await context.close();
  }
});

await step('the command palette opens with Ctrl-K and jumps to an area (and to GraphiQL)', async () => {
  await page.goto(`${origin}/`);
  await page.getByTestId('command-center').waitFor();
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Command' }).fill('approval inbox');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/agents\/approvals/);
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Command' }).fill('graphiql');
  await page.screenshot({ path: join(SHOTS, 'command-palette.png') });
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/graphiql$/);
});

// ---- the analysts: delivery (DORA), anomalies, recommendations, risk; search in the palette.
await step('the Intelligence Hub shows the four DORA keys, each with a band badge, and the Anomalies and Recommendations sections', async () => {
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/analytics/delivery', { timeout: 15_000 });
  await page.goto(`${origin}/intelligence`);
  const response = await answered;
  if (response.status() !== 200) throw new Error(`GET /api/analytics/delivery answered ${response.status()}: ${(await response.text()).slice(0, 200)}`);
  const report = await response.json();
  const cards = page.getByTestId('dora-cards').getByTestId('dora-key');
  await cards.nth(3).waitFor({ timeout: 10_000 });
  const count = await cards.count();
  if (count !== 4) throw new Error(`${count} DORA cards`);
  const shown = [];
  for (let index = 0; index < count; index += 1) {
    const card = cards.nth(index);
    // Every card has its badge: a band, or "No data" (data-band=none) for a key the range has no data for.
    const band = await card.getByTestId('dora-band').getAttribute('data-band', { timeout: 5000 });
    const value = (await card.getByTestId('dora-value').innerText()).trim();
    shown.push(`${await card.getAttribute('data-key')} ${value} (${band})`);
  }
  // Deployment frequency always has a band (0/day is low), the node's.
  const frequency = await page.locator('[data-testid=dora-key][data-key=deployment_frequency] [data-testid=dora-band]').getAttribute('data-band');
  if (!['elite', 'high', 'medium', 'low'].includes(frequency ?? '')) throw new Error(`the deployment frequency card has no band: ${frequency}`);
  if (frequency !== report.overall?.deployment_frequency?.band) throw new Error(`the card says ${frequency}, the node ${report.overall?.deployment_frequency?.band}`);
  await page.getByTestId('business-metrics').waitFor();
  for (const heading of ['Anomalies', 'Recommendations']) await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  // Loaded: the items, or the empty state saying which agent produces them.
  const anomalies = page.getByTestId('anomalies').locator('[data-testid=anomaly], :text("No anomalies")').first();
  const recommendations = page.getByTestId('recommendations').locator('[data-testid=recommendation], :text("No recommendations yet")').first();
  await anomalies.waitFor({ timeout: 10_000 });
  await recommendations.waitFor({ timeout: 10_000 });
  const anomalyCount = await page.getByTestId('anomaly').count();
  const recommendationCount = await page.getByTestId('recommendation').count();
  await page.screenshot({ path: join(SHOTS, 'intelligence-delivery.png') });
  await page.getByTestId('anomalies').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'intelligence-anomalies-recommendations.png') });
  return `${shown.join('; ')}; ${report.projects?.length ?? 0} project(s); ${anomalyCount} anomalies, ${recommendationCount} recommendations`;
});

if (types.includes('prediction')) {
  await step('the prediction agent\'s risk shows on the open pull requests (0–100 badge), its factors and model on opening it', async () => {
    let agent = (await rest('GET', '/api/agents?type=prediction', authed())).json?.items?.find((item) => item.status !== 'disabled');
    if (!agent) {
      const created = await rest('POST', '/api/agents', { ...authed(), body: { name: 'e2e-prediction', type: 'prediction' } });
      if (created.status !== 201) throw new Error(`create a prediction agent answered ${created.status}: ${JSON.stringify(created.json)}`);
      agent = created.json;
    }
    const task = await rest('POST', '/api/agent-tasks', { ...authed(), body: { agent_id: agent.id, task_type: 'predict_risk', input: {} } });
    if (task.status !== 201) throw new Error(`create the predict_risk task answered ${task.status}: ${JSON.stringify(task.json)}`);
    const done = await until('the predict_risk task to finish', async () => {
      const current = await rest('GET', `/api/agent-tasks/${task.json.id}`, authed());
      return ['completed', 'failed', 'cancelled'].includes(current.json?.status) ? current.json : null;
    }, 30_000);
    if (done.status !== 'completed') throw new Error(`predict_risk ${done.status}: ${done.error_message}`);
    const risks = await rest('GET', '/api/analytics/risks?subject=pull_request&limit=500', authed());
    if (risks.status !== 200 || !risks.json?.items?.length) throw new Error(`GET /api/analytics/risks answered ${risks.status} with ${risks.json?.items?.length ?? 0} pull request assessments (task output ${JSON.stringify(done.output_data)})`);
    await page.goto(`${origin}/development`);
    await page.getByTestId('pr-table').waitFor();
    const badge = page.locator('[data-testid=pr-row] [data-testid=risk]').first();
    await badge.waitFor({ timeout: 10_000 });
    const risk = Number(await badge.getAttribute('data-risk'));
    const model = await badge.getAttribute('data-model');
    if (!(risk >= 0 && risk <= 100)) throw new Error(`the badge says risk ${risk}`);
    await badge.getByRole('button').click();
    const factors = badge.getByTestId('risk-factors');
    await factors.waitFor();
    const lines = (await factors.getByRole('listitem').allInnerTexts()).map((line) => line.replace(/\s+/g, ' ').trim());
    if (!lines.length || !lines.every((line) => /^[↑↓·]/.test(line))) throw new Error(`the factors read ${JSON.stringify(lines)}`);
    if (/_/.test(lines.join(' '))) throw new Error(`a factor is shown by its raw name: ${JSON.stringify(lines)}`);
    await page.screenshot({ path: join(SHOTS, 'development-risk.png') });
    return `${risks.json.items.length} pull requests assessed; first row: risk ${risk} (${model}): ${lines.join(' | ')}`;
  });
}

await step('the command palette searches from two characters: a Search group lists hits with the matches highlighted, and a pull request hit opens it', async () => {
  // The pull requests delivered at the start are titled "E2E pull request 1" to "… 5".
  const words = 'E2E pull';
  await page.goto(`${origin}/`);
  await page.getByTestId('command-center').waitFor();
  await page.keyboard.press('Control+k');
  const answered = page.waitForResponse((response) => {
    const url = new URL(response.url());
    return url.pathname === '/api/search' && url.searchParams.get('q') === words;
  }, { timeout: 10_000 });
  await page.getByRole('combobox', { name: 'Command' }).fill(words);
  const response = await answered;
  if (response.status() !== 200) throw new Error(`GET /api/search answered ${response.status()}: ${(await response.text()).slice(0, 200)}`);
  const body = await response.json();
  const group = page.getByRole('group', { name: 'Search' });
  const hits = group.getByTestId('search-hit');
  await hits.first().waitFor({ timeout: 10_000 });
  const kinds = await hits.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
  const marks = await group.locator('mark').count();
  await page.screenshot({ path: join(SHOTS, 'command-palette-search.png') });
  if (kinds.length !== body.hits.length) throw new Error(`${kinds.length} hits shown, the node found ${body.hits.length}`);
  // A snippet shows its matches as <mark>, never the node's « » markers.
  const texts = (await hits.allInnerTexts()).join(' ');
  if (/[«»]/.test(texts)) throw new Error(`a snippet shows « »: ${texts.slice(0, 200)}`);
  const pullRequest = group.locator('[data-testid=search-hit][data-kind=pull_request]').first();
  if (!(await pullRequest.count())) throw new Error(`no pull request among the hits: ${kinds.join(', ')}`);
  const title = (await pullRequest.locator('.font-medium').first().innerText()).trim();
  await pullRequest.click();
  await page.waitForURL(/\/development\?pr=/);
  const detail = page.getByTestId('pr-detail');
  await detail.waitFor({ timeout: 10_000 });
  const heading = (await detail.getByRole('heading').first().innerText()).trim();
  if (!title.includes(heading)) throw new Error(`the hit "${title}" opened "${heading}"`);
  await page.screenshot({ path: join(SHOTS, 'command-palette-search-opened.png') });
  return `"${words}": ${kinds.length} hits (${kinds.join(', ')}), ${marks} highlighted matches; "${title}" opened`;
});

await step('GraphiQL: /graphql leads to it; a query and a subscription run as the user, under the node\'s CSP', async () => {
  const before = cspViolations.length;
  const explorer = await newPage();
  await signIn(explorer, owner.email, owner.password);
  await explorer.goto(`${origin}/graphql`);
  await explorer.waitForURL(/\/graphiql$/);
  await explorer.locator('.graphiql-container .monaco-editor').first().waitFor();
  await sleep(500);
  // The default query lists the organization's agents.
  await explorer.locator('.graphiql-execute-button').click();
  await explorer.locator('.graphiql-response').getByText('e2e-counter').first().waitFor({ timeout: 10_000 });
  // A subscription in a new tab, fed by a task created through the API.
  await explorer.locator('.graphiql-tab-add').click();
  await sleep(300);
  const editor = explorer.locator('.graphiql-query-editor .monaco-editor').first();
  await editor.click();
  await explorer.keyboard.press('Control+a');
  await explorer.keyboard.press('Delete');
  await explorer.keyboard.insertText('subscription Created { agentTaskCreated { id taskType status } }');
  await sleep(300);
  await explorer.locator('.graphiql-execute-button').click();
  // The subscription starts once the socket has it: tasks are created until one streams in.
  let created = null;
  for (let attempt = 0; attempt < 5 && !created; attempt += 1) {
    await sleep(1000);
    const task = await rest('POST', '/api/agent-tasks', { ...authed(), body: { agent_id: agentId, task_type: 'count_text', input: { text: `from graphiql ${attempt}` } } });
    const shown = await explorer.locator('.graphiql-response').getByText(task.json.id).first().waitFor({ timeout: 4000 }).then(() => true, () => false);
    if (shown) created = task;
  }
  if (!created) throw new Error('no created task streamed into the subscription');
  await explorer.screenshot({ path: join(SHOTS, 'graphiql-subscription.png') });
  await explorer.context().close();
  const found = cspViolations.slice(before);
  if (found.length) throw new Error(`CSP violations: ${found.join(' | ')}`);
  return `query and subscription answered (task ${created.json.id} streamed); no CSP violation`;
});

// ---- a viewer, invited by e-mail (the invitation mailed again), sees no action buttons.
const viewer = { email: 'viewer@acme.test', name: 'Victor Viewer', password: 'viewer password 1' };
let viewerReady = false;
await step('invite a viewer from the Team area', async () => {
  const before = linksInLog('');
  await page.goto(`${origin}/team?invite=1`);
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Email').fill(viewer.email);
  await dialog.getByLabel('Role').selectOption('viewer');
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await dialog.waitFor({ state: 'detached' });
  viewer.link = await waitForLink('accept-invitation', before);
  if (!viewer.link) throw new Error('no invitation link (link=…accept-invitation?token=…) in the node log');
  return viewer.link;
});
await step('pending invitations are listed with their expiry; "Resend" mails a new link and the old one stops working', async () => {
  await page.goto(`${origin}/team`);
  const row = page.getByTestId('invitation-table').locator('tr', { hasText: viewer.email });
  await row.waitFor({ timeout: 5000 });
  const before = linksInLog('accept-invitation');
  await row.getByRole('button', { name: `Resend the invitation to ${viewer.email}` }).click();
  await page.getByTestId('invitation-resent').waitFor();
  const fresh = await waitForLink('accept-invitation', before);
  if (!fresh) throw new Error('no new invitation link in the node log');
  const old = await rest('POST', '/api/invitations/preview', { body: { token: new URL(viewer.link).searchParams.get('token') } });
  const current = await rest('POST', '/api/invitations/preview', { body: { token: new URL(fresh).searchParams.get('token') } });
  if (current.status !== 200) throw new Error(`the new link answers ${current.status}`);
  if (old.status < 400) throw new Error(`the old link still answers ${old.status}`);
  viewer.link = fresh;
  await page.screenshot({ path: join(SHOTS, 'team-invitation-resent.png') });
  return `old link ${old.status}, new link ${current.status}`;
});
await step('the Team area reads the standups and, with none (Slack is not connected), says how they come', async () => {
  const asked = [];
  const listen = (request) => asked.push(new URL(request.url()).pathname);
  page.on('request', listen);
  try {
    await page.goto(`${origin}/team`);
    await page.getByTestId('member-table').waitFor();
    await settle(page);
  } finally {
    page.off('request', listen);
  }
  if (!asked.includes('/api/team/standups')) throw new Error(`the standups were not read (asked ${asked.filter((path) => path.startsWith('/api/')).join(', ')})`);
  const standups = page.getByTestId('standups');
  const empty = standups.getByTestId('standups-empty');
  await empty.getByText('No standup yet').waitFor();
  const text = await empty.innerText();
  if (!text.includes('Slack')) throw new Error(`the empty state says "${text}"`);
  if (!/weekdays at 09:00/.test(text)) throw new Error(`the empty state does not say when: "${text}"`);
  if ((await standups.getByTestId('standup').count()) !== 0) throw new Error('a standup is shown though Slack is not connected');
  await page.screenshot({ path: join(SHOTS, 'team-standups.png'), fullPage: true });
  return `${asked.filter((path) => path.startsWith('/api/')).length} API requests, GET /api/team/standups among them: no standup yet`;
});
await step('the viewer accepts the invitation from the e-mailed link', async () => {
  const viewerPage = await newPage();
  await viewerPage.goto(`${origin}/accept-invitation?token=${new URL(viewer.link).searchParams.get('token')}`);
  await viewerPage.getByLabel('Your name').fill(viewer.name);
  await viewerPage.getByLabel('Password').fill(viewer.password);
  await viewerPage.getByRole('button', { name: 'Create account and join' }).click();
  await viewerPage.getByTestId('command-center').waitFor();
  viewerReady = true;
  await viewerPage.screenshot({ path: join(SHOTS, 'accept-invitation-done.png') });
  await viewerPage.context().close();
  return 'registered through the invitation page';
});

await step('a viewer sees no action buttons in any area', async () => {
  if (!viewerReady) throw new Error('no viewer account');
  const viewerPage = await newPage();
  await signIn(viewerPage, viewer.email, viewer.password);
  const forbidden = /^(Create agent|Create task|Approve|Reject|Connect|Reconnect|Sync now|Sync|Disconnect|Invite member|Roll back|Disable( .+)?|Enable( .+)?|Delete|Configure|Draft a post|Publish|Request a review|Generate code|Revoke|Resend|Remove|Cancel task|Create a \w+ agent|Start an? .+ agent)$/;
  const found = [];
  for (const [name, path] of AREAS.filter(([name]) => name !== 'graphiql')) {
    const target = typeof path === 'function' ? path() : path;
    await viewerPage.goto(`${origin}${target}`);
    await viewerPage.waitForLoadState('networkidle').catch(() => undefined);
    await sleep(300);
    const labels = await viewerPage.locator('main button').evaluateAll((buttons) => buttons.map((button) => button.textContent?.trim() ?? ''));
    for (const label of labels) if (forbidden.test(label)) found.push(`${name}: ${label}`);
    const selects = await viewerPage.locator('main select[aria-label^="Role of"]').count();
    if (selects) found.push(`${name}: role selects`);
  }
  await viewerPage.goto(`${origin}/development`);
  await viewerPage.locator('[data-testid=pr-row]').first().click();
  await viewerPage.screenshot({ path: join(SHOTS, 'viewer-development.png'), fullPage: true });
  await viewerPage.goto(`${origin}/agents/tasks`);
  await viewerPage.waitForLoadState('networkidle').catch(() => undefined);
  if (await viewerPage.locator('[data-testid=create-waiting-agent], [data-testid=enable-waiting-agent]').count()) found.push('tasks: create or enable agent button');
  await viewerPage.context().close();
  if (found.length) throw new Error(`offered to a viewer: ${found.join(', ')}`);
  return `${AREAS.length - 1} areas checked`;
});

// ---- a member of a second organization sees nothing of the first.
const stranger = { email: 'stranger@other.test', name: 'Sam Stranger', password: 'another password', organization: 'Other Org' };
await step('open registration in the console mails a link (202) and signs in from it, answering a taken address the same', async () => {
  // An address that has an account is answered as a new one: registering tells nobody which addresses exist.
  const taken = await rest('POST', '/api/auth/register', { body: { ...owner, organization: 'Not Acme' } });
  if (taken.status !== 202) throw new Error(`registering a taken address answered ${taken.status}: ${JSON.stringify(taken.json)}`);
  const strangerPage = await newPage();
  const before = linksInLog('verify-email', stranger.email);
  await strangerPage.goto(`${origin}/register`);
  await strangerPage.getByLabel('Organization name').fill(stranger.organization);
  await strangerPage.getByLabel('Your name').fill(stranger.name);
  await strangerPage.getByLabel('Email').fill(stranger.email);
  await strangerPage.getByLabel('Password').fill(stranger.password);
  const answered = strangerPage.waitForResponse((response) => new URL(response.url()).pathname === '/api/auth/register');
  await strangerPage.getByRole('button', { name: 'Create organization' }).click();
  const response = await answered;
  const body = await response.json();
  if (response.status() !== 202) throw new Error(`open registration answered ${response.status()}: ${JSON.stringify(body)}`);
  if (taken.json?.status !== body.status) throw new Error(`a taken address is answered "${taken.json?.status}", a new one "${body.status}"`);
  const said = (await strangerPage.getByTestId('register-mailed').innerText()).replace(/\s+/g, ' ').trim();
  if (!said.includes(stranger.email)) throw new Error(`the page says "${said}"`);
  await strangerPage.screenshot({ path: join(SHOTS, 'register-mailed.png') });
  const link = await waitForLink('verify-email', before, { to: stranger.email });
  if (!link) throw new Error('no verification link (link=…verify-email?token=…) for the new address in the node log');
  const url = new URL(link);
  await strangerPage.goto(`${origin}${url.pathname}${url.search}`);
  await strangerPage.getByLabel('Password', { exact: true }).fill(stranger.password);
  await strangerPage.getByLabel('Repeat it').fill(stranger.password);
  await strangerPage.getByRole('button', { name: 'Verify and sign in' }).click();
  await strangerPage.waitForURL((to) => !to.pathname.startsWith('/verify-email'));
  await strangerPage.context().close();
  const login = await rest('POST', '/api/auth/login', { body: { email: stranger.email, password: stranger.password } });
  if (login.status !== 200) throw new Error(`sign-in with the password chosen from the link answered ${login.status}`);
  stranger.token = login.json.access_token;
  const me = await rest('GET', '/api/auth/me', { token: stranger.token });
  stranger.id = me.json.id;
  stranger.organizationId = me.json.organizations?.[0]?.id;
  if (me.json.organizations?.[0]?.role !== 'owner') throw new Error(`the new account is ${me.json.organizations?.[0]?.role ?? 'in no organization'}`);
  if (!me.json.email_verified_at) throw new Error('the address is not verified');
  return `"${said}"; signed in from the link as owner of ${stranger.organization}`;
});

await step('a member of a second organization sees nothing of the first', async () => {
  if (!stranger.token) throw new Error('no account in a second organization');
  const strangerPage = await newPage();
  await signIn(strangerPage, stranger.email, stranger.password);
  const leaks = [];
  for (const [target, secret] of [['/development', prTitle], ['/agents/list', 'e2e-counter'], ['/agents/tasks', 'count_text'], ['/', 'Acme'], ['/team', owner.email]]) {
    await strangerPage.goto(`${origin}${target}`);
    await strangerPage.waitForLoadState('networkidle').catch(() => undefined);
    await sleep(300);
    if ((await strangerPage.locator('body').innerText()).includes(secret)) leaks.push(`${target} shows "${secret}"`);
  }
  const options = await strangerPage.getByTestId('organization-switch').locator('option').allInnerTexts();
  if (options.some((option) => option.includes('Acme'))) leaks.push('the organization switcher offers Acme');
  const probe = await rest('GET', '/api/agent-tasks', { token: stranger.token, org: organizationId });
  if (probe.status !== 404 && probe.status !== 403) leaks.push(`the API answered ${probe.status} for the first organization's tasks`);
  await strangerPage.screenshot({ path: join(SHOTS, 'second-organization.png'), fullPage: true });
  await strangerPage.context().close();
  if (leaks.length) throw new Error(leaks.join('; '));
});

await step('removed from an organization while looking at it, a member is told and switched away live (4403)', async () => {
  const before = linksInLog('accept-invitation');
  const invited = await rest('POST', `/api/organizations/${organizationId}/members`, { token: ownerToken, body: { email: stranger.email, role: 'member' } });
  if (invited.status >= 300) throw new Error(`inviting answered ${invited.status}`);
  const link = await waitForLink('accept-invitation', before);
  if (!link) throw new Error('no invitation link in the node log');
  const accepted = await rest('POST', '/api/invitations/accept', { token: stranger.token, body: { token: new URL(link).searchParams.get('token') } });
  if (accepted.status >= 300) throw new Error(`accepting answered ${accepted.status}: ${JSON.stringify(accepted.json)}`);
  const strangerPage = await newPage();
  await signIn(strangerPage, stranger.email, stranger.password);
  await strangerPage.getByTestId('organization-switch').selectOption(organizationId);
  await strangerPage.goto(`${origin}/agents/list`);
  await strangerPage.getByTestId('agents-table').getByText('e2e-counter').waitFor();
  await waitLive(strangerPage);
  await sleep(300);
  const removed = await rest('DELETE', `/api/organizations/${organizationId}/members/${stranger.id}`, { token: ownerToken });
  if (removed.status >= 300) throw new Error(`removing answered ${removed.status}`);
  const started = Date.now();
  const notice = (await strangerPage.getByTestId('notice').innerText({ timeout: 10_000 })).trim();
  const elapsed = Date.now() - started;
  await strangerPage.waitForFunction((id) => document.querySelector('[data-testid=organization-switch]')?.value === id, stranger.organizationId, { timeout: 5000 });
  await strangerPage.waitForFunction(() => !document.body.innerText.includes('e2e-counter'), null, { timeout: 5000 });
  await waitLive(strangerPage);
  await strangerPage.screenshot({ path: join(SHOTS, 'membership-lost.png') });
  await strangerPage.context().close();
  if (!notice.includes('Acme')) throw new Error(`the notice says "${notice}"`);
  return `"${notice}" ${elapsed} ms after the removal; live again on ${stranger.organization}`;
});

await step('e-mail verification from the link in the node log: the password is chosen again, other sessions end', async () => {
  const link = linksInLog('verify-email', owner.email).pop();
  if (!link) throw new Error('no verification link (link=…verify-email?token=…) in the node log');
  const url = new URL(link);
  // In the owner's own tab: verifying signs this tab in afresh and every other session out.
  await page.goto(`${origin}${url.pathname}${url.search}`);
  await page.getByLabel('Password', { exact: true }).fill(owner.password);
  await page.getByLabel('Repeat it').fill(owner.password);
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await page.waitForURL((to) => !to.pathname.startsWith('/verify-email'));
  const stale = await rest('GET', '/api/auth/me', { token: ownerToken });
  if (stale.status !== 401) throw new Error(`the session from before verification answered ${stale.status}`);
  const login = await rest('POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } });
  if (login.status !== 200) throw new Error(`sign-in after verification answered ${login.status}`);
  ownerToken = login.json.access_token;
  const me = await rest('GET', '/api/auth/me', { token: ownerToken });
  if (!me.json.email_verified_at) throw new Error('the address is not verified');
  return 'verified; the earlier session answers 401';
});

await step('the verification link opened again says it was used, with a way to sign in (no error)', async () => {
  const link = linksInLog('verify-email', owner.email).pop();
  if (!link) throw new Error('no verification link in the node log');
  const again = await newPage();
  const url = new URL(link);
  await again.goto(`${origin}${url.pathname}${url.search}`);
  await again.getByLabel('Password', { exact: true }).fill(owner.password);
  await again.getByLabel('Repeat it').fill(owner.password);
  await again.getByRole('button', { name: 'Verify and sign in' }).click();
  const said = (await again.getByTestId('verify-used').innerText({ timeout: 10_000 })).replace(/\s+/g, ' ').trim();
  await again.screenshot({ path: join(SHOTS, 'verify-email-used.png') });
  const alerts = await again.getByRole('alert').count();
  await again.getByRole('link', { name: 'Sign in' }).waitFor();
  await again.context().close();
  if (alerts) throw new Error('an error is shown as well');
  return `"${said}"`;
});

await step('"Link GitHub" in the user menu links the account and lands on the console (#linked=github)', async () => {
  const linker = await newPage();
  await signIn(linker, owner.email, owner.password);
  await userMenu(linker, 'Link GitHub');
  await linker.waitForURL(/\/auth\/callback/);
  await linker.getByTestId('github-linked').waitFor();
  if (new URL(linker.url()).hash) throw new Error('the fragment stays in the address bar');
  await linker.screenshot({ path: join(SHOTS, 'github-linked.png') });
  await linker.getByRole('link', { name: 'Go to the console' }).click();
  await linker.getByTestId('user-menu').click();
  await linker.getByText('GitHub linked', { exact: true }).waitFor();
  await linker.context().close();
  const me = await rest('GET', '/api/auth/me', { token: ownerToken });
  if (!me.json.github_id) throw new Error('GET /api/auth/me has no github_id');
  return `github_id ${me.json.github_id}`;
});

await step('"Continue with GitHub" (offered: the node has GitHub login on) signs in through the fragment (#refresh_token=…), and a refusal is shown (#error=…)', async () => {
  const providers = await rest('GET', '/api/auth/providers');
  if (providers.status !== 200 || providers.json?.github !== true) throw new Error(`GET /api/auth/providers answered ${providers.status} ${JSON.stringify(providers.json)}`);
  const visitor = await newPage();
  await visitor.goto(`${origin}/login`);
  await visitor.getByRole('link', { name: 'Continue with GitHub' }).click();
  await visitor.getByTestId('command-center').waitFor();
  if (new URL(visitor.url()).hash) throw new Error('the fragment stays in the address bar');
  const stored = await visitor.evaluate(() => sessionStorage.getItem('companyos.refresh'));
  if (!stored) throw new Error('no session after GitHub login');
  await visitor.context().close();
  github.state.deny = true;
  const refused = await newPage();
  await refused.goto(`${origin}/login`);
  await refused.getByRole('link', { name: 'Continue with GitHub' }).click();
  const message = (await refused.getByTestId('github-callback-error').innerText({ timeout: 10_000 })).trim();
  github.state.deny = false;
  await refused.screenshot({ path: join(SHOTS, 'github-login-refused.png') });
  await refused.context().close();
  return `signed in as the linked owner; refusal: "${message.split('\n')[0]}"`;
});

await step('signing out (user menu) revokes the refresh token', async () => {
  const refreshToken = await page.evaluate(() => sessionStorage.getItem('companyos.refresh'));
  await page.goto(`${origin}/`);
  await userMenu(page, 'Sign out');
  await page.waitForURL(/\/login/);
  const reuse = await rest('POST', '/api/auth/refresh', { body: { refresh_token: refreshToken } });
  if (reuse.status !== 401) throw new Error(`the old refresh token still answers ${reuse.status}`);
  if (await page.evaluate(() => sessionStorage.getItem('companyos.refresh'))) throw new Error('the refresh token is still stored');
});

await step('"Forgot your password?" → mailed link → new password: signed in, and an open session elsewhere ends live (4401)', async () => {
  const elsewhere = await newPage();
  await signIn(elsewhere, owner.email, owner.password);
  await elsewhere.goto(`${origin}/agents`);
  await waitLive(elsewhere);
  const resetter = await newPage();
  await resetter.goto(`${origin}/login`);
  await resetter.getByLabel('Email').fill(owner.email);
  await resetter.getByRole('link', { name: 'Forgot your password?' }).click();
  const before = linksInLog('reset-password');
  await resetter.getByRole('button', { name: 'Send the link' }).click();
  await resetter.getByTestId('reset-sent').waitFor();
  const link = await waitForLink('reset-password', before);
  if (!link) throw new Error('no reset link (link=…reset-password?token=…) in the node log');
  const url = new URL(link);
  await resetter.goto(`${origin}${url.pathname}${url.search}`);
  owner.password = 'a brand new passphrase';
  await resetter.getByLabel('New password').fill(owner.password);
  await resetter.getByLabel('Repeat it').fill(owner.password);
  await resetter.getByRole('button', { name: 'Set the new password' }).click();
  await resetter.getByTestId('command-center').waitFor();
  const started = Date.now();
  await elsewhere.waitForURL(/\/login/, { timeout: 10_000 });
  const elapsed = Date.now() - started;
  await resetter.context().close();
  await elsewhere.context().close();
  const old = await rest('POST', '/api/auth/login', { body: { email: owner.email, password: 'correct horse battery' } });
  if (old.status !== 401) throw new Error(`the old password still answers ${old.status}`);
  return `signed in with the new password; the other session went to sign-in ${elapsed} ms later`;
});

// ---- time to interactive: navigation start → the Command Center shows its data.
await step('time to interactive of the Command Center (median of 5)', async () => {
  const times = [];
  for (let run = 0; run < 5; run += 1) {
    const fresh = await newPage();
    await signIn(fresh, owner.email, owner.password);
    await fresh.goto(`${origin}/`);
    await fresh.getByTestId('agents-by-state').waitFor();
    times.push(Math.round(await fresh.evaluate(() => performance.now())));
    await fresh.context().close();
  }
  figures.tti_ms = times;
  figures.tti_median_ms = median(times);
  return `${figures.tti_median_ms} ms (runs: ${times.join(', ')})`;
});

// ---- token expiry on the live connection, on a second node whose access tokens live 70 s.
await step('the live connection outlives its access token: refreshed over the socket, and after a missed refresh (4401) it reconnects with a new one', async () => {
  if (!settings.includes('COMPANYOS_AUTH_ACCESS_TOKEN_TTL_SECS')) throw new Error('the node has no auth.access_token_ttl_secs setting');
  const ttl = 70;
  const shortPort = await freePort();
  const shortUrl = `http://127.0.0.1:${shortPort}`;
  const shortData = mkdtempSync(join(tmpdir(), 'companyos-e2e-ttl-'));
  shortLived = spawn(binary, ['serve'], {
    env: {
      ...process.env,
      ...(settings.includes('COMPANYOS_CONSOLE_DIR') ? { COMPANYOS_CONSOLE_DIR: join(WEB, 'dist') } : {}),
      COMPANYOS_DATA_DIR: shortData,
      COMPANYOS_LISTEN: `127.0.0.1:${shortPort}`,
      COMPANYOS_AUTH_OPEN_REGISTRATION: 'true',
      COMPANYOS_AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      COMPANYOS_AUTH_ACCESS_TOKEN_TTL_SECS: String(ttl),
      COMPANYOS_INTEGRATIONS_SYNC_INTERVAL_SECS: '0',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  try {
    await until('the second node', async () => (await fetch(`${shortUrl}/readyz`).catch(() => null))?.ok, 30_000);
    const shortOrigin = settings.includes('COMPANYOS_CONSOLE_DIR') ? shortUrl : `http://127.0.0.1:${(await startConsoleServer(shortUrl)).address().port}`;
    const timeline = [];
    const sockets = { inits: 0, pongs: [], closes: [] };
    const tab = await newPage();
    let tokenPings = 0;
    // The first token handed over the socket goes through (its pong names the new expiry);
    // later ones are dropped, as if the machine had slept through them: the node closes
    // the connection with 4401 when the last token it knows expires.
    await tab.routeWebSocket(/\/graphql\/ws$/, (socket) => {
      const server = socket.connectToServer();
      socket.onMessage((message) => {
        const parsed = JSON.parse(message);
        if (parsed.type === 'connection_init') sockets.inits += 1;
        if (parsed.type === 'ping' && parsed.payload) {
          tokenPings += 1;
          if (tokenPings > 1) return;
        }
        server.send(message);
      });
      server.onMessage((message) => {
        const parsed = JSON.parse(message);
        if (parsed.type === 'pong' && parsed.payload?.expires_at) sockets.pongs.push(parsed.payload.expires_at);
        socket.send(message);
      });
      server.onClose((code, reason) => {
        sockets.closes.push(code);
        timeline.push(`closed ${code} ${reason ?? ''}`.trim());
        socket.close({ code, reason });
      });
      socket.onClose(() => server.close());
    });
    // This node has no GitHub login: its sign-in page offers none.
    await tab.goto(`${shortOrigin}/login`);
    await tab.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await tab.waitForLoadState('networkidle').catch(() => undefined);
    const offered = await tab.getByRole('link', { name: 'Continue with GitHub' }).count();
    check('a node without GitHub login shows no "Continue with GitHub"', offered === 0, offered ? 'the link shows' : '');
    await tab.goto(`${shortOrigin}/register`);
    await tab.getByLabel('Organization name').fill('Expiry');
    await tab.getByLabel('Your name').fill('Eve');
    await tab.getByLabel('Email').fill('eve@expiry.test');
    await tab.getByLabel('Password').fill('expiry password');
    await tab.getByRole('button', { name: 'Create organization' }).click();
    await tab.getByTestId('command-center').waitFor();
    const login = await (await fetch(`${shortUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'eve@expiry.test', password: 'expiry password' }) })).json();
    const me = await (await fetch(`${shortUrl}/api/auth/me`, { headers: { authorization: `Bearer ${login.access_token}` } })).json();
    const org = me.organizations[0].id;
    const headers = { authorization: `Bearer ${login.access_token}`, 'x-organization-id': org, 'content-type': 'application/json' };
    const agent = await (await fetch(`${shortUrl}/api/agents`, { method: 'POST', headers, body: JSON.stringify({ name: 'counter', type: 'text_stats' }) })).json();
    await tab.goto(`${shortOrigin}/agents/tasks`);
    await waitLive(tab);
    const started = Date.now();
    await until('the 4401 close', async () => sockets.closes.includes(4401), (ttl + 40) * 1000);
    const closedAfter = Math.round((Date.now() - started) / 1000);
    await until('a new connection_init', async () => sockets.inits >= 2, 10_000);
    await waitLive(tab);
    // Live again: a task created now shows without waiting for the 15 s poll (the test's
    // own token has expired meanwhile too: it signs in again).
    const again = await (await fetch(`${shortUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'eve@expiry.test', password: 'expiry password' }) })).json();
    const created = await fetch(`${shortUrl}/api/agent-tasks`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${again.access_token}` }, body: JSON.stringify({ agent_id: agent.id, task_type: 'count_text', input: { text: 'after the reconnect' } }) });
    const fresh = await created.json();
    if (created.status !== 201) throw new Error(`creating a task answered ${created.status}: ${JSON.stringify(fresh)}`);
    const shownAt = Date.now();
    await tab.locator(`a[href="/agents/tasks/${fresh.id}"]`).first().waitFor({ timeout: 5000 });
    const shownIn = Date.now() - shownAt;
    const onLogin = new URL(tab.url()).pathname.startsWith('/login');
    await tab.context().close();
    if (sockets.pongs.length === 0) throw new Error('the node answered no token ping with a new expiry');
    if (onLogin) throw new Error('the console went back to sign-in');
    return `token ping answered (expires_at ${sockets.pongs[0]}); closed 4401 ${closedAfter} s into the test, reconnected with a new token; a new task showed ${shownIn} ms after its creation`;
  } finally {
    shortLived.kill('SIGTERM');
    shortLived = null;
    rmSync(shortData, { recursive: true, force: true });
  }
});

await step('no Content-Security-Policy violation anywhere in the run', async () => {
  if (cspViolations.length) throw new Error(cspViolations.slice(0, 5).join(' | '));
});

await finish();
