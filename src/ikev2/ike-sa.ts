/**
 * One IKEv2 SA: its SPIs, keys, endpoints, NAT state, message windows and CHILD SAs
 * (RFC 7296 §2). The exchanges (exchange-*.ts) read and write it; the engine owns the table.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import type { TrafficSelector } from '../config/traffic-selector.js';
import type { IkeSaKeys, IkeSuite } from '../crypto/ike/ike-keymat.js';
import type { KeyExchange } from '../crypto/ike/key-exchange.js';
import type { IkeId } from '../ike/identity.js';
import { IkeSaLifecycle } from '../ike/ike-sa-state.js';
import { MessageWindow } from '../ike/message-window.js';
import type { Endpoint } from '../ike/natd.js';
import type { SelectedProposal } from '../ike/proposal-select.js';
import { EMPTY_BYTES, noItems, packIkeSaKeys } from './compact-state.js';
import type { EapResponderState } from './eap-responder-state.js';
import type { ChildSaPlan } from './ikev2-actions.js';

/** A CHILD SA of this IKE SA (§1.3). */
export interface ChildSa {
  name: string;
  plan: ChildSaPlan;
  /** our inbound SPI (what the peer names in a Delete it sends is our outbound one) */
  spiIn: number;
  spiOut: number;
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
  proposal: SelectedProposal;
  installedAt: number;
  /** when to rekey it (rekey_time minus a random part of rand_time, §2.8), ms */
  rekeyAt?: number;
  /** a CREATE_CHILD_SA rekeying it is in flight: ours ('local') or the peer's ('peer') */
  rekeying?: 'local' | 'peer';
  /** we sent a Delete for it (§2.25.1: a rekey of it is answered TEMPORARY_FAILURE) */
  deleting?: boolean;
  /**
   * §2.8.1: the peer rekeyed it while our own rekey was in flight; the CHILD SA its exchange
   * made, with that exchange's nonces, waits for our exchange to end to be compared.
   */
  collision?: { made: ChildSa; nonceI: Uint8Array; nonceR: Uint8Array };
  /** the CHILD SA that replaces it (the peer rekeyed it; its outbound SA waits for our removal) */
  replacedBy?: ChildSa;
}

/** An exchange we started and wait a response for (window size 1, §2.3). */
export interface PendingRequest {
  exchange: number;
  messageId: number;
  /** the datagram(s) as sent, for retransmission */
  bytes: Uint8Array[];
  /** sends so far (1 after the first send) */
  sent: number;
  /** when to retransmit or give up, ms */
  deadline: number;
  /** what to do with the response */
  onResponse: (sa: IkeSa, payloads: import('../wire/ike/ike-types.js').IkePayload[]) => void;
  /** what to do when every retransmission went unanswered */
  onTimeout?: (sa: IkeSa) => void;
}

/** RFC 7383 §2.6: the pieces of one fragmented message received so far (ike-reassembly.ts). */
export interface Reassembly {
  messageId: number;
  total: number;
  /** Next Payload of fragment 1, once it arrived */
  firstInner: number | undefined;
  pieces: Map<number, Uint8Array>;
  bytes: number;
  /** when its first piece was stored, ms */
  startedAt: number;
}

let nextUniqueId = 1;

