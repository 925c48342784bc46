/**
 * Phase 1 message dispatch, Main Mode (RFC 2409 §5) and Aggressive Mode (§5.4) in both roles:
 * find or create the ISAKMP SA for a received ID_PROT / AGGRESSIVE message, tell a
 * retransmission from a new message, check that the message is the one the SA's state waits
 * for, and run the step (main-mode.ts, aggressive-mode.ts, aggressive-initiator.ts).
 *
 * Retransmission (RFC 2408 has no request/response rule): the side that waits for an answer
 * resends its last message (ikev1-timers.ts); a side that receives a message it has already
 * answered resends its answer (strongSwan does the same).
 */
import type { Endpoint } from '../ike/natd.js';
import { retransmitTimeout } from '../ike/retransmit.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import { decodeIsakmpHeader } from '../wire/isakmp/isakmp-decode.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange, IsakmpProtocol } from '../wire/registry/isakmp.js';
import { processAm2 } from './aggressive-initiator.js';
import { processAm1, processAm3 } from './aggressive-mode.js';
import { responderConnection } from './connection-select.js';
import { drop, type EngineCore, logMessage } from './engine-core.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { Ikev1Notify } from './informational.js';
import { type MmStep, processMm1, processMm2, processMm3, processMm4, processMm5, processMm6 } from './main-mode.js';
import { readResponderLifetime } from './phase1-rekey.js';
import { established, failPhase1, newSa } from './sa-lifecycle.js';

/** Send a phase 1 message; the side waiting for an answer arms its retransmission. */
export function sendPhase1(core: EngineCore, sa: Ikev1Sa, bytes: Uint8Array, payloads: IsakmpPayload[]): void {
  logMessage(core, sa, 'generating', decodeIsakmpHeader(bytes), payloads, sa.initiator);
  sa.lastSent = { bytes, local: sa.local, remote: sa.remote };
  sa.sends = 1;
  const t = retransmitTimeout(0, core.retransmit);
  // only the side waiting for an answer retransmits; the responder answers duplicates
  sa.retransmitAt = !sa.initiator || sa.state === 'established' || t === undefined ? undefined : core.clock.now() + t;
  core.actions.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes });
}

/**
 * A decoded ID_PROT or AGGRESSIVE message. A new SA only for a cleartext first message
 * without responder cookie, from a `version = 1` connection of that mode whose addresses
 * (and, in Aggressive Mode, peer ID) match (connection-select.ts).
 */
export function receivePhase1(
  core: EngineCore,
  local: Endpoint,
  remote: Endpoint,
  msg: IsakmpMessage,
  bytes: Uint8Array,
): void {
  const h = msg.header;
  const aggressive = h.exchangeType === IsakmpExchange.AGGRESSIVE;
  let sa = core.sas.get(h.spiI);
  if (!sa) {
    if (h.spiR !== 0n || msg.encrypted) {
      drop(core, 'no-sa', `cookies ${h.spiI.toString(16)}/${h.spiR.toString(16)}`);
      return;
    }
    const conn = responderConnection(core.config(), msg, aggressive, local.address, remote.address);
    if (!conn) {
      drop(
        core,
        'no-sa',
        `no IKEv1 ${aggressive ? 'Aggressive' : 'Main'} Mode connection for ${formatIp(remote.address)}`,
      );
      return;
    }
    sa = newSa(core, conn, false, local, remote, h.spiI);
    sa.aggressive = aggressive;
  }
  if (aggressive !== (sa.aggressive === true)) {
    drop(core, 'unexpected', 'phase 1 exchange type changed');
    return;
  }
  // A retransmission of the message we last answered (MM1 still without CKY-R): answer
  // again (strongSwan does too).
  if (sa.lastReceived && bytesEqual(sa.lastReceived, bytes)) {
    // AM3 is the initiator's last message: a repeated AM2 means it was lost
    const answer = !sa.initiator || sa.aggressive === true;
    core.logger.log(
      'debug',
      'enc',
      `[ike1#${sa.id}] received a retransmission of the last message, ${answer ? 'answered again' : 'ignored'}`,
    );
    if (answer && sa.lastSent) core.actions.push({ kind: 'send', ...sa.lastSent });
    return;
  }
  const fresh = !sa.initiator && sa.state === 'mm1-sent' && sa.lastReceived === undefined;
  const first = sa.initiator && (sa.state === 'mm1-sent' || sa.state === 'am1-sent');
  if (!fresh && !first && h.spiR !== sa.spiR) {
    drop(core, 'no-sa', 'responder cookie mismatch');
    return;
  }
  step(core, sa, msg, local, remote, bytes);
}

