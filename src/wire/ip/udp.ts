/**
 * UDP header codec (RFC 768).
 *
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |   Source Port   |   Dest. Port    |
 *   +--------+--------+--------+--------+
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *   |          data octets ...
 *
 * Checksum rules for ESP-in-UDP:
 * - IPv4: the sender SHOULD send 0 and the receiver MUST NOT depend on it being 0
 *   (RFC 3948 §2.1); 0 means "no checksum computed" (RFC 768).
 * - IPv6: the checksum is mandatory and a receiver discards a 0 checksum (RFC 8200 §8.1).
 */
import { assert } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import { IPPROTO_UDP, onesComplementSum, pseudoHeaderSum, udpChecksum } from './checksum.js';

export const UDP_HEADER_LEN = 8;

export interface UdpDatagram {
  readonly sport: number;
  readonly dport: number;
  /** the Length field: header + data */
  readonly length: number;
  readonly checksum: number;
  /** data octets (view) */
  readonly payload: Uint8Array;
}

/**
 * Decode a UDP segment whose extent is known from the IP layer. Throws WireError:
 * 'truncated' when shorter than 8 bytes or than the Length field; 'bad-value' for a
 * Length below 8; 'trailing' when the segment is longer than Length.
 */
export function decodeUdp(seg: Uint8Array, path = 'udp'): UdpDatagram {
  const r = new Reader(seg, path);
  const sport = r.u16('sport');
  const dport = r.u16('dport');
  const length = r.u16('length');
  const checksum = r.u16('checksum');
  if (length < UDP_HEADER_LEN) r.fail('length', `length ${length} < 8`, 4);
  const payload = r.bytes(length - UDP_HEADER_LEN, 'payload');
  r.end();
  return { sport, dport, length, checksum, payload };
}

export interface BuildUdpOptions {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly sport: number;
  readonly dport: number;
  readonly payload: Uint8Array;
  /** 'zero' is allowed over IPv4 only (RFC 3948 §2.1 vs RFC 8200 §8.1) */
  readonly checksum: 'zero' | 'compute';
}

/**
 * Build a UDP segment (header + payload). Asserts (programmer error) that 'zero' is not
 * asked for over IPv6 and that the segment fits the 16-bit Length.
 */
export function buildUdp(o: BuildUdpOptions): Uint8Array {
  const length = UDP_HEADER_LEN + o.payload.length;
  assert(length <= 0xffff, `UDP segment of ${length} bytes`);
  assert(o.checksum === 'compute' || o.src.length === 4, 'UDP over IPv6 needs a checksum (RFC 8200 §8.1)');
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint16(0, o.sport);
  v.setUint16(2, o.dport);
  v.setUint16(4, length);
  out.set(o.payload, UDP_HEADER_LEN);
  if (o.checksum === 'compute') v.setUint16(6, udpChecksum(o.src, o.dst, out));
  return out;
}

/**
 * Verify a UDP segment's checksum between `src` and `dst`. A 0 checksum means "not
 * computed" and is accepted over IPv4 (RFC 768, RFC 3948 §2.1) but rejected over IPv6
 * (RFC 8200 §8.1). Returns false for a segment shorter than its header.
 */
export function udpChecksumOk(src: Uint8Array, dst: Uint8Array, seg: Uint8Array): boolean {
  if (seg.length < UDP_HEADER_LEN) return false;
  if (seg[6] === 0 && seg[7] === 0) return src.length === 4;
  return onesComplementSum([seg], pseudoHeaderSum(src, dst, IPPROTO_UDP, seg.length)) === 0xffff;
}
