/**
 * What goes into the UDP payload for each encapsulation (docs/encapsulation.md).
 *
 * rfc3948 (RFC 3948 §2; udp-encaps-02 .. -09; port 4500 or the floated ports)
 *   ESP:       | UDP hdr | SPI (≠ 0) | Seq | ... ESP ...                |   §2.1
 *   IKE:       | UDP hdr | 00 00 00 00 (Non-ESP Marker) | IKE hdr | ... |   §2.2
 *   keepalive: | UDP hdr | FF |                                            §2.3
 * udp-encaps-00 (draft-ietf-ipsec-udp-encaps-00/01 §2.1; IKE port 500, no float)
 *   ESP:       | UDP hdr | 00 x 8 (Non-IKE Marker) | SPI | Seq | ...     |
 *   IKE:       | UDP hdr | IKE hdr (Initiator Cookie ≠ 0) | ...         |
 *   keepalive: | UDP hdr | FF |
 * cisco-udp (vpnc tunip.c, Shrew ike.io.pfkey.cpp; port from Mode-Config attr 0x7005)
 *   ESP:       | UDP hdr | SPI | Seq | ...                              |
 *   IKE:       never on this port (stays plain on 500)
 *   keepalive: | UDP hdr | FF |  (Shrew)   or   | UDP hdr | 00 00 00 00 FF | (vpnc)
 */
import { assert } from '../util/errors.js';

/** Same spellings as SaConfig's EncapType (minus 'none'), so values pass straight through. */
export type Framing = 'rfc3948' | 'udp-encaps-00' | 'cisco-udp';
/** Same spellings as SaConfig's KeepaliveFormat. */
export type KeepaliveFormat = 'ff' | '00000000ff';

/** IKE port (RFC 7296 §2; RFC 2408) and NAT-T port (RFC 3947 §4, RFC 3948 §2). */
export const IKE_PORT = 500;
export const NAT_T_PORT = 4500;
/** Usual Cisco "IPsec over UDP" port (ASA; vpnc --udp-port default), protocol-facts §3. */
export const CISCO_UDP_DEFAULT_PORT = 10000;

/** RFC 3948 §2.2 Non-ESP Marker length (4 zero bytes before IKE). */
export const NON_ESP_MARKER_LEN = 4;
/** draft-ietf-ipsec-udp-encaps-00 §2.1 Non-IKE Marker length (8 zero bytes before ESP). */
export const NON_IKE_MARKER_LEN = 8;
/** IKE (ISAKMP / IKEv2) fixed header length, RFC 2408 §3.1, RFC 7296 §3.1. */
export const IKE_HEADER_LEN = 28;

const EMPTY = new Uint8Array(0);
const NON_IKE_MARKER = new Uint8Array(NON_IKE_MARKER_LEN);

/**
 * Bytes that precede ESP in the UDP payload: none for rfc3948 and cisco-udp, the 8-byte
 * Non-IKE Marker for udp-encaps-00. Treat the result as read-only.
 */
export function espPrefix(framing: Framing): Uint8Array {
  return framing === 'udp-encaps-00' ? NON_IKE_MARKER : EMPTY;
}

/**
 * The UDP payload carrying `esp`: the prefix followed by the ESP packet. With `out`, writes
 * there and returns a view of it (`esp` may already sit in `out` at the prefix offset);
 * asserts that `out` is large enough (programmer error).
 */
export function frameEsp(framing: Framing, esp: Uint8Array, out?: Uint8Array): Uint8Array {
  const prefix = espPrefix(framing);
  const n = prefix.length + esp.length;
  const dst = out ?? new Uint8Array(n);
  assert(dst.length >= n, `frameEsp: output of ${dst.length} bytes, need ${n}`);
  // TypedArray.set copes with `esp` overlapping `dst` (ECMA-262 SetTypedArrayFromTypedArray).
  dst.set(esp, prefix.length);
  dst.fill(0, 0, prefix.length);
  return dst.subarray(0, n);
}

export interface UdpPorts {
  readonly sport: number;
  readonly dport: number;
}

/**
 * Whether IKE sent between `ports` carries the 4-byte Non-ESP Marker: only on an rfc3948
 * socket and only when neither port is 500 (RFC 3948 §2.2, RFC 3947 §4, RFC 7296 §2.23
 * "UDP encapsulation MUST NOT be done on port 500"; strongSwan sender.c). udp-encaps-00
 * keeps IKE unmarked (its §2.1 marks ESP instead); cisco-udp carries no IKE, which stays
 * plain on 500 (protocol-facts §3).
 */
export function ikeNeedsMarker(framing: Framing, ports: UdpPorts): boolean {
  return framing === 'rfc3948' && ports.sport !== IKE_PORT && ports.dport !== IKE_PORT;
}

/** The UDP payload carrying the IKE message `ike` (marker prepended when ikeNeedsMarker). */
export function frameIke(framing: Framing, ports: UdpPorts, ike: Uint8Array): Uint8Array {
  if (!ikeNeedsMarker(framing, ports)) return ike;
  const out = new Uint8Array(NON_ESP_MARKER_LEN + ike.length);
  out.set(ike, NON_ESP_MARKER_LEN);
  return out;
}

/**
 * A NAT-keepalive payload: `FF` (RFC 3948 §2.3; udp-encaps-00 §2.3) or vpnc's cisco-udp
 * `00 00 00 00 FF` (vpnc tunip.c, protocol-facts §3). A fresh array each call.
 */
export function keepalivePayload(format: KeepaliveFormat): Uint8Array {
  return format === 'ff' ? Uint8Array.of(0xff) : Uint8Array.of(0, 0, 0, 0, 0xff);
}
