/**
 * IKE channel frames against hand-built hex (docs/ike-channel.md byte by byte), a split
 * stream, strict refusals and a fast-check property (mutated frames yield only WireError).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import {
  decodeIkeChannelFrame,
  encodeIkeChannelFrame,
  IKE_CHANNEL_HEADER_LENGTH,
  splitIkeChannelStream,
} from './ike-channel-frame.js';

function hx(s: string): Uint8Array {
  return fromHex(
    s
      .split('\n')
      .map((l) => l.replace(/#.*/, ''))
      .join(' ')
      .replace(/\s+/g, ''),
  );
}

// An IKE_SA_INIT header fragment as payload (RFC 7296 §3.1: SPIi 8 bytes, SPIr 0, ...); 12 bytes
const IKE = 'a1b2c3d4e5f60718 0000000000000000 2120 2208'.replace(/ /g, '');

const V4 = hx(`
  01 00 04 00          # version 1, flags 0, family 4, reserved 0
  00000014             # payload length 20
  1194 8a9c            # local port 4500, remote port 35484
  c0000201 000000000000000000000000   # local 192.0.2.1, 12 zero bytes
  c6336407 000000000000000000000000   # remote 198.51.100.7
  ${IKE}
`);

const V6 = hx(`
  01 00 06 00
  00000014
  01f4 01f4            # 500 -> 500
  20010db8000000000000000000000001   # local 2001:db8::1
  20010db8000000000000000000000002   # remote 2001:db8::2
  ${IKE}
`);

test('IPv4 frame: hand-built hex decodes and encodes', () => {
  const f = decodeIkeChannelFrame(V4);
  assert.equal(f.family, 4);
  assert.deepEqual(f.local, { address: '192.0.2.1', port: 4500 });
  assert.deepEqual(f.remote, { address: '198.51.100.7', port: 35484 });
  assert.equal(toHex(f.ike), IKE);
  assert.equal(toHex(encodeIkeChannelFrame({ local: f.local, remote: f.remote, ike: f.ike })), toHex(V4));
});

test('IPv6 frame: hand-built hex decodes and encodes', () => {
  const f = decodeIkeChannelFrame(V6);
  assert.equal(f.family, 6);
  assert.deepEqual(f.local, { address: '2001:db8::1', port: 500 });
  assert.deepEqual(f.remote, { address: '2001:db8::2', port: 500 });
  assert.equal(toHex(encodeIkeChannelFrame(f)), toHex(V6));
});

test('stream: frames split at any byte boundary; the incomplete tail stays', () => {
  const both = new Uint8Array([...V4, ...V6]);
  for (let cut = 0; cut <= both.length; cut++) {
    const a = splitIkeChannelStream(both.subarray(0, cut));
    const rest = new Uint8Array([...a.rest, ...both.subarray(cut)]);
    const b = splitIkeChannelStream(rest);
    assert.equal(a.frames.length + b.frames.length, 2, `cut ${cut}`);
    assert.equal(b.rest.length, 0);
  }
  assert.equal(splitIkeChannelStream(V4.subarray(0, IKE_CHANNEL_HEADER_LENGTH - 1)).frames.length, 0);
});

test('strict: version, flags, family, reserved, length 0 / over 65507, IPv4 padding, trailing bytes', () => {
  const bad = (at: number, v: number, code: string, path: RegExp) => {
    const b = V4.slice();
    b[at] = v;
    assert.throws(
      () => decodeIkeChannelFrame(b),
      (e) => e instanceof WireError && e.code === code && path.test(e.path),
    );
  };
  bad(0, 2, 'unsupported', /version/);
  bad(1, 1, 'bad-value', /flags/);
  bad(2, 5, 'bad-value', /family/);
  bad(3, 1, 'bad-value', /reserved/);
  bad(16, 1, 'bad-value', /localAddress/);
  const zero = V4.slice();
  zero.set([0, 0, 0, 0], 4);
  assert.throws(
    () => decodeIkeChannelFrame(zero),
    (e) => e instanceof WireError && /length/.test(e.path),
  );
  const huge = V4.slice();
  huge.set([0, 1, 0, 0], 4); // 65536
  assert.throws(
    () => splitIkeChannelStream(huge),
    (e) => e instanceof WireError && /length/.test(e.path),
  );
  assert.throws(
    () => decodeIkeChannelFrame(new Uint8Array([...V4, 0])),
    (e) => e instanceof WireError && e.code === 'trailing',
  );
  assert.throws(
    () => decodeIkeChannelFrame(V4.subarray(0, 50)),
    (e) => e instanceof WireError && e.code === 'truncated',
  );
  assert.throws(
    () =>
      encodeIkeChannelFrame({
        local: { address: '::1', port: 500 },
        remote: { address: '1.2.3.4', port: 500 },
        ike: new Uint8Array(1),
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodeIkeChannelFrame({
        local: { address: '1.2.3.4', port: 500 },
        remote: { address: '1.2.3.4', port: 500 },
        ike: new Uint8Array(0),
      }),
    RangeError,
  );
});

test('property: mutated frames decode or throw WireError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(80), fc.integer({ min: 0, max: 255 }), (junk, at, v) => {
      const b = new Uint8Array([...V4, ...junk]);
      if (at < b.length) b[at] = v;
      for (const f of [() => decodeIkeChannelFrame(b), () => splitIkeChannelStream(b)]) {
        try {
          f();
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
        }
      }
    }),
    { numRuns: 300 },
  );
});
