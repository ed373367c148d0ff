// Regenerates the console's wire types from the node's own contracts:
//   GraphQL: ../crates/api/schema.graphql            → src/api/generated/gql/
//   OpenAPI: ../crates/api/openapi.json when present, else openapi/openapi.json
//            (a copy fetched from a running node: `npm run generate -- --fetch http://127.0.0.1:8080`)
//                                                    → src/api/generated/openapi.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDocument = resolve(web, '../crates/api/openapi.json');
const localDocument = resolve(web, 'openapi/openapi.json');
const bin = (name) => resolve(web, 'node_modules/.bin', name);

const fetchAt = process.argv.indexOf('--fetch');
if (fetchAt !== -1) {
  const base = process.argv[fetchAt + 1] ?? 'http://127.0.0.1:8080';
  const response = await fetch(`${base}/api/openapi.json`);
  if (!response.ok) throw new Error(`GET ${base}/api/openapi.json answered ${response.status}`);
  mkdirSync(dirname(localDocument), { recursive: true });
  writeFileSync(localDocument, JSON.stringify(await response.json(), null, 2) + '\n');
  console.log(`fetched the OpenAPI document into ${localDocument}`);
}

const document = existsSync(repoDocument) ? repoDocument : localDocument;
if (!existsSync(document)) {
  throw new Error('no OpenAPI document: neither crates/api/openapi.json nor web/openapi/openapi.json; run with --fetch <node url>');
}
console.log(`OpenAPI from ${document}`);
// The document repeats some operationIds (several handlers are named `list`), which
// would declare the same member of `operations` twice: they are dropped from a scratch
// copy, and the operations are typed inline under their paths.
const parsed = JSON.parse(readFileSync(document, 'utf8'));
for (const item of Object.values(parsed.paths ?? {})) {
  for (const operation of Object.values(item)) {
    if (operation && typeof operation === 'object') delete operation.operationId;
  }
}
const scratch = resolve(mkdtempSync(join(tmpdir(), 'companyos-openapi-')), 'openapi.json');
writeFileSync(scratch, JSON.stringify(parsed));
execFileSync(bin('openapi-typescript'), [scratch, '--empty-objects-unknown', '-o', resolve(web, 'src/api/generated/openapi.ts')], { stdio: 'inherit', cwd: web });
execFileSync(bin('graphql-codegen'), ['--config', 'codegen.ts'], { stdio: 'inherit', cwd: web });
