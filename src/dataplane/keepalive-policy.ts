/**
 * The data plane's NAT-keepalive policy (RFC 3948 §4) over the timers of nat-keepalives.ts:
 * which SAs make a peer mapping need keepalives, and sending the due ones.
 */
import { type SaEntry, usableSa } from '../sad/sa-entry.js';
import type { IpAddr } from '../util/ip-addr.js';
import type { DataplaneSink } from './dataplane-options.js';
import { type Listener, listenerFor } from './listener.js';
import type { NatKeepalives } from './nat-keepalives.js';
import type { DataplaneTotals } from './status.js';

/** RFC 3948 §2.3: the one-octet 0xFF keepalive; cisco-udp sends four zero octets before it. */
const KEEPALIVE_FF = Uint8Array.of(0xff);
const KEEPALIVE_CISCO = Uint8Array.of(0, 0, 0, 0, 0xff);

/**
 * Track (or stop tracking) the peer mapping of SA `e`: only an outbound SA with natKeepalive
 * (the side behind the NAT), UDP-encapsulated, leaving from one of our listeners.
 */
export function trackKeepalive(
  k: NatKeepalives,
  listeners: readonly Listener[],
  e: SaEntry,
  isLocal: (a: IpAddr) => boolean,
  now: number,
): void {
  const enc = e.encap;
  // Keepalives go toward the peer of an OUTBOUND SA (RFC 3948 §4): an SA whose destination
  // is one of our addresses is inbound, and keepalives "to" it would go to ourselves.
  if (!usableSa(e) || e.cfg?.natKeepalive !== true || enc.type === 'none' || isLocal(e.dst)) {
    k.untrack(e.id);
    return;
  }
  const l = listenerFor(listeners, enc.sport, e.src);
  if (!l) {
    k.untrack(e.id);
    return;
  }
  k.track(e.id, l.id, e.dst.text, enc.dport, enc.keepalive ?? 'ff', now);
}

/**
 * Send the NAT-keepalives that are due: one per peer mapping on which nothing was sent
 * for the interval (RFC 3948 §4), in the format of the SAs using it.
 */
export function sendDueKeepalives(
  k: NatKeepalives,
  listeners: readonly Listener[],
  sink: Pick<DataplaneSink, 'udpSend'>,
  totals: DataplaneTotals,
  now: number,
): void {
  for (const m of k.due(now)) {
    const l = listeners[m.listener];
    if (!l) continue;
    const payload = m.format === 'ff' ? KEEPALIVE_FF : KEEPALIVE_CISCO;
    sink.udpSend(l.id, m.address, m.port, payload);
    k.onSent(m, now);
    totals.udpOut++;
    totals.keepalivesOut++;
    l.counters.txPackets++;
    l.counters.txBytes += payload.length;
    l.counters.keepalivesOut++;
  }
}
