/**
 * NAT detection hashes against strongSwan 5.9.8: the IKE_SA_INIT exchange of
 * ../shared/lab/captures/ikev2-natt.pcap (frames 1 and 2, client 10.99.1.2:500 behind the
 * lab NAT that maps it to 10.99.2.1:25, gateway 10.99.2.2:500). Values read with
 *   tshark -r ikev2-natt.pcap -Y 'frame.number<=2' -T fields -e isakmp.ispi -e isakmp.rspi \
 *     -e isakmp.notify.msgtype -e isakmp.notify.data
 * The DESTINATION hashes are strongSwan's over the real destination. Its SOURCE hashes match no
 * real address: charon with kernel-libipsec (which needs UDP encapsulation) fakes them like
 * `encap = yes` does (random IPv4 address, port 0), so both sides see the other "behind a NAT".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { natdHash } from '../crypto/natd-hash.js';
import { fromHex } from '../util/hex.js';
import { buildNatd, judgeNatd } from './natd.js';

const spiI = 0x86a80d340bd75dedn;
const spiR = 0x3f8436c1794f2872n;
const v4 = (s: string) => new Uint8Array(s.split('.').map(Number));
const client = { address: v4('10.99.1.2'), port: 500 };
const natOutside = { address: v4('10.99.2.1'), port: 25 };
const gw = { address: v4('10.99.2.2'), port: 500 };
const reqSrc = fromHex('8d25294c27de90cc86d627d39cd8856d467b844f');
const reqDst = fromHex('7607817ce09812f7816a5bbc31ecec83d569bc6f');
const rspSrc = fromHex('53f6ae40d15aa27b877bac7ed8f5015e05fd61a6');
const rspDst = fromHex('a98a5cc0c1918631cb9c997a7571a74deed38cbd');

test("NATD_D_IP of the request equals strongSwan's (SPIr zero, gateway 10.99.2.2:500)", () => {
  assert.deepEqual(natdHash(spiI, 0n, gw.address, gw.port), reqDst);
});

test("NATD_D_IP of the response equals strongSwan's (the NAT's outside 10.99.2.1:25)", () => {
  assert.deepEqual(natdHash(spiI, spiR, natOutside.address, natOutside.port), rspDst);
  assert.deepEqual(buildNatd(spiI, spiR, gw, natOutside).destination, rspDst);
});

test('gateway judging the captured request: peer behind a NAT, gateway not', () => {
  const r = judgeNatd(spiI, 0n, gw, natOutside, [reqSrc], reqDst);
  assert.deepEqual(r, { supported: true, localBehindNat: false, remoteBehindNat: true });
});

test('client judging the captured response: client behind the NAT (and the faked source)', () => {
  const r = judgeNatd(spiI, spiR, client, gw, [rspSrc], rspDst);
  assert.equal(r.localBehindNat, true);
  assert.equal(r.remoteBehindNat, true);
});

test('no NAT: both hashes match; several source hashes, one matching, suffice', () => {
  const a = { address: v4('192.0.2.1'), port: 500 };
  const b = { address: v4('192.0.2.2'), port: 500 };
  const sent = buildNatd(1n, 2n, a, b);
  const other = natdHash(1n, 2n, v4('198.51.100.1'), 500);
  assert.deepEqual(judgeNatd(1n, 2n, b, a, [other, sent.source], sent.destination), {
    supported: true,
    localBehindNat: false,
    remoteBehindNat: false,
  });
});

test('force-encap: the source hash is over the fake address and port 0', () => {
  const a = { address: v4('192.0.2.1'), port: 500 };
  const b = { address: v4('192.0.2.2'), port: 500 };
  const fake = v4('203.0.113.77');
  const sent = buildNatd(1n, 2n, a, b, fake);
  assert.deepEqual(sent.source, natdHash(1n, 2n, fake, 0));
  assert.equal(judgeNatd(1n, 2n, b, a, [sent.source], sent.destination).remoteBehindNat, true);
});

test('missing notifies: NAT-T not supported, no NAT assumed', () => {
  assert.deepEqual(judgeNatd(1n, 2n, gw, client, [], reqDst), {
    supported: false,
    localBehindNat: false,
    remoteBehindNat: false,
  });
  assert.equal(judgeNatd(1n, 2n, gw, client, [reqSrc], undefined).supported, false);
});

test('IPv6 addresses hash 16 bytes (input length 8+8+16+2)', () => {
  const a = new Uint8Array(16);
  a[0] = 0xfd;
  a[15] = 2;
  // independent: python3 -c "import hashlib;print(hashlib.sha1(bytes(16)+b'\xfd'+bytes(14)+b'\x02'+b'\x11\x94').hexdigest())"
  assert.deepEqual(natdHash(0n, 0n, a, 4500), fromHex('51db68a5b3ad8114ad8290682971513c0d3457b8'));
});
