#!/usr/bin/env node
// Runs the compiled tests (dist/**/*.test.js) with Node's test runner, one file at a
// time (system tests build network namespaces and must not overlap).
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs --unit     without test/netns and test/interop (no root needed)
//   node scripts/run-tests.mjs PATH...    only test files under these dist/ or source paths
//   node scripts/run-tests.mjs --threaded only the threaded pass (below)
// A full run ends with a threaded pass: the data-path scenarios again with every ipsecd on
// two data-plane threads (ESPRIT_DATAPLANE_THREADS=2, docs/dataplane.md §10.9); the
// harness fails a node that did not start its sealing thread.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const threadedOnly = args.includes('--threaded');
/** netns scenarios whose data path runs again with two threads (test/netns/scenarios/) */
const THREADED = [
  'rfc3948',
  'acquire',
  'nat-rebinding',
  'ikev2-rekey',
  'raw-esp',
  'cisco-udp',
  'udp-encaps-00',
  'ipv6-outer',
  'two-clients',
  'ikev2-esprit',
];
const filters = args
  .filter((a) => !a.startsWith('--'))
  .map((a) =>
    relative(root, resolve(a))
      .replace(/^dist\//, '')
      .replace(/\.ts$/, '.js'),
  );

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = walk(dist, []).sort();
const isSystem = (f) => /\/dist\/test\/(netns|interop)\//.test(f);
if (unitOnly) files = files.filter((f) => !isSystem(f));
if (filters.length > 0) files = files.filter((f) => filters.some((p) => relative(dist, f).startsWith(p)));
if (files.length === 0) {
  console.error('no test files found (run `npm run build` first)');
  process.exit(1);
}
const run = (list, env) =>
  spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...list], {
    stdio: 'inherit',
    env,
  }).status ?? 1;
let status = 0;
if (!threadedOnly) status = run(files, process.env);
if (threadedOnly || (!unitOnly && filters.length === 0)) {
  const threaded = THREADED.map((n) => join(dist, 'test', 'netns', 'scenarios', `${n}.test.js`));
  const missing = threaded.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    console.error(`threaded pass: missing ${missing.join(', ')}`);
    process.exit(1);
  }
  console.log('\n# threaded pass: ipsecd with ESPRIT_DATAPLANE_THREADS=2');
  status = run(threaded, { ...process.env, ESPRIT_DATAPLANE_THREADS: '2' }) || status;
}
process.exit(status);
