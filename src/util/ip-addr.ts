import { ConfigError } from './errors.js';

/**
 * IP addresses as raw bytes (4 for IPv4, 16 for IPv6) plus canonical text
 * (RFC 5952 for IPv6) for display and map keys.
 */
export type IpFamily = 4 | 6;

export interface IpAddr {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
  readonly text: string;
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return undefined;
  const words: number[] = [];
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as string;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseV4(g);
        if (!v4) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== 8) return undefined;
    words.push(...all);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = words[i] as number;
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  }
  return out;
}

/** Format 4 or 16 address bytes as canonical text (RFC 5952 for IPv6). */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new Error(`assertion failed: address of ${b.length} bytes`);
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[i * 2] as number) << 8) | (b[i * 2 + 1] as number));
  // RFC 5952 §4.2: compress the longest run (>= 2) of zero words, the first if tied.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number) => x.toString(16);
  if (bestStart < 0) return w.map(hex).join(':');
  const head = w.slice(0, bestStart).map(hex).join(':');
  const tail = w
    .slice(bestStart + bestLen)
    .map(hex)
    .join(':');
  return `${head}::${tail}`;
}

/** Parse IPv4 dotted quad or IPv6 text; returns undefined when neither. */
export function tryParseIp(s: string): IpAddr | undefined {
  const v4 = parseV4(s);
  if (v4) return { family: 4, bytes: v4, text: formatIp(v4) };
  const v6 = parseV6(s);
  if (v6) return { family: 6, bytes: v6, text: formatIp(v6) };
  return undefined;
}

/** Parse an address or throw ConfigError naming `path`. */
export function parseIp(s: string, path = 'address'): IpAddr {
  const a = tryParseIp(s);
  if (!a) throw new ConfigError(path, `not an IPv4 or IPv6 address: ${JSON.stringify(s)}`);
  return a;
}

export function ipFromBytes(b: Uint8Array): IpAddr {
  const copy = b.slice();
  return { family: copy.length === 4 ? 4 : 6, bytes: copy, text: formatIp(copy) };
}

export interface IpPrefix {
  readonly addr: IpAddr;
  readonly len: number;
}

/** Parse "addr/len" (or a bare address as a host prefix). */
export function parsePrefix(s: string, path = 'prefix'): IpPrefix {
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash), path);
  const max = addr.family === 4 ? 32 : 128;
  if (slash < 0) return { addr, len: max };
  const lenText = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    throw new ConfigError(path, `bad prefix length ${JSON.stringify(lenText)} (0-${max})`);
  }
  return { addr, len: Number(lenText) };
}

/** True when `a` lies inside the prefix (same family, first `len` bits equal). */
export function prefixContains(p: IpPrefix, a: Uint8Array): boolean {
  const pb = p.addr.bytes;
  if (pb.length !== a.length) return false;
  const full = p.len >> 3;
  for (let i = 0; i < full; i++) if (pb[i] !== a[i]) return false;
  const rem = p.len & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((pb[full] as number) & mask) === ((a[full] as number) & mask);
}

/** Address bytes as an unsigned big-endian integer (range and prefix arithmetic). */
export function ipToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** Inverse of ipToBigInt: the low 32 (IPv4) or 128 (IPv6) bits as address bytes. */
export function ipFromBigInt(n: bigint, family: IpFamily): Uint8Array {
  const len = family === 4 ? 4 : 16;
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}
