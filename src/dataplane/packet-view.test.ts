/**
 * peekTuple (the per-packet path) against the oracle peekIp + fillTuple on valid,
 * mutated and random packets; upperLayer and ipTotalLength on hand-built packets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex } from '../util/hex.js';
import { peekIp } from '../wire/ip/ip-packet.js';
import { fillTuple, ipTotalLength, newTuple, peekTuple, upperLayer } from './packet-view.js';
import { ICMP_REQ4, ICMP_REQ6 } from './scenarios.js';

/** IPv6 | Hop-by-Hop (8 bytes, PadN) | UDP 1000 -> 2000, length 8 (RFC 8200 §4.3, RFC 768). */
const V6_HBH_UDP = fromHex(
  '6000000000100040' +
    '20010db8000000000000000000000001' +
    '20010db8000000000000000000000002' +
    '1100010400000000' +
    '03e807d000080000',
);

function oracle(p: Uint8Array) {
  const pk = peekIp(p);
  return pk ? { v: pk.version, t: { ...fillTuple(newTuple(), pk) } } : { v: 0 };
}

function fast(p: Uint8Array) {
  const t = newTuple();
  const v = peekTuple(p, t);
  return v === 0 ? { v: 0 } : { v, t: { ...t } };
}

describe('packet-view', () => {
  it('reads ICMP type/code into the port fields, ports after IPv6 extension headers', () => {
    assert.deepEqual(fast(ICMP_REQ4), oracle(ICMP_REQ4));
    const t4 = fast(ICMP_REQ4).t;
    assert.equal(t4?.proto, 1);
    assert.equal(t4?.sport, 8); // echo request
    assert.equal(t4?.dport, 0);
    assert.equal(fast(ICMP_REQ6).t?.sport, 128);
    const t6 = fast(V6_HBH_UDP).t;
    assert.deepEqual([t6?.proto, t6?.sport, t6?.dport], [17, 1000, 2000]);
    assert.deepEqual(upperLayer(V6_HBH_UDP), { offset: 48, end: 56, fragment: false });
    assert.deepEqual(upperLayer(ICMP_REQ4), { offset: 20, end: 60, fragment: false });
    assert.equal(ipTotalLength(ICMP_REQ6), 80);
  });

  it('keeps its own copy of the addresses: reusing the packet buffer does not change them', () => {
    for (const pkt of [ICMP_REQ4, ICMP_REQ6]) {
      const buf = pkt.slice();
      const t = newTuple();
      const v = peekTuple(buf, t);
      const want = peekIp(pkt);
      buf.fill(0xee);
      assert.ok(v !== 0 && want);
      assert.deepEqual([...t.src], [...want.src]);
      assert.deepEqual([...t.dst], [...want.dst]);
      assert.equal(t.src.length, v === 4 ? 4 : 16);
    }
  });

  it('agrees with peekIp + fillTuple on mutated and random input', () => {
    const seeds = [ICMP_REQ4, ICMP_REQ6, V6_HBH_UDP];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          fc
            .tuple(
              fc.constantFrom(...seeds),
              fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
              fc.nat(),
            )
            .map(([s, muts, cut]) => {
              const p = s.slice(0, s.length - (cut % 8));
              for (const [i, b] of muts) p[i % p.length] = b;
              return p;
            }),
        ),
        (p) => {
          assert.deepEqual(fast(p), oracle(p));
        },
      ),
      { numRuns: 400 },
    );
  });
});
