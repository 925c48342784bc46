/**
 * RFC 3948 §3.1.2 Transport Mode Decapsulation NAT Procedure: fix the TCP/UDP checksum
 * of a decapsulated transport-mode packet whose IP addresses were rewritten by a NAT.
 *
 *   sender (behind NAT) computed the checksum over   NAT-OA src, NAT-OA dst  (RFC 3947 §5.2)
 *   the packet arrives carrying                      received src, received dst
 *
 *   1. incremental: "subtract the IP source address in the received packet from the
 *      checksum, add the real IP source address received via IKE (NAT-OA)", same for the
 *      destination; the operations cancel when the addresses are equal. In terms of the
 *      one's complement *sum* this removes NAT-OA and adds the received address, so
 *      checksumAdjust(HC, removed = NAT-OA, added = received) (RFC 1624 §3 Eqn. 3).
 *   2. recompute the checksum over the received addresses.
 *
 *   TCP checksum at segment offset 16, UDP at offset 6 (RFC 793 §3.1, RFC 768).
 *   A UDP checksum of 0 over IPv4 means "not computed" and stays 0 (RFC 768, RFC 3948 §2.1).
 *
 * Both functions work in place on the segment and never throw (data path).
 */
import { checksumAdjust, IPPROTO_TCP, IPPROTO_UDP, tcpChecksum, udpChecksum } from './checksum.js';

export interface AddressPair {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** NAT-OA original addresses; an absent one is taken as unchanged. */
export interface NatOaAddresses {
  readonly src?: Uint8Array | undefined;
  readonly dst?: Uint8Array | undefined;
}

/**
 * 'fixed': checksum field rewritten (possibly to the same value); 'no-checksum': UDP
 * checksum 0 left alone; 'truncated': segment shorter than its header; 'not-tcp-udp':
 * protocol is neither 6 nor 17 (nothing to do); 'bad-address': address lengths differ.
 */
export type NatOaFixupResult = 'fixed' | 'no-checksum' | 'truncated' | 'not-tcp-udp' | 'bad-address';

function checksumOffset(protocol: number, seg: Uint8Array): number | NatOaFixupResult {
  if (protocol === IPPROTO_TCP) return seg.length < 20 ? 'truncated' : 16;
  if (protocol === IPPROTO_UDP) return seg.length < 8 ? 'truncated' : 6;
  return 'not-tcp-udp';
}

/**
 * RFC 3948 §3.1.2 method 1: incremental fix-up from the NAT-OA addresses. A UDP checksum
 * of 0 is left as it is ('no-checksum'): over IPv4 it means "not computed"; over IPv6 it is
 * invalid anyway (RFC 8200 §8.1) and the receiving stack drops it.
 */
export function natOaFixupIncremental(
  protocol: number,
  segment: Uint8Array,
  received: AddressPair,
  original: NatOaAddresses,
): NatOaFixupResult {
  const at = checksumOffset(protocol, segment);
  if (typeof at !== 'number') return at;
  const family = received.src.length;
  const oSrc = original.src ?? received.src;
  const oDst = original.dst ?? received.dst;
  if (received.dst.length !== family || oSrc.length !== family || oDst.length !== family) return 'bad-address';
  let hc = ((segment[at] as number) << 8) | (segment[at + 1] as number);
  if (protocol === IPPROTO_UDP && hc === 0) return 'no-checksum';
  hc = checksumAdjust(hc, oSrc, received.src);
  hc = checksumAdjust(hc, oDst, received.dst);
  if (protocol === IPPROTO_UDP && hc === 0) hc = 0xffff;
  segment[at] = hc >> 8;
  segment[at + 1] = hc & 0xff;
  return 'fixed';
}

/**
 * RFC 3948 §3.1.2 method 2: recompute the checksum over `addrs` (the addresses the packet
 * carries after decapsulation). A UDP checksum of 0 over IPv4 stays 0 ('no-checksum');
 * over IPv6 it is computed (RFC 8200 §8.1).
 */
export function natOaFixupRecompute(protocol: number, segment: Uint8Array, addrs: AddressPair): NatOaFixupResult {
  const at = checksumOffset(protocol, segment);
  if (typeof at !== 'number') return at;
  if (addrs.src.length !== addrs.dst.length || (addrs.src.length !== 4 && addrs.src.length !== 16)) {
    return 'bad-address';
  }
  let hc: number;
  if (protocol === IPPROTO_UDP) {
    if (segment[6] === 0 && segment[7] === 0 && addrs.src.length === 4) return 'no-checksum';
    hc = udpChecksum(addrs.src, addrs.dst, segment);
  } else {
    hc = tcpChecksum(addrs.src, addrs.dst, segment);
  }
  segment[at] = hc >> 8;
  segment[at + 1] = hc & 0xff;
  return 'fixed';
}
