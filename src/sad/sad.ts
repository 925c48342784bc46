/**
 * Security Association Database (RFC 4301 §4.4.2) with PF_KEY v2 semantics (RFC 2367 §3),
 * sans-IO: the key engine calls getspi/update/add/delete/get/flush/dump, the data plane calls
 * lookupInbound/lookupOutbound/recordUse/updateMapping, the daemon calls tick at nextDeadline.
 * docs/sad-spd.md states every rule and where it follows or differs from Linux and KAME.
 *
 *   GETSPI ──> larval ──UPDATE (owner)──> mature ──soft limit──> dying ──hard limit──> dead (removed)
 *     │          └── larval timeout ──> dead (removed)                                   ^
 *   ADD ──────────────────────────────> mature ────────────── DELETE / FLUSH ────────────┘
 *
 * Identity: (satype, dst, NAT-T dport when UDP-encapsulated, SPI). The port is part of the
 * key so that outbound SAs to several peers behind one NAT (same public address, different
 * ports) coexist even when the peers picked the same SPI.
 *
 * The records it hands out are in sa-entry.ts, the requests it takes and their checks in
 * sad-requests.ts, GETSPI's SPI choice in spi-alloc.ts.
 */

import type { Clock } from '../util/clock.js';
import { DeadlineHeap } from '../util/deadline-heap.js';
import { PfkeyError } from '../util/errors.js';
import { bytesEqual } from '../util/hex.js';
import type { IpAddr } from '../util/ip-addr.js';
import type { Rng } from '../util/rng.js';
import { Errno } from './errno.js';
import type { Encapsulation, SaConfig } from './sa-config.js';
import {
  addrKey,
  betterOutbound,
  type Endpoint,
  type MappingChange,
  type OutboundQuery,
  type SadEvent,
  type SadView,
  type SaEntry,
  type SaType,
  usableSa,
} from './sa-entry.js';
import {
  counterReached,
  type ExpireReason,
  newCurrent,
  recordTraffic,
  type SaCurrent,
  timeDeadline,
  UNLIMITED,
  validateLifetime,
} from './sa-lifetime.js';
import {
  type AddParams,
  checkCfg,
  type GetspiParams,
  inval,
  isU32,
  type SaRef,
  type UpdateParams,
} from './sad-requests.js';
import { pickSpi } from './spi-alloc.js';

export interface SadOptions {
  readonly clock: Clock;
  /** larval SAs die this long after GETSPI (KAME net.key.larval_lifetime, Linux xfrm_acq_expires: 30 s) */
  readonly larvalTimeoutMs?: number;
}

type Impl = { -readonly [K in keyof SaEntry]: SaEntry[K] } & { current: SaCurrent; live: boolean; pairKey: string };

const NO_ENCAP: Encapsulation = Object.freeze({ type: 'none', sport: 0, dport: 0 });
const EMPTY: readonly SadEvent[] = Object.freeze([]);
const DEFAULT_MIN_SPI = 0x100;
const DEFAULT_MAX_SPI = 0x0fffffff;

function bytesOf(a: IpAddr | Uint8Array): Uint8Array {
  return a instanceof Uint8Array ? a : a.bytes;
}

function identityPort(e: { encap: Encapsulation }): number {
  return e.encap.type === 'none' ? 0 : e.encap.dport;
}

function sameAddr(a: IpAddr, b: IpAddr): boolean {
  return bytesEqual(a.bytes, b.bytes);
}

export class Sad implements SadView {
  private readonly clock: Clock;
  private readonly larvalTimeoutMs: number;
  /** every live entry, in creation order */
  private readonly all = new Map<number, Impl>();
  private readonly deadlines = new DeadlineHeap();
  private readonly bySpi = new Map<number, Impl[]>();
  /** src+dst -> entries, for outbound selection */
  private readonly byPair = new Map<string, Impl[]>();
  private nextId = 1;

  constructor(opts: SadOptions) {
    this.clock = opts.clock;
    this.larvalTimeoutMs = opts.larvalTimeoutMs ?? 30_000;
  }

  get size(): number {
    return this.all.size;
  }

  counts(): Record<'larval' | 'mature' | 'dying', number> {
    const c = { larval: 0, mature: 0, dying: 0 };
    for (const e of this.all.values()) if (e.state !== 'dead') c[e.state]++;
    return c;
  }

