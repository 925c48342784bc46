/**
 * NAT-keepalive timer policy (RFC 3948 §4), pure: times are injected (monotonic ms).
 *
 *   "SHOULD send a NAT-keepalive packet if ... no other packet to the peer has been sent
 *    in M seconds", M default 20 s (RFC 3948 §4; strongSwan keep_alive = 20s).
 *
 *   lastSent ──────────── interval ────────────▶ due
 *      ▲ onSent(now): any datagram to the peer (ESP, IKE, keepalive) restarts the wait
 *
 * Only the host behind the NAT sends them (RFC 3947 §3.2, RFC 7296 §2.23); that choice,
 * and which mapping an instance tracks (per SA or per peer address/port), is the caller's.
 */
import { assert } from '../util/errors.js';

export const DEFAULT_KEEPALIVE_INTERVAL_MS = 20_000;

export class KeepaliveTimer {
  readonly intervalMs: number;
  private last: number;

  /** `now` counts as the last send (the IKE exchange that set up the mapping just ran). */
  constructor(now: number, intervalMs = DEFAULT_KEEPALIVE_INTERVAL_MS) {
    assert(Number.isFinite(intervalMs) && intervalMs > 0, `keepalive interval ${intervalMs}`);
    this.intervalMs = intervalMs;
    this.last = now;
  }

  /** Record that something (anything) was sent to the peer at `now`. */
  onSent(now: number): void {
    if (now > this.last) this.last = now;
  }

  /** Time of the last send recorded. */
  get lastSent(): number {
    return this.last;
  }

  /** When a keepalive becomes due if nothing else is sent. */
  nextDeadline(): number {
    return this.last + this.intervalMs;
  }

  /** True when nothing was sent for a whole interval. Call onSent() after sending one. */
  due(now: number): boolean {
    return now >= this.last + this.intervalMs;
  }
}

/**
 * Many keepalive timers keyed by mapping (e.g. "203.0.113.7:4500" or an SA id), for a
 * daemon's single tick: `due(now)` lists the keys to send a keepalive to.
 */
export class KeepaliveSchedule<K> {
  private readonly timers = new Map<K, KeepaliveTimer>();
  readonly intervalMs: number;

  constructor(intervalMs = DEFAULT_KEEPALIVE_INTERVAL_MS) {
    assert(Number.isFinite(intervalMs) && intervalMs > 0, `keepalive interval ${intervalMs}`);
    this.intervalMs = intervalMs;
  }

  /** Start tracking `key` (no-op when already tracked). */
  add(key: K, now: number): void {
    if (!this.timers.has(key)) this.timers.set(key, new KeepaliveTimer(now, this.intervalMs));
  }

  remove(key: K): void {
    this.timers.delete(key);
  }

  has(key: K): boolean {
    return this.timers.has(key);
  }

  get size(): number {
    return this.timers.size;
  }

  /** Something was sent on this mapping (unknown keys are ignored). */
  onSent(key: K, now: number): void {
    this.timers.get(key)?.onSent(now);
  }

  /** Keys whose keepalive is due at `now`, in insertion order. */
  due(now: number): K[] {
    const out: K[] = [];
    for (const [k, t] of this.timers) if (t.due(now)) out.push(k);
    return out;
  }

  /** Earliest deadline over all mappings, or undefined when none is tracked. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers.values()) {
      const d = t.nextDeadline();
      if (min === undefined || d < min) min = d;
    }
    return min;
  }
}
