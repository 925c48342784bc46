/**
 * Runs a command line with `sh -c` and an environment, collecting its output (stdout and
 * stderr together, as strongSwan's `2>&1 %s`), for updown scripts.
 */
import { spawn } from 'node:child_process';

export function runShell(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn('/bin/sh', ['-c', `2>&1 ${command}`], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s: string) => {
      if (output.length < 64 * 1024) output += s;
    });
    p.on('error', (e) => resolve({ code: null, output: e.message }));
    p.on('close', (code) => resolve({ code, output }));
  });
}