  /**
   * SADB_GETSPI (RFC 2367 §3.1.1): pick a random SPI in the range that no SA toward `dst`
   * uses, and create a larval SA owned by `owner`. Never 0 or 1-255 (RFC 4303 §2.1): the
   * range is clamped to start at 256. Throws EINVAL for an empty or inverted range, ENOENT
   * when every SPI in the range is taken (linux xfrm_alloc_spi).
   */
  getspi(p: GetspiParams, rng: Rng): SaEntry {
    if (p.src.family !== p.dst.family) inval('GETSPI: source and destination families differ');
    if (!isU32(p.reqid)) inval(`GETSPI: reqid ${p.reqid} is not a u32`);
    const min = p.spirange?.min ?? DEFAULT_MIN_SPI;
    const max = p.spirange?.max ?? DEFAULT_MAX_SPI;
    if (!isU32(min) || !isU32(max) || min > max) inval(`GETSPI: bad SPI range ${min}-${max}`);
    const lo = Math.max(min, 256);
    if (lo > max) inval(`GETSPI: SPI range ${min}-${max} holds only reserved values (RFC 4303 §2.1)`);
    const spi = pickSpi(p.dst, lo, max, rng, this.bySpi, this.all);
    const now = this.clock.now();
    const e: Impl = {
      id: this.nextId++,
      satype: 'esp',
      state: 'larval',
      spi,
      src: p.src,
      dst: p.dst,
      reqid: p.reqid,
      mode: p.mode,
      replayWindow: 0,
      flags: 0,
      owner: p.owner,
      seq: p.seq,
      encap: NO_ENCAP,
      cfg: undefined,
      lifetime: UNLIMITED,
      current: newCurrent(now),
      softExpired: false,
      mappedMs: undefined,
      live: true,
      pairKey: '',
    };
    this.link(e);
    return e;
  }

  /**
   * SADB_ADD (RFC 2367 §3.1.3): install a mature SA. Throws EEXIST when an SA with the same
   * identity exists (larval included), EINVAL on bad parameters.
   */
  add(p: AddParams): SaEntry {
    checkCfg(p.cfg);
    const lifetime = p.lifetime ?? UNLIMITED;
    validateLifetime(lifetime);
    const reqid = p.reqid ?? 0;
    if (!isU32(reqid)) inval(`ADD: reqid ${reqid} is not a u32`);
    const encap = p.cfg.encapsulation;
    if (this.findIdentity(p.cfg.dst, encap.type === 'none' ? 0 : encap.dport, p.cfg.spi)) {
      throw new PfkeyError(Errno.EEXIST, `SA ${p.cfg.dst.text}/${p.cfg.spi} exists`);
    }
    const e: Impl = {
      id: this.nextId++,
      satype: 'esp',
      state: 'mature',
      spi: p.cfg.spi,
      src: p.cfg.src,
      dst: p.cfg.dst,
      reqid,
      mode: p.cfg.mode,
      replayWindow: p.cfg.replayWindow,
      flags: p.flags ?? 0,
      owner: p.owner,
      seq: p.seq ?? 0,
      encap,
      cfg: p.cfg,
      lifetime,
      current: newCurrent(this.clock.now()),
      softExpired: false,
      mappedMs: undefined,
      live: true,
      pairKey: '',
    };
    this.link(e);
    return e;
  }

