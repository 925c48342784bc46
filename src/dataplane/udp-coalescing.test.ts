/**
 * The TUN GRO's UDP runs (tcp-coalescer.ts addUdp/emitMerged): datagrams are built with
 * the wire/ip encoders and the RFC 1071 checksum of wire/ip/checksum.ts; a merged frame is
 * compared with the one big datagram a sender would have given the kernel for UDP GSO (RFC
 * 768 header over the whole run, the pseudo-header sum in the checksum field:
 * CHECKSUM_PARTIAL) behind a virtio_net_hdr written as hex from linux/virtio_net.h
 * (VIRTIO_NET_HDR_GSO_UDP_L4 = 5). The property test cuts every frame again the way the
 * kernel's __udp_gso_segment does (written here from that definition: gso_size datagrams,
 * IPv4 ID + k, lengths and a full checksum each) and must get the input back, in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { internetChecksum, pseudoHeaderSum } from '../wire/ip/checksum.js';
import { buildIpPacket } from '../wire/ip/ip-packet.js';
import { onesSumsUnderTest } from './ones-sums-under-test.js';
import { TcpCoalescer, VNET_HDR_LEN } from './tcp-coalescer.js';

const A4 = Uint8Array.of(10, 99, 3, 1);
const B4 = Uint8Array.of(10, 99, 4, 1);
const A6 = Uint8Array.from([0xfd, 0x99, 0, 3, ...new Array(11).fill(0), 1]);
const B6 = Uint8Array.from([0xfd, 0x99, 0, 4, ...new Array(11).fill(0), 1]);

interface Dg {
  v6?: boolean;
  sport?: number;
  payload: Uint8Array;
  id?: number;
  /** checksum field: valid (default), CHECKSUM_PARTIAL pseudo sum, zero (none), or wrong */
  sum?: 'full' | 'pseudo' | 'zero' | 'bad';
}

function dg(d: Dg): Uint8Array {
  const src = d.v6 ? A6 : A4;
  const dst = d.v6 ? B6 : B4;
  const u = new Uint8Array(8 + d.payload.length);
  const v = new DataView(u.buffer);
  v.setUint16(0, d.sport ?? 5201);
  v.setUint16(2, 40000);
  v.setUint16(4, u.length);
  u.set(d.payload, 8);
  const ph = pseudoHeaderSum(src, dst, 17, u.length);
  const full = internetChecksum([u], ph) || 0xffff; // RFC 768: a computed 0 is sent as all ones
  const sum = d.sum ?? 'full';
  v.setUint16(6, sum === 'pseudo' ? ph : sum === 'zero' ? 0 : sum === 'bad' ? full ^ 0x0f0f : full);
  return buildIpPacket({ src, dst, protocol: 17, payload: u, id: d.id ?? 1, df: false });
}

function bytes(n: number, start: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + 7 * i) & 0xff);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const le16 = (b: Uint8Array, at: number) => (b[at] as number) | ((b[at + 1] as number) << 8);

/** The kernel's GSO_UDP_L4 segmentation of one written frame (or the packet of a plain one). */
function segment(frame: Uint8Array): Uint8Array[] {
  const pkt = frame.subarray(VNET_HDR_LEN);
  if (frame[1] === 0) return [pkt.slice()];
  assert.equal(frame[1], 5, 'gso_type UDP_L4');
  assert.equal(frame[0], 1, 'NEEDS_CSUM');
  const v6 = (pkt[0] as number) >> 4 === 6;
  const ipHl = v6 ? 40 : 20;
  assert.equal(le16(frame, 2), ipHl + 8, 'hdr_len');
  assert.equal(le16(frame, 6), ipHl, 'csum_start');
  assert.equal(le16(frame, 8), 6, 'csum_offset');
  const mss = le16(frame, 4);
  const body = pkt.subarray(ipHl + 8);
  const id0 = v6 ? 0 : ((pkt[4] as number) << 8) | (pkt[5] as number);
  const out: Uint8Array[] = [];
  for (let at = 0, k = 0; at < body.length; at += mss, k++) {
    const payload = body.subarray(at, Math.min(at + mss, body.length));
    out.push(
      dg({
        v6,
        sport: ((pkt[ipHl] as number) << 8) | (pkt[ipHl + 1] as number),
        payload,
        id: (id0 + k) & 0xffff,
      }),
    );
  }
  return out;
}

