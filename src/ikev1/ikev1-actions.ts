/**
 * What the IKEv1 core asks its rim to do (STYLE.md §3.6): send datagrams, report events and
 * the outcome of `initiate`. Quick Mode will add the PF_KEY actions IKEv2 uses.
 */
import type { IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';

export type Ikev1Action =
  /** IKE on 4500 gets the non-ESP marker from the data plane, as for IKEv2 */
  | { kind: 'send'; local: Endpoint; remote: Endpoint; bytes: Uint8Array }
  | { kind: 'event'; event: IkeEvent }
  | { kind: 'initiate-result'; requestId: number; ok: boolean; reason: string };