  /**
   * SADB_UPDATE (RFC 2367 §3.1.2).
   * - larval: only the GETSPI owner may complete it (else EINVAL, as KAME key_update's pid
   *   check); `cfg` is required and must name the same SPI, src and dst (else EINVAL). The
   *   SA becomes mature and its addtime restarts.
   * - mature/dying: like linux xfrm_state_update, only the lifetimes and the NAT-T
   *   encapsulation (same type, else EINVAL) and NAT-OA change; other cfg fields are ignored.
   * Throws ESRCH when no SA matches (linux), EINVAL when the reference is ambiguous,
   * EEXIST when new NAT-T ports collide with another SA's identity.
   */
  update(p: UpdateParams): SaEntry {
    const e = this.resolve(p, 'UPDATE');
    if (p.lifetime) validateLifetime(p.lifetime);
    if (p.reqid !== undefined && !isU32(p.reqid)) inval(`UPDATE: reqid ${p.reqid} is not a u32`);
    if (e.state === 'larval') {
      if (p.owner !== e.owner) inval(`UPDATE: SA ${e.spi} belongs to client ${e.owner}, not ${p.owner}`);
      const cfg = p.cfg;
      if (!cfg) inval('UPDATE of a larval SA needs keys');
      checkCfg(cfg);
      if (cfg.spi !== e.spi || !sameAddr(cfg.dst, e.dst) || !sameAddr(cfg.src, e.src)) {
        inval('UPDATE: SPI or addresses differ from the larval SA');
      }
      if (e.mode !== 'any' && cfg.mode !== e.mode) inval(`UPDATE: mode ${cfg.mode} differs from GETSPI's ${e.mode}`);
      this.checkMove(e, e.dst, cfg.encapsulation);
      this.unlinkPair(e);
      e.state = 'mature';
      e.cfg = cfg;
      e.src = cfg.src;
      e.dst = cfg.dst;
      e.mode = cfg.mode;
      e.encap = cfg.encapsulation;
      e.replayWindow = cfg.replayWindow;
      e.flags = p.flags ?? e.flags;
      e.reqid = p.reqid ?? e.reqid;
      e.lifetime = p.lifetime ?? UNLIMITED;
      e.current = newCurrent(this.clock.now());
      e.softExpired = false;
      this.linkPair(e);
      this.touch(e);
      return e;
    }
    if (p.cfg) {
      const enc = p.cfg.encapsulation;
      if (enc.type !== e.encap.type) inval(`UPDATE: encapsulation ${enc.type} differs from ${e.encap.type}`);
      checkCfg({ ...p.cfg, spi: e.spi });
      this.checkMove(e, e.dst, enc);
      const old = e.cfg as SaConfig;
      e.encap = enc;
      e.cfg = { ...old, encapsulation: enc, ...(p.cfg.natOa ? { natOa: p.cfg.natOa } : {}) };
    }
    if (p.lifetime) e.lifetime = p.lifetime;
    if (p.flags !== undefined) e.flags = p.flags;
    this.touch(e);
    return e;
  }

  /** SADB_DELETE. Throws ESRCH when absent (linux pfkey_delete), EINVAL when ambiguous. The entry is returned dead. */
  delete(ref: SaRef): SaEntry {
    const e = this.resolve(ref, 'DELETE');
    this.kill(e);
    return e;
  }

  /** SADB_GET. Throws ESRCH when absent, EINVAL when ambiguous. */
  get(ref: SaRef): SaEntry {
    return this.resolve(ref, 'GET');
  }

  /** SADB_FLUSH: remove every SA (of the satype, when given); returns them dead, in creation order. */
  flush(satype?: SaType): SaEntry[] {
    const out = this.dump(satype);
    for (const e of out) this.kill(e as Impl);
    return out;
  }

  /** SADB_DUMP: every SA (of the satype, when given) in creation order. */
  /** The live entry with this id (SaEntry.id), if any. */
  getById(id: number): SaEntry | undefined {
    return this.all.get(id);
  }

  dump(satype?: SaType): SaEntry[] {
    const out: SaEntry[] = [];
    for (const e of this.all.values()) if (satype === undefined || e.satype === satype) out.push(e);
    return out;
  }

