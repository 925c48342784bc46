import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIp, parsePrefix, prefixContains, tryParseIp } from './ip-addr.js';

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
