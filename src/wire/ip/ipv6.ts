/**
 * IPv6 header and extension-header chain (RFC 8200 §3, §4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                   Source Address (128 bits)                   |
 *   |                 Destination Address (128 bits)                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers walked to reach the upper-layer protocol (RFC 8200 §4.3-4.6):
 *   Hop-by-Hop 0, Routing 43, Destination Options 60:
 *     | Next Header | Hdr Ext Len |  data ...  |   length = (Hdr Ext Len + 1) × 8
 *   Fragment 44 (fixed 8 bytes):
 *     | Next Header |  Reserved   | Fragment Offset (13) |Res|M|  Identification (32) |
 * Any other value ends the chain (it is the upper-layer protocol: 6, 17, 50, 58, 59 ...).
 */
import { assert, WireError, type WireErrorCode } from '../../util/errors.js';
import { Reader } from '../../util/reader.js';

export const IPV6_HEADER_LEN = 40;
export const IPV6_HOP_BY_HOP = 0;
export const IPV6_ROUTING = 43;
export const IPV6_FRAGMENT = 44;
export const IPV6_DEST_OPTS = 60;

export interface Ipv6ExtensionHeader {
  readonly type: number;
  /** absolute offset in the packet */
  readonly offset: number;
  readonly length: number;
}

export interface Ipv6Fragment {
  /** fragment offset in bytes (field × 8) */
  readonly offset: number;
  readonly more: boolean;
  readonly identification: number;
}

/** Result of walking the chain: the upper-layer protocol and where it starts. */
export interface Ipv6Chain {
  readonly protocol: number;
  /** absolute offset of the upper-layer header (bytes before the upper-layer payload) */
  readonly headerLen: number;
  readonly extensions: readonly Ipv6ExtensionHeader[];
  readonly fragment: Ipv6Fragment | undefined;
}

/** Why a chain walk failed (turned into a WireError by the strict decoder). */
export interface ChainFault {
  readonly code: WireErrorCode;
  readonly field: string;
  readonly offset: number;
  readonly detail: string;
}

/**
 * Walk the extension headers from `start` (the first byte after the fixed header) to `end`
 * (40 + Payload Length), without throwing. A Hop-by-Hop header anywhere but first is a fault
 * (RFC 8200 §4.1). A non-first fragment ends the walk at its Fragment header: what follows
 * is data, not a header (RFC 8200 §4.5).
 */
export function walkIpv6Chain(
  pkt: Uint8Array,
  firstNextHeader: number,
  start: number,
  end: number,
): Ipv6Chain | ChainFault {
  let nh = firstNextHeader;
  let pos = start;
  let fragment: Ipv6Fragment | undefined;
  const extensions: Ipv6ExtensionHeader[] = [];
  for (let i = 0; ; i++) {
    if (fragment && fragment.offset !== 0) break;
    const field = `ext[${i}]`;
    if (nh === IPV6_HOP_BY_HOP && i > 0) {
      return { code: 'bad-value', field, offset: pos, detail: 'Hop-by-Hop Options header not first' };
    }
    if (nh !== IPV6_HOP_BY_HOP && nh !== IPV6_ROUTING && nh !== IPV6_DEST_OPTS && nh !== IPV6_FRAGMENT) break;
    if (pos + 8 > end) {
      return { code: 'truncated', field, offset: pos, detail: `truncated: need 8, have ${end - pos}` };
    }
    const next = pkt[pos] as number;
    const len = nh === IPV6_FRAGMENT ? 8 : ((pkt[pos + 1] as number) + 1) * 8;
    if (pos + len > end) {
      return { code: 'truncated', field, offset: pos, detail: `truncated: need ${len}, have ${end - pos}` };
    }
    if (nh === IPV6_FRAGMENT) {
      const offField = ((pkt[pos + 2] as number) << 8) | (pkt[pos + 3] as number);
      const id =
        (((pkt[pos + 4] as number) << 24) |
          ((pkt[pos + 5] as number) << 16) |
          ((pkt[pos + 6] as number) << 8) |
          (pkt[pos + 7] as number)) >>>
        0;
      fragment = { offset: offField & 0xfff8, more: (offField & 1) === 1, identification: id };
    }
    extensions.push({ type: nh, offset: pos, length: len });
    nh = next;
    pos += len;
  }
  return { protocol: nh, headerLen: pos, extensions, fragment };
}

export function isChainFault(x: Ipv6Chain | ChainFault): x is ChainFault {
  return 'code' in x;
}

export interface Ipv6Packet extends Ipv6Chain {
  readonly version: 6;
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  /** Next Header of the fixed header (first extension or the upper layer) */
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** 40 + Payload Length */
  readonly totalLength: number;
  /** upper-layer bytes, from `headerLen` to `totalLength` (view) */
  readonly payload: Uint8Array;
}

/**
 * Decode an IPv6 packet and walk its extension headers. Bytes after 40 + Payload Length are
 * ignored (RFC 4303 §2.4 TFC padding). Throws WireError: 'bad-value' for a version other
 * than 6 or a misplaced Hop-by-Hop header; 'unsupported' for a jumbogram (Payload Length 0
 * with Hop-by-Hop, RFC 2675); 'truncated' when the buffer or an extension header is short.
 */
export function decodeIpv6(pkt: Uint8Array, path = 'ipv6'): Ipv6Packet {
  const r = new Reader(pkt, path);
  const w0 = r.u32('version');
  if (w0 >>> 28 !== 6) r.fail('version', `version ${w0 >>> 28}, expected 6`, 0);
  const payloadLength = r.u16('payloadLength');
  const nextHeader = r.u8('nextHeader');
  const hopLimit = r.u8('hopLimit');
  const src = r.bytes(16, 'src');
  const dst = r.bytes(16, 'dst');
  if (payloadLength === 0 && nextHeader === IPV6_HOP_BY_HOP) {
    throw new WireError('unsupported', `${path}.payloadLength`, 4, 'jumbogram (RFC 2675) not supported');
  }
  const totalLength = IPV6_HEADER_LEN + payloadLength;
  if (pkt.length < totalLength) r.bytes(payloadLength, 'payload');
  const chain = walkIpv6Chain(pkt, nextHeader, IPV6_HEADER_LEN, totalLength);
  if (isChainFault(chain)) {
    throw new WireError(chain.code, `${path}.${chain.field}`, chain.offset, chain.detail);
  }
  return {
    version: 6,
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit,
    src,
    dst,
    totalLength,
    ...chain,
    payload: pkt.subarray(chain.headerLen, totalLength),
  };
}

export interface BuildIpv6Options {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly nextHeader: number;
  /** everything after the fixed header (extension headers included) */
  readonly payload: Uint8Array;
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/** Build an IPv6 packet (fixed header + payload). Asserts 16-byte addresses and payload ≤ 65535. */
export function buildIpv6Packet(o: BuildIpv6Options): Uint8Array {
  assert(o.src.length === 16 && o.dst.length === 16, 'IPv6 addresses are 16 bytes');
  assert(o.payload.length <= 0xffff, `IPv6 payload of ${o.payload.length} bytes (jumbograms unsupported)`);
  const out = new Uint8Array(IPV6_HEADER_LEN + o.payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, ((6 << 28) | (((o.trafficClass ?? 0) & 0xff) << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0);
  v.setUint16(4, o.payload.length);
  out[6] = o.nextHeader;
  out[7] = o.hopLimit ?? 64;
  out.set(o.src, 8);
  out.set(o.dst, 24);
  out.set(o.payload, IPV6_HEADER_LEN);
  return out;
}
