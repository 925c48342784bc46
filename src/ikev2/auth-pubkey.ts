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
import {
  classicMethod,
  keyMatchesPublic,
  type PrivateKey,
  signAuth,
  verifyAuth,
} from '../crypto/ike/signature-auth.js';
import {
  type Cert,
  caKeyHash,
  certMatchesIdentity,
  certPublicKey,
  intermediatesOf,
  parseCertificate,
  verifyChain,
} from '../crypto/ike/x509-chain.js';
import { checkRevocation } from '../crypto/ike/x509-crl.js';
import { formatIdentity, IdType, type IkeId, parseIdentity } from '../ike/identity.js';
import type { IkePayload } from '../wire/ike/ike-types.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { AuthMethod } from './ikev2-numbers.js';
import { all } from './payload-find.js';
import { firstRound } from './peer-match.js';

/** §3.6: X.509 Certificate - Signature. */
export const CERT_X509_SIGNATURE = 4;

export const isPubkeyAuth = (auth: string | undefined): boolean =>
  auth === 'pubkey' || auth === 'rsa' || auth === 'ecdsa';

export interface LocalSigner {
  id: IkeId;
  cert: Cert;
  key: PrivateKey;
}

export function localSigner(ctx: Ikev2Context, conn: ConnectionConfig): LocalSigner | string {
  const round = firstRound(conn.local);
  const path = round?.certs[0];
  if (!path) return `connection '${conn.name}' has no local certs for public-key authentication`;
  const cert = ctx.credentials.certs.get(path);
  if (!cert) return `certificate ${path} is not loaded`;
  const key = ctx.credentials.keys.find((k) => keyMatchesPublic(k, certPublicKey(cert)));
  if (!key) return `no private key for certificate ${path}`;
  const id =
    round?.id && round.id !== '%any' ? parseIdentity(round.id) : { type: IdType.ID_DER_ASN1_DN, data: cert.subjectDer };
  if (!certMatchesIdentity(cert, id.type, id.data))
    return `certificate ${path} does not contain identity '${formatIdentity(id)}'`;
  return { id, cert, key };
}

/** Our CERT payloads: the end-entity certificate, then the intermediate CAs we hold (x509ca/, certs). */
export function certPayloads(ctx: Ikev2Context, s: LocalSigner): IkePayload[] {
  const pool = [...ctx.credentials.cas, ...ctx.credentials.certs.values()];
  return [s.cert, ...intermediatesOf(s.cert, pool)].map((c) => ({
    kind: 'CERT',
    encoding: CERT_X509_SIGNATURE,
    data: c.der,
  }));
}

function trustAnchors(ctx: Ikev2Context, conn: ConnectionConfig): Cert[] {
  const round = firstRound(conn.remote);
  const named = (round?.cacerts ?? [])
    .map((p) => ctx.credentials.certs.get(p))
    .filter((c): c is Cert => c !== undefined);
  return named.length > 0 ? named : ctx.credentials.cas;
}

export function certreqPayload(ctx: Ikev2Context, conn: ConnectionConfig): IkePayload | undefined {
  if (!conn.sendCertreq) return undefined;
  const cas = trustAnchors(ctx, conn);
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
  const certs: Cert[] = [];
  for (const p of all(payloads, 'CERT')) {
    if (p.encoding !== CERT_X509_SIGNATURE) continue;
    try {
      certs.push(parseCertificate(p.data));
    } catch {
      return 'a CERT payload is not an X.509 certificate';
    }
  }
  const leaf = certs[0];
  if (!leaf) return `no certificate from '${formatIdentity(remoteId)}'`;
  const chain = verifyChain(leaf, certs.slice(1), trustAnchors(ctx, conn), ctx.clock.now());
  if (!chain.ok) return chain.reason;
  // RFC 5280 §6.3: the CRLs of x509crl/ (strongSwan's revocation plugin, no fetching).
  const policy = firstRound(conn.remote)?.revocation ?? 'relaxed';
  const revoked = checkRevocation(chain.chain, ctx.credentials.crls ?? [], ctx.clock.now(), policy);
  if (!revoked.ok) return revoked.reason;
  if (!certMatchesIdentity(leaf, remoteId.type, remoteId.data)) {
    return `certificate does not contain identity '${formatIdentity(remoteId)}'`;
  }
  if (!verifyAuth(auth.method, certPublicKey(leaf), octets, auth.data)) {
    return `signature of '${formatIdentity(remoteId)}' (AUTH method ${auth.method}) does not verify`;
  }
  return true;
}

export function parseCredentialCert(data: Uint8Array): Cert {
  return parseCertificate(data);
}
