import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeIfName, IFF_MULTI_QUEUE, IFF_NO_PI, IFF_TUN, TUNSETIFF } from './tun-device.js';

test('TUNSETIFF is _IOW(84, 202, int) and the flags match linux/if_tun.h', () => {
  // _IOW(type, nr, size) = (1 << 30) | (size << 16) | (type << 8) | nr  (asm-generic/ioctl.h)
  assert.equal(TUNSETIFF, ((1 << 30) | (4 << 16) | (0x54 << 8) | 202) >>> 0);
  assert.deepEqual([IFF_TUN, IFF_NO_PI, IFF_MULTI_QUEUE], [0x0001, 0x1000, 0x0100]);
});

test('interface names: at most 15 printable bytes, NUL-padded to IFNAMSIZ', () => {
  const b = encodeIfName('esp0');
  assert.equal(b.length, 16);
  assert.deepEqual(b.subarray(0, 5), new Uint8Array([0x65, 0x73, 0x70, 0x30, 0]));
  assert.equal(encodeIfName('a23456789012345')[14], 0x35);
  for (const bad of ['', 'a234567890123456', 'a b', 'a/b', 'tün']) assert.throws(() => encodeIfName(bad), RangeError);
});
