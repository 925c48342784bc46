/**
 * IKEv2 pseudo-random functions (RFC 7296 §2.13, §3.3.2 Transform Type 2) and prf+.
 * HMAC-SHA1 (RFC 2104, IANA 2), HMAC-SHA2-256/384/512 (RFC 4868, IANA 5/6/7); HMAC-MD5
 * (IANA 1) only for IKEv1, whose PRF is the HMAC of the negotiated hash (RFC 2409 §4), and
 * which also uses the bare hash (`prfHash`) for its IVs (RFC 2409 Appendix B).
 */
import { createHash, createHmac } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';

const HASH: Readonly<Record<number, { name: string; length: number }>> = {
  1: { name: 'md5', length: 16 },
  2: { name: 'sha1', length: 20 },
  5: { name: 'sha256', length: 32 },
  6: { name: 'sha384', length: 48 },
  7: { name: 'sha512', length: 64 },
};

function spec(prfId: number): { name: string; length: number } {
  const h = HASH[prfId];
  if (!h) throw new CryptoError(`PRF ${prfId} is not supported`);
  return h;
}

/** Output length (= preferred key length, §2.13) of a PRF in octets. */
export function prfLength(prfId: number): number {
  return spec(prfId).length;
}

export function prf(prfId: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  const h = createHmac(spec(prfId).name, key);
  h.update(data);
  return new Uint8Array(h.digest());
}

/** The hash under an HMAC PRF, applied to the concatenation of `parts`. */
export function prfHash(prfId: number, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(spec(prfId).name);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * prf+ (K,S) = T1 | T2 | ..., T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) (§2.13);
 * at most 255 blocks.
 */
export function prfPlus(prfId: number, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const { name, length: hl } = spec(prfId);
  const blocks = Math.ceil(length / hl);
  if (blocks > 255) throw new CryptoError(`prf+ cannot produce ${length} octets (more than 255 blocks)`);
  const out = new Uint8Array(blocks * hl);
  let prev = new Uint8Array(0);
  for (let i = 1; i <= blocks; i++) {
    const h = createHmac(name, key);
    h.update(prev);
    h.update(seed);
    h.update(new Uint8Array([i]));
    prev = new Uint8Array(h.digest());
    out.set(prev, (i - 1) * hl);
  }
  return out.subarray(0, length);
}
