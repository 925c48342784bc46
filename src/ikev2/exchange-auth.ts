/**
 * IKE_AUTH (RFC 7296 §1.2, §2.15) with PSK or certificate authentication, configuration
 * payloads (§2.19) and the first CHILD SA; a request without AUTH (EAP, §2.16) and the EAP
 * rounds after the responder's first answer go to exchange-eap.ts:
 *
 *   HDR, SK {IDi, [IDr,] AUTH, [CP(CFG_REQUEST),] SAi2, TSi, TSr}  -->
 *                          <--  HDR, SK {IDr, AUTH, [CP(CFG_REPLY),] SAr2, TSi, TSr}
 *
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) where the initiator
 * signs its IKE_SA_INIT request, Nr and prf(SK_pi, IDi'); the responder its response, Ni
 * and prf(SK_pr, IDr'). Signatures: auth-pubkey.ts.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { formatIdentity, type IkeId, idPayloadBody, parseIdentity } from '../ike/identity.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import { certPayloads, certreqPayload, isPubkeyAuth, localSigner, verifyPeerSignature } from './auth-pubkey.js';
import {
  type AuthCallbacks,
  authData,
  authMethodOf,
  authPayload,
  type ChildOffer,
  type Credential,
  completeInitiator,
  completeResponder,
  idOf,
  idPayload,
  octetsOf,
  responderAuthPayloads,
  responderCredential,
} from './auth-shared.js';
import { initiatorLocalTs, offerChild, remoteTsOf } from './child-create.js';
import { cpRequest } from './config-payload.js';
import { continueEapInitiator, isEapMschapV2, startEapResponder } from './exchange-eap.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { AuthMethod, Notify, notifyText } from './ikev2-numbers.js';
import { mobikeAuthPayloads } from './mobike.js';
import { first, firstError, notify } from './payload-find.js';
import { findSharedSecret, firstRound, idText, ownIdentity, remoteIdAcceptable } from './peer-match.js';

const SIGNATURE_METHODS: readonly number[] = [1, 9, 10, 11, 14];

/** The identity we expect of the peer when looking up a PSK as initiator. */
function expectedRemoteId(conn: ConnectionConfig, sa: IkeSa): IkeId {
  const id = firstRound(conn.remote)?.id;
  return id !== undefined && id !== '%any' ? parseIdentity(id) : parseIdentity(formatIp(sa.remote.address));
}

// ---------------------------------------------------------------- initiator

export function startAuth(ctx: Ikev2Context, sa: IkeSa, conn: ConnectionConfig, cb: AuthCallbacks): void {
  const method = authMethodOf(conn, 'local');
  const child = conn.children.find((c) => c.name === sa.firstChild) ?? conn.children[0];
  let cred: Credential | { eap: true };
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
  } else if (isEapMschapV2(method)) {
    // §2.16: the initiator leaves AUTH out to ask for EAP.
    sa.localId = ownIdentity(conn, sa.local.address);
    cred = { eap: true };
  } else {
    cb.failed(sa, `local authentication '${method}' is not implemented (psk, pubkey, eap-mschapv2)`);
    return;
  }
  const psk = 'psk' in cred ? cred.psk : new Uint8Array(0);
  const build = (spiIn: number | undefined): void => {
    const localId = sa.localId as IkeId;
    const payloads: IkePayload[] = [idPayload('IDi', localId)];
    // RFC 7296 §3.16: INITIAL_CONTACT "asserts that this IKE SA is the only IKE SA currently
    // active between the authenticated identities": sent when we hold no other one to this
    // peer (strongSwan's rule), so a gateway drops state left from before our restart.
    if (!ctx.hasSiblingIkeSa(sa)) payloads.push(notify(Notify.INITIAL_CONTACT));
    if ('signer' in cred) payloads.push(...certPayloads(ctx, cred.signer));
    if (isPubkeyAuth(authMethodOf(conn, 'remote'))) {
      const req = certreqPayload(ctx, conn);
      if (req) payloads.push(req);
    }
    const rid = firstRound(conn.remote)?.id;
    if (rid !== undefined && rid !== '%any' && !rid.includes('*')) payloads.push(idPayload('IDr', parseIdentity(rid)));
    if (!('eap' in cred)) payloads.push(authPayload(sa, cred, localId));
    const cp = cpRequest(conn, sa.reauthVips);
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
          'eap' in cred,
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
  offer: ChildOffer,
  cb: AuthCallbacks,
  eap: boolean,
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
  if (eap) {
    // §2.16: the responder authenticated itself; EAP rounds follow, then AUTH with the MSK.
    continueEapInitiator(ctx, sa, conn, p, offer, cb);
    return;
  }
  completeInitiator(ctx, sa, conn, p, offer, cb);
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
  /** the peer is authenticated: establish the IKE SA, or the reason to refuse it */
  established: (sa: IkeSa) => string | undefined,
): void {
  // RFC 4555 §3.2: MOBIKE_SUPPORTED (and our addresses) close the response once authenticated.
  const tail: IkePayload[] = [];
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
  if (idi && !auth) {
    // §2.16: no AUTH asks for EAP.
    startEapResponder(ctx, sa, conns, p, idOf(idi), respond, fail);
    return;
  }
  if (!idi || !auth) {
    fail('IKE_AUTH request without IDi or AUTH');
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
  const local = responderCredential(ctx, sa, conn, remoteId);
  if (typeof local === 'string') {
    fail(local);
    return;
  }
  const { cred, ownId } = local;
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
  completeResponder(ctx, sa, conn, p, responderAuthPayloads(ctx, sa, conn, p, cred, ownId), respond, established);
}
