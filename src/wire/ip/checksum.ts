/**
 * The Internet checksum (RFC 1071) and its pseudo-headers.
 *
 *   checksum = ~( one's complement sum of 16-bit big-endian words )      RFC 1071 §1
 *
 * IPv4 pseudo-header (RFC 768, RFC 793 §3.1)      IPv6 pseudo-header (RFC 8200 §8.1)
 *   +--------+--------+--------+--------+          +-----------------------------------+
 *   |          source address           |          |      source address (16 bytes)    |
 *   +--------+--------+--------+--------+          +-----------------------------------+
 *   |        destination address        |          |   destination address (16 bytes)  |
 *   +--------+--------+--------+--------+          +-----------------------------------+
 *   |  zero  |protocol|  UDP/TCP length |          |  upper-layer packet length (32)   |
 *   +--------+--------+--------+--------+          +--------+--------+--------+--------+
 *                                                  |         zero (24)        |next hdr|
 *                                                  +--------------------------+--------+
 *
 * Sums are kept as plain numbers and folded (end-around carry) at the end; a part of odd
 * length is continued by the next part (RFC 1071 §2(B): the sum is over the concatenation).
 */
import { assert } from '../../util/errors.js';

/** IP protocol numbers used here (IANA "Assigned Internet Protocol Numbers"). */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Fold a 32-bit-or-wider accumulator to 16 bits with end-around carry. */
function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The 16-bit one's complement sum (not complemented) of the concatenation of `parts`,
 * added to `initial` (another such sum, e.g. a pseudo-header sum). RFC 1071 §1, §2.
 */
export function onesComplementSum(parts: readonly Uint8Array[], initial = 0): number {
  let sum = initial;
  let odd = false;
  for (const p of parts) {
    let i = 0;
    const n = p.length;
    if (odd && n > 0) {
      sum += p[0] as number;
      i = 1;
      odd = false;
    }
    for (; i + 1 < n; i += 2) sum += ((p[i] as number) << 8) | (p[i + 1] as number);
    if (i < n) {
      sum += (p[i] as number) << 8;
      odd = true;
    }
    // Keep the accumulator well inside 2^53 for very large inputs.
    if (sum > 0x3fffffff) sum = fold(sum);
  }
  return fold(sum);
}

/** RFC 1071 checksum: the one's complement of the one's complement sum of `parts`. */
export function internetChecksum(parts: readonly Uint8Array[], initial = 0): number {
  return ~onesComplementSum(parts, initial) & 0xffff;
}

/** Sum of the IPv4 pseudo-header (RFC 768 "Fields"; RFC 793 §3.1). */
export function pseudoHeaderSum4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  assert(src.length === 4 && dst.length === 4, 'IPv4 pseudo-header needs 4-byte addresses');
  return onesComplementSum([src, dst], protocol + length);
}

/** Sum of the IPv6 pseudo-header (RFC 8200 §8.1): 32-bit upper-layer length, next header. */
export function pseudoHeaderSum6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  assert(src.length === 16 && dst.length === 16, 'IPv6 pseudo-header needs 16-byte addresses');
  return onesComplementSum([src, dst], nextHeader + Math.floor(length / 0x10000) + (length & 0xffff));
}

/** Pseudo-header sum for either family, chosen by address length (4 or 16 bytes). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return src.length === 4 ? pseudoHeaderSum4(src, dst, protocol, length) : pseudoHeaderSum6(src, dst, protocol, length);
}

/** Sum of `seg` with the 16-bit field at `at` read as zero. */
function sumSkipping(seg: Uint8Array, at: number, initial: number): number {
  return onesComplementSum([seg.subarray(0, at), seg.subarray(at + 2)], initial);
}

/**
 * The UDP checksum of `segment` (UDP header + payload) between `src` and `dst`, with the
 * checksum field (bytes 6-7) taken as zero. A computed 0 is returned as 0xFFFF, since 0 on
 * the wire means "no checksum" (RFC 768; RFC 8200 §8.1).
 */
export function udpChecksum(src: Uint8Array, dst: Uint8Array, segment: Uint8Array): number {
  assert(segment.length >= 8, 'UDP segment shorter than its header');
  const c = ~sumSkipping(segment, 6, pseudoHeaderSum(src, dst, IPPROTO_UDP, segment.length)) & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** The TCP checksum of `segment` (header + data), checksum field (bytes 16-17) taken as zero. RFC 793 §3.1. */
export function tcpChecksum(src: Uint8Array, dst: Uint8Array, segment: Uint8Array): number {
  assert(segment.length >= 20, 'TCP segment shorter than its header');
  return ~sumSkipping(segment, 16, pseudoHeaderSum(src, dst, IPPROTO_TCP, segment.length)) & 0xffff;
}

/**
 * RFC 1624 §3 Eqn. 3 incremental update: HC' = ~(~HC + ~m + m'), where m is the 16-bit-word
 * content `removed` from the summed data and m' the content `added` in its place. Both must
 * have even length and sit at even offsets in the summed data (true for addresses in a
 * pseudo-header). Equal contents leave `oldSum` unchanged (the operations cancel; this also
 * avoids the +0/-0 case of RFC 1624 erratum 4782). The result is the value a fresh
 * computation gives (0x0000..0xFFFE for data that is not all zero).
 */
export function checksumAdjust(oldSum: number, removed: Uint8Array, added: Uint8Array): number {
  assert(removed.length % 2 === 0 && added.length % 2 === 0, 'checksumAdjust works on 16-bit words');
  let same = removed.length === added.length;
  for (let i = 0; same && i < removed.length; i++) same = removed[i] === added[i];
  if (same) return oldSum & 0xffff;
  let sum = ~oldSum & 0xffff;
  for (let i = 0; i < removed.length; i += 2)
    sum += ~(((removed[i] as number) << 8) | (removed[i + 1] as number)) & 0xffff;
  for (let i = 0; i < added.length; i += 2) sum += ((added[i] as number) << 8) | (added[i + 1] as number);
  const s = fold(sum);
  // A folded non-zero total is 0xFFFF, never 0 (one's complement "-0", RFC 1624 §3).
  return ~(s === 0 ? 0xffff : s) & 0xffff;
}
