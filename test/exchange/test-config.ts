/** A swanctl.conf text as an EspritConfig, through the real loader and an in-memory file system. */

import { type ConfigFs, loadSwanctl } from '../../src/config/swanctl/swanctl-load.js';
import type { EspritConfig } from '../../src/config/swanctl/swanctl-model.js';

export function memoryFs(files: Record<string, string>): ConfigFs {
  return {
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw new Error(`ENOENT: ${p}`);
      return f;
    },
    glob: (p) => Object.keys(files).filter((f) => f === p),
    dirname: (p) => p.slice(0, p.lastIndexOf('/')) || '/',
    resolve: (d, p) => (p.startsWith('/') ? p : `${d}/${p}`),
    exists: (p) => files[p] !== undefined,
    listDir: () => [],
  };
}

/** `files`: more files by absolute path (certificates named by `certs`; only their existence is checked). */
export function configFromText(text: string, files: Record<string, string> = {}): EspritConfig {
  const r = loadSwanctl('/etc/swanctl/swanctl.conf', memoryFs({ ...files, '/etc/swanctl/swanctl.conf': text }));
  if (!r.config) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.config;
}
