/**
 * A read-only copy of the SAD for a data-plane worker thread (docs/dataplane.md §10.9): the
 * entries arrive as structured clones of the key engine's SaEntry objects (one message per
 * SadChange) and are looked up with the same rules as the Sad's own data-path lookups
 * (sad.ts lookupInbound/lookupOutbound; the preference is sa-entry.ts betterOutbound). The
 * replica never decides anything: lifetimes, expiry and NAT mapping moves happen in the key
 * engine's Sad and reach it as new copies.
 */
import { bytesEqual } from '../util/hex.js';
import type { IpAddr } from '../util/ip-addr.js';
import { addrKey, betterOutbound, type OutboundQuery, type SadView, type SaEntry, usableSa } from './sa-entry.js';

export class SadReplica implements SadView {
  /** by SaEntry.id, in the order the entries were first seen (the Sad's creation order) */
  private readonly all = new Map<number, SaEntry>();
  private readonly bySpi = new Map<number, SaEntry[]>();
  private readonly byPair = new Map<string, SaEntry[]>();

  get size(): number {
    return this.all.size;
  }

  /** Add an entry, or replace the one with its id (an update may move it to another pair). */
  put(e: SaEntry): void {
    const old = this.all.get(e.id);
    if (old) this.unlink(old);
    this.all.set(e.id, e); // Map.set on an existing key keeps its position: dump order holds
    push(this.bySpi, e.spi, e);
    push(this.byPair, addrKey(e.src) + addrKey(e.dst), e);
  }

  remove(id: number): SaEntry | undefined {
    const old = this.all.get(id);
    if (!old) return undefined;
    this.unlink(old);
    this.all.delete(id);
    return old;
  }

  getById(id: number): SaEntry | undefined {
    return this.all.get(id);
  }

  dump(): SaEntry[] {
    return [...this.all.values()];
  }

  lookupInbound(dst: IpAddr | Uint8Array, spi: number): SaEntry | undefined {
    const list = this.bySpi.get(spi);
    if (!list) return undefined;
    const b = dst instanceof Uint8Array ? dst : dst.bytes;
    for (const e of list) if (usableSa(e) && bytesEqual(e.dst.bytes, b)) return e;
    return undefined;
  }

  lookupOutbound(q: OutboundQuery): SaEntry | undefined {
    const list = this.byPair.get(addrKey(q.src) + addrKey(q.dst));
    if (!list) return undefined;
    let best: SaEntry | undefined;
    for (const e of list) {
      if (!usableSa(e)) continue;
      if (q.reqid && e.reqid !== q.reqid) continue;
      if (q.dport !== undefined && e.encap.dport !== q.dport) continue;
      if (!best || betterOutbound(e, best)) best = e;
    }
    return best;
  }

  private unlink(e: SaEntry): void {
    pull(this.bySpi, e.spi, e);
    pull(this.byPair, addrKey(e.src) + addrKey(e.dst), e);
  }
}

function push<K>(m: Map<K, SaEntry[]>, k: K, e: SaEntry): void {
  const l = m.get(k);
  if (l) l.push(e);
  else m.set(k, [e]);
}

function pull<K>(m: Map<K, SaEntry[]>, k: K, e: SaEntry): void {
  const l = m.get(k);
  if (!l) return;
  const i = l.indexOf(e);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) m.delete(k);
}
