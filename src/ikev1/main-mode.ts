/**
 * Main Mode with pre-shared keys (RFC 2409 §5, §5.4) or RSA signatures (§5.1, the CERT, CR and
 * SIG payloads in main-mode-pubkey.ts), NAT-T detection and the port float of RFC 3947 §3-§4:
 *
 *   Initiator                          Responder
 *   HDR, SA, VID*              -->                                   MM1
 *                              <--     HDR, SA, VID                  MM2
 *   HDR, KE, Ni, NAT-D, NAT-D  -->                                   MM3
 *                              <--     HDR, KE, Nr, NAT-D, NAT-D     MM4
 *   HDR*, IDii, HASH_I         -->     (UDP 4500 when a NAT was seen) MM5
 *                              <--     HDR*, IDir, HASH_R            MM6
 *
 * Each step takes the SA and the received message and returns what to send or why it
 * failed. A step that fails before authentication leaves nothing established; a message
 * that does not decrypt is dropped without touching the SA (`drop`).
 */
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import { createKeyExchange, keyExchangeLength } from '../crypto/ike/key-exchange.js';
import { ikev1BlockSize, ikev1KeyLength } from '../crypto/ikev1/ikev1-cipher.js';
import { deriveSkeyids, encryptionKey, phase1Hash, phase1Iv } from '../crypto/ikev1/ikev1-keymat.js';
import { type IkeCredentials, NO_CREDENTIALS } from '../ike/credentials.js';
import { type IkeId, idMatches, parseIdentity } from '../ike/identity.js';
import type { Endpoint } from '../ike/natd.js';
import { findSharedSecret } from '../ike/shared-secret.js';
import { CryptoError } from '../util/errors.js';
import { bytesEqual } from '../util/hex.js';
import type { Rng } from '../util/rng.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { fragmentationVid, isFragmentationVid } from './isakmp-fragments.js';
import { buildIsakmpNatd, judgeIsakmpNatd } from './isakmp-natd.js';
import {
  certRequests,
  noteCertRequests,
  phase1AuthMethod,
  signatureAuth,
  signedIdentity,
  verifySignedIdentity,
} from './main-mode-pubkey.js';
import { clearMessage, encryptedMessage, findPayload, openMessage, payloadBody } from './phase1-message.js';
import {
  parsePhase1Transform,
  phase1SaPayload,
  phase1Transforms,
  selectPhase1,
  suiteAllowed,
} from './phase1-proposal.js';
import { configuredPhase1Lifetime } from './phase1-rekey.js';
import { chooseNatt, hasVid, VID } from './vendor-ids.js';

export interface MainModeContext {
  readonly config: EspritConfig;
  readonly rng: Rng;
  /** certificates and keys for `auth = pubkey` (main-mode-pubkey.ts); none when absent */
  readonly credentials?: IkeCredentials;
  /** the time in ms for certificate validity (the engine's clock) */
  readonly now?: () => number;
}

const credentialsOf = (ctx: MainModeContext): IkeCredentials => ctx.credentials ?? NO_CREDENTIALS;

export type MmStep =
  /** `payloads` are what `bytes` carries (before encryption), for the log */
  | { kind: 'send'; bytes: Uint8Array; payloads: IsakmpPayload[] }
  /** the exchange is complete (after MM6 on the initiator) */
  | { kind: 'done' }
  /** the SA fails: `notify` is the RFC 2408 §3.14.1 name for logs and events */
  | { kind: 'fail'; notify: string; reason: string }
  /** not a valid message for this SA: dropped, the SA unchanged */
  | { kind: 'drop'; reason: string };

/** NAT-T port (RFC 3947 §4). */
export const NATT_PORT = 4500;
/** RFC 2409 §5: nonces of 8 to 256 octets; esprit sends 32. */
const NONCE_LENGTH = 32;

