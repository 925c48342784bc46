/**
 * EAP (RFC 3748 §4, §5) and EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02 §2) codecs
 * against hand-built hex: each packet below is written field by field from the RFC/draft
 * diagrams, decoded, checked field by field, and re-encoded to the same octets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEapPacket, decodeNak, EapType, eapShortText, encodeEapPacket, identityText } from './eap-packet.js';
import { decodeMschapV2, encodeMschapV2, messageFields } from './mschapv2-packet.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/[\s|]+/g, ''), 'hex'));
const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex');
const seq = (n: number, from = 0): string =>
  Array.from({ length: n }, (_, i) => (from + i).toString(16).padStart(2, '0')).join('');

test('EAP Identity request: Code 1, Id 5, Length 5, Type 1, no data', () => {
  const b = hex('01 05 0005 01');
  const p = decodeEapPacket(b);
  assert.deepEqual(p, { code: 'request', identifier: 5, type: EapType.Identity, data: new Uint8Array(0) });
  assert.deepEqual(encodeEapPacket(p), b);
});

test('EAP Identity response "alice"', () => {
  const b = hex(`02 05 000a 01 ${ascii('alice')}`);
  const p = decodeEapPacket(b);
  assert.equal(p.code, 'response');
  assert.ok(p.code === 'response');
  assert.equal(identityText(p.data), 'alice');
  assert.deepEqual(encodeEapPacket(p), b);
});

test('EAP Success and Failure are 4 octets; link padding after Length is ignored (§4.1)', () => {
  assert.deepEqual(decodeEapPacket(hex('03 07 0004')), { code: 'success', identifier: 7 });
  assert.deepEqual(decodeEapPacket(hex('04 08 0004')), { code: 'failure', identifier: 8 });
  assert.deepEqual(encodeEapPacket({ code: 'failure', identifier: 8 }), hex('04 08 0004'));
  assert.deepEqual(decodeEapPacket(hex('03 07 0004 0000')), { code: 'success', identifier: 7 });
  const padded = decodeEapPacket(hex(`02 05 000a 01 ${ascii('alice')} ff ff`));
  assert.ok(padded.code === 'response' && identityText(padded.data) === 'alice');
});

test('EAP Nak with desired type 26', () => {
  const p = decodeEapPacket(hex('02 06 0006 03 1a'));
  assert.ok(p.code === 'response' && p.type === EapType.Nak);
  assert.deepEqual(decodeNak(p.data), [26]);
  assert.throws(() => decodeNak(new Uint8Array(0)), { code: 'bad-value', path: 'EAP.Nak.types' });
});

test('malformed EAP packets: typed errors with field path and offset', () => {
  assert.throws(() => decodeEapPacket(hex('05 01 0004')), { code: 'bad-value', path: 'EAP.code', offset: 0 });
  assert.throws(() => decodeEapPacket(hex('01 01 0003')), { code: 'bad-value', path: 'EAP.length', offset: 2 });
  assert.throws(() => decodeEapPacket(hex('03 01 0005 00')), { code: 'bad-value', path: 'EAP.length', offset: 2 });
  assert.throws(() => decodeEapPacket(hex('01 05 0010 01')), { code: 'truncated', path: 'EAP.length', offset: 2 });
  assert.throws(() => decodeEapPacket(hex('01 01 0004')), { code: 'truncated', path: 'EAP.data.type', offset: 4 });
  assert.throws(() => decodeEapPacket(hex('01 01')), { code: 'truncated', path: 'EAP.length', offset: 2 });
  // an absolute base offset (the EAP payload inside an IKE message) moves the offsets
  assert.throws(() => decodeEapPacket(hex('01 05 0010 01'), 'IKE_AUTH.EAP', 100), {
    code: 'truncated',
    path: 'IKE_AUTH.EAP.length',
    offset: 102,
  });
});

// Challenge: OpCode 1, MS-CHAPv2-ID 2, MS-Length 27, Value-Size 16, 16 challenge octets, Name "esprit"
const challengeHex = `01 02 001b 10 ${seq(16)} ${ascii('esprit')}`;

test('EAP-MSCHAPv2 Challenge inside an EAP Request', () => {
  const eap = hex(`01 02 0020 1a ${challengeHex}`);
  const p = decodeEapPacket(eap);
  assert.ok(p.code === 'request' && p.type === EapType.MSCHAPv2);
  const m = decodeMschapV2(p.data, true);
  assert.ok(m.op === 'challenge');
  assert.equal(m.mschapv2Id, 2);
  assert.deepEqual(m.challenge, hex(seq(16)));
  assert.equal(Buffer.from(m.name).toString(), 'esprit');
  assert.deepEqual(encodeMschapV2(m), hex(challengeHex));
});

// Response: OpCode 2, ID 2, MS-Length 58, Value-Size 49, Peer-Challenge, 8 zero, NT-Response, Flags 0, Name "User"
const responseHex = `02 02 003a 31 ${seq(16, 0x20)} ${'00'.repeat(8)} ${seq(24, 0x40)} 00 ${ascii('User')}`;

test('EAP-MSCHAPv2 Response', () => {
  const m = decodeMschapV2(hex(responseHex), false);
  assert.ok(m.op === 'response');
  assert.deepEqual(m.peerChallenge, hex(seq(16, 0x20)));
  assert.deepEqual(m.ntResponse, hex(seq(24, 0x40)));
  assert.equal(m.flags, 0);
  assert.equal(Buffer.from(m.name).toString(), 'User');
  assert.deepEqual(encodeMschapV2(m), hex(responseHex));
});

test('EAP-MSCHAPv2 Success request with S= and M=, and the one-octet Success/Failure responses', () => {
  const msg = 'S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome to esprit';
  const b = hex(`03 03 ${(4 + msg.length).toString(16).padStart(4, '0')} ${ascii(msg)}`);
  const m = decodeMschapV2(b, true);
  assert.deepEqual(m, { op: 'success-request', mschapv2Id: 3, message: msg });
  assert.deepEqual(encodeMschapV2(m), b);
  const f = messageFields(msg);
  assert.equal(f.get('S'), '407A5589115FD0D6209F510FE9C04566932CDA56');
  assert.equal(f.get('M'), 'Welcome to esprit');
  assert.deepEqual(decodeMschapV2(hex('03'), false), { op: 'success-response' });
  assert.deepEqual(decodeMschapV2(hex('04'), false), { op: 'failure-response' });
  assert.deepEqual(encodeMschapV2({ op: 'success-response' }), hex('03'));
});

test('EAP-MSCHAPv2 Failure request fields (RFC 2759 §6)', () => {
  const msg = `E=691 R=0 C=${'AB'.repeat(16)} V=3 M=Authentication failed`;
  const m = decodeMschapV2(hex(`04 04 ${(4 + msg.length).toString(16).padStart(4, '0')} ${ascii(msg)}`), true);
  assert.ok(m.op === 'failure-request');
  const f = messageFields(m.message);
  assert.equal(f.get('E'), '691');
  assert.equal(f.get('R'), '0');
  assert.equal(f.get('C'), 'AB'.repeat(16));
  assert.equal(f.get('V'), '3');
  assert.equal(f.get('M'), 'Authentication failed');
});

test('malformed EAP-MSCHAPv2: typed errors naming the field', () => {
  const P = 'EAP.MSCHAPv2';
  // MS-Length 26 where 27 octets follow
  assert.throws(() => decodeMschapV2(hex(challengeHex.replace('001b', '001a')), true), {
    code: 'bad-value',
    path: `${P}.ms_length`,
    offset: 2,
  });
  assert.throws(() => decodeMschapV2(hex(`01 02 000d 08 ${seq(8)}`), true), {
    code: 'bad-value',
    path: `${P}.value_size`,
    offset: 4,
  });
  assert.throws(() => decodeMschapV2(hex(responseHex.replace('00'.repeat(8), `01${'00'.repeat(7)}`)), false), {
    code: 'bad-value',
    path: `${P}.reserved`,
    offset: 21,
  });
  // a Response OpCode in a Request, a Challenge in a Response
  assert.throws(() => decodeMschapV2(hex(responseHex), true), { code: 'bad-value', path: `${P}.opcode`, offset: 0 });
  assert.throws(() => decodeMschapV2(hex(challengeHex), false), { code: 'bad-value', path: `${P}.opcode` });
  // a peer's Success response is the OpCode alone
  assert.throws(() => decodeMschapV2(hex('03 00'), false), { code: 'trailing', path: P, offset: 1 });
  // a Challenge cut inside the challenge value
  assert.throws(() => decodeMschapV2(hex(`01 02 000d 10 ${seq(8)}`), true), {
    code: 'truncated',
    path: `${P}.challenge`,
    offset: 5,
  });
  assert.throws(() => decodeMschapV2(new Uint8Array(0), true), { code: 'truncated', path: `${P}.opcode` });
});

test("charon's summary notation for EAP payloads", () => {
  assert.equal(eapShortText(hex('01 05 0005 01')), 'EAP/REQ/ID');
  assert.equal(eapShortText(hex('02 05 0006 03 1a')), 'EAP/RES/NAK');
  assert.equal(eapShortText(hex(`01 02 0020 1a ${challengeHex}`)), 'EAP/REQ/MSCHAPV2');
  assert.equal(eapShortText(hex('03 07 0004')), 'EAP/SUCC');
  assert.equal(eapShortText(hex('04 07 0004')), 'EAP/FAIL');
  assert.equal(eapShortText(hex('01 05 0005 04')), 'EAP/REQ/4');
  assert.equal(eapShortText(hex('09')), 'EAP');
});
