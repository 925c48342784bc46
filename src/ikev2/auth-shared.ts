/**
 * The parts of IKE_AUTH (RFC 7296 §1.2, §2.15, §2.16) shared by the PSK/certificate exchange
 * (exchange-auth.ts) and EAP (exchange-eap.ts): the signed octets and our AUTH payload, the
 * responder's credential and IDr/CERT/AUTH, and the completion of the last IKE_AUTH
 * (CP, the IKE SA up, the first CHILD SA) on either side.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { pskAuthData, signedOctets } from '../crypto/ike/ike-auth.js';
import { formatIdentity, type IkeId, idPayloadBody } from '../ike/identity.js';
import { formatIp } from '../util/ip-addr.js';
import type { IkePayload } from '../wire/ike/ike-types.js';
import { certPayloads, isPubkeyAuth, type LocalSigner, localSigner, signAuthPayload } from './auth-pubkey.js';
import {
  acceptAnswer,
  answerChild,
  childReqid,
  chooseChild,
  type initiatorLocalTs,
  makeChild,
} from './child-create.js';
import { cpAnswer, cpReplyValues, leaseIdentity } from './config-payload.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { AuthMethod, isErrorNotify, Notify, notifyText } from './ikev2-numbers.js';
import { mobikeAuthPayloads, processMobikeAuth } from './mobike.js';
import { all, first, notify } from './payload-find.js';
import { findSharedSecret, firstRound, ownIdentity } from './peer-match.js';

export function idPayload(kind: 'IDi' | 'IDr', id: IkeId): IkePayload {
  return { kind, idType: id.type, data: id.data };
}

export function idOf(p: { idType: number; data: Uint8Array }): IkeId {
  return { type: p.idType, data: p.data.slice() };
}

/** §2.15: who signs which IKE_SA_INIT message, with the other side's nonce and own SK_p. */
export function octetsOf(sa: IkeSa, ourSide: boolean, id: IkeId): Uint8Array {
  const k = sa.keysOrThrow();
  const prf = sa.suite?.prf ?? 0;
  const signerIsInitiator = ourSide === sa.initiator;
  return signerIsInitiator
    ? signedOctets(prf, sa.initRequest, sa.nonceR, k.skPi, idPayloadBody(id))
    : signedOctets(prf, sa.initResponse, sa.nonceI, k.skPr, idPayloadBody(id));
}

export function authData(sa: IkeSa, psk: Uint8Array, ourSide: boolean, id: IkeId): Uint8Array {
  return pskAuthData(sa.suite?.prf ?? 0, psk, octetsOf(sa, ourSide, id));
}

/** Our AUTH payload: PSK or signature (the signer's CERT goes before it); EAP sends none at first (§2.16). */
export type Credential = { psk: Uint8Array } | { signer: LocalSigner };

export function authPayload(sa: IkeSa, cred: Credential, id: IkeId): IkePayload {
  if ('psk' in cred) return { kind: 'AUTH', method: AuthMethod.PSK, data: authData(sa, cred.psk, true, id) };
  return signAuthPayload(sa, cred.signer, octetsOf(sa, true, id));
}

export function authMethodOf(conn: ConnectionConfig, side: 'local' | 'remote'): string {
  return firstRound(side === 'local' ? conn.local : conn.remote)?.auth ?? 'pubkey';
}

export interface AuthCallbacks {
  established(sa: IkeSa): void;
  /** the IKE SA could not be set up: destroy it and report */
  failed(sa: IkeSa, reason: string, notifyName?: string): void;
  /** the IKE SA is up but its first CHILD SA failed */
  childFailed(sa: IkeSa, reason: string): void;
  childUp(sa: IkeSa): void;
}

/** The CHILD SA offered in the first IKE_AUTH request (our SPI and selectors). */
export type ChildOffer =
  | { spiIn: number; tsi: ReturnType<typeof initiatorLocalTs>; tsr: ReturnType<typeof initiatorLocalTs> }
  | undefined;

/** The last IKE_AUTH response: virtual IPs (CP), the IKE SA is up, then its first CHILD SA. */
export function completeInitiator(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  p: IkePayload[],
  offer: ChildOffer,
  cb: AuthCallbacks,
): void {
  // RFC 4555 §3.3: MOBIKE_SUPPORTED (and the additional addresses) in the last IKE_AUTH.
  processMobikeAuth(ctx, sa, conn, p);
  const cp = first(p, 'CP');
  if (cp) {
    const v = cpReplyValues(cp);
    sa.vipsLocal = v.vips;
    for (const a of v.vips) ctx.emit({ kind: 'vip-add', ikeId: sa.id, address: a, dns: v.dns });
  }
  cb.established(sa);
  if (!offer) return;
  const child = conn.children.find((c) => c.name === sa.firstChild) ?? conn.children[0];
  const err = all(p, 'N').find((n) => isErrorNotify(n.notifyType));
  if (!child || err) {
    cb.childFailed(sa, err ? `${notifyText(err.notifyType)} from ${formatIp(sa.remote.address)}` : 'no CHILD config');
    return;
  }
  // With a virtual IP, our side of the selectors is the lease (narrowed by the responder).
  const a = acceptAnswer(child, p, offer.tsi, offer.tsr, true);
  if (!a.ok) {
    cb.childFailed(sa, a.reason);
    return;
  }
  makeChild(ctx, sa, child, a.sel, true, offer.spiIn, a.spiOut, a.tsi, a.tsr, sa.nonceI, sa.nonceR);
  cb.childUp(sa);
}

