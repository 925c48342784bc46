/**
 * The Quick Mode exchanges of all ISAKMP SAs: message IDs, IVs, GETSPI round trips,
 * retransmission and duplicate answers, and the CHILD SAs they install (quick-mode.ts holds
 * the messages themselves). RFC 2409 §5.5 has no request/response rule: the side waiting for
 * the next message resends its last one (QM1 until QM2; QM2 until QM3) on the
 * ike/retransmit.ts schedule; a duplicate of the message we last answered gets the same
 * answer again (a lost HASH(3) is recovered that way). Messages that do not decrypt or whose
 * HASH does not verify are dropped without changing anything.
 */
import { transformName } from '../config/proposal.js';
import type { ChildConfig } from '../config/swanctl/swanctl-model.js';
import { tsToString } from '../config/traffic-selector.js';
import { hash1, quickModeHash2 } from '../crypto/ikev1/ikev1-keymat.js';
import type { ChildSaPlan } from '../ike/child-sa-plan.js';
import { type RetransmitSettings, retransmitTimeout } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import { bytesEqual } from '../util/hex.js';
import type { Logger } from '../util/logger.js';
import { decodeIsakmpHeader } from '../wire/isakmp/isakmp-decode.js';
import { summarizeIsakmp } from '../wire/isakmp/isakmp-summary.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange } from '../wire/registry/isakmp.js';
import { quickModeRefusal } from './error-notify.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { exchangeIv, openProtected, sealProtected } from './phase2-message.js';
import {
  buildQm1,
  buildQm2,
  newInitiatorExchange,
  processQm1,
  processQm2,
  processQm3,
  type QmResult,
  type QuickModeDeps,
  type QuickModeExchange,
  type Sealer,
} from './quick-mode.js';

interface Tracked {
  sa: Ikev1Sa;
  ex: QuickModeExchange;
  lastSent?: Uint8Array;
  lastReceived?: Uint8Array;
  sends: number;
  retransmitAt?: number;
  /** a finished exchange is kept this long to answer a duplicate QM2 with HASH(3) */
  expiresAt?: number;
}

export interface Phase2Hooks {
  push(a: Ikev1Action): void;
  drop(reason: string, detail: string): void;
  /** an exchange finished (ok) or failed; `requestId` is the `up` request it served */
  finished(sa: Ikev1Sa, requestId: number | undefined, ok: boolean, reason: string): void;
  /** a rekey installed its new CHILD SA: the one with inbound SPI `oldSpiIn` goes */
  rekeyed(sa: Ikev1Sa, oldSpiIn: number): void;
  /** tell the peer we refused its Quick Mode (an encrypted Informational with this notify) */
  refuse(sa: Ikev1Sa, notify: IsakmpPayload): void;
}

const KEEP_DONE_MS = 30_000;
/**
 * How long the replaced pair of a rekey stays before its Delete. RFC 2409 §5.5 has no answer to
 * HASH(3): the responder installs its new SAs when HASH(3) arrives, and a Delete sent with it
 * may be handled first (charon handles them on different threads), leaving the peer without
 * an outbound SA for a moment. strongSwan (charon.delete_rekeyed = no) never deletes it.
 */
export const REKEYED_DELETE_MS = 2_000;
/**
 * The rekeying initiator's new outbound SA goes in this much after HASH(3) (ChildSaPlan
 * deferOutbound), so its packets do not reach the responder before the responder has installed
 * the new inbound SA on HASH(3); until then the old pair carries the traffic.
 */
export const REKEYED_ACTIVATE_MS = 1_000;

export class Phase2Exchanges {
  private readonly byMid = new Map<string, Tracked>();
  private readonly spiWait = new Map<number, Tracked>();
  /** replaced CHILD SAs (inbound SPI) whose Delete is due */
  private readonly retiring: { sa: Ikev1Sa; spiIn: number; at: number }[] = [];
  /** new CHILD SAs of our rekeys whose outbound SA is due */
  private readonly activating: { plan: ChildSaPlan; at: number }[] = [];
  private nextToken = 1;

  constructor(
    private readonly deps: QuickModeDeps,
    private readonly hooks: Phase2Hooks,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retransmit: RetransmitSettings,
  ) {}

  private key(sa: Ikev1Sa, mid: number): string {
    return `${sa.spiI.toString(16)}:${mid}`;
  }

