#!/usr/bin/env node
// Builds the optional native helper (native/*.c -> build/native/esprit-native.node, an N-API
// addon: the AEAD calls and the Internet checksum) at install time (`npm ci` runs it as the
// package's `install` script). No node-gyp, no Node or OpenSSL headers: one
// `cc -shared -nostdlib` call (docs/dataplane.md §10.6, §10.8).
// It never fails the install: without a compiler the EVP backend keeps its koffi-only path
// and the data plane its JavaScript checksum.
//   ESPRIT_NATIVE=off   skip the build;  CC=...   another compiler
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const srcDir = join(root, 'native');
const sources = readdirSync(srcDir)
  .filter((f) => f.endsWith('.c'))
  .sort()
  .map((f) => join(srcDir, f));
const outDir = join(root, 'build', 'native');
const out = join(outDir, 'esprit-native.node');

if ((process.env.ESPRIT_NATIVE ?? '').trim().toLowerCase() === 'off') {
  console.log('esprit native helper: skipped (ESPRIT_NATIVE=off)');
  process.exit(0);
}
if (process.platform !== 'linux') {
  console.log(
    `esprit native helper: not built on ${process.platform} (Linux only); the koffi path and the JavaScript checksum are used`,
  );
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const cc = process.env.CC?.trim() || 'cc';
// -nostdlib: dlopen/dlsym come from the libc, napi_* from the node binary, both already in
// the process at load time
const args = ['-O2', '-fPIC', '-shared', '-nostdlib', '-fno-stack-protector', '-Wall', '-o', tmp, ...sources];
const r = spawnSync(cc, args, { encoding: 'utf8' });
if (r.error !== undefined || r.status !== 0) {
  rmSync(tmp, { force: true });
  const why = r.error?.message ?? (r.stderr || `exit ${r.status}`).trim();
  console.warn(
    `esprit native helper: not built (${cc}: ${why}); the EVP backend uses its koffi-only path and the data plane its JavaScript checksum`,
  );
  process.exit(0);
}
renameSync(tmp, out); // atomic: a loader never sees a half-written file
console.log(`esprit native helper: built ${out}`);
