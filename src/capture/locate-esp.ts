/**
 * Find the ESP packet inside one captured IP packet (RFC 4303 §2, RFC 3948 §2.1,
 * draft-ietf-ipsec-udp-encaps-00 §2.1, Cisco IPsec-over-UDP), using the SA table to
 * know which UDP ports carry which framing.
 *
 *   IP (proto 50) | ESP                                   raw ESP
 *   IP (proto 17) | UDP sport/dport of an SA | ESP         rfc3948, cisco-udp
 *   IP (proto 17) | UDP | 00*8 | ESP                        udp-encaps-00 (IKE port)
 *   IP (proto 17) | UDP 4500 | 00 00 00 00 | IKE            ignored: ike
 *   IP (proto 17) | UDP | FF                                ignored: keepalive
 */
import type { SaConfig } from '../sad/sa-config.js';
import { demux, type PortRole } from '../udpencap/demux.js';
import { WireError } from '../util/errors.js';
import { decodeIpPacket, type IpPacketInfo } from '../wire/ip/ip-packet.js';
import { decodeUdp } from '../wire/ip/udp.js';

const IPPROTO_ESP = 50;
const IPPROTO_UDP = 17;
const IKE_PORT = 500;
const NAT_T_PORT = 4500;

export type IgnoreReason = 'ike' | 'keepalive' | 'no-esp' | 'non-ip' | 'fragment' | 'malformed' | 'bad-encap';

export type Located =
  | {
      readonly kind: 'esp';
      readonly ip: IpPacketInfo;
      /** the IP packet, trimmed to its total length */
      readonly packet: Uint8Array;
      readonly esp: Uint8Array;
      /** true when the ESP came inside UDP */
      readonly udp: boolean;
    }
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason; readonly detail: string };

function roleOf(type: SaConfig['encapsulation']['type']): PortRole {
  if (type === 'udp-encaps-00') return 'ike-encaps-00';
  if (type === 'cisco-udp') return 'cisco-udp';
  return 'natt';
}

/** The UDP port role for a datagram: an SA whose ports match, else the well-known IKE/NAT-T ports. */
function udpRole(sas: readonly SaConfig[], sport: number, dport: number): PortRole | undefined {
  const udpSas = sas.filter((s) => s.encapsulation.type !== 'none');
  const exact = udpSas.find((s) => s.encapsulation.sport === sport && s.encapsulation.dport === dport);
  // a NAT may have rewritten the source port: the destination port still tells
  const match = exact ?? udpSas.find((s) => s.encapsulation.dport === dport);
  if (match) return roleOf(match.encapsulation.type);
  if (sport === NAT_T_PORT || dport === NAT_T_PORT) return 'natt';
  if (sport === IKE_PORT || dport === IKE_PORT) return 'ike';
  return undefined;
}

/** Classify one IP packet. Never throws: malformed input is `ignored: malformed`. */
export function locateEsp(pkt: Uint8Array, sas: readonly SaConfig[]): Located {
  let ip: IpPacketInfo;
  try {
    ip = decodeIpPacket(pkt, 'ip');
  } catch (e) {
    if (e instanceof WireError) return { kind: 'ignored', reason: 'malformed', detail: e.message };
    throw e;
  }
  const packet = pkt.subarray(0, ip.totalLen);
  // ESP inside an IP fragment cannot be opened without reassembly, which the capture tools do not do
  if (ip.isFragment) return { kind: 'ignored', reason: 'fragment', detail: `IP fragment (protocol ${ip.protocol})` };
  const body = packet.subarray(ip.headerLen);
  if (ip.protocol === IPPROTO_ESP) return { kind: 'esp', ip, packet, esp: body, udp: false };
  if (ip.protocol !== IPPROTO_UDP) return { kind: 'ignored', reason: 'no-esp', detail: `IP protocol ${ip.protocol}` };
  let udp: ReturnType<typeof decodeUdp>;
  try {
    udp = decodeUdp(body, 'udp');
  } catch (e) {
    if (e instanceof WireError) return { kind: 'ignored', reason: 'malformed', detail: e.message };
    throw e;
  }
  const role = udpRole(sas, udp.sport, udp.dport);
  if (!role) return { kind: 'ignored', reason: 'no-esp', detail: `UDP ${udp.sport} -> ${udp.dport}` };
  const d = demux(role, udp.payload);
  switch (d.kind) {
    case 'esp':
      return { kind: 'esp', ip, packet, esp: d.esp, udp: true };
    case 'ike':
      return { kind: 'ignored', reason: 'ike', detail: `IKE on UDP ${udp.sport} -> ${udp.dport}` };
    case 'keepalive':
      return { kind: 'ignored', reason: 'keepalive', detail: `NAT-keepalive on UDP ${udp.sport} -> ${udp.dport}` };
    case 'drop':
      return { kind: 'ignored', reason: 'bad-encap', detail: `${d.reason} on UDP ${udp.sport} -> ${udp.dport}` };
  }
}
