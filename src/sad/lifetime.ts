/**
 * Per-SA byte and packet lifetimes (RFC 4301 §4.4.2.1 "Lifetime of this SA";
 * PF_KEY sadb_lifetime soft/hard bytes and allocations, RFC 2367 §2.3.4).
 *
 * The ESP engine accounts each packet here and gets back a LifetimeEvent:
 * 'soft' once, on the packet whose count first reaches a soft limit (time to
 * rekey), 'hard' on the packet whose count reaches a hard limit (the last one
 * allowed), after which the SA is expired and every packet is dropped as
 * 'lifetime-expired'. A packet that crosses both reports only 'hard'.
 *
 * Time-based lifetimes belong to the caller (the key engine owns the clock):
 * it calls expire('soft' | 'hard') when its timer fires, and can read
 * `packets === 0` to learn whether the SA was ever used (sadb_lifetime_usetime).
 */
import type { Lifetime } from './sa-config.js';

export type LifetimeEvent = 'soft' | 'hard' | undefined;

const toLimit = (v: bigint | undefined): number =>
  v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);

export class LifetimeCounter {
  /** payload bytes accounted so far */
  bytes = 0;
  /** packets accounted so far */
  packets = 0;
  private softSignalled = false;
  private hardReached = false;
  private readonly softBytes: number;
  private readonly hardBytes: number;
  private readonly softPackets: number;
  private readonly hardPackets: number;

  /** Limits of 0 or absent mean "no limit" (PF_KEY convention). */
  constructor(lifetime: Lifetime | undefined) {
    const lim = (v: bigint | undefined) => (v === 0n ? Number.POSITIVE_INFINITY : toLimit(v));
    this.softBytes = lim(lifetime?.softBytes);
    this.hardBytes = lim(lifetime?.hardBytes);
    this.softPackets = lim(lifetime?.softPackets);
    this.hardPackets = lim(lifetime?.hardPackets);
  }

  /** True once a hard limit was reached (by count or by expire('hard')): drop every packet. */
  get expired(): boolean {
    return this.hardReached;
  }

  /** True once the soft event was reported (by count or by expire('soft')). */
  get dying(): boolean {
    return this.softSignalled;
  }

  /**
   * Account one packet of `bytes` payload bytes. Call only for packets that pass
   * (check `expired` first).
   * @returns 'hard' when this packet reached a hard limit (it is the last one;
   *   the SA is expired from now on), 'soft' the first time a soft limit is
   *   reached, undefined otherwise.
   */
  account(bytes: number): LifetimeEvent {
    this.packets += 1;
    this.bytes += bytes;
    if (!this.hardReached && (this.packets >= this.hardPackets || this.bytes >= this.hardBytes)) {
      this.hardReached = true;
      this.softSignalled = true;
      return 'hard';
    }
    if (!this.softSignalled && (this.packets >= this.softPackets || this.bytes >= this.softBytes)) {
      this.softSignalled = true;
      return 'soft';
    }
    return undefined;
  }

  /**
   * Hook for time-based lifetimes, driven by the caller's clock.
   * @returns the event to report ('soft' only the first time), or undefined when it was already reported
   */
  expire(kind: 'soft' | 'hard'): LifetimeEvent {
    if (kind === 'hard') {
      if (this.hardReached) return undefined;
      this.hardReached = true;
      this.softSignalled = true;
      return 'hard';
    }
    if (this.softSignalled) return undefined;
    this.softSignalled = true;
    return 'soft';
  }
}
