/**
 * Key, IV, block and ICV sizes of the IKEv2 transforms esprit implements (IANA Transform
 * Type 1 and 3 numbers; RFC 3602 AES-CBC, RFC 5282 AES-GCM for IKEv2, RFC 7634
 * ChaCha20-Poly1305, RFC 2404 / RFC 4868 HMACs).
 */
import { CryptoError } from '../../util/errors.js';

export const ENCR_NULL = 11;
export const ENCR_AES_CBC = 12;
/** AES-GCM with an 8, 12 and 16 octet ICV */
export const ENCR_AES_GCM_8 = 18;
export const ENCR_AES_GCM_12 = 19;
export const ENCR_AES_GCM_16 = 20;
export const ENCR_CHACHA20_POLY1305 = 28;

const GCM_ICV: Readonly<Record<number, number>> = { 18: 8, 19: 12, 20: 16 };

export function isAeadEncr(encr: number): boolean {
  return GCM_ICV[encr] !== undefined || encr === ENCR_CHACHA20_POLY1305;
}

/** Encryption key length in octets, including the 4-octet salt of the AEADs (RFC 5282 §7.1, RFC 7634 §4). */
export function encrKeyLength(encr: number, keyBits?: number): number {
  if (encr === ENCR_AES_CBC || GCM_ICV[encr] !== undefined) {
    if (keyBits !== 128 && keyBits !== 192 && keyBits !== 256)
      throw new CryptoError(`AES key length ${keyBits ?? 'missing'}`);
    return keyBits / 8 + (encr === ENCR_AES_CBC ? 0 : 4);
  }
  if (encr === ENCR_CHACHA20_POLY1305) return 36;
  if (encr === ENCR_NULL) return 0;
  throw new CryptoError(`encryption algorithm ${encr} is not supported`);
}

export function aeadIcvLength(encr: number): number {
  if (encr === ENCR_CHACHA20_POLY1305) return 16;
  const l = GCM_ICV[encr];
  if (l === undefined) throw new CryptoError(`encryption algorithm ${encr} is not an AEAD`);
  return l;
}

const INTEG: Readonly<Record<number, { hash: string; key: number; icv: number }>> = {
  2: { hash: 'sha1', key: 20, icv: 12 },
  12: { hash: 'sha256', key: 32, icv: 16 },
  13: { hash: 'sha384', key: 48, icv: 24 },
  14: { hash: 'sha512', key: 64, icv: 32 },
};

export function integSpec(integ: number): { hash: string; key: number; icv: number } {
  const s = INTEG[integ];
  if (!s) throw new CryptoError(`integrity algorithm ${integ} is not supported`);
  return s;
}

export function integKeyLength(integ: number | undefined): number {
  return integ === undefined || integ === 0 ? 0 : integSpec(integ).key;
}

export function integIcvLength(integ: number | undefined): number {
  return integ === undefined || integ === 0 ? 0 : integSpec(integ).icv;
}
