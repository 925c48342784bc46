/** Test-only: paths of the repository, the built CLI, and the external tools the interop tests need. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { FIXTURES } from './fixtures.js';

export const ROOT = dirname(dirname(FIXTURES));
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const PYTHON = '/usr/bin/python3';

/**
 * Assert that an external tool works. Interop tests FAIL (never skip) when it does not:
 * in CI (CI=true) scripts/install-system-deps.sh must have installed it.
 */
export function requireTool(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(
    r.status,
    0,
    `${what} is required for this interop test (${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr})`,
  );
}

export function requireScapy(): void {
  requireTool(PYTHON, ['-c', 'import scapy.layers.ipsec, cryptography'], 'python3 with scapy (python3-scapy)');
}

export function requireTshark(): void {
  requireTool('tshark', ['--version'], 'tshark');
}

export function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
