import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { buildIpv4Packet, decodeIpv4 } from './ipv4.js';

// python3-scapy: IP(src="10.1.2.3",dst="192.0.2.1",id=0x1234,ttl=64)/UDP(sport=4500,dport=4500)/Raw(b"esprit-udp!")
const V4_UDP =
  '4500 0027 1234 0000 4011 9a8d 0a01 0203 c000 0201' + // IPv4 header, checksum 9a8d
  '1194 1194 0013 1c5b 6573 7072 6974 2d75 6470 21'; // UDP 4500->4500 len 19 + "esprit-udp!"
// python3-scapy: IP(src="192.0.2.10",dst="192.0.2.20",id=0x4242,flags="MF",frag=0,proto=17)/(24 bytes)
const V4_FRAG_FIRST =
  '4500 002c 4242 2000 4011 9460 c000 020a c000 0214' + // flags MF, offset 0
  '1194 1194 0020 0000 4141414141414141 4141414141414141';
// python3-scapy: IP(src="192.0.2.10",dst="192.0.2.20",id=0x4242,frag=3,proto=17)/b"B"*8
const V4_FRAG_LAST = '4500 001c 4242 0003 4011 b46d c000 020a c000 0214 4242424242424242';

test('decodeIpv4 reads every field of a scapy packet', () => {
  const p = decodeIpv4(fromHex(V4_UDP));
  assert.equal(p.headerLen, 20);
  assert.equal(p.totalLength, 39);
  assert.equal(p.identification, 0x1234);
  assert.equal(p.ttl, 64);
  assert.equal(p.protocol, 17);
  assert.equal(p.headerChecksum, 0x9a8d);
  assert.equal(p.checksumOk, true);
  assert.equal(toHex(p.src), '0a010203');
  assert.equal(toHex(p.dst), 'c0000201');
  assert.equal(p.df || p.mf || p.reservedFlag, false);
  assert.equal(p.payload.length, 19);
  assert.equal(p.options.length, 0);
});

test('decodeIpv4 reports fragment fields (MF, offset in bytes) and a bad header checksum as a flag', () => {
  const a = decodeIpv4(fromHex(V4_FRAG_FIRST));
  assert.equal(a.mf, true);
  assert.equal(a.fragmentOffset, 0);
  assert.equal(a.checksumOk, true);
  const b = decodeIpv4(fromHex(V4_FRAG_LAST));
  assert.equal(b.mf, false);
  assert.equal(b.fragmentOffset, 24);
  const bad = fromHex(V4_UDP);
  bad[11] = (bad[11] as number) ^ 1;
  assert.equal(decodeIpv4(bad).checksumOk, false);
});

test('decodeIpv4 ignores bytes past Total Length (TFC padding, RFC 4303 §2.4)', () => {
  const p = decodeIpv4(fromHex(`${V4_UDP} 0000 0000`));
  assert.equal(p.payload.length, 19);
  assert.equal(p.totalLength, 39);
});

test('decodeIpv4 rejects bad version, IHL, lengths and oversize fragments with code and path', () => {
  const pkt = () => fromHex(V4_UDP);
  const v6 = pkt();
  v6[0] = 0x65;
  assert.throws(() => decodeIpv4(v6), { code: 'bad-value', path: 'ipv4.version', offset: 0 });
  const ihl = pkt();
  ihl[0] = 0x44;
  assert.throws(() => decodeIpv4(ihl), { code: 'bad-value', path: 'ipv4.ihl' });
  const shortTotal = pkt();
  shortTotal[3] = 19;
  assert.throws(() => decodeIpv4(shortTotal), { code: 'bad-value', path: 'ipv4.totalLength', offset: 2 });
  const longTotal = pkt();
  longTotal[3] = 40;
  assert.throws(() => decodeIpv4(longTotal), { code: 'truncated', path: 'ipv4.payload', offset: 20 });
  assert.throws(() => decodeIpv4(pkt().subarray(0, 19)), { code: 'truncated', path: 'ipv4.dst' });
  const opts = pkt();
  opts[0] = 0x4f; // IHL 15 = 60 bytes, longer than the 39-byte packet
  assert.throws(() => decodeIpv4(opts), { code: 'bad-value', path: 'ipv4.totalLength' });
  const pod = fromHex(V4_FRAG_LAST);
  pod[6] = 0x1f; // fragment offset 0x1fff * 8 = 65528, plus 8 data bytes > 65535 (RFC 791 §3.2)
  pod[7] = 0xff;
  assert.throws(() => decodeIpv4(pod), { code: 'bad-value', path: 'ipv4.fragment', offset: 6 });
});

test('buildIpv4Packet produces the scapy bytes', () => {
  const built = buildIpv4Packet({
    src: fromHex('0a010203'),
    dst: fromHex('c0000201'),
    protocol: 17,
    id: 0x1234,
    payload: fromHex(V4_UDP).subarray(20),
  });
  assert.equal(toHex(built), toHex(fromHex(V4_UDP)));
});

const buildArb = fc.record({
  src: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  dst: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  protocol: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 64 }),
  ttl: fc.integer({ min: 0, max: 255 }),
  tos: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 0, max: 0xffff }),
  df: fc.boolean(),
});

test('property: buildIpv4Packet -> decodeIpv4 round trip, checksum verifies', () => {
  fc.assert(
    fc.property(buildArb, (o) => {
      const p = decodeIpv4(buildIpv4Packet(o));
      assert.equal(p.checksumOk, true);
      assert.deepEqual(
        [p.src, p.dst, p.protocol, p.payload, p.ttl, p.tos, p.identification, p.df, p.mf, p.fragmentOffset],
        [o.src, o.dst, o.protocol, o.payload, o.ttl, o.tos, o.id, o.df, false, 0],
      );
    }),
    { numRuns: 300 },
  );
});

test('property: decodeIpv4 on random or mutated bytes throws only WireError', () => {
  const mutated = fc
    .tuple(buildArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
    .map(([o, edits, cut]) => {
      const b = buildIpv4Packet(o);
      for (const [at, v] of edits) b[at % b.length] = v;
      return b.subarray(0, cut % (b.length + 1));
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated), (b) => {
      try {
        decodeIpv4(b);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }),
    { numRuns: 400 },
  );
});
