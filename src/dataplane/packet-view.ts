/**
 * The few facts the data plane reads from an IP packet, without throwing and with at most
 * one small allocation (peekIp's view): the SPD tuple (RFC 4301 §4.4.1.1), the true length
 * (TFC padding after it, RFC 4303 §2.7) and where the upper-layer header starts (transport
 * mode protects only what follows the IP header, RFC 4303 §3.1.1).
 *
 *   IPv4: | ver/IHL | ... | total length (2..3) | ... | proto (9) | src (12) | dst (16) | L4
 *   IPv6: | ver ... | payload length (4..5) | next hdr (6) | src (8) | dst (24) | ext... | L4
 */
import type { PacketTuple } from '../sad/selector.js';
import type { IpPeek } from '../wire/ip/ip-packet.js';
import { IPV6_HEADER_LEN, isChainFault, walkIpv6Chain } from '../wire/ip/ipv6.js';

/** A reusable tuple; fields are overwritten by fillTuple. */
export interface MutableTuple {
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  sport: number;
  dport: number;
}

/**
 * A tuple that owns its address bytes: peekTuple copies the addresses into it instead of
 * making two views of the packet per call (the per-packet path allocated them: ~2-3 % of
 * each ipsecd's profile, docs/dataplane.md §10.8). The addresses stay valid after the
 * packet's buffer is reused, until the next peekTuple on this tuple.
 */
class OwnedTuple implements MutableTuple {
  src: Uint8Array;
  dst: Uint8Array;
  proto = 0;
  sport = 0;
  dport = 0;
  readonly #s4 = new Uint8Array(4);
  readonly #d4 = new Uint8Array(4);
  readonly #s6 = new Uint8Array(16);
  readonly #d6 = new Uint8Array(16);

  constructor() {
    this.src = this.#s4;
    this.dst = this.#d4;
  }

  /** src = pkt[at, at+len), dst = the `len` bytes after it (len 4 or 16; checked by the caller) */
  addresses(pkt: Uint8Array, at: number, len: 4 | 16): void {
    const s = len === 4 ? this.#s4 : this.#s6;
    const d = len === 4 ? this.#d4 : this.#d6;
    for (let i = 0; i < len; i++) {
      s[i] = pkt[at + i] as number;
      d[i] = pkt[at + len + i] as number;
    }
    this.src = s;
    this.dst = d;
  }
}

export function newTuple(): MutableTuple {
  return new OwnedTuple();
}

/**
 * Selector fields of a peeked packet. ICMP/ICMPv6 type and code go in the port fields, as
 * Linux does (xfrm_flowi_sport/dport) and as RFC 4301 §4.4.1.1 lets ICMP selectors use them.
 */
export function fillTuple(t: MutableTuple, p: IpPeek): MutableTuple {
  t.src = p.src;
  t.dst = p.dst;
  t.proto = p.protocol;
  if (p.sport !== undefined) {
    t.sport = p.sport;
    t.dport = p.dport ?? 0;
  } else if (p.icmpType !== undefined) {
    t.sport = p.icmpType;
    t.dport = p.icmpCode ?? 0;
  } else {
    t.sport = 0;
    t.dport = 0;
  }
  return t;
}

/** A copy that outlives the packet (for the key engine's ACQUIRE). */
export function copyTuple(t: PacketTuple): PacketTuple {
  return { src: t.src.slice(), dst: t.dst.slice(), proto: t.proto, sport: t.sport, dport: t.dport };
}

/** IPv4 Total Length or 40 + IPv6 Payload Length; call only on a packet peekIp accepted. */
export function ipTotalLength(pkt: Uint8Array): number {
  const hi = (pkt[0] as number) >> 4 === 4 ? 2 : 4;
  const n = ((pkt[hi] as number) << 8) | (pkt[hi + 1] as number);
  return hi === 2 ? n : IPV6_HEADER_LEN + n;
}

export interface UpperLayer {
  /** offset of the upper-layer header */
  readonly offset: number;
  /** end of the packet (total length) */
  readonly end: number;
  readonly fragment: boolean;
}

