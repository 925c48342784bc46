/**
 * ReplicaKeys (replica-keys.ts): what a sealing thread reports to the key engine's thread
 * and when (docs/dataplane.md §10.9).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SaEntry } from '../sad/sa-entry.js';
import { MAX_ACQUIRE_PACKETS, ReplicaKeys } from './replica-keys.js';
import { tunnelPolicy } from './scenarios.js';

const sa = (id: number): SaEntry => ({ id }) as SaEntry;

describe('ReplicaKeys', () => {
  it('sums traffic per SA across batches; it is not urgent until an ACQUIRE or a lifetime event', () => {
    const k = new ReplicaKeys();
    k.onSaUsed(sa(1), 100, 1);
    k.onSaUsed(sa(2), 50, 1);
    k.onSaUsed(sa(1), 300, 2);
    assert.equal(k.urgent, false);
    assert.equal(k.pending, true);
    assert.deepEqual(k.take(), [
      { kind: 'used', id: 1, bytes: 400, packets: 3 },
      { kind: 'used', id: 2, bytes: 50, packets: 1 },
    ]);
    assert.equal(k.pending, false);
    assert.deepEqual(k.take(), []);
  });

  it('puts the traffic before a lifetime event ahead of it, and the traffic after it behind', () => {
    const k = new ReplicaKeys();
    k.onSaUsed(sa(1), 100, 1);
    k.onLifetimeEvent(sa(1), 'soft');
    k.onSaUsed(sa(1), 40, 1);
    assert.equal(k.urgent, true);
    assert.deepEqual(k.take(), [
      { kind: 'used', id: 1, bytes: 100, packets: 1 },
      { kind: 'lifetime', id: 1, which: 'soft' },
      { kind: 'used', id: 1, bytes: 40, packets: 1 },
    ]);
  });

  it(`forwards a copy of each packet without an SA, at most ${MAX_ACQUIRE_PACKETS} per take; the rest it drops itself`, () => {
    const k = new ReplicaKeys();
    const pol = {
      ...tunnelPolicy('out', '10.1.0.2/32', '10.2.0.0/24', '10.0.0.2', '192.0.2.1'),
      priority: 0,
      id: 1,
      rank: 1,
    };
    const tuple = { src: new Uint8Array(4), dst: new Uint8Array(4), proto: 1, sport: 0, dport: 0 };
    const pkt = Uint8Array.of(0x45, 1, 2, 3);
    const first = k.onOutboundNoSa(pol, tuple, pkt);
    assert.deepEqual(first, { deliveries: [], held: false, forwarded: true });
    pkt[1] = 9; // the data plane reuses its buffer: the event kept a copy
    for (let i = 1; i < MAX_ACQUIRE_PACKETS; i++) assert.equal(k.onOutboundNoSa(pol, tuple, pkt).forwarded, true);
    assert.deepEqual(k.onOutboundNoSa(pol, tuple, pkt), { deliveries: [], held: false });
    const ev = k.take();
    assert.equal(ev.length, MAX_ACQUIRE_PACKETS);
    assert.deepEqual(ev[0], { kind: 'acquire', packet: Uint8Array.of(0x45, 1, 2, 3) });
    assert.equal(k.onOutboundNoSa(pol, tuple, pkt).forwarded, true, 'a new take, a new allowance');
  });
});
