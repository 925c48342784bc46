/**
 * ISAKMP SA lifetimes and rekeying. RFC 2409 has no rekey exchange for phase 1: a new Main
 * Mode replaces the ISAKMP SA, the CHILD SAs (phase 2 SAs, independent of it, §4) move to the
 * new one, and the old one is deleted (RFC 2408 §3.15). strongSwan does the same for IKEv1
 * (task_manager_v1.c queue_ike_reauth; adopt_children_job.c on the responder):
 *
 *   initiator, at rekey_time (less a random share of rand_time), or at 90 % of the negotiated
 *   lifetime when that is not later:   new Main Mode --> ... <-- MM6
 *   both roles, when the new SA is established: the CHILD SAs of the older SA with the same
 *   peer (same connection, endpoints and peer identity) move to it; the old SA is retired
 *   RETIRE_GRACE_MS later (a Delete for it, then removal without its former CHILD SAs)
 *   at the negotiated lifetime: the SA is deleted (with whatever CHILD SAs are still on it)
 *
 * Lifetimes: the initiator proposes (reauth_time or rekey_time) + over_time (strongSwan's
 * main_mode.c); the responder keeps the lower of the proposal and its own and, when its own is
 * lower, says so with RESPONDER-LIFETIME (RFC 2407 §4.6.3.1), which the initiator honours.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { WireError } from '../util/errors.js';
import { Reader } from '../util/reader.js';
import type { Rng } from '../util/rng.js';
import { Writer } from '../util/writer.js';
import {
  attributeNumber,
  decodeDataAttributes,
  encodeDataAttribute,
  numberAttribute,
  tvAttribute,
} from '../wire/isakmp/data-attribute.js';
import type { IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IkeAttr, IPSEC_DOI, IpsecAttr, IsakmpProtocol, LifeType } from '../wire/registry/isakmp.js';
import type { Ikev1Sa, Phase1Life } from './ikev1-sa.js';

/** RFC 2407 §4.6.3: the RESPONDER-LIFETIME status notify. */
export const RESPONDER_LIFETIME = 24576;
/** How long a replaced ISAKMP SA stays before its Delete (strongSwan's adopt_children_job: 10 s). */
export const RETIRE_GRACE_MS = 10_000;
/** Share of the negotiated lifetime after which the initiator rekeys at the latest. */
const REKEY_SHARE = 0.9;

/** The phase 1 lifetime we propose or accept: (reauth_time or rekey_time) + over_time, seconds. */
export function configuredPhase1Lifetime(conn: ConnectionConfig): number {
  return (conn.reauthTime > 0 ? conn.reauthTime : conn.rekeyTime) + conn.overTime;
}

/**
 * The lifetime schedule of an ISAKMP SA just established at `now`. `jitter01` in [0, 1) picks
 * the share of rand_time taken off the rekey time (as IKEv2's). Only the SA's initiator
 * rekeys (strongSwan's responder reauthenticates only without XAUTH and virtual IPs; esprit's
 * responder waits for the peer and tells it its limit with RESPONDER-LIFETIME).
 */
export function phase1Schedule(sa: Ikev1Sa, now: number, jitter01: number): Phase1Life {
  // the chosen transform's lifetime (the responder echoes the initiator's), never beyond ours
  const offered = sa.suite?.lifetimeSeconds ?? configuredPhase1Lifetime(sa.conn);
  const seconds = Math.min(offered, configuredPhase1Lifetime(sa.conn));
  return { seconds, establishedAt: now, expiresAt: now + seconds * 1000, ...rekeyPoint(sa, seconds, now, jitter01) };
}

function rekeyPoint(sa: Ikev1Sa, seconds: number, now: number, jitter01: number): { rekeyAt?: number } {
  const c = sa.conn;
  const cfg = c.reauthTime > 0 && (c.rekeyTime <= 0 || c.reauthTime < c.rekeyTime) ? c.reauthTime : c.rekeyTime;
  // The replacement is a phase 1 of the same mode (the engine's replace: Main Mode, or
  // Aggressive Mode + XAUTH + Mode Config for an Aggressive Mode client).
  if (!sa.initiator || cfg <= 0) return {};
  const jitter = c.randTime > 0 ? jitter01 * Math.min(c.randTime, cfg / 2) : 0;
  const at = cfg - jitter < seconds ? cfg - jitter : seconds * REKEY_SHARE;
  return { rekeyAt: now + at * 1000 };
}

/** RFC 2407 §4.6.3.1: a lower lifetime from the responder shortens the SA (never lengthens it). */
export function honourResponderLifetime(sa: Ikev1Sa, seconds: number, jitter01: number): boolean {
  const l = sa.life;
  if (!l || seconds <= 0 || seconds >= l.seconds) return false;
  l.seconds = seconds;
  l.expiresAt = l.establishedAt + seconds * 1000;
  const r = rekeyPoint(sa, seconds, l.establishedAt, jitter01);
  if (r.rekeyAt !== undefined) l.rekeyAt = r.rekeyAt;
  else delete l.rekeyAt;
  return true;
}

