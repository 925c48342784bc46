/**
 * Reference backend on node:crypto. Portable and simple: a new cipher object per
 * packet (node:crypto cannot re-key an existing one with a new IV), results copied
 * back into the caller's buffer so the interface stays in-place.
 */
import { type CipherGCMTypes, createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { CryptoError } from '../util/errors.js';
import type { AeadCipher, AeadContext, CbcCipher, CbcContext, CryptoBackend, MacContext } from './backend.js';
import {
  checkAeadArgs,
  checkAeadKey,
  checkAeadPacket,
  checkCbcArgs,
  checkCbcKey,
  checkMacArgs,
  checkMacKey,
} from './checks.js';
import type { HashName } from './suites.js';

function gcmName(keyLen: number): CipherGCMTypes {
  if (keyLen === 16) return 'aes-128-gcm';
  if (keyLen === 24) return 'aes-192-gcm';
  if (keyLen === 32) return 'aes-256-gcm';
  throw new CryptoError(`AES-GCM key of ${keyLen} bytes`);
}

class NodeAead implements AeadContext {
  private readonly algo: string;
  private readonly key: Uint8Array;
  private readonly nonce = new Uint8Array(12);
  constructor(
    cipher: AeadCipher,
    key: Uint8Array,
    salt: Uint8Array,
    readonly icvLen: number,
  ) {
    checkAeadKey(cipher, key, salt, icvLen);
    this.algo = cipher === 'aes-gcm' ? gcmName(key.length) : 'chacha20-poly1305';
    this.key = key.slice();
    this.nonce.set(salt, 0);
  }
  seal(iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): void {
    checkAeadArgs(iv, tag, this.icvLen);
    this.nonce.set(iv, 4);
    // biome-ignore lint/suspicious/noExplicitAny: node's overloads do not cover a runtime-chosen AEAD name
    const c = createCipheriv(this.algo as any, this.key, this.nonce, { authTagLength: 16 } as any) as any;
    c.setAAD(aad, { plaintextLength: data.length });
    if (data.length > 0) {
      const out: Uint8Array = c.update(data);
      data.set(out);
    }
    c.final();
    const full: Uint8Array = c.getAuthTag();
    tag.set(full.subarray(0, this.icvLen));
  }
  open(iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean {
    checkAeadArgs(iv, tag, this.icvLen);
    this.nonce.set(iv, 4);
    // biome-ignore lint/suspicious/noExplicitAny: see seal()
    const d = createDecipheriv(this.algo as any, this.key, this.nonce, { authTagLength: this.icvLen } as any) as any;
    d.setAuthTag(tag);
    d.setAAD(aad, { plaintextLength: data.length });
    let out: Uint8Array | undefined;
    if (data.length > 0) out = d.update(data);
    try {
      d.final();
    } catch {
      return false;
    }
    if (out) data.set(out);
    return true;
  }
  sealPacket(pkt: Uint8Array, aad: Uint8Array, ivOff: number, dataOff: number, dataLen: number): void {
    checkAeadPacket(pkt, ivOff, dataOff, dataLen, this.icvLen);
    const end = dataOff + dataLen;
    this.seal(pkt.subarray(ivOff, ivOff + 8), aad, pkt.subarray(dataOff, end), pkt.subarray(end, end + this.icvLen));
  }
  openPacket(pkt: Uint8Array, aad: Uint8Array, ivOff: number, dataOff: number, dataLen: number): boolean {
    checkAeadPacket(pkt, ivOff, dataOff, dataLen, this.icvLen);
    const end = dataOff + dataLen;
    return this.open(
      pkt.subarray(ivOff, ivOff + 8),
      aad,
      pkt.subarray(dataOff, end),
      pkt.subarray(end, end + this.icvLen),
    );
  }
}

function cbcName(cipher: CbcCipher, keyLen: number): string {
  if (cipher === '3des-cbc') return 'des-ede3-cbc';
  return `aes-${keyLen * 8}-cbc`;
}

class NodeCbc implements CbcContext {
  readonly blockLen: number;
  private readonly algo: string;
  private readonly key: Uint8Array;
  constructor(cipher: CbcCipher, key: Uint8Array) {
    checkCbcKey(cipher, key);
    this.blockLen = cipher === '3des-cbc' ? 8 : 16;
    this.algo = cbcName(cipher, key.length);
    this.key = key.slice();
  }
  encrypt(iv: Uint8Array, data: Uint8Array): void {
    checkCbcArgs(iv, data, this.blockLen);
    const c = createCipheriv(this.algo, this.key, iv).setAutoPadding(false);
    const out = c.update(data);
    c.final();
    data.set(out);
  }
  decrypt(iv: Uint8Array, data: Uint8Array): void {
    checkCbcArgs(iv, data, this.blockLen);
    const d = createDecipheriv(this.algo, this.key, iv).setAutoPadding(false);
    const out = d.update(data);
    d.final();
    data.set(out);
  }
}

class NodeMac implements MacContext {
  private readonly key: Uint8Array;
  constructor(
    private readonly hash: HashName,
    key: Uint8Array,
    readonly icvLen: number,
  ) {
    checkMacKey(hash, key, icvLen);
    this.key = key.slice();
  }
  compute(data: Uint8Array, extra: Uint8Array | undefined, out: Uint8Array): void {
    checkMacArgs(out, this.icvLen);
    const h = createHmac(this.hash, this.key).update(data);
    if (extra) h.update(extra);
    out.set(h.digest().subarray(0, this.icvLen));
  }
}

export const nodeBackend: CryptoBackend = {
  name: 'node',
  aead: (cipher, key, salt, icvLen) => new NodeAead(cipher, key, salt, icvLen),
  cbc: (cipher, key) => new NodeCbc(cipher, key),
  mac: (hash, key, icvLen) => new NodeMac(hash, key, icvLen),
};
