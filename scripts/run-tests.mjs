#!/usr/bin/env node
// Runs the compiled tests (dist/**/*.test.js) with Node's test runner, one file at a
// time (system tests build network namespaces and must not overlap).
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs --unit     without test/netns and test/interop (no root needed)
//   node scripts/run-tests.mjs PATH...    only test files under these dist/ or source paths
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
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
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: process.env,
});
process.exit(r.status ?? 1);
