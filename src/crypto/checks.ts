/**
 * Length checks shared by both backends. The EVP backend passes raw pointers to
 * C, where a wrong length corrupts memory instead of throwing, so every length is
 * checked here, in TypeScript, before each call.
 */
import { CryptoError } from '../util/errors.js';
import type { AeadCipher, CbcCipher } from './backend.js';
import type { HashName } from './suites.js';

export function checkAeadKey(cipher: AeadCipher, key: Uint8Array, salt: Uint8Array, icvLen: number): void {
  if (cipher === 'aes-gcm') {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new CryptoError(`AES-GCM key must be 16, 24 or 32 bytes, got ${key.length}`);
    }
    if (icvLen !== 8 && icvLen !== 12 && icvLen !== 16) {
      throw new CryptoError(`AES-GCM ICV must be 8, 12 or 16 bytes, got ${icvLen}`);
    }
  } else {
    if (key.length !== 32) throw new CryptoError(`ChaCha20-Poly1305 key must be 32 bytes, got ${key.length}`);
    if (icvLen !== 16) throw new CryptoError(`ChaCha20-Poly1305 ICV must be 16 bytes, got ${icvLen}`);
  }
  if (salt.length !== 4) throw new CryptoError(`salt must be 4 bytes, got ${salt.length}`);
}

export function checkAeadArgs(iv: Uint8Array, tag: Uint8Array, icvLen: number): void {
  if (iv.length !== 8) throw new CryptoError(`AEAD IV must be 8 bytes, got ${iv.length}`);
  if (tag.length !== icvLen) throw new CryptoError(`ICV buffer must be ${icvLen} bytes, got ${tag.length}`);
}

/**
 * sealPacket/openPacket: the 8-byte IV and data + ICV lie inside `pkt` (integers, no
 * negative offset), so every pointer the EVP backend derives stays inside the view.
 */
export function checkAeadPacket(
  pkt: Uint8Array,
  ivOff: number,
  dataOff: number,
  dataLen: number,
  icvLen: number,
): void {
  const n = pkt.length;
  if (
    !(Number.isSafeInteger(ivOff) && Number.isSafeInteger(dataOff) && Number.isSafeInteger(dataLen)) ||
    ivOff < 0 ||
    dataOff < 0 ||
    dataLen < 0 ||
    ivOff + 8 > n ||
    dataOff + dataLen + icvLen > n
  ) {
    throw new CryptoError(
      `AEAD packet layout outside the ${n}-byte buffer (IV at ${ivOff}, data ${dataOff}+${dataLen}, ICV ${icvLen})`,
    );
  }
  checkFfiLength('data', dataLen);
}

export function checkCbcKey(cipher: CbcCipher, key: Uint8Array): void {
  if (cipher === '3des-cbc') {
    if (key.length !== 24) throw new CryptoError(`3DES key must be 24 bytes, got ${key.length}`);
  } else if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new CryptoError(`AES-CBC key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
}

export function checkCbcArgs(iv: Uint8Array, data: Uint8Array, blockLen: number): void {
  if (iv.length !== blockLen) throw new CryptoError(`CBC IV must be ${blockLen} bytes, got ${iv.length}`);
  if (data.length % blockLen !== 0) {
    throw new CryptoError(`CBC data must be a multiple of ${blockLen} bytes, got ${data.length}`);
  }
}

/** Digest output length L of each hash (RFC 2104 §2; FIPS 180-4; RFC 1321). */
const DIGEST_LEN: Readonly<Record<HashName, number>> = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/**
 * A truncated HMAC outputs 1..L bytes (RFC 2104 §5). Keys of any length are allowed
 * (RFC 2104 §3: longer keys are hashed first), which the RFC 2202/4231 vectors use.
 */
export function checkMacKey(hash: HashName, key: Uint8Array, icvLen: number): void {
  const l = DIGEST_LEN[hash];
  if (l === undefined) throw new CryptoError(`unknown hash ${String(hash)}`);
  if (!Number.isInteger(icvLen) || icvLen < 1 || icvLen > l) {
    throw new CryptoError(`HMAC-${hash} ICV must be 1..${l} bytes, got ${icvLen}`);
  }
  checkFfiLength('HMAC key', key.length);
}

export function checkMacArgs(out: Uint8Array, icvLen: number): void {
  if (out.length !== icvLen) throw new CryptoError(`ICV buffer must be ${icvLen} bytes, got ${out.length}`);
}

/** EVP takes `int` lengths: anything above INT_MAX would wrap in C. */
export function checkFfiLength(what: string, len: number): void {
  if (len > 0x7fffffff) throw new CryptoError(`${what} of ${len} bytes exceeds INT_MAX`);
}
