import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { buildIpPacket, decodeIpPacket, peekIp } from './ip-packet.js';

// python3-scapy packets (see ipv4.test.ts / ipv6.test.ts for the field annotations)
const V4_UDP = '450000271234000040119a8d0a010203c0000201 1194119400131c5b6573707269742d75647021';
const V4_FRAG_LAST = '4500001c424200034011b46dc000020ac0000214 4242424242424242'; // offset 24, UDP proto
// IP(src="10.1.2.3",dst="192.0.2.1",id=7,ttl=63,flags="DF")/TCP(sport=40000,dport=80,...)/b"hello"
const V4_TCP = '4500002d000740003f066dbf0a010203c0000201 9c40005000000001000000005002ffff0175000068656c6c6f';
const V6_EXT =
  '6b812345003b000920010db800000000000000000000000120010db8000000000000000000000002' +
  '2b000104000000003c0200010000000020010db80000000000000000000000032c00010400000000' +
  '11000001abcdef01 003514e9000bb5cb657874';

test('decodeIpPacket gives the family-agnostic view for IPv4 and IPv6', () => {
  const a = decodeIpPacket(fromHex(V4_UDP));
  assert.deepEqual(
    [a.version, toHex(a.src), toHex(a.dst), a.protocol, a.headerLen, a.totalLen, a.ttl, a.tos, a.isFragment],
    [4, '0a010203', 'c0000201', 17, 20, 39, 64, 0, false],
  );
  const b = decodeIpPacket(fromHex(V6_EXT));
  assert.deepEqual(
    [b.version, b.protocol, b.headerLen, b.totalLen, b.ttl, b.tos, b.isFragment],
    [6, 17, 88, 99, 9, 0xb8, true],
  );
  assert.equal(decodeIpPacket(fromHex(V4_FRAG_LAST)).isFragment, true);
});

test('decodeIpPacket rejects empty input and unknown versions', () => {
  assert.throws(() => decodeIpPacket(new Uint8Array(0)), { code: 'truncated', path: 'ip.version' });
  assert.throws(() => decodeIpPacket(fromHex('50')), { code: 'bad-value', path: 'ip.version' });
});

test('peekIp returns addresses, protocol and ports; none on non-first fragments', () => {
  const u = peekIp(fromHex(V4_UDP));
  assert.deepEqual([u?.version, u?.protocol, u?.sport, u?.dport], [4, 17, 4500, 4500]);
  const t = peekIp(fromHex(V4_TCP));
  assert.deepEqual([t?.protocol, t?.sport, t?.dport], [6, 40000, 80]);
  const e = peekIp(fromHex(V6_EXT));
  assert.deepEqual(
    [e?.version, e?.protocol, e?.sport, e?.dport, toHex(e?.dst ?? new Uint8Array())],
    [6, 17, 53, 5353, '20010db8000000000000000000000002'],
  );
  const f = peekIp(fromHex(V4_FRAG_LAST));
  assert.deepEqual([f?.protocol, f?.sport, f?.dport], [17, undefined, undefined]);
  // ICMP echo request (type 8 code 0) from a hand-built header: 45 00 001c ... proto 1
  const icmp = buildIpPacket({
    src: fromHex('c0000201'),
    dst: fromHex('c0000202'),
    protocol: 1,
    payload: fromHex('0800f7ff00000000'),
  });
  const i = peekIp(icmp);
  assert.deepEqual([i?.protocol, i?.icmpType, i?.icmpCode, i?.sport], [1, 8, 0, undefined]);
});

test('peekIp returns undefined on malformed packets', () => {
  assert.equal(peekIp(new Uint8Array(0)), undefined);
  assert.equal(peekIp(fromHex('45000027')), undefined);
  assert.equal(peekIp(fromHex(V4_UDP).subarray(0, 30)), undefined);
  const ihl = fromHex(V4_UDP);
  ihl[0] = 0x44;
  assert.equal(peekIp(ihl), undefined);
  const hbhLate = fromHex(V6_EXT);
  hbhLate[48] = 0;
  assert.equal(peekIp(hbhLate), undefined);
});

test('buildIpPacket chooses the family by address length', () => {
  const v4 = buildIpPacket({
    src: fromHex('0a010203'),
    dst: fromHex('c0000201'),
    protocol: 17,
    id: 0x1234,
    payload: fromHex(V4_UDP).subarray(20),
  });
  assert.equal(toHex(v4), toHex(fromHex(V4_UDP)));
  const s6 = new Uint8Array(16).fill(1);
  const v6 = buildIpPacket({ src: s6, dst: s6, protocol: 59, payload: new Uint8Array(0), ttl: 3, tos: 0x10 });
  assert.equal(toHex(v6), `6100000000003b03${toHex(s6)}${toHex(s6)}`);
});

test('property: peekIp agrees with decodeIpPacket and never throws; decodeIpPacket throws only WireError', () => {
  const mutated = fc
    .tuple(
      fc.constantFrom(V4_UDP, V4_TCP, V6_EXT, V4_FRAG_LAST),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.nat(),
    )
    .map(([h, edits, cut]) => {
      const b = fromHex(h);
      for (const [at, v] of edits) b[at % b.length] = v;
      return b.subarray(0, cut % (b.length + 1));
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), mutated), (b) => {
      const peek = peekIp(b);
      let info: ReturnType<typeof decodeIpPacket> | undefined;
      try {
        info = decodeIpPacket(b);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
      if (info && peek) {
        assert.equal(peek.protocol, info.protocol);
        assert.deepEqual(peek.src, info.src);
      }
      if (info && !peek) assert.fail('peekIp refused a packet decodeIpPacket accepted');
    }),
    { numRuns: 400 },
  );
});
