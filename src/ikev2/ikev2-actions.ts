/**
 * What the IKEv2 core asks its rim to do (STYLE.md §3.6: synchronous and sans-IO; PF_KEY
 * replies come back as inputs). The daemon executes `send` through the IKE channel and the
 * SA/policy actions through PF_KEY (src/ike/kernel-requests.ts), then reports back with
 * `Ikev2Engine.spiAllocated` / `installFailed`.
 */

import type { ChildSaPlan } from '../ike/child-sa-plan.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';

export type { ChildSaKeys, ChildSaPlan } from '../ike/child-sa-plan.js';

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
