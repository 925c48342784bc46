/**
 * The installation plan of one CHILD SA (IKEv2) or phase 2 SA pair (IKEv1 Quick Mode): what the
 * daemon turns into PF_KEY UPDATE/ADD/SPDUPDATE (src/daemon/iked-kernel.ts). Both IKE
 * engines emit it, so the daemon has one way to install, update and remove SAs.
 */
import type { TrafficSelector } from '../config/traffic-selector.js';

/**
 * The framing of UDP-encapsulated ESP (docs/encapsulation.md): RFC 3948 (ESP right after the
 * UDP header, on the floated ports), draft-ietf-ipsec-udp-encaps-00/01 (8-byte non-IKE marker,
 * IKE ports) and Cisco's IPsec over UDP.
 */
export type EncapFraming = 'rfc3948' | 'udp-encaps-00' | 'cisco-udp';

/** One direction of a CHILD SA as PF_KEY installs it. */
export interface ChildSaKeys {
  spi: number;
  src: Uint8Array;
  dst: Uint8Array;
  encrKey: Uint8Array;
  integKey?: Uint8Array;
}

/** Everything the rim needs to install (or remove) one CHILD SA pair and its policies. */
export interface ChildSaPlan {
  ikeId: number;
  conn: string;
  child: string;
  reqid: number;
  mode: 'tunnel' | 'transport';
  /** IANA ENCR id and key length in bits (AEAD: without the salt) */
  encr: { id: number; keyBits?: number };
  /** IANA INTEG id, absent for AEAD */
  integ?: number;
  esn: boolean;
  replayWindow: number;
  inbound: ChildSaKeys;
  outbound: ChildSaKeys;
  /**
   * RFC 3948 UDP encapsulation when a NAT was detected (or faked): our port and the peer's
   * (the ports the IKE SA floated to, §2.23).
   */
  encap?: {
    localPort: number;
    remotePort: number;
    /** absent: RFC 3948 */
    framing?: EncapFraming;
    /** RFC 3947 §5.2 NAT-OA (transport mode): the original addresses of initiator and responder */
    oa?: { src?: Uint8Array; dst?: Uint8Array };
  };
  /** we are behind the NAT: send NAT keepalives (RFC 3948 §4) — ipsecd's NAT keepalive SA flag */
  keepalive: boolean;
  /**
   * the peer is behind a NAT: the inbound SA follows the peer to a new address/port after an
   * authenticated packet (RFC 7296 §2.23) — ipsecd's NAT float SA flag (docs/pfkey.md)
   */
  float: boolean;
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
  /**
   * The replacement of a CHILD SA the peer rekeyed (§1.3.3): install the inbound SA now, the
   * outbound one only with `activate-child`, when the peer deletes the old CHILD SA (it has
   * installed the new inbound SA by then), so no packet of ours arrives before its SA does.
   */
  deferOutbound?: boolean;
  /** lifetimes in seconds / bytes / packets (0 = none) */
  lifetime: {
    softSeconds: number;
    hardSeconds: number;
    softBytes: number;
    hardBytes: number;
    softPackets: number;
    hardPackets: number;
  };
}
