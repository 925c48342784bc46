import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../util/hex.js';
import { checkTrailer, paddedLength, writeTrailer } from './padding.js';

test('paddedLength: payload + 2 rounded up to the alignment (RFC 4303 §2.4)', () => {
  // [payload, align, expected]: RFC 7634 App. A has 84 -> 88 (pad 2); AES-CBC pads to 16
  const table: [number, number, number][] = [
    [84, 4, 88],
    [0, 4, 4],
    [2, 4, 4],
    [3, 4, 8],
    [14, 16, 16],
    [15, 16, 32],
    [30, 16, 32],
    [0, 8, 8],
  ];
  for (const [p, a, want] of table) assert.equal(paddedLength(p, a), want, `${p}/${a}`);
});

test('writeTrailer writes 1, 2, 3, ..., pad length, next header', () => {
  const b = new Uint8Array(8).fill(0xee);
  writeTrailer(b, 1, 8, 4);
  assert.equal(toHex(b), 'ee0102030405' + '05' + '04');
});

test('checkTrailer: accepts 1, 2, 3, ... and rejects other pad bytes or an oversized pad length', () => {
  assert.equal(checkTrailer(fromHex('aabb 0102 02 04'), 0, 6), 2);
  assert.equal(checkTrailer(fromHex('aabb 0103 02 04'), 0, 6), -1);
  assert.equal(checkTrailer(fromHex('aabb 0000 02 04'), 0, 6), -1);
  assert.equal(checkTrailer(fromHex('0102 03 04'), 0, 4), -1); // pad length 3 > 2 bytes available
  assert.equal(checkTrailer(fromHex('00 04'), 0, 2), 0);
});

test('property: checkTrailer(writeTrailer) recovers the payload length', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.constantFrom(4, 8, 16),
      fc.integer({ min: 0, max: 255 }),
      (n, a, nh) => {
        const len = paddedLength(n, a);
        const b = new Uint8Array(len + 3).fill(0x55);
        writeTrailer(b, 3 + n, 3 + len, nh);
        assert.equal(checkTrailer(b, 3, 3 + len), n);
        assert.equal(b[len + 2], nh);
        assert.equal(len % a, 0);
      },
    ),
    { numRuns: 300 },
  );
});