/** The phase 1 lifetime offered: (reauth_time or rekey_time) plus over_time, as strongSwan offers it. */
export function phase1Lifetime(sa: Ikev1Sa): number {
  return configuredPhase1Lifetime(sa.conn);
}

function configuredRemoteId(sa: Ikev1Sa): string {
  return sa.conn.remote[0]?.id ?? '%any';
}

function pskFor(ctx: MainModeContext, sa: Ikev1Sa): Uint8Array | undefined {
  // RFC 2409 §5.4: Main Mode PSK is chosen before the peer's ID is seen, so by the
  // connection (picked by address) and its configured identities.
  return findSharedSecret(ctx.config.secrets.ike, sa.localId, parseIdentity(configuredRemoteId(sa)));
}

export function vids(ps: readonly IsakmpPayload[]): Uint8Array[] {
  return ps.flatMap((p) => (p.kind === 'V' ? [p.data] : []));
}

export function idPayload(id: IkeId): IsakmpPayload {
  // RFC 3947 §4: protocol and port 0 in the ID payload when NAT-T may be used (strongSwan does
  // the same always).
  return { kind: 'ID', idType: id.type, protocolId: 0, port: 0, data: id.data };
}

/** MM1: our proposals and the NAT-T VIDs we offer. */
export function startMainMode(sa: Ikev1Sa): { bytes: Uint8Array; payloads: IsakmpPayload[] } {
  const saP = phase1SaPayload(phase1Transforms(sa.conn.proposals, phase1AuthMethod(sa.conn), phase1Lifetime(sa)));
  sa.saiB = payloadBody(saP);
  sa.state = 'mm1-sent';
  // RFC 3706 §5.1: the DPD vendor ID, so the peer may send and answer R-U-THERE
  const out: IsakmpPayload[] = [
    saP,
    ...sa.offered.map((v): IsakmpPayload => ({ kind: 'V', data: v.vid })),
    { kind: 'V', data: VID.DPD },
    ...fragmentationVid(sa.conn, true, false),
  ];
  return { bytes: clearMessage(sa, out), payloads: out };
}

/** Responder, MM1 -> MM2: choose a transform and a NAT-T variant. */
export function processMm1(sa: Ikev1Sa, msg: IsakmpMessage): MmStep {
  const saP = findPayload(msg.payloads, 'SA');
  if (!saP) return { kind: 'fail', notify: 'PAYLOAD-MALFORMED', reason: 'MM1 without an SA payload' };
  const sel = selectPhase1(saP, sa.conn.proposals, phase1AuthMethod(sa.conn));
  if (!sel) return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: 'no acceptable phase 1 transform' };
  sa.saiB = payloadBody(saP);
  sa.suite = sel.suite;
  sa.natt = chooseNatt(sa.offered, vids(msg.payloads));
  sa.state = 'mm2-sent';
  const reply: IsakmpPayload[] = [
    {
      kind: 'SA',
      doi: saP.doi,
      situation: saP.situation,
      proposals: [{ number: sel.proposalNumber, protocolId: 1, spi: new Uint8Array(0), transforms: [sel.transform] }],
    },
  ];
  if (sa.natt) reply.push({ kind: 'V', data: sa.natt.vid });
  sa.peerDpd = hasVid(vids(msg.payloads), VID.DPD);
  if (sa.peerDpd) reply.push({ kind: 'V', data: VID.DPD });
  sa.peerFragmentation = vids(msg.payloads).some(isFragmentationVid);
  reply.push(...fragmentationVid(sa.conn, false, sa.peerFragmentation));
  return send(clearMessage(sa, reply), reply);
}

