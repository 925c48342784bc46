/**
 * ESP traffic as liveness for DPD (RFC 7296 §2.4; src/ikev2/child-liveness.ts): for each IKE
 * SA of a connection with dpd_delay, read its inbound CHILD SAs' packet counters from the data
 * plane (PF_KEY GET, LIFETIME_CURRENT) every half dpd_delay (at least 1 s, at most 10 s
 * apart), and when a counter grew since the last read tell the engine that the peer sent ESP
 * now (`childTraffic`). A peer that keeps sending ESP is never sent an empty INFORMATIONAL;
 * one that falls silent is checked at most dpd_delay plus one read interval after its last
 * packet (the counters say that packets came, not exactly when).
 *
 * Cost: one GET per CHILD SA per interval, only for connections with dpd_delay.
 */
import type { Ikev2Engine } from '../ikev2/ikev2-engine.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { IkedKernel } from './iked-kernel.js';

export interface EspLiveness {
  close(): void;
}

export interface EspLivenessOptions {
  readonly engine: Ikev2Engine;
  readonly kernel: Pick<IkedKernel, 'inboundPackets'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** execute the engine's actions and re-arm its timer */
  readonly run: () => void;
  /** how often the poller wakes up (default 1 s) */
  readonly tickMs?: number;
}

const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 10_000;

/** How often the counters of an IKE SA with `dpdDelayS` are read. */
export function readInterval(dpdDelayS: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, (dpdDelayS * 1000) / 2));
}

export function startEspLiveness(o: EspLivenessOptions): EspLiveness {
  /** inbound SPI -> packets at the last read */
  const packets = new Map<number, number>();
  /** IKE SA id -> time of the last read */
  const lastRead = new Map<number, number>();
  let busy = false;

  async function poll(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      const now = o.clock.now();
      const live = new Set<number>();
      const ikeIds = new Set<number>();
      let moved = false;
      for (const sa of o.engine.list()) {
        const delay = sa.conn?.dpdDelay ?? 0;
        if (delay <= 0 || sa.lifecycle.state !== 'established') continue;
        ikeIds.add(sa.id);
        for (const c of sa.children) live.add(c.spiIn);
        if (now - (lastRead.get(sa.id) ?? Number.NEGATIVE_INFINITY) < readInterval(delay)) continue;
        lastRead.set(sa.id, now);
        for (const c of sa.children) {
          const n = await o.kernel.inboundPackets(c.spiIn);
          if (n === undefined) continue;
          const before = packets.get(c.spiIn);
          packets.set(c.spiIn, n);
          // The first read of an SA only sets the baseline (when those packets came is unknown).
          if (before !== undefined && n > before) {
            o.engine.childTraffic(c.spiIn, o.clock.now());
            moved = true;
          }
        }
      }
      for (const spi of packets.keys()) if (!live.has(spi)) packets.delete(spi);
      for (const id of lastRead.keys()) if (!ikeIds.has(id)) lastRead.delete(id);
      if (moved) o.run();
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => {
    poll().catch((e: unknown) =>
      o.logger.log('warn', 'ike', `ESP liveness read failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }, o.tickMs ?? MIN_INTERVAL_MS);
  timer.unref();
  return {
    close() {
      clearInterval(timer);
    },
  };
}
