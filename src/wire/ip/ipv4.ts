/**
 * IPv4 header codec (RFC 791 §3.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Flags: bit 0 reserved (0), bit 1 DF, bit 2 MF. Fragment Offset in 8-octet units.
 */
import { assert } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';
import { internetChecksum } from './checksum.js';

export const IPV4_HEADER_LEN = 20;

export interface Ipv4Packet {
  readonly version: 4;
  /** header length in bytes (IHL × 4) */
  readonly headerLen: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly identification: number;
  /** the reserved flag bit (RFC 791: must be zero; reported, not rejected) */
  readonly reservedFlag: boolean;
  readonly df: boolean;
  readonly mf: boolean;
  /** fragment offset in bytes (field × 8) */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly headerChecksum: number;
  /** the header checksum verifies (RFC 791 §3.1); decoding does not reject a bad one */
  readonly checksumOk: boolean;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** option bytes (view), empty when IHL is 5 */
  readonly options: Uint8Array;
  /** bytes from the end of the header to Total Length (view) */
  readonly payload: Uint8Array;
}

/**
 * Decode an IPv4 packet. Bytes after Total Length are ignored (link padding, RFC 4303 §2.4
 * TFC padding after an inner packet). Throws WireError: 'bad-value' for a version other than
 * 4, IHL < 5, Total Length < header length or a fragment reaching past 65535 bytes;
 * 'truncated' when the buffer is shorter than the header or Total Length.
 */
export function decodeIpv4(pkt: Uint8Array, path = 'ipv4'): Ipv4Packet {
  const r = new Reader(pkt, path);
  const vihl = r.u8('version');
  if (vihl >> 4 !== 4) r.fail('version', `version ${vihl >> 4}, expected 4`, 0);
  const headerLen = (vihl & 0x0f) * 4;
  if (headerLen < IPV4_HEADER_LEN) r.fail('ihl', `IHL ${vihl & 0x0f} < 5`, 0);
  const tos = r.u8('tos');
  const totalLength = r.u16('totalLength');
  if (totalLength < headerLen) r.fail('totalLength', `total length ${totalLength} < header length ${headerLen}`, 2);
  const identification = r.u16('identification');
  const fragField = r.u16('fragment');
  const ttl = r.u8('ttl');
  const protocol = r.u8('protocol');
  const headerChecksum = r.u16('headerChecksum');
  const src = r.bytes(4, 'src');
  const dst = r.bytes(4, 'dst');
  const options = r.bytes(headerLen - IPV4_HEADER_LEN, 'options');
  if (pkt.length < totalLength) r.bytes(totalLength - headerLen, 'payload');
  const fragmentOffset = (fragField & 0x1fff) * 8;
  // RFC 791 §3.2: a datagram, reassembled, is at most 65535 bytes ("ping of death" check).
  if (fragmentOffset + totalLength - headerLen > 0xffff) {
    r.fail('fragment', `fragment ends at ${fragmentOffset + totalLength - headerLen} > 65535`, 6);
  }
  return {
    version: 4,
    headerLen,
    tos,
    totalLength,
    identification,
    reservedFlag: (fragField & 0x8000) !== 0,
    df: (fragField & 0x4000) !== 0,
    mf: (fragField & 0x2000) !== 0,
    fragmentOffset,
    ttl,
    protocol,
    headerChecksum,
    checksumOk: internetChecksum([pkt.subarray(0, headerLen)]) === 0,
    src,
    dst,
    options,
    payload: pkt.subarray(headerLen, totalLength),
  };
}

export interface BuildIpv4Options {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly ttl?: number;
  readonly tos?: number;
  readonly id?: number;
  readonly df?: boolean;
}

/**
 * Build an IPv4 packet with a 20-byte header (no options) and its header checksum.
 * Asserts (programmer error) on 4-byte addresses and a total length up to 65535.
 */
export function buildIpv4Packet(o: BuildIpv4Options): Uint8Array {
  assert(o.src.length === 4 && o.dst.length === 4, 'IPv4 addresses are 4 bytes');
  const total = IPV4_HEADER_LEN + o.payload.length;
  assert(total <= 0xffff, `IPv4 packet of ${total} bytes`);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out[0] = 0x45;
  out[1] = (o.tos ?? 0) & 0xff;
  v.setUint16(2, total);
  v.setUint16(4, (o.id ?? 0) & 0xffff);
  v.setUint16(6, o.df ? 0x4000 : 0);
  out[8] = o.ttl ?? 64;
  out[9] = o.protocol;
  out.set(o.src, 12);
  out.set(o.dst, 16);
  v.setUint16(10, internetChecksum([out.subarray(0, IPV4_HEADER_LEN)]));
  out.set(o.payload, IPV4_HEADER_LEN);
  return out;
}
