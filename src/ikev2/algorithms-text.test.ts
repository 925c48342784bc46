import assert from 'node:assert/strict';
import { test } from 'node:test';
import { algorithmsText } from './algorithms-text.js';

// Expected strings as strongSwan 5.9's `swanctl --list-sas` prints them (IANA transform
// numbers from RFC 7296 §3.3.2 / RFC 8031 written out by hand).
test('selected proposals in swanctl --list-sas form', () => {
  const spi = new Uint8Array(8);
  assert.equal(
    algorithmsText({
      proposalNumber: 1,
      spi,
      protocol: 'ike',
      encr: { id: 12, keyLength: 128 },
      integ: 12,
      prf: 5,
      dh: 14,
    }),
    'AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048',
  );
  assert.equal(
    algorithmsText({ proposalNumber: 1, spi, protocol: 'ike', encr: { id: 20, keyLength: 256 }, prf: 7, dh: 31 }),
    'AES_GCM_16-256/PRF_HMAC_SHA2_512/CURVE_25519',
  );
  assert.equal(
    algorithmsText({ proposalNumber: 1, spi: new Uint8Array(4), protocol: 'esp', encr: { id: 28 }, esn: 1 }),
    'CHACHA20_POLY1305/ESN',
  );
  assert.equal(
    algorithmsText({ proposalNumber: 1, spi, protocol: 'ike', encr: { id: 99 }, integ: 77, prf: 66, dh: 55 }),
    'ENCR_99/INTEG_77/PRF_66/DH_55',
  );
});
