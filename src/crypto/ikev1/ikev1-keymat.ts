/**
 * IKEv1 key derivation (RFC 2409 §5 and Appendix B). `prfId` is the IKEv2 number of the HMAC
 * PRF of the negotiated hash (1 MD5, 2 SHA1, 5/6/7 SHA2-256/384/512): IKEv1 negotiates a hash
 * and uses its HMAC as the PRF (§4, "the HMAC version of the negotiated hash function").
 * Cookies CKY-I/CKY-R are the 8-octet header SPIs in network order.
 *
 *   SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)                  (PSK, §5)
 *   SKEYID   = prf(Ni_b | Nr_b, g^xy)                            (signatures, §5)
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 *   HASH_I   = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 *   HASH_R   = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 */
import { CryptoError } from '../../util/errors.js';
import { prf, prfHash, prfLength } from '../ike/prf.js';

export interface Ikev1Skeyids {
  skeyid: Uint8Array;
  skeyidD: Uint8Array;
  skeyidA: Uint8Array;
  skeyidE: Uint8Array;
}

export type Ikev1AuthClass = { kind: 'psk'; psk: Uint8Array } | { kind: 'signature' };

function cat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** An IKE cookie (header SPI) as its 8 wire octets. */
export function cookieBytes(spi: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, spi);
  return b;
}

/** §5: SKEYID for the authentication class, then SKEYID_d, SKEYID_a, SKEYID_e. */
export function deriveSkeyids(
  prfId: number,
  auth: Ikev1AuthClass,
  nonceI: Uint8Array,
  nonceR: Uint8Array,
  gxy: Uint8Array,
  spiI: bigint,
  spiR: bigint,
): Ikev1Skeyids {
  const nonces = cat(nonceI, nonceR);
  const skeyid = auth.kind === 'psk' ? prf(prfId, auth.psk, nonces) : prf(prfId, nonces, gxy);
  const cky = cat(cookieBytes(spiI), cookieBytes(spiR));
  const skeyidD = prf(prfId, skeyid, cat(gxy, cky, new Uint8Array([0])));
  const skeyidA = prf(prfId, skeyid, cat(skeyidD, gxy, cky, new Uint8Array([1])));
  const skeyidE = prf(prfId, skeyid, cat(skeyidA, gxy, cky, new Uint8Array([2])));
  return { skeyid, skeyidD, skeyidA, skeyidE };
}

/**
 * Appendix B: the ISAKMP encryption key is the first `length` octets of SKEYID_e, or, when
 * SKEYID_e is shorter, of Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0) (one zero octet),
 * Kn = prf(SKEYID_e, Kn-1).
 */
export function encryptionKey(prfId: number, skeyidE: Uint8Array, length: number): Uint8Array {
  if (skeyidE.length >= length) return skeyidE.slice(0, length);
  const out = new Uint8Array(Math.ceil(length / prfLength(prfId)) * prfLength(prfId));
  let k = prf(prfId, skeyidE, new Uint8Array([0]));
  let o = 0;
  for (;;) {
    out.set(k, o);
    o += k.length;
    if (o >= length) break;
    k = prf(prfId, skeyidE, k);
  }
  return out.slice(0, length);
}

/** Appendix B: phase 1 IV = hash(g^xi | g^xr), the first `blockSize` octets. */
export function phase1Iv(prfId: number, gxi: Uint8Array, gxr: Uint8Array, blockSize: number): Uint8Array {
  return truncate(prfHash(prfId, gxi, gxr), blockSize);
}

/**
 * Appendix B: the first IV of a Quick Mode or Informational exchange is
 * hash(last phase 1 CBC output block | M-ID); later messages chain from the last block.
 */
export function phase2Iv(prfId: number, lastPhase1Block: Uint8Array, messageId: number, blockSize: number): Uint8Array {
  const mid = new Uint8Array(4);
  new DataView(mid.buffer).setUint32(0, messageId >>> 0);
  return truncate(prfHash(prfId, lastPhase1Block, mid), blockSize);
}

function truncate(h: Uint8Array, n: number): Uint8Array {
  if (h.length < n) throw new CryptoError(`hash of ${h.length} octets is shorter than the ${n}-octet block`);
  return h.slice(0, n);
}

/**
 * §5: HASH_I (initiator = true) or HASH_R. `saiB` is the initiator's SA payload body and
 * `idB` the sender's ID payload body (both without their generic headers).
 */
export function phase1Hash(
  prfId: number,
  skeyid: Uint8Array,
  initiator: boolean,
  gxi: Uint8Array,
  gxr: Uint8Array,
  spiI: bigint,
  spiR: bigint,
  saiB: Uint8Array,
  idB: Uint8Array,
): Uint8Array {
  const ci = cookieBytes(spiI);
  const cr = cookieBytes(spiR);
  return initiator
    ? prf(prfId, skeyid, cat(gxi, gxr, ci, cr, saiB, idB))
    : prf(prfId, skeyid, cat(gxr, gxi, cr, ci, saiB, idB));
}

function midBytes(messageId: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, messageId >>> 0);
  return b;
}

/**
 * §5.5 Quick Mode HASH(1) = prf(SKEYID_a, M-ID | <the payloads after HASH>); the same form
 * serves Informational (§5.7) and Transaction exchanges (mode-cfg-05 §3.3). `rest` is the
 * encoded payload chain that follows the HASH payload, generic headers included.
 */
export function hash1(prfId: number, skeyidA: Uint8Array, messageId: number, rest: Uint8Array): Uint8Array {
  return prf(prfId, skeyidA, cat(midBytes(messageId), rest));
}

/** §5.5 HASH(2) = prf(SKEYID_a, M-ID | Ni_b | <the payloads after HASH>). */
export function quickModeHash2(
  prfId: number,
  skeyidA: Uint8Array,
  messageId: number,
  nonceI: Uint8Array,
  rest: Uint8Array,
): Uint8Array {
  return prf(prfId, skeyidA, cat(midBytes(messageId), nonceI, rest));
}

/** §5.5 HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
export function quickModeHash3(
  prfId: number,
  skeyidA: Uint8Array,
  messageId: number,
  nonceI: Uint8Array,
  nonceR: Uint8Array,
): Uint8Array {
  return prf(prfId, skeyidA, cat(new Uint8Array([0]), midBytes(messageId), nonceI, nonceR));
}

/**
 * §5.5 KEYMAT for one SA (one direction: the SPI is the one the receiving side chose):
 * K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), Kn = prf(SKEYID_d, Kn-1 | same),
 * KEYMAT = K1 | K2 | ... cut to `length` octets. `gxyQm` is the Quick Mode PFS secret.
 */
export function quickModeKeymat(
  prfId: number,
  skeyidD: Uint8Array,
  protocol: number,
  spi: Uint8Array,
  nonceI: Uint8Array,
  nonceR: Uint8Array,
  length: number,
  gxyQm?: Uint8Array,
): Uint8Array {
  const seed = cat(gxyQm ?? new Uint8Array(0), new Uint8Array([protocol]), spi, nonceI, nonceR);
  const out = new Uint8Array(length);
  let k: Uint8Array = new Uint8Array(0);
  for (let o = 0; o < length; o += k.length) {
    k = prf(prfId, skeyidD, cat(k, seed));
    out.set(k.subarray(0, Math.min(k.length, length - o)), o);
  }
  return out;
}
