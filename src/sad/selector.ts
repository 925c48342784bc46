/**
 * SPD selectors (RFC 4301 §4.4.1.1): source and destination prefixes, upper-layer
 * protocol and ports. Values follow PF_KEY (linux include/uapi/linux/ipsec.h):
 * protocol 255 = IPSEC_ULPROTO_ANY, port 0 = IPSEC_PORT_ANY.
 *
 * A selector is compiled once into 32-bit words and masks so that matching a packet is
 * a handful of integer operations without allocation (the data path calls it per packet).
 */
import { PfkeyError } from '../util/errors.js';
import { formatIp, type IpAddr, type IpFamily, type IpPrefix } from '../util/ip-addr.js';
import { Errno } from './errno.js';

/** IPSEC_ULPROTO_ANY (linux ipsec.h) */
export const PROTO_ANY = 255;
/** IPSEC_PORT_ANY (linux ipsec.h) */
export const PORT_ANY = 0;

export interface Selector {
  readonly src: IpPrefix;
  readonly dst: IpPrefix;
  /** upper-layer protocol number, PROTO_ANY for any */
  readonly proto: number;
  /** PORT_ANY for any */
  readonly sport: number;
  readonly dport: number;
}

/**
 * The fields of one packet that policy lookup looks at. Addresses are raw bytes (4 or 16)
 * straight from the IP header; ports are 0 for protocols without ports.
 */
export interface PacketTuple {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
}

/** A selector in matching form: address words (big-endian int32) and masks. */
export interface CompiledSelector {
  readonly family: IpFamily;
  /** number of 32-bit words per address: 1 (IPv4) or 4 (IPv6) */
  readonly words: number;
  readonly srcWords: Int32Array;
  readonly srcMask: Int32Array;
  readonly dstWords: Int32Array;
  readonly dstMask: Int32Array;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
}

function bad(detail: string): never {
  throw new PfkeyError(Errno.EINVAL, detail);
}

function maskBytes(addr: IpAddr, len: number): Uint8Array {
  const out = addr.bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, len - i * 8));
    out[i] = (out[i] as number) & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return out;
}

function canonicalPrefix(p: IpPrefix, path: string): IpPrefix {
  const max = p.addr.family === 4 ? 32 : 128;
  if (p.addr.bytes.length !== (p.addr.family === 4 ? 4 : 16)) bad(`${path}: address length does not match family`);
  if (!Number.isInteger(p.len) || p.len < 0 || p.len > max) bad(`${path}: prefix length ${p.len} not in 0-${max}`);
  const bytes = maskBytes(p.addr, p.len);
  return { addr: { family: p.addr.family, bytes, text: formatIp(bytes) }, len: p.len };
}

function checkPort(v: number, path: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) bad(`${path}: port ${v} not in 0-65535`);
}

/**
 * Validate a selector and return its canonical form: host bits below the prefix length are
 * cleared, so 10.0.0.1/24 and 10.0.0.0/24 are the same selector. Throws PfkeyError EINVAL
 * for mixed families, bad prefix lengths, protocols or ports.
 */
export function canonicalSelector(s: Selector): Selector {
  if (s.src.addr.family !== s.dst.addr.family) bad('selector: source and destination families differ');
  if (!Number.isInteger(s.proto) || s.proto < 0 || s.proto > 255) bad(`selector: protocol ${s.proto} not in 0-255`);
  checkPort(s.sport, 'selector.sport');
  checkPort(s.dport, 'selector.dport');
  return {
    src: canonicalPrefix(s.src, 'selector.src'),
    dst: canonicalPrefix(s.dst, 'selector.dst'),
    proto: s.proto,
    sport: s.sport,
    dport: s.dport,
  };
}

/** Identity string of a canonical selector (with its direction), used for EEXIST / delete-by-selector. */
export function selectorKey(s: Selector): string {
  return `${s.src.addr.text}/${s.src.len} ${s.dst.addr.text}/${s.dst.len} ${s.proto} ${s.sport} ${s.dport}`;
}

function wordsOf(b: Uint8Array, out: Int32Array): void {
  for (let w = 0; w < out.length; w++) {
    const i = w * 4;
    out[w] =
      ((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number);
  }
}

function maskWords(len: number, out: Int32Array): void {
  for (let w = 0; w < out.length; w++) {
    const bits = Math.max(0, Math.min(32, len - w * 32));
    out[w] = bits === 0 ? 0 : bits === 32 ? -1 : -1 << (32 - bits);
  }
}

export function compileSelector(s: Selector): CompiledSelector {
  const family = s.src.addr.family;
  const words = family === 4 ? 1 : 4;
  const srcWords = new Int32Array(words);
  const srcMask = new Int32Array(words);
  const dstWords = new Int32Array(words);
  const dstMask = new Int32Array(words);
  wordsOf(s.src.addr.bytes, srcWords);
  wordsOf(s.dst.addr.bytes, dstWords);
  maskWords(s.src.len, srcMask);
  maskWords(s.dst.len, dstMask);
  return { family, words, srcWords, srcMask, dstWords, dstMask, proto: s.proto, sport: s.sport, dport: s.dport };
}

/**
 * Load a packet's addresses into caller-owned scratch words (length 4 each) so that several
 * compiled selectors can be tested without re-reading the bytes.
 */
export function loadTupleWords(t: PacketTuple, src: Int32Array, dst: Int32Array): void {
  const n = t.src.length >> 2;
  for (let w = 0; w < n; w++) {
    const i = w * 4;
    src[w] =
      ((t.src[i] as number) << 24) |
      ((t.src[i + 1] as number) << 16) |
      ((t.src[i + 2] as number) << 8) |
      (t.src[i + 3] as number);
    dst[w] =
      ((t.dst[i] as number) << 24) |
      ((t.dst[i + 1] as number) << 16) |
      ((t.dst[i + 2] as number) << 8) |
      (t.dst[i + 3] as number);
  }
}

/**
 * RFC 4301 §4.4.1.1 match of one compiled selector against a packet whose address words were
 * loaded by loadTupleWords. The caller has already checked that the families agree.
 */
export function matchesWords(c: CompiledSelector, src: Int32Array, dst: Int32Array, t: PacketTuple): boolean {
  if (c.proto !== PROTO_ANY && c.proto !== t.proto) return false;
  if (c.sport !== PORT_ANY && c.sport !== t.sport) return false;
  if (c.dport !== PORT_ANY && c.dport !== t.dport) return false;
  for (let w = 0; w < c.words; w++) {
    const m = c.srcMask[w] as number;
    if ((((src[w] as number) ^ (c.srcWords[w] as number)) & m) !== 0) return false;
    const d = c.dstMask[w] as number;
    if ((((dst[w] as number) ^ (c.dstWords[w] as number)) & d) !== 0) return false;
  }
  return true;
}

/** Convenience match (allocates scratch words); the SPD uses the word form. */
export function selectorMatches(c: CompiledSelector, t: PacketTuple): boolean {
  const want = c.family === 4 ? 4 : 16;
  if (t.src.length !== want || t.dst.length !== want) return false;
  const s = new Int32Array(4);
  const d = new Int32Array(4);
  loadTupleWords(t, s, d);
  return matchesWords(c, s, d, t);
}
