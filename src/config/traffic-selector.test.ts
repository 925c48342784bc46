/**
 * Narrowing cases are hand-built after the RFC 7296 §2.9 example (packet 192.0.2.10 ->
 * 198.51.100.43 triggers TSi = (192.0.2.10, 192.0.2.0/24), TSr = (198.51.100.43,
 * 198.51.100.0/24)); expected strings follow strongSwan's TS printing
 * (`10.99.3.0/24`, `10.0.0.1/32[tcp/80]`, with port numbers). The property test checks
 * narrowing against a brute-force oracle over small IPv4 ranges.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../util/errors.js';
import { parseIp } from '../util/ip-addr.js';
import {
  narrowChildTs,
  narrowTs,
  parseTs,
  rangeToCidrs,
  type TrafficSelector,
  tsFromCidr,
  tsIsSubset,
  tsToString,
} from './traffic-selector.js';

const strs = (l: TrafficSelector[]): string[] => l.map(tsToString);

test('RFC 7296 §2.9: first (packet) selector kept first when policy covers it', () => {
  const tsi = [tsFromCidr('192.0.2.10'), tsFromCidr('192.0.2.0/24')];
  const tsr = [tsFromCidr('198.51.100.43'), tsFromCidr('198.51.100.0/24')];
  // Responder policy narrower than the initiator's: 192.0.2.0/28 <-> 198.51.100.32/27.
  const r = narrowChildTs(tsi, tsr, parseTs('198.51.100.32/27'), parseTs('192.0.2.0/28'));
  assert.ok(r.ok);
  assert.deepEqual(strs(r.tsi), ['192.0.2.10/32', '192.0.2.0/28']);
  assert.deepEqual(strs(r.tsr), ['198.51.100.43/32', '198.51.100.32/27']);
});

test('no overlap -> TS_UNACCEPTABLE', () => {
  const r = narrowChildTs(
    parseTs('10.1.0.0/16'),
    parseTs('10.2.0.0/16'),
    parseTs('10.2.0.0/16'),
    parseTs('10.3.0.0/16'),
  );
  assert.deepEqual(r, { ok: false, notify: 'TS_UNACCEPTABLE' });
});

test('protocol and port narrowing, dynamic substitution', () => {
  const vip = parseIp('10.99.100.1');
  const conf = parseTs('dynamic[tcp/80]', [vip]);
  assert.deepEqual(strs(conf), ['10.99.100.1/32[tcp/80]']);
  assert.deepEqual(strs(narrowTs(parseTs('0.0.0.0/0'), conf)), ['10.99.100.1/32[tcp/80]']);
  assert.deepEqual(strs(narrowTs(parseTs('10.0.0.0/8[udp]'), conf)), []);
  assert.deepEqual(strs(narrowTs(parseTs('10.0.0.0/8[0/1-1000]'), parseTs('10.0.0.0/24[tcp/500-2000]'))), [
    '10.0.0.0/24[tcp/500-1000]',
  ]);
  assert.deepEqual(strs(parseTs('fd00::/64[udp/53]')), ['fd00::/64[udp/53]']);
  assert.deepEqual(strs(narrowTs(parseTs('fd00::/64'), parseTs('10.0.0.0/8'))), []);
  assert.throws(() => parseTs('10.0.0.0/8[bogus]'), ConfigError);
  assert.throws(() => parseTs('10.0.0.0/8[tcp/70000]'), ConfigError);
});

test('range to CIDRs and printing', () => {
  const t = parseTs('10.0.0.1-10.0.0.6');
  assert.deepEqual(rangeToCidrs(t[0]?.startAddr ?? new Uint8Array(), t[0]?.endAddr ?? new Uint8Array()), [
    '10.0.0.1/32',
    '10.0.0.2/31',
    '10.0.0.4/31',
    '10.0.0.6/32',
  ]);
  assert.deepEqual(strs(t), ['10.0.0.1..10.0.0.6']);
  assert.deepEqual(strs(parseTs('10.99.3.7/24')), ['10.99.3.0/24']);
  assert.deepEqual(strs(parseTs('0.0.0.0/0')), ['0.0.0.0/0']);
  assert.deepEqual(strs(parseTs('::/0')), ['::/0']);
});

// Small IPv4 universe 10.0.0.0-10.0.0.15, ports 0-7, protocols {0, 6, 17}.
const arbTs = fc
  .record({
    a: fc.integer({ min: 0, max: 15 }),
    b: fc.integer({ min: 0, max: 15 }),
    p: fc.integer({ min: 0, max: 7 }),
    q: fc.integer({ min: 0, max: 7 }),
    proto: fc.constantFrom(0, 6, 17),
  })
  .map(
    ({ a, b, p, q, proto }): TrafficSelector => ({
      family: 4,
      protocol: proto,
      startPort: Math.min(p, q),
      endPort: Math.max(p, q),
      startAddr: new Uint8Array([10, 0, 0, Math.min(a, b)]),
      endAddr: new Uint8Array([10, 0, 0, Math.max(a, b)]),
    }),
  );

function covers(l: TrafficSelector[], addr: number, port: number, proto: number): boolean {
  return l.some(
    (t) =>
      (t.protocol === 0 || t.protocol === proto) &&
      t.startPort <= port &&
      port <= t.endPort &&
      (t.startAddr[3] ?? 0) <= addr &&
      addr <= (t.endAddr[3] ?? 0),
  );
}

test('property: narrowing is a subset of both inputs and loses no common point', () => {
  fc.assert(
    fc.property(fc.array(arbTs, { maxLength: 3 }), fc.array(arbTs, { maxLength: 3 }), (rx, conf) => {
      const out = narrowTs(rx, conf);
      for (const o of out) {
        assert.ok(rx.some((r) => tsIsSubset(o, r)));
        assert.ok(conf.some((c) => tsIsSubset(o, c)));
      }
      // Oracle: a concrete (addr, port, proto) packet is allowed by the narrowed set iff
      // it is allowed by both inputs.
      for (let addr = 0; addr < 16; addr++)
        for (let port = 0; port < 8; port++)
          for (const proto of [6, 17, 50]) {
            assert.equal(
              covers(out, addr, port, proto),
              covers(rx, addr, port, proto) && covers(conf, addr, port, proto),
            );
          }
    }),
  );
});
