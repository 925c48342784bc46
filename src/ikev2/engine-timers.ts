/**
 * The engine's timers: retransmission of the outstanding request of each IKE SA (RFC 7296
 * §2.1, strongSwan's schedule in src/ike/retransmit.ts) and the timeout of half-open
 * responder SAs, and the liveness checks of §2.4 (DPD). The daemon runs one real timer at the
 * engine's nextDeadline().
 */
import { type RetransmitSettings, retransmitTimeout } from '../ike/retransmit.js';
import type { AdminEngine } from './engine-admin.js';
import { livenessCheck } from './exchange-info.js';
import { expireReassembly, reassemblyDeadline } from './ike-reassembly.js';
import type { IkeSa } from './ike-sa.js';
import { exchangeName } from './message-log.js';

/**
 * A responder's IKE SA not yet up: after IKE_SA_INIT, or between the IKE_AUTH exchanges of
 * an EAP authentication (§2.16); dropped after the half-open timeout of silence (strongSwan
 * deletes any responder IKE SA not established within its half_open_timeout).
 */
export const halfOpen = (sa: IkeSa): boolean =>
  sa.lifecycle.state === 'created' || (sa.lifecycle.state === 'connecting' && !sa.initiator && sa.eap !== undefined);

export function engineNextDeadline(sas: readonly IkeSa[], halfOpenTimeoutMs: number): number | undefined {
  let d: number | undefined;
  for (const sa of sas) {
    const t = sa.pending?.deadline ?? (halfOpen(sa) ? sa.lastInbound + halfOpenTimeoutMs : undefined);
    if (t !== undefined && (d === undefined || t < d)) d = t;
    const f = reassemblyDeadline(sa);
    if (f !== undefined && (d === undefined || f < d)) d = f;
  }
  return d;
}

export function engineTick(
  engine: AdminEngine,
  sas: readonly IkeSa[],
  retransmit: RetransmitSettings,
  halfOpenTimeoutMs: number,
): void {
  const now = engine.clock.now();
  for (const sa of sas) {
    if (halfOpen(sa) && now >= sa.lastInbound + halfOpenTimeoutMs && !sa.initiator) {
      engine.destroy(sa, 'half-open IKE SA timed out');
      continue;
    }
    if (expireReassembly(sa, now))
      engine.logger.log('debug', 'enc', `${sa.name}[#${sa.id}] partial fragmented message expired`);
    const p = sa.pending;
    if (!p || now < p.deadline) continue;
    const wait = retransmitTimeout(p.sent, retransmit);
    if (wait === undefined || p.sent > retransmit.tries) {
      // §2.1: every retransmission unanswered: the exchange (and usually the SA) has failed;
      // a partly reassembled response to it (RFC 7383 §2.6) is dropped with it.
      sa.pending = undefined;
      if (sa.defrag) sa.defrag.response = undefined;
      if (p.onTimeout) p.onTimeout(sa);
      else engine.destroy(sa, 'retransmits exhausted');
      continue;
    }
    p.sent += 1;
    p.deadline = now + wait;
    engine.event({
      kind: 'retransmit',
      conn: sa.name,
      ikeId: sa.id,
      exchange: exchangeName(p.exchange),
      messageId: p.messageId,
      attempt: p.sent - 1,
    });
    engine.logger.log(
      'info',
      'ike',
      `${sa.name}[#${sa.id}] retransmit ${p.sent - 1} of request with message ID ${p.messageId}`,
    );
    for (const b of p.bytes) engine.emit({ kind: 'send', local: sa.local, remote: sa.remote, bytes: b });
  }
}

/** Only SAs with a request in flight, half-open ones or a partial fragmented message have a deadline: the others leave `timed`, so an idle IKE SA costs nothing here. */
export function timedSas(timed: Set<IkeSa>): IkeSa[] {
  for (const sa of timed) {
    const idle = !sa.pending && !halfOpen(sa) && !sa.defrag?.request && !sa.defrag?.response;
    if (sa.lifecycle.state === 'destroying' || idle) timed.delete(sa);
  }
  return [...timed];
}

/** The established IKE SAs with dpd_delay (the others leave `dpd`). */
export function dpdSas(dpd: Set<IkeSa>): IkeSa[] {
  for (const sa of dpd) if (sa.lifecycle.state !== 'established') dpd.delete(sa);
  return [...dpd];
}

/** When the first liveness check of these IKE SAs falls due (dpd_delay after their last inbound message). */
export function livenessDeadline(sas: readonly IkeSa[]): number | undefined {
  let d: number | undefined;
  for (const sa of sas) {
    const t = sa.lastInbound + (sa.conn?.dpdDelay ?? 0) * 1000;
    if (!sa.pending && (d === undefined || t < d)) d = t;
  }
  return d;
}

/**
 * §2.4 liveness: nothing received for dpd_delay -> an empty INFORMATIONAL request; when every
 * retransmission goes unanswered the peer is dead (strongSwan's IKEv2 DPD).
 */
export function livenessTick(engine: AdminEngine, sas: readonly IkeSa[]): void {
  const now = engine.clock.now();
  for (const sa of sas) {
    if (sa.pending || sa.queue.length > 0 || now < sa.lastInbound + (sa.conn?.dpdDelay ?? 0) * 1000) continue;
    livenessCheck(engine, sa, (s) => engine.destroy(s, 'DPD: peer did not answer liveness checks'));
  }
}

/** The earliest of some deadlines. */
export function earliest(...ds: (number | undefined)[]): number | undefined {
  let d: number | undefined;
  for (const x of ds) if (x !== undefined && (d === undefined || x < d)) d = x;
  return d;
}
