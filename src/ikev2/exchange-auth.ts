/**
 * IKE_AUTH (RFC 7296 §1.2, §2.15) with PSK authentication, configuration payloads (§2.19)
 * and the first CHILD SA:
 *
 *   HDR, SK {IDi, [IDr,] AUTH, [CP(CFG_REQUEST),] SAi2, TSi, TSr}  -->
 *                          <--  HDR, SK {IDr, AUTH, [CP(CFG_REPLY),] SAr2, TSi, TSr}
 *
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) where the initiator
 * signs its IKE_SA_INIT request, Nr and prf(SK_pi, IDi'); the responder its response, Ni
 * and prf(SK_pr, IDr').
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { pskAuthData, signedOctets } from '../crypto/ike/ike-auth.js';
import { formatIdentity, type IkeId, idPayloadBody, parseIdentity } from '../ike/identity.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import {
  certPayload,
  certreqPayload,
  isPubkeyAuth,
  type LocalSigner,
  localSigner,
  signAuthPayload,
  verifyPeerSignature,
} from './auth-pubkey.js';
import {
  acceptAnswer,
  answerChild,
  chooseChild,
  initiatorLocalTs,
  makeChild,
  offerChild,
  remoteTsOf,
} from './child-create.js';
import { cpAnswer, cpReplyValues, cpRequest } from './config-payload.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { AuthMethod, isErrorNotify, Notify, notifyText } from './ikev2-numbers.js';
import { mobikeAuthPayloads, processMobikeAuth } from './mobike.js';
import { all, first, firstError, notify } from './payload-find.js';
import { findSharedSecret, firstRound, idText, ownIdentity, remoteIdAcceptable } from './peer-match.js';

function idPayload(kind: 'IDi' | 'IDr', id: IkeId): IkePayload {
  return { kind, idType: id.type, data: id.data };
}

function idOf(p: { idType: number; data: Uint8Array }): IkeId {
  return { type: p.idType, data: p.data.slice() };
}

/** §2.15: who signs which IKE_SA_INIT message, with the other side's nonce and own SK_p. */
function octetsOf(sa: IkeSa, ourSide: boolean, id: IkeId): Uint8Array {
  const k = sa.keysOrThrow();
  const prf = sa.suite?.prf ?? 0;
  const signerIsInitiator = ourSide === sa.initiator;
  return signerIsInitiator
    ? signedOctets(prf, sa.initRequest, sa.nonceR, k.skPi, idPayloadBody(id))
    : signedOctets(prf, sa.initResponse, sa.nonceI, k.skPr, idPayloadBody(id));
}

function authData(sa: IkeSa, psk: Uint8Array, ourSide: boolean, id: IkeId): Uint8Array {
  return pskAuthData(sa.suite?.prf ?? 0, psk, octetsOf(sa, ourSide, id));
}

/** Our AUTH payload: PSK or signature (the signer's CERT goes before it). */
type Credential = { psk: Uint8Array } | { signer: LocalSigner };

function authPayload(sa: IkeSa, cred: Credential, id: IkeId): IkePayload {
  if ('psk' in cred) return { kind: 'AUTH', method: AuthMethod.PSK, data: authData(sa, cred.psk, true, id) };
  return signAuthPayload(sa, cred.signer, octetsOf(sa, true, id));
}

const SIGNATURE_METHODS: readonly number[] = [1, 9, 10, 11, 14];

/** The identity we expect of the peer when looking up a PSK as initiator. */
function expectedRemoteId(conn: ConnectionConfig, sa: IkeSa): IkeId {
  const id = firstRound(conn.remote)?.id;
  return id !== undefined && id !== '%any' ? parseIdentity(id) : parseIdentity(formatIp(sa.remote.address));
}

function authMethodOf(conn: ConnectionConfig, side: 'local' | 'remote'): string {
  return firstRound(side === 'local' ? conn.local : conn.remote)?.auth ?? 'pubkey';
}

// ---------------------------------------------------------------- initiator

export interface AuthCallbacks {
  established(sa: IkeSa): void;
  /** the IKE SA could not be set up: destroy it and report */
  failed(sa: IkeSa, reason: string, notifyName?: string): void;
  /** the IKE SA is up but its first CHILD SA failed */
  childFailed(sa: IkeSa, reason: string): void;
  childUp(sa: IkeSa): void;
}

