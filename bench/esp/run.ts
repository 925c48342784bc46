/**
 * ESP benchmark runner.
 *
 *   node dist/bench/esp/run.js [--short] [--out FILE] [--layer crypto,esp] [--backend node,evp-ffi,evp]
 *                              [--sizes 64,512,1400] [--suites 'aes-gcm-16 (128),...'] [--no-openssl]
 *
 * Measures seal and open packets/s and Gbit/s for each layer (crypto: the per-SA crypto
 * contexts; esp: EspSa.seal/open end to end), suite, size and backend, runs `openssl
 * speed` at 1400 bytes beside it, and prints a markdown report (also written to FILE with
 * --out). --short: ~20-40 s; default: full (~5 min, median of 3). `runBench()` is the same
 * as a function (bench/esp/run.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { CryptoBackend } from '../../src/crypto/backend.js';
import { type EvpBackend, loadEvpBackend } from '../../src/crypto/evp-backend.js';
import { selectBackend } from '../../src/crypto/select.js';
import { cryptoLayer } from './crypto-layer.js';
import { espLayer } from './esp-layer.js';
import type { BenchCase, Layer, NamedBackend } from './layer.js';
import { measure, type Rate } from './measure.js';
import { combinedPps, opensslSpeed, opensslVersion, type SpeedResult } from './openssl-speed.js';

/** Benchmark layers by name. */
export const LAYERS: Record<string, Layer> = { crypto: cryptoLayer, esp: espLayer };

const OPENSSL_BYTES = 1400;

export interface BenchOptions {
  short: boolean;
  out: string | undefined;
  layers: string[];
  backends: string[];
  sizes: number[];
  /** suite names to run (all when undefined) */
  suites: string[] | undefined;
  /** run `openssl speed` for the references */
  openssl: boolean;
}

export const DEFAULT_OPTIONS: Readonly<BenchOptions> = {
  short: false,
  out: undefined,
  layers: ['crypto', 'esp'],
  backends: ['node', 'evp-ffi', 'evp'],
  sizes: [64, 512, 1400],
  suites: undefined,
  openssl: true,
};

export function parseArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--short') o.short = true;
    else if (a === '--out') o.out = next();
    else if (a === '--layer') o.layers = next().split(',');
    else if (a === '--backend') o.backends = next().split(',');
    else if (a === '--sizes') o.sizes = next().split(',').map(Number);
    else if (a === '--suites') o.suites = next().split(',');
    else if (a === '--no-openssl') o.openssl = false;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const l of o.layers) if (!(l in LAYERS)) throw new Error(`unknown layer ${l} (have ${Object.keys(LAYERS)})`);
  return o;
}

const k = (pps: number | undefined): string => (pps === undefined ? '—' : (pps / 1000).toFixed(0));
const g = (r: Rate): string => r.gbps.toFixed(2);
const pct = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined ? '—' : `${((100 * a) / b).toFixed(0)} %`;

/** One measured row: a layer, suite, size and backend, seal and open. */
export interface BenchRow {
  readonly layer: string;
  readonly suite: string;
  readonly size: number;
  readonly bytes: number;
  readonly backend: string;
  readonly seal: Rate;
  readonly open: Rate;
}

export interface BenchReport {
  readonly rows: BenchRow[];
  readonly speed: SpeedResult[];
  readonly markdown: string;
}

/**
 * `node`: node:crypto; `evp`: EVP with the native AEAD helper when it is built (else koffi
 * only, said in the goal line); `evp-ffi`: EVP through koffi alone (the fallback).
 */
function benchBackend(name: string): CryptoBackend {
  if (name === 'node') return selectBackend('node');
  if (name === 'evp') return loadEvpBackend(undefined, 'auto');
  if (name === 'evp-ffi') return loadEvpBackend(undefined, 'off');
  throw new Error(`unknown backend '${name}' (node, evp, evp-ffi)`);
}

