import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIp, ipFromBigInt, ipToBigInt, parsePrefix, prefixContains, tryParseIp } from './ip-addr.js';

test('IPv4 and IPv6 parse and canonical text (RFC 5952 §4)', () => {
  assert.equal(tryParseIp('192.0.2.1')?.text, '192.0.2.1');
  assert.equal(tryParseIp('2001:DB8:0:0:0:0:0:1')?.text, '2001:db8::1');
  assert.equal(tryParseIp('2001:db8:0:0:1:0:0:1')?.text, '2001:db8::1:0:0:1');
  assert.equal(tryParseIp('::')?.text, '::');
  assert.equal(tryParseIp('::ffff:192.0.2.1')?.text, '::ffff:c000:201');
  assert.equal(formatIp(Uint8Array.of(0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), '1::');
  for (const bad of ['256.1.1.1', '1.2.3', '1::2::3', 'fd99::1::', 'x', '1.2.3.4.5', '12345::']) {
    assert.equal(tryParseIp(bad), undefined, bad);
  }
});

test('prefix containment', () => {
  const p = parsePrefix('10.99.0.0/16');
  assert.equal(prefixContains(p, Uint8Array.of(10, 99, 3, 1)), true);
  assert.equal(prefixContains(p, Uint8Array.of(10, 98, 3, 1)), false);
  const q = parsePrefix('fd99:3::/61');
  assert.equal(prefixContains(q, tryParseIp('fd99:3:0:7::1')?.bytes ?? new Uint8Array()), true);
  assert.equal(prefixContains(q, tryParseIp('fd99:3:0:8::1')?.bytes ?? new Uint8Array()), false);
  assert.throws(() => parsePrefix('10.0.0.0/33', 'sel'), { path: 'sel' });
});

test('address bytes as a big-endian integer and back', () => {
  // 192.0.2.1 = 0xc0000201 = 3221225985
  assert.equal(ipToBigInt(Uint8Array.of(192, 0, 2, 1)), 3221225985n);
  assert.deepEqual(ipFromBigInt(3221225985n, 4), Uint8Array.of(192, 0, 2, 1));
  // Bits above the family width are dropped (a range end + 1 wraps).
  assert.deepEqual(ipFromBigInt(0x1_0000_0000n, 4), Uint8Array.of(0, 0, 0, 0));
  const v6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01);
  assert.equal(ipToBigInt(v6), 0x20010db8000000000000000000000001n);
  assert.deepEqual(ipFromBigInt(0x20010db8000000000000000000000001n, 6), v6);
});
