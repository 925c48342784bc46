/**
 * EAP inside IKE_AUTH (RFC 7296 §2.16) with EAP-MSCHAPv2, the responder (gateway)
 * authenticated by certificate (or PSK):
 *
 *   HDR, SK {IDi, [CERTREQ,] [IDr,] [CP(CFG_REQUEST),] SAi2, TSi, TSr}  -->   (no AUTH: EAP wanted)
 *                                  <--  HDR, SK {IDr, [CERT,] AUTH, EAP(Request/Identity)}
 *   HDR, SK {EAP(Response)}  -->   <--  HDR, SK {EAP(Request)}    ... until the method ends
 *                                  <--  HDR, SK {EAP(Success)}
 *   HDR, SK {AUTH}  -->
 *                                  <--  HDR, SK {AUTH, [CP(CFG_REPLY),] SAr2, TSi, TSr}
 *
 * The last two AUTH payloads are computed like a PSK's with the MSK as the shared secret
 * (§2.15: prf(prf(MSK, "Key Pad for IKEv2"), <SignedOctets>)); the CHILD SA and the virtual IP
 * come in the last response, as answers to the first request.
 */
import type { ConnectionConfig, SharedSecret } from '../config/swanctl/swanctl-model.js';
import { eapMskAuthData } from '../crypto/ike/ike-auth.js';
import { MschapV2Authenticator } from '../eap/mschapv2-authenticator.js';
import { MschapV2Peer } from '../eap/mschapv2-peer.js';
import { formatIdentity, type IkeId, idMatches, parseIdentity } from '../ike/identity.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import {
  type AuthCallbacks,
  authMethodOf,
  type ChildOffer,
  completeInitiator,
  completeResponder,
  octetsOf,
  responderAuthPayloads,
  responderCredential,
} from './auth-shared.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { AuthMethod, Notify, notifyText } from './ikev2-numbers.js';
import { first, firstError, notify } from './payload-find.js';
import { firstRound, ownIdentity, remoteIdAcceptable } from './peer-match.js';

/** swanctl `auth = eap` (method chosen by the server; we only do MSCHAPv2) or `eap-mschapv2`. */
export const isEapMschapV2 = (auth: string | undefined): boolean => auth === 'eap' || auth === 'eap-mschapv2';

function idMatchesText(pattern: string, identity: string): boolean {
  if (pattern === '%any' || pattern === identity) return true;
  try {
    return idMatches(pattern, parseIdentity(identity));
  } catch {
    return false;
  }
}

/**
 * The password of an EAP identity among `secrets.eap-*`: a secret naming the identity in
 * its `id*` values, else one without ids (strongSwan's shared-key ranking, reduced).
 */
export function findEapSecret(secrets: readonly SharedSecret[], identity: string): Uint8Array | undefined {
  const named = secrets.find((s) => s.ids.some((id) => id !== '%any' && idMatchesText(id, identity)));
  return (named ?? secrets.find((s) => s.ids.length === 0))?.secret;
}

const eapPayload = (data: Uint8Array): IkePayload => ({ kind: 'EAP', data });

function mskAuth(sa: IkeSa, msk: Uint8Array, ourSide: boolean, id: IkeId): Uint8Array {
  return eapMskAuthData(sa.suite?.prf ?? 0, msk, octetsOf(sa, ourSide, id));
}

// ---------------------------------------------------------------- initiator (EAP peer)

/**
 * The responder's first IKE_AUTH response verified (its IDr, CERT, AUTH): run the EAP rounds
 * from the EAP payload of `p`, then exchange the MSK-keyed AUTH payloads and complete the
 * IKE SA and its CHILD SA from the last response.
 */
export function continueEapInitiator(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  p: IkePayload[],
  offer: ChildOffer,
  cb: AuthCallbacks,
): void {
  const identity = firstRound(conn.local)?.eapId ?? formatIdentity(sa.localId ?? ownIdentity(conn, sa.local.address));
  sa.localEapId = identity;
  const peer = new MschapV2Peer({ rng: ctx.rng, identity, password: findEapSecret(ctx.config.secrets.eap, identity) });
  const peerAddr = formatIp(sa.remote.address);
  const fail = (s: IkeSa, detail: string, eap?: string): void => {
    ctx.event({
      kind: 'auth-failed',
      conn: s.name,
      ikeId: s.id,
      notify: 'AUTHENTICATION_FAILED',
      peer: peerAddr,
      detail,
      ...(eap ? { eap } : {}),
    });
    cb.failed(s, detail);
  };
  const timeout = (s: IkeSa): void => cb.failed(s, 'peer did not answer IKE_AUTH (retransmits exhausted)');
  const onEap = (s: IkeSa, payloads: IkePayload[]): void => {
    const eap = first(payloads, 'EAP');
    if (!eap) {
      const err = firstError(payloads);
      fail(s, err ? `${notifyText(err.notifyType)} from ${peerAddr}` : 'IKE_AUTH response without EAP');
      return;
    }
    const step = peer.receive(eap.data);
    if (step.kind === 'send') {
      ctx.request(s, ExchangeType.IKE_AUTH, [eapPayload(step.packet)], onEap, timeout);
      return;
    }
    if (step.kind === 'failure') {
      fail(s, `EAP-MSCHAPv2 as '${identity}' failed: ${step.reason}: ${step.detail}`, step.reason);
      return;
    }
    // §2.16: EAP succeeded; AUTH now with the MSK as the shared key.
    const msk = step.msk;
    const auth: IkePayload = { kind: 'AUTH', method: AuthMethod.PSK, data: mskAuth(s, msk, true, s.localId as IkeId) };
    ctx.request(
      s,
      ExchangeType.IKE_AUTH,
      [auth],
      (s2, last) => {
        const a = first(last, 'AUTH');
        if (!a) {
          const err = firstError(last);
          fail(s2, err ? `${notifyText(err.notifyType)} from ${peerAddr}` : 'last IKE_AUTH response without AUTH');
          return;
        }
        if (a.method !== AuthMethod.PSK || !bytesEqual(a.data, mskAuth(s2, msk, false, s2.remoteId as IkeId))) {
          fail(s2, `AUTH of '${formatIdentity(s2.remoteId as IkeId)}' with the EAP MSK does not verify`);
          return;
        }
        completeInitiator(ctx, s2, conn, last, offer, cb);
      },
      timeout,
    );
  };
  onEap(sa, p);
}

