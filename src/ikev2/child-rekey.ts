/**
 * CHILD SA rekeying (RFC 7296 §1.3.3, §2.8), make-before-break: at `rekeyAt` (rekey_time less
 * a random share of rand_time) a CREATE_CHILD_SA with REKEY_SA makes the new CHILD SA, which
 * is installed before the old one is deleted with an INFORMATIONAL exchange. A failed attempt
 * is retried after 30 s (strongSwan's retry interval); the hard lifetime stays the last word.
 * A CHILD SA the peer is rekeying is not rekeyed by us (see exchange-child.ts); when both
 * start at once, the collision is resolved by the nonces once our exchange ends (§2.8.1,
 * rekey-collision.ts).
 */
import { COMPACT_MIN, compactIndexed, DeadlineHeap } from '../util/deadline-heap.js';
import { startCreateChild } from './exchange-child.js';
import { deleteChild } from './exchange-info.js';
import type { ChildSa, IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify, notifyText } from './ikev2-numbers.js';
import { ourExchangeIsRedundant } from './rekey-collision.js';

export const REKEY_RETRY_MS = 30_000;

/** Rekey times of all CHILD SAs, lazily cleaned (entries of CHILD SAs that are gone drop out). */
export class RekeySchedule {
  private readonly heap = new DeadlineHeap();
  private readonly index = new Map<number, { sa: IkeSa; child: ChildSa }>();
  private nextId = 1;
  private compactAt = COMPACT_MIN;

  add(sa: IkeSa, child: ChildSa): void {
    if (child.rekeyAt === undefined) return;
    const id = this.nextId++;
    this.index.set(id, { sa, child });
    this.heap.push({ at: child.rekeyAt, id });
    // Entries of CHILD SAs gone from their IKE SA (rekeyed, deleted, moved by an IKE SA rekey)
    // go now and then, not only when they reach the top (see ike-rekey-schedule.ts).
    if (this.heap.size >= this.compactAt)
      this.compactAt = compactIndexed(
        this.heap,
        this.index,
        (e) => e.sa.lifecycle.state !== 'destroying' && e.sa.children.includes(e.child),
      );
  }

  /** The earliest live entry (left in place). */
  next(): { at: number; sa: IkeSa; child: ChildSa } | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      const e = this.index.get(top.id);
      const live = e && e.sa.children.includes(e.child) && e.sa.lifecycle.state !== 'destroying';
      if (live && !e.child.rekeying && e.child.rekeyAt === top.at) return { at: top.at, ...e };
      this.heap.pop();
      this.index.delete(top.id);
    }
    return undefined;
  }

  /** Remove and return the earliest entry due at `now`, if any. */
  takeDue(now: number): { sa: IkeSa; child: ChildSa } | undefined {
    const n = this.next();
    if (!n || n.at > now) return undefined;
    const top = this.heap.pop();
    if (top) this.index.delete(top.id);
    return { sa: n.sa, child: n.child };
  }
}

export function rekeyChild(ctx: Ikev2Context, sa: IkeSa, child: ChildSa, retry: (at: number) => void): void {
  const conn = sa.conn;
  const cfg = conn?.children.find((c) => c.name === child.name);
  if (!conn || !cfg) return;
  // Not while the IKE SA itself is being rekeyed or closed: try again in a second (on the new
  // IKE SA if the CHILD SA has moved there by then; a rekey started now would wait behind the
  // IKE SA rekey on the old IKE SA and be lost with it).
  if (sa.lifecycle.state !== 'established') {
    retry(ctx.clock.now() + 1000);
    return;
  }
  child.rekeying = 'local';
  startCreateChild(
    ctx,
    sa,
    conn,
    cfg,
    (ok, reason, made) => {
      // The IKE SA cannot be rekeyed under a CHILD SA exchange (§2.25.2, ike-rekey.ts).
      const s = sa;
      if (ok && made) {
        finishRekey(ctx, s, child, made);
        return;
      }
      ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}] rekeying CHILD SA ${child.name} failed: ${reason}`);
      child.rekeying = undefined;
      // The peer's rekey of it won (it made the replacement), or it no longer exists there.
      if (child.replacedBy || child.collision) return;
      if (reason.startsWith(notifyText(Notify.CHILD_SA_NOT_FOUND))) {
        // §2.25: "SHOULD silently delete the Child SA (if it still exists) and send a request
        // to create a new Child SA from scratch (if the Child SA does not yet exist)".
        if (s.children.includes(child)) deleteChild(ctx, s, child, 'not found at the peer');
        if (!s.children.some((c) => c.name === child.name && c !== child && !c.deleting))
          startCreateChild(ctx, s, conn, cfg, (okNew, why) =>
            ctx.logger.log(
              'info',
              'ike',
              `${s.name}[#${s.id}] CHILD SA ${child.name} made again: ${okNew ? 'ok' : why}`,
            ),
          );
        return;
      }
      retry(ctx.clock.now() + REKEY_RETRY_MS);
    },
    child,
  );
}

/**
 * Our rekey of `old` made `made`. Without a collision the old CHILD SA is deleted; with one
 * (§2.8.1) the exchange holding the lowest nonce made the redundant CHILD SA, which its
 * initiator closes, while the initiator of the surviving one deletes the old.
 */
function finishRekey(
  ctx: Ikev2Context,
  sa: IkeSa,
  old: ChildSa,
  made: { child: ChildSa; nonceI: Uint8Array; nonceR: Uint8Array },
): void {
  const col = old.collision;
  old.collision = undefined;
  if (col && ourExchangeIsRedundant(made, col)) {
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}] CHILD SA rekey collision: ours is redundant, closing it`);
    if (sa.children.includes(made.child)) deleteChild(ctx, sa, made.child, 'redundant rekey (RFC 7296 §2.8.1)');
    return;
  }
  if (col) {
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}] CHILD SA rekey collision: ours survives`);
    // The peer's CHILD SA is the redundant one and it closes it: its outbound SA (held back
    // while the old one lived) must not take over when the old one goes; ours already has.
    old.replacedBy = made.child;
  }
  if (sa.children.includes(old)) deleteChild(ctx, sa, old, 'rekeyed');
}

/** The CHILD SA with `spi` as its inbound or outbound SPI. */
export function findChildBySpi(sas: Iterable<IkeSa>, spi: number): { sa: IkeSa; child: ChildSa } | undefined {
  for (const sa of sas) {
    for (const child of sa.children) if (child.spiIn === spi || child.spiOut === spi) return { sa, child };
  }
  return undefined;
}
