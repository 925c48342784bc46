/**
 * What every EVP context (evp-backend.ts AEAD, evp-cbc.ts, evp-mac.ts) shares: the native
 * objects it owns (freed by dispose() or, as a safety net, after GC by a
 * FinalizationRegistry), use-after-dispose protection and the failure error.
 */
import { CryptoError } from '../util/errors.js';
import type { Addr } from './evp-arena.js';

export function fail(what: string): never {
  throw new CryptoError(`libcrypto: ${what} failed`);
}

let liveNatives = 0;

/** Native EVP_CIPHER_CTX/HMAC_CTX objects currently allocated by this module (for tests and leak checks). */
export function evpLiveNativeObjects(): number {
  return liveNatives;
}

/** The native objects one context owns; freed by dispose() or, failing that, after GC. */
class Owned {
  private readonly ptrs: Addr[] = [];
  constructor(private readonly free: (p: Addr) => void) {}
  add(p: Addr, what: string): Addr {
    if (p === 0) fail(what);
    this.ptrs.push(p);
    liveNatives++;
    return p;
  }
  freeAll(): void {
    for (const p of this.ptrs.splice(0)) {
      this.free(p);
      liveNatives--;
    }
  }
}

const finalizer = new FinalizationRegistry<Owned>((owned) => owned.freeAll());

/** Base of the three contexts: native ownership and use-after-dispose protection. */
export abstract class EvpContext {
  protected disposed = false;
  protected readonly owned: Owned;
  constructor(free: (p: Addr) => void) {
    this.owned = new Owned(free);
    finalizer.register(this, this.owned, this);
  }
  protected live(): void {
    if (this.disposed) throw new CryptoError('crypto context used after dispose()');
  }
  /** Frees the native contexts now and wipes the key copy. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this);
    this.owned.freeAll();
    this.wipe();
  }
  protected abstract wipe(): void;
}
