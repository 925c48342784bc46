import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from './errors.js';
import { bytesEqual, fromHex, toHex } from './hex.js';

test('fromHex accepts annotated multi-line hex and 0x', () => {
  assert.deepEqual([...fromHex('0x00 01:ff\n fe')], [0, 1, 255, 254]);
  assert.equal(toHex(Uint8Array.of(0, 1, 255, 254)), '0001fffe');
});

test('fromHex rejects odd length and non-hex with the path', () => {
  assert.throws(() => fromHex('abc', 'sas[0].key'), { name: 'ConfigError', path: 'sas[0].key' });
  assert.throws(
    () => fromHex('zz', 'k'),
    (e: unknown) => e instanceof ConfigError && /not a hex/.test(e.message),
  );
});

test('bytesEqual', () => {
  assert.equal(bytesEqual(fromHex('0102'), fromHex('0102')), true);
  assert.equal(bytesEqual(fromHex('0102'), fromHex('0103')), false);
  assert.equal(bytesEqual(fromHex('01'), fromHex('0102')), false);
});
