/**
 * The static description of one ESP SA: what an SA file entry, a PF_KEY ADD/UPDATE
 * or an IKE daemon installs. Runtime state (sequence counters, replay window,
 * crypto contexts, byte counters) lives in the ESP engine's EspSa.
 */
import type { EncrAlgorithm, IntegAlgorithm } from '../crypto/suites.js';
import type { IpAddr } from '../util/ip-addr.js';

export type Mode = 'tunnel' | 'transport';

/**
 * UDP encapsulation of ESP (docs/encapsulation.md):
 * - none: raw ESP, IP protocol 50
 * - rfc3948: ESP right after the UDP header (RFC 3948 §2.1; udp-encaps-02+, nat-t-ike-02+)
 * - udp-encaps-00: 8-byte non-IKE marker before ESP, on the IKE port (draft-ietf-ipsec-udp-encaps-00/01 §2.1)
 * - cisco-udp: ESP right after the UDP header on the port from Mode Config attribute 28677
 */
export type EncapType = 'none' | 'rfc3948' | 'udp-encaps-00' | 'cisco-udp';

/** NAT keepalive payload: 0xFF (RFC 3948 §2.3) or vpnc's cisco-udp 00 00 00 00 FF. */
export type KeepaliveFormat = 'ff' | '00000000ff';

export interface Encapsulation {
  readonly type: EncapType;
  /** outer UDP source port of the packets this SA carries (0 when type is none) */
  readonly sport: number;
  /** outer UDP destination port of the packets this SA carries (0 when type is none) */
  readonly dport: number;
  readonly keepalive?: KeepaliveFormat;
}

export interface Lifetime {
  readonly softBytes?: bigint;
  readonly hardBytes?: bigint;
  readonly softPackets?: bigint;
  readonly hardPackets?: bigint;
}

export interface SaConfig {
  /** ESP SPI, uint32; never 0, and 1-255 are reserved (RFC 4303 §2.1) */
  readonly spi: number;
  /** outer (tunnel) or packet (transport) source address */
  readonly src: IpAddr;
  readonly dst: IpAddr;
  readonly mode: Mode;
  /** key is the keying material: cipher key followed by the salt where the suite has one */
  readonly encryption: { readonly algorithm: EncrAlgorithm; readonly key: Uint8Array };
  readonly integrity: { readonly algorithm: IntegAlgorithm; readonly key: Uint8Array };
  readonly encapsulation: Encapsulation;
  /** RFC 4303 §2.2.1 extended (64-bit) sequence numbers */
  readonly esn: boolean;
  /** anti-replay window in packets; 0 disables (RFC 4303 §3.4.3) */
  readonly replayWindow: number;
  /** outbound: sequence number of the first packet sent; inbound: the replay window starts just below it */
  readonly seq: bigint;
  /**
   * RFC 3947 §5.2 NAT-OA, transport mode only: the original (pre-NAT) addresses of the
   * packet's source and destination, used for the RFC 3948 §3.1.2 checksum fix-up.
   */
  readonly natOa?: { readonly src?: IpAddr; readonly dst?: IpAddr };
  readonly lifetime?: Lifetime;
  /** RFC 4303 §2.4 TFC padding: pad the inner payload up to this many bytes (outbound) */
  readonly tfcPadTo?: number;
  /**
   * Send NAT keepalives toward the peer of this (outbound, UDP-encapsulated) SA, in
   * encapsulation.keepalive format, when nothing else was sent for the interval: the
   * side behind the NAT does this (RFC 3948 §4, RFC 3947 §3.2).
   */
  readonly natKeepalive?: boolean;
  /**
   * Follow the peer when authenticated, non-replayed ESP for this (inbound) SA arrives
   * from a new address or port: only the side NOT behind the NAT may (RFC 3947 §7,
   * RFC 7296 §2.23). A manually keyed gateway learns a NATed client's port this way.
   */
  readonly natFloat?: boolean;
}
