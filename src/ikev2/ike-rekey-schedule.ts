/**
 * When we rekey our IKE SAs (RFC 7296 §1.3.2, §2.8) and starting it: at the connection's
 * `rekey_time` less a random share of `rand_time`, or a retry delay after a failure (30 s,
 * strongSwan's) or while the IKE SA is busy (1 s). The times sit in a lazy heap, as the CHILD
 * SAs' (child-rekey.ts): entries of IKE SAs that are no longer established drop out when they
 * come up. The exchange itself is ike-rekey.ts.
 */
import { COMPACT_MIN, compactIndexed, DeadlineHeap } from '../util/deadline-heap.js';
import { REKEY_RETRY_MS } from './child-rekey.js';
import { deleteIke } from './exchange-info.js';
import { type RekeyHooks, startIkeRekey } from './ike-rekey.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';

/** An IKE SA that may (again) be established and rekeyed: not deleting, rekeyed or gone. */
const rekeyable = (sa: IkeSa): boolean => {
  const st = sa.lifecycle.state;
  return st !== 'deleting' && st !== 'rekeyed' && st !== 'destroying';
};

/** IKE SA rekey times by SA id. */
export class IkeRekeySchedule {
  private readonly heap = new DeadlineHeap();
  private readonly index = new Map<number, IkeSa>();
  private compactAt = COMPACT_MIN;

  /** rekey_time less a random share of rand_time (§2.8), or `retryMs` from now. */
  schedule(ctx: Ikev2Context, sa: IkeSa, retryMs: number): void {
    const c = sa.conn;
    if (!c || c.rekeyTime <= 0) return;
    const jitter = c.randTime > 0 ? (ctx.random32() / 0x1_0000_0000) * c.randTime : 0;
    const at = ctx.clock.now() + (retryMs > 0 ? retryMs : (c.rekeyTime - jitter) * 1000);
    this.index.set(sa.id, sa);
    this.heap.push({ at, id: sa.id });
    // Lazy deletion meets an entry only at the top: a gateway with the default rekey_time
    // (4 h) whose clients rekey every few minutes would keep every IKE SA of the last
    // rand_time alive behind a live one. SAs that can never be rekeyed again go now and then.
    if (this.heap.size >= this.compactAt) this.compactAt = compactIndexed(this.heap, this.index, rekeyable);
  }

  /** The earliest entry of an established IKE SA (left in place). */
  next(): { at: number; sa: IkeSa } | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      const sa = this.index.get(top.id);
      if (sa && sa.lifecycle.state === 'established') return { at: top.at, sa };
      this.heap.pop();
      if (!sa || sa.lifecycle.state === 'destroying' || sa.lifecycle.state === 'rekeyed') this.index.delete(top.id);
    }
    return undefined;
  }

  /** Remove and return the earliest IKE SA due at `now`, if any. */
  takeDue(now: number): IkeSa | undefined {
    const n = this.next();
    if (!n || n.at > now) return undefined;
    this.heap.pop();
    this.index.delete(n.sa.id);
    return n.sa;
  }
}

/** §1.3.2 as initiator; the old IKE SA is deleted once the new one is up. */
export function rekeyIkeSa(ctx: Ikev2Context, sa: IkeSa, schedule: IkeRekeySchedule, hooks: RekeyHooks): void {
  // Not while an exchange is in flight or queued, or a CHILD SA rekey or Delete is under way
  // (its request would wait behind ours and go out on the old IKE SA): a second later.
  if (sa.pending || sa.queue.length > 0 || sa.children.some((c) => c.rekeying === 'local' || c.deleting)) {
    schedule.schedule(ctx, sa, 1000);
    return;
  }
  sa.lifecycle.transition('rekeying', 'rekey_time', ctx.clock.now());
  startIkeRekey(ctx, sa, hooks, (outcome, reason) => {
    if (outcome === 'rekeyed') {
      sa.lifecycle.transition('deleting', 'rekeyed', ctx.clock.now());
      deleteIke(ctx, sa, 'rekeyed');
      return;
    }
    if (outcome === 'superseded') return; // §2.8.2: the peer deletes the old IKE SA
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}] IKE SA rekey failed: ${reason}`);
    if (sa.lifecycle.state === 'rekeying') sa.lifecycle.transition('established', 'rekey failed', ctx.clock.now());
    schedule.schedule(ctx, sa, REKEY_RETRY_MS);
  });
}