/** Where the upper-layer header starts, or undefined for a malformed packet. */
export function upperLayer(pkt: Uint8Array): UpperLayer | undefined {
  if (pkt.length < 1) return undefined;
  const v = (pkt[0] as number) >> 4;
  if (v === 4) {
    if (pkt.length < 20) return undefined;
    const ihl = ((pkt[0] as number) & 0x0f) * 4;
    const end = ((pkt[2] as number) << 8) | (pkt[3] as number);
    if (ihl < 20 || end < ihl || end > pkt.length) return undefined;
    const frag = (((pkt[6] as number) << 8) | (pkt[7] as number)) & 0x3fff; // MF + offset
    return { offset: ihl, end, fragment: frag !== 0 };
  }
  if (v === 6) {
    if (pkt.length < IPV6_HEADER_LEN) return undefined;
    const end = IPV6_HEADER_LEN + (((pkt[4] as number) << 8) | (pkt[5] as number));
    if (end > pkt.length) return undefined;
    const chain = walkIpv6Chain(pkt, pkt[6] as number, IPV6_HEADER_LEN, end);
    if (isChainFault(chain)) return undefined;
    return { offset: chain.headerLen, end, fragment: chain.fragment !== undefined };
  }
  return undefined;
}

const PORT_PROTOCOLS_MASK = (proto: number): boolean => proto === 6 || proto === 17 || proto === 132 || proto === 136;

/**
 * peekIp + fillTuple in one pass without intermediate objects (the per-packet path): fills
 * `t` and returns the IP version, or 0 for a packet peekIp would reject. Ports (or ICMP
 * type/code) only on first fragments with the 4 (2) bytes present, as peekIp.
 */
export function peekTuple(pkt: Uint8Array, t: MutableTuple): 0 | 4 | 6 {
  const n = pkt.length;
  if (n < 1) return 0;
  const v = (pkt[0] as number) >> 4;
  let l4: number;
  let end: number;
  let proto: number;
  let first: boolean;
  if (v === 4) {
    const ihl = ((pkt[0] as number) & 0x0f) * 4;
    if (ihl < 20 || n < ihl) return 0;
    end = ((pkt[2] as number) << 8) | (pkt[3] as number);
    if (end < ihl || end > n) return 0;
    proto = pkt[9] as number;
    if (t instanceof OwnedTuple) t.addresses(pkt, 12, 4);
    else {
      t.src = pkt.subarray(12, 16);
      t.dst = pkt.subarray(16, 20);
    }
    l4 = ihl;
    first = ((((pkt[6] as number) << 8) | (pkt[7] as number)) & 0x1fff) === 0;
  } else if (v === 6) {
    if (n < IPV6_HEADER_LEN) return 0;
    end = IPV6_HEADER_LEN + (((pkt[4] as number) << 8) | (pkt[5] as number));
    if (end > n) return 0;
    const nh = pkt[6] as number;
    if (nh === 0 || nh === 43 || nh === 44 || nh === 60) {
      const chain = walkIpv6Chain(pkt, nh, IPV6_HEADER_LEN, end);
      if (isChainFault(chain)) return 0;
      proto = chain.protocol;
      l4 = chain.headerLen;
      first = chain.fragment === undefined || chain.fragment.offset === 0;
    } else {
      proto = nh;
      l4 = IPV6_HEADER_LEN;
      first = true;
    }
    if (t instanceof OwnedTuple) t.addresses(pkt, 8, 16);
    else {
      t.src = pkt.subarray(8, 24);
      t.dst = pkt.subarray(24, 40);
    }
  } else {
    return 0;
  }
  t.proto = proto;
  t.sport = 0;
  t.dport = 0;
  if (first) {
    if (PORT_PROTOCOLS_MASK(proto) && l4 + 4 <= end) {
      t.sport = ((pkt[l4] as number) << 8) | (pkt[l4 + 1] as number);
      t.dport = ((pkt[l4 + 2] as number) << 8) | (pkt[l4 + 3] as number);
    } else if ((proto === 1 || proto === 58) && l4 + 2 <= end) {
      t.sport = pkt[l4] as number;
      t.dport = pkt[l4 + 1] as number;
    }
  }
  return v;
}
