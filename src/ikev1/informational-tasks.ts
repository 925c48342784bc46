/**
 * The Informational side of the ISAKMP SAs (informational.ts has the messages): Deletes we
 * send when we tear down, INITIAL-CONTACT after a fresh Main Mode as initiator (RFC 2407
 * §4.6.3.3), what received Deletes and INITIAL-CONTACT remove, and RFC 3706 DPD in both
 * roles (answering R-U-THERE; sending it after `dpd_delay` of silence when both sides sent
 * the DPD vendor ID, declaring the peer dead after `dpd_timeout`).
 */
import { formatIdentity } from '../ike/identity.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { decodeIsakmpHeader } from '../wire/isakmp/isakmp-decode.js';
import { summarizeIsakmp } from '../wire/isakmp/isakmp-summary.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { isErrorNotify } from './error-notify.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Child, Ikev1Sa } from './ikev1-sa.js';
import {
  deleteEsp,
  deleteIsakmp,
  dpdAckMatches,
  dpdNext,
  Ikev1Notify,
  isakmpNotify,
  openInformational,
  sealInformational,
} from './informational.js';

export interface InformationalHooks {
  push(a: Ikev1Action): void;
  drop(reason: string, detail: string): void;
  sas(): readonly Ikev1Sa[];
  /** remove an ISAKMP SA and its CHILD SAs locally, with this reason in the events */
  removeSa(sa: Ikev1Sa, reason: string): void;
  removeChild(sa: Ikev1Sa, c: Ikev1Child, reason: string): void;
  /** an authenticated error notify (RFC 2408 §3.14.1) about `spi` (empty: the ISAKMP SA) */
  errorNotify(sa: Ikev1Sa, type: number, spi: Uint8Array): void;
  /** the peer's RESPONDER-LIFETIME for the ISAKMP SA (RFC 2407 §4.6.3.1), seconds */
  responderLifetime(sa: Ikev1Sa, seconds: number): void;
}

