/**
 * PF_KEY throughput and memory through the real stream socket (bench/README.md "PF_KEY").
 *
 *   node --expose-gc dist/bench/pfkey/run.js [--short | --sas N] [--window N]
 *
 * One in-process KeyEngine behind startPfkeyServer on a Unix socket in a temp dir, one client
 * (PfkeyStreamClient) in the same process: the numbers include both ends' cost on one thread.
 * - ADD/s: N pipelined SADB_ADDs (aes-gcm-16 tunnel SAs) with `window` requests in flight.
 * - DUMP: time from the SADB_DUMP request to the last reply (seq 0) for N SAs.
 * - memory per SA: (heapUsed / RSS after the ADDs - before) / N, after a forced GC.
 * --short: N = 10 000 only (< 30 s); --sas N: that N only (CI uses 2000: bench/pfkey/run.test.ts);
 * default: 10 000 and 100 000.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSetkey } from '../../src/config/setkey/parser.js';
import { addMessage, bareMessage } from '../../src/config/setkey/to-pfkey.js';
import type { AddCommand } from '../../src/config/setkey/types.js';
import { NodeRng } from '../../src/crypto/random.js';
import { startPfkeyServer } from '../../src/daemon/pfkey-server.js';
import { PfkeyStreamClient } from '../../src/daemon/pfkey-stream-client.js';
import { systemClock } from '../../src/daemon/system-clock.js';
import { KeyEngine } from '../../src/pfkey/key-engine.js';
import { SADB_SATYPE } from '../../src/wire/pfkey/index.js';

export interface PfkeyBenchResult {
  readonly sas: number;
  readonly window: number;
  readonly addsPerSecond: number;
  readonly dumpMs: number;
  readonly dumpMessagesPerSecond: number;
  readonly heapBytesPerSa: number;
  readonly rssBytesPerSa: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function template(): AddCommand {
  const [c] = parseSetkey(
    'add 10.0.0.1 10.0.0.2 esp 0x100 -m tunnel -u 1 -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;',
  );
  if (!c || c.op !== 'add') throw new Error('template');
  return c;
}

export async function benchPfkey(n: number, window: number): Promise<PfkeyBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'esprit-bench-pfkey-'));
  const path = join(dir, 'pfkey.sock');
  const engine = new KeyEngine({ clock: systemClock, rng: new NodeRng() });
  const server = await startPfkeyServer({ engine, clock: systemClock, sockets: [{ path, dialect: 'linux' }] });
  const client = await PfkeyStreamClient.connect(path, 'linux');
  const t = template();
  const pid = process.pid;
  try {
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const rss0 = process.memoryUsage().rss;
    let seq = 1;
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let inFlight = 0;
      const pump = () => {
        while (inFlight < window && next < n) {
          // distinct SPIs and peers: 0x1000 + i, destination 10.x.y.z
          const i = next++;
          const dst = {
            family: 4 as const,
            bytes: Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255),
            text: '',
          };
          const cmd: AddCommand = { ...t, spi: 0x1000 + i, dst: { addr: dst } };
          inFlight++;
          client.request(addMessage(cmd, 'linux', { seq: seq++, pid })).then((r) => {
            if (r.header.errno !== 0) failed++;
            inFlight--;
            if (next < n) pump();
            else if (inFlight === 0) resolve();
          }, reject);
        }
      };
      pump();
    });
    const addMs = performance.now() - t0;
    if (failed > 0) throw new Error(`${failed} ADDs failed`);
    gc?.();
    const heapPerSa = (process.memoryUsage().heapUsed - heap0) / n;
    const rssPerSa = (process.memoryUsage().rss - rss0) / n;
    const d0 = performance.now();
    const dump = await client.dump(bareMessage('DUMP', SADB_SATYPE.UNSPEC, { seq: seq++, pid }));
    const dumpMs = performance.now() - d0;
    if (dump.length !== n) throw new Error(`DUMP returned ${dump.length} of ${n}`);
    await client.request(bareMessage('FLUSH', SADB_SATYPE.UNSPEC, { seq: seq++, pid }));
    return {
      sas: n,
      window,
      addsPerSecond: Math.round(n / (addMs / 1000)),
      dumpMs: Math.round(dumpMs),
      dumpMessagesPerSecond: Math.round(n / (dumpMs / 1000)),
      heapBytesPerSa: Math.round(heapPerSa),
      rssBytesPerSa: Math.round(rssPerSa),
    };
  } finally {
    await client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatPfkeyTable(rows: readonly PfkeyBenchResult[]): string {
  const lines = [
    '| SAs | window | ADD/s | DUMP ms | DUMP msg/s | heap B/SA | RSS B/SA |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.sas} | ${r.window} | ${r.addsPerSecond} | ${r.dumpMs} | ${r.dumpMessagesPerSecond} | ${r.heapBytesPerSa} | ${r.rssBytesPerSa} |`,
    );
  }
  return lines.join('\n');
}

function intOption(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

async function main(argv: string[]): Promise<void> {
  const short = argv.includes('--short');
  const window = intOption(argv, '--window', 256);
  const sas = argv.includes('--sas') ? intOption(argv, '--sas', 1) : undefined;
  if (!gc) process.stderr.write('note: run with node --expose-gc for stable memory figures\n');
  const sizes = sas !== undefined ? [sas] : short ? [10_000] : [10_000, 100_000];
  const rows: PfkeyBenchResult[] = [];
  for (const n of sizes) rows.push(await benchPfkey(n, window));
  console.log(formatPfkeyTable(rows));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '')) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
