/**
 * `esprit pcap decrypt|encrypt`: the capture tools (docs/sa-file.md). Composition
 * root: reads files, builds the ESP engines, calls the sans-IO cores in capture/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type DecryptSummary, decryptCapture } from '../../capture/decrypt.js';
import { type EncryptSummary, encryptCapture } from '../../capture/encrypt.js';
import { parseSaFile } from '../../config/sa-file.js';
import type { CryptoBackend } from '../../crypto/backend.js';
import { NodeRng } from '../../crypto/random.js';
import { isBackendPreference, selectBackend, selectBackendFromEnv } from '../../crypto/select.js';
import { EspSa } from '../../esp/esp-sa.js';
import type { SaConfig } from '../../sad/sa-config.js';
import { ConfigError, IpsecError } from '../../util/errors.js';
import { decodeCapture } from '../../wire/pcap/capture-file.js';
import { encodePcap } from '../../wire/pcap/pcap-file.js';

const USAGE = `usage:
  esprit pcap decrypt --sa SA.json [--json] [--crypto auto|evp|node] IN OUT
  esprit pcap encrypt --sa SA.json [--spi SPI] [--crypto auto|evp|node] IN OUT

decrypt  reads IN (pcap or pcapng: Ethernet/802.1Q, raw IPv4/IPv6, Linux SLL/SLL2,
         NULL/LOOP), finds ESP and ESP-in-UDP (rfc3948, udp-encaps-00, cisco-udp),
         decrypts each packet with the SA for its SPI and destination (replay window
         and ICV checked), and writes the inner packets (tunnel) or rebuilt packets
         (transport) to OUT as pcap, LINKTYPE_RAW. Prints a per-SA summary
         (--json: as JSON).
encrypt  encrypts the IP packets of IN with the first SA (or the one with --spi) and
         writes the outer packets, framed per the SA's encapsulation, to OUT
         (pcap, LINKTYPE_RAW).

The SA file format is described in docs/sa-file.md.`;

class UsageError extends Error {}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Read and parse the SA file; errors name the file, the SA index and the field. */
export function loadSaFile(path: string): SaConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, `cannot read SA file: ${(e as Error).message}`);
  }
  try {
    return parseSaFile(text);
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ConfigError(e.path ? `${path}: ${e.path}` : path, e.message.slice(e.path ? e.path.length + 2 : 0));
    throw e;
  }
}

function readCapture(path: string) {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ConfigError(path, `cannot read capture: ${(e as Error).message}`);
  }
  try {
    return decodeCapture(bytes);
  } catch (e) {
    if (e instanceof IpsecError) throw new ConfigError(path, e.message);
    throw e;
  }
}

/** --crypto wins; otherwise ESPRIT_CRYPTO; otherwise auto (EVP when libcrypto.so.3 loads). */
function backendOf(name: string | undefined): CryptoBackend {
  if (name === undefined) return selectBackendFromEnv(process.env);
  if (!isBackendPreference(name)) {
    throw new UsageError(`--crypto must be auto, evp or node, not ${JSON.stringify(name)}`);
  }
  return selectBackend(name);
}

