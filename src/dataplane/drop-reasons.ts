/**
 * Why the data plane dropped a packet. Every drop is counted under exactly one reason
 * (STYLE.md §3.5: the data path never throws); docs/dataplane.md explains each one.
 */

import { DROP_REASONS as ESP_DROP_REASONS } from '../esp/types.js';
import { DEMUX_DROP_REASONS } from '../udpencap/demux.js';

export const DATAPLANE_ONLY_DROP_REASONS = [
  'bad-packet', // not a well-formed IP packet (from TUN, or the inner packet after decryption)
  'fragment', // an IP fragment offered to a transport-mode SA (RFC 4303 §3.3.4: whole datagrams only)
  'no-policy', // outbound: no SPD entry matched, or a bypass ('none') entry did
  'policy-discard', // outbound: the matching SPD entry says discard (RFC 4301 §5.1 step 3a)
  'policy-mismatch', // inbound: the packet does not match an ipsec policy that names its SA (RFC 4301 §5.2)
  'no-sa', // outbound: no SA and the key engine did not hold the packet for ACQUIRE
  'sa-unusable', // the SA's keys were refused by the ESP engine or the crypto backend
  'no-listener', // no UDP listener for the SA's NAT-T source port (or an unknown listener id)
  'ambiguous-spi', // wildcard listener: several SAs could own this SPI and our address is unknown
  'family-mismatch', // IKE or ESP toward a peer of the other address family than the listener
] as const;

export const DATAPLANE_DROP_REASONS = [
  ...ESP_DROP_REASONS,
  ...DEMUX_DROP_REASONS,
  ...DATAPLANE_ONLY_DROP_REASONS,
] as const;

export type DataplaneDropReason = (typeof DATAPLANE_DROP_REASONS)[number];

export type DropCounters = Record<DataplaneDropReason, number>;

export function newDropCounters(): DropCounters {
  const c = {} as DropCounters;
  for (const r of DATAPLANE_DROP_REASONS) c[r] = 0;
  return c;
}
