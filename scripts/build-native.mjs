#!/usr/bin/env node
// Builds the optional native AEAD helper (native/esprit-aead.c -> build/native/esprit-aead.so)
// at install time (`npm ci` runs it as the package's `install` script). No node-gyp, no
// OpenSSL headers: one `cc -shared -nostdlib` call (docs/dataplane.md §10.6).
// It never fails the install: without a compiler the EVP backend keeps its koffi-only path.
//   ESPRIT_NATIVE=off   skip the build;  CC=...   another compiler
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'native', 'esprit-aead.c');
const outDir = join(root, 'build', 'native');
const out = join(outDir, 'esprit-aead.so');

if ((process.env.ESPRIT_NATIVE ?? '').trim().toLowerCase() === 'off') {
  console.log('esprit native helper: skipped (ESPRIT_NATIVE=off)');
  process.exit(0);
}
if (process.platform !== 'linux') {
  console.log(`esprit native helper: not built on ${process.platform} (Linux only); the koffi path is used`);
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const cc = process.env.CC?.trim() || 'cc';
// -nostdlib: dlopen/dlsym come from the libc already in the node process at load time
const args = ['-O2', '-fPIC', '-shared', '-nostdlib', '-fno-stack-protector', '-Wall', '-o', tmp, src];
const r = spawnSync(cc, args, { encoding: 'utf8' });
if (r.error !== undefined || r.status !== 0) {
  rmSync(tmp, { force: true });
  const why = r.error?.message ?? (r.stderr || `exit ${r.status}`).trim();
  console.warn(`esprit native helper: not built (${cc}: ${why}); the EVP backend uses its koffi-only path`);
  process.exit(0);
}
renameSync(tmp, out); // atomic: a loader never sees a half-written file
console.log(`esprit native helper: built ${out}`);
