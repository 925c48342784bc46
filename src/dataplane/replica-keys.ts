/**
 * The key hooks of a sealing thread (docs/dataplane.md §10.9): with `--dataplane-threads 2`
 * a worker reads the TUN, seals and sends, while the main thread keeps the key engine, the
 * inbound path, IKE and the timers. The worker's Dataplane reads a copy of the SAD
 * (SadReplica) and of the outbound SPD, kept current by ToSealer messages in the order the
 * key engine made its changes; whatever would change the key engine's state (ACQUIRE,
 * lifetime accounting, the ESP engine's lifetime events) becomes a SealerEvent that the
 * main thread applies to its own Dataplane (sealer-link.ts), in order.
 *
 * Each outbound SA is sealed by this thread only, so its sequence number (the AES-GCM IV,
 * RFC 4106 §3.1) has one writer; inbound SAs and their replay windows stay in the main thread.
 */
import type { SaEntry } from '../sad/sa-entry.js';
import { SadReplica } from '../sad/sad-replica.js';
import type { PacketTuple } from '../sad/selector.js';
import { type Policy, type PolicySpec, Spd } from '../sad/spd.js';
import type { IpAddr } from '../util/ip-addr.js';
import type { DataplaneKeyHooks, Delivery } from './key-hooks.js';

/** Main thread -> sealing thread, in the order of the key engine's changes. */
export type ToSealer =
  | {
      readonly kind: 'sa';
      readonly change: 'sa-added' | 'sa-updated';
      readonly entry: SaEntry;
      /** packets the acquire table held for this SA (RFC 4301 §5.1 step 3a): sealed here */
      readonly released: readonly Uint8Array[];
    }
  | { readonly kind: 'sa-removed'; readonly id: number }
  /** the outbound policies, in evaluation order (Spd.dump) */
  | { readonly kind: 'spd'; readonly policies: readonly PolicySpec[] }
  /** a NAT rebinding seen by the inbound path (Dataplane.peerMoved) */
  | { readonly kind: 'peer-moved'; readonly old: string; readonly to: IpAddr };

/** Sealing thread -> main thread, in the order they happened. */
export type SealerEvent =
  /** no SA for an ipsec policy: the packet, for the key engine's ACQUIRE and acquire table */
  | { readonly kind: 'acquire'; readonly packet: Uint8Array }
  /** one batch's traffic on SA `id` (SAD byte/packet lifetimes, RFC 2367 §2.3.3) */
  | { readonly kind: 'used'; readonly id: number; readonly bytes: number; readonly packets: number }
  | { readonly kind: 'lifetime'; readonly id: number; readonly which: 'soft' | 'hard' };

/** Packets without an SA forwarded per batch at most; more are dropped here ('no-sa'). */
export const MAX_ACQUIRE_PACKETS = 64;

const NONE: readonly Delivery[] = Object.freeze([]);

export class ReplicaKeys implements DataplaneKeyHooks {
  readonly sad = new SadReplica();
  private policies = new Spd();
  private events: SealerEvent[] = [];
  private acquires = 0;
  /** traffic per SA id since it was last taken: summed over batches, sent less often (`urgent`) */
  private readonly used = new Map<number, { bytes: number; packets: number }>();

  get spd(): Spd {
    return this.policies;
  }

  /** Replace the policy copy (outbound policies only: the sealing thread looks up 'out'). */
  setPolicies(specs: readonly PolicySpec[]): void {
    const spd = new Spd();
    for (const p of specs) if (p.dir === 'out') spd.add(p);
    this.policies = spd;
  }

  /**
   * The events since the last call, the traffic summed since then last. The worker takes
   * them at the end of an I/O batch when `urgent`, else within a short while (traffic only:
   * the SAD's byte and packet lifetimes may see it that much later; the ESP engine's own
   * limits are checked per packet here and report at once).
   */
  take(): SealerEvent[] {
    const e = this.events;
    this.events = [];
    this.acquires = 0;
    this.moveUsed(e);
    return e;
  }

  /** An ACQUIRE or a lifetime event waits: take() at the end of this batch. */
  get urgent(): boolean {
    return this.events.length > 0;
  }

  /** Anything to take, traffic included. */
  get pending(): boolean {
    return this.events.length > 0 || this.used.size > 0;
  }

  private moveUsed(into: SealerEvent[]): void {
    for (const [id, u] of this.used) into.push({ kind: 'used', id, bytes: u.bytes, packets: u.packets });
    this.used.clear();
  }

  onOutboundNoSa(
    _policy: Policy,
    _tuple: PacketTuple,
    packet: Uint8Array,
  ): { readonly deliveries: readonly Delivery[]; readonly held: boolean; readonly forwarded?: boolean } {
    if (this.acquires >= MAX_ACQUIRE_PACKETS) return { deliveries: NONE, held: false };
    this.acquires++;
    this.events.push({ kind: 'acquire', packet: packet.slice() });
    return { deliveries: NONE, held: false, forwarded: true };
  }

  onSaUsed(entry: SaEntry, bytes: number, packets: number): readonly Delivery[] {
    const u = this.used.get(entry.id);
    if (u) {
      u.bytes += bytes;
      u.packets += packets;
    } else this.used.set(entry.id, { bytes, packets });
    return NONE;
  }

  /** Inbound only: never called in the sealing thread. */
  onNatMapping(): readonly Delivery[] {
    return NONE;
  }

  onLifetimeEvent(entry: SaEntry, which: 'soft' | 'hard'): readonly Delivery[] {
    // the traffic before it first: the key engine sees the SA's packets in order
    this.moveUsed(this.events);
    this.events.push({ kind: 'lifetime', id: entry.id, which });
    return NONE;
  }
}
