/**
 * `--listen ADDR:PORT[/ROLE]` for `esprit ipsecd`: IPv4 `0.0.0.0:4500`, IPv6 in brackets
 * `[::]:500/ike`. The role says how datagrams on the port are demultiplexed
 * (docs/dataplane.md §2.1); without one, port 500 is `ike-encaps-00` (plain IKE, and ESP
 * behind the 8-byte Non-IKE Marker of draft-ietf-ipsec-udp-encaps-00/01, which also accepts
 * every IKE initiator) and any other port `natt` (RFC 3948).
 */
import type { ListenerSpec } from '../dataplane/listener.js';
import type { PortRole } from '../udpencap/demux.js';
import { tryParseIp } from '../util/ip-addr.js';

const ROLES: readonly PortRole[] = ['ike', 'natt', 'ike-encaps-00', 'cisco-udp'];

export function defaultRole(port: number): PortRole {
  return port === 500 ? 'ike-encaps-00' : 'natt';
}

export function parseListenSpec(s: string): ListenerSpec | { error: string } {
  const m = /^(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})(?:\/([a-z0-9-]+))?$/.exec(s);
  if (!m) return { error: 'expected ADDR:PORT[/ROLE] (IPv6 as [ADDR]:PORT)' };
  const addrText = m[1] ?? m[2] ?? '';
  const ip = tryParseIp(addrText);
  if (!ip) return { error: `not an IP address: ${addrText}` };
  if ((m[1] !== undefined) !== (ip.family === 6)) return { error: 'IPv6 addresses go in brackets, IPv4 without' };
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return { error: `port ${port} not in 1..65535` };
  const role = m[4];
  if (role !== undefined && !(ROLES as readonly string[]).includes(role))
    return { error: `unknown role ${role} (${ROLES.join(', ')})` };
  return { address: ip.text, port, role: (role as PortRole | undefined) ?? defaultRole(port) };
}

/** 0.0.0.0:500, 0.0.0.0:4500, [::]:500, [::]:4500 with the default roles. */
export function defaultListeners(): ListenerSpec[] {
  return [
    { address: '0.0.0.0', port: 500, role: 'ike-encaps-00' },
    { address: '0.0.0.0', port: 4500, role: 'natt' },
    { address: '::', port: 500, role: 'ike-encaps-00' },
    { address: '::', port: 4500, role: 'natt' },
  ];
}