  private newMid(sa: Ikev1Sa): number {
    const b = new Uint8Array(4);
    let mid = 0;
    while (mid === 0 || this.byMid.has(this.key(sa, mid))) {
      this.deps.random(b);
      mid = new DataView(b.buffer).getUint32(0);
    }
    return mid;
  }

  private getSpi(t: Tracked): void {
    const token = this.nextToken++;
    this.spiWait.set(token, t);
    const reqid = this.deps.reqidFor(t.sa, t.ex.child.name, [t.ex.remoteTs]);
    this.hooks.push({ kind: 'get-spi', token, src: t.sa.remote.address, dst: t.sa.local.address, reqid });
  }

  /** Start Quick Mode for `child` on an established ISAKMP SA. */
  initiate(sa: Ikev1Sa, child: ChildConfig, requestId?: number, replaces?: number): void {
    const mid = this.newMid(sa);
    const ex = newInitiatorExchange(sa, child, mid, exchangeIv(sa)(mid));
    if (typeof ex === 'string') {
      this.hooks.finished(sa, requestId, false, ex);
      return;
    }
    if (requestId !== undefined) ex.requestId = requestId;
    if (replaces !== undefined) {
      ex.replaces = replaces;
      // a rekey keeps the selectors the CHILD SA has (a responder's may be narrowed ones)
      const old = sa.children.find((c) => c.spiIn === replaces);
      const [l, r] = [old?.plan.localTs[0], old?.plan.remoteTs[0]];
      if (l && r) [ex.localTs, ex.remoteTs] = [l, r];
    }
    const t: Tracked = { sa, ex, sends: 0 };
    this.byMid.set(this.key(sa, mid), t);
    this.getSpi(t);
  }

  /** PF_KEY answered a GETSPI (undefined: it failed). */
  spiAllocated(token: number, spi: number | undefined): void {
    const t = this.spiWait.get(token);
    this.spiWait.delete(token);
    if (!t || t.ex.state !== 'spi-wait') return;
    if (spi === undefined) {
      this.fail(t, 'GETSPI failed');
      return;
    }
    t.ex.spiIn = spi;
    const r = t.ex.initiator
      ? buildQm1(this.deps, t.sa, t.ex, this.sealer(t))
      : buildQm2(this.deps, t.sa, t.ex, this.sealer(t));
    this.handle(t, r);
  }

  private sealer(t: Tracked): Sealer {
    return (ex, after, hashOf) => {
      const s = sealProtected(t.sa, IsakmpExchange.QUICK_MODE, ex.mid, ex.iv, after, hashOf);
      ex.iv = s.nextIv;
      return { kind: 'send', bytes: s.bytes, payloads: [{ kind: 'HASH', data: new Uint8Array(0) }, ...after] };
    };
  }

  private send(t: Tracked, bytes: Uint8Array, payloads: IsakmpPayload[], waits: boolean): void {
    const h = decodeIsakmpHeader(bytes);
    this.logger.log('info', 'enc', `[ike1#${t.sa.id}] generating ${summarizeIsakmp(h, payloads, !t.ex.initiator)}`);
    t.lastSent = bytes;
    t.sends = 1;
    const wait = retransmitTimeout(0, this.retransmit);
    t.retransmitAt = waits && wait !== undefined ? this.clock.now() + wait : undefined;
    this.hooks.push({ kind: 'send', local: t.sa.local, remote: t.sa.remote, bytes });
  }

