/**
 * The certificate side of public-key authentication, shared by IKEv1 (RFC 2409 §5.1,
 * RFC 4945 §3) and IKEv2 (RFC 7296 §2.15, §3.6-§3.7); what is signed and how differs per
 * version and stays in ikev1/ and ikev2/.
 * - our side: the end-entity certificate named by the first round's `certs`, the private key
 *   that belongs to it, the identity (the configured `id`, else the certificate's subject DN
 *   as strongSwan), which the certificate must contain; the intermediate CAs to send.
 * - the peer: its certificates (end entity first) verified up to a trust anchor (the round's
 *   `cacerts`, else every CA of x509ca/ and `authorities`), the CRLs of x509crl/ checked by
 *   the round's `revocation` policy, and the certificate must contain the peer's identity.
 */
import type { AuthRoundConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { keyMatchesPublic, type PrivateKey } from '../crypto/ike/signature-auth.js';
import {
  type Cert,
  certMatchesIdentity,
  certPublicKey,
  intermediatesOf,
  parseCertificate,
  verifyChain,
} from '../crypto/ike/x509-chain.js';
import { checkRevocation } from '../crypto/ike/x509-crl.js';
import type { IkeCredentials } from './credentials.js';
import { decodeDn } from './distinguished-name.js';
import { formatIdentity, IdType, type IkeId, parseIdentity } from './identity.js';

/**
 * Does the certificate contain the identity? As x509-chain's certMatchesIdentity, except that
 * a DN compares by its attributes (OID and value, in order) rather than by its octets: a DN
 * typed in the configuration is encoded as UTF8String, the certificate's may use
 * PrintableString (strongSwan's `pki` does for C=), and both name the same subject (RFC 4945
 * §3.1.5 wants the ID to match the subject, not its encoding).
 */
export function certContainsIdentity(cert: Cert, id: IkeId): boolean {
  if (certMatchesIdentity(cert, id.type, id.data)) return true;
  if (id.type !== IdType.ID_DER_ASN1_DN) return false;
  const a = decodeDn(cert.subjectDer);
  const b = decodeDn(id.data);
  return (
    a !== undefined &&
    b !== undefined &&
    a.length === b.length &&
    a.every((r, i) => r.oid === b[i]?.oid && r.value === b[i]?.value)
  );
}

/** swanctl's `auth` values that mean public-key authentication. */
export const isPubkeyAuth = (auth: string | undefined): boolean =>
  auth === 'pubkey' || auth === 'rsa' || auth === 'ecdsa';

/** The first authentication round (swanctl `local`/`remote`, or `local-1`...). */
export function firstAuthRound(rounds: readonly AuthRoundConfig[]): AuthRoundConfig | undefined {
  return rounds.find((r) => r.round === 1) ?? rounds[0];
}

export interface LocalCredential {
  id: IkeId;
  cert: Cert;
  key: PrivateKey;
}

/** Our certificate, key and identity for `conn`; a reason string when something is missing. */
export function localCredential(creds: IkeCredentials, conn: ConnectionConfig): LocalCredential | string {
  const round = firstAuthRound(conn.local);
  const path = round?.certs[0];
  if (!path) return `connection '${conn.name}' has no local certs for public-key authentication`;
  const cert = creds.certs.get(path);
  if (!cert) return `certificate ${path} is not loaded`;
  const key = creds.keys.find((k) => keyMatchesPublic(k, certPublicKey(cert)));
  if (!key) return `no private key for certificate ${path}`;
  const id =
    round?.id && round.id !== '%any' ? parseIdentity(round.id) : { type: IdType.ID_DER_ASN1_DN, data: cert.subjectDer };
  if (!certContainsIdentity(cert, id)) return `certificate ${path} does not contain identity '${formatIdentity(id)}'`;
  return { id, cert, key };
}

/** The certificates to send: the end entity, then the intermediate CAs we hold (RFC 7296 §3.6, RFC 4945 §3.3). */
export function certificatesToSend(creds: IkeCredentials, cert: Cert): Cert[] {
  return [cert, ...intermediatesOf(cert, [...creds.cas, ...creds.certs.values()])];
}

/** The CAs we accept for the peer of `conn`: the round's `cacerts`, else all trust anchors. */
export function trustAnchors(creds: IkeCredentials, conn: ConnectionConfig): Cert[] {
  const named = (firstAuthRound(conn.remote)?.cacerts ?? [])
    .map((p) => creds.certs.get(p))
    .filter((c): c is Cert => c !== undefined);
  return named.length > 0 ? named : creds.cas;
}

/**
 * Verify the peer's certificates (`ders`, end entity first) for `remoteId`: chain, revocation,
 * identity. The end-entity certificate, whose key must then verify the signature, or a reason.
 */
export function verifyPeerCertificates(
  creds: IkeCredentials,
  conn: ConnectionConfig,
  ders: readonly Uint8Array[],
  remoteId: IkeId,
  nowMs: number,
): { ok: true; leaf: Cert } | { ok: false; reason: string } {
  const certs: Cert[] = [];
  for (const d of ders) {
    try {
      certs.push(parseCertificate(d));
    } catch {
      return { ok: false, reason: 'a CERT payload is not an X.509 certificate' };
    }
  }
  const leaf = certs[0];
  if (!leaf) return { ok: false, reason: `no certificate from '${formatIdentity(remoteId)}'` };
  const chain = verifyChain(leaf, certs.slice(1), trustAnchors(creds, conn), nowMs);
  if (!chain.ok) return chain;
  // RFC 5280 §6.3: the CRLs of x509crl/ (strongSwan's revocation plugin, no fetching).
  const policy = firstAuthRound(conn.remote)?.revocation ?? 'relaxed';
  const revoked = checkRevocation(chain.chain, creds.crls ?? [], nowMs, policy);
  if (!revoked.ok) return revoked;
  if (!certContainsIdentity(leaf, remoteId))
    return { ok: false, reason: `certificate does not contain identity '${formatIdentity(remoteId)}'` };
  return { ok: true, leaf };
}
