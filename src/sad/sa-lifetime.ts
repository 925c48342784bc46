/**
 * SA lifetimes (RFC 2367 §2.3.3, sadb_lifetime): the limits the key engine installs and the
 * pure rules that decide when they are reached. The SAD owns the timer; this file owns the
 * policy (STYLE.md §3.7: timer policy in one file per layer).
 *
 *   hard/soft limit   compared against              reached when
 *   allocations       current.packets (as Linux)    packets >= limit
 *   bytes             current.bytes                 bytes >= limit
 *   addtime (s)       since the SA became mature    now >= addtimeMs + addtime * 1000
 *   usetime (s)       since its first use           now >= firstUseMs + usetime * 1000
 *
 * A limit of 0 means "no limit" (linux af_key _KEY2X: 0 <-> XFRM_INF).
 */
import { PfkeyError } from '../util/errors.js';
import { Errno } from './errno.js';
import type { Lifetime } from './sa-config.js';

export interface LifetimeLimits {
  /** u32; Linux af_key maps sadb_lifetime_allocations to the packet limit (curlft.packets) */
  readonly allocations: number;
  readonly bytes: bigint;
  /** seconds after the SA became mature */
  readonly addtime: number;
  /** seconds after the SA's first use */
  readonly usetime: number;
}

export interface SaLifetime {
  readonly hard: LifetimeLimits;
  readonly soft: LifetimeLimits;
}

/** sadb_lifetime CURRENT, kept in milliseconds internally (the key engine converts to seconds). */
export interface SaCurrent {
  /** reported as sadb_lifetime_allocations: the packet count clamped to u32, as Linux does */
  allocations: number;
  bytes: bigint;
  packets: bigint;
  /** when the SA was created (larval) or became mature (UPDATE/ADD) */
  addtimeMs: number;
  firstUseMs: number | undefined;
}

export type ExpireReason = 'allocations' | 'bytes' | 'addtime' | 'usetime' | 'larval';

export const NO_LIMITS: LifetimeLimits = Object.freeze({ allocations: 0, bytes: 0n, addtime: 0, usetime: 0 });
export const UNLIMITED: SaLifetime = Object.freeze({ hard: NO_LIMITS, soft: NO_LIMITS });

const U32 = 0x1_0000_0000;
const U64 = 1n << 64n;

function checkLimits(l: LifetimeLimits, path: string): void {
  const u32 = (v: number) => Number.isInteger(v) && v >= 0 && v < U32;
  if (!u32(l.allocations)) throw new PfkeyError(Errno.EINVAL, `${path}.allocations ${l.allocations} is not a u32`);
  if (l.bytes < 0n || l.bytes >= U64) throw new PfkeyError(Errno.EINVAL, `${path}.bytes is not a u64`);
  // u64 seconds on the wire; we keep them as numbers, so cap at 2^53 ms
  const secs = (v: number) => Number.isSafeInteger(v) && v >= 0 && v * 1000 <= Number.MAX_SAFE_INTEGER;
  if (!secs(l.addtime)) throw new PfkeyError(Errno.EINVAL, `${path}.addtime ${l.addtime} out of range`);
  if (!secs(l.usetime)) throw new PfkeyError(Errno.EINVAL, `${path}.usetime ${l.usetime} out of range`);
}

/** Throws PfkeyError EINVAL when a limit is out of its wire range. Soft above hard is accepted (Linux does not check). */
export function validateLifetime(l: SaLifetime): void {
  checkLimits(l.hard, 'lifetime.hard');
  checkLimits(l.soft, 'lifetime.soft');
}

export function newCurrent(nowMs: number): SaCurrent {
  return { allocations: 0, bytes: 0n, packets: 0n, addtimeMs: nowMs, firstUseMs: undefined };
}

/** The counter limit (allocations or bytes) that `cur` has reached, if any. */
export function counterReached(l: LifetimeLimits, cur: SaCurrent): ExpireReason | undefined {
  if (l.bytes !== 0n && cur.bytes >= l.bytes) return 'bytes';
  if (l.allocations !== 0 && cur.packets >= BigInt(l.allocations)) return 'allocations';
  return undefined;
}

/** The earliest time limit, in ms, with its reason; undefined when no time limit applies yet. */
export function timeDeadline(l: LifetimeLimits, cur: SaCurrent): { atMs: number; reason: ExpireReason } | undefined {
  let best: { atMs: number; reason: ExpireReason } | undefined;
  if (l.addtime !== 0) best = { atMs: cur.addtimeMs + l.addtime * 1000, reason: 'addtime' };
  if (l.usetime !== 0 && cur.firstUseMs !== undefined) {
    const at = cur.firstUseMs + l.usetime * 1000;
    if (!best || at < best.atMs) best = { atMs: at, reason: 'usetime' };
  }
  return best;
}

/** Count one batch of traffic; the first use starts the usetime clock (RFC 2367 §2.3.3). */
export function recordTraffic(cur: SaCurrent, bytes: number | bigint, packets: number | bigint, nowMs: number): void {
  cur.bytes += BigInt(bytes);
  cur.packets += BigInt(packets);
  cur.allocations = cur.packets >= BigInt(U32 - 1) ? U32 - 1 : Number(cur.packets);
  if (cur.firstUseMs === undefined) cur.firstUseMs = nowMs;
}

/**
 * The byte and packet limits for the ESP engine's data-path check (SaConfig.lifetime):
 * bytes map to bytes, allocations to packets (as Linux af_key does). Time limits stay here.
 */
export function espLifetime(l: SaLifetime): Lifetime {
  const opt = (v: bigint) => (v === 0n ? undefined : v);
  const out: { -readonly [K in keyof Lifetime]: Lifetime[K] } = {};
  const sb = opt(l.soft.bytes);
  const hb = opt(l.hard.bytes);
  const sp = opt(BigInt(l.soft.allocations));
  const hp = opt(BigInt(l.hard.allocations));
  if (sb !== undefined) out.softBytes = sb;
  if (hb !== undefined) out.hardBytes = hb;
  if (sp !== undefined) out.softPackets = sp;
  if (hp !== undefined) out.hardPackets = hp;
  return out;
}
