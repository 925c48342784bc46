/**
 * X.509 certificates for IKEv2 authentication (RFC 7296 §3.6, §3.7, §2.15) with node:crypto's
 * X509Certificate: parsing (PEM or DER), chain verification up to a trusted CA (signature,
 * issuer name, validity at a given time, the CA flag of every issuer), the CERTREQ
 * certification authority value (SHA-1 of the CA's SubjectPublicKeyInfo, §3.7) and matching a
 * certificate against an IKE identity (subject DN or subjectAltName, as strongSwan's
 * certificate->has_subject).
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import { formatIp, tryParseIp } from '../../util/ip-addr.js';
import { readTlv } from './der-reader.js';

export interface Cert {
  /** the certificate's DER */
  readonly der: Uint8Array;
  /** the DER of its subject Name (for ID_DER_ASN1_DN) */
  readonly subjectDer: Uint8Array;
  readonly x509: X509Certificate;
}

const PEM = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/** Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, sig, issuer, validity, subject, ... } } */
function subjectOf(der: Uint8Array): Uint8Array {
  const cert = readTlv(der, 0, 'certificate');
  const tbs = readTlv(der, cert.body, 'certificate tbsCertificate');
  let at = tbs.body;
  const skip = (what: string): void => {
    at = readTlv(der, at, `certificate ${what}`).end;
  };
  if ((der[at] ?? 0) === 0xa0) skip('version');
  skip('serialNumber');
  skip('signature');
  skip('issuer');
  skip('validity');
  const start = at;
  const { tag, end } = readTlv(der, at, 'certificate subject');
  if (tag !== 0x30 || end > tbs.end) throw new CryptoError('certificate: no subject Name');
  return der.slice(start, end);
}

export function parseCertificate(data: Uint8Array): Cert {
  let der: Uint8Array = data;
  const text = Buffer.from(data).toString('latin1');
  const m = PEM.exec(text);
  if (m) der = new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s/g, ''), 'base64'));
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(Buffer.from(der));
  } catch (e) {
    throw new CryptoError(`not an X.509 certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { der: new Uint8Array(x509.raw), subjectDer: subjectOf(new Uint8Array(x509.raw)), x509 };
}

export function certPublicKey(c: Cert): KeyObject {
  return c.x509.publicKey;
}

/** RFC 7296 §3.7: the SHA-1 hash of the CA's SubjectPublicKeyInfo (strongSwan KEYID_PUBKEY_INFO_SHA1). */
export function caKeyHash(c: Cert): Uint8Array {
  const spki = c.x509.publicKey.export({ format: 'der', type: 'spki' });
  return new Uint8Array(createHash('sha1').update(spki).digest());
}

export type ChainResult = { ok: true; chain: Cert[] } | { ok: false; reason: string };

function validAt(c: Cert, nowMs: number): boolean {
  return nowMs >= Date.parse(c.x509.validFrom) && nowMs <= Date.parse(c.x509.validTo);
}

/**
 * Build and verify leaf -> intermediates -> trusted CA: each link's issuer name and signature,
 * every certificate valid at `nowMs`, every issuer a CA (basicConstraints cA).
 */
export function verifyChain(leaf: Cert, intermediates: Cert[], trusted: Cert[], nowMs: number): ChainResult {
  const chain: Cert[] = [leaf];
  let cur = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (!validAt(cur, nowMs))
      return { ok: false, reason: `certificate '${cur.x509.subject.replace(/\n/g, ', ')}' is not valid now` };
    const anchor = trusted.find((t) => cur.x509.checkIssued(t.x509) && cur.x509.verify(t.x509.publicKey));
    if (anchor) {
      if (!anchor.x509.ca) return { ok: false, reason: 'the trusted issuer is not a CA' };
      if (!validAt(anchor, nowMs)) return { ok: false, reason: 'the trusted CA certificate is not valid now' };
      chain.push(anchor);
      return { ok: true, chain };
    }
    const next = intermediates.find(
      (i) => i !== cur && cur.x509.checkIssued(i.x509) && cur.x509.verify(i.x509.publicKey),
    );
    if (!next) return { ok: false, reason: `no trusted issuer for '${cur.x509.subject.replace(/\n/g, ', ')}'` };
    if (!next.x509.ca) return { ok: false, reason: `issuer '${next.x509.subject.replace(/\n/g, ', ')}' is not a CA` };
    chain.push(next);
    cur = next;
  }
  return { ok: false, reason: 'certificate chain too long' };
}

/**
 * The intermediate CA certificates to send after `leaf` (RFC 7296 §3.6: "CERT+", the signing
 * certificate first): its issuer, that one's issuer, ... as found in `pool`, up to but not
 * including a self-signed root (the peer must hold the root as its trust anchor).
 */
export function intermediatesOf(leaf: Cert, pool: readonly Cert[]): Cert[] {
  const out: Cert[] = [];
  let cur = leaf;
  for (let depth = 0; depth < 8; depth++) {
    const issuer = pool.find(
      (c) => c !== cur && c.x509.ca && cur.x509.checkIssued(c.x509) && cur.x509.verify(c.x509.publicKey),
    );
    if (!issuer || issuer.x509.checkIssued(issuer.x509) || out.includes(issuer)) break;
    out.push(issuer);
    cur = issuer;
  }
  return out;
}

/**
 * Does the certificate speak for the IKE identity? DN: the subject equals the ID's DER;
 * FQDN / RFC822 / IP: a subjectAltName of that type equals it (case-insensitive for names).
 */
export function certMatchesIdentity(c: Cert, idType: number, data: Uint8Array): boolean {
  if (idType === 9) return Buffer.compare(Buffer.from(c.subjectDer), Buffer.from(data)) === 0;
  const san = c.x509.subjectAltName ?? '';
  const entries = san.split(/,\s*/).map((e) => e.trim());
  const text = Buffer.from(data).toString('utf8').toLowerCase();
  if (idType === 2) return entries.some((e) => e.toLowerCase() === `dns:${text}`);
  if (idType === 3) return entries.some((e) => e.toLowerCase() === `email:${text}`);
  if (idType === 1 || idType === 5) {
    const want = formatIp(data);
    return entries.some((e) => e.startsWith('IP Address:') && tryParseIp(e.slice(11))?.text === want);
  }
  return false;
}
