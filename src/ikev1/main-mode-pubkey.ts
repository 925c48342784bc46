/**
 * Main Mode with RSA signatures (RFC 2409 §5.1, authentication method 3) and X.509
 * certificates (RFC 4945):
 *
 *   Initiator                               Responder
 *   HDR, SA                         -->                                       MM1
 *                                   <--     HDR, SA                           MM2
 *   HDR, KE, Ni                     -->                                       MM3
 *                                   <--     HDR, KE, Nr, CR*                  MM4
 *   HDR*, IDii, CERT*, CR*, SIG_I   -->                                       MM5
 *                                   <--     HDR*, IDir, CERT*, SIG_R          MM6
 *
 * SKEYID = prf(Ni_b | Nr_b, g^xy) (§5); SIG_I / SIG_R sign HASH_I / HASH_R as in
 * crypto/ikev1/ikev1-signature.ts. Where the CERT and CR payloads go is not fixed by RFC 2409;
 * esprit follows charon (isakmp_cert_pre.c): the responder requests in MM4, the initiator in
 * MM5, and each sends its certificate when asked (`send_cert = ifasked`, the default), always
 * or never. A CR names an acceptable CA by its subject DN (RFC 2408 §3.10, RFC 4945 §3.2.4).
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { certPublicKey } from '../crypto/ike/x509-chain.js';
import { phase1Hash } from '../crypto/ikev1/ikev1-keymat.js';
import { signHashRsa, verifyHashRsa } from '../crypto/ikev1/ikev1-signature.js';
import {
  certificatesToSend,
  firstAuthRound,
  isPubkeyAuth,
  localCredential,
  trustAnchors,
  verifyPeerCertificates,
} from '../ike/cert-auth.js';
import { type IkeCredentials, NO_CREDENTIALS } from '../ike/credentials.js';
import { formatIdentity, type IkeId } from '../ike/identity.js';
import type { IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IkeAuthMethod } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { payloadBody } from './phase1-message.js';

/** The most CERT payloads taken from one message (strongSwan's MAX_CERT_PAYLOADS). */
const MAX_CERTS = 8;

/** RFC 2408 §3.9 Certificate Encoding 4: X.509 Certificate - Signature. */
export const CERT_X509_SIGNATURE = 4;

/** The phase 1 authentication method of a connection: RSA signatures for `auth = pubkey`, else PSK. */
export function phase1AuthMethod(conn: ConnectionConfig): number {
  return isPubkeyAuth(firstAuthRound(conn.local)?.auth) ? IkeAuthMethod.RSA_SIGNATURES : IkeAuthMethod.PRE_SHARED_KEY;
}

/** Does the SA authenticate with signatures (the negotiated method)? */
export function signatureAuth(sa: Ikev1Sa): boolean {
  return sa.suite?.authMethod === IkeAuthMethod.RSA_SIGNATURES;
}

/** CR payloads for the CAs we accept from the peer (`send_certreq`, default yes). */
export function certRequests(creds: IkeCredentials, conn: ConnectionConfig): IsakmpPayload[] {
  if (!conn.sendCertreq) return [];
  return trustAnchors(creds, conn)
    .filter((c) => c.x509.ca)
    .map((c): IsakmpPayload => ({ kind: 'CR', encoding: CERT_X509_SIGNATURE, data: c.subjectDer }));
}

/** Note a peer's CR payloads (it then gets our certificate under `send_cert = ifasked`). */
export function noteCertRequests(sa: Ikev1Sa, ps: readonly IsakmpPayload[]): void {
  if (ps.some((p) => p.kind === 'CR')) sa.peerCertreq = true;
}

/**
 * Our ID, CERT* and SIG for MM5 / MM6 (`crs` go before SIG, in MM5). `hash` computes HASH_I /
 * HASH_R over the ID payload. A reason string when our credential is missing.
 */
