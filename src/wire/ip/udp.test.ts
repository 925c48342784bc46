import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { buildUdp, decodeUdp, udpChecksumOk } from './udp.js';

const S4 = fromHex('0a010203'); // 10.1.2.3
const D4 = fromHex('c0000201'); // 192.0.2.1
const S6 = fromHex('20010db8000000000000000000000001');
const D6 = fromHex('20010db8000100000000000000000002');
// python3-scapy: UDP(sport=4500,dport=4500)/b"esprit-udp!" between the addresses above
const SEG4 = '1194 1194 0013 1c5b 6573707269742d75647021';
const SEG6 = '1194 1194 0013 8eea 6573707269742d75647021';

test('decodeUdp reads a scapy segment', () => {
  const u = decodeUdp(fromHex(SEG4));
  assert.deepEqual([u.sport, u.dport, u.length, u.checksum], [4500, 4500, 19, 0x1c5b]);
  assert.equal(new TextDecoder().decode(u.payload), 'esprit-udp!');
});

test('decodeUdp is strict about the Length field', () => {
  assert.throws(() => decodeUdp(fromHex('1194 1194 00')), { code: 'truncated', path: 'udp.length', offset: 4 });
  assert.throws(() => decodeUdp(fromHex('1194 1194 0007 0000')), { code: 'bad-value', path: 'udp.length', offset: 4 });
  assert.throws(() => decodeUdp(fromHex('1194 1194 0014 0000 6573707269742d75647021')), {
    code: 'truncated',
    path: 'udp.payload',
    offset: 8,
  });
  assert.throws(() => decodeUdp(fromHex('1194 1194 0012 0000 6573707269742d75647021')), {
    code: 'trailing',
    path: 'udp',
    offset: 18,
  });
});

test('buildUdp: computed checksums equal scapy over IPv4 and IPv6; zero over IPv4 (RFC 3948 §2.1)', () => {
  const payload = new TextEncoder().encode('esprit-udp!');
  const p = { sport: 4500, dport: 4500, payload };
  assert.equal(toHex(buildUdp({ ...p, src: S4, dst: D4, checksum: 'compute' })), toHex(fromHex(SEG4)));
  assert.equal(toHex(buildUdp({ ...p, src: S6, dst: D6, checksum: 'compute' })), toHex(fromHex(SEG6)));
  assert.equal(
    toHex(buildUdp({ ...p, src: S4, dst: D4, checksum: 'zero' })),
    '1194119400130000' + '6573707269742d75647021',
  );
  assert.throws(() => buildUdp({ ...p, src: S6, dst: D6, checksum: 'zero' }), /RFC 8200/);
});

test('udpChecksumOk: 0 accepted over IPv4 only (RFC 768 / RFC 3948 §2.1 vs RFC 8200 §8.1)', () => {
  assert.equal(udpChecksumOk(S4, D4, fromHex(SEG4)), true);
  assert.equal(udpChecksumOk(S6, D6, fromHex(SEG6)), true);
  assert.equal(udpChecksumOk(S4, fromHex('c0000202'), fromHex(SEG4)), false);
  const zero = '1194 1194 0013 0000 6573707269742d75647021';
  assert.equal(udpChecksumOk(S4, D4, fromHex(zero)), true);
  assert.equal(udpChecksumOk(S6, D6, fromHex(zero)), false);
  assert.equal(udpChecksumOk(S4, D4, new Uint8Array(7)), false);
});

test('property: buildUdp -> decodeUdp round trip and checksum verifies (v4 and v6)', () => {
  const addr = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  fc.assert(
    fc.property(
      fc.oneof(fc.tuple(addr(4), addr(4)), fc.tuple(addr(16), addr(16))),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ maxLength: 64 }),
      ([src, dst], sport, dport, payload) => {
        const seg = buildUdp({ src, dst, sport, dport, payload, checksum: 'compute' });
        const u = decodeUdp(seg);
        assert.deepEqual([u.sport, u.dport, u.length, u.payload], [sport, dport, payload.length + 8, payload]);
        assert.notEqual(u.checksum, 0);
        assert.equal(udpChecksumOk(src, dst, seg), true);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: decodeUdp on random bytes throws only WireError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      try {
        decodeUdp(b);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});
