/**
 * Properties of the EAP and EAP-MSCHAPv2 codecs (STYLE.md §3.9): decode(encode(x)) equals x
 * for every packet shape, and decoding random or mutated bytes either succeeds or throws a
 * WireError, never anything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { decodeEapPacket, type EapPacket, encodeEapPacket } from './eap-packet.js';
import { decodeMschapV2, encodeMschapV2, type MschapV2Packet } from './mschapv2-packet.js';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const u8 = fc.integer({ min: 0, max: 255 });

const eapPacket: fc.Arbitrary<EapPacket> = fc.oneof(
  fc.record({
    code: fc.constantFrom('request' as const, 'response' as const),
    identifier: u8,
    type: u8,
    data: bytes(0, 300),
  }),
  fc.record({ code: fc.constantFrom('success' as const, 'failure' as const), identifier: u8 }),
);

const text = fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x'));
const requestPacket: fc.Arbitrary<MschapV2Packet> = fc.oneof(
  fc.record({ op: fc.constant('challenge' as const), mschapv2Id: u8, challenge: bytes(16, 16), name: bytes(0, 40) }),
  fc.record({
    op: fc.constantFrom('success-request' as const, 'failure-request' as const),
    mschapv2Id: u8,
    message: text,
  }),
);
const responsePacket: fc.Arbitrary<MschapV2Packet> = fc.oneof(
  fc.record({
    op: fc.constant('response' as const),
    mschapv2Id: u8,
    peerChallenge: bytes(16, 16),
    ntResponse: bytes(24, 24),
    flags: u8,
    name: bytes(0, 40),
  }),
  fc.record({ op: fc.constant('success-response' as const) }),
  fc.record({ op: fc.constant('failure-response' as const) }),
);

const onlyWireErrors = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof WireError, `not a WireError: ${String(e)}`);
  }
};

test('EAP: decode(encode(p)) = p', () => {
  fc.assert(fc.property(eapPacket, (p) => assert.deepEqual(decodeEapPacket(encodeEapPacket(p)), { ...p })));
});

test('EAP-MSCHAPv2: decode(encode(p)) = p in both directions', () => {
  fc.assert(fc.property(requestPacket, (p) => assert.deepEqual(decodeMschapV2(encodeMschapV2(p), true), { ...p })));
  fc.assert(fc.property(responsePacket, (p) => assert.deepEqual(decodeMschapV2(encodeMschapV2(p), false), { ...p })));
});

test('random bytes: only WireError', () => {
  fc.assert(
    fc.property(bytes(0, 120), fc.boolean(), (b, isRequest) => {
      onlyWireErrors(() => decodeEapPacket(b));
      onlyWireErrors(() => decodeMschapV2(b, isRequest));
    }),
  );
});

test('mutated valid packets: only WireError', () => {
  fc.assert(
    fc.property(responsePacket, fc.nat(), u8, (p, at, v) => {
      const eap = encodeEapPacket({ code: 'response', identifier: 1, type: 26, data: encodeMschapV2(p) });
      const m = eap.slice();
      m[at % m.length] = v;
      onlyWireErrors(() => {
        const d = decodeEapPacket(m);
        if (d.code === 'response') decodeMschapV2(d.data, false);
      });
      // cut short anywhere
      onlyWireErrors(() => decodeEapPacket(eap.subarray(0, at % eap.length)));
    }),
  );
});