function counts(m: Partial<Record<string, number>>): string {
  const parts = Object.entries(m)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function formatDecryptSummary(input: string, s: DecryptSummary, sas: readonly SaConfig[]): string {
  const lines = [`${input}: ${s.packets} packets, ${s.decrypted} decrypted, ${s.unmatched} ESP without a matching SA`];
  for (const x of s.sas) {
    const sa = sas[x.index] as SaConfig;
    lines.push(
      `  sas[${x.index}] SPI ${hex32(x.spi)} ${sa.src.text} -> ${x.dst} (${sa.mode}): decrypted ${x.decrypted}, dropped: ${counts(x.dropped)}`,
    );
  }
  lines.push(`  ignored: ${counts(s.ignored)}`);
  return lines.join('\n');
}

export function decryptSummaryJson(input: string, output: string, s: DecryptSummary): unknown {
  return {
    input,
    output,
    packets: s.packets,
    decrypted: s.decrypted,
    unmatched: s.unmatched,
    ignored: s.ignored,
    sas: s.sas.map((x) => ({
      index: x.index,
      spi: hex32(x.spi),
      dst: x.dst,
      decrypted: x.decrypted,
      dropped: x.dropped,
    })),
  };
}

function formatEncryptSummary(input: string, s: EncryptSummary, sa: SaConfig, index: number): string {
  return [
    `${input}: ${s.packets} packets, ${s.encrypted} encrypted with sas[${index}] SPI ${hex32(sa.spi)} (${sa.mode}, ${sa.encryption.algorithm}, encapsulation ${sa.encapsulation.type})`,
    `  skipped: ${counts(s.skipped)}`,
    `  dropped: ${counts(s.dropped)}`,
  ].join('\n');
}

function parseSpi(s: string): number {
  if (!/^(0[xX][0-9a-fA-F]{1,8}|[0-9]{1,10})$/.test(s) || Number(s) > 0xffffffff)
    throw new UsageError(`--spi: not a 32-bit SPI: ${JSON.stringify(s)}`);
  return Number(s);
}

/** Options both subcommands take (each adds its own). */
const JOB_OPTIONS = {
  sa: { type: 'string' },
  crypto: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--sa SA.json IN OUT`, checked, with the SA file loaded. */
interface CaptureJob {
  readonly saFile: string;
  readonly sas: SaConfig[];
  readonly input: string;
  readonly output: string;
}

/** The parsed arguments of `command` as a job; undefined after printing --help. */
function captureJob(
  command: 'decrypt' | 'encrypt',
  values: { readonly sa?: string; readonly help?: boolean },
  positionals: readonly string[],
): CaptureJob | undefined {
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const [input, output, ...extra] = positionals;
  if (!values.sa || !input || !output || extra.length > 0)
    throw new UsageError(`${command} needs --sa SA.json, IN and OUT`);
  return { saFile: values.sa, sas: loadSaFile(values.sa), input, output };
}

/** Write `records` to `output` as pcap; returns the line that says so. */
function writeRecords(output: string, records: Parameters<typeof encodePcap>[0]): string {
  writeFileSync(output, encodePcap(records));
  return `wrote ${records.length} packets to ${output} (pcap, LINKTYPE_RAW)`;
}

async function decrypt(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...JOB_OPTIONS, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const job = captureJob('decrypt', values, positionals);
  if (!job) return 0;
  const { sas, input, output } = job;
  const backend = backendOf(values.crypto);
  const cap = readCapture(input);
  const rng = new NodeRng();
  const { records, summary } = decryptCapture(cap.packets, sas, (cfg) => new EspSa(cfg, 'in', { backend, rng }));
  const wrote = writeRecords(output, records);
  if (values.json) console.log(JSON.stringify(decryptSummaryJson(input, output, summary), null, 2));
  else console.log(`${formatDecryptSummary(input, summary, sas)}\n${wrote}`);
  return 0;
}

async function encrypt(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...JOB_OPTIONS, spi: { type: 'string' } },
    allowPositionals: true,
  });
  const job = captureJob('encrypt', values, positionals);
  if (!job) return 0;
  const { sas, input, output } = job;
  let index = 0;
  if (values.spi !== undefined) {
    const spi = parseSpi(values.spi);
    index = sas.findIndex((s) => s.spi === spi);
    if (index < 0) throw new ConfigError(job.saFile, `no SA with SPI ${hex32(spi)}`);
  }
  const sa = sas[index] as SaConfig;
  const backend = backendOf(values.crypto);
  const cap = readCapture(input);
  const { records, summary } = encryptCapture(cap.packets, sa, new EspSa(sa, 'out', { backend, rng: new NodeRng() }));
  console.log(`${formatEncryptSummary(input, summary, sa, index)}\n${writeRecords(output, records)}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'decrypt') return await decrypt(rest);
    if (sub === 'encrypt') return await encrypt(rest);
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(USAGE);
      return 0;
    }
    throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`esprit pcap: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof IpsecError) {
      console.error(`esprit pcap: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