export function keAndNonce(ctx: MainModeContext, sa: Ikev1Sa): IsakmpPayload[] {
  const suite = sa.suite;
  if (!suite) throw new Error('assertion failed: suite before KE');
  sa.ke = createKeyExchange(suite.group, ctx.rng);
  const nonce = new Uint8Array(NONCE_LENGTH);
  ctx.rng.fill(nonce);
  if (sa.initiator) {
    sa.gxi = sa.ke.publicValue;
    sa.nonceI = nonce;
  } else {
    sa.gxr = sa.ke.publicValue;
    sa.nonceR = nonce;
  }
  const out: IsakmpPayload[] = [
    { kind: 'KE', keyData: sa.ke.publicValue },
    { kind: 'No', nonce },
  ];
  if (sa.natt) {
    const fake: Endpoint | undefined = sa.conn.encap ? { address: new Uint8Array(4), port: 0 } : undefined;
    for (const hash of buildIsakmpNatd(suite.prf, sa.spiI, sa.spiR, sa.local, sa.remote, fake))
      out.push({ kind: 'NAT-D', draft: sa.natt.natd !== 20, hash });
  }
  return out;
}

/** Initiator, MM2 -> MM3: the responder's choice must be one of our transforms. */
export function processMm2(ctx: MainModeContext, sa: Ikev1Sa, msg: IsakmpMessage): MmStep {
  const saP = findPayload(msg.payloads, 'SA');
  const t = saP?.proposals.length === 1 ? saP.proposals[0]?.transforms : undefined;
  if (!t || t.length !== 1 || !t[0])
    return { kind: 'fail', notify: 'BAD-PROPOSAL-SYNTAX', reason: 'MM2 must hold one transform' };
  const suite = parsePhase1Transform(t[0]);
  if (typeof suite === 'string') return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: `MM2: ${suite}` };
  if (suite.authMethod !== phase1AuthMethod(sa.conn) || !suiteAllowed(sa.conn.proposals, suite))
    return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: 'the responder chose a transform we did not offer' };
  sa.suite = suite;
  sa.natt = chooseNatt(sa.offered, vids(msg.payloads));
  sa.peerDpd = hasVid(vids(msg.payloads), VID.DPD);
  sa.peerFragmentation = vids(msg.payloads).some(isFragmentationVid);
  sa.state = 'mm3-sent';
  const out = keAndNonce(ctx, sa);
  return send(clearMessage(sa, out), out);
}

/** KE, nonce and NAT-D of MM3/MM4; derives the keys. */
export function takeKeyExchange(sa: Ikev1Sa, msg: IsakmpMessage): MmStep | undefined {
  const suite = sa.suite;
  const ke = findPayload(msg.payloads, 'KE');
  const no = findPayload(msg.payloads, 'No');
  if (!suite || !ke || !no)
    return { kind: 'fail', notify: 'PAYLOAD-MALFORMED', reason: 'KE and nonce payloads expected' };
  if (ke.keyData.length !== keyExchangeLength(suite.group))
    return { kind: 'fail', notify: 'INVALID-KEY-INFORMATION', reason: `KE of ${ke.keyData.length} octets` };
  if (no.nonce.length < 8 || no.nonce.length > 256)
    return {
      kind: 'fail',
      notify: 'PAYLOAD-MALFORMED',
      reason: `nonce of ${no.nonce.length} octets (RFC 2409 §5: 8-256)`,
    };
  if (sa.initiator) {
    sa.gxr = ke.keyData;
    sa.nonceR = no.nonce;
  } else {
    sa.gxi = ke.keyData;
    sa.nonceI = no.nonce;
  }
  if (sa.natt) {
    const natt = sa.natt;
    const hashes = msg.payloads.flatMap((p) => (p.kind === 'NAT-D' && p.draft === (natt.natd !== 20) ? [p.hash] : []));
    const r = judgeIsakmpNatd(suite.prf, sa.spiI, sa.spiR, sa.local, sa.remote, hashes);
    if (r) {
      sa.localBehindNat = r.localBehindNat;
      sa.remoteBehindNat = r.remoteBehindNat;
    }
  }
  return undefined;
}

