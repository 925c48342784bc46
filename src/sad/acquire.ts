/**
 * ACQUIRE state (RFC 2367 §3.1.6, RFC 4301 §5.1 step 3a): outbound traffic that matches an
 * ipsec policy for which no SA exists asks the key manager for one and waits in a small
 * per-acquire queue. Pure: it stores copies of the packets and hands them back.
 *
 *   packet, no SA ──> onNoSa ──first──> AcquireRequest (SADB_ACQUIRE, new seq)
 *                        │   within rateLimitMs: held only; after it: resent (same seq)
 *                        └── queue of queueLimit packets per acquire, oldest dropped
 *   SA installed ───> onSaAdded ──> held packets, FIFO
 *   expireMs after the first packet ──> tick ──> acquire dropped with its packets
 *
 * One acquire per (policy, SA endpoints), as Linux keeps one larval "acq" xfrm_state per
 * template (daddr, saddr, reqid, mode, proto) that expires after xfrm_acq_expires (30 s).
 */
import { bytesEqual } from '../util/hex.js';
import { type IpAddr, ipFromBytes } from '../util/ip-addr.js';
import type { Mode } from './sa-config.js';
import type { SaEntry } from './sa-entry.js';
import type { PacketTuple } from './selector.js';
import type { IpsecRequest, Policy } from './spd.js';

export interface AcquireOptions {
  /** minimum spacing of ACQUIREs for one pending acquire (default 1000 ms) */
  readonly rateLimitMs?: number;
  /** drop an unanswered acquire and its packets after this long (default 30 s, linux xfrm_acq_expires) */
  readonly expireMs?: number;
  /** packets held per acquire (default 16); the oldest is dropped on overflow */
  readonly queueLimit?: number;
  /** pending acquires at most (default 1024); beyond it new ones are refused and the packet dropped */
  readonly maxAcquires?: number;
}

/** What the key engine turns into an SADB_ACQUIRE message. */
export interface AcquireRequest {
  /** sadb_msg_seq, non-zero (linux xfrm_get_acqseq); the same on a resend */
  readonly seq: number;
  readonly policy: Policy;
  /** the ipsecrequest the SA is for (the policy's first) */
  readonly request: IpsecRequest;
  /** SA endpoints: the tunnel endpoints, or the packet's addresses in transport mode */
  readonly src: IpAddr;
  readonly dst: IpAddr;
  readonly mode: Mode;
  readonly reqid: number;
  /** the packet that triggered it (sadb_address proto/ports for the ACQUIRE) */
  readonly trigger: {
    readonly src: IpAddr;
    readonly dst: IpAddr;
    readonly proto: number;
    readonly sport: number;
    readonly dport: number;
  };
  /** false for the first ACQUIRE of this acquire, true for a rate-limited repeat */
  readonly resend: boolean;
}

export interface AcquireOutcome {
  /** an ACQUIRE to send now, if any */
  readonly acquire: AcquireRequest | undefined;
  /** the packet was queued (a copy) */
  readonly held: boolean;
}

export interface HeldPacket {
  readonly packet: Uint8Array;
  readonly policyId: number;
  readonly heldMs: number;
}

export interface AcquireExpired {
  readonly kind: 'acquire-expired';
  readonly seq: number;
  readonly policyId: number;
  /** packets dropped with it */
  readonly dropped: number;
}

export interface AcquireStats {
  acquiresSent: number;
  held: number;
  released: number;
  droppedOverflow: number;
  droppedTimeout: number;
  droppedLimit: number;
  droppedFailed: number;
}

interface Pending {
  readonly req: AcquireRequest;
  readonly key: string;
  readonly createdMs: number;
  lastSentMs: number;
  readonly queue: HeldPacket[];
}

const NOTHING: AcquireOutcome = Object.freeze({ acquire: undefined, held: false });
const U32 = 0x1_0000_0000;

export class AcquireTable {
  private readonly rateLimitMs: number;
  private readonly expireMs: number;
  private readonly queueLimit: number;
  private readonly maxAcquires: number;
  private readonly pending = new Map<string, Pending>();
  private nextSeq = 1;
  readonly stats: AcquireStats = {
    acquiresSent: 0,
    held: 0,
    released: 0,
    droppedOverflow: 0,
    droppedTimeout: 0,
    droppedLimit: 0,
    droppedFailed: 0,
  };

