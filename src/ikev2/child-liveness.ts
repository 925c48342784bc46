/**
 * ESP as a sign of life for dead peer detection (RFC 7296 §2.4): a peer whose authenticated
 * ESP packets still arrive on a CHILD SA is alive, so the liveness check of its IKE SA waits
 * dpd_delay from the last such packet, not only from the last IKE message. strongSwan does
 * the same: before sending a DPD it asks the kernel when the inbound SAs were last used.
 *
 * The engine never sees ESP: the daemon reads the data plane's per-SA counters and reports
 * `childTraffic(spiIn, lastSeenMs)` when an inbound SA carried packets (ipsecd counts only
 * packets that passed the ICV and replay checks, so unauthenticated input moves nothing).
 */
import type { IkeSa } from './ike-sa.js';

/**
 * Inbound CHILD SA `spiIn` last carried a packet at `lastSeenMs`: move its IKE SA's liveness
 * time forward (never backward, never past `nowMs`). Returns the IKE SA, or undefined when no
 * live IKE SA owns that SPI (a CHILD SA already deleted or moved on: nothing to do).
 */
export function noteChildTraffic(
  sas: Iterable<IkeSa>,
  spiIn: number,
  lastSeenMs: number,
  nowMs: number,
): IkeSa | undefined {
  const spi = spiIn >>> 0;
  const seen = Math.min(lastSeenMs, nowMs);
  for (const sa of sas) {
    if (sa.lifecycle.state === 'destroying' || sa.lifecycle.state === 'deleting') continue;
    if (!sa.children.some((c) => c.spiIn >>> 0 === spi)) continue;
    // §2.4: the dpd_delay timer (nextDeadline/tick) counts from lastInbound.
    if (Number.isFinite(seen) && seen > sa.lastInbound) sa.lastInbound = seen;
    return sa;
  }
  return undefined;
}
