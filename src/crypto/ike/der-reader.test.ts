import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../util/hex.js';
import { readTlv } from './der-reader.js';

// Hand-built DER (X.690 §8.1.3): short form, long form with one and two length octets.
test('readTlv: short and long form lengths give tag, contents offset and end', () => {
  assert.deepEqual(readTlv(fromHex('0203010001'), 0, 'x'), { tag: 0x02, body: 2, end: 5 });
  const long1 = new Uint8Array([0x04, 0x81, 0x80, ...new Uint8Array(0x80)]);
  assert.deepEqual(readTlv(long1, 0, 'x'), { tag: 0x04, body: 3, end: 3 + 0x80 });
  const long2 = new Uint8Array([0xff, 0x30, 0x82, 0x01, 0x00, ...new Uint8Array(0x100)]);
  assert.deepEqual(readTlv(long2, 1, 'x'), { tag: 0x30, body: 5, end: 5 + 0x100 });
  assert.deepEqual(readTlv(fromHex('0500'), 0, 'x'), { tag: 0x05, body: 2, end: 2 }, 'empty contents');
});

test('readTlv: errors name the field and the offset of the TLV', () => {
  const err = (hex: string, at: number, message: string): void =>
    assert.throws(() => readTlv(fromHex(hex), at, 'CRL issuer'), { name: 'CryptoError', message });
  err('30', 0, 'CRL issuer: truncated at offset 0');
  err('3000', 2, 'CRL issuer: truncated at offset 2');
  err('00003080', 2, 'CRL issuer: bad length at offset 2'); // indefinite form: not DER
  err('308500000000010000', 0, 'CRL issuer: bad length at offset 0'); // 5 length octets
  err('3082010000', 0, 'CRL issuer: overruns at offset 0'); // 256 octets announced, none there
  err('308201', 0, 'CRL issuer: bad length at offset 0'); // length octets cut short
  err('0003030100', 1, 'CRL issuer: overruns at offset 1'); // 3 announced, 2 there
});