  constructor(opts: AcquireOptions = {}) {
    this.rateLimitMs = opts.rateLimitMs ?? 1000;
    this.expireMs = opts.expireMs ?? 30_000;
    this.queueLimit = opts.queueLimit ?? 16;
    this.maxAcquires = opts.maxAcquires ?? 1024;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * An outbound packet matched `policy` (action ipsec) and no SA was found. Returns the
   * ACQUIRE to send, if one is due, and whether the packet was held. Pass `packet` undefined
   * to trigger the ACQUIRE without holding (e.g. level 'use', where the packet goes out in
   * clear). Never throws; a non-ipsec policy yields nothing.
   */
  onNoSa(policy: Policy, tuple: PacketTuple, packet: Uint8Array | undefined, nowMs: number): AcquireOutcome {
    const request = policy.requests[0];
    if (policy.action !== 'ipsec' || !request) return NOTHING;
    const src = request.mode === 'tunnel' && request.tunnel ? request.tunnel.src : ipFromBytes(tuple.src);
    const dst = request.mode === 'tunnel' && request.tunnel ? request.tunnel.dst : ipFromBytes(tuple.dst);
    const key = `${policy.id} ${src.text} ${dst.text}`;
    let p = this.pending.get(key);
    let acquire: AcquireRequest | undefined;
    if (!p) {
      if (this.pending.size >= this.maxAcquires) {
        if (packet) this.stats.droppedLimit++;
        return NOTHING;
      }
      const req: AcquireRequest = {
        seq: this.allocSeq(),
        policy,
        request,
        src,
        dst,
        mode: request.mode,
        reqid: request.reqid,
        trigger: {
          src: ipFromBytes(tuple.src),
          dst: ipFromBytes(tuple.dst),
          proto: tuple.proto,
          sport: tuple.sport,
          dport: tuple.dport,
        },
        resend: false,
      };
      p = { req, key, createdMs: nowMs, lastSentMs: nowMs, queue: [] };
      this.pending.set(key, p);
      acquire = req;
    } else if (nowMs - p.lastSentMs >= this.rateLimitMs) {
      p.lastSentMs = nowMs;
      acquire = { ...p.req, resend: true };
    }
    if (acquire) this.stats.acquiresSent++;
    if (!packet) return { acquire, held: false };
    if (p.queue.length >= this.queueLimit) {
      p.queue.shift();
      this.stats.droppedOverflow++;
      this.stats.held--;
    }
    p.queue.push({ packet: packet.slice(), policyId: policy.id, heldMs: nowMs });
    this.stats.held++;
    return { acquire, held: true };
  }

  /**
   * A mature SA was installed: release, in arrival order, the packets of every acquire whose
   * endpoints equal the SA's src/dst and whose reqid (when non-zero) and mode agree.
   */
  onSaAdded(entry: SaEntry): HeldPacket[] {
    if (entry.state !== 'mature' && entry.state !== 'dying') return [];
    const out: HeldPacket[] = [];
    for (const p of [...this.pending.values()]) {
      const r = p.req;
      if (!bytesEqual(r.src.bytes, entry.src.bytes) || !bytesEqual(r.dst.bytes, entry.dst.bytes)) continue;
      if (r.reqid !== 0 && entry.reqid !== r.reqid) continue;
      if (entry.mode !== 'any' && entry.mode !== r.mode) continue;
      this.pending.delete(p.key);
      this.stats.held -= p.queue.length;
      this.stats.released += p.queue.length;
      out.push(...p.queue);
    }
    return out;
  }

  /**
   * The key manager answered the ACQUIRE with an error (RFC 2367 §3.1.6; linux pfkey_acquire
   * marks the acq state as error): drop the acquire and its packets. Returns how many were dropped.
   */
  fail(seq: number): number {
    for (const p of this.pending.values()) {
      if (p.req.seq !== seq) continue;
      this.pending.delete(p.key);
      this.stats.held -= p.queue.length;
      this.stats.droppedFailed += p.queue.length;
      return p.queue.length;
    }
    return 0;
  }

  /** Drop acquires older than expireMs with their packets. */
  tick(nowMs: number): AcquireExpired[] {
    const out: AcquireExpired[] = [];
    for (const p of [...this.pending.values()]) {
      if (nowMs < p.createdMs + this.expireMs) continue;
      this.pending.delete(p.key);
      this.stats.held -= p.queue.length;
      this.stats.droppedTimeout += p.queue.length;
      out.push({ kind: 'acquire-expired', seq: p.req.seq, policyId: p.req.policy.id, dropped: p.queue.length });
    }
    return out;
  }

  nextDeadline(): number | undefined {
    let best: number | undefined;
    for (const p of this.pending.values()) {
      const t = p.createdMs + this.expireMs;
      if (best === undefined || t < best) best = t;
    }
    return best;
  }

  private allocSeq(): number {
    const s = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) % U32 || 1;
    return s;
  }
}
