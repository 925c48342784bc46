import type { CbcCipher, CbcContext } from './backend.js';
import { checkCbcArgs, checkFfiLength } from './checks.js';
import { type Addr, type Arena, cipherUpdate, type Libcrypto, OFF_IV } from './evp-arena.js';
import { EvpContext, fail } from './evp-context.js';

/**
 * AES-CBC (RFC 3602) and 3DES-CBC (RFC 2451). Two contexts, because AES decryption
 * uses a different key schedule, so one context cannot switch direction by IV reset.
 */
export class EvpCbc extends EvpContext implements CbcContext {
  readonly blockLen: number;
  private readonly key: Uint8Array;
  private encCtx = 0;
  private decCtx = 0;

  constructor(
    private readonly L: Libcrypto,
    private readonly A: Arena,
    private readonly cipher: Addr,
    cbc: CbcCipher,
    key: Uint8Array,
  ) {
    super(L.EVP_CIPHER_CTX_free);
    this.blockLen = cbc === '3des-cbc' ? 8 : 16;
    this.key = key.slice();
  }

  private ready(enc: 0 | 1): Addr {
    this.live();
    const L = this.L;
    const ctx = this.owned.add(L.EVP_CIPHER_CTX_new(), 'EVP_CIPHER_CTX_new');
    if (L.EVP_CipherInit_key(ctx, this.cipher, 0, this.key, 0, enc) !== 1) fail('EVP_CipherInit_ex(key)');
    // ESP pads itself (RFC 4303 §2.4): no PKCS#7 padding from EVP
    if (L.EVP_CIPHER_CTX_set_padding(ctx, 0) !== 1) fail('EVP_CIPHER_CTX_set_padding');
    if (enc === 1) this.encCtx = ctx;
    else this.decCtx = ctx;
    return ctx;
  }

  private run(ctx: Addr, enc: 0 | 1, iv: Uint8Array, data: Uint8Array): void {
    const { L, A } = this;
    const b = A.bytes;
    A.nonceOwner = undefined; // the CBC IV overwrites the AEAD salt
    for (let i = 0; i < this.blockLen; i++) b[OFF_IV + i] = iv[i] ?? 0;
    if (L.EVP_CipherInit_ex(ctx, 0, 0, 0, A.base + OFF_IV, enc) !== 1) fail('EVP_CipherInit_ex(iv)');
    // STAGE_LEN is a multiple of both block sizes, so chunks chain the CBC state
    if (!cipherUpdate(L, A, ctx, data, true)) fail('EVP_CipherUpdate');
  }

  encrypt(iv: Uint8Array, data: Uint8Array): void {
    checkCbcArgs(iv, data, this.blockLen);
    checkFfiLength('data', data.length);
    this.run(this.encCtx || this.ready(1), 1, iv, data);
  }

  decrypt(iv: Uint8Array, data: Uint8Array): void {
    checkCbcArgs(iv, data, this.blockLen);
    checkFfiLength('data', data.length);
    this.run(this.decCtx || this.ready(0), 0, iv, data);
  }

  protected wipe(): void {
    this.encCtx = 0;
    this.decCtx = 0;
    this.key.fill(0);
  }
}