for (const v of onesSumsUnderTest()) {
  describe(`TUN GRO, UDP runs (checksums in ${v.name})`, () => {
    it('three datagrams (100, 100, 60 bytes, IDs 5-7) become one GSO_UDP_L4 frame equal to the one big datagram', () => {
      const frames: Uint8Array[] = [];
      const c = new TcpCoalescer((f) => frames.push(f.slice()), v.make());
      const p = [bytes(100, 0), bytes(100, 100), bytes(60, 200)];
      for (const [i, payload] of p.entries()) c.add(dg({ payload, id: 5 + i }));
      c.flush();
      assert.equal(frames.length, 1);
      const f = frames[0] as Uint8Array;
      // NEEDS_CSUM | GSO_UDP_L4 | hdr_len 28 | gso_size 100 | csum_start 20 | csum_offset 6 (LE u16s)
      assert.equal(hex(f.subarray(0, VNET_HDR_LEN)), '01' + '05' + '1c00' + '6400' + '1400' + '0600');
      const big = dg({
        payload: Uint8Array.from([...(p[0] ?? []), ...(p[1] ?? []), ...(p[2] ?? [])]),
        id: 5,
        sum: 'pseudo',
      });
      assert.equal(hex(f.subarray(VNET_HDR_LEN)), hex(big));
      assert.deepEqual(c.counters, { packets: 3, frames: 1, merged: 2, badChecksum: 0 });
    });

    it('IPv6: a run becomes one frame (hdr_len 48, csum_start 40)', () => {
      const frames: Uint8Array[] = [];
      const c = new TcpCoalescer((f) => frames.push(f.slice()), v.make());
      const p = [bytes(64, 1), bytes(64, 2)];
      for (const payload of p) c.add(dg({ v6: true, payload }));
      c.flush();
      assert.equal(frames.length, 1);
      const f = frames[0] as Uint8Array;
      assert.equal(hex(f.subarray(0, VNET_HDR_LEN)), '01' + '05' + '3000' + '4000' + '2800' + '0600');
      const big = dg({ v6: true, payload: Uint8Array.from([...(p[0] ?? []), ...(p[1] ?? [])]), sum: 'pseudo' });
      assert.equal(hex(f.subarray(VNET_HDR_LEN)), hex(big));
    });

    it('a bad or zero checksum, a skipped ID or a longer datagram ends a run; every datagram leaves once, in order', () => {
      const frames: Uint8Array[] = [];
      const c = new TcpCoalescer((f) => frames.push(f.slice()), v.make());
      const input = [
        dg({ payload: bytes(50, 1), id: 1 }),
        dg({ payload: bytes(50, 2), id: 2 }),
        dg({ payload: bytes(50, 3), id: 3, sum: 'bad' }), // alone, counted; ends the run
        dg({ payload: bytes(50, 4), id: 4 }),
        dg({ payload: bytes(50, 5), id: 5, sum: 'zero' }), // no checksum: alone
        dg({ payload: bytes(50, 6), id: 6 }),
        dg({ payload: bytes(50, 7), id: 8 }), // ID skipped: a new run
        dg({ payload: bytes(60, 8), id: 9 }), // longer than the run's size: a new run
        dg({ payload: bytes(60, 9), id: 10 }),
      ];
      for (const d of input) c.add(d);
      c.flush();
      assert.equal(c.counters.badChecksum, 1);
      // the bad datagram leaves as it came (the kernel drops it); the others are the input
      const out = frames.flatMap((f) => (f[1] === 0 ? [f.subarray(VNET_HDR_LEN).slice()] : segment(f)));
      assert.deepEqual(out.map(hex), input.map(hex));
      assert.deepEqual(
        frames.map((f) => f[1]),
        [5, 0, 0, 0, 0, 0, 5],
      );
    });

    it('property: whatever merges, the kernel segmentation of the frames gives back every datagram in order', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              flow: fc.integer({ min: 0, max: 2 }),
              len: fc.constantFrom(1, 80, 80, 80, 81, 1372),
              v6: fc.boolean(),
            }),
            { minLength: 1, maxLength: 120 },
          ),
          (spec) => {
            const frames: Uint8Array[] = [];
            const c = new TcpCoalescer((f) => frames.push(f.slice()), v.make());
            const ids = [100, 200, 65534];
            const input = spec.map((s, i) => {
              const id = ids[s.flow] ?? 0;
              ids[s.flow] = (id + 1) & 0xffff;
              return dg({ v6: s.v6, sport: 6000 + s.flow, payload: bytes(s.len, i), id });
            });
            for (const d of input) c.add(d);
            c.flush();
            const out = frames.flatMap(segment);
            // per flow (port and family) the order is kept; flows may interleave differently
            const key = (p: Uint8Array) => {
              const hl = (p[0] as number) >> 4 === 6 ? 40 : 20;
              return `${hl}:${((p[hl] as number) << 8) | (p[hl + 1] as number)}`;
            };
            const byFlow = (list: Uint8Array[]) => {
              const m = new Map<string, string[]>();
              for (const p of list) m.set(key(p), [...(m.get(key(p)) ?? []), hex(p)]);
              return m;
            };
            assert.deepEqual(byFlow(out), byFlow(input));
            assert.equal(out.length, input.length);
          },
        ),
        { numRuns: 150 },
      );
    });
  });
}
