import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ciscoDeobfuscate } from './cisco-obfuscation.js';

// test/vectors/gen/cisco-obfuscated.py: obfuscated by a Python implementation, each checked with
// vpnc's `cisco-decrypt`.
const VECTORS = [
  [
    'labgroup-secret',
    '86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B855190AF08FB7F0FB113ED672ED0CD2257C2FC6DC23E337B5A55AE6DABD815D0C48E35494',
  ],
  [
    'p@ss w0rd!',
    'E9D71F5EE7C92D6DC9E92FFDAD17B8BD49418F98152DC7B3A0DD3DAF4504F3654E4EFC12D511236A3E55F00F3DED47734147A5612E6E7F34',
  ],
  [
    '12345678',
    '84A516841BA77A5B4648DE2CD0DFCB30EA46DBB43E4591A5A5AFE2574510CA631C3403CCFDFFCA0012B55CBAE8D4C1FD1C9BF258CF9689DC',
  ],
] as const;

test('ciscoDeobfuscate: the values vpnc cisco-decrypt reads', () => {
  for (const [text, hex] of VECTORS) assert.deepEqual(ciscoDeobfuscate(hex), { ok: true, text });
});

test('ciscoDeobfuscate: a changed octet, a short or odd string are refused with the reason', () => {
  const [, hex] = VECTORS[0];
  const flipped = `${hex.slice(0, 100)}${hex[100] === '0' ? '1' : '0'}${hex.slice(101)}`;
  assert.deepEqual(ciscoDeobfuscate(flipped), { ok: false, reason: 'checksum (SHA-1 of the data) does not match' });
  assert.equal(ciscoDeobfuscate(hex.slice(0, 90)).ok, false);
  assert.deepEqual(ciscoDeobfuscate('xyz'), { ok: false, reason: 'not a hex string' });
});