export function startAuth(ctx: Ikev2Context, sa: IkeSa, conn: ConnectionConfig, cb: AuthCallbacks): void {
  const method = authMethodOf(conn, 'local');
  const child = conn.children.find((c) => c.name === sa.firstChild) ?? conn.children[0];
  let cred: Credential;
  if (method === 'psk') {
    sa.localId = ownIdentity(conn, sa.local.address);
    const found = findSharedSecret(ctx.config.secrets.ike, sa.localId, expectedRemoteId(conn, sa));
    if (!found) {
      cb.failed(sa, `no shared key found for '${idText(sa.localId)}' - '${idText(expectedRemoteId(conn, sa))}'`);
      return;
    }
    cred = { psk: found };
  } else if (isPubkeyAuth(method)) {
    const signer = localSigner(ctx, conn);
    if (typeof signer === 'string') {
      cb.failed(sa, signer);
      return;
    }
    sa.localId = signer.id;
    cred = { signer };
  } else {
    cb.failed(sa, `local authentication '${method}' is not implemented yet (psk, pubkey)`);
    return;
  }
  const psk = 'psk' in cred ? cred.psk : new Uint8Array(0);
  const build = (spiIn: number | undefined): void => {
    const localId = sa.localId as IkeId;
    const payloads: IkePayload[] = [idPayload('IDi', localId)];
    if ('signer' in cred) payloads.push(certPayload(cred.signer));
    if (isPubkeyAuth(authMethodOf(conn, 'remote'))) {
      const req = certreqPayload(ctx, conn);
      if (req) payloads.push(req);
    }
    const rid = firstRound(conn.remote)?.id;
    if (rid !== undefined && rid !== '%any' && !rid.includes('*')) payloads.push(idPayload('IDr', parseIdentity(rid)));
    payloads.push(authPayload(sa, cred, localId));
    const cp = cpRequest(conn);
    if (cp) payloads.push(cp);
    let tsi: ReturnType<typeof initiatorLocalTs> = [];
    let tsr: ReturnType<typeof initiatorLocalTs> = [];
    if (child && spiIn !== undefined) {
      tsi = initiatorLocalTs(child, conn, sa);
      tsr = remoteTsOf(child, sa, []);
      payloads.push(...offerChild(child, spiIn, tsi, tsr, true));
    }
    // RFC 4555 §3.2, §3.4: in the IKE_AUTH request with the SA payload.
    if (conn.mobike) payloads.push(...mobikeAuthPayloads(ctx, sa));
    ctx.request(
      sa,
      ExchangeType.IKE_AUTH,
      payloads,
      (s, resp) =>
        processAuthResponse(
          ctx,
          s,
          conn,
          resp,
          psk,
          child && spiIn !== undefined ? { spiIn, tsi, tsr } : undefined,
          cb,
        ),
      (s) => cb.failed(s, 'peer did not answer IKE_AUTH (retransmits exhausted)'),
    );
  };
  if (!child) {
    build(undefined);
    return;
  }
  ctx.getSpi(sa, ctx.reqidFor(conn.name, child.name), (spi) => {
    if (spi === undefined) cb.failed(sa, 'GETSPI failed');
    else build(spi);
  });
}