/**
 * RFC 2407 §4.6.3.1 RESPONDER-LIFETIME: Protocol ID of the SA, SPI = the two cookies (ISAKMP)
 * or the sender's inbound SPI (ESP), data = an attribute list with the lifetime in seconds
 * (phase 1: Life Type 11 / Life Duration 12, RFC 2409 App. A; phase 2: SA Life Type 1 /
 * SA Life Duration 2, RFC 2407 §4.5).
 */
export function responderLifetimeNotify(protocolId: number, spi: Uint8Array, seconds: number): IsakmpPayload {
  const p1 = protocolId === IsakmpProtocol.ISAKMP;
  const w = new Writer(16);
  encodeDataAttribute(w, tvAttribute(p1 ? IkeAttr.LIFE_TYPE : IpsecAttr.SA_LIFE_TYPE, LifeType.SECONDS));
  encodeDataAttribute(w, numberAttribute(p1 ? IkeAttr.LIFE_DURATION : IpsecAttr.SA_LIFE_DURATION, seconds));
  return { kind: 'N', doi: IPSEC_DOI, protocolId, spi, notifyType: RESPONDER_LIFETIME, data: w.finish() };
}

/**
 * The seconds a RESPONDER-LIFETIME notify states, or undefined when it is not one, names
 * another protocol, or its attribute list is malformed or states no seconds (kilobyte limits
 * are not kept by esprit's IKE SAs and are ignored).
 */
export function readResponderLifetime(p: IsakmpPayload, protocolId: number): number | undefined {
  if (p.kind !== 'N' || p.notifyType !== RESPONDER_LIFETIME || p.protocolId !== protocolId) return undefined;
  const p1 = protocolId === IsakmpProtocol.ISAKMP;
  const typeAttr = p1 ? IkeAttr.LIFE_TYPE : IpsecAttr.SA_LIFE_TYPE;
  const durAttr = p1 ? IkeAttr.LIFE_DURATION : IpsecAttr.SA_LIFE_DURATION;
  try {
    const as = decodeDataAttributes(new Reader(p.data, 'RESPONDER-LIFETIME'));
    // Life Type, then its Life Duration (RFC 2409 App. A, RFC 2407 §4.5)
    for (let i = 0; i + 1 < as.length; i++) {
      const t = as[i];
      const d = as[i + 1];
      if (t?.type === typeAttr && d?.type === durAttr && attributeNumber(t) === LifeType.SECONDS) {
        const s = attributeNumber(d);
        if (s !== undefined && s > 0) return s;
      }
    }
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
  }
  return undefined;
}

/**
 * The established SAs `fresh` replaces: the same connection, the same endpoints and the same
 * peer identity (strongSwan's adopt_children_job compares hosts, identities and config).
 */
export function replacedBy(fresh: Ikev1Sa, sas: Iterable<Ikev1Sa>): Ikev1Sa[] {
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
  const out: Ikev1Sa[] = [];
  for (const o of sas) {
    if (o === fresh || o.state !== 'established' || o.life?.retireAt !== undefined) continue;
    if (o.conn.name !== fresh.conn.name || !o.remoteId || !fresh.remoteId) continue;
    if (o.remoteId.type !== fresh.remoteId.type || !same(o.remoteId.data, fresh.remoteId.data)) continue;
    if (!same(o.remote.address, fresh.remote.address) || o.remote.port !== fresh.remote.port) continue;
    if (!same(o.local.address, fresh.local.address)) continue;
    out.push(o);
  }
  return out;
}

/** Move the CHILD SAs, virtual IPs and pool leases of `old` to `fresh`; `old` retires at `retireAt`. */
export function adopt(fresh: Ikev1Sa, old: Ikev1Sa, retireAt: number): number {
  const n = old.children.length;
  for (const c of old.children) c.adoptedFrom = old.id;
  fresh.children.push(...old.children);
  old.children = [];
  fresh.vipsRemote.push(...old.vipsRemote);
  old.vipsRemote = [];
  if (old.leases?.length) fresh.leases = [...(fresh.leases ?? []), ...old.leases];
  old.leases = [];
  // RFC 3706: no DPD on an SA that is going; the new one has its own
  old.dpd = undefined;
  if (old.life) {
    old.life.successor = fresh;
    old.life.retireAt = retireAt;
    delete old.life.rekeyAt;
  }
  return n;
}

/** What the phase 1 rekeying needs from the engine. */
export interface Phase1RekeyHooks {
  sas(): Iterable<Ikev1Sa>;
  /** start a new phase 1 of `old`'s mode as initiator to replace it (same connection and endpoints) */
  startReplacement(old: Ikev1Sa): void;
  /** send Deletes for the ISAKMP SA and its CHILD SAs, then remove it locally */
  deleteSa(sa: Ikev1Sa, reason: string): void;
  /** one Informational to the peer */
  sendInfo(sa: Ikev1Sa, payloads: IsakmpPayload[]): void;
  log(level: 'info' | 'warn', msg: string): void;
  /** for the rekey jitter */
  rng: Rng;
}

