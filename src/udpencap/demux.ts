/**
 * Receive-side demultiplexing of a UDP payload by the role of the local port
 * (protocol-facts §1.1, §4.7, §10). Pure, never throws; returned bytes are views.
 *
 *   role           payload                                   → result
 *   -------------  ----------------------------------------  -------------------------------
 *   any            (empty)                                   drop 'empty'
 *   any            FF (exactly 1 byte)                       keepalive        RFC 3948 §2.3
 *   'ike'          anything else, ≥ 28 bytes                 IKE as is        (500: no marker,
 *                                                                             strongSwan receiver.c)
 *   'natt'         from remote port 500: as 'ike'             (ports ≠ 500 only, facts §10)
 *                  00 00 00 00 | IKE (≥ 28)                  IKE, marker stripped  RFC 3948 §2.2
 *                  SPI ≠ 0 | Seq | ... (> 8 bytes)           ESP              RFC 3948 §2.1,
 *                                                                             xfrm4_udp_encap_rcv
 *   'ike-encaps-00' 00 x 8 | ESP, total > 16 bytes           ESP, 8 stripped  udp-encaps-00 §2.1,
 *                                                                             Linux ESPINUDP_NON_IKE
 *                  anything else                             IKE as is
 *   'cisco-udp'    00 00 00 00 FF                            keepalive        vpnc tunip.c
 *                  SPI ≠ 0 | Seq | ... (> 8 bytes)           ESP              vpnc/Shrew
 *                  00 00 00 00 | ...                         drop 'ike-on-cisco-port'
 * ESP with SPI 1..255 is dropped 'spi-reserved' (RFC 4303 §2.1: reserved by IANA).
 */

import { readU32 } from '../util/be-bytes.js';
import { type Framing, IKE_HEADER_LEN, IKE_PORT, NON_ESP_MARKER_LEN, NON_IKE_MARKER_LEN } from './framing.js';

/**
 * 'ike': UDP 500 in the RFC 3948 world (plain IKE, 1-byte keepalive tolerated);
 * 'natt': 4500 or any floated port (RFC 3948); 'ike-encaps-00': 500 shared with
 * udp-encaps-00 ESP; 'cisco-udp': the Cisco IPsec-over-UDP port (ESP only).
 */
export type PortRole = 'ike' | 'natt' | 'ike-encaps-00' | 'cisco-udp';

export const DEMUX_DROP_REASONS = [
  'empty', // zero-length UDP payload
  'short', // 1-3 bytes that are not a keepalive: too short for an SPI or a marker
  'short-esp', // ESP of 8 bytes or less (needs more than SPI+Seq; Linux xfrm4_udp_encap_rcv)
  'short-ike', // IKE shorter than its 28-byte header (after any marker)
  'spi-zero', // ESP SPI 0 after the udp-encaps-00 marker (RFC 4303 §2.1: never sent)
  'spi-reserved', // ESP SPI 1..255 (RFC 4303 §2.1: reserved by IANA)
  'ike-on-cisco-port', // Non-ESP-Marker packet on a cisco-udp port (IKE stays on 500)
] as const;

export type DemuxDropReason = (typeof DEMUX_DROP_REASONS)[number];

export type Demuxed =
  | { readonly kind: 'esp'; readonly esp: Uint8Array }
  | { readonly kind: 'ike'; readonly ike: Uint8Array }
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'drop'; readonly reason: DemuxDropReason };

const KEEPALIVE: Demuxed = { kind: 'keepalive' };
const drop = (reason: DemuxDropReason): Demuxed => ({ kind: 'drop', reason });

/** ESP view checks shared by every role: > 8 bytes (SPI + Seq), SPI not 0 or 1..255. */
function esp(p: Uint8Array): Demuxed {
  if (p.length <= 8) return drop('short-esp');
  const spi = readU32(p, 0);
  if (spi === 0) return drop('spi-zero');
  if (spi < 256) return drop('spi-reserved');
  return { kind: 'esp', esp: p };
}

function ike(p: Uint8Array): Demuxed {
  return p.length < IKE_HEADER_LEN ? drop('short-ike') : { kind: 'ike', ike: p };
}

/**
 * Classify one received UDP payload for a port of the given role (table above).
 * `remotePort` is the datagram's source port: on a 'natt' port a datagram from port 500
 * follows the 'ike' rules, since IKE to or from 500 never carries the marker (the mirror of
 * the transmit rule in framing.ts; strongSwan receiver.c applies the marker logic only
 * when neither port is 500). Never throws; `esp`/`ike` are views into `payload`.
 */
export function demux(role: PortRole, payload: Uint8Array, remotePort?: number): Demuxed {
  const n = payload.length;
  if (n === 0) return drop('empty');
  // RFC 3948 §2.3 (and udp-encaps-00 §2.3): a 1-byte 0xFF is a NAT-keepalive on every port.
  if (n === 1 && payload[0] === 0xff) return KEEPALIVE;
  switch (role) {
    case 'ike':
      // RFC 7296 §2.23 "UDP encapsulation MUST NOT be done on port 500": plain IKE only.
      return ike(payload);
    case 'ike-encaps-00':
      // udp-encaps-00 §2.1 / Linux UDP_ENCAP_ESPINUDP_NON_IKE: len > 16 and 8 zero bytes.
      if (n > NON_IKE_MARKER_LEN + 8 && readU32(payload, 0) === 0 && readU32(payload, 4) === 0) {
        return esp(payload.subarray(NON_IKE_MARKER_LEN));
      }
      return ike(payload);
    case 'natt':
      if (remotePort === IKE_PORT) return ike(payload);
      if (n < NON_ESP_MARKER_LEN) return drop('short');
      // RFC 3948 §2.2: the first word 0 (the Non-ESP Marker) can never be an ESP SPI.
      if (readU32(payload, 0) === 0) return ike(payload.subarray(NON_ESP_MARKER_LEN));
      return esp(payload);
    case 'cisco-udp':
      if (n < NON_ESP_MARKER_LEN) return drop('short');
      if (readU32(payload, 0) === 0) {
        // vpnc's cisco-udp keepalive 00 00 00 00 FF (protocol-facts §3).
        if (n === 5 && payload[4] === 0xff) return KEEPALIVE;
        return drop('ike-on-cisco-port');
      }
      return esp(payload);
  }
}

/**
 * The role of a local UDP port for a framing: udp-encaps-00 ESP shares the IKE port
 * ('ike-encaps-00', whatever its number); a cisco-udp port is 'cisco-udp'; with rfc3948,
 * 500 is 'ike' and any other port (4500, floated) is 'natt'.
 */
export function portRoleFor(framing: Framing, localPort: number): PortRole {
  if (framing === 'cisco-udp') return 'cisco-udp';
  if (framing === 'udp-encaps-00') return 'ike-encaps-00';
  return localPort === IKE_PORT ? 'ike' : 'natt';
}
