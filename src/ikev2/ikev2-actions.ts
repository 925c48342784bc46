/**
 * What the IKEv2 core asks its rim to do (STYLE.md §3.6: synchronous and sans-IO; PF_KEY
 * replies come back as inputs). The daemon executes `send` through the IKE channel and the
 * SA/policy actions through PF_KEY (src/ike/kernel-requests.ts), then reports back with
 * `Ikev2Engine.spiAllocated` / `installFailed`.
 */

import type { TrafficSelector } from '../config/traffic-selector.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';

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
  encap?: { localPort: number; remotePort: number };
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

export type Ikev2Action =
  | { kind: 'send'; local: Endpoint; remote: Endpoint; bytes: Uint8Array }
  /** GETSPI for an inbound ESP SA from `src` (the peer) to `dst` (us); answer with spiAllocated(token, spi) */
  | { kind: 'get-spi'; token: number; src: Uint8Array; dst: Uint8Array; reqid: number }
  | { kind: 'install-child'; plan: ChildSaPlan }
  /** delete the SAs and policies of a CHILD SA (the plan it was installed with) */
  | { kind: 'remove-child'; plan: ChildSaPlan }
  /** install the deferred outbound SA of a rekeyed CHILD SA (see ChildSaPlan.deferOutbound) */
  | { kind: 'activate-child'; plan: ChildSaPlan }
  /** the peer moved (NAT rebinding): update both SAs' endpoints and encapsulation ports */
  | { kind: 'update-child'; plan: ChildSaPlan }
  /** a virtual IP we obtained (client) to put on the TUN, with the DNS servers offered */
  | { kind: 'vip-add'; ikeId: number; address: Uint8Array; dns: Uint8Array[] }
  | { kind: 'vip-remove'; ikeId: number; address: Uint8Array }
  | { kind: 'event'; event: IkeEvent }
  /** an `up` request finished: ok, or the reason it failed */
  | { kind: 'initiate-result'; requestId: number; ok: boolean; reason: string };
