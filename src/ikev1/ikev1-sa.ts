/**
 * One IKEv1 phase 1 SA (ISAKMP SA) as the Main Mode exchange builds it (RFC 2409 §5).
 * `initiator` is the role in phase 1; the cookies are the header SPIs.
 */
import type { ChildConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import type { KeyExchange } from '../crypto/ike/key-exchange.js';
import type { Ikev1Skeyids } from '../crypto/ikev1/ikev1-keymat.js';
import type { ChildSaPlan } from '../ike/child-sa-plan.js';
import { type IkeId, parseIdentity } from '../ike/identity.js';
import type { Endpoint } from '../ike/natd.js';
import type { Phase1Suite } from './phase1-proposal.js';
import { type NattSpec, offeredVariants } from './vendor-ids.js';

/**
 * Main Mode states, named after the last message handled: the initiator waits in
 * `mm1-sent`, `mm3-sent`, `mm5-sent`; the responder in `mm2-sent`, `mm4-sent`.
 */
export type MainModeState =
  | 'mm1-sent'
  | 'mm2-sent'
  | 'mm3-sent'
  | 'mm4-sent'
  | 'mm5-sent'
  /** Aggressive Mode initiator waiting for AM2, responder waiting for AM3 (RFC 2409 §5.4) */
  | 'am1-sent'
  | 'am2-sent'
  | 'established'
  | 'failed';

export interface Ikev1Sa {
  readonly id: number;
  readonly initiator: boolean;
  /** phase 1 is Aggressive Mode (RFC 2409 §5.4) rather than Main Mode */
  aggressive?: boolean;
  conn: ConnectionConfig;
  spiI: bigint;
  spiR: bigint;
  state: MainModeState;
  /** our address/port and the peer's as we see them (after any float) */
  local: Endpoint;
  remote: Endpoint;
  /** NAT-T variants we offered (initiator) or accept (responder), and the one chosen */
  offered: NattSpec[];
  natt?: NattSpec;
  localBehindNat: boolean;
  remoteBehindNat: boolean;
  /** Aggressive Mode responder: IDii_b as received (HASH_I covers it) */
  peerIdBody?: Uint8Array;
  /** the initiator's SA payload body (SAi_b of HASH_I/HASH_R, §5) */
  saiB?: Uint8Array;
  suite?: Phase1Suite;
  ke?: KeyExchange;
  gxi?: Uint8Array;
  gxr?: Uint8Array;
  nonceI?: Uint8Array;
  nonceR?: Uint8Array;
  keys?: Ikev1Skeyids;
  /** the ISAKMP encryption key (Appendix B Ka) */
  encKey?: Uint8Array;
  /** the CBC IV for the next phase 1 message; after MM6 the last phase 1 block */
  iv?: Uint8Array;
  localId: IkeId;
  remoteId?: IkeId;
  /** the last message we sent and where to (resent on retransmit or on a duplicate) */
  lastSent?: { bytes: Uint8Array; local: Endpoint; remote: Endpoint };
  /** the last message we accepted, to tell a retransmission from a new message */
  lastReceived?: Uint8Array;
  /** sends of `lastSent` so far (initiator retransmissions) and when the next is due */
  sends: number;
  /** when the SA was created (a responder's half-open timeout runs from here) */
  createdAt: number;
  retransmitAt?: number;
  failure?: string;
  requestId?: number;
  /** initiator: the children to start Quick Mode for once phase 1 is up */
  pendingChildren?: string[] | undefined;
  /** initiator: the children `up` asked for (a phase 1 rekey that cannot adopt re-creates them) */
  askedChildren?: string[];
  /**
   * client of a phase 1 rekey: the virtual IP to ask Mode Config for again (INTERNAL_IP4_ADDRESS
   * with the current address, as strongSwan's mode_config.c and Cisco clients do)
   */
  requestedVip?: Uint8Array;
  /** the last CBC block of phase 1 (MM6): the seed of every phase 2 IV (RFC 2409 Appendix B) */
  phase1LastBlock?: Uint8Array;
  /** the peer sent the FRAGMENTATION vendor ID (isakmp-fragments.ts) */
  peerFragmentation?: boolean;
  /** the fragmented message being reassembled, and the Fragment ID of our next fragmented one */
  reassembly?: Reassembly | undefined;
  nextFragmentId?: number;
  /** the peer sent a CR payload in phase 1 (it gets our certificate, main-mode-pubkey.ts) */
  peerCertreq?: boolean;
  /** the peer sent the RFC 3706 DPD vendor ID in phase 1 */
  peerDpd?: boolean;
  /** RFC 3706 liveness checks (with a DPD-capable peer and dpd_delay > 0) */
  dpd?: DpdState;
  /** XAUTH (draft-ietf-ipsec-isakmp-xauth-06) as gateway: pending until the user is checked */
  xauth?: { state: 'pending' | 'done' | 'failed'; user?: string };
  /** virtual IPs the gateway assigned us by Mode Config (client) */
  vipsLocal?: Uint8Array[];
  /** client: the children after Mode Config (one per Unity split include network, mode-config-client.ts) */
  clientChildren?: ChildConfig[];
  /** client, Cisco UDP: our ESP port (the connection's cisco_udp_port; `ciscoUdpPort` is the gateway's) */
  ciscoUdpLocalPort?: number;
  /** virtual IPs leased to the peer by Mode Config (gateway) */
  vipsRemote: Uint8Array[];
  /** Cisco UDP encapsulation agreed in Mode Config (attribute 28677): ESP in UDP to/from this port */
  ciscoUdpPort?: number;
  /** the pool leases behind `vipsRemote`, released with the SA */
  leases?: { pool: string; who: string; address: string }[];
  /** the CHILD SAs Quick Mode installed */
  children: Ikev1Child[];
  /** authenticated messages received under this SA (phase 2, Informational, Transaction) */
  authIn?: number;
  /** phase 1 lifetime and rekeying (phase1-rekey.ts), set once established */
  life?: Phase1Life;
  /** a Main Mode (or, for an Aggressive Mode SA, an Aggressive Mode) started to replace this older SA (phase 1 rekey) */
  replaces?: Ikev1Sa | undefined;
}

/**
 * When an ISAKMP SA is rekeyed and expires (RFC 2409 has no rekey exchange: a new Main Mode
 * replaces it, as strongSwan reauthenticates IKEv1 SAs). Times are the engine clock's ms.
 */
export interface Phase1Life {
  /** the negotiated lifetime, seconds (the chosen transform, lowered by RESPONDER-LIFETIME) */
  seconds: number;
  establishedAt: number;
  /** the original initiator starts a new Main Mode here */
  rekeyAt?: number;
  /** the SA is deleted here (hard lifetime) */
  expiresAt: number;
  /** a new phase 1 to replace this SA is under way (initiator), or done */
  successor?: Ikev1Sa;
  /** replaced: a Delete goes to the peer and the SA is removed here */
  retireAt?: number;
}

/** One phase 2 SA pair (RFC 2409 §5.5) as installed through PF_KEY. */
export interface Ikev1Child {
  name: string;
  plan: ChildSaPlan;
  spiIn: number;
  spiOut: number;
  /** ESP transform, for listings */
  algorithms: string;
  installedAt: number;
  /** a Quick Mode to replace it is under way */
  rekeying?: boolean;
  /** the ISAKMP SA it was adopted from by a phase 1 rekey (phase1-rekey.ts) */
  adoptedFrom?: number;
}

/** RFC 3706 §5.5 state of one SA's liveness checks. */
export interface DpdState {
  /** the sequence number of our next R-U-THERE (random start, high bit clear, §5.5) */
  seq: number;
  /** unanswered R-U-THEREs: the first sequence number, when the first and the last went out */
  pending?: { firstSeq: number; firstAt: number; lastAt: number };
  /** when we last heard from the peer (an authenticated message) */
  lastHeard: number;
}

/** A new ISAKMP SA in its first state; our identity is the connection's `local.id`, else our address. */
export function createIkev1Sa(
  id: number,
  conn: ConnectionConfig,
  initiator: boolean,
  local: Endpoint,
  remote: Endpoint,
  spiI: bigint,
  spiR: bigint,
  now: number,
): Ikev1Sa {
  const localId: IkeId = conn.local[0]?.id ? parseIdentity(conn.local[0].id) : { type: 1, data: local.address };
  return {
    id,
    initiator,
    conn,
    spiI,
    spiR,
    state: 'mm1-sent',
    local,
    remote,
    offered: offeredVariants(conn.nattMode),
    localBehindNat: false,
    remoteBehindNat: false,
    localId,
    sends: 0,
    createdAt: now,
    children: [],
    vipsRemote: [],
  };
}

/** A Cisco-fragmented message being reassembled on one SA (isakmp-fragments.ts). */
export interface Reassembly {
  fragmentId: number;
  startedAt: number;
  /** the last fragment's number, once seen */
  last?: number;
  parts: Map<number, Uint8Array>;
  octets: number;
}
