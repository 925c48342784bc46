import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { udpChecksum } from './checksum.js';
import { buildIpv6Packet, decodeIpv6 } from './ipv6.js';

// python3-scapy: IPv6(src="2001:db8::1",dst="2001:db8:1::2",hlim=64)/UDP(sport=4500,dport=4500)/Raw(b"esprit-udp!")
const V6_UDP =
  '6000 0000 0013 11 40' + // ver 6, tc 0, flow 0, payload len 19, nh UDP, hlim 64
  '20010db8000000000000000000000001 20010db8000100000000000000000002' +
  '1194 1194 0013 8eea 6573707269742d75647021';
// python3-scapy: IPv6(src="2001:db8::1",dst="2001:db8::2",hlim=9,tc=0xb8,fl=0x12345)/IPv6ExtHdrHopByHop()
//   /IPv6ExtHdrRouting(addresses=["2001:db8::3"])/IPv6ExtHdrDestOpt()/IPv6ExtHdrFragment(offset=0,m=1,id=0xabcdef01)
//   /UDP(sport=53,dport=5353)/Raw(b"ext")
const V6_EXT =
  '6b81 2345 003b 00 09' + // tc 0xb8 flow 0x12345, payload len 59, nh Hop-by-Hop, hlim 9
  '20010db8000000000000000000000001 20010db8000000000000000000000002' +
  '2b 00 0104 00000000' + // Hop-by-Hop: nh Routing, len 0 (8 bytes), PadN
  '3c 02 00 01 00000000 20010db8000000000000000000000003' + // Routing: nh DestOpts, len 2 (24 B), type 0, segleft 1
  '2c 00 0104 00000000' + // Destination Options: nh Fragment, PadN
  '11 00 0001 abcdef01' + // Fragment: nh UDP, offset 0, M=1, id abcdef01
  '0035 14e9 000b b5cb 657874'; // UDP 53->5353 len 11 cksum b5cb "ext"

test('decodeIpv6 reads the fixed header of a scapy packet', () => {
  const p = decodeIpv6(fromHex(V6_UDP));
  assert.equal(p.payloadLength, 19);
  assert.equal(p.nextHeader, 17);
  assert.equal(p.protocol, 17);
  assert.equal(p.headerLen, 40);
  assert.equal(p.hopLimit, 64);
  assert.equal(p.totalLength, 59);
  assert.equal(p.fragment, undefined);
  assert.equal(p.extensions.length, 0);
  assert.equal(toHex(p.payload.subarray(0, 4)), '11941194');
});

test('decodeIpv6 walks Hop-by-Hop, Routing, Destination Options and Fragment to UDP', () => {
  const pkt = fromHex(V6_EXT);
  const p = decodeIpv6(pkt);
  assert.equal(p.trafficClass, 0xb8);
  assert.equal(p.flowLabel, 0x12345);
  assert.deepEqual(
    p.extensions.map((e) => [e.type, e.offset, e.length]),
    [
      [0, 40, 8],
      [43, 48, 24],
      [60, 72, 8],
      [44, 80, 8],
    ],
  );
  assert.deepEqual(p.fragment, { offset: 0, more: true, identification: 0xabcdef01 });
  assert.equal(p.protocol, 17);
  assert.equal(p.headerLen, 88);
  assert.equal(p.payload.length, 11);
  // RFC 8200 §8.1: with a Routing header the pseudo-header uses the final destination (::3).
  const finalDst = fromHex('20010db8000000000000000000000003');
  assert.equal(udpChecksum(p.src, finalDst, p.payload), 0xb5cb);
});

test('a non-first fragment ends the chain at its Fragment header (RFC 8200 §4.5)', () => {
  const pkt = fromHex(V6_EXT);
  pkt[82] = 0x00; // fragment offset field 0x0008 -> offset 8 bytes, M=0
  pkt[83] = 0x08;
  const p = decodeIpv6(pkt);
  assert.deepEqual(p.fragment, { offset: 8, more: false, identification: 0xabcdef01 });
  assert.equal(p.protocol, 17);
  assert.equal(p.headerLen, 88);
});

test('decodeIpv6 rejects malformed packets with code and path', () => {
  const pkt = () => fromHex(V6_EXT);
  const v4 = pkt();
  v4[0] = 0x4b;
  assert.throws(() => decodeIpv6(v4), { code: 'bad-value', path: 'ipv6.version', offset: 0 });
  assert.throws(() => decodeIpv6(pkt().subarray(0, 39)), { code: 'truncated', path: 'ipv6.dst' });
  assert.throws(() => decodeIpv6(pkt().subarray(0, 98)), { code: 'truncated', path: 'ipv6.payload', offset: 40 });
  const hbhLate = pkt();
  hbhLate[48] = 0; // Routing's Next Header -> Hop-by-Hop (only allowed first, RFC 8200 §4.1)
  assert.throws(() => decodeIpv6(hbhLate), { code: 'bad-value', path: 'ipv6.ext[2]', offset: 72 });
  const longExt = pkt();
  longExt[49] = 9; // Routing Hdr Ext Len 9 -> 80 bytes, past the payload
  assert.throws(() => decodeIpv6(longExt), { code: 'truncated', path: 'ipv6.ext[1]', offset: 48 });
  const jumbo = pkt();
  jumbo[4] = 0;
  jumbo[5] = 0;
  assert.throws(() => decodeIpv6(jumbo), { code: 'unsupported', path: 'ipv6.payloadLength' });
  const cut = pkt();
  cut[5] = 4; // payload length 4: the Hop-by-Hop header (8 bytes) does not fit
  assert.throws(() => decodeIpv6(cut), { code: 'truncated', path: 'ipv6.ext[0]', offset: 40 });
});

test('buildIpv6Packet produces the scapy bytes', () => {
  const ref = fromHex(V6_EXT);
  const built = buildIpv6Packet({
    src: ref.subarray(8, 24),
    dst: ref.subarray(24, 40),
    nextHeader: 0,
    payload: ref.subarray(40),
    hopLimit: 9,
    trafficClass: 0xb8,
    flowLabel: 0x12345,
  });
  assert.equal(toHex(built), toHex(ref));
});

const a16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const buildArb = fc.record({
  src: a16,
  dst: a16,
  nextHeader: fc.constantFrom(6, 17, 50, 58, 59),
  payload: fc.uint8Array({ maxLength: 64 }),
  hopLimit: fc.integer({ min: 0, max: 255 }),
  trafficClass: fc.integer({ min: 0, max: 255 }),
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
});

test('property: buildIpv6Packet -> decodeIpv6 round trip', () => {
  fc.assert(
    fc.property(buildArb, (o) => {
      const p = decodeIpv6(buildIpv6Packet(o));
      assert.deepEqual(
        [p.src, p.dst, p.protocol, p.payload, p.hopLimit, p.trafficClass, p.flowLabel],
        [o.src, o.dst, o.nextHeader, o.payload, o.hopLimit, o.trafficClass, o.flowLabel],
      );
    }),
    { numRuns: 300 },
  );
});

test('property: decodeIpv6 on random or mutated bytes throws only WireError', () => {
  const mutated = fc
    .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
    .map(([edits, cut]) => {
      const b = fromHex(V6_EXT);
      for (const [at, v] of edits) b[at % b.length] = v;
      return b.subarray(0, cut % (b.length + 1));
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutated), (b) => {
      try {
        decodeIpv6(b);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }),
    { numRuns: 400 },
  );
});
