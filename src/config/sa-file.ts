/**
 * The SA file (docs/sa-file.md): JSON that describes manually keyed ESP SAs for the
 * capture tools (`esprit pcap decrypt|encrypt`, `esprit sa wireshark`).
 *
 *   { "sas": [ { "spi": "0x0000c0de", "src": "192.0.2.1", "dst": "198.51.100.7",
 *       "mode": "tunnel",
 *       "encryption": { "algorithm": "aes-gcm-16", "key": "<hex: key then salt>" },
 *       "integrity": { "algorithm": "none" },
 *       "encapsulation": { "type": "rfc3948", "sport": 4500, "dport": 4500 },
 *       "esn": false, "replayWindow": 64, "seq": 1 } ] }
 *
 * Parsing is strict: unknown fields, wrong types, wrong key lengths and
 * contradictions fail with a ConfigError whose path names the value
 * (`sas[1].encryption.key`). No I/O: text in, frozen SaConfig[] out.
 */
import {
  ENCR,
  type EncrAlgorithm,
  INTEG,
  type IntegAlgorithm,
  isEncrAlgorithm,
  isIntegAlgorithm,
} from '../crypto/suites.js';
import type { Encapsulation, EncapType, KeepaliveFormat, Lifetime, Mode, SaConfig } from '../sad/sa-config.js';
import { ConfigError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';
import { type IpAddr, parseIp } from '../util/ip-addr.js';

const U32_MAX = 0xffffffffn;
const U64_MAX = 0xffffffffffffffffn;
/** Largest anti-replay window accepted, in packets. */
export const MAX_REPLAY_WINDOW = 65536;
/** RFC 4303 §3.4.3: a receiver SHOULD use a window of at least 32 (64 recommended); 1024 is what we default to. */
export const DEFAULT_REPLAY_WINDOW = 1024;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expectObj(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (!isObj(v)) throw new ConfigError(path, `expected an object, got ${kind(v)}`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(join(path, k), `unknown field (allowed: ${allowed.join(', ')})`);
    }
  }
  return v;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ConfigError(path, `expected a string, got ${kind(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  const s = str(v, path);
  if (!(values as readonly string[]).includes(s)) {
    throw new ConfigError(path, `${JSON.stringify(s)} is not one of ${values.join(', ')}`);
  }
  return s as T;
}

/** An unsigned integer given as a JSON number (safe integer) or a decimal / 0x-hex string. */
function uint(v: unknown, path: string, max: bigint): bigint {
  let n: bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new ConfigError(path, `expected a non-negative integer (use a string beyond 2^53), got ${v}`);
    }
    n = BigInt(v);
  } else if (typeof v === 'string') {
    if (/^0[xX][0-9a-fA-F]+$/.test(v) || /^(0|[1-9][0-9]*)$/.test(v)) n = BigInt(v);
    else throw new ConfigError(path, `expected a decimal or 0x-hex integer, got ${JSON.stringify(v)}`);
  } else {
    throw new ConfigError(path, `expected an integer or an integer string, got ${kind(v)}`);
  }
  if (n > max) throw new ConfigError(path, `${n} exceeds the maximum ${max}`);
  return n;
}

function smallInt(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(path, `expected an integer, got ${kind(v)}`);
  if (v < min || v > max) throw new ConfigError(path, `${v} is out of range ${min}..${max}`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(path, `expected true or false, got ${kind(v)}`);
  return v;
}

function hexKey(v: unknown, path: string): Uint8Array {
  return fromHex(str(v, path), path);
}

function addr(v: unknown, path: string): IpAddr {
  return parseIp(str(v, path), path);
}

function parseEncryption(v: unknown, path: string): SaConfig['encryption'] {
  const o = expectObj(v, path, ['algorithm', 'key']);
  const algorithm = str(o.algorithm, join(path, 'algorithm'));
  if (!isEncrAlgorithm(algorithm)) {
    throw new ConfigError(
      join(path, 'algorithm'),
      `unknown encryption algorithm ${JSON.stringify(algorithm)} (one of ${Object.keys(ENCR).join(', ')})`,
    );
  }
  const spec = ENCR[algorithm];
  const keyPath = join(path, 'key');
  const key = o.key === undefined ? new Uint8Array(0) : hexKey(o.key, keyPath);
  const lens = spec.keyLens.map((k) => k + spec.saltLen);
  if (!lens.includes(key.length)) {
    const salt =
      spec.saltLen > 0 ? ` (cipher key + ${spec.saltLen}-byte salt, RFC 4106 §8.1 / RFC 4543 §3.2 / RFC 7634 §2)` : '';
    throw new ConfigError(
      keyPath,
      `${algorithm} needs ${lens.join(' or ')} bytes of keying material${salt}, got ${key.length}`,
    );
  }
  return { algorithm: algorithm as EncrAlgorithm, key };
}

function parseIntegrity(v: unknown, path: string): SaConfig['integrity'] {
  const o = expectObj(v, path, ['algorithm', 'key']);
  const algorithm = str(o.algorithm, join(path, 'algorithm'));
  if (!isIntegAlgorithm(algorithm)) {
    throw new ConfigError(
      join(path, 'algorithm'),
      `unknown integrity algorithm ${JSON.stringify(algorithm)} (one of ${Object.keys(INTEG).join(', ')})`,
    );
  }
  const spec = INTEG[algorithm];
  const keyPath = join(path, 'key');
  const key = o.key === undefined ? new Uint8Array(0) : hexKey(o.key, keyPath);
  // RFC 2403/2404 §2, RFC 4868 §2.1.1: the HMAC key is exactly the hash output length
  if (key.length !== spec.keyLen) {
    throw new ConfigError(keyPath, `${algorithm} needs a ${spec.keyLen}-byte key, got ${key.length}`);
  }
  return { algorithm: algorithm as IntegAlgorithm, key };
}

const ENCAP_TYPES: readonly EncapType[] = ['none', 'rfc3948', 'udp-encaps-00', 'cisco-udp'];
const KEEPALIVES: readonly KeepaliveFormat[] = ['ff', '00000000ff'];

function parseEncapsulation(v: unknown, path: string): Encapsulation {
  if (v === undefined) return { type: 'none', sport: 0, dport: 0 };
  const o = expectObj(v, path, ['type', 'sport', 'dport', 'keepalive']);
  const type = oneOf(o.type, join(path, 'type'), ENCAP_TYPES);
  if (type === 'none') {
    for (const k of ['sport', 'dport', 'keepalive']) {
      if (o[k] !== undefined)
        throw new ConfigError(join(path, k), 'not allowed with type "none" (raw ESP, IP protocol 50)');
    }
    return { type, sport: 0, dport: 0 };
  }
  if (o.sport === undefined) throw new ConfigError(join(path, 'sport'), `required for type ${JSON.stringify(type)}`);
  if (o.dport === undefined) throw new ConfigError(join(path, 'dport'), `required for type ${JSON.stringify(type)}`);
  const sport = smallInt(o.sport, join(path, 'sport'), 1, 65535);
  const dport = smallInt(o.dport, join(path, 'dport'), 1, 65535);
  if (o.keepalive === undefined) return { type, sport, dport };
  return { type, sport, dport, keepalive: oneOf(o.keepalive, join(path, 'keepalive'), KEEPALIVES) };
}

function parseNatOa(v: unknown, path: string, family: 4 | 6): NonNullable<SaConfig['natOa']> {
  const o = expectObj(v, path, ['src', 'dst']);
  const out: { src?: IpAddr; dst?: IpAddr } = {};
  for (const k of ['src', 'dst'] as const) {
    if (o[k] === undefined) continue;
    const a = addr(o[k], join(path, k));
    if (a.family !== family) throw new ConfigError(join(path, k), `IPv${a.family} NAT-OA for an IPv${family} SA`);
    out[k] = a;
  }
  if (!out.src && !out.dst) throw new ConfigError(path, 'needs src, dst or both');
  return out;
}

function parseLifetime(v: unknown, path: string): Lifetime {
  const o = expectObj(v, path, ['softBytes', 'hardBytes', 'softPackets', 'hardPackets']);
  const out: { -readonly [K in keyof Lifetime]: Lifetime[K] } = {};
  for (const k of ['softBytes', 'hardBytes', 'softPackets', 'hardPackets'] as const) {
    if (o[k] !== undefined) out[k] = uint(o[k], join(path, k), U64_MAX);
  }
  for (const [soft, hard] of [
    ['softBytes', 'hardBytes'],
    ['softPackets', 'hardPackets'],
  ] as const) {
    const s = out[soft];
    const h = out[hard];
    if (s !== undefined && h !== undefined && s > h)
      throw new ConfigError(join(path, soft), `soft limit ${s} above hard limit ${h}`);
  }
  return out;
}

const SA_FIELDS = [
  'spi',
  'src',
  'dst',
  'mode',
  'encryption',
  'integrity',
  'encapsulation',
  'esn',
  'replayWindow',
  'seq',
  'natOa',
  'tfcPadTo',
  'lifetime',
  'comment',
] as const;

function required(o: Obj, key: string, path: string): unknown {
  const v = o[key];
  if (v === undefined) throw new ConfigError(join(path, key), 'required field missing');
  return v;
}

/** Parse one SA entry; `path` is its location (`sas[2]`). */
export function parseSaEntry(v: unknown, path: string): SaConfig {
  const o = expectObj(v, path, SA_FIELDS);
  const spiBig = uint(required(o, 'spi', path), join(path, 'spi'), U32_MAX);
  // RFC 4303 §2.1: SPI 0 is reserved for local use, 1-255 are reserved by IANA
  if (spiBig === 0n) throw new ConfigError(join(path, 'spi'), 'SPI 0 is reserved (RFC 4303 §2.1)');
  if (spiBig < 256n)
    throw new ConfigError(join(path, 'spi'), `SPI ${spiBig} is in the IANA-reserved range 1-255 (RFC 4303 §2.1)`);
  const spi = Number(spiBig);
  const src = addr(required(o, 'src', path), join(path, 'src'));
  const dst = addr(required(o, 'dst', path), join(path, 'dst'));
  if (src.family !== dst.family)
    throw new ConfigError(join(path, 'dst'), `IPv${dst.family} dst with an IPv${src.family} src`);
  const mode = oneOf(required(o, 'mode', path), join(path, 'mode'), [
    'tunnel',
    'transport',
  ] as const satisfies readonly Mode[]);
  const encryption = parseEncryption(required(o, 'encryption', path), join(path, 'encryption'));
  const integrity =
    o.integrity === undefined
      ? { algorithm: 'none' as const, key: new Uint8Array(0) }
      : parseIntegrity(o.integrity, join(path, 'integrity'));
  const encrKind = ENCR[encryption.algorithm].kind;
  const combined = encrKind === 'aead' || encrKind === 'gmac';
  // RFC 4303 §3.2.3 / RFC 4106 §8: a combined-mode algorithm supplies the ICV itself
  if (combined && integrity.algorithm !== 'none') {
    throw new ConfigError(
      join(path, 'integrity.algorithm'),
      `${encryption.algorithm} is a combined-mode algorithm: integrity must be "none"`,
    );
  }
  // RFC 4303 §3.2 / RFC 8221 §5: NULL encryption without integrity MUST NOT be configured
  if (encrKind === 'null' && integrity.algorithm === 'none') {
    throw new ConfigError(
      join(path, 'integrity.algorithm'),
      'null encryption requires an integrity algorithm (RFC 4303 §3.2)',
    );
  }
  const hasIntegrity = combined || integrity.algorithm !== 'none';
  const encapsulation = parseEncapsulation(o.encapsulation, join(path, 'encapsulation'));
  const esn = o.esn === undefined ? false : bool(o.esn, join(path, 'esn'));
  let replayWindow = hasIntegrity ? DEFAULT_REPLAY_WINDOW : 0;
  if (o.replayWindow !== undefined) {
    replayWindow = smallInt(o.replayWindow, join(path, 'replayWindow'), 0, MAX_REPLAY_WINDOW);
    // RFC 4303 §3.4.3: anti-replay needs integrity
    if (replayWindow > 0 && !hasIntegrity) {
      throw new ConfigError(
        join(path, 'replayWindow'),
        'anti-replay needs integrity (RFC 4303 §3.4.3): set 0 or add an integrity algorithm',
      );
    }
  }
  // RFC 4303 §2.2/§2.2.1: 32-bit counter, or 64-bit with ESN; 0 is never sent
  const seq = o.seq === undefined ? 1n : uint(o.seq, join(path, 'seq'), esn ? U64_MAX : U32_MAX);
  if (seq === 0n) throw new ConfigError(join(path, 'seq'), 'sequence numbers start at 1 (RFC 4303 §3.3.3)');
  const sa: {
    -readonly [K in keyof SaConfig]: SaConfig[K];
  } = { spi, src, dst, mode, encryption, integrity, encapsulation, esn, replayWindow, seq };
  if (o.natOa !== undefined) {
    // RFC 3948 §3.1.2: the NAT-OA checksum fix-up is for transport mode
    if (mode !== 'transport')
      throw new ConfigError(join(path, 'natOa'), 'NAT-OA applies to transport mode only (RFC 3948 §3.1.2)');
    sa.natOa = parseNatOa(o.natOa, join(path, 'natOa'), src.family);
  }
  if (o.tfcPadTo !== undefined) sa.tfcPadTo = smallInt(o.tfcPadTo, join(path, 'tfcPadTo'), 0, 65535);
  if (o.lifetime !== undefined) sa.lifetime = parseLifetime(o.lifetime, join(path, 'lifetime'));
  if (o.comment !== undefined) str(o.comment, join(path, 'comment'));
  return Object.freeze(sa);
}

/** Parse an already-decoded JSON value: `{ "sas": [ ... ] }`. */
export function parseSaDocument(doc: unknown): SaConfig[] {
  const o = expectObj(doc, '', ['sas', 'comment']);
  const list = o.sas;
  if (!Array.isArray(list)) throw new ConfigError('sas', `expected an array of SAs, got ${kind(list)}`);
  if (list.length === 0) throw new ConfigError('sas', 'no SAs');
  const out: SaConfig[] = [];
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    const sa = parseSaEntry(entry, `sas[${i}]`);
    // RFC 4301 §4.1: an SA is identified by (SPI, destination)
    const key = `${sa.spi}/${sa.dst.text}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError(
        `sas[${i}].spi`,
        `duplicate SA: SPI 0x${sa.spi.toString(16).padStart(8, '0')} to ${sa.dst.text} is also sas[${first}]`,
      );
    }
    seen.set(key, i);
    out.push(sa);
  });
  return out;
}

/** Parse SA file text. Throws ConfigError (path `sas[i].field`, or '' for malformed JSON). */
export function parseSaFile(text: string): SaConfig[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('', `not valid JSON: ${(e as Error).message}`);
  }
  return parseSaDocument(doc);
}