// ---------------------------------------------------------------- responder (EAP authenticator)

/**
 * An IKE_AUTH request without AUTH (§2.16): pick a connection whose remote round is
 * eap-mschapv2, answer with our IDr, [CERT,] AUTH and the first EAP Request. `fail` answers
 * AUTHENTICATION_FAILED.
 */
export function startEapResponder(
  ctx: Ikev2Context,
  sa: IkeSa,
  conns: ConnectionConfig[],
  p: IkePayload[],
  remoteId: IkeId,
  respond: (payloads: IkePayload[], authFailed: boolean) => void,
  fail: (reason: string) => void,
): void {
  const idr = first(p, 'IDr');
  const eapConns = conns.filter((c) => remoteIdAcceptable(c, remoteId) && isEapMschapV2(authMethodOf(c, 'remote')));
  // A connection whose identity the initiator named (IDr) first; phones often send the
  // gateway's address or name there, so any EAP connection otherwise (strongSwan's fallback).
  const named = idr
    ? eapConns.find((c) => {
        const own = ownIdentity(c, sa.local.address);
        return own.type === idr.idType && bytesEqual(own.data, idr.data);
      })
    : undefined;
  const conn = named ?? eapConns[0];
  if (!conn) {
    fail(`no EAP connection matches peer identity '${formatIdentity(remoteId)}'`);
    return;
  }
  sa.conn = conn;
  const local = responderCredential(ctx, sa, conn, remoteId);
  if (typeof local === 'string') {
    fail(local);
    return;
  }
  const eapId = firstRound(conn.remote)?.eapId;
  // swanctl eap_id: %any or a pattern asks the identity with EAP-Identity; unset: the IKE identity.
  const server = new MschapV2Authenticator({
    rng: ctx.rng,
    lookup: (name) => findEapSecret(ctx.config.secrets.eap, name),
    askIdentity: eapId !== undefined,
    identity: formatIdentity(remoteId),
    ...(eapId !== undefined && eapId !== '%any' ? { acceptIdentity: (id: string) => idMatchesText(eapId, id) } : {}),
  });
  const step = server.start();
  if (step.kind !== 'send') {
    fail(`EAP could not start: ${step.kind === 'failure' ? step.detail : step.kind}`);
    return;
  }
  sa.localId = local.ownId;
  sa.remoteId = remoteId;
  sa.eap = { conn, request: p, remoteId, ownId: local.ownId, server, msk: undefined, identity: '' };
  respond([...responderAuthPayloads(ctx, sa, conn, p, local.cred, local.ownId), eapPayload(step.packet)], false);
}

/**
 * A later IKE_AUTH request of an EAP authentication: the next EAP Response, or (after
 * EAP-Success) the initiator's AUTH with the MSK, answered with ours, CP and the CHILD SA.
 */
export function processEapRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  p: IkePayload[],
  respond: (payloads: IkePayload[], authFailed: boolean) => void,
  established: (sa: IkeSa) => string | undefined,
): void {
  const st = sa.eap;
  if (!st) return;
  const fail = (detail: string, eap?: string, packet?: Uint8Array): void => {
    ctx.event({
      kind: 'auth-failed',
      conn: sa.name,
      ikeId: sa.id,
      notify: 'AUTHENTICATION_FAILED',
      peer: formatIp(sa.remote.address),
      detail,
      ...(eap ? { eap } : {}),
    });
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}]: ${detail}, sending AUTHENTICATION_FAILED`);
    sa.eap = undefined;
    respond([...(packet ? [eapPayload(packet)] : []), notify(Notify.AUTHENTICATION_FAILED)], true);
  };
  if (st.msk) {
    const auth = first(p, 'AUTH');
    if (!auth || auth.method !== AuthMethod.PSK || !bytesEqual(auth.data, mskAuth(sa, st.msk, false, st.remoteId))) {
      fail(`AUTH of '${st.identity}' with the EAP MSK ${auth ? 'does not verify' : 'missing'}`);
      return;
    }
    const out: IkePayload[] = [{ kind: 'AUTH', method: AuthMethod.PSK, data: mskAuth(sa, st.msk, true, st.ownId) }];
    sa.remoteEapId = st.identity;
    sa.eap = undefined;
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}]: EAP-MSCHAPv2 authenticated '${st.identity}'`);
    completeResponder(ctx, sa, st.conn, st.request, out, respond, established);
    return;
  }
  const eap = first(p, 'EAP');
  if (!eap) {
    fail('IKE_AUTH request without EAP payload during EAP');
    return;
  }
  const step = st.server.receive(eap.data);
  if (step.kind === 'send') {
    respond([eapPayload(step.packet)], false);
    return;
  }
  if (step.kind === 'failure') {
    fail(`EAP-MSCHAPv2 failed: ${step.reason}: ${step.detail}`, step.reason, step.packet);
    return;
  }
  st.msk = step.msk;
  st.identity = step.identity;
  respond(step.packet ? [eapPayload(step.packet)] : [], false);
}
