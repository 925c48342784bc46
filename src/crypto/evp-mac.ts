import type { MacContext } from './backend.js';
import { checkFfiLength, checkMacArgs } from './checks.js';
import {
  type Addr,
  type Arena,
  bufferBase,
  type Libcrypto,
  OFF_MD,
  OFF_MDLEN,
  STAGE_LEN,
  stageIn,
} from './evp-arena.js';
import { EvpContext, fail } from './evp-context.js';

/**
 * Truncated HMAC (RFC 2104, RFC 4868). The key is set once; HMAC_Init_ex with a NULL
 * key and digest restores the keyed inner state for each packet. HMAC_CTX is
 * deprecated in 3.0 but exported; EVP_MAC's HMAC provider wraps the same code.
 */
export class EvpMac extends EvpContext implements MacContext {
  private readonly ctx: Addr;

  constructor(
    private readonly L: Libcrypto,
    private readonly A: Arena,
    md: Addr,
    key: Uint8Array,
    readonly icvLen: number,
  ) {
    super(L.HMAC_CTX_free);
    this.ctx = this.owned.add(L.HMAC_CTX_new(), 'HMAC_CTX_new');
    // HMAC_Init_ex needs a non-NULL key pointer even for an empty key
    const k = key.length > 0 ? key : new Uint8Array(1);
    if (L.HMAC_Init_key(this.ctx, k, key.length, md, 0) !== 1) fail('HMAC_Init_ex(key)');
  }

  compute(data: Uint8Array, extra: Uint8Array | undefined, out: Uint8Array): void {
    checkMacArgs(out, this.icvLen);
    checkFfiLength('data', data.length);
    this.live();
    const { L, A, ctx } = this;
    const base = A.base;
    const xl = extra === undefined ? 0 : extra.length;
    if (L.HMAC_Init_ex(ctx, 0, 0, 0, 0) !== 1) fail('HMAC_Init_ex');
    if (extra !== undefined && data.length + xl <= STAGE_LEN) {
      // RFC 4303 §2.2.1: the ESN high bits follow the packet, so one Update covers both
      stageIn(A, data, 0);
      stageIn(A, extra, data.length);
      if (L.HMAC_Update(ctx, base, data.length + xl) !== 1) fail('HMAC_Update');
    } else {
      this.update(data);
      if (extra !== undefined) this.update(extra);
    }
    if (L.HMAC_Final(ctx, base + OFF_MD, base + OFF_MDLEN) !== 1) fail('HMAC_Final');
    const b = A.bytes;
    for (let i = 0; i < this.icvLen; i++) out[i] = b[OFF_MD + i] ?? 0;
  }

  private update(buf: Uint8Array): void {
    const { L, A, ctx } = this;
    if (buf.length === 0) return;
    const direct = bufferBase(A, buf);
    if (direct >= 0) {
      // HMAC_Update reads buf.length bytes from inside the caller's view
      if (L.HMAC_Update(ctx, direct + buf.byteOffset, buf.length) !== 1) fail('HMAC_Update');
      return;
    }
    for (let off = 0; off < buf.length; off += STAGE_LEN) {
      const n = Math.min(STAGE_LEN, buf.length - off);
      stageIn(A, off === 0 && n === buf.length ? buf : buf.subarray(off, off + n), 0);
      if (L.HMAC_Update(ctx, A.base, n) !== 1) fail('HMAC_Update');
    }
  }

  protected wipe(): void {}
}