  /**
   * Inbound data path (RFC 4301 §4.4.2): the mature or dying SA for (dst, SPI). Larval SAs
   * never match (they have no keys). Allocation-free.
   */
  lookupInbound(dst: IpAddr | Uint8Array, spi: number): SaEntry | undefined {
    const list = this.bySpi.get(spi);
    if (!list) return undefined;
    const b = bytesOf(dst);
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as Impl;
      if (usableSa(e) && bytesEqual(e.dst.bytes, b)) return e;
    }
    return undefined;
  }

  /**
   * Outbound data path: among mature and dying SAs from src to dst (and reqid / peer port when
   * given), prefer a mature one over a dying one, then the most recently added, then the
   * newest entry (linux xfrm_state_find: km.dying, then curlft.add_time).
   */
  lookupOutbound(q: OutboundQuery): SaEntry | undefined {
    const list = this.byPair.get(addrKey(q.src) + addrKey(q.dst));
    if (!list) return undefined;
    let best: Impl | undefined;
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as Impl;
      if (!usableSa(e)) continue;
      if (q.reqid && e.reqid !== q.reqid) continue;
      if (q.dport !== undefined && e.encap.dport !== q.dport) continue;
      if (!best || betterOutbound(e, best)) best = e;
    }
    return best;
  }

  /**
   * Count traffic on an SA and apply the counter limits: the first time the soft limit is
   * reached the SA becomes dying and a soft expire is returned; at the hard limit it becomes
   * dead, is removed and a hard expire is returned. Returns a shared empty array otherwise.
   */
  recordUse(entry: SaEntry, bytes: number | bigint, packets: number | bigint, nowMs: number): readonly SadEvent[] {
    const e = entry as Impl;
    if (!e.live || !usableSa(e)) return EMPTY;
    const firstUse = e.current.firstUseMs === undefined;
    recordTraffic(e.current, bytes, packets, nowMs);
    if (firstUse) this.touch(e);
    const hard = counterReached(e.lifetime.hard, e.current);
    if (hard) {
      this.kill(e);
      return [{ kind: 'expire', which: 'hard', reason: hard, entry: e }];
    }
    if (!e.softExpired) {
      const soft = counterReached(e.lifetime.soft, e.current);
      if (soft) return [this.softExpire(e, soft)];
    }
    return EMPTY;
  }

  /**
   * Apply time limits and the larval timeout at `nowMs`. Returns the events in creation order
   * of their SAs: soft expires (SA now dying, reported once), hard expires and larval timeouts
   * (SA dead and removed; reason 'larval' for the latter).
   */
  tick(nowMs: number): SadEvent[] {
    const out: SadEvent[] = [];
    for (const e of [...this.all.values()]) {
      if (e.state === 'larval') {
        if (nowMs >= e.current.addtimeMs + this.larvalTimeoutMs) {
          this.kill(e);
          out.push({ kind: 'expire', which: 'hard', reason: 'larval', entry: e });
        }
        continue;
      }
      const hard = timeDeadline(e.lifetime.hard, e.current);
      if (hard && nowMs >= hard.atMs) {
        this.kill(e);
        out.push({ kind: 'expire', which: 'hard', reason: hard.reason, entry: e });
        continue;
      }
      if (!e.softExpired) {
        const soft = timeDeadline(e.lifetime.soft, e.current);
        if (soft && nowMs >= soft.atMs) out.push(this.softExpire(e, soft.reason));
      }
    }
    return out;
  }

  /** When tick next has work to do (ms), or undefined when no SA has a pending time limit. */
  nextDeadline(): number | undefined {
    // Lazy deletion: a top whose SA is gone or whose deadline moved is stale.
    for (let top = this.deadlines.peek(); top; top = this.deadlines.peek()) {
      const e = this.all.get(top.id);
      if (e && this.entryDeadline(e) === top.at) return top.at;
      this.deadlines.pop();
    }
    return undefined;
  }

  /** The earliest time limit of one SA (larval timeout, hard, soft unless reported). */
  private entryDeadline(e: Impl): number | undefined {
    if (e.state === 'larval') return e.current.addtimeMs + this.larvalTimeoutMs;
    let best = timeDeadline(e.lifetime.hard, e.current)?.atMs;
    if (!e.softExpired) {
      const soft = timeDeadline(e.lifetime.soft, e.current)?.atMs;
      if (soft !== undefined && (best === undefined || soft < best)) best = soft;
    }
    return best;
  }

  /** An SA's deadline may have changed: remember the new one (the old entry goes stale). */
  private touch(e: Impl): void {
    const at = this.entryDeadline(e);
    if (at !== undefined) this.deadlines.push({ at, id: e.id });
  }

  updateMapping(entry: SaEntry, to: Endpoint, nowMs: number): MappingChange | undefined {
    const e = entry as Impl;
    if (!e.live || !usableSa(e)) inval('mapping change on a larval or dead SA');
    if (e.encap.type === 'none') inval('mapping change on an SA without UDP encapsulation');
    if (to.addr.family !== e.src.family) inval('mapping change across address families');
    if (!Number.isInteger(to.port) || to.port <= 0 || to.port > 0xffff) inval(`bad NAT-T port ${to.port}`);
    const old: Endpoint = { addr: e.src, port: e.encap.sport };
    if (sameAddr(old.addr, to.addr) && old.port === to.port) return undefined;

    const candidates: Impl[] = [];
    for (const o of this.byPair.get(addrKey(e.dst) + addrKey(old.addr)) ?? []) {
      if (o === e || !usableSa(o) || o.encap.type === 'none') continue;
      if (o.encap.dport === old.port && o.encap.sport === e.encap.dport) candidates.push(o);
    }

    this.unlinkPair(e);
    e.src = to.addr;
    e.encap = { ...e.encap, sport: to.port };
    e.cfg = { ...(e.cfg as SaConfig), src: to.addr, encapsulation: e.encap };
    e.mappedMs = nowMs;
    this.linkPair(e);

    const followers: { entry: SaEntry; old: Endpoint }[] = [];
    const conflicts: SaEntry[] = [];
    for (const o of candidates) {
      const clash = this.findIdentity(to.addr, to.port, o.spi);
      if (clash && clash !== o) {
        conflicts.push(o);
        continue;
      }
      const was: Endpoint = { addr: o.dst, port: o.encap.dport };
      this.unlinkPair(o);
      o.dst = to.addr;
      o.encap = { ...o.encap, dport: to.port };
      o.cfg = { ...(o.cfg as SaConfig), dst: to.addr, encapsulation: o.encap };
      o.mappedMs = nowMs;
      this.linkPair(o);
      followers.push({ entry: o, old: was });
    }
    return { sa: e, old, new: { addr: to.addr, port: to.port }, followers, conflicts };
  }

  /**
   * A lifetime limit the ESP engine enforced itself (SaConfig.lifetime) was reached on `entry`:
   * apply it as recordUse would. Soft: the SA becomes dying, reported once (undefined when
   * already reported). Hard: the SA becomes dead and is removed. Undefined for a larval or
   * dead SA.
   */
  expire(entry: SaEntry, which: 'soft' | 'hard', reason: ExpireReason): SadEvent | undefined {
    const e = entry as Impl;
    if (!e.live || !usableSa(e)) return undefined;
    if (which === 'hard') {
      this.kill(e);
      return { kind: 'expire', which: 'hard', reason, entry: e };
    }
    return e.softExpired ? undefined : this.softExpire(e, reason);
  }

  private softExpire(e: Impl, reason: ExpireReason): SadEvent {
    e.softExpired = true;
    e.state = 'dying';
    this.touch(e);
    return { kind: 'expire', which: 'soft', reason, entry: e };
  }

  private findIdentity(dst: IpAddr, port: number, spi: number): Impl | undefined {
    return this.bySpi.get(spi)?.find((e) => identityPort(e) === port && sameAddr(e.dst, dst));
  }

  /** EEXIST when giving `e` the destination `dst` and encapsulation `enc` would clash with another SA. */
  private checkMove(e: Impl, dst: IpAddr, enc: Encapsulation): void {
    const clash = this.findIdentity(dst, enc.type === 'none' ? 0 : enc.dport, e.spi);
    if (clash && clash !== e) throw new PfkeyError(Errno.EEXIST, `SA ${dst.text}/${e.spi} port ${enc.dport} exists`);
  }

  private resolve(ref: SaRef, op: string): Impl {
    const hits = (this.bySpi.get(ref.spi) ?? []).filter(
      (e) =>
        sameAddr(e.dst, ref.dst) &&
        (ref.src === undefined || sameAddr(e.src, ref.src)) &&
        (ref.dport === undefined || identityPort(e) === ref.dport),
    );
    if (hits.length === 0) throw new PfkeyError(Errno.ESRCH, `${op}: no SA ${ref.dst.text}/${ref.spi}`);
    if (hits.length > 1) inval(`${op}: SA ${ref.dst.text}/${ref.spi} is ambiguous; give the NAT-T destination port`);
    return hits[0] as Impl;
  }

  private link(e: Impl): void {
    this.all.set(e.id, e);
    const l = this.bySpi.get(e.spi);
    if (l) l.push(e);
    else this.bySpi.set(e.spi, [e]);
    this.linkPair(e);
    this.touch(e);
  }

  private linkPair(e: Impl): void {
    e.pairKey = addrKey(e.src) + addrKey(e.dst);
    const l = this.byPair.get(e.pairKey);
    if (l) l.push(e);
    else this.byPair.set(e.pairKey, [e]);
  }

  private unlinkPair(e: Impl): void {
    const l = this.byPair.get(e.pairKey);
    if (!l) return;
    const i = l.indexOf(e);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.byPair.delete(e.pairKey);
  }

  private kill(e: Impl): void {
    if (!e.live) return;
    e.live = false;
    e.state = 'dead';
    this.all.delete(e.id);
    const l = this.bySpi.get(e.spi);
    if (l) {
      const i = l.indexOf(e);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) this.bySpi.delete(e.spi);
    }
    this.unlinkPair(e);
  }
}
