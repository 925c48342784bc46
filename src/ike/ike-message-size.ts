/**
 * The largest IKE message (header included) one datagram may carry, for IKE fragmentation in
 * both versions (IKEv2 RFC 7383 §2.5.1; IKEv1's Cisco fragments, isakmp-fragments.ts):
 * `fragment_size` is the whole IP datagram, as strongSwan's charon.fragment_size; without IP
 * options, less the IPv4 (20) or IPv6 (40) header, UDP (8), and the non-ESP marker (4) off
 * port 500 (RFC 3948 §2.2). fragment_size 0 means strongSwan's family defaults, 576 for IPv4
 * and 1280 for IPv6.
 */
import type { HostSettings } from '../config/swanctl/swanctl-model.js';
import type { Endpoint } from './natd.js';

export function maxIkeMessageLength(host: HostSettings, local: Endpoint, remote: Endpoint): number {
  const v6 = remote.address.length === 16;
  let size = (v6 ? host.fragmentSizeV6 : host.fragmentSizeV4) || host.fragmentSize;
  if (size === 0) size = v6 ? 1280 : 576;
  const marker = local.port !== 500 && remote.port !== 500 ? 4 : 0;
  return size - (v6 ? 40 : 20) - 8 - marker;
}
