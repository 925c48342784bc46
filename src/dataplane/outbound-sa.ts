/**
 * Which outbound SA serves a packet that matched an ipsec policy (RFC 4301 §5.1 step 3a):
 * the SAD's choice for the request's tunnel endpoints (or the packet's own addresses in
 * transport mode), with two data-path refinements:
 *  - a per-policy cache, valid until the next SAD/SPD change (`changed()`): a rekey adds an
 *    SA and takes over at once;
 *  - peers that moved: after a NAT mapping change moved a peer's address (seen by this
 *    thread's inbound path or reported by the other thread, `peerMoved`), a tunnel policy
 *    naming the old address finds the moved SAs at the new one.
 */
import { type SadView, type SaEntry, usableSa } from '../sad/sa-entry.js';
import type { PacketTuple } from '../sad/selector.js';
import type { IpsecRequest, Policy } from '../sad/spd.js';
import type { IpAddr } from '../util/ip-addr.js';

const MOVED_MAX = 1024;

export class OutboundSaFinder {
  /** old peer address -> new one */
  private readonly moved = new Map<string, IpAddr>();
  /** outbound SA last used per tunnel-mode policy, with the SAD generation it was found in */
  private readonly policySa = new WeakMap<Policy, { entry: SaEntry; gen: number }>();
  /** bumped on every SAD/SPD change */
  private gen = 0;

  /** Any SAD or SPD change: cached choices are checked again. */
  changed(): void {
    this.gen++;
  }

  peerMoved(old: string, to: IpAddr): void {
    if (this.moved.size >= MOVED_MAX) this.moved.clear();
    for (const [k, v] of this.moved) if (v.text === old) this.moved.set(k, to);
    this.moved.set(old, to);
    this.moved.delete(to.text);
  }

  find(sad: SadView, policy: Policy, req: IpsecRequest, tuple: PacketTuple): SaEntry | undefined {
    // Linux af_key: the reqid binds only at level unique
    const reqid = req.level === 'unique' ? req.reqid : 0;
    if (req.mode !== 'tunnel' || !req.tunnel) return sad.lookupOutbound({ src: tuple.src, dst: tuple.dst, reqid });
    const t = req.tunnel;
    const c = this.policySa.get(policy);
    let entry: SaEntry | undefined;
    if (c && c.gen === this.gen && usableSa(c.entry)) entry = c.entry;
    else entry = sad.lookupOutbound({ src: t.src, dst: t.dst, reqid });
    if (!entry && this.moved.size > 0) {
      const now = this.moved.get(t.dst.text);
      if (now) entry = sad.lookupOutbound({ src: t.src, dst: now, reqid });
    }
    if (entry && c?.entry !== entry) this.policySa.set(policy, { entry, gen: this.gen });
    else if (c && entry) c.gen = this.gen;
    return entry;
  }
}
