/**
 * Both ends of the link between the main thread and a sealing thread (replica-keys.ts,
 * docs/dataplane.md §10.9), without the thread: the rim (daemon/seal-worker*.ts) only moves
 * these messages with postMessage. Tests drive two Dataplanes through them in one thread.
 *
 *   main:   KeyEngine.onChange ──forChange──> ToSealer ──> worker: applyToSealer(replica, plane)
 *           sink.peerMoved ──────────────────> ToSealer ──┘
 *   worker: ReplicaKeys.take() ──> SealerEvent[] ──> main: applySealerEvents(plane)
 */
import type { Policy } from '../sad/spd.js';
import type { Dataplane } from './dataplane.js';
import type { SadChange } from './key-hooks.js';
import type { ReplicaKeys, SealerEvent, ToSealer } from './replica-keys.js';

/** The message that tells the sealing thread about a key engine change. */
export function forChange(c: SadChange, spd: { dump(): readonly Policy[] }): ToSealer {
  switch (c.kind) {
    case 'spd-changed':
      return {
        kind: 'spd',
        policies: spd
          .dump()
          .filter((p) => p.dir === 'out')
          .map((p) => ({
            selector: p.selector,
            dir: p.dir,
            action: p.action,
            requests: p.requests,
            priority: p.priority,
          })),
      };
    case 'sa-removed':
      return { kind: 'sa-removed', id: c.entry.id };
    default:
      return { kind: 'sa', change: c.kind, entry: c.entry, released: c.released };
  }
}

/**
 * The change as the main thread's Dataplane takes it: held packets are outbound, and only
 * the sealing thread seals (one writer per outbound SA's sequence number).
 */
export function forMainThread(c: SadChange): SadChange {
  return c.kind === 'spd-changed' || c.kind === 'sa-removed' || c.released.length === 0 ? c : { ...c, released: [] };
}

/** Sealing thread: apply one message to the replica, then to its Dataplane. */
export function applyToSealer(keys: ReplicaKeys, plane: Dataplane, m: ToSealer): void {
  switch (m.kind) {
    case 'sa':
      keys.sad.put(m.entry);
      plane.onSadChange({ kind: m.change, entry: m.entry, released: m.released });
      return;
    case 'sa-removed': {
      const e = keys.sad.remove(m.id);
      if (e) plane.onSadChange({ kind: 'sa-removed', entry: e });
      return;
    }
    case 'spd':
      keys.setPolicies(m.policies);
      plane.onSadChange({ kind: 'spd-changed' });
      return;
    case 'peer-moved':
      plane.peerMoved(m.old, m.to);
      return;
  }
}

/** Main thread: apply the sealing thread's events to the main Dataplane, in order. */
export function applySealerEvents(plane: Dataplane, events: readonly SealerEvent[]): void {
  for (const e of events) {
    switch (e.kind) {
      case 'acquire':
        plane.acquireFrom(e.packet);
        break;
      case 'used':
        plane.sealedElsewhere(e.id, e.bytes, e.packets);
        break;
      case 'lifetime':
        plane.lifetimeElsewhere(e.id, e.which);
        break;
    }
  }
}
