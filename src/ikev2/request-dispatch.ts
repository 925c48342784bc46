/**
 * Which exchange handles an authenticated request (RFC 7296 §1.4, §2.21: the exchanges allowed
 * in each state of the IKE SA). The engine has already checked the message ID window, opened
 * the SK payload and followed the peer's address; `respond` seals and sends the answer.
 *
 *   IKE_AUTH         the first one on a fresh responder SA (exchange-auth.ts), then the EAP
 *                    rounds (exchange-eap.ts)
 *   INFORMATIONAL    Delete, liveness, MOBIKE (exchange-info.ts, mobike.ts)
 *   CREATE_CHILD_SA  IKE SA rekey (an SA payload with an IKE proposal, ike-rekey.ts), else a
 *                    new or rekeyed CHILD SA (exchange-child.ts)
 *
 * Anything else gets INVALID_SYNTAX; an IKE SA not yet (or no longer) up answers empty.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import type { Endpoint } from '../ike/natd.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import { processAuthRequest } from './exchange-auth.js';
import { processCreateChildRequest } from './exchange-child.js';
import { processEapRequest } from './exchange-eap.js';
import { processInformationalRequest } from './exchange-info.js';
import { processIkeRekeyRequest, type RekeyHooks, resolveToCollision } from './ike-rekey.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify } from './ikev2-numbers.js';
import { mobikeInformational } from './mobike.js';
import { notify } from './payload-find.js';

/** What the dispatch needs of the engine beyond Ikev2Context. */
export interface DispatchHost {
  /** connections that may serve this IKE SA's peer (by address) */
  candidateConns(sa: IkeSa): ConnectionConfig[];
  /** the peer authenticated: the uniqueness policy; returns the reason to refuse the IKE SA */
  authenticated(sa: IkeSa, payloads: IkePayload[]): string | undefined;
  readonly rekeyHooks: RekeyHooks;
  /** count a dropped message (the engine's drop counters) */
  drop(reason: 'unsupported-exchange', detail: string): void;
}

export function dispatchRequest(
  ctx: Ikev2Context,
  host: DispatchHost,
  sa: IkeSa,
  local: Endpoint,
  remote: Endpoint,
  exchange: number,
  o: IkePayload[],
  respond: (payloads: IkePayload[]) => void,
): void {
  if (exchange === ExchangeType.IKE_AUTH && sa.lifecycle.state === 'created' && !sa.initiator) {
    sa.lifecycle.transition('connecting', 'IKE_AUTH request', ctx.clock.now());
    processAuthRequest(
      ctx,
      sa,
      host.candidateConns(sa),
      o,
      (payloads, authFailed) => {
        respond(payloads);
        if (authFailed) ctx.destroy(sa, 'authentication failed');
      },
      (s) => host.authenticated(s, o),
    );
    return;
  }
  if (exchange === ExchangeType.IKE_AUTH && sa.lifecycle.state === 'connecting' && sa.eap) {
    // §2.16: the next round of an EAP authentication (exchange-eap.ts).
    const firstRequest = sa.eap.request;
    processEapRequest(
      ctx,
      sa,
      o,
      (payloads, authFailed) => {
        respond(payloads);
        if (authFailed) ctx.destroy(sa, 'authentication failed');
      },
      // (INITIAL_CONTACT came with the first IKE_AUTH request, kept by exchange-eap.ts)
      (s) => host.authenticated(s, firstRequest),
    );
    return;
  }
  const st = sa.lifecycle.state;
  const live = st === 'established' || st === 'rekeying' || st === 'deleting';
  if (!live && !(st === 'rekeyed' && exchange !== ExchangeType.IKE_AUTH)) {
    respond([]);
    return;
  }
  if (exchange === ExchangeType.INFORMATIONAL) {
    const extra = mobikeInformational(ctx, sa, local, remote, o);
    const deleted = processInformationalRequest(ctx, sa, o, (p) => respond([...p, ...extra]));
    // §2.8.2: the peer won a rekey collision and deletes the old IKE SA: its CHILD SAs go
    // to the peer's new IKE SA first.
    if (deleted && resolveToCollision(ctx, sa, host.rekeyHooks, "replaced by the peer's rekey")) {
      ctx.destroy(sa, 'rekeyed');
      return;
    }
    if (deleted) ctx.destroy(sa, sa.lifecycle.state === 'rekeyed' ? 'rekeyed' : 'deleted by peer');
    return;
  }
  if (exchange === ExchangeType.CREATE_CHILD_SA) {
    const saP = o.find((x) => x.kind === 'SA');
    if (saP?.kind === 'SA' && saP.proposals.some((x) => x.protocolId === 1)) {
      processIkeRekeyRequest(ctx, sa, o, respond, host.rekeyHooks);
      return;
    }
    // §2.25.2: no CHILD SA is made or rekeyed on an IKE SA being rekeyed or closed.
    if (st !== 'established') {
      respond([notify(Notify.TEMPORARY_FAILURE)]);
      return;
    }
    processCreateChildRequest(ctx, sa, o, respond);
    return;
  }
  host.drop('unsupported-exchange', `exchange ${exchange}`);
  respond([notify(Notify.INVALID_SYNTAX)]);
}
