/**
 * Single DES against published vectors:
 * - the FIPS 46-3 worked example of J. O. Grabbe, "The DES Algorithm Illustrated" (key
 *   133457799BBCDFF1, plaintext 0123456789ABCDEF, ciphertext 85E813540F0AB405);
 * - NBS SP 500-20 S-box tests 1 and 2 (as listed by cryptlib's MSCHAPv2 self-test);
 * - the 56->64 bit key spreading of RFC 2759 §8.6, checked by hand: 7 octets of 0xFF give
 *   eight 0xFE octets, and 0x80 00.. gives 0x80 then seven zero octets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { desEncryptBlock, expandDesKey } from './des-ecb.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const vectors: [string, string, string][] = [
  ['133457799bbcdff1', '0123456789abcdef', '85e813540f0ab405'],
  ['7ca110454a1a6e57', '01a1d6d039776742', '690f5b0d9a26939b'],
  ['0131d9619dc1376e', '5cd54ca83def57da', '7a389d10354bd271'],
];

for (const [k, p, c] of vectors) {
  test(`DES-ECB: E_${k}(${p}) = ${c}`, () => {
    assert.equal(toHex(desEncryptBlock(hex(k), hex(p))), c);
  });
}

test('DES ignores parity bits: flipping every low bit of the key gives the same ciphertext', () => {
  const k = hex('133457799bbcdff1').map((b) => b ^ 1);
  assert.equal(toHex(desEncryptBlock(k, hex('0123456789abcdef'))), '85e813540f0ab405');
});

test('RFC 2759 §8.6 key spreading: 7 octets -> 8 octets, 7 bits each, low bit 0', () => {
  assert.equal(toHex(expandDesKey(hex('ffffffffffffff'))), 'fefefefefefefefe');
  assert.equal(toHex(expandDesKey(hex('80000000000000'))), '8000000000000000');
  assert.equal(toHex(expandDesKey(hex('00000000000001'))), '0000000000000002');
  // 0x01 in octet 0 is bit 7 of the 56: the second octet's top bit
  assert.equal(toHex(expandDesKey(hex('01000000000000'))), '0080000000000000');
});

test('wrong lengths are CryptoErrors', () => {
  assert.throws(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(8)), { code: 'crypto' });
  assert.throws(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(9)), { code: 'crypto' });
  assert.throws(() => expandDesKey(new Uint8Array(8)), { code: 'crypto' });
});
