/** Test-only helpers: locate test/fixtures from the compiled test files (dist/src/... or dist/test/...). */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      if (!dir.endsWith('dist')) return dir;
    } catch {
      // keep walking up
    }
    dir = resolve(dir, '..');
  }
  throw new Error('assertion failed: repository root not found');
}

export const FIXTURES = join(repoRoot(), 'test', 'fixtures');

export function fixture(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, ...parts)));
}
