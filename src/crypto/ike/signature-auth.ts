/**
 * Signature authentication data of the AUTH payload (RFC 7296 §2.15, §3.8; RFC 7427):
 * - method 14, Digital Signature (RFC 7427 §3): a one-octet length, the AlgorithmIdentifier
 *   DER, the signature (PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for ECDSA); hash SHA2-256,
 *   -384 or -512 as negotiated with SIGNATURE_HASH_ALGORITHMS (§4).
 * - method 1, RSA Digital Signature: PKCS#1 v1.5 with SHA-1 (RFC 7296 §3.8).
 * - methods 9, 10, 11, ECDSA with SHA-256/P-256, SHA-384/P-384, SHA-512/P-521: r | s, each the
 *   size of the group order (RFC 4754 §7).
 * The AlgorithmIdentifier bytes are the DER of the OIDs (RFC 7427 Appendix A lists them):
 * sha{256,384,512}WithRSAEncryption 1.2.840.113549.1.1.{11,12,13} with NULL parameters,
 * ecdsa-with-SHA{256,384,512} 1.2.840.10045.4.3.{2,3,4} without parameters.
 * Verification never throws: anything malformed is a failed signature.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';

export type SigHash = 'sha256' | 'sha384' | 'sha512';

/** A private key as the engine holds it (opaque outside src/crypto). */
export type PrivateKey = KeyObject;

/** Does the private key belong to the certificate's public key? */
export function keyMatchesPublic(k: KeyObject, pub: KeyObject): boolean {
  try {
    const a = createPublicKey(k).export({ format: 'der', type: 'spki' });
    const b = pub.export({ format: 'der', type: 'spki' });
    return Buffer.compare(a, b) === 0;
  } catch {
    return false;
  }
}

/** RFC 7427 §7 hash algorithm identifiers for SIGNATURE_HASH_ALGORITHMS. */
export const SIG_HASH_IDS: Readonly<Record<SigHash, number>> = { sha256: 2, sha384: 3, sha512: 4 };

const ALG_ID: Readonly<Record<'rsa' | 'ec', Record<SigHash, string>>> = {
  rsa: {
    sha256: '300d06092a864886f70d01010b0500',
    sha384: '300d06092a864886f70d01010c0500',
    sha512: '300d06092a864886f70d01010d0500',
  },
  ec: {
    sha256: '300a06082a8648ce3d040302',
    sha384: '300a06082a8648ce3d040303',
    sha512: '300a06082a8648ce3d040304',
  },
};

export function loadPrivateKey(pem: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pem) });
  } catch {
    try {
      return createPrivateKey({ key: Buffer.from(pem), format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw new CryptoError(`not a private key: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function kind(k: KeyObject): 'rsa' | 'ec' {
  if (k.asymmetricKeyType === 'rsa') return 'rsa';
  if (k.asymmetricKeyType === 'ec') return 'ec';
  throw new CryptoError(`key type ${k.asymmetricKeyType ?? 'unknown'} is not supported for IKE signatures`);
}

const CURVE_METHOD: Readonly<Record<string, { method: 9 | 10 | 11; hash: SigHash; size: number }>> = {
  prime256v1: { method: 9, hash: 'sha256', size: 32 },
  secp384r1: { method: 10, hash: 'sha384', size: 48 },
  secp521r1: { method: 11, hash: 'sha512', size: 66 },
};

/** The classic (pre-RFC 7427) method for a key: 1 for RSA, 9/10/11 by the ECDSA curve. */
export function classicMethod(k: KeyObject): 1 | 9 | 10 | 11 {
  if (kind(k) === 'rsa') return 1;
  const c = CURVE_METHOD[k.asymmetricKeyDetails?.namedCurve ?? ''];
  if (!c) throw new CryptoError(`curve ${k.asymmetricKeyDetails?.namedCurve ?? '?'} has no IKEv2 ECDSA method`);
  return c.method;
}

export function signAuth(method: number, key: KeyObject, octets: Uint8Array, hash: SigHash = 'sha256'): Uint8Array {
  const k = kind(key);
  if (method === 14) {
    const alg = Buffer.from(ALG_ID[k][hash], 'hex');
    const sig = sign(hash, octets, { key, dsaEncoding: 'der' });
    return new Uint8Array(Buffer.concat([Buffer.from([alg.length]), alg, sig]));
  }
  if (method === 1 && k === 'rsa') return new Uint8Array(sign('sha1', octets, key));
  const c = Object.values(CURVE_METHOD).find((x) => x.method === method);
  if (c && k === 'ec') return new Uint8Array(sign(c.hash, octets, { key, dsaEncoding: 'ieee-p1363' }));
  throw new CryptoError(`AUTH method ${method} does not fit a ${k} key`);
}

export function verifyAuth(method: number, key: KeyObject, octets: Uint8Array, data: Uint8Array): boolean {
  try {
    const k = kind(key);
    if (method === 14) {
      const n = data[0] ?? 0;
      if (data.length < 1 + n + 1) return false;
      const alg = Buffer.from(data.subarray(1, 1 + n)).toString('hex');
      const sig = data.subarray(1 + n);
      const hash = (Object.keys(ALG_ID[k]) as SigHash[]).find((h) => ALG_ID[k][h] === alg);
      if (!hash) return false;
      return verify(hash, octets, { key, dsaEncoding: 'der' }, sig);
    }
    if (method === 1) return k === 'rsa' && verify('sha1', octets, key, data);
    const c = Object.values(CURVE_METHOD).find((x) => x.method === method);
    if (!c || k !== 'ec' || data.length !== 2 * c.size) return false;
    return verify(c.hash, octets, { key, dsaEncoding: 'ieee-p1363' }, data);
  } catch {
    return false;
  }
}

/** SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 §4): 2-octet hash identifiers. */
export function encodeSignatureHashAlgorithms(ids: readonly number[]): Uint8Array {
  const out = new Uint8Array(ids.length * 2);
  ids.forEach((id, i) => {
    out[2 * i] = id >> 8;
    out[2 * i + 1] = id & 0xff;
  });
  return out;
}

export function parseSignatureHashAlgorithms(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push(((data[i] ?? 0) << 8) | (data[i + 1] ?? 0));
  return out;
}
