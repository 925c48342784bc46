/**
 * Family-agnostic view of an IP packet (IPv4 RFC 791, IPv6 RFC 8200), chosen by the version
 * nibble, plus `peekIp`, a non-throwing peek for the data path (SPD selectors, RFC 4301
 * §4.4.1.1: addresses, next-layer protocol, ports or ICMP type/code).
 *
 *   | IPv4 header (IHL×4)        | upper layer ...            |
 *   | IPv6 40 | ext headers ...  | upper layer ...            |
 *   |<-------- headerLen ------->|                            |
 *   |<------------------------ totalLen --------------------->| (TFC padding ignored)
 */
import { WireError } from '../../util/errors.js';
import { buildIpv4Packet, decodeIpv4 } from './ipv4.js';
import { buildIpv6Packet, decodeIpv6, IPV6_HEADER_LEN, isChainFault, walkIpv6Chain } from './ipv6.js';

export interface IpPacketInfo {
  readonly version: 4 | 6;
  /** views into the packet */
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** upper-layer protocol after any IPv6 extension headers */
  readonly protocol: number;
  /** bytes before the upper-layer payload */
  readonly headerLen: number;
  /** IPv4 Total Length, or 40 + IPv6 Payload Length; bytes past it are padding */
  readonly totalLen: number;
  /** TTL or Hop Limit */
  readonly ttl: number;
  /** TOS or Traffic Class */
  readonly tos: number;
  /** a fragment of a larger datagram (MF set or offset ≠ 0; IPv6 Fragment header likewise) */
  readonly isFragment: boolean;
}

/**
 * Strictly decode an IPv4 or IPv6 packet (see decodeIpv4/decodeIpv6 for the WireErrors).
 * Throws WireError 'truncated' on an empty buffer and 'bad-value' on another version.
 */
export function decodeIpPacket(pkt: Uint8Array, path = 'ip'): IpPacketInfo {
  if (pkt.length === 0) throw new WireError('truncated', `${path}.version`, 0, 'truncated: need 1, have 0');
  const version = (pkt[0] as number) >> 4;
  if (version === 4) {
    const p = decodeIpv4(pkt, path);
    return {
      version: 4,
      src: p.src,
      dst: p.dst,
      protocol: p.protocol,
      headerLen: p.headerLen,
      totalLen: p.totalLength,
      ttl: p.ttl,
      tos: p.tos,
      isFragment: p.mf || p.fragmentOffset !== 0,
    };
  }
  if (version === 6) {
    const p = decodeIpv6(pkt, path);
    return {
      version: 6,
      src: p.src,
      dst: p.dst,
      protocol: p.protocol,
      headerLen: p.headerLen,
      totalLen: p.totalLength,
      ttl: p.hopLimit,
      tos: p.trafficClass,
      isFragment: p.fragment !== undefined && (p.fragment.more || p.fragment.offset !== 0),
    };
  }
  throw new WireError('bad-value', `${path}.version`, 0, `IP version ${version}`);
}

export interface BuildIpOptions {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly protocol: number;
  readonly payload: Uint8Array;
  /** TTL / Hop Limit, default 64 */
  readonly ttl?: number;
  /** TOS / Traffic Class, default 0 */
  readonly tos?: number;
  /** IPv4 only */
  readonly id?: number;
  /** IPv4 only */
  readonly df?: boolean;
}

/** Build an IPv4 (4-byte addresses) or IPv6 (16-byte addresses) packet. */
export function buildIpPacket(o: BuildIpOptions): Uint8Array {
  if (o.src.length === 4) return buildIpv4Packet(o);
  return buildIpv6Packet({
    src: o.src,
    dst: o.dst,
    nextHeader: o.protocol,
    payload: o.payload,
    hopLimit: o.ttl ?? 64,
    trafficClass: o.tos ?? 0,
  });
}

export interface IpPeek {
  readonly version: 4 | 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly protocol: number;
  /** TCP/UDP/SCTP/UDP-Lite ports, when the first 4 bytes of that header are present */
  readonly sport?: number;
  readonly dport?: number;
  /** ICMP / ICMPv6 type and code (RFC 4301 §4.4.1.1 selectors), when present */
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);

/**
 * Cheap, non-throwing look at an IP packet for the data path. Returns undefined when the
 * packet is malformed (bad version, IHL, lengths or extension chain). Ports are absent on
 * non-first fragments and when the transport header is cut short.
 */
export function peekIp(pkt: Uint8Array): IpPeek | undefined {
  if (pkt.length < 1) return undefined;
  const version = (pkt[0] as number) >> 4;
  let src: Uint8Array;
  let dst: Uint8Array;
  let protocol: number;
  let l4: number;
  let end: number;
  let firstFragment: boolean;
  if (version === 4) {
    const ihl = ((pkt[0] as number) & 0x0f) * 4;
    if (ihl < 20 || pkt.length < ihl) return undefined;
    end = ((pkt[2] as number) << 8) | (pkt[3] as number);
    if (end < ihl || end > pkt.length) return undefined;
    protocol = pkt[9] as number;
    src = pkt.subarray(12, 16);
    dst = pkt.subarray(16, 20);
    l4 = ihl;
    firstFragment = ((((pkt[6] as number) << 8) | (pkt[7] as number)) & 0x1fff) === 0;
  } else if (version === 6) {
    if (pkt.length < IPV6_HEADER_LEN) return undefined;
    end = IPV6_HEADER_LEN + (((pkt[4] as number) << 8) | (pkt[5] as number));
    if (end > pkt.length) return undefined;
    const chain = walkIpv6Chain(pkt, pkt[6] as number, IPV6_HEADER_LEN, end);
    if (isChainFault(chain)) return undefined;
    protocol = chain.protocol;
    src = pkt.subarray(8, 24);
    dst = pkt.subarray(24, 40);
    l4 = chain.headerLen;
    firstFragment = chain.fragment === undefined || chain.fragment.offset === 0;
  } else {
    return undefined;
  }
  const base = { version, src, dst, protocol } as const;
  if (!firstFragment) return base;
  if (PORT_PROTOCOLS.has(protocol) && l4 + 4 <= end) {
    return {
      ...base,
      sport: ((pkt[l4] as number) << 8) | (pkt[l4 + 1] as number),
      dport: ((pkt[l4 + 2] as number) << 8) | (pkt[l4 + 3] as number),
    };
  }
  if ((protocol === 1 || protocol === 58) && l4 + 2 <= end) {
    return { ...base, icmpType: pkt[l4] as number, icmpCode: pkt[l4 + 1] as number };
  }
  return base;
}
