import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { internetChecksum, pseudoHeaderSum } from '../wire/ip/checksum.js';
import { buildIpPacket } from '../wire/ip/ip-packet.js';
import type { OnesSum } from './ones-sum.js';
import { onesSumsUnderTest } from './ones-sums-under-test.js';
import { TcpCoalescer, VNET_HDR_LEN } from './tcp-coalescer.js';

// Inputs are built with the wire/ip encoders and the RFC 1071 checksum of wire/ip/checksum.ts
// (independent of the coalescer's own sums). A merged frame is compared with the one big
// segment a sender would have sent for the same bytes (RFC 793 header), whose checksum field
// holds the pseudo-header sum (CHECKSUM_PARTIAL), behind the virtio_net_hdr given as hex
// from the field layout of linux/virtio_net.h.

const A4 = Uint8Array.of(10, 99, 4, 1);
const B4 = Uint8Array.of(10, 99, 3, 1);
const A6 = Uint8Array.from([0xfd, 0x99, 0, 4, ...new Array(11).fill(0), 1]);
const B6 = Uint8Array.from([0xfd, 0x99, 0, 3, ...new Array(11).fill(0), 1]);
const ACK = 0x10;
const PSH = 0x08;

interface Seg {
  src?: Uint8Array;
  dst?: Uint8Array;
  sport?: number;
  seq: number;
  flags?: number;
  payload: Uint8Array;
  id?: number;
  /** TCP options (a multiple of 4 bytes), e.g. timestamps */
  options?: Uint8Array;
  /** write this checksum instead of the correct one */
  badSum?: boolean;
  /** checksum field: 'full' (valid) or 'pseudo' (CHECKSUM_PARTIAL) */
  sum?: 'full' | 'pseudo';
}

function seg(s: Seg): Uint8Array {
  const src = s.src ?? A4;
  const dst = s.dst ?? B4;
  const opt = s.options ?? new Uint8Array(0);
  const hl = 20 + opt.length;
  const tcp = new Uint8Array(hl + s.payload.length);
  const v = new DataView(tcp.buffer);
  v.setUint16(0, s.sport ?? 40000);
  v.setUint16(2, 5201);
  v.setUint32(4, s.seq >>> 0);
  v.setUint32(8, 777);
  tcp[12] = (hl / 4) << 4;
  tcp[13] = s.flags ?? ACK;
  v.setUint16(14, 512);
  tcp.set(opt, 20);
  tcp.set(s.payload, hl);
  const ph = pseudoHeaderSum(src, dst, 6, tcp.length);
  if (s.sum === 'pseudo') v.setUint16(16, ph);
  else v.setUint16(16, internetChecksum([tcp], ph) ^ (s.badSum ? 0x5555 : 0));
  return buildIpPacket({ src, dst, protocol: 6, payload: tcp, id: s.id ?? 1, df: true });
}