/** Our credential as responder: the signer of `certs`, or the PSK for our and the peer's identity. */
export function responderCredential(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  remoteId: IkeId,
): { cred: Credential; ownId: IkeId } | string {
  if (isPubkeyAuth(authMethodOf(conn, 'local'))) {
    const signer = localSigner(ctx, conn);
    if (typeof signer === 'string') return signer;
    return { cred: { signer }, ownId: signer.id };
  }
  const ownId = ownIdentity(conn, sa.local.address);
  const own = findSharedSecret(ctx.config.secrets.ike, ownId, remoteId);
  if (!own) return `no shared key for '${formatIdentity(ownId)}' - '${formatIdentity(remoteId)}'`;
  return { cred: { psk: own }, ownId };
}

/** IDr, [CERT,] AUTH of the responder. */
export function responderAuthPayloads(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  p: IkePayload[],
  cred: Credential,
  ownId: IkeId,
): IkePayload[] {
  const out: IkePayload[] = [idPayload('IDr', ownId)];
  // send_cert = ifasked (default): only when the peer sent a CERTREQ (strongSwan's rule).
  if ('signer' in cred && (conn.sendCert === 'always' || (conn.sendCert === 'ifasked' && first(p, 'CERTREQ')))) {
    out.push(...certPayloads(ctx, cred.signer));
  }
  out.push(authPayload(sa, cred, ownId));
  return out;
}

/**
 * The rest of the last IKE_AUTH response after `out` (our AUTH): the IKE SA is up, CP and
 * the first CHILD SA as the initiator's (first) IKE_AUTH request `p` asked.
 */
export function completeResponder(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  p: IkePayload[],
  out: IkePayload[],
  respond: (payloads: IkePayload[], authFailed: boolean) => void,
  /** the peer is authenticated: establish the IKE SA, or the reason to refuse it (unique) */
  established: (sa: IkeSa) => string | undefined,
): void {
  // (`out` already holds our AUTH: it signs the IKE_SA_INIT messages `established` lets go.)
  const refused = established(sa);
  if (refused !== undefined) {
    ctx.event({
      kind: 'auth-failed',
      conn: sa.name,
      ikeId: sa.id,
      notify: 'AUTHENTICATION_FAILED',
      peer: formatIp(sa.remote.address),
      detail: refused,
    });
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}]: ${refused}, sending AUTHENTICATION_FAILED`);
    respond([notify(Notify.AUTHENTICATION_FAILED)], true);
    return;
  }
  // RFC 4555 §3.3: the initiator's MOBIKE_SUPPORTED answered by ours, at the end of every
  // answer from here on (as strongSwan 5.9.8 orders them).
  processMobikeAuth(ctx, sa, conn, p);
  const tail = sa.mobike ? mobikeAuthPayloads(ctx, sa) : [];
  const respondAll = (payloads: IkePayload[], authFailed: boolean): void => respond([...payloads, ...tail], authFailed);
  let remoteDynamic: Uint8Array[] = [];
  const cp = first(p, 'CP');
  if (cp) {
    const ans = cpAnswer(ctx, sa, conn, cp, leaseIdentity(sa));
    if (ans.kind === 'failure') {
      // §3.10.1: no address for the client: no CHILD SA either.
      respondAll([...out, notify(Notify.INTERNAL_ADDRESS_FAILURE)], false);
      return;
    }
    if (ans.kind === 'reply') {
      out.push(ans.payload);
      remoteDynamic = ans.vips;
    }
  }
  if (!first(p, 'SA')) {
    respondAll(out, false);
    return;
  }
  const choice = chooseChild(sa, conn, p, true, remoteDynamic);
  if (!choice.ok) {
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}]: CHILD SA refused: ${choice.reason}`);
    respondAll([...out, notify(choice.notify)], false);
    return;
  }
  ctx.getSpi(sa, childReqid(ctx, sa, choice.child.name, choice.tsi), (spiIn) => {
    if (spiIn === undefined) {
      respondAll([...out, notify(Notify.TEMPORARY_FAILURE)], false);
      return;
    }
    makeChild(
      ctx,
      sa,
      choice.child,
      choice.sel,
      false,
      spiIn,
      choice.spiOut,
      choice.tsi,
      choice.tsr,
      sa.nonceI,
      sa.nonceR,
    );
    respondAll([...out, ...answerChild(choice, spiIn)], false);
  });
}
