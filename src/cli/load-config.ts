/**
 * Read a swanctl.conf from disk (the file system side of src/config/swanctl/swanctl-load.ts)
 * and turn its errors into `file:line:col: path: message` lines.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type ConfigFs, loadSwanctl } from '../config/swanctl/swanctl-load.js';
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';

function globOne(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return existsSync(pattern) ? [pattern] : [];
  const dir = dirname(pattern);
  const re = new RegExp(
    `^${pattern
      .slice(dir.length + 1)
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export const nodeConfigFs: ConfigFs = {
  readFile: (p) => readFileSync(p, 'utf8'),
  glob: globOne,
  dirname,
  resolve: (d, p) => resolve(d, p),
  exists: (p) => existsSync(p),
  listDir: (p) => (existsSync(p) && statSync(p).isDirectory() ? readdirSync(p).sort() : []),
};

export function loadConfigFile(file: string): { config?: EspritConfig; errors: string[] } {
  const r = loadSwanctl(resolve(file), nodeConfigFs);
  return { ...(r.config ? { config: r.config } : {}), errors: r.errors.map((e) => e.message) };
}
