/**
 * `--run-dir DIR`: every socket of one esprit host lives under DIR (default /run/esprit), so
 * two hosts in two network namespaces of one machine never collide. The per-socket options
 * (--pfkey-socket, --control-socket, --ike-socket, --socket) still override single paths.
 */
import { join } from 'node:path';

export const DEFAULT_RUN_DIR = '/run/esprit';

export interface RunDirPaths {
  readonly pfkey: string;
  readonly control: string;
  readonly ike: string;
}

/** The socket paths under `dir` (on Windows: named pipes, as the defaults are). */
export function runDirPaths(dir: string): RunDirPaths {
  if (process.platform === 'win32') {
    const tag = dir.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
    return {
      pfkey: `\\\\.\\pipe\\esprit-${tag}-pfkey`,
      control: `\\\\.\\pipe\\esprit-${tag}-control`,
      ike: `\\\\.\\pipe\\esprit-${tag}-ike`,
    };
  }
  return { pfkey: join(dir, 'pfkey.sock'), control: join(dir, 'control.sock'), ike: join(dir, 'ike.sock') };
}

/**
 * Find `--run-dir DIR` in argv: returns the directory (or undefined) and argv without it, or
 * an error when the value is missing.
 */
export function takeRunDir(argv: readonly string[]): { dir: string | undefined; rest: string[] } | { error: string } {
  const rest: string[] = [];
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--run-dir') {
      const v = argv[i + 1];
      if (v === undefined || v === '') return { error: '--run-dir needs a directory' };
      dir = v;
      i++;
    } else rest.push(a);
  }
  return { dir, rest };
}
