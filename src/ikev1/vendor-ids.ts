/**
 * IKEv1 Vendor IDs (RFC 2408 §3.16) esprit sends and recognises, and the NAT-T variants
 * they announce (../shared/docs/protocol-facts.md §1.6, §3, §7; VID values are MD5 of the
 * strings named, recomputed there and cross-checked against strongSwan, vpnc and Shrew).
 *
 * NAT-T: each side lists the variants it supports in MM1/MM2 (AM1/AM2); the highest version
 * both announced wins (racoon, Shrew and vpnc rank them the same way). The variant fixes the
 * NAT-D/NAT-OA payload numbers, the UDP-encapsulated modes of Quick Mode and whether IKE
 * floats to port 4500. Drafts 04-08 are recognised (their NAT-D number 15 collides with
 * RFC 3547) but never chosen, as strongSwan does.
 */
import type { NattMode, NattVariant } from '../config/swanctl/swanctl-model.js';
import { bytesEqual, fromHex } from '../util/hex.js';
import { EncapsulationMode, IsakmpPayloadType } from '../wire/registry/isakmp.js';

export interface NattSpec {
  readonly variant: NattVariant;
  readonly vid: Uint8Array;
  /** rank: a higher number is preferred */
  readonly rank: number;
  /** NAT-D / NAT-OA payload types */
  readonly natd: number;
  readonly natoa: number;
  /** Quick Mode ENCAPSULATION_MODE values for UDP-encapsulated tunnel / transport */
  readonly udpTunnel: number;
  readonly udpTransport: number;
  /**
   * IKE moves to port 4500 (with the non-ESP marker) at MM5 / AM3 when a NAT is seen; the
   * drafts 00/01 stay on 500 and frame ESP with the 8-octet non-IKE marker instead.
   */
  readonly float: boolean;
}

const draft = (variant: NattVariant, vid: string, rank: number, float: boolean): NattSpec => ({
  variant,
  vid: fromHex(vid),
  rank,
  natd: IsakmpPayloadType.NAT_D_DRAFT,
  natoa: IsakmpPayloadType.NAT_OA_DRAFT,
  udpTunnel: EncapsulationMode.UDP_TUNNEL_DRAFT,
  udpTransport: EncapsulationMode.UDP_TRANSPORT_DRAFT,
  float,
});

/** Highest rank first: the order esprit sends them in (as vpnc does). */
export const NATT_VARIANTS: readonly NattSpec[] = [
  {
    variant: 'rfc',
    vid: fromHex('4a131c81070358455c5728f20e95452f'),
    rank: 6,
    natd: IsakmpPayloadType.NAT_D,
    natoa: IsakmpPayloadType.NAT_OA,
    udpTunnel: EncapsulationMode.UDP_ENCAPSULATED_TUNNEL,
    udpTransport: EncapsulationMode.UDP_ENCAPSULATED_TRANSPORT,
    float: true,
  },
  draft('draft-03', '7d9419a65310ca6f2c179d9215529d56', 5, true),
  // the -02 text prints MD5 of the string with a trailing newline; peers send either
  draft('draft-02n', '90cb80913ebb696e086381b5ec427b1f', 4, true),
  draft('draft-02', 'cd60464335df21f87cfdb2fc68b6a448', 3, true),
  draft('draft-01', '16f6ca16e4a4066d83821a0f0aeaa862', 2, false),
  draft('draft-00', '4485152d18b6bbcd0be8a8469579ddcc', 1, false),
];

/** Other VIDs: XAUTH (8 octets), RFC 3706 DPD 1.0, Cisco Unity 1.0, Cisco fragmentation. */
export const VID = {
  XAUTH: fromHex('09002689dfd6b712'),
  DPD: fromHex('afcad71368a1f1c96b8696fc77570100'),
  CISCO_UNITY: fromHex('12f5f28c457168a9702d9fe274cc0100'),
  FRAGMENTATION: fromHex('4048b7d56ebce88525e7de7f00d6c2d380000000'),
} as const;

/** `natt_mode` of a connection: which variants to offer (Shrew force-rfc/force-draft, vpnc --natt-mode). */
export function offeredVariants(mode: NattMode): NattSpec[] {
  if (mode === 'none') return [];
  if (mode === 'all') return [...NATT_VARIANTS];
  return NATT_VARIANTS.filter((v) => mode.includes(v.variant));
}

/** The NAT-T variant a received VID announces, if any. */
export function nattOfVid(data: Uint8Array): NattSpec | undefined {
  return NATT_VARIANTS.find((v) => bytesEqual(v.vid, data));
}

/**
 * The variant to use: the highest-ranked one announced by the peer (`received` VIDs) that we
 * offer ourselves; undefined when there is none in common.
 */
export function chooseNatt(offered: readonly NattSpec[], received: readonly Uint8Array[]): NattSpec | undefined {
  let best: NattSpec | undefined;
  for (const data of received) {
    const v = nattOfVid(data);
    if (v && offered.some((o) => o.variant === v.variant) && (!best || v.rank > best.rank)) best = v;
  }
  return best;
}

export function hasVid(received: readonly Uint8Array[], vid: Uint8Array): boolean {
  return received.some((d) => bytesEqual(d, vid));
}