/** A failed replacement Main Mode is tried again this much later (before the old SA expires). */
const RETRY_MS = 30_000;

/** The timers of every ISAKMP SA's lifetime: rekey, retire after a rekey, expire. */
export class Phase1Rekeys {
  /** RESPONDER-LIFETIME that came before the SA's schedule (a client replacement's, after XAUTH) */
  private readonly early = new WeakMap<Ikev1Sa, number>();

  constructor(private readonly hooks: Phase1RekeyHooks) {}

  /** A random number in [0, 1): the share of rand_time taken off the rekey time. */
  private random01(): number {
    const b = new Uint8Array(4);
    this.hooks.rng.fill(b);
    return new DataView(b.buffer).getUint32(0) / 0x1_0000_0000;
  }

  /**
   * `sa` is established: schedule its lifetime, tell the initiator our lower limit
   * (RFC 2407 §4.6.3.1), and take over the CHILD SAs of the SAs it replaces.
   */
  established(sa: Ikev1Sa, now: number): void {
    sa.life = phase1Schedule(sa, now, this.random01());
    const early = this.early.get(sa);
    if (early !== undefined) {
      this.early.delete(sa);
      this.responderLifetime(sa, early);
    }
    const offered = sa.suite?.lifetimeSeconds;
    if (!sa.initiator && offered !== undefined && sa.life.seconds < offered) {
      const spi = new Uint8Array(16);
      new DataView(spi.buffer).setBigUint64(0, sa.spiI);
      new DataView(spi.buffer).setBigUint64(8, sa.spiR);
      this.hooks.sendInfo(sa, [responderLifetimeNotify(IsakmpProtocol.ISAKMP, spi, sa.life.seconds)]);
    }
    const old = replacedBy(sa, this.hooks.sas());
    if (sa.replaces && sa.replaces.state === 'established' && !old.includes(sa.replaces)) old.push(sa.replaces);
    sa.replaces = undefined;
    for (const o of old) {
      const n = adopt(sa, o, now + RETIRE_GRACE_MS);
      this.hooks.log('info', `[ike1#${sa.id}] replaces ISAKMP SA #${o.id} (phase 1 rekey), adopting ${n} CHILD SAs`);
    }
  }

  /** The peer's RESPONDER-LIFETIME for the ISAKMP SA (in MM6 or an Informational). */
  responderLifetime(sa: Ikev1Sa, seconds: number): void {
    if (!sa.initiator) return;
    // a client's replacement is scheduled only once configured (sa-lifecycle.ts): keep it
    if (!sa.life) {
      this.early.set(sa, seconds);
      return;
    }
    if (honourResponderLifetime(sa, seconds, this.random01()))
      this.hooks.log('info', `[ike1#${sa.id}] the responder's lifetime of ${seconds}s applies (RESPONDER-LIFETIME)`);
  }

  /** A replacement phase 1 (or its XAUTH / Mode Config) failed: the old SA tries again later (until it expires). */
  replacementFailed(fresh: Ikev1Sa, now: number): void {
    const old = fresh.replaces;
    fresh.replaces = undefined;
    if (!old?.life || old.life.successor !== fresh) return;
    delete old.life.successor;
    if (now + RETRY_MS < old.life.expiresAt) old.life.rekeyAt = now + RETRY_MS;
  }

  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const sa of this.hooks.sas()) {
      const l = sa.life;
      if (!l) continue;
      for (const x of [l.successor ? undefined : l.rekeyAt, l.retireAt, l.expiresAt])
        if (x !== undefined && (t === undefined || x < t)) t = x;
    }
    return t;
  }

  tick(now: number): void {
    for (const sa of [...this.hooks.sas()]) {
      const l = sa.life;
      if (!l || sa.state !== 'established') continue;
      if (l.retireAt !== undefined && now >= l.retireAt) {
        // CHILD SAs a Quick Mode finished on the old SA meanwhile go to its successor too
        const s = l.successor;
        if (s && s.state === 'established' && sa.children.length > 0) adopt(s, sa, l.retireAt);
        this.hooks.deleteSa(sa, 'replaced by a new ISAKMP SA');
      } else if (now >= l.expiresAt) {
        this.hooks.log('info', `[ike1#${sa.id}] ISAKMP SA lifetime of ${l.seconds}s expired`);
        this.hooks.deleteSa(sa, 'expired');
      } else if (l.rekeyAt !== undefined && !l.successor && now >= l.rekeyAt) {
        delete l.rekeyAt;
        const mode = sa.aggressive ? 'Aggressive Mode' : 'Main Mode';
        this.hooks.log('info', `[ike1#${sa.id}] rekeying ISAKMP SA ${sa.conn.name}: a new ${mode}`);
        this.hooks.startReplacement(sa);
      }
    }
  }
}
