/**
 * What the IKEv1 core asks its rim to do (STYLE.md §3.6): send datagrams, report events and
 * the outcome of `initiate`, and the PF_KEY work of Quick Mode in the same shapes as the
 * IKEv2 engine's (ChildSaPlan), so one daemon rim executes both.
 */
import type { ChildSaPlan } from '../ike/child-sa-plan.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';

export type Ikev1Action =
  /** IKE on 4500 gets the non-ESP marker from the data plane, as for IKEv2 */
  | { kind: 'send'; local: Endpoint; remote: Endpoint; bytes: Uint8Array }
  /** GETSPI for an inbound ESP SA from `src` (the peer) to `dst` (us); answer with `Ikev1Engine.spiAllocated` */
  | { kind: 'get-spi'; token: number; src: Uint8Array; dst: Uint8Array; reqid: number }
  | { kind: 'install-child'; plan: ChildSaPlan }
  | { kind: 'remove-child'; plan: ChildSaPlan }
  /** a Mode Config client's virtual IP on the TUN (the IKEv2 engine's shape) */
  | { kind: 'vip-add'; ikeId: number; address: Uint8Array; dns: Uint8Array[] }
  | { kind: 'vip-remove'; ikeId: number; address: Uint8Array }
  /** the outbound SA of a plan installed with `deferOutbound` (a Quick Mode rekey) goes in now */
  | { kind: 'activate-child'; plan: ChildSaPlan }
  /** the CHILD SA's peer endpoint moved (NAT rebinding, nat-rebinding.ts): PF_KEY UPDATE */
  | { kind: 'update-child'; plan: ChildSaPlan }
  | { kind: 'event'; event: IkeEvent }
  | { kind: 'initiate-result'; requestId: number; ok: boolean; reason: string };
