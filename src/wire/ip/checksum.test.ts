import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex } from '../../util/hex.js';
import {
  checksumAdjust,
  internetChecksum,
  onesComplementSum,
  pseudoHeaderSum,
  tcpChecksum,
  udpChecksum,
} from './checksum.js';

test('RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d', () => {
  const data = fromHex('0001 f203 f4f5 f6f7');
  assert.equal(onesComplementSum([data]), 0xddf2);
  assert.equal(internetChecksum([data]), 0x220d);
  // RFC 1071 §2(B): the sum is over the concatenation, whatever the split (odd parts here).
  assert.equal(onesComplementSum([data.subarray(0, 3), data.subarray(3, 4), data.subarray(4)]), 0xddf2);
  // an odd trailing byte is padded with a zero byte on the right (RFC 1071 §4.1 C code)
  assert.equal(onesComplementSum([fromHex('0001 f2')]), 0xf201);
});

test('RFC 1624 §4 example: m 0x5555 -> 0x3285 with HC 0xDD2F gives 0x0000 (Eqn. 3), not 0xFFFF', () => {
  // RFC 1624 §4: the other header words sum to 0xCD7A, so HC = ~(0xCD7A + 0x5555) = 0xDD2F and
  // the recomputed HC' = ~(0xCD7A + 0x3285) = 0x0000.
  assert.equal(internetChecksum([fromHex('cd7a 5555')]), 0xdd2f);
  assert.equal(checksumAdjust(0xdd2f, fromHex('5555'), fromHex('3285')), 0x0000);
  assert.equal(internetChecksum([fromHex('cd7a 3285')]), 0x0000);
  // RFC 1624 erratum 4782: unchanged data leaves HC = 0 as 0 (the operations cancel)
  assert.equal(checksumAdjust(0x0000, fromHex('5555'), fromHex('5555')), 0x0000);
});

// Fixtures made offline with python3-scapy 2.5 (`raw(IP(...)/UDP(...)/Raw(...))`):
//   IP(src="10.1.2.3", dst="192.0.2.1", id=0x1234, ttl=64)/UDP(sport=4500, dport=4500)/Raw(b"esprit-udp!")
const V4_UDP = fromHex(
  '4500 0027 1234 0000 4011 9a8d' + // ver/ihl tos len=39 id flags ttl=64 proto=17 hdr-cksum=9a8d
    '0a01 0203 c000 0201' + // 10.1.2.3 -> 192.0.2.1
    '1194 1194 0013 1c5b' + // sport 4500 dport 4500 len 19 cksum 1c5b
    '6573 7072 6974 2d75 6470 21', // "esprit-udp!"
);

test('IPv4 header checksum matches scapy (9a8d) and a whole correct header sums to 0', () => {
  const hdr = V4_UDP.slice(0, 20);
  assert.equal(internetChecksum([hdr]), 0);
  hdr[10] = 0;
  hdr[11] = 0;
  assert.equal(internetChecksum([hdr]), 0x9a8d);
});

test('udpChecksum/tcpChecksum match scapy for IPv4 and IPv6 (pseudo-headers RFC 768, RFC 8200 §8.1)', () => {
  assert.equal(udpChecksum(V4_UDP.subarray(12, 16), V4_UDP.subarray(16, 20), V4_UDP.subarray(20)), 0x1c5b);
  // scapy: IP(src=10.1.2.3,dst=192.0.2.1,id=7,ttl=63,flags=DF)/TCP(sport=40000,dport=80,seq=1,flags=S,window=65535)/b"hello"
  const tcp = fromHex('9c40 0050 0000 0001 0000 0000 5002 ffff 0175 0000 6865 6c6c 6f');
  assert.equal(tcpChecksum(fromHex('0a010203'), fromHex('c0000201'), tcp), 0x0175);
  // scapy: IPv6(src=2001:db8::1, dst=2001:db8:1::2)/UDP(4500,4500)/b"esprit-udp!" -> 8eea
  const s6 = fromHex('20010db8000000000000000000000001');
  const d6 = fromHex('20010db8000100000000000000000002');
  assert.equal(udpChecksum(s6, d6, fromHex('1194 1194 0013 8eea 6573707269742d75647021')), 0x8eea);
  // scapy: IPv6(...)/TCP(sport=40000,dport=443,seq=0x01020304,flags=PA,window=512)/b"xyz" -> bdd8
  assert.equal(tcpChecksum(s6, d6, fromHex('9c40 01bb 01020304 00000000 5018 0200 bdd8 0000 78797a')), 0xbdd8);
});

test('a computed UDP checksum of 0 is sent as 0xFFFF (RFC 768)', () => {
  // Pick the payload word so the total sums to 0xFFFF: pseudo(10.0.0.1,10.0.0.2,17,10) + header words.
  const src = fromHex('0a000001');
  const dst = fromHex('0a000002');
  const seg = fromHex('0001 0002 000a 0000 0000');
  const partial = onesComplementSum([seg], pseudoHeaderSum(src, dst, 17, seg.length));
  const w = ~partial & 0xffff;
  seg[8] = w >> 8;
  seg[9] = w & 0xff;
  assert.equal(udpChecksum(src, dst, seg), 0xffff);
});

test('property: checksumAdjust equals recomputation after replacing aligned words', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 2, maxLength: 64 }),
      fc.nat(),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 1, max: 8 }),
      (data0, at0, repl, words) => {
        const data = data0.length % 2 ? data0.subarray(1) : data0;
        if (data.length < 2) return;
        const n = Math.min(words * 2, data.length);
        const at = ((at0 % (data.length - n + 1)) >> 1) << 1;
        const before = internetChecksum([data]);
        const removed = data.slice(at, at + n);
        const added = repl.subarray(0, n);
        const after = data.slice();
        after.set(added, at);
        if (after.every((b) => b === 0)) return; // +0/-0: an all-zero block has no sum to track
        assert.equal(checksumAdjust(before, removed, added), internetChecksum([after]));
      },
    ),
    { numRuns: 400 },
  );
});
