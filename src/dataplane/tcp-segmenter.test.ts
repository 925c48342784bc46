import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { internetChecksum, pseudoHeaderSum } from '../wire/ip/checksum.js';
import { buildIpPacket } from '../wire/ip/ip-packet.js';
import { onesSumsUnderTest } from './ones-sums-under-test.js';
import { TcpCoalescer, VNET_HDR_LEN } from './tcp-coalescer.js';
import { TcpSegmenter } from './tcp-segmenter.js';

// Expected segments are built with the wire/ip encoders and the RFC 1071 checksum of
// wire/ip/checksum.ts, as a TCP stack sending the same bytes without TSO would send them
// (RFC 793 header; the kernel's tcp_gso_segment: IDs incrementing, FIN/PSH on the last
// segment only, CWR on the first only). virtio_net_hdr fields per linux/virtio_net.h.

const A = Uint8Array.of(10, 99, 4, 1);
const B = Uint8Array.of(10, 99, 3, 1);
const A6 = Uint8Array.from([0xfd, 0x99, 0, 4, ...new Array(11).fill(0), 1]);
const B6 = Uint8Array.from([0xfd, 0x99, 0, 3, ...new Array(11).fill(0), 1]);

function tcp(o: {
  seq: number;
  flags: number;
  payload: Uint8Array;
  id: number;
  partial?: boolean;
  v6?: boolean;
}): Uint8Array {
  const src = o.v6 ? A6 : A;
  const dst = o.v6 ? B6 : B;
  const t = new Uint8Array(20 + o.payload.length);
  const v = new DataView(t.buffer);
  v.setUint16(0, 40000);
  v.setUint16(2, 5201);
  v.setUint32(4, o.seq >>> 0);
  v.setUint32(8, 4242);
  t[12] = 5 << 4;
  t[13] = o.flags;
  v.setUint16(14, 1000);
  t.set(o.payload, 20);
  const ph = pseudoHeaderSum(src, dst, 6, t.length);
  v.setUint16(16, o.partial ? ph : internetChecksum([t], ph));
  return buildIpPacket({ src, dst, protocol: 6, payload: t, id: o.id, df: true });
}

function frame(hdr: number[], pkt: Uint8Array): Uint8Array {
  const f = new Uint8Array(VNET_HDR_LEN + pkt.length);
  f.set(hdr, 0);
  f.set(pkt, VNET_HDR_LEN);
  return f;
}

function bytes(n: number, start: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start * 7 + i * 13) & 0xff);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

for (const v of onesSumsUnderTest()) {
  describe(`TCP checksums in ${v.name}`, () => {
    test('a TSO frame (gso TCPV4, gso_size 100, 250 bytes) becomes the three segments a stack would send', () => {
      const cs = v.make();
      const s = new TcpSegmenter(cs);
      const data = bytes(250, 1);
      const big = tcp({ seq: 0xfffffff0, flags: 0x10 | 0x08 | 0x80, payload: data, id: 0xfffe, partial: true });
      // NEEDS_CSUM, TCPV4, hdr_len 40, gso_size 100, csum_start 20, csum_offset 16
      const out: string[] = [];
      const n = s.split(frame([1, 1, 40, 0, 100, 0, 20, 0, 16, 0], big), (p) => out.push(hex(p)));
      assert.equal(n, 3);
      assert.deepEqual(out, [
        hex(tcp({ seq: 0xfffffff0, flags: 0x10 | 0x80, payload: data.subarray(0, 100), id: 0xfffe })),
        hex(tcp({ seq: 0x54, flags: 0x10, payload: data.subarray(100, 200), id: 0xffff })), // seq wraps
        hex(tcp({ seq: 0xb8, flags: 0x10 | 0x08, payload: data.subarray(200), id: 0 })),
      ]);
      assert.deepEqual(s.counters, { frames: 1, gsoFrames: 1, packets: 3, checksums: 0, malformed: 0 });
      // each segment's TCP checksum went through the loop under test
      assert.equal(cs.nativeCalls, v.name === 'native' ? 3 : 0);
    });

    test('TCPV6 frames are cut; a partial checksum alone is completed; a plain frame passes; garbage is counted', () => {
      const s = new TcpSegmenter(v.make());
      const data = bytes(130, 2);
      const out: string[] = [];
      const big = tcp({ v6: true, seq: 5, flags: 0x10, payload: data, id: 0, partial: true });
      assert.equal(
        s.split(frame([1, 4, 60, 0, 64, 0, 40, 0, 16, 0], big), (p) => out.push(hex(p))),
        3,
      );
      assert.deepEqual(out, [
        hex(tcp({ v6: true, seq: 5, flags: 0x10, payload: data.subarray(0, 64), id: 0 })),
        hex(tcp({ v6: true, seq: 69, flags: 0x10, payload: data.subarray(64, 128), id: 0 })),
        hex(tcp({ v6: true, seq: 133, flags: 0x10, payload: data.subarray(128), id: 0 })),
      ]);
      out.length = 0;
      const small = tcp({ seq: 9, flags: 0x18, payload: bytes(33, 3), id: 7, partial: true });
      s.split(frame([1, 0, 0, 0, 0, 0, 20, 0, 16, 0], small), (p) => out.push(hex(p)));
      assert.deepEqual(out, [hex(tcp({ seq: 9, flags: 0x18, payload: bytes(33, 3), id: 7 }))]);
      const plain = tcp({ seq: 1, flags: 0x10, payload: bytes(5, 4), id: 1 });
      out.length = 0;
      s.split(frame([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], plain), (p) => out.push(hex(p)));
      assert.deepEqual(out, [hex(plain)]);
      assert.equal(
        s.split(frame([0, 3, 0, 0, 0, 0, 0, 0, 0, 0], plain), () => assert.fail()),
        0,
        'UFO',
      );
      assert.equal(
        s.split(frame([1, 0, 0, 0, 0, 0, 200, 0, 16, 0], plain), () => assert.fail()),
        0,
        'csum_start past the end',
      );
      assert.equal(
        s.split(new Uint8Array(10), () => assert.fail()),
        0,
      );
      assert.equal(s.counters.malformed, 3);
      assert.equal(s.counters.checksums, 1);
    });

    test('property: TcpCoalescer(TcpSegmenter(frame)) gives the frame back', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3000 }),
          fc.integer({ min: 64, max: 1400 }),
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.boolean(),
          (len, mss, seq, v6) => {
            const s = new TcpSegmenter(v.make());
            const frames: Uint8Array[] = [];
            const c = new TcpCoalescer((f) => frames.push(f.slice()), v.make());
            const big = tcp({ v6, seq, flags: 0x18, payload: bytes(len, len), id: 77, partial: true });
            const hdr = [1, v6 ? 4 : 1, v6 ? 60 : 40, 0, mss & 0xff, mss >> 8, v6 ? 40 : 20, 0, 16, 0];
            const n = s.split(frame(hdr, big), (p) => {
              c.add(p.slice());
            });
            c.flush();
            assert.equal(n, Math.ceil(len / mss));
            assert.equal(frames.length, 1);
            const f = frames[0] as Uint8Array;
            // one segment leaves as a plain packet with its full checksum; a merge as the TSO frame
            const want = n > 1 ? big : tcp({ v6, seq, flags: 0x18, payload: bytes(len, len), id: 77 });
            assert.equal(hex(f.subarray(VNET_HDR_LEN)), hex(want));
            if (n > 1) assert.deepEqual([...f.subarray(0, VNET_HDR_LEN)], hdr);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}
