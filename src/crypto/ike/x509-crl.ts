/**
 * X.509 certificate revocation lists (RFC 5280 §5) for certificate authentication, as
 * strongSwan's revocation plugin uses the CRLs in swanctl's x509crl/ directory:
 *
 *   CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier,
 *     issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
 *     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER,
 *       revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 *
 * Every length is checked before it is read; a malformed CRL is a CryptoError naming the
 * field. A CRL counts only when its signature verifies with the issuing CA's key (RFC 5280
 * §6.3.3 (f)) and its issuer Name is the CA's subject.
 */
import { verify } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import { type DerTlv, readTlv } from './der-reader.js';
import type { Cert } from './x509-chain.js';

export interface Crl {
  readonly issuerDer: Uint8Array;
  /** ms since the epoch */
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
  /** serial numbers of the revoked certificates, as uppercase hex without leading zeros */
  readonly revoked: ReadonlySet<string>;
  readonly tbs: Uint8Array;
  readonly signatureOid: string;
  readonly signature: Uint8Array;
}

const PEM = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----/;

const tlv = (b: Uint8Array, at: number, what: string): DerTlv => readTlv(b, at, `CRL ${what}`);

function oid(b: Uint8Array): string {
  if (b.length === 0) throw new CryptoError('CRL signatureAlgorithm: empty OID');
  const first = b[0] as number;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + ((b[i] as number) & 0x7f);
    if (!((b[i] as number) & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (YYMMDDHHMMSSZ, RFC 5280 §4.1.2.5.1: YY < 50 is 20YY) or GeneralizedTime. */
function time(b: Uint8Array, t: DerTlv, what: string): number {
  const s = Buffer.from(b.subarray(t.body, t.end)).toString('latin1');
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m || (t.tag !== 0x17 && t.tag !== 0x18)) throw new CryptoError(`CRL ${what}: not a UTCTime or GeneralizedTime`);
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const serialHex = (b: Uint8Array): string =>
  Buffer.from(b)
    .toString('hex')
    .toUpperCase()
    .replace(/^0+(?=.)/, '');

export function parseCrl(data: Uint8Array): Crl {
  let der = data;
  const m = PEM.exec(Buffer.from(data).toString('latin1'));
  if (m) der = new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s/g, ''), 'base64'));
  const list = tlv(der, 0, 'CertificateList');
  if (list.tag !== 0x30) throw new CryptoError('CRL CertificateList: not a SEQUENCE');
  const tbs = tlv(der, list.body, 'tbsCertList');
  if (tbs.tag !== 0x30) throw new CryptoError('CRL tbsCertList: not a SEQUENCE');
  // version INTEGER OPTIONAL, then the signature AlgorithmIdentifier (repeated outside the
  // TBSCertList; the outer one is used)
  let f = tlv(der, tbs.body, 'version');
  if (f.tag === 0x02) f = tlv(der, f.end, 'signature');
  let at = f.end;
  const issuerStart = at;
  const issuer = tlv(der, at, 'issuer');
  if (issuer.tag !== 0x30) throw new CryptoError('CRL issuer: not a Name');
  const thisUpdate = time(der, tlv(der, issuer.end, 'thisUpdate'), 'thisUpdate');
  at = tlv(der, issuer.end, 'thisUpdate').end;
  let nextUpdate: number | undefined;
  const revoked = new Set<string>();
  while (at < tbs.end) {
    const t = tlv(der, at, 'tbsCertList field');
    if (t.end > tbs.end) throw new CryptoError('CRL tbsCertList: field overruns');
    if (t.tag === 0x17 || t.tag === 0x18) nextUpdate = time(der, t, 'nextUpdate');
    else if (t.tag === 0x30) {
      for (let e = t.body; e < t.end; ) {
        const entry = tlv(der, e, 'revokedCertificates entry');
        const serial = tlv(der, entry.body, 'userCertificate');
        if (serial.tag !== 0x02 || entry.end > t.end) throw new CryptoError('CRL revokedCertificates: bad entry');
        revoked.add(serialHex(der.subarray(serial.body, serial.end)));
        e = entry.end;
      }
    } else if (t.tag !== 0xa0) throw new CryptoError(`CRL tbsCertList: unexpected tag 0x${t.tag.toString(16)}`);
    at = t.end;
  }
  const alg = tlv(der, tbs.end, 'signatureAlgorithm');
  const algOid = tlv(der, alg.body, 'signatureAlgorithm OID');
  if (algOid.tag !== 0x06) throw new CryptoError('CRL signatureAlgorithm: no OID');
  const sig = tlv(der, alg.end, 'signatureValue');
  if (sig.tag !== 0x03 || sig.end - sig.body < 1 || der[sig.body] !== 0)
    throw new CryptoError('CRL signatureValue: not a BIT STRING');
  return {
    issuerDer: der.slice(issuerStart, issuer.end),
    thisUpdate,
    nextUpdate,
    revoked,
    tbs: der.slice(list.body, tbs.end),
    signatureOid: oid(der.subarray(algOid.body, algOid.end)),
    signature: der.slice(sig.body + 1, sig.end),
  };
}

/** RFC 5754 / RFC 4055 / RFC 5758 signature algorithms -> node:crypto digest. */
const HASH_OF: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** True when `crl` was issued and signed by `ca`. */
export function crlIssuedBy(crl: Crl, ca: Cert): boolean {
  if (Buffer.compare(Buffer.from(crl.issuerDer), Buffer.from(ca.subjectDer)) !== 0) return false;
  const hash = HASH_OF[crl.signatureOid];
  try {
    if (crl.signatureOid === '1.3.101.112') return verify(null, crl.tbs, ca.x509.publicKey, crl.signature);
    if (!hash) return false;
    return verify(hash, crl.tbs, ca.x509.publicKey, crl.signature);
  } catch {
    return false;
  }
}

export type RevocationPolicy = 'relaxed' | 'ifuri' | 'strict';
export type RevocationResult = { ok: true; checked: number } | { ok: false; reason: string };

/**
 * Check every certificate of `chain` (leaf first, trust anchor last; the anchor itself is not
 * checked) against the CRLs its issuer signed. A revoked serial fails under any policy;
 * `strict` also fails when no CRL of the issuer is there or the newest one is past its
 * nextUpdate (strongSwan's revocation = strict). `relaxed` and `ifuri` (esprit fetches no CRL
 * distribution points) accept an unknown status.
 */
export function checkRevocation(
  chain: readonly Cert[],
  crls: readonly Crl[],
  nowMs: number,
  policy: RevocationPolicy,
): RevocationResult {
  let checked = 0;
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i] as Cert;
    const issuer = chain[i + 1] as Cert;
    const own = crls.filter((c) => crlIssuedBy(c, issuer)).sort((a, b) => b.thisUpdate - a.thisUpdate);
    const subject = cert.x509.subject.replace(/\n/g, ', ');
    const serial = cert.x509.serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
    if (own.some((c) => c.revoked.has(serial)))
      return { ok: false, reason: `certificate '${subject}' is revoked (serial ${serial})` };
    const newest = own[0];
    if (policy === 'strict') {
      if (!newest) return { ok: false, reason: `no CRL from the issuer of '${subject}' (revocation = strict)` };
      if (newest.nextUpdate !== undefined && newest.nextUpdate < nowMs)
        return { ok: false, reason: `the CRL for '${subject}' is past its nextUpdate (revocation = strict)` };
    }
    if (newest) checked++;
  }
  return { ok: true, checked };
}
