/**
 * The Encrypted Fragment payload (RFC 7383 §2.5) and IKEV2_FRAGMENTATION_SUPPORTED (§2.3,
 * type 16430, IANA "IKEv2 Notify Message Types - Status Types") against hand-built hex laid
 * out from the RFC's diagrams:
 *
 *   SKF: Next Payload(1) | C + RESERVED(1) | Payload Length(2) | Fragment Number(2) |
 *        Total Fragments(2) | IV | Encrypted content | ICV
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WireError } from '../../util/errors.js';
import { decodeIkeMessage } from './ike-decode.js';
import { encodeSkfPrefix } from './ike-encode.js';
import { summarizeIke } from './ike-summary.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// IKE header: SPIi 0102030405060708, SPIr 1112131415161718, Next Payload 53 (SKF),
// version 2.0, IKE_AUTH (35), flags I (0x08), message ID 1, length 56.
const HDR = '0102030405060708 1112131415161718 35 20 23 08 00000001 00000038';
// SKF at 28: Next Payload 35 (IDi), length 28, fragment 1 of 3, then 20 octets IV|ct|ICV.
const BODY = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3';
const FRAG1 = hex(`${HDR} 23 00 001c 0001 0003 ${BODY}`);

test('SKF: fragment number, total, the first inner payload type, the body and where it starts', () => {
  const m = decodeIkeMessage(FRAG1);
  assert.equal(m.header.nextPayload, 53);
  assert.equal(m.payloads.length, 1);
  const f = m.payloads[0];
  assert.ok(f?.kind === 'SKF');
  assert.equal(f.fragmentNumber, 1);
  assert.equal(f.totalFragments, 3);
  assert.equal(f.firstInner, 35);
  assert.equal(f.offset, 28);
  assert.equal(toHex(f.body), BODY);
  // strongSwan's message.c names SKF "EF"; our summary adds number/total.
  assert.equal(summarizeIke(m.header, m.payloads), 'IKE_AUTH request 1 [ EF(1/3) ]');
});

test('SKF prefix: IKE header + SKF header as sent; Next Payload only in fragment 1 (§2.5)', () => {
  const h = { spiI: 0x0102030405060708n, spiR: 0x1112131415161718n, exchangeType: 35, flags: 0x08, messageId: 1 };
  assert.equal(toHex(encodeSkfPrefix(h, 35, 1, 3, 20)), toHex(FRAG1.subarray(0, 36)));
  // fragment 3 of 3: Next Payload 0, Fragment Number 3
  assert.equal(
    toHex(encodeSkfPrefix(h, 35, 3, 3, 20)),
    toHex(hex('0102030405060708 1112131415161718 35 20 23 08 00000001 00000038 00 00 001c 0003 0003')),
  );
});

test('SKF malformed: number 0, number above total, total 0, truncated header, SKF not last', () => {
  const cases: [string, string, string, number][] = [
    ['fragment number 0', `${HDR} 23 00 001c 0000 0003 ${BODY}`, 'fragment_number', 32],
    ['fragment 4 of 3', `${HDR} 23 00 001c 0004 0003 ${BODY}`, 'fragment_number', 32],
    ['total 0', `${HDR} 23 00 001c 0001 0000 ${BODY}`, 'fragment_number', 32],
  ];
  for (const [name, h, field, offset] of cases) {
    assert.throws(
      () => decodeIkeMessage(hex(h)),
      (e: unknown) => e instanceof WireError && e.code === 'bad-value' && e.path.endsWith(field) && e.offset === offset,
      name,
    );
  }
  // payload length 6: the SKF header needs 8 (Total Fragments cut off at 34)
  const short = hex('0102030405060708 1112131415161718 35 20 23 08 00000001 00000022 23 00 0006 0001');
  assert.throws(
    () => decodeIkeMessage(short),
    (e: unknown) =>
      e instanceof WireError && e.code === 'truncated' && /total_fragments/.test(e.path) && e.offset === 34,
  );
  // an SKF followed by more bytes (a payload after the encrypted one)
  const trailing = hex(
    `0102030405060708 1112131415161718 35 20 23 08 00000001 0000003c 23 00 001c 0001 0003 ${BODY} 00000000`,
  );
  assert.throws(
    () => decodeIkeMessage(trailing),
    (e: unknown) => e instanceof WireError && e.code === 'trailing' && e.offset === 56,
  );
});

test('IKEV2_FRAGMENTATION_SUPPORTED: an empty notify of type 16430 (0x402e), protocol 0, no SPI', () => {
  // HDR(IKE_SA_INIT request), N: Next 0, length 8, protocol 0, SPI size 0, type 0x402e
  const m = decodeIkeMessage(
    hex('0102030405060708 0000000000000000 29 20 22 08 00000000 00000024 00 00 0008 00 00 402e'),
  );
  const n = m.payloads[0];
  assert.ok(n?.kind === 'N');
  assert.equal(n.notifyType, 16430);
  assert.equal(n.protocolId, 0);
  assert.equal(n.spi.length, 0);
  assert.equal(n.data.length, 0);
  assert.equal(summarizeIke(m.header, m.payloads), 'IKE_SA_INIT request 0 [ N(FRAG_SUP) ]');
});