function bytes(n: number, start: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

function collect(cs: OnesSum): { c: TcpCoalescer; frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  const c = new TcpCoalescer((f) => frames.push(f.slice()), cs);
  return { c, frames };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

for (const v of onesSumsUnderTest()) {
  describe(`TCP checksums in ${v.name}`, () => {
    test('three contiguous segments (the last with PSH) become one TCPv4 GSO frame equal to the one big segment', () => {
      const cs = v.make();
      const { c, frames } = collect(cs);
      const p = [bytes(100, 0), bytes(100, 100), bytes(60, 200)];
      c.add(seg({ seq: 1000, payload: p[0] as Uint8Array, id: 5 }));
      c.add(seg({ seq: 1100, payload: p[1] as Uint8Array, id: 6 }));
      c.add(seg({ seq: 1200, payload: p[2] as Uint8Array, id: 7, flags: ACK | PSH }));
      c.flush();
      assert.equal(frames.length, 1);
      const f = frames[0] as Uint8Array;
      // flags NEEDS_CSUM | gso TCPV4 | hdr_len 40 | gso_size 100 | csum_start 20 | csum_offset 16 (LE u16s)
      assert.equal(hex(f.subarray(0, VNET_HDR_LEN)), '01' + '01' + '2800' + '6400' + '1400' + '1000');
      const big = seg({
        seq: 1000,
        payload: Uint8Array.from([...(p[0] ?? []), ...(p[1] ?? []), ...(p[2] ?? [])]),
        id: 5,
        flags: ACK | PSH,
        sum: 'pseudo',
      });
      assert.equal(hex(f.subarray(VNET_HDR_LEN)), hex(big));
      assert.deepEqual(c.counters, { packets: 3, frames: 1, merged: 2, badChecksum: 0 });
      // each segment's TCP checksum was verified by the loop under test
      assert.equal(cs.nativeCalls, v.name === 'native' ? 3 : 0);
    });

    test('a gap, a bad checksum, other protocols and non-ACK flags are written alone, in order', () => {
      const { c, frames } = collect(v.make());
      const a = seg({ seq: 0, payload: bytes(50, 0), id: 1 });
      const gap = seg({ seq: 100, payload: bytes(50, 0), id: 2 });
      const bad = seg({ seq: 150, payload: bytes(50, 0), id: 3, badSum: true });
      const after = seg({ seq: 200, payload: bytes(50, 0), id: 4 });
      const fin = seg({ seq: 250, payload: bytes(10, 0), id: 5, flags: ACK | 0x01 });
      const udp = buildIpPacket({ src: A4, dst: B4, protocol: 17, payload: bytes(30, 0) });
      for (const p of [a, gap, bad, after, udp, fin]) c.add(p);
      c.flush();
      const plain = (p: Uint8Array) => `00000000000000000000${hex(p)}`;
      assert.deepEqual(frames.map(hex), [a, gap, bad, after, udp, fin].map(plain));
      assert.equal(c.counters.badChecksum, 1);
      assert.equal(c.counters.merged, 0);
    });

    test('interleaved flows merge per flow; different options or a shorter middle segment end a run', () => {
      const { c, frames } = collect(v.make());
      const ts1 = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 9);
      const ts2 = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 9);
      c.add(seg({ sport: 1, seq: 0, payload: bytes(40, 0), id: 1 }));
      c.add(seg({ sport: 2, seq: 0, payload: bytes(40, 0), id: 1, options: ts1 }));
      c.add(seg({ sport: 1, seq: 40, payload: bytes(40, 40), id: 2 }));
      c.add(seg({ sport: 2, seq: 40, payload: bytes(40, 40), id: 2, options: ts2 })); // options differ
      c.add(seg({ sport: 1, seq: 80, payload: bytes(20, 80), id: 3 })); // shorter: ends the run
      c.add(seg({ sport: 1, seq: 100, payload: bytes(40, 100), id: 4 })); // new run
      c.flush();
      assert.deepEqual(
        frames.map((f) => [f[1], f.length - VNET_HDR_LEN]),
        [
          [1, 20 + 20 + (40 + 40 + 20)], // IPv4 + TCP headers + three payloads
          [0, 20 + 32 + 40], // timestamps option: 12 bytes of TCP options
          [0, 20 + 32 + 40],
          [0, 20 + 20 + 40],
        ],
      );
      assert.equal(c.counters.merged, 2);
    });

    test('IPv6: contiguous segments become one TCPV6 GSO frame', () => {
      const { c, frames } = collect(v.make());
      c.add(seg({ src: A6, dst: B6, seq: 7, payload: bytes(64, 1) }));
      c.add(seg({ src: A6, dst: B6, seq: 71, payload: bytes(64, 65) }));
      c.flush();
      assert.equal(frames.length, 1);
      const f = frames[0] as Uint8Array;
      assert.equal(hex(f.subarray(0, VNET_HDR_LEN)), '01' + '04' + '3c00' + '4000' + '2800' + '1000');
      const big = seg({
        src: A6,
        dst: B6,
        seq: 7,
        payload: Uint8Array.from([...bytes(64, 1), ...bytes(64, 65)]),
        sum: 'pseudo',
      });
      assert.equal(hex(f.subarray(VNET_HDR_LEN)), hex(big));
    });

    test('property: per flow, the payload bytes leave in order and complete, whatever merges', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              flow: fc.integer({ min: 0, max: 2 }),
              len: fc.integer({ min: 1, max: 300 }),
              skip: fc.boolean(),
            }),
            {
              maxLength: 40,
            },
          ),
          (steps) => {
            const { c, frames } = collect(v.make());
            const seqs = [0, 0, 0];
            const ids = [0, 0, 0];
            const sent: number[][] = [[], [], []];
            for (const s of steps) {
              const start = (seqs[s.flow] ?? 0) + (s.skip ? 1000 : 0);
              const payload = bytes(s.len, start);
              ids[s.flow] = (ids[s.flow] ?? 0) + 1;
              c.add(seg({ sport: 100 + s.flow, seq: start, payload, id: ids[s.flow] ?? 0 }));
              seqs[s.flow] = start + s.len;
              sent[s.flow]?.push(...payload);
            }
            c.flush();
            const got: number[][] = [[], [], []];
            for (const f of frames) {
              const ip = f.subarray(VNET_HDR_LEN);
              const sport = ((ip[20] ?? 0) << 8) | (ip[21] ?? 0);
              const hl = ((ip[32] ?? 0) >> 4) * 4;
              got[sport - 100]?.push(...ip.subarray(20 + hl));
            }
            assert.deepEqual(got, sent);
            assert.equal(c.counters.frames, frames.length);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}
