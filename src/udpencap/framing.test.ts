import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../util/hex.js';
import { espPrefix, frameEsp, frameIke, ikeNeedsMarker, keepalivePayload } from './framing.js';

const ESP = fromHex('12345678 00000001 deadbeef'); // SPI, Seq, data

test('espPrefix: none for rfc3948 and cisco-udp, the 8-byte Non-IKE Marker for udp-encaps-00', () => {
  assert.equal(toHex(espPrefix('rfc3948')), '');
  assert.equal(toHex(espPrefix('cisco-udp')), '');
  assert.equal(toHex(espPrefix('udp-encaps-00')), '0000000000000000'); // udp-encaps-00 §2.1
});

test('frameEsp lays out the UDP payload per framing', () => {
  assert.equal(toHex(frameEsp('rfc3948', ESP)), '1234567800000001deadbeef'); // RFC 3948 §2.1
  assert.equal(toHex(frameEsp('cisco-udp', ESP)), '1234567800000001deadbeef');
  assert.equal(toHex(frameEsp('udp-encaps-00', ESP)), '00000000000000001234567800000001deadbeef');
});

test('frameEsp into a caller buffer, including ESP already placed after the prefix', () => {
  const buf = new Uint8Array(32).fill(0xee);
  buf.set(ESP, 8);
  const out = frameEsp('udp-encaps-00', buf.subarray(8, 8 + ESP.length), buf);
  assert.equal(out.buffer, buf.buffer);
  assert.equal(toHex(out), '00000000000000001234567800000001deadbeef');
  const small = new Uint8Array(10);
  assert.throws(() => frameEsp('udp-encaps-00', ESP, small), /need 20/);
  // overlapping source at offset 0: the copy still moves it right by 8
  const b2 = new Uint8Array(32);
  b2.set(ESP, 0);
  assert.equal(
    toHex(frameEsp('udp-encaps-00', b2.subarray(0, ESP.length), b2)),
    '00000000000000001234567800000001deadbeef',
  );
});

test('frameIke: Non-ESP Marker iff rfc3948 and neither port is 500 (RFC 3948 §2.2, strongSwan sender.c)', () => {
  const ike = fromHex('5f54f3e8d4c1a2b3');
  assert.equal(toHex(frameIke('rfc3948', { sport: 4500, dport: 4500 }, ike)), '000000005f54f3e8d4c1a2b3');
  assert.equal(toHex(frameIke('rfc3948', { sport: 4500, dport: 31001 }, ike)), '000000005f54f3e8d4c1a2b3');
  assert.equal(toHex(frameIke('rfc3948', { sport: 500, dport: 4500 }, ike)), '5f54f3e8d4c1a2b3');
  assert.equal(toHex(frameIke('rfc3948', { sport: 4500, dport: 500 }, ike)), '5f54f3e8d4c1a2b3');
  assert.equal(toHex(frameIke('udp-encaps-00', { sport: 500, dport: 500 }, ike)), '5f54f3e8d4c1a2b3');
  assert.equal(ikeNeedsMarker('udp-encaps-00', { sport: 4500, dport: 4500 }), false);
  assert.equal(ikeNeedsMarker('cisco-udp', { sport: 10000, dport: 10000 }), false);
});

test('keepalivePayload: FF (RFC 3948 §2.3) or vpnc 00 00 00 00 FF, fresh each call', () => {
  assert.equal(toHex(keepalivePayload('ff')), 'ff');
  assert.equal(toHex(keepalivePayload('00000000ff')), '00000000ff');
  const a = keepalivePayload('ff');
  a[0] = 0;
  assert.equal(toHex(keepalivePayload('ff')), 'ff');
});