export function runBench(o: BenchOptions): BenchReport {
  const budgetMs = o.short ? 50 : 300;
  const repeats = o.short ? 1 : 3;
  const speedSeconds = o.short ? 1 : 3;
  const started = Date.now();

  const backends: NamedBackend[] = o.backends.map((name) => ({ name, backend: benchBackend(name) }));
  const results = new Map<string, Rate>();
  const keyOf = (c: Pick<BenchCase, 'layer' | 'suite' | 'size' | 'backend' | 'op'>): string =>
    `${c.layer}|${c.suite}|${c.size}|${c.backend}|${c.op}`;
  const rows: BenchCase[] = [];
  for (const name of o.layers) {
    const layer = LAYERS[name];
    if (layer === undefined) continue;
    for (const c of layer.cases(backends, o.sizes, o.suites)) {
      results.set(keyOf(c), measure(c.run, c.bytes, budgetMs, repeats));
      rows.push(c);
    }
  }

  const speedKeys = new Set<string>();
  for (const name of o.layers) {
    const layer = LAYERS[name];
    for (const c of rows) for (const key of layer?.openssl(c.suite) ?? []) speedKeys.add(key);
  }
  const speed = new Map<string, SpeedResult>();
  if (o.openssl) for (const key of speedKeys) speed.set(key, opensslSpeed(key, OPENSSL_BYTES, speedSeconds));

  const lines: string[] = [];
  lines.push(`### ESP benchmark (${o.short ? 'short' : 'full'} mode)`);
  lines.push('');
  lines.push(
    `${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? 'cpu?'} (${cpus().length} cores); Node ${process.version}; ${opensslVersion()}; ` +
      `${budgetMs} ms CPU x ${repeats} per case (median); rates per CPU second, like openssl speed; one thread.`,
  );
  lines.push('');
  lines.push('| layer | suite | bytes | backend | seal kpps | seal Gbit/s | open kpps | open Gbit/s |');
  lines.push('|---|---|---:|---|---:|---:|---:|---:|');
  const seen = new Set<string>();
  const table: BenchRow[] = [];
  for (const c of rows) {
    const id = `${c.layer}|${c.suite}|${c.size}|${c.backend}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const s = results.get(keyOf({ ...c, op: 'seal' }));
    const op = results.get(keyOf({ ...c, op: 'open' }));
    if (s === undefined || op === undefined) continue;
    table.push({ layer: c.layer, suite: c.suite, size: c.size, bytes: c.bytes, backend: c.backend, seal: s, open: op });
    lines.push(
      `| ${c.layer} | ${c.suite} | ${c.bytes} | ${c.backend} | ${k(s.pps)} | ${g(s)} | ${k(op.pps)} | ${g(op)} |`,
    );
  }
  lines.push('');
  lines.push(`#### Against \`openssl speed\` at ${OPENSSL_BYTES} bytes (seal)`);
  lines.push('');
  lines.push(
    '| layer | suite | openssl reference | openssl kpps | ' +
      backends.map((b) => `${b.name} kpps | ${b.name} / openssl`).join(' | ') +
      ' |',
  );
  lines.push(`|---|---|---|---:|${backends.map(() => '---:|---:').join('|')}|`);
  const suites = [...new Set(rows.filter((c) => c.size === OPENSSL_BYTES).map((c) => `${c.layer}|${c.suite}`))];
  let target = '';
  for (const ls of suites) {
    const [layerName, suite] = ls.split('|') as [string, string];
    const refs = LAYERS[layerName]?.openssl(suite) ?? [];
    const ref = combinedPps(refs.map((r) => speed.get(r)?.pps));
    const cells = backends.map((b) => {
      const r = results.get(`${ls}|${OPENSSL_BYTES}|${b.name}|seal`);
      return `${k(r?.pps)} | ${pct(r?.pps, ref)}`;
    });
    lines.push(
      `| ${layerName} | ${suite} | ${refs.length ? refs.join(' + ') : 'none'} | ${k(ref)} | ${cells.join(' | ')} |`,
    );
    if (suite === 'aes-gcm-16 (128)' && layerName === 'esp') {
      // issue 10: the ESP engine at >= 60 % of openssl's per-packet seal rate, and the open path likewise
      const seal = results.get(`${ls}|${OPENSSL_BYTES}|evp|seal`);
      const open = results.get(`${ls}|${OPENSSL_BYTES}|evp|open`);
      const helper = backends.find((b) => b.name === 'evp')?.backend as EvpBackend | undefined;
      const how = helper?.nativeHelper === undefined ? 'koffi only: no native helper' : 'native helper';
      const met =
        seal === undefined || open === undefined || ref === undefined
          ? ''
          : Math.min(seal.pps, open.pps) / ref >= 0.6
            ? ' - met'
            : ' - NOT met';
      target = `Goal (ESP layer, EVP (${how}) AES-128-GCM 1400 B, seal and open >= 60 % of \`openssl speed -aead -evp aes-128-gcm\`): seal ${pct(seal?.pps, ref)}, open ${pct(open?.pps, ref)}${met}.`;
    }
  }
  lines.push('');
  if (target) lines.push(target, '');
  for (const s of speed.values()) {
    lines.push(`- \`${s.command}\`: ${s.pps === undefined ? `failed (${s.error})` : `${k(s.pps)} kpps`}`);
  }
  lines.push('');
  lines.push(`Total run time ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  const md = `${lines.join('\n')}\n`;
  return { rows: table, speed: [...speed.values()], markdown: md };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const o = parseArgs(process.argv.slice(2));
  const { markdown } = runBench(o);
  process.stdout.write(markdown);
  if (o.out) writeFileSync(o.out, markdown);
}
