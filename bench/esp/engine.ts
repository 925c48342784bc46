/**
 * ESP engine micro-benchmark: packets/s for EspSa.seal and EspSa.open at a given
 * payload size, on whatever CryptoBackend is passed in (node or EVP).
 *
 *   node dist/bench/esp/engine.js [seconds]    prints a table for the node backend
 *
 * bench/esp/run.ts (the data-plane benchmark) can import benchEngine().
 */
import { pathToFileURL } from 'node:url';
import type { CryptoBackend } from '../../src/crypto/backend.js';
import { nodeBackend } from '../../src/crypto/node-backend.js';
import { NodeRng } from '../../src/crypto/random.js';
import { ENCR, type EncrAlgorithm, INTEG, type IntegAlgorithm } from '../../src/crypto/suites.js';
import { EspSa } from '../../src/esp/esp-sa.js';
import type { SaConfig } from '../../src/sad/sa-config.js';
import { parseIp } from '../../src/util/ip-addr.js';

export interface BenchSuite {
  readonly encr: EncrAlgorithm;
  /** 'none' for AEAD/GMAC (the default) */
  readonly integ?: IntegAlgorithm;
  /** cipher key bytes without salt; defaults to the largest the suite allows */
  readonly keyLen?: number;
}

export interface EngineBenchResult {
  readonly suite: string;
  readonly size: number;
  readonly sealPps: number;
  readonly openPps: number;
  /** payload megabits per second */
  readonly sealMbps: number;
  readonly openMbps: number;
}

function benchConfig(s: BenchSuite): SaConfig {
  const e = ENCR[s.encr];
  const i = INTEG[s.integ ?? 'none'];
  const keyLen = s.keyLen ?? Math.max(...e.keyLens);
  return {
    spi: 0x1000,
    src: parseIp('192.0.2.1'),
    dst: parseIp('198.51.100.1'),
    mode: 'tunnel',
    encryption: { algorithm: e.name, key: new Uint8Array(keyLen + e.saltLen).fill(7) },
    integrity: { algorithm: i.name, key: new Uint8Array(i.keyLen).fill(9) },
    encapsulation: { type: 'none', sport: 0, dport: 0 },
    esn: true,
    replayWindow: 0, // open() the same packet again and again
    seq: 1n,
  };
}

function timed(seconds: number, body: () => void): number {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  for (;;) {
    for (let i = 0; i < 64; i++) body();
    n += 64;
    const now = performance.now();
    if (now >= end) return n / ((now - start) / 1000);
  }
}

/**
 * Measure seal and open throughput for one suite and payload size, `seconds`
 * each (after a short warm-up). Throws if a packet does not round-trip.
 */
export function benchEngine(
  backend: CryptoBackend,
  suite: BenchSuite,
  size: number,
  seconds: number,
): EngineBenchResult {
  const cfg = benchConfig(suite);
  const rng = new NodeRng();
  const tx = new EspSa(cfg, 'out', { backend, rng });
  const rx = new EspSa(cfg, 'in', { backend, rng });
  const payload = new Uint8Array(size).fill(0x45);
  const out = new Uint8Array(tx.maxSealLength(size));
  const sealed = tx.seal(4, payload, out);
  if (!sealed.ok) throw new Error(`seal: ${sealed.reason}`);
  const packet = out.slice(0, sealed.length);
  const work = new Uint8Array(packet.length);
  const openOnce = () => {
    work.set(packet);
    const r = rx.open(work);
    if (!r.ok) throw new Error(`open: ${r.reason}`);
  };
  const sealOnce = () => {
    tx.seal(4, payload, out);
  };
  timed(Math.min(0.2, seconds / 4), sealOnce);
  const sealPps = timed(seconds, sealOnce);
  timed(Math.min(0.2, seconds / 4), openOnce);
  const openPps = timed(seconds, openOnce);
  const bits = (cfg.encryption.key.length - ENCR[suite.encr].saltLen) * 8;
  const name = `${suite.encr}${bits ? `/${bits}` : ''}${suite.integ && suite.integ !== 'none' ? `+${suite.integ}` : ''}`;
  return {
    suite: name,
    size,
    sealPps,
    openPps,
    sealMbps: (sealPps * size * 8) / 1e6,
    openMbps: (openPps * size * 8) / 1e6,
  };
}

export const BENCH_SUITES: readonly BenchSuite[] = [
  { encr: 'aes-gcm-16', keyLen: 16 },
  { encr: 'aes-gcm-16', keyLen: 32 },
  { encr: 'chacha20-poly1305' },
  { encr: 'aes-gmac', keyLen: 16 },
  { encr: 'aes-cbc', keyLen: 16, integ: 'hmac-sha256-128' },
  { encr: 'null', integ: 'hmac-sha256-128' },
];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv[2] ?? '0.5');
  for (const s of BENCH_SUITES) {
    for (const size of [64, 512, 1400]) {
      const r = benchEngine(nodeBackend, s, size, seconds);
      console.log(
        `${r.suite.padEnd(34)} ${String(size).padStart(5)} B  seal ${Math.round(r.sealPps).toString().padStart(8)} pps ${r.sealMbps.toFixed(0).padStart(6)} Mb/s  open ${Math.round(r.openPps).toString().padStart(8)} pps ${r.openMbps.toFixed(0).padStart(6)} Mb/s`,
      );
    }
  }
}
