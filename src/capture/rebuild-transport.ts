/**
 * Transport-mode decapsulation (RFC 4303 §3.1.1, RFC 3948 §3.1.2): put the decrypted
 * upper-layer payload back behind the original IP header, with the protocol / next
 * header set to ESP's Next Header, lengths and the IPv4 header checksum recomputed,
 * any UDP encapsulation header removed, and the NAT-OA checksum fix-up applied.
 *
 *   received:  IP(proto 50 | 17) [UDP] ESP(... payload ... NH)
 *   rebuilt:   IP(proto NH) payload
 */
import type { IpPacketInfo } from '../wire/ip/ip-packet.js';
import { type NatOaFixupResult, natOaFixupIncremental } from '../wire/ip/nat-oa.js';

const IPV6_EXTENSIONS = new Set([0, 43, 60]); // hop-by-hop, routing, destination options (RFC 8200 §4)

/** Offset of the byte that names the protocol after the IP header chain. */
function protocolFieldOffset(pkt: Uint8Array, ip: IpPacketInfo): number {
  if (ip.version === 4) return 9;
  let at = 6;
  let nh = pkt[6] as number;
  let off = 40;
  while (IPV6_EXTENSIONS.has(nh) && off < ip.headerLen) {
    at = off;
    nh = pkt[off] as number;
    off += ((pkt[off + 1] as number) + 1) * 8;
  }
  return at;
}

function ipv4HeaderChecksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) if (i !== 10) sum += ((h[i] as number) << 8) | (h[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface RebuildResult {
  readonly packet: Uint8Array;
  readonly natOa: NatOaFixupResult | undefined;
}

/**
 * @param pkt the received outer packet (trimmed to its total length)
 * @param natOa RFC 3947 NAT-OA original addresses, when the SA has them
 */
export function rebuildTransport(
  pkt: Uint8Array,
  ip: IpPacketInfo,
  nextHeader: number,
  payload: Uint8Array,
  natOa: { src?: Uint8Array; dst?: Uint8Array } | undefined,
): RebuildResult {
  const out = new Uint8Array(ip.headerLen + payload.length);
  out.set(pkt.subarray(0, ip.headerLen));
  out.set(payload, ip.headerLen);
  out[protocolFieldOffset(out, ip)] = nextHeader;
  const v = new DataView(out.buffer);
  if (ip.version === 4) {
    v.setUint16(2, out.length);
    v.setUint16(10, ipv4HeaderChecksum(out.subarray(0, ip.headerLen)));
  } else {
    v.setUint16(4, out.length - 40);
  }
  let fix: NatOaFixupResult | undefined;
  if (natOa) {
    // RFC 3948 §3.1.2 method 1: the sender computed the checksum over the original addresses
    fix = natOaFixupIncremental(nextHeader, out.subarray(ip.headerLen), { src: ip.src, dst: ip.dst }, natOa);
  }
  return { packet: out, natOa: fix };
}
