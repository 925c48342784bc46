/**
 * IKEv2 key derivation (RFC 7296 §2.13-§2.18):
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   rekey: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
 *   CHILD SA: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), initiator-to-responder keys first,
 *   encryption key before integrity key (§2.17).
 */
import { encrKeyLength, integKeyLength, isAeadEncr } from './ike-algorithms.js';
import { prf, prfLength, prfPlus } from './prf.js';

export interface IkeSuite {
  encr: number;
  encrKeyBits?: number;
  integ?: number;
  prf: number;
}

export interface IkeSaKeys {
  skD: Uint8Array;
  skAi: Uint8Array;
  skAr: Uint8Array;
  skEi: Uint8Array;
  skEr: Uint8Array;
  skPi: Uint8Array;
  skPr: Uint8Array;
}

export interface ChildSuite {
  encr: number;
  encrKeyBits?: number;
  integ?: number;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const spiBytes = (spi: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, spi);
  return b;
};

export function deriveSkeyseed(prfId: number, ni: Uint8Array, nr: Uint8Array, gir: Uint8Array): Uint8Array {
  return prf(prfId, concat(ni, nr), gir);
}

export function deriveRekeySkeyseed(
  oldPrfId: number,
  skDold: Uint8Array,
  gir: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
): Uint8Array {
  return prf(oldPrfId, skDold, concat(gir, ni, nr));
}

export function deriveIkeSaKeys(
  suite: IkeSuite,
  skeyseed: Uint8Array,
  ni: Uint8Array,
  nr: Uint8Array,
  spiI: bigint,
  spiR: bigint,
): IkeSaKeys {
  const p = prfLength(suite.prf);
  // §2.14 / RFC 5282 §7.1: an AEAD has no integrity keys.
  const a = isAeadEncr(suite.encr) ? 0 : integKeyLength(suite.integ);
  const e = encrKeyLength(suite.encr, suite.encrKeyBits);
  const km = prfPlus(suite.prf, skeyseed, concat(ni, nr, spiBytes(spiI), spiBytes(spiR)), p * 3 + a * 2 + e * 2);
  let o = 0;
  const take = (n: number): Uint8Array => {
    const s = km.subarray(o, o + n);
    o += n;
    return s;
  };
  return { skD: take(p), skAi: take(a), skAr: take(a), skEi: take(e), skEr: take(e), skPi: take(p), skPr: take(p) };
}

export function deriveChildKeys(
  prfId: number,
  skD: Uint8Array,
  child: ChildSuite,
  gir: Uint8Array | undefined,
  ni: Uint8Array,
  nr: Uint8Array,
): { encrI: Uint8Array; integI: Uint8Array; encrR: Uint8Array; integR: Uint8Array } {
  const e = encrKeyLength(child.encr, child.encrKeyBits);
  const a = isAeadEncr(child.encr) ? 0 : integKeyLength(child.integ);
  const seed = gir ? concat(gir, ni, nr) : concat(ni, nr);
  const km = prfPlus(prfId, skD, seed, 2 * (e + a));
  return {
    encrI: km.subarray(0, e),
    integI: km.subarray(e, e + a),
    encrR: km.subarray(e + a, 2 * e + a),
    integR: km.subarray(2 * e + a, 2 * (e + a)),
  };
}
