/**
 * Half-open IKE SA protection on the responder (RFC 7296 §2.6, §2.4 last paragraphs):
 *
 * - Above `cookieThreshold` half-open IKE SAs, an IKE_SA_INIT request without a valid COOKIE
 *   notify is answered with a COOKIE notify only, and no state is kept.
 * - A single source address may hold at most `perSourceLimit` half-open SAs; further
 *   IKE_SA_INIT requests from it are dropped (strongSwan's block_threshold).
 * - The secret changes every `secretLifetimeMs`; cookies made with the previous secret are
 *   still accepted, so a client that got a cookie just before the change is not refused.
 *
 * Sans-IO: the clock and the secret bytes come from outside.
 */

import { cookieHash } from '../crypto/cookie-hash.js';
import { bytesEqual } from '../util/hex.js';
import type { Rng } from '../util/rng.js';

export interface CookieGuardSettings {
  /** half-open SAs above which cookies are required (strongSwan cookie_threshold: 10) */
  readonly cookieThreshold: number;
  /** half-open SAs per source address (strongSwan block_threshold: 5) */
  readonly perSourceLimit: number;
  readonly secretLifetimeMs: number;
}

export const DEFAULT_COOKIE_GUARD: CookieGuardSettings = {
  cookieThreshold: 10,
  perSourceLimit: 5,
  secretLifetimeMs: 120_000,
};

export type InitVerdict =
  | { readonly kind: 'accept' }
  /** answer with N(COOKIE) carrying this data, keep no state */
  | { readonly kind: 'send-cookie'; readonly cookie: Uint8Array }
  | { readonly kind: 'drop'; readonly reason: 'per-source-limit' };

export class CookieGuard {
  private halfOpenTotal = 0;
  private readonly halfOpenBySource = new Map<string, number>();
  private secret = new Uint8Array(32);
  private previous: { version: number; secret: Uint8Array } | undefined;
  private version = 0;
  private secretSince: number;

  constructor(
    private readonly rng: Rng,
    now: number,
    readonly settings: CookieGuardSettings = DEFAULT_COOKIE_GUARD,
  ) {
    rng.fill(this.secret);
    this.secretSince = now;
  }

  get halfOpen(): number {
    return this.halfOpenTotal;
  }

  /**
   * Decide on an IKE_SA_INIT request from `sourceKey` (the address as text) carrying
   * `cookie` (the COOKIE notify data, if any).
   */
  check(
    now: number,
    sourceKey: string,
    source: Uint8Array,
    nonceI: Uint8Array,
    spiI: bigint,
    cookie: Uint8Array | undefined,
  ): InitVerdict {
    this.rotate(now);
    if ((this.halfOpenBySource.get(sourceKey) ?? 0) >= this.settings.perSourceLimit) {
      return { kind: 'drop', reason: 'per-source-limit' };
    }
    if (this.halfOpenTotal < this.settings.cookieThreshold) return { kind: 'accept' };
    if (cookie && this.valid(cookie, source, nonceI, spiI)) return { kind: 'accept' };
    return { kind: 'send-cookie', cookie: cookieHash(this.version, nonceI, source, spiI, this.secret) };
  }

  private valid(cookie: Uint8Array, source: Uint8Array, nonceI: Uint8Array, spiI: bigint): boolean {
    if (cookie.length < 4) return false;
    const v = new DataView(cookie.buffer, cookie.byteOffset, cookie.byteLength).getUint32(0);
    const secret = v === this.version ? this.secret : v === this.previous?.version ? this.previous.secret : undefined;
    return secret !== undefined && bytesEqual(cookie, cookieHash(v, nonceI, source, spiI, secret));
  }

  private rotate(now: number): void {
    if (now - this.secretSince < this.settings.secretLifetimeMs) return;
    this.previous = { version: this.version, secret: this.secret };
    this.version = (this.version + 1) >>> 0;
    this.secret = new Uint8Array(32);
    this.rng.fill(this.secret);
    this.secretSince = now;
  }

  /** A half-open IKE SA was created for `sourceKey`. */
  opened(sourceKey: string): void {
    this.halfOpenTotal += 1;
    this.halfOpenBySource.set(sourceKey, (this.halfOpenBySource.get(sourceKey) ?? 0) + 1);
  }

  /** A half-open IKE SA of `sourceKey` was established or removed. */
  closed(sourceKey: string): void {
    const n = this.halfOpenBySource.get(sourceKey) ?? 0;
    if (n === 0) return;
    this.halfOpenTotal -= 1;
    if (n === 1) this.halfOpenBySource.delete(sourceKey);
    else this.halfOpenBySource.set(sourceKey, n - 1);
  }
}