export function signedIdentity(
  creds: IkeCredentials,
  sa: Ikev1Sa,
  crs: IsakmpPayload[],
  idPayload: (id: IkeId) => IsakmpPayload,
  hash: (id: IsakmpPayload) => Uint8Array,
): IsakmpPayload[] | string {
  const own = localCredential(creds, sa.conn);
  if (typeof own === 'string') return own;
  sa.localId = own.id;
  const id = idPayload(own.id);
  const send = sa.conn.sendCert === 'always' || (sa.conn.sendCert === 'ifasked' && sa.peerCertreq === true);
  const certs: IsakmpPayload[] = send
    ? certificatesToSend(creds, own.cert).map((c) => ({ kind: 'CERT', encoding: CERT_X509_SIGNATURE, data: c.der }))
    : [];
  return [id, ...certs, ...crs, { kind: 'SIG', data: signHashRsa(own.key, hash(id)) }];
}

/**
 * The peer's SIG over `hash` (its HASH_I / HASH_R) with the key of its certificate, after the
 * certificates verified for `peerId`. A reason string on failure.
 */
export function verifySignedIdentity(
  creds: IkeCredentials,
  sa: Ikev1Sa,
  ps: readonly IsakmpPayload[],
  peerId: IkeId,
  hash: Uint8Array,
  nowMs: number,
): true | string {
  const sig = ps.find((p) => p.kind === 'SIG');
  if (sig?.kind !== 'SIG') return 'SIG payload missing';
  const ders = ps.flatMap((p) => (p.kind === 'CERT' && p.encoding === CERT_X509_SIGNATURE ? [p.data] : []));
  // bounded work on what the peer sends: charon's message.c allows 8 CERT payloads a message
  if (ders.length > MAX_CERTS) return `${ders.length} CERT payloads (at most ${MAX_CERTS})`;
  const v = verifyPeerCertificates(creds, sa.conn, ders, peerId, nowMs);
  if (!v.ok) return v.reason;
  if (!verifyHashRsa(certPublicKey(v.leaf), hash, sig.data))
    return `signature of '${formatIdentity(peerId)}' does not verify`;
  return true;
}

/**
 * Aggressive Mode responder with signatures (RFC 2409 §5.1): AM2's IDir, CERT*, CR*, SIG_R
 * (the initiator's CRs ride in AM1, ours in AM2, as charon's isakmp_cert_pre does).
 */
export function aggressiveSignedIdentity(
  ctx: { credentials?: IkeCredentials },
  sa: Ikev1Sa,
  am1: readonly IsakmpPayload[],
): IsakmpPayload[] | string {
  noteCertRequests(sa, am1);
  const { suite, keys, gxi, gxr, saiB } = sa;
  if (!suite || !keys || !gxi || !gxr || !saiB) throw new Error('assertion failed: AM2 before keys');
  const creds = ctx.credentials ?? NO_CREDENTIALS;
  return signedIdentity(creds, sa, certRequests(creds, sa.conn), idPayloadOf, (id) =>
    phase1Hash(suite.prf, keys.skeyid, false, gxi, gxr, sa.spiI, sa.spiR, saiB, payloadBody(id)),
  );
}

/** AM3's CERT* and SIG_I over `hashI` for the ID AM1 carried; a failing step, or undefined. */
export function aggressiveVerifySignature(
  ctx: { credentials?: IkeCredentials; now?: () => number },
  sa: Ikev1Sa,
  ps: readonly IsakmpPayload[],
  hashI: Uint8Array,
): { kind: 'fail'; notify: string; reason: string } | undefined {
  const peerId = sa.remoteId;
  if (!peerId) throw new Error('assertion failed: AM3 before AM1');
  const ok = verifySignedIdentity(ctx.credentials ?? NO_CREDENTIALS, sa, ps, peerId, hashI, ctx.now?.() ?? 0);
  return ok === true ? undefined : { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: ok };
}

/** RFC 3947 §4: ID payloads with protocol and port 0 (as main-mode.ts idPayload). */
function idPayloadOf(id: IkeId): IsakmpPayload {
  return { kind: 'ID', idType: id.type, protocolId: 0, port: 0, data: id.data };
}
