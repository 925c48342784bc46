import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readU16, readU32, writeU32 } from './be-bytes.js';

test('big-endian reads and writes at an offset (hand-built bytes)', () => {
  const b = Uint8Array.of(0xaa, 0xde, 0xad, 0xbe, 0xef, 0xbb);
  assert.equal(readU16(b, 1), 0xdead);
  assert.equal(readU32(b, 1), 0xdeadbeef); // unsigned, not -559038737
  writeU32(b, 1, 0x01020304);
  assert.deepEqual([...b], [0xaa, 1, 2, 3, 4, 0xbb]);
  writeU32(b, 2, 0xffffffff);
  assert.deepEqual([...b], [0xaa, 1, 0xff, 0xff, 0xff, 0xff]);
});
