/**
 * Reference rates from `openssl speed` (OpenSSL 3.0 CLI), machine-readable mode:
 *   evp:NAME   -> openssl speed -mr -evp NAME -bytes B -seconds S
 *   aead:NAME  -> openssl speed -mr -aead -evp NAME ...   (TLS-like AEAD sequence per record:
 *                 IV set, AAD, encrypt, tag; the closest to one ESP packet)
 *   hmac:HASH  -> openssl speed -mr -hmac HASH ...
 * The "+F:<i>:<name>:<bytes/s>" line gives the rate; packets/s = bytes/s / B.
 */
import { spawnSync } from 'node:child_process';

export interface SpeedResult {
  readonly key: string;
  readonly command: string;
  readonly pps: number | undefined;
  readonly error?: string;
}

export function opensslSpeed(key: string, bytes: number, seconds: number): SpeedResult {
  const [kind, name] = key.split(':') as [string, string];
  const args = ['speed', '-mr', '-bytes', String(bytes), '-seconds', String(seconds)];
  if (kind === 'aead') args.push('-aead', '-evp', name);
  else if (kind === 'evp') args.push('-evp', name);
  else args.push('-hmac', name);
  const command = `openssl ${args.join(' ')}`;
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: (seconds + 20) * 1000 });
  if (r.error || r.status !== 0) {
    return { key, command, pps: undefined, error: r.error?.message ?? r.stderr.trim().split('\n')[0] ?? 'failed' };
  }
  const line = r.stdout.split('\n').find((l) => l.startsWith('+F:'));
  const bps = line === undefined ? Number.NaN : Number(line.split(':').at(-1));
  if (!Number.isFinite(bps)) return { key, command, pps: undefined, error: 'no +F line in output' };
  return { key, command, pps: bps / bytes };
}

export function opensslVersion(): string {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'openssl not found';
}

/** Per-packet rate of running the referenced algorithms one after the other (times add up). */
export function combinedPps(parts: readonly (number | undefined)[]): number | undefined {
  if (parts.length === 0 || parts.some((p) => p === undefined || p <= 0)) return undefined;
  return 1 / parts.reduce<number>((t, p) => t + 1 / (p as number), 0);
}
