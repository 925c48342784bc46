/**
 * The IKEv1 engine's clock (STYLE.md §3.7): the next deadline of every part, and what is due
 * at `tick`. Phase 1 itself has two timers here: the initiator's retransmission of its last
 * message (ike/retransmit.ts schedule, then TIMEOUT) and the half-open expiry of a responder
 * SA that never finished (strongSwan's half_open_timeout). The sub-engines keep their own.
 */
import { retransmitTimeout } from '../ike/retransmit.js';
import { drop, type EngineCore, emit } from './engine-core.js';
import { halfOpenFailure } from './error-notify.js';
import { failPhase1 } from './sa-lifecycle.js';

export function nextDeadline(core: EngineCore): number | undefined {
  let t: number | undefined;
  const at = (x: number | undefined) => {
    if (x !== undefined && (t === undefined || x < t)) t = x;
  };
  for (const sa of core.sas.values()) {
    at(sa.retransmitAt);
    if (!sa.initiator && sa.state !== 'established') at(sa.createdAt + core.halfOpenTimeoutMs);
  }
  at(core.phase2.nextDeadline());
  at(core.info.nextDeadline());
  at(core.transactions.nextDeadline());
  at(core.clientTx.nextDeadline());
  at(core.phase1.nextDeadline());
  return t;
}

/** Retransmit what is due (the initiator's last message); give up after the last try. */
export function tick(core: EngineCore): void {
  const now = core.clock.now();
  core.phase2.tick();
  core.info.tick();
  core.transactions.tick();
  core.clientTx.tick();
  core.phase1.tick(now);
  for (const sa of [...core.sas.values()]) {
    if (!sa.initiator && sa.state !== 'established' && now >= sa.createdAt + core.halfOpenTimeoutMs) {
      // an unauthenticated responder SA that never finished (spoofed MM1, lost peer)
      core.sas.delete(sa.spiI);
      drop(core, 'half-open-expired', `${sa.conn.name}[#${sa.id}] in ${sa.state}`);
      const e = halfOpenFailure(sa);
      if (e) emit(core, e);
      continue;
    }
    if (sa.retransmitAt === undefined || sa.retransmitAt > now || !sa.lastSent || !sa.initiator) continue;
    const wait = retransmitTimeout(sa.sends, core.retransmit);
    if (wait === undefined) {
      failPhase1(core, sa, 'TIMEOUT', `no answer after ${sa.sends} sends`);
      continue;
    }
    sa.sends++;
    sa.retransmitAt = now + wait;
    core.actions.push({ kind: 'send', ...sa.lastSent });
    emit(core, {
      kind: 'retransmit',
      conn: sa.conn.name,
      ikeId: sa.id,
      exchange: 'ID_PROT',
      messageId: 0,
      attempt: sa.sends - 1,
    });
  }
}