/** SKEYIDs, Ka and the phase 1 IV; `psk` found by the peer's ID (Aggressive Mode) or else by the configured IDs. */
export function deriveKeys(
  ctx: MainModeContext,
  sa: Ikev1Sa,
  peerKe: Uint8Array,
  peerPsk?: Uint8Array,
): MmStep | undefined {
  const { suite, ke, nonceI, nonceR, gxi, gxr } = sa;
  if (!suite || !ke || !nonceI || !nonceR || !gxi || !gxr) throw new Error('assertion failed: keys before KE');
  // §5: SKEYID = prf(Ni_b | Nr_b, g^xy) for signatures, prf(pre-shared-key, Ni_b | Nr_b) for a PSK
  const psk = signatureAuth(sa) ? undefined : (peerPsk ?? pskFor(ctx, sa));
  if (!psk && !signatureAuth(sa))
    return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: 'no pre-shared key for these identities' };
  let gxy: Uint8Array;
  try {
    gxy = ke.sharedSecret(peerKe);
  } catch (e) {
    if (e instanceof CryptoError) return { kind: 'fail', notify: 'INVALID-KEY-INFORMATION', reason: e.message };
    throw e;
  }
  sa.keys = deriveSkeyids(
    suite.prf,
    psk ? { kind: 'psk', psk } : { kind: 'signature' },
    nonceI,
    nonceR,
    gxy,
    sa.spiI,
    sa.spiR,
  );
  sa.encKey = encryptionKey(suite.prf, sa.keys.skeyidE, ikev1KeyLength(suite.encr, suite.keyBits));
  sa.iv = phase1Iv(suite.prf, gxi, gxr, ikev1BlockSize(suite.encr));
  return undefined;
}

/** Responder, MM3 -> MM4. */
export function processMm3(ctx: MainModeContext, sa: Ikev1Sa, msg: IsakmpMessage): MmStep {
  const bad = takeKeyExchange(sa, msg);
  if (bad) return bad;
  noteCertRequests(sa, msg.payloads);
  const out = keAndNonce(ctx, sa);
  // RFC 2409 §5.1 leaves CR's place open; charon requests in MM4 (main-mode-pubkey.ts)
  if (signatureAuth(sa)) out.push(...certRequests(credentialsOf(ctx), sa.conn));
  const failed = deriveKeys(ctx, sa, sa.gxi as Uint8Array);
  if (failed) return failed;
  sa.state = 'mm4-sent';
  return send(clearMessage(sa, out), out);
}

/** Initiator, MM4 -> MM5: keys, the float to 4500 (RFC 3947 §4), IDii and HASH_I encrypted. */
export function processMm4(ctx: MainModeContext, sa: Ikev1Sa, msg: IsakmpMessage): MmStep {
  const bad = takeKeyExchange(sa, msg) ?? deriveKeys(ctx, sa, sa.gxr as Uint8Array);
  if (bad) return bad;
  if (sa.natt?.float && (sa.localBehindNat || sa.remoteBehindNat || sa.conn.encap)) {
    sa.local = { address: sa.local.address, port: NATT_PORT };
    sa.remote = { address: sa.remote.address, port: NATT_PORT };
  }
  noteCertRequests(sa, msg.payloads);
  const out = ownAuth(ctx, sa, true);
  if (typeof out === 'string') return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: out };
  sa.state = 'mm5-sent';
  return send(encryptedMessage(sa, out), out);
}

/** IDii / IDir with HASH (PSK) or with CERT* [CR*] SIG (signatures; CR only in MM5). */
function ownAuth(ctx: MainModeContext, sa: Ikev1Sa, mm5: boolean): IsakmpPayload[] | string {
  if (signatureAuth(sa))
    return signedIdentity(
      credentialsOf(ctx),
      sa,
      mm5 ? certRequests(credentialsOf(ctx), sa.conn) : [],
      idPayload,
      (id) => ownHash(sa, id),
    );
  const id = idPayload(sa.localId);
  return [id, { kind: 'HASH', data: ownHash(sa, id) }];
}