  private handle(t: Tracked, r: QmResult): void {
    if (r.kind === 'drop') {
      this.hooks.drop('undecryptable', r.reason);
      return;
    }
    if (r.kind === 'fail') {
      this.fail(t, `${r.notify}: ${r.reason}`);
      return;
    }
    if (r.kind === 'send') {
      this.send(t, r.bytes, r.payloads, true);
      return;
    }
    if (r.send) this.send(t, r.send.bytes, r.send.payloads, false);
    t.retransmitAt = undefined;
    t.expiresAt = this.clock.now() + KEEP_DONE_MS;
    const plan = r.plan;
    // A CHILD SA the peer has replaced is not rekeyed by us too (strongSwan's
    // check_for_rekeyed_child): same child, same reqid on this ISAKMP SA
    for (const o of t.sa.children) if (o.name === plan.child && o.plan.reqid === plan.reqid) o.rekeying = true;
    t.sa.children.push({
      name: plan.child,
      plan,
      spiIn: plan.inbound.spi,
      spiOut: plan.outbound.spi,
      // swanctl --list-sas notation: AES_CBC-128/HMAC_SHA2_256_128/MODP_2048
      algorithms: [
        `${transformName('encr', plan.encr.id)}${plan.encr.keyBits ? `-${plan.encr.keyBits}` : ''}`,
        ...(plan.integ ? [transformName('integ', plan.integ)] : []),
        ...(t.ex.suite?.group ? [transformName('dh', t.ex.suite.group)] : []),
      ].join('/'),
      installedAt: this.clock.now(),
    });
    if (t.ex.initiator && t.ex.replaces !== undefined) {
      plan.deferOutbound = true;
      this.activating.push({ plan, at: this.clock.now() + REKEYED_ACTIVATE_MS });
    }
    this.hooks.push({ kind: 'install-child', plan });
    this.hooks.push({
      kind: 'event',
      event: {
        kind: 'child-up',
        conn: plan.conn,
        ikeId: plan.ikeId,
        child: plan.child,
        spiIn: plan.inbound.spi,
        spiOut: plan.outbound.spi,
        localTs: plan.localTs.map(tsToString),
        remoteTs: plan.remoteTs.map(tsToString),
      },
    });
    this.logger.log(
      'info',
      'ike',
      `[ike1#${t.sa.id}] CHILD_SA ${plan.child}{${plan.reqid}} established with SPIs ${hex(plan.inbound.spi)}_i ${hex(plan.outbound.spi)}_o${plan.encap ? ` (UDP-encapsulated, ${plan.encap.framing ?? 'rfc3948'})` : ''}`,
    );
    this.hooks.finished(t.sa, t.ex.requestId, true, 'established');
    if (t.ex.replaces !== undefined)
      this.retiring.push({ sa: t.sa, spiIn: t.ex.replaces, at: this.clock.now() + REKEYED_DELETE_MS });
  }

  private fail(t: Tracked, reason: string): void {
    this.byMid.delete(this.key(t.sa, t.ex.mid));
    this.logger.log('warn', 'ike', `[ike1#${t.sa.id}] Quick Mode ${t.ex.child.name} failed: ${reason}`);
    this.hooks.finished(t.sa, t.ex.requestId, false, reason);
  }

