import type { SaEntry } from '../sad/sa-entry.js';
import { buildIpPacket } from '../wire/ip/ip-packet.js';
import { natOaFixupIncremental } from '../wire/ip/nat-oa.js';

/**
 * RFC 3948 §3.1.2 / RFC 4303 §3.1.1: rebuild a transport-mode packet with the SA's
 * addresses (src = the peer as received, dst = us) and fix the TCP/UDP checksum from the
 * NAT-OA original addresses to those (method 1, incremental). Undefined when malformed.
 */
export function rebuildTransport(entry: SaEntry, protocol: number, payload: Uint8Array): Uint8Array | undefined {
  const src = entry.src.bytes;
  const dst = entry.dst.bytes;
  if (payload.length + (src.length === 4 ? 20 : 40) > 0xffff) return undefined;
  const oa = entry.cfg?.natOa;
  if (oa && (oa.src || oa.dst)) {
    const fix = natOaFixupIncremental(protocol, payload, { src, dst }, { src: oa.src?.bytes, dst: oa.dst?.bytes });
    if (fix === 'truncated' || fix === 'bad-address') return undefined;
  }
  return buildIpPacket({ src, dst, protocol, payload });
}