export class InformationalTasks {
  constructor(
    private readonly hooks: InformationalHooks,
    private readonly rng: Rng,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  private random32(): number {
    const b = new Uint8Array(4);
    this.rng.fill(b);
    return new DataView(b.buffer).getUint32(0);
  }

  /** One Informational with `payloads` to the peer. */
  send(sa: Ikev1Sa, payloads: IsakmpPayload[]): void {
    let mid = 0;
    while (mid === 0) mid = this.random32();
    const bytes = sealInformational(sa, mid, payloads);
    const h = decodeIsakmpHeader(bytes);
    const shown: IsakmpPayload[] = [{ kind: 'HASH', data: new Uint8Array(0) }, ...payloads];
    this.logger.log('info', 'enc', `[ike1#${sa.id}] generating ${summarizeIsakmp(h, shown, false)}`);
    this.hooks.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes });
  }

  /** Phase 1 is up: DPD state, and INITIAL-CONTACT when we have no other SA with this peer. */
  established(sa: Ikev1Sa): void {
    if (sa.peerDpd && sa.conn.dpdDelay > 0) sa.dpd = { seq: this.random32() & 0x7fffffff, lastHeard: this.clock.now() };
    const others = this.hooks.sas().some((o) => o !== sa && o.conn.name === sa.conn.name && o.state === 'established');
    if (sa.initiator && !others) this.send(sa, [isakmpNotify(sa, Ikev1Notify.INITIAL_CONTACT)]);
  }

  /** RFC 2408 §3.15: a Delete per CHILD SA (our inbound SPI), then one for the ISAKMP SA. */
  sendDeletes(sa: Ikev1Sa): void {
    if (sa.state !== 'established' || !sa.phase1LastBlock) return;
    for (const c of sa.children) this.send(sa, [deleteEsp([c.spiIn])]);
    this.send(sa, [deleteIsakmp(sa)]);
  }

  receive(sa: Ikev1Sa, msg: IsakmpMessage): void {
    const o = openInformational(sa, msg);
    if (typeof o === 'string') {
      this.hooks.drop('undecryptable', `Informational ${msg.header.messageId}: ${o}`);
      return;
    }
    this.logger.log('info', 'enc', `[ike1#${sa.id}] parsed ${summarizeIsakmp(msg.header, o.payloads, false)}`);
    const now = this.clock.now();
    sa.authIn = (sa.authIn ?? 0) + 1;
    if (sa.dpd) sa.dpd.lastHeard = now;
    for (const it of o.items) {
      switch (it.kind) {
        case 'delete-child': {
          const c = sa.children.find((x) => x.spiOut === it.spi);
          if (c) this.hooks.removeChild(sa, c, 'deleted by peer');
          break;
        }
        case 'delete-isakmp':
          this.hooks.removeSa(sa, 'deleted by peer');
          return;
        case 'initial-contact':
          this.initialContact(sa);
          break;
        case 'r-u-there':
          this.send(sa, [isakmpNotify(sa, Ikev1Notify.R_U_THERE_ACK, it.seq)]);
          break;
        case 'r-u-there-ack':
          if (sa.dpd && dpdAckMatches(sa.dpd, it.seq)) sa.dpd.pending = undefined;
          break;
        case 'responder-lifetime':
          this.hooks.responderLifetime(sa, it.seconds);
          break;
        case 'notify':
          this.logger.log('info', 'ike', `[ike1#${sa.id}] notify ${it.type} from the peer`);
          if (isErrorNotify(it.type)) this.hooks.errorNotify(sa, it.type, it.spi);
          break;
      }
    }
    if (sa.dpd?.pending && sa.dpd.lastHeard === now && o.items.every((x) => x.kind !== 'r-u-there-ack'))
      sa.dpd.pending = undefined;
  }

  /**
   * INITIAL-CONTACT on `sa` (in an Informational, or in MM5 as charon sends it): the older SAs
   * with the same peer identity are stale. RFC 3947 §6: by identity, not by address.
   */
  initialContact(sa: Ikev1Sa): void {
    const id = sa.remoteId ? formatIdentity(sa.remoteId) : undefined;
    for (const old of [...this.hooks.sas()]) {
      if (old === sa || old.conn.name !== sa.conn.name || !old.remoteId) continue;
      if (formatIdentity(old.remoteId) === id) this.hooks.removeSa(old, 'replaced (INITIAL-CONTACT)');
    }
    // CHILD SAs this SA adopted from an older one (phase1-rekey.ts) are as stale
    for (const c of [...sa.children])
      if (c.adoptedFrom !== undefined) this.hooks.removeChild(sa, c, 'replaced (INITIAL-CONTACT)');
  }

  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const sa of this.hooks.sas()) {
      if (!sa.dpd) continue;
      const n = dpdNext(sa.dpd, sa.conn.dpdDelay, sa.conn.dpdTimeout).at;
      if (t === undefined || n < t) t = n;
    }
    return t;
  }

  tick(): void {
    const now = this.clock.now();
    for (const sa of [...this.hooks.sas()]) {
      const d = sa.dpd;
      if (!d) continue;
      const n = dpdNext(d, sa.conn.dpdDelay, sa.conn.dpdTimeout);
      if (n.at > now) continue;
      if (n.what === 'dead') {
        this.logger.log('warn', 'ike', `[ike1#${sa.id}] ${sa.conn.name}: DPD: no answer, the peer is dead`);
        this.hooks.removeSa(sa, 'DPD: peer dead');
        continue;
      }
      const seq = d.seq;
      d.seq = (d.seq + 1) >>> 0;
      d.pending = d.pending ? { ...d.pending, lastAt: now } : { firstSeq: seq, firstAt: now, lastAt: now };
      this.send(sa, [isakmpNotify(sa, Ikev1Notify.R_U_THERE, seq)]);
    }
  }
}