function processAuthResponse(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  p: IkePayload[],
  psk: Uint8Array,
  offer:
    | { spiIn: number; tsi: ReturnType<typeof initiatorLocalTs>; tsr: ReturnType<typeof initiatorLocalTs> }
    | undefined,
  cb: AuthCallbacks,
): void {
  const idr = first(p, 'IDr');
  const auth = first(p, 'AUTH');
  if (!idr || !auth) {
    const err = firstError(p);
    const name = err ? notifyText(err.notifyType) : 'IKE_AUTH response without IDr/AUTH';
    cb.failed(sa, `${name} from ${formatIp(sa.remote.address)}`, err ? name : undefined);
    return;
  }
  const remoteId = idOf(idr);
  if (!remoteIdAcceptable(conn, remoteId)) {
    cb.failed(
      sa,
      `peer identity '${formatIdentity(remoteId)}' does not match the configured remote id`,
      'AUTHENTICATION_FAILED',
    );
    return;
  }
  if (isPubkeyAuth(authMethodOf(conn, 'remote'))) {
    const ok = SIGNATURE_METHODS.includes(auth.method)
      ? verifyPeerSignature(ctx, conn, p, remoteId, auth, octetsOf(sa, false, remoteId))
      : `AUTH method ${auth.method} where a signature was expected`;
    if (ok !== true) {
      cb.failed(sa, `authentication of '${formatIdentity(remoteId)}' failed: ${ok}`, 'AUTHENTICATION_FAILED');
      return;
    }
  } else {
    const rpsk = findSharedSecret(ctx.config.secrets.ike, sa.localId as IkeId, remoteId) ?? psk;
    if (auth.method !== AuthMethod.PSK || !bytesEqual(auth.data, authData(sa, rpsk, false, remoteId))) {
      cb.failed(
        sa,
        `authentication of '${formatIdentity(remoteId)}' with pre-shared key failed`,
        'AUTHENTICATION_FAILED',
      );
      return;
    }
  }
  sa.remoteId = remoteId;
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

// ---------------------------------------------------------------- responder

/**
 * Answer an IKE_AUTH request. `respond` seals and sends the response (possibly later, after
 * GETSPI). Returns false when authentication failed (the engine destroys the SA after the
 * AUTHENTICATION_FAILED response went out).
 */
export function processAuthRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  conns: ConnectionConfig[],
  p: IkePayload[],
  respond: (payloads: IkePayload[], authFailed: boolean) => void,
  established: (sa: IkeSa) => void,
): void {
  // RFC 4555 §3.2: MOBIKE_SUPPORTED (and our addresses) close the response once authenticated.
  let tail: IkePayload[] = [];
  const respondAll = (payloads: IkePayload[], authFailed: boolean): void => respond([...payloads, ...tail], authFailed);
  const idi = first(p, 'IDi');
  const auth = first(p, 'AUTH');
  const fail = (reason: string): void => {
    ctx.event({
      kind: 'auth-failed',
      conn: sa.name,
      ikeId: sa.id,
      notify: 'AUTHENTICATION_FAILED',
      peer: formatIp(sa.remote.address),
      detail: reason,
    });
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}]: ${reason}, sending AUTHENTICATION_FAILED`);
    respondAll([notify(Notify.AUTHENTICATION_FAILED)], true);
  };
  if (!idi || !auth) {
    fail('IKE_AUTH request without IDi or AUTH (EAP is not implemented yet)');
    return;
  }
  const remoteId = idOf(idi);
  const idr = first(p, 'IDr');
  // The connection: addresses matched already; now the peer's identity, our identity if it
  // named one (IDr), and the authentication method (strongSwan's peer_cfg selection).
  const conn = conns.find(
    (c) =>
      remoteIdAcceptable(c, remoteId) &&
      (auth.method === AuthMethod.PSK
        ? authMethodOf(c, 'remote') === 'psk'
        : isPubkeyAuth(authMethodOf(c, 'remote'))) &&
      (!idr ||
        bytesEqual(idPayloadBody(ownIdentity(c, sa.local.address)), idPayloadBody(idOf(idr))) ||
        firstRound(c.local)?.id === undefined),
  );
  if (!conn) {
    fail(`no connection matches peer identity '${formatIdentity(remoteId)}'`);
    return;
  }
  sa.conn = conn;
  // Our credential first (the PSK lookup needs our identity).
  const localMethod = authMethodOf(conn, 'local');
  let cred: Credential;
  let ownId: IkeId;
  if (isPubkeyAuth(localMethod)) {
    const signer = localSigner(ctx, conn);
    if (typeof signer === 'string') {
      fail(signer);
      return;
    }
    cred = { signer };
    ownId = signer.id;
  } else {
    ownId = ownIdentity(conn, sa.local.address);
    const own = findSharedSecret(ctx.config.secrets.ike, ownId, remoteId);
    if (!own) {
      fail(`no shared key for '${formatIdentity(ownId)}' - '${formatIdentity(remoteId)}'`);
      return;
    }
    cred = { psk: own };
  }
  if (auth.method === AuthMethod.PSK) {
    const psk = findSharedSecret(ctx.config.secrets.ike, ownId, remoteId);
    if (!psk || !bytesEqual(auth.data, authData(sa, psk, false, remoteId))) {
      fail(
        psk
          ? `authentication of '${formatIdentity(remoteId)}' with pre-shared key failed`
          : `no shared key for '${formatIdentity(remoteId)}'`,
      );
      return;
    }
  } else {
    const ok = verifyPeerSignature(ctx, conn, p, remoteId, auth, octetsOf(sa, false, remoteId));
    if (ok !== true) {
      fail(`authentication of '${formatIdentity(remoteId)}' failed: ${ok}`);
      return;
    }
  }
  sa.localId = ownId;
  sa.remoteId = remoteId;
  processMobikeAuth(ctx, sa, conn, p);
  if (sa.mobike) tail = mobikeAuthPayloads(ctx, sa);
  const out: IkePayload[] = [idPayload('IDr', ownId)];
  // send_cert = ifasked (default): only when the peer sent a CERTREQ (strongSwan's rule).
  if ('signer' in cred && (conn.sendCert === 'always' || (conn.sendCert === 'ifasked' && first(p, 'CERTREQ')))) {
    out.push(certPayload(cred.signer));
  }
  out.push(authPayload(sa, cred, ownId));
  established(sa);
  let remoteDynamic: Uint8Array[] = [];
  const cp = first(p, 'CP');
  if (cp) {
    const ans = cpAnswer(ctx, sa, conn, cp, formatIdentity(remoteId));
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
  ctx.getSpi(sa, ctx.reqidFor(conn.name, choice.child.name), (spiIn) => {
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
