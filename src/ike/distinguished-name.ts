/**
 * X.501 distinguished names as IKE IDs (ID_DER_ASN1_DN, RFC 7296 §3.5): strongSwan's text
 * form (`C=CH, O=strongSwan, CN=moon.strongswan.org`, also `/`-separated) to DER and back.
 * Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value DirectoryString }
 * (RFC 5280 §4.1.2.4). Like strongSwan, C is a PrintableString, E an IA5String, every other
 * value a UTF8String; one attribute per RDN.
 */
import { ConfigError } from '../util/errors.js';

export interface Rdn {
  oid: string;
  value: string;
}

const KEYWORDS: [string[], string][] = [
  [['CN'], '2.5.4.3'],
  [['S', 'SN'], '2.5.4.4'],
  [['serialNumber'], '2.5.4.5'],
  [['C'], '2.5.4.6'],
  [['L'], '2.5.4.7'],
  [['ST'], '2.5.4.8'],
  [['O'], '2.5.4.10'],
  [['OU'], '2.5.4.11'],
  [['T'], '2.5.4.12'],
  [['N'], '2.5.4.41'],
  [['G'], '2.5.4.42'],
  [['I'], '2.5.4.43'],
  [['dnQualifier'], '2.5.4.46'],
  [['pseudonym'], '2.5.4.65'],
  [['E', 'Email', 'emailAddress'], '1.2.840.113549.1.9.1'],
  [['UID'], '0.9.2342.19200300.100.1.1'],
  [['DC'], '0.9.2342.19200300.100.1.25'],
];
const BY_NAME = new Map<string, string>();
const NAME_OF = new Map<string, string>();
for (const [names, oid] of KEYWORDS) {
  for (const n of names) BY_NAME.set(n.toLowerCase(), oid);
  NAME_OF.set(oid, names[0] ?? oid);
}

export function parseDnText(s: string): Rdn[] {
  const parts = s.includes(',') ? s.split(',') : s.split('/').filter((p) => p.length > 0);
  return parts.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError('id', `'${p.trim()}' is not KEY=value in the distinguished name '${s}'`);
    const key = p.slice(0, eq).trim();
    const oid = BY_NAME.get(key.toLowerCase()) ?? (/^\d+(\.\d+)+$/.test(key) ? key : undefined);
    if (!oid) throw new ConfigError('id', `unknown attribute '${key}' in the distinguished name '${s}'`);
    return { oid, value: p.slice(eq + 1).trim() };
  });
}

export function formatDn(rdns: Rdn[]): string {
  return rdns.map((r) => `${NAME_OF.get(r.oid) ?? r.oid}=${r.value}`).join(', ');
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v >>= 8) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

function tlv(tag: number, body: number[]): number[] {
  return [tag, ...derLength(body.length), ...body];
}

function encodeOid(oid: string): number[] {
  const n = oid.split('.').map(Number);
  const out = [(n[0] ?? 0) * 40 + (n[1] ?? 0)];
  for (const v of n.slice(2)) {
    const b: number[] = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) b.unshift(0x80 | (x & 0x7f));
    out.push(...b);
  }
  return out;
}

export function encodeDn(rdns: Rdn[]): Uint8Array {
  const seq: number[] = [];
  for (const r of rdns) {
    const tag = r.oid === '2.5.4.6' ? 0x13 : r.oid === '1.2.840.113549.1.9.1' ? 0x16 : 0x0c;
    const atv = tlv(0x30, [...tlv(0x06, encodeOid(r.oid)), ...tlv(tag, [...new TextEncoder().encode(r.value)])]);
    seq.push(...tlv(0x31, atv));
  }
  return new Uint8Array(tlv(0x30, seq));
}

/** Minimal bounds-checked DER reader: [tag, body, next offset] or undefined. */
function readTlv(b: Uint8Array, at: number, end: number): [number, Uint8Array, number] | undefined {
  if (at + 2 > end) return undefined;
  const tag = b[at] ?? 0;
  let len = b[at + 1] ?? 0;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || p + n > end) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | (b[p + i] ?? 0);
    p += n;
  }
  if (p + len > end) return undefined;
  return [tag, b.subarray(p, p + len), p + len];
}

function decodeOid(b: Uint8Array): string {
  const first = b[0] ?? 0;
  const out = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    const x = b[i] ?? 0;
    v = v * 128 + (x & 0x7f);
    if ((x & 0x80) === 0) {
      out.push(v);
      v = 0;
    }
  }
  return out.join('.');
}

/** DER Name -> RDN list (multi-valued RDNs are flattened); undefined when malformed. */
export function decodeDn(der: Uint8Array): Rdn[] | undefined {
  const top = readTlv(der, 0, der.length);
  if (!top || top[0] !== 0x30 || top[2] !== der.length) return undefined;
  const body = top[1];
  const out: Rdn[] = [];
  let at = 0;
  while (at < body.length) {
    const set = readTlv(body, at, body.length);
    if (!set || set[0] !== 0x31) return undefined;
    let s = 0;
    while (s < set[1].length) {
      const atv = readTlv(set[1], s, set[1].length);
      if (!atv || atv[0] !== 0x30) return undefined;
      const oid = readTlv(atv[1], 0, atv[1].length);
      if (!oid || oid[0] !== 0x06) return undefined;
      const val = readTlv(atv[1], oid[2], atv[1].length);
      if (!val) return undefined;
      out.push({ oid: decodeOid(oid[1]), value: new TextDecoder().decode(val[1]) });
      s = atv[2];
    }
    at = set[2];
  }
  return out;
}