export class IkeSa {
  /** unique id shown as `conn[#id]` */
  readonly id = nextUniqueId++;
  readonly lifecycle = new IkeSaLifecycle();
  spiI: bigint;
  spiR = 0n;
  /** we are the original initiator of the IKE SA (§2.2: the I flag) */
  readonly initiator: boolean;
  conn: ConnectionConfig | undefined;
  local: Endpoint;
  remote: Endpoint;
  /** our address/port changed on the way: we are behind a NAT (§2.23) */
  localBehindNat = false;
  remoteBehindNat = false;
  /** force-encap (encap = yes) faked our NAT-D SOURCE hash */
  natFaked = false;
  natSupported = false;
  /**
   * The peer's NAT_DETECTION_DESTINATION_IP of the last IKE_SA_INIT or UPDATE_SA_ADDRESSES
   * response: what a later one is compared with to notice a changed NAT mapping (RFC 4555 §3.8)
   */
  natdDestination: Uint8Array | undefined;
  /** both sides sent MOBIKE_SUPPORTED in IKE_AUTH (RFC 4555 §3.2); see mobike.ts */
  mobike = false;
  /** the peer's ADDITIONAL_IP4/IP6_ADDRESS list (RFC 4555 §3.4), replaced by each new list */
  peerAdditional: Uint8Array[] = noItems();
  /** counts our address updates: a response to an older UPDATE_SA_ADDRESSES is ignored (§3.5) */
  mobikeSerial = 0;
  /** an UPDATE_SA_ADDRESSES request is queued and not yet sent (it reads the addresses when sent) */
  mobikeQueued = false;
  /**
   * IKE_SA_INIT values kept for AUTH (§2.15) and the first CHILD SA's keys (§2.17); the
   * engine lets them go once IKE_AUTH is over (compact-state.ts)
   */
  nonceI: Uint8Array = EMPTY_BYTES;
  nonceR: Uint8Array = EMPTY_BYTES;
  initRequest: Uint8Array = EMPTY_BYTES;
  initResponse: Uint8Array = EMPTY_BYTES;
  ke: KeyExchange | undefined;
  suite: IkeSuite | undefined;
  proposal: SelectedProposal | undefined;
  private packedKeys: IkeSaKeys | undefined;
  /**
   * Message IDs (§2.2): each side numbers its own requests from 0; IKE_SA_INIT used the
   * initiator's 0, so the initiator goes on with 1 and expects the responder's 0.
   */
  window: MessageWindow;
  pending: PendingRequest | undefined;
  /** exchanges waiting for the window (window size 1) */
  queue: ((sa: IkeSa) => void)[] = noItems();
  children: ChildSa[] = noItems();
  localId: IkeId | undefined;
  remoteId: IkeId | undefined;
  /** the peer's EAP identity once EAP succeeded (§2.16), ours as EAP peer */
  remoteEapId: string | undefined;
  localEapId: string | undefined;
  /** responder: the EAP conversation in progress between IKE_AUTH exchanges (§2.16) */
  eap: EapResponderState | undefined;
  /** virtual IPs: the ones we got (client) or leased to the peer (gateway) */
  vipsLocal: Uint8Array[] = noItems();
  vipsRemote: { pool: string; address: string }[] = noItems();
  /** the `up` request (control socket) waiting for this SA's first CHILD SA */
  upRequest: number | undefined;
  establishedAt = 0;
  lastInbound = 0;
  /** COOKIE from the responder to echo (§2.6) */
  cookie: Uint8Array | undefined;
  /** DH group the responder asked for with INVALID_KE_PAYLOAD (§1.2) */
  keGroup: number | undefined;
  /** CHILD SA config to create in IKE_AUTH (initiator) */
  firstChild: string | undefined;
  /** RFC 7427 §4: hash algorithms the peer announced in SIGNATURE_HASH_ALGORITHMS */
  peerSigHashes: number[] = noItems();
  /** RFC 7383 §2.3: the peer sent IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT */
  peerFragmentation = false;
  /** RFC 7383 §2.6: the fragmented request and response being reassembled (ike-reassembly.ts) */
  defrag: { request?: Reassembly | undefined; response?: Reassembly | undefined } | undefined;
  /** reason recorded when the SA goes down */
  downReason = '';
  /**
   * §2.8.2: the peer rekeyed this IKE SA while our own rekey of it was in flight; the IKE SA
   * its exchange made (no CHILD SAs yet) and that exchange's nonces, for rekey-collision.ts.
   */
  rekeyCollision: { fresh: IkeSa; nonceI: Uint8Array; nonceR: Uint8Array } | undefined;
  /** when to reauthenticate (reauth_time), ms; 0 when not */
  reauthAt = 0;
  /** a reauthentication's new IKE SA: the virtual IPs of the old one, asked for again */
  reauthVips: Uint8Array[] | undefined;

  constructor(initiator: boolean, spiI: bigint, local: Endpoint, remote: Endpoint) {
    this.initiator = initiator;
    this.window = initiator ? new MessageWindow(1, 0) : new MessageWindow(0, 1);
    this.spiI = spiI;
    this.local = local;
    this.remote = remote;
  }

  /** SK_d..SK_pr (§2.14), kept in one buffer (compact-state.ts) */
  get keys(): IkeSaKeys | undefined {
    return this.packedKeys;
  }

  set keys(k: IkeSaKeys | undefined) {
    this.packedKeys = k ? packIkeSaKeys(k) : undefined;
  }

  get name(): string {
    return this.conn?.name ?? '(unknown)';
  }

  get natDetected(): boolean {
    return this.localBehindNat || this.remoteBehindNat;
  }

  /** Our outbound SK_e/SK_a and the peer's (§2.14: SK_ei/SK_ai protect what the initiator sends). */
  outKeys(): { encr: Uint8Array; integ: Uint8Array | undefined } {
    const k = this.keysOrThrow();
    return this.initiator ? { encr: k.skEi, integ: k.skAi } : { encr: k.skEr, integ: k.skAr };
  }

  inKeys(): { encr: Uint8Array; integ: Uint8Array | undefined } {
    const k = this.keysOrThrow();
    return this.initiator ? { encr: k.skEr, integ: k.skAr } : { encr: k.skEi, integ: k.skAi };
  }

  keysOrThrow(): IkeSaKeys {
    if (!this.keys) throw new Error('assertion failed: IKE SA has no keys yet');
    return this.keys;
  }
}
