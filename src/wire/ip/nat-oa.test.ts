import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex } from '../../util/hex.js';
import { tcpChecksum, udpChecksum } from './checksum.js';
import { natOaFixupIncremental, natOaFixupRecompute } from './nat-oa.js';

const ck = (seg: Uint8Array, at: number) => ((seg[at] as number) << 8) | (seg[at + 1] as number);

// Original (NAT-OA) and received (NATed) addresses.
const V4_ORIG = { src: fromHex('0a010203'), dst: fromHex('c0000201') }; // 10.1.2.3 -> 192.0.2.1
const V4_RECV = { src: fromHex('cb007107'), dst: fromHex('c6336409') }; // 203.0.113.7 -> 198.51.100.9
const V6_ORIG = { src: fromHex('20010db8000000000000000000000001'), dst: fromHex('20010db8000100000000000000000002') };
const V6_RECV = { src: fromHex('20010db8ffff00000000000000000077'), dst: V6_ORIG.dst }; // only src NATed

// Segments and checksums made with python3-scapy over both address pairs:
//   UDP(sport=4500,dport=4500)/b"esprit-udp!"  v4: orig 1c5b, recv 841b   v6: orig 8eea, recv 8e74
//   v4 TCP(sport=40000,dport=80,seq=1,flags=S,window=65535)/b"hello": orig 0175, recv 6935
//   v6 TCP(sport=40000,dport=443,seq=0x01020304,flags=PA,window=512)/b"xyz": orig bdd8, recv bd62
const cases = [
  {
    name: 'IPv4 UDP',
    proto: 17,
    at: 6,
    seg: '1194 1194 0013 1c5b 6573707269742d75647021', // sport dport len cksum "esprit-udp!"
    orig: V4_ORIG,
    recv: V4_RECV,
    want: 0x841b,
  },
  {
    name: 'IPv4 TCP',
    proto: 6,
    at: 16,
    // sport 40000 dport 80 seq 1 ack 0 off 5 SYN win 65535 cksum 0175 urg 0 "hello"
    seg: '9c40 0050 00000001 00000000 5002 ffff 0175 0000 68656c6c6f',
    orig: V4_ORIG,
    recv: V4_RECV,
    want: 0x6935,
  },
  {
    name: 'IPv6 UDP',
    proto: 17,
    at: 6,
    seg: '1194 1194 0013 8eea 6573707269742d75647021',
    orig: V6_ORIG,
    recv: V6_RECV,
    want: 0x8e74,
  },
  {
    name: 'IPv6 TCP',
    proto: 6,
    at: 16,
    seg: '9c40 01bb 01020304 00000000 5018 0200 bdd8 0000 78797a',
    orig: V6_ORIG,
    recv: V6_RECV,
    want: 0xbd62,
  },
];

for (const c of cases) {
  test(`RFC 3948 §3.1.2 fix-up, ${c.name}: both methods give scapy's checksum; the reverse restores the original`, () => {
    const original = ck(fromHex(c.seg), c.at);
    const inc = fromHex(c.seg);
    assert.equal(natOaFixupIncremental(c.proto, inc, c.recv, c.orig), 'fixed');
    assert.equal(ck(inc, c.at), c.want);
    const rec = fromHex(c.seg);
    assert.equal(natOaFixupRecompute(c.proto, rec, c.recv), 'fixed');
    assert.equal(ck(rec, c.at), c.want);
    // Fix back: the NATed packet, seen with the original addresses, recovers the original checksum.
    assert.equal(natOaFixupIncremental(c.proto, inc, c.orig, c.recv), 'fixed');
    assert.equal(ck(inc, c.at), original);
    assert.equal(natOaFixupRecompute(c.proto, rec, c.orig), 'fixed');
    assert.equal(ck(rec, c.at), original);
  });
}

test('equal addresses cancel: the checksum is unchanged (RFC 3948 §3.1.2)', () => {
  const seg = fromHex(cases[0]?.seg ?? '');
  assert.equal(natOaFixupIncremental(17, seg, V4_ORIG, V4_ORIG), 'fixed');
  assert.equal(ck(seg, 6), 0x1c5b);
  assert.equal(natOaFixupIncremental(17, seg, V4_ORIG, {}), 'fixed');
  assert.equal(ck(seg, 6), 0x1c5b);
});

test('UDP checksum 0: left 0 over IPv4 by both methods; over IPv6 incremental leaves it, recompute computes it', () => {
  const zero = '1194 1194 0013 0000 6573707269742d75647021';
  const a = fromHex(zero);
  assert.equal(natOaFixupIncremental(17, a, V4_RECV, V4_ORIG), 'no-checksum');
  assert.equal(natOaFixupRecompute(17, a, V4_RECV), 'no-checksum');
  assert.equal(ck(a, 6), 0);
  const b = fromHex(zero);
  assert.equal(natOaFixupIncremental(17, b, V6_RECV, V6_ORIG), 'no-checksum');
  assert.equal(ck(b, 6), 0);
  assert.equal(natOaFixupRecompute(17, b, V6_RECV), 'fixed');
  assert.equal(ck(b, 6), 0x8e74);
});

test('short segments, other protocols and mixed address families are reported, not thrown', () => {
  assert.equal(natOaFixupIncremental(17, new Uint8Array(7), V4_RECV, V4_ORIG), 'truncated');
  assert.equal(natOaFixupRecompute(6, new Uint8Array(19), V4_RECV), 'truncated');
  assert.equal(natOaFixupIncremental(1, new Uint8Array(8), V4_RECV, V4_ORIG), 'not-tcp-udp');
  assert.equal(natOaFixupIncremental(17, fromHex(cases[0]?.seg ?? ''), V4_RECV, { src: V6_ORIG.src }), 'bad-address');
  assert.equal(
    natOaFixupRecompute(17, fromHex(cases[0]?.seg ?? ''), { src: V4_RECV.src, dst: V6_RECV.dst }),
    'bad-address',
  );
});

test('property: incremental == recompute for random addresses and payloads (v4 and v6, TCP and UDP)', () => {
  const addrs = (n: number) =>
    fc.record({
      src: fc.uint8Array({ minLength: n, maxLength: n }),
      dst: fc.uint8Array({ minLength: n, maxLength: n }),
    });
  const arb = fc.oneof(fc.tuple(addrs(4), addrs(4)), fc.tuple(addrs(16), addrs(16)));
  fc.assert(
    fc.property(
      arb,
      fc.boolean(),
      fc.boolean(),
      fc.uint8Array({ minLength: 20, maxLength: 80 }),
      ([orig, recv], isUdp, keepDst, body) => {
        const received = keepDst ? { src: recv.src, dst: orig.dst } : recv;
        const seg = body.slice();
        const at = isUdp ? 6 : 16;
        if (isUdp) {
          seg[4] = seg.length >> 8;
          seg[5] = seg.length & 0xff;
        }
        const c0 = isUdp ? udpChecksum(orig.src, orig.dst, seg) : tcpChecksum(orig.src, orig.dst, seg);
        seg[at] = c0 >> 8;
        seg[at + 1] = c0 & 0xff;
        const inc = seg.slice();
        const rec = seg.slice();
        natOaFixupIncremental(isUdp ? 17 : 6, inc, received, orig);
        natOaFixupRecompute(isUdp ? 17 : 6, rec, received);
        assert.deepEqual(inc, rec);
      },
    ),
    { numRuns: 400 },
  );
});
