import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatIp } from '../util/ip-addr.js';
import { SockaddrNames } from './sockaddr-names.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('get: sockaddr_in / sockaddr_in6 bytes as linux/in.h and linux/in6.h lay them out', () => {
  const n = new SockaddrNames();
  // struct sockaddr_in: sin_family AF_INET=2 (u16, host order LE), sin_port 4500=0x1194 (BE),
  // sin_addr 192.0.2.1, 8 bytes of zero padding
  assert.equal(hex(n.get('192.0.2.1', 4500, 4) ?? new Uint8Array()), '0200' + '1194' + 'c0000201' + '0000000000000000');
  // struct sockaddr_in6: AF_INET6=10 (LE), port 500=0x01f4, flowinfo 0, 2001:db8::1, scope 0
  assert.equal(
    hex(n.get('2001:db8::1', 500, 6) ?? new Uint8Array()),
    '0a00' + '01f4' + '00000000' + '20010db8000000000000000000000001' + '00000000',
  );
  assert.equal(n.get('192.0.2.1', 4500, 6), undefined, 'family mismatch');
  assert.equal(n.get('192.0.2.1', 0, 4), undefined, 'port 0');
  assert.equal(n.get('192.0.2.1', 65536, 4), undefined);
  assert.equal(n.get('example', 1, 4), undefined);
  // cached: the same bytes come back
  assert.equal(n.get('192.0.2.1', 4500, 4), n.get('192.0.2.1', 4500, 4));
});

test('text: the address of a kernel sockaddr matches formatIp (v4 and v6 oracle)', () => {
  const n = new SockaddrNames();
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 1, max: 65535 }),
      (v4, raw, port) => {
        const addr = v4 ? raw.subarray(0, 4) : raw;
        const text = formatIp(addr.slice());
        const sa = n.get(text, port, v4 ? 4 : 6);
        assert.ok(sa);
        assert.equal(n.text(sa), text);
      },
    ),
    { numRuns: 300 },
  );
  assert.equal(n.text(new Uint8Array(28)), undefined, 'AF_UNSPEC');
});
