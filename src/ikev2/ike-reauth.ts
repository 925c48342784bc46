/**
 * Reauthentication (`reauth_time`, RFC 7296 §2.8.3), make-before-break: rekeying keeps the
 * authentication of the first IKE_AUTH for ever; reauthentication runs IKE_SA_INIT and
 * IKE_AUTH again, as a new IKE SA (no INITIAL_CONTACT: the old one still stands), asks for
 * the same virtual IPs, makes every CHILD SA of the old IKE SA on the new one, and only then
 * deletes the old IKE SA with its CHILD SAs, so traffic never waits for a tunnel.
 * The original initiator reauthenticates (it knows where the peer is); a responder does not
 * start one (a road warrior behind a NAT cannot be reached with a new IKE_SA_INIT), which is
 * also what strongSwan's documentation advises.
 */
import { COMPACT_MIN, compactIndexed, DeadlineHeap } from '../util/deadline-heap.js';
import { bytesEqual } from '../util/hex.js';
import type { IkeSa } from './ike-sa.js';

const reauthenticable = (sa: IkeSa): boolean => {
  const st = sa.lifecycle.state;
  return st !== 'deleting' && st !== 'rekeyed' && st !== 'destroying';
};

/** Reauthentication times by IKE SA (lazy heap: entries of SAs that are gone drop out). */
export class ReauthSchedule {
  private readonly heap = new DeadlineHeap();
  private readonly index = new Map<number, IkeSa>();
  private compactAt = COMPACT_MIN;

  add(sa: IkeSa, at: number): void {
    this.index.set(sa.id, sa);
    this.heap.push({ at, id: sa.id });
    // (entries of IKE SAs that can never be established again: see ike-rekey-schedule.ts)
    if (this.heap.size >= this.compactAt) this.compactAt = compactIndexed(this.heap, this.index, reauthenticable);
  }

  next(): number | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      const sa = this.index.get(top.id);
      if (sa && sa.lifecycle.state === 'established') return top.at;
      this.heap.pop();
      this.index.delete(top.id);
    }
    return undefined;
  }

  takeDue(now: number): IkeSa | undefined {
    const at = this.next();
    if (at === undefined || at > now) return undefined;
    const top = this.heap.pop();
    if (!top) return undefined;
    const sa = this.index.get(top.id);
    this.index.delete(top.id);
    return sa;
  }
}

/** What the engine offers a reauthentication. */
export interface ReauthHost {
  /** a new IKE SA of `old`'s connection to the same peer, with `firstChild` in IKE_AUTH */
  initiateFresh(
    old: IkeSa,
    firstChild: string | undefined,
    done: (fresh: IkeSa | undefined, reason: string) => void,
  ): void;
  /** one more CHILD SA on `sa` (CREATE_CHILD_SA) */
  createChild(sa: IkeSa, child: string, done: (ok: boolean, reason: string) => void): void;
  /** delete `old` (Delete exchange) now that `fresh` carries everything */
  retire(old: IkeSa, reason: string): void;
  retryLater(old: IkeSa, reason: string): void;
}

export function reauthenticate(host: ReauthHost, old: IkeSa): void {
  const names = [...new Set(old.children.map((c) => c.name))];
  host.initiateFresh(old, names[0], (fresh, reason) => {
    if (!fresh) {
      host.retryLater(old, `reauthentication failed: ${reason}`);
      return;
    }
    const rest = names.slice(1);
    let waiting = rest.length;
    const finish = (): void => {
      // The virtual IPs the new IKE SA got again stay on the TUN when the old one goes.
      old.vipsLocal = old.vipsLocal.filter((v) => !fresh.vipsLocal.some((n) => bytesEqual(n, v)));
      host.retire(old, 'reauthenticated');
    };
    if (waiting === 0) {
      finish();
      return;
    }
    for (const name of rest) {
      host.createChild(fresh, name, () => {
        // A CHILD SA that fails on the new IKE SA is not kept alive on the old one: the old
        // IKE SA goes either way, as strongSwan's reauthentication does.
        waiting--;
        if (waiting === 0) finish();
      });
    }
  });
}
