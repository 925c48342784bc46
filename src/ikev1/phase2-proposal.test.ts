/**
 * Quick Mode proposals in the IKEv1 attribute form. Expected octets are hand-built from RFC
 * 2407 §4.2 (SA payload: DOI, situation), RFC 2408 §3.5-3.6 (proposal, transform) and §4.5
 * (attribute classes 1 SA Life Type, 2 SA Life Duration, 3 Group Description, 4 Encapsulation
 * Mode, 5 Authentication Algorithm, 6 Key Length; TV form = 0x8000 | class).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProposals } from '../config/proposal.js';
import { fromHex, toHex } from '../util/hex.js';
import { encodeIsakmpPayloadChain } from '../wire/isakmp/isakmp-encode.js';
import type { IsakmpTransform } from '../wire/isakmp/isakmp-types.js';
import {
  encapsulationMode,
  espKeyLengths,
  parsePhase2Transform,
  phase2Allowed,
  phase2SaPayload,
  phase2Transforms,
} from './phase2-proposal.js';

test('aes128-sha1-modp2048 as a UDP-encapsulated tunnel (RFC 3947) with 3600 s: the SA payload octets', () => {
  const props = parseProposals('esp', 'aes128-sha1-modp2048', 'p', 1);
  const mode = encapsulationMode({ transport: false, udp: true, draft: false });
  assert.equal(mode, 3);
  const sa = phase2SaPayload(0xc1000001, phase2Transforms(props, mode, 3600));
  const body = toHex(encodeIsakmpPayloadChain([sa]).subarray(4));
  assert.equal(
    body,
    [
      '00000001', // DOI IPSEC
      '00000001', // SIT_IDENTITY_ONLY
      '0000002c', // proposal: last, reserved, length 44
      '01030401', // #1, PROTO_IPSEC_ESP, SPI size 4, one transform
      'c1000001', // SPI
      '00000020', // transform: last, reserved, length 32
      '010c0000', // #1, ESP_AES (12), reserved
      '80010001', // SA Life Type seconds
      '80020e10', // SA Life Duration 3600
      '8003000e', // Group Description 14 (PFS)
      '80040003', // Encapsulation Mode UDP-Encapsulated-Tunnel
      '80050002', // Authentication Algorithm HMAC-SHA
      '80060080', // Key Length 128
    ].join(''),
  );
  assert.equal(encapsulationMode({ transport: true, udp: true, draft: true }), 61444);
  assert.equal(encapsulationMode({ transport: false, udp: false, draft: true }), 1);
});

test('a vpnc-style transform (3DES, HMAC-MD5, 4-octet TLV life duration) parses; key lengths 24 + 16', () => {
  const t: IsakmpTransform = {
    number: 0,
    id: 3,
    attributes: [
      { type: 1, form: 'tv', value: fromHex('0001') },
      { type: 2, form: 'tlv', value: fromHex('00007080') },
      { type: 4, form: 'tv', value: fromHex('0001') },
      { type: 5, form: 'tv', value: fromHex('0001') },
    ],
  };
  const s = parsePhase2Transform(t);
  assert.ok(typeof s !== 'string');
  assert.deepEqual(s, { encr: 3, integ: 1, group: 0, encapMode: 1, lifetimeSeconds: 28800 });
  assert.deepEqual(espKeyLengths(s), { encr: 24, integ: 16 });
  assert.equal(phase2Allowed(parseProposals('esp', '3des-md5', 'p', 1), s), true);
  assert.equal(phase2Allowed(parseProposals('esp', '3des-md5-modp1024', 'p', 1), s), false, 'PFS required');
  assert.match(parsePhase2Transform({ ...t, id: 2 }) as string, /ESP transform ID 2/);
  assert.match(parsePhase2Transform({ ...t, attributes: t.attributes.slice(0, 3) }) as string, /authentication/);
});
