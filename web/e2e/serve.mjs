// Serves web/dist on one origin and forwards the node's surfaces (/api, /graphql with its
// WebSocket, /ws, /metrics, /healthz, /readyz) to a node: the same shape as the node
// serving the console itself. The end-to-end test uses it when the node under test does
// not serve web/dist yet. Standalone: `node e2e/serve.mjs http://127.0.0.1:8080 4173`.
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const FORWARDED = ['/api', '/graphql', '/ws', '/metrics', '/healthz', '/readyz'];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png', '.woff2': 'font/woff2' };

const forwarded = (url) => FORWARDED.some((prefix) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`));

export function startConsoleServer(nodeUrl, port = 0) {
  const node = new URL(nodeUrl);
  const server = createServer(async (req, res) => {
    if (forwarded(req.url)) {
      const upstream = httpRequest({ host: node.hostname, port: node.port, method: req.method, path: req.url, headers: { ...req.headers, host: node.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => {
        res.writeHead(502, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Node unreachable', status: 502, detail: 'the console server could not reach the node' }));
      });
      req.pipe(upstream);
      return;
    }
    const path = normalize(decodeURIComponent(req.url.split('?')[0])).replace(/^(\.\.[/\\])+/, '');
    let file = join(DIST, path);
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
    } catch {
      file = join(DIST, 'index.html');
    }
    const body = await readFile(file);
    const immutable = file.includes(`${join(DIST, 'assets')}`);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
    res.end(body);
  });
  server.on('upgrade', (req, socket, head) => {
    if (!forwarded(req.url)) return socket.destroy();
    const upstream = connect(Number(node.port), node.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([key, value]) => `${key}: ${key === 'host' ? node.host : value}`), '', ''];
      upstream.write(lines.join('\r\n'));
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolvePromise) => server.listen(port, '127.0.0.1', () => resolvePromise(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startConsoleServer(process.argv[2] ?? 'http://127.0.0.1:8080', Number(process.argv[3] ?? 4173));
  console.log(`console on http://127.0.0.1:${server.address().port}`);
}
