/**
 * SadReplica (sad-replica.ts) against the Sad it copies: after random sequences of ADD,
 * DELETE, soft expiry and NAT mapping moves on a real Sad, a replica fed structured clones
 * of the changed entries (as a sealing thread receives them, docs/dataplane.md §10.9)
 * answers every outbound and inbound lookup with the same SA and dumps the same order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { saConfig } from '../dataplane/test-harness.js';
import { FakeClock } from '../util/clock.js';
import { parseIp as ip } from '../util/ip-addr.js';
import type { SaEntry } from './sa-entry.js';
import { Sad } from './sad.js';
import { SadReplica } from './sad-replica.js';

const ADDRS = ['192.0.2.1', '198.51.100.7', '203.0.113.9'].map((a) => ip(a));
const PORTS = [4500, 40001];

type Op =
  | { op: 'add'; src: number; dst: number; spi: number; reqid: number; dport: number; advance: number }
  | { op: 'delete'; pick: number }
  | { op: 'soft'; pick: number }
  | { op: 'move'; pick: number; to: number; port: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('add' as const),
    src: fc.integer({ min: 0, max: 2 }),
    dst: fc.integer({ min: 0, max: 2 }),
    spi: fc.integer({ min: 0x100, max: 0x120 }),
    reqid: fc.integer({ min: 0, max: 2 }),
    dport: fc.integer({ min: 0, max: 1 }),
    advance: fc.constantFrom(0, 0, 1000),
  }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('soft' as const), pick: fc.nat() }),
  fc.record({
    op: fc.constant('move' as const),
    pick: fc.nat(),
    to: fc.integer({ min: 0, max: 2 }),
    port: fc.integer({ min: 0, max: 1 }),
  }),
);

function pick(sad: Sad, n: number): SaEntry | undefined {
  const all = sad.dump();
  return all.length === 0 ? undefined : all[n % all.length];
}

/** Apply one operation to the Sad; returns the entries it changed (what the key engine would announce). */
function apply(sad: Sad, clock: FakeClock, o: Op): SaEntry[] {
  switch (o.op) {
    case 'add': {
      clock.advance(o.advance);
      const src = ADDRS[o.src];
      const dst = ADDRS[o.dst];
      if (!src || !dst) return [];
      const dport = PORTS[o.dport] ?? 4500;
      try {
        const e = sad.add({
          cfg: saConfig({ spi: o.spi, src, dst, encapsulation: { type: 'rfc3948', sport: 4500, dport } }),
          reqid: o.reqid,
        });
        return [e];
      } catch {
        return []; // EEXIST: same identity
      }
    }
    case 'delete': {
      const e = pick(sad, o.pick);
      if (e) sad.delete({ dst: e.dst, spi: e.spi, dport: e.encap.dport });
      return [];
    }
    case 'soft': {
      const e = pick(sad, o.pick);
      if (e) sad.expire(e, 'soft', 'bytes');
      return e ? [e] : [];
    }
    case 'move': {
      const e = pick(sad, o.pick);
      const to = ADDRS[o.to];
      if (!e || !to) return [];
      const ch = sad.updateMapping(e, { addr: to, port: PORTS[o.port] ?? 4500 }, clock.now());
      return ch ? [ch.sa, ...ch.followers.map((f) => f.entry)] : [];
    }
  }
}

describe('SadReplica', () => {
  it('answers lookups as the Sad it copies, after ADD, DELETE, soft expiry and mapping moves', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const clock = new FakeClock(1000);
        const sad = new Sad({ clock });
        const replica = new SadReplica();
        for (const o of ops) {
          for (const e of apply(sad, clock, o)) replica.put(structuredClone(e));
          const live = new Set(sad.dump().map((e) => e.id));
          for (const e of replica.dump()) if (!live.has(e.id)) replica.remove(e.id);
        }
        assert.deepEqual(
          replica.dump().map((e) => e.id),
          sad.dump().map((e) => e.id),
        );
        for (const src of ADDRS)
          for (const dst of ADDRS)
            for (const reqid of [0, 1, 2])
              for (const dport of [undefined, ...PORTS]) {
                const q = { src, dst, reqid, ...(dport !== undefined ? { dport } : {}) };
                assert.equal(replica.lookupOutbound(q)?.id, sad.lookupOutbound(q)?.id);
              }
        for (const dst of ADDRS)
          for (let spi = 0x100; spi <= 0x120; spi++)
            assert.equal(replica.lookupInbound(dst, spi)?.id, sad.lookupInbound(dst, spi)?.id);
      }),
      { numRuns: 300 },
    );
  });

  it('forgets a removed entry and moves a replaced one to its new pair', () => {
    const r = new SadReplica();
    const clock = new FakeClock(1000);
    const sad = new Sad({ clock });
    const [a, b, c] = ADDRS;
    assert.ok(a && b && c);
    const e = sad.add({ cfg: saConfig({ spi: 0x200, src: a, dst: b }) });
    r.put(structuredClone(e));
    assert.equal(r.lookupOutbound({ src: a, dst: b })?.id, e.id);
    sad.updateMapping(e, { addr: c, port: 4500 }, clock.now());
    r.put(structuredClone(e));
    assert.equal(r.lookupOutbound({ src: a, dst: b }), undefined);
    assert.equal(r.lookupOutbound({ src: c, dst: b })?.id, e.id);
    assert.equal(r.remove(e.id)?.id, e.id);
    assert.equal(r.remove(e.id), undefined);
    assert.equal(r.size, 0);
    assert.equal(r.lookupInbound(b, 0x200), undefined);
  });
});
