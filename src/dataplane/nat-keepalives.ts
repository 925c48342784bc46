/**
 * NAT-keepalives per peer mapping (RFC 3948 §4): one timer per (listener, peer address,
 * peer port), however many SAs use it, so two clients behind one NAT (same address,
 * different ports) each keep their own mapping alive.
 *
 *   SA with natKeepalive ──track──> Mapping "L0 198.51.100.7 4500" (refs: SA ids)
 *   any datagram sent on the mapping ──onSent──> timer restarts (KeepaliveTimer)
 *   tick: due mappings ──> keepalive in the SA's format (FF, or vpnc's 00 00 00 00 FF)
 *
 * Only SAs with `natKeepalive` (the side behind the NAT: RFC 3947 §3.2, RFC 7296 §2.23) are
 * tracked; the timer policy itself is udpencap/keepalive.ts.
 */

import type { KeepaliveFormat } from '../udpencap/framing.js';
import { KeepaliveTimer } from '../udpencap/keepalive.js';
import type { ListenerId } from './listener.js';

export interface Mapping {
  readonly key: string;
  readonly listener: ListenerId;
  readonly address: string;
  readonly port: number;
  readonly format: KeepaliveFormat;
  /** SA ids that send on this mapping */
  readonly sas: Set<number>;
  readonly timer: KeepaliveTimer;
}

export function mappingKey(listener: ListenerId, address: string, port: number): string {
  return `${listener} ${address} ${port}`;
}

export class NatKeepalives {
  private readonly byKey = new Map<string, Mapping>();
  private readonly bySa = new Map<number, Mapping>();
  readonly intervalMs: number;

  constructor(intervalMs: number) {
    // validates the interval the same way the timers will
    this.intervalMs = new KeepaliveTimer(0, intervalMs).intervalMs;
  }

  /**
   * SA `saId` sends on (listener, address, port): start (or share) that mapping's timer,
   * leaving the one it used before. Returns the mapping. `now` counts as a send for a new one.
   */
  track(
    saId: number,
    listener: ListenerId,
    address: string,
    port: number,
    format: KeepaliveFormat,
    now: number,
  ): Mapping {
    const key = mappingKey(listener, address, port);
    const had = this.bySa.get(saId);
    if (had?.key === key) return had;
    if (had) this.untrack(saId);
    let m = this.byKey.get(key);
    if (!m) {
      m = { key, listener, address, port, format, sas: new Set(), timer: new KeepaliveTimer(now, this.intervalMs) };
      this.byKey.set(key, m);
    }
    m.sas.add(saId);
    this.bySa.set(saId, m);
    return m;
  }

  /** SA `saId` no longer sends keepalives; the mapping's timer stops with its last SA. */
  untrack(saId: number): void {
    const m = this.bySa.get(saId);
    if (!m) return;
    this.bySa.delete(saId);
    m.sas.delete(saId);
    if (m.sas.size === 0) {
      this.byKey.delete(m.key);
    }
  }

  forSa(saId: number): Mapping | undefined {
    return this.bySa.get(saId);
  }

  /** Something was sent on mapping `m` (ESP, IKE or a keepalive). */
  onSent(m: Mapping, now: number): void {
    m.timer.onSent(now);
  }

  /** Something was sent to (listener, address, port); ignored when that is not a tracked mapping. */
  onSentTo(listener: ListenerId, address: string, port: number, now: number): void {
    if (this.byKey.size === 0) return;
    const m = this.byKey.get(mappingKey(listener, address, port));
    if (m) m.timer.onSent(now);
  }

  /** Mappings whose keepalive is due at `now` (nothing sent for a whole interval). */
  due(now: number): Mapping[] {
    const out: Mapping[] = [];
    for (const m of this.byKey.values()) if (m.timer.due(now)) out.push(m);
    return out;
  }

  /** Earliest keepalive deadline, or undefined when no mapping is tracked. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const m of this.byKey.values()) {
      const d = m.timer.nextDeadline();
      if (min === undefined || d < min) min = d;
    }
    return min;
  }

  mappings(): Mapping[] {
    return [...this.byKey.values()];
  }
}
