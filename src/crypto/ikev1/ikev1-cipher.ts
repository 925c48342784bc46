/**
 * Encryption of ISAKMP message bodies (RFC 2408 §3.1 E flag, RFC 2409 Appendix B): CBC with
 * 3DES (IKEv2 ENCR_3DES 3, RFC 2409 Appendix A 3DES-CBC) or AES (ENCR_AES_CBC 12, RFC 3602).
 * The plaintext is padded with 0x00 octets to the block size (Appendix B); the decoder finds
 * the end of the payload chain itself. The IV for the next message of the same exchange is
 * the last ciphertext block, in both directions. Decryption never throws on attacker data:
 * a body that is empty or not a whole number of blocks is `undefined`; whether the plaintext
 * is genuine is decided by the HASH payload it carries (RFC 2409 §5).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';

export const IKEV1_ENCR_3DES = 3;
export const IKEV1_ENCR_AES_CBC = 12;

export function ikev1BlockSize(encr: number): number {
  if (encr === IKEV1_ENCR_3DES) return 8;
  if (encr === IKEV1_ENCR_AES_CBC) return 16;
  throw new CryptoError(`encryption algorithm ${encr} is not supported for IKEv1`);
}

/** Key length in octets: 24 for 3DES, key bits / 8 for AES (128/192/256). */
export function ikev1KeyLength(encr: number, keyBits?: number): number {
  if (encr === IKEV1_ENCR_3DES) return 24;
  if (encr === IKEV1_ENCR_AES_CBC && (keyBits === 128 || keyBits === 192 || keyBits === 256)) return keyBits / 8;
  throw new CryptoError(`IKEv1 cipher ${encr} with key length ${keyBits ?? 'missing'}`);
}

function algo(encr: number, key: Uint8Array): string {
  const ok = encr === IKEV1_ENCR_3DES ? key.length === 24 : [16, 24, 32].includes(key.length);
  if (!ok) throw new CryptoError(`IKEv1 key of ${key.length} octets for cipher ${encr}`);
  return encr === IKEV1_ENCR_3DES ? 'des-ede3-cbc' : `aes-${key.length * 8}-cbc`;
}

export interface CbcResult {
  data: Uint8Array;
  /** the last ciphertext block: the IV of the next message of this exchange */
  nextIv: Uint8Array;
}

export function ikev1Encrypt(encr: number, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): CbcResult {
  const bs = ikev1BlockSize(encr);
  if (iv.length !== bs) throw new CryptoError(`IV of ${iv.length} octets, block is ${bs}`);
  const padded = new Uint8Array(Math.max(1, Math.ceil(plaintext.length / bs)) * bs);
  padded.set(plaintext);
  const c = createCipheriv(algo(encr, key), key, iv);
  c.setAutoPadding(false);
  const data = new Uint8Array(Buffer.concat([c.update(padded), c.final()]));
  return { data, nextIv: data.slice(data.length - bs) };
}

export function ikev1Decrypt(
  encr: number,
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
): CbcResult | undefined {
  const bs = ikev1BlockSize(encr);
  if (iv.length !== bs) throw new CryptoError(`IV of ${iv.length} octets, block is ${bs}`);
  if (ciphertext.length === 0 || ciphertext.length % bs !== 0) return undefined;
  const d = createDecipheriv(algo(encr, key), key, iv);
  d.setAutoPadding(false);
  const data = new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
  return { data, nextIv: ciphertext.slice(ciphertext.length - bs) };
}