  /** A QUICK_MODE message for an established ISAKMP SA. */
  receive(sa: Ikev1Sa, msg: IsakmpMessage, bytes: Uint8Array): void {
    const mid = msg.header.messageId;
    if (mid === 0) {
      this.hooks.drop('unexpected', 'Quick Mode with message ID 0');
      return;
    }
    const t = this.byMid.get(this.key(sa, mid));
    if (t?.lastReceived && bytesEqual(t.lastReceived, bytes)) {
      // the peer did not get our answer: send it again (QM2 for QM1, HASH(3) for QM2)
      if (t.lastSent && (t.ex.initiator ? t.ex.state === 'done' : t.ex.state === 'qm2-sent'))
        this.hooks.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes: t.lastSent });
      return;
    }
    const iv = t ? t.ex.iv : exchangeIv(sa)(mid);
    const o = openProtected(sa, msg, iv);
    if (typeof o === 'string') {
      this.hooks.drop('undecryptable', `Quick Mode ${mid}: ${o}`);
      return;
    }
    const keys = sa.keys;
    const prfId = sa.suite?.prf ?? 0;
    if (!keys) return;
    // every caller of log() has verified the message's HASH
    const log = () => {
      sa.authIn = (sa.authIn ?? 0) + 1;
      this.logger.log(
        'info',
        'enc',
        `[ike1#${sa.id}] parsed ${summarizeIsakmp(msg.header, [{ kind: 'HASH', data: o.hash }, ...o.payloads], !!t?.ex.initiator)}`,
      );
    };
    if (!t) {
      // QM1: HASH(1) = prf(SKEYID_a, M-ID | rest)
      if (!bytesEqual(o.hash, hash1(prfId, keys.skeyidA, mid, o.rest))) {
        this.hooks.drop('undecryptable', `Quick Mode ${mid}: HASH(1) does not verify`);
        return;
      }
      log();
      const ex = processQm1(sa, mid, o.nextIv, o.payloads);
      if ('notify' in ex) {
        this.logger.log('warn', 'ike', `[ike1#${sa.id}] Quick Mode request refused: ${ex.notify}: ${ex.reason}`);
        const n = quickModeRefusal(ex.notify, o.payloads);
        if (n) this.hooks.refuse(sa, n);
        this.hooks.finished(sa, undefined, false, `${ex.notify}: ${ex.reason}`);
        return;
      }
      const nt: Tracked = { sa, ex, sends: 0, lastReceived: bytes };
      this.byMid.set(this.key(sa, mid), nt);
      this.getSpi(nt);
      return;
    }
    if (t.ex.initiator && t.ex.state === 'qm1-sent') {
      const ni = t.ex.nonceI ?? new Uint8Array(0);
      if (!bytesEqual(o.hash, quickModeHash2(prfId, keys.skeyidA, mid, ni, o.rest))) {
        this.hooks.drop('undecryptable', `Quick Mode ${mid}: HASH(2) does not verify`);
        return;
      }
      log();
      t.lastReceived = bytes;
      t.ex.iv = o.nextIv;
      this.handle(t, processQm2(this.deps, sa, t.ex, o.payloads, this.sealer(t), this.clock.now()));
      return;
    }
    if (!t.ex.initiator && t.ex.state === 'qm2-sent') {
      const r = processQm3(this.deps, sa, t.ex, o.hash, this.clock.now());
      if (r.kind !== 'drop') {
        log();
        t.lastReceived = bytes;
      }
      this.handle(t, r);
      return;
    }
    this.hooks.drop('unexpected', `Quick Mode ${mid} in ${t.ex.state}`);
  }

  /**
   * The peer refused our Quick Mode with an authenticated error notify (RFC 2408 §3.14.1): fail
   * the pending request whose inbound SPI the notify names, else every pending one (strongSwan
   * names SPI 0 when it found no proposal, and cancels its own pending Quick Mode on any such
   * notify). Returns the children that failed.
   */
  refused(sa: Ikev1Sa, name: string, spi: Uint8Array): string[] {
    const want = spi.length === 4 ? new DataView(spi.buffer, spi.byteOffset, 4).getUint32(0) : undefined;
    const pending = [...this.byMid.values()].filter(
      (t) => t.sa === sa && t.ex.initiator && (t.ex.state === 'qm1-sent' || t.ex.state === 'spi-wait'),
    );
    const named = pending.filter((t) => want !== undefined && t.ex.spiIn === want);
    for (const t of named.length > 0 ? named : pending) this.fail(t, `${name}: refused by the peer`);
    return (named.length > 0 ? named : pending).map((t) => t.ex.child.name);
  }

  /** Forget the exchanges of an ISAKMP SA that is gone. */
  forget(sa: Ikev1Sa): void {
    for (const [k, t] of this.byMid) if (t.sa === sa) this.byMid.delete(k);
    for (const [k, t] of this.spiWait) if (t.sa === sa) this.spiWait.delete(k);
  }

  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const t of this.byMid.values()) {
      for (const x of [t.retransmitAt, t.expiresAt]) if (x !== undefined && (d === undefined || x < d)) d = x;
    }
    for (const r of [...this.retiring, ...this.activating]) if (d === undefined || r.at < d) d = r.at;
    return d;
  }

  tick(): void {
    const now = this.clock.now();
    for (const a of this.activating.filter((x) => now >= x.at)) {
      this.activating.splice(this.activating.indexOf(a), 1);
      a.plan.deferOutbound = false;
      this.hooks.push({ kind: 'activate-child', plan: a.plan });
    }
    for (const r of this.retiring.filter((x) => now >= x.at)) {
      this.retiring.splice(this.retiring.indexOf(r), 1);
      this.hooks.rekeyed(r.sa, r.spiIn);
    }
    for (const [k, t] of [...this.byMid]) {
      if (t.expiresAt !== undefined && now >= t.expiresAt) {
        this.byMid.delete(k);
        continue;
      }
      if (t.retransmitAt === undefined || now < t.retransmitAt || !t.lastSent) continue;
      const wait = retransmitTimeout(t.sends, this.retransmit);
      if (wait === undefined) {
        this.fail(t, `TIMEOUT: no answer after ${t.sends} sends`);
        continue;
      }
      t.sends++;
      t.retransmitAt = now + wait;
      this.hooks.push({ kind: 'send', local: t.sa.local, remote: t.sa.remote, bytes: t.lastSent });
      this.hooks.push({
        kind: 'event',
        event: {
          kind: 'retransmit',
          conn: t.sa.conn.name,
          ikeId: t.sa.id,
          exchange: 'QUICK_MODE',
          messageId: t.ex.mid,
          attempt: t.sends - 1,
        },
      });
    }
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
