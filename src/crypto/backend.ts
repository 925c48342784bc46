/**
 * The crypto backend interface the ESP engine uses. A context is created once per
 * SA and direction and then seals/opens packets in place, with an explicit IV,
 * into caller-owned buffers, so a backend can keep an OpenSSL context alive
 * between packets (dataplane-notes.md "Consequences").
 *
 * Two implementations: node-backend.ts (node:crypto, the portable reference) and
 * evp-backend.ts (libcrypto.so.3 EVP through koffi, the fast path). Both pass the
 * same vectors, and a test proves they produce identical bytes.
 */
import type { HashName } from './suites.js';

/** AEAD context: AES-GCM (RFC 4106) or ChaCha20-Poly1305 (RFC 7634). Nonce = salt(4) | iv(8). */
export interface AeadContext {
  readonly icvLen: number;
  /**
   * Encrypt `data` in place and write the ICV into `tag` (exactly icvLen bytes).
   * `data` may be empty (AES-GMAC, RFC 4543: everything is AAD).
   */
  seal(iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): void;
  /** Verify `tag` and decrypt `data` in place. Returns false on an ICV mismatch (data is then unspecified). */
  open(iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean;
  /**
   * seal() on one ESP packet laid out as RFC 4106 §3 / RFC 7634 §3 say, without views:
   * the explicit IV is pkt[ivOff, ivOff+8), pkt[dataOff, dataOff+dataLen) is encrypted in
   * place and the ICV (icvLen bytes) is written right after it. The per-packet fast path
   * of the ESP engine (fewer FFI crossings on EVP, docs/dataplane.md §10.5).
   * @throws CryptoError when an offset or length falls outside `pkt` (checked before any native call).
   */
  sealPacket(pkt: Uint8Array, aad: Uint8Array, ivOff: number, dataOff: number, dataLen: number): void;
  /** open() on one ESP packet laid out as for sealPacket(); false on an ICV mismatch. */
  openPacket(pkt: Uint8Array, aad: Uint8Array, ivOff: number, dataOff: number, dataLen: number): boolean;
  /** Free native state now (EVP); idempotent. Absent on backends with nothing to free. */
  dispose?(): void;
}

/** CBC context (AES-CBC RFC 3602, 3DES-CBC RFC 2451); `data` is a whole number of blocks. */
export interface CbcContext {
  readonly blockLen: number;
  encrypt(iv: Uint8Array, data: Uint8Array): void;
  decrypt(iv: Uint8Array, data: Uint8Array): void;
  /** Free native state now (EVP); idempotent. */
  dispose?(): void;
}

/** Truncated HMAC context (RFC 2104, RFC 4868 §2.1). */
export interface MacContext {
  readonly icvLen: number;
  /** MAC over `data` then `extra` (the ESN high bits, RFC 4303 §2.2.1), truncated into `out`. */
  compute(data: Uint8Array, extra: Uint8Array | undefined, out: Uint8Array): void;
  /** Free native state now (EVP); idempotent. */
  dispose?(): void;
}

export type AeadCipher = 'aes-gcm' | 'chacha20-poly1305';
export type CbcCipher = 'aes-cbc' | '3des-cbc';

export interface CryptoBackend {
  readonly name: 'node' | 'evp';
  /** `key` is the cipher key without the salt. */
  aead(cipher: AeadCipher, key: Uint8Array, salt: Uint8Array, icvLen: number): AeadContext;
  cbc(cipher: CbcCipher, key: Uint8Array): CbcContext;
  mac(hash: HashName, key: Uint8Array, icvLen: number): MacContext;
}