/** Which message each state waits for: cleartext (MM2/MM4, MM1/MM3) or encrypted (MM6, MM5). */
const EXPECT: Readonly<Record<string, 'clear' | 'encrypted'>> = {
  'i:mm1-sent': 'clear',
  'i:am1-sent': 'clear',
  'i:mm3-sent': 'clear',
  'i:mm5-sent': 'encrypted',
  'r:mm1-sent': 'clear',
  'r:mm2-sent': 'clear',
  'r:mm4-sent': 'encrypted',
};

function step(
  core: EngineCore,
  sa: Ikev1Sa,
  msg: IsakmpMessage,
  local: Endpoint,
  remote: Endpoint,
  bytes: Uint8Array,
): void {
  const want = EXPECT[`${sa.initiator ? 'i' : 'r'}:${sa.state}`];
  // RFC 2409 §5.4: AM3 may come in clear or encrypted (vpnc encrypts it)
  const either = sa.aggressive && sa.state === 'am2-sent';
  if (!either && (want === undefined || (want === 'encrypted') !== (msg.encrypted !== undefined))) {
    drop(core, 'unexpected', `${sa.initiator ? 'initiator' : 'responder'} in ${sa.state}`);
    return;
  }
  const ctx = core.ctx();
  const opened: IsakmpPayload[] = [];
  let r: MmStep;
  if (sa.initiator && sa.state === 'am1-sent') {
    sa.spiR = msg.header.spiR;
    r = processAm2(ctx, sa, msg);
  } else if (sa.initiator) {
    if (sa.state === 'mm1-sent') {
      sa.spiR = msg.header.spiR;
      r = processMm2(ctx, sa, msg);
    } else if (sa.state === 'mm3-sent') r = processMm4(ctx, sa, msg);
    else r = processMm6(ctx, sa, msg, opened);
  } else if (sa.aggressive && sa.state === 'mm1-sent') r = processAm1(ctx, sa, msg);
  else if (sa.aggressive) r = processAm3(ctx, sa, msg, local, remote, opened);
  else if (sa.state === 'mm1-sent') r = processMm1(sa, msg);
  else if (sa.state === 'mm2-sent') r = processMm3(ctx, sa, msg);
  else r = processMm5(ctx, sa, msg, local, remote, opened);
  if (r.kind === 'drop') {
    drop(core, 'undecryptable', r.reason);
    // RFC 2409 §5: with a wrong PSK, SKEYID_e differs and MM5/MM6 decrypt to garbage.
    if (sa.state === 'mm4-sent' || sa.state === 'mm5-sent')
      core.logger.log('warn', 'ike', `[ike1#${sa.id}] ${sa.conn.name}: ${r.reason} (a wrong pre-shared key?)`);
    return;
  }
  logMessage(core, sa, 'parsed', msg.header, msg.encrypted ? opened : msg.payloads, !sa.initiator);
  sa.lastReceived = bytes;
  if (r.kind === 'fail') {
    failPhase1(core, sa, r.notify, r.reason);
    return;
  }
  if (r.kind === 'send') sendPhase1(core, sa, r.bytes, r.payloads);
  if (sa.state === 'established') {
    // RFC 2407 §4.6.3.3 INITIAL-CONTACT may ride in MM5 (charon puts it there)
    if (opened.some((p) => p.kind === 'N' && p.notifyType === Ikev1Notify.INITIAL_CONTACT))
      core.info.initialContact(sa);
    established(core, sa);
    // RFC 2407 §4.6.3.1: a responder may state a lower phase 1 lifetime in MM6
    for (const p of opened) {
      const s = readResponderLifetime(p, IsakmpProtocol.ISAKMP);
      if (s !== undefined) core.phase1.responderLifetime(sa, s);
    }
  }
}