export function ownHash(sa: Ikev1Sa, id: IsakmpPayload): Uint8Array {
  const { suite, keys, gxi, gxr, saiB } = sa;
  if (!suite || !keys || !gxi || !gxr || !saiB) throw new Error('assertion failed: HASH before keys');
  return phase1Hash(suite.prf, keys.skeyid, sa.initiator, gxi, gxr, sa.spiI, sa.spiR, saiB, payloadBody(id));
}

export function send(bytes: Uint8Array, payloads: IsakmpPayload[]): MmStep {
  return { kind: 'send', bytes, payloads };
}

/**
 * Verify the peer's ID and HASH in MM5/MM6; on success the IV advances and the peer ID is
 * set. The decrypted payloads go to `opened` (for the log) once the message decrypted.
 */
function verifyPeer(
  ctx: MainModeContext,
  sa: Ikev1Sa,
  msg: IsakmpMessage,
  opened: IsakmpPayload[],
): MmStep | undefined {
  const o = openMessage(sa, msg);
  if ('error' in o) return { kind: 'drop', reason: o.error };
  opened.push(...o.payloads);
  const op = o;
  const sig = signatureAuth(sa);
  const id = findPayload(op.payloads, 'ID');
  const hash = findPayload(op.payloads, 'HASH');
  if (!id || (!sig && !hash)) return { kind: 'drop', reason: `ID and ${sig ? 'SIG' : 'HASH'} payloads expected` };
  const { suite, keys, gxi, gxr, saiB } = sa;
  if (!suite || !keys || !gxi || !gxr || !saiB) throw new Error('assertion failed: keys before MM5');
  const want = phase1Hash(suite.prf, keys.skeyid, !sa.initiator, gxi, gxr, sa.spiI, sa.spiR, saiB, payloadBody(id));
  const peerId: IkeId = { type: id.idType, data: id.data };
  if (sig) {
    // §5.1: SIG_I / SIG_R sign HASH_I / HASH_R; the certificate must speak for IDii / IDir
    noteCertRequests(sa, op.payloads);
    const ok = verifySignedIdentity(credentialsOf(ctx), sa, op.payloads, peerId, want, ctx.now?.() ?? 0);
    if (ok !== true) return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: ok };
  }
  // A wrong HASH under a correctly decrypting body means the peer used another PSK (a wrong
  // key decrypts to garbage, which is dropped above).
  else if (!hash || !bytesEqual(want, hash.data))
    return {
      kind: 'fail',
      notify: 'AUTHENTICATION-FAILED',
      reason: `HASH_${sa.initiator ? 'R' : 'I'} does not verify`,
    };
  if (!idMatches(configuredRemoteId(sa), peerId))
    return { kind: 'fail', notify: 'INVALID-ID-INFORMATION', reason: 'the peer identity is not the configured one' };
  sa.iv = op.nextIv;
  sa.remoteId = peerId;
  return undefined;
}

/** Responder, MM5 -> MM6 (the peer may have floated: `from` is where MM5 came from). */
export function processMm5(
  ctx: MainModeContext,
  sa: Ikev1Sa,
  msg: IsakmpMessage,
  local: Endpoint,
  from: Endpoint,
  opened: IsakmpPayload[],
): MmStep {
  const bad = verifyPeer(ctx, sa, msg, opened);
  if (bad) return bad;
  // RFC 3947 §4: answer on the port pair the initiator moved to.
  sa.local = local;
  sa.remote = from;
  const out = ownAuth(ctx, sa, false);
  if (typeof out === 'string') return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: out };
  const bytes = encryptedMessage(sa, out);
  sa.state = 'established';
  return send(bytes, out);
}

/** Initiator, MM6: established. */
export function processMm6(ctx: MainModeContext, sa: Ikev1Sa, msg: IsakmpMessage, opened: IsakmpPayload[]): MmStep {
  const bad = verifyPeer(ctx, sa, msg, opened);
  if (bad) return bad;
  sa.state = 'established';
  return { kind: 'done' };
}
