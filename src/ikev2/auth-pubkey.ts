/**
 * Public-key authentication in IKE_AUTH (RFC 7296 §2.15, §3.6-§3.8; RFC 7427):
 *   HDR, SK {IDi, CERT+, [CERTREQ,] [IDr,] AUTH, ...}
 * - our side: the end-entity certificate of the round's `certs` and the private key that
 *   belongs to it; the ID defaults to the certificate's subject DN (as strongSwan); AUTH is
 *   method 14 (RFC 7427, SHA2-256) when the peer announced SIGNATURE_HASH_ALGORITHMS with
 *   SHA2-256, else the classic method of the key (1 RSA, 9/10/11 ECDSA).
 * - the peer: the CERT chain is verified up to a trust anchor (the round's `cacerts`, the
 *   `authorities`, every file in x509ca/), the certificate must speak for the peer's ID, and
 *   AUTH must verify with its public key.
 * - CERTREQ (§3.7) carries the SHA-1 hashes of our CAs' SubjectPublicKeyInfo.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { classicMethod, signAuth, verifyAuth } from '../crypto/ike/signature-auth.js';
import { type Cert, caKeyHash, certPublicKey, parseCertificate } from '../crypto/ike/x509-chain.js';
import {
  certificatesToSend,
  type LocalCredential,
  localCredential,
  trustAnchors,
  verifyPeerCertificates,
} from '../ike/cert-auth.js';
import { formatIdentity, type IkeId } from '../ike/identity.js';
import type { IkePayload } from '../wire/ike/ike-types.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { AuthMethod } from './ikev2-numbers.js';
import { all } from './payload-find.js';

export { isPubkeyAuth } from '../ike/cert-auth.js';

/** §3.6: X.509 Certificate - Signature. */
export const CERT_X509_SIGNATURE = 4;

export type LocalSigner = LocalCredential;

export function localSigner(ctx: Ikev2Context, conn: ConnectionConfig): LocalSigner | string {
  return localCredential(ctx.credentials, conn);
}

/** Our CERT payloads: the end-entity certificate, then the intermediate CAs we hold (x509ca/, certs). */
export function certPayloads(ctx: Ikev2Context, s: LocalSigner): IkePayload[] {
  return certificatesToSend(ctx.credentials, s.cert).map((c) => ({
    kind: 'CERT',
    encoding: CERT_X509_SIGNATURE,
    data: c.der,
  }));
}

export function certreqPayload(ctx: Ikev2Context, conn: ConnectionConfig): IkePayload | undefined {
  if (!conn.sendCertreq) return undefined;
  const cas = trustAnchors(ctx.credentials, conn);
  if (cas.length === 0) return undefined;
  const data = new Uint8Array(cas.length * 20);
  cas.forEach((c, i) => {
    data.set(caKeyHash(c), i * 20);
  });
  return { kind: 'CERTREQ', encoding: CERT_X509_SIGNATURE, data };
}

export function signAuthPayload(sa: IkeSa, s: LocalSigner, octets: Uint8Array): IkePayload {
  // RFC 7427 §4: method 14 only when the peer announced a hash we use (SHA2-256).
  const method = sa.peerSigHashes.includes(2) ? AuthMethod.DIGITAL_SIGNATURE : classicMethod(s.key);
  return { kind: 'AUTH', method, data: signAuth(method, s.key, octets, 'sha256') };
}

/** Verify the peer's certificate chain, its identity and its AUTH; a reason string on failure. */
export function verifyPeerSignature(
  ctx: Ikev2Context,
  conn: ConnectionConfig,
  payloads: IkePayload[],
  remoteId: IkeId,
  auth: { method: number; data: Uint8Array },
  octets: Uint8Array,
): true | string {
  const ders = all(payloads, 'CERT')
    .filter((p) => p.encoding === CERT_X509_SIGNATURE)
    .map((p) => p.data);
  const v = verifyPeerCertificates(ctx.credentials, conn, ders, remoteId, ctx.clock.now());
  if (!v.ok) return v.reason;
  const leaf = v.leaf;
  if (!verifyAuth(auth.method, certPublicKey(leaf), octets, auth.data)) {
    return `signature of '${formatIdentity(remoteId)}' (AUTH method ${auth.method}) does not verify`;
  }
  return true;
}

export function parseCredentialCert(data: Uint8Array): Cert {
  return parseCertificate(data);
}
