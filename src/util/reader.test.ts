import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

test('Reader reads big-endian fields and reports truncation with path and offset', () => {
  const r = new Reader(Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0x9a), 'hdr');
  assert.equal(r.u16('a'), 0x1234);
  assert.equal(r.u16('b'), 0x5678);
  assert.throws(() => r.u32('spi'), { name: 'WireError', code: 'truncated', path: 'hdr.spi', offset: 4 });
});

test('scope() limits a child and end() rejects trailing bytes', () => {
  const r = new Reader(Uint8Array.of(1, 2, 3, 4, 5, 6), 'msg');
  const s = r.scope(3, 'ext[0]');
  assert.equal(s.u16(), 0x0102);
  assert.throws(() => s.end(), { code: 'trailing', path: 'msg.ext[0]', offset: 2 });
  assert.throws(() => s.u16('len'), { code: 'truncated', path: 'msg.ext[0].len' });
  assert.equal(r.u8(), 4);
});

test('Writer grows and back-patches', () => {
  const w = new Writer(2);
  w.u16(0).u32(0xdeadbeef).u64(1n).zeros(1).align(8);
  w.patchU16(0, w.pos);
  assert.deepEqual([...w.finish()], [0, 16, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
});
