/**
 * OnesSum (ones-sum.ts) on both loops against the RFC 1071 sum of wire/ip/checksum.ts
 * (the general version, written from the RFC) and RFC 1071 §3's worked example; the
 * native loop must really run (its call counter) and must refuse ranges outside the view.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { onesComplementSum } from '../wire/ip/checksum.js';
import { onesSumsUnderTest } from './ones-sums-under-test.js';

// RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (one's complement, folded)
const RFC1071 = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);

for (const v of onesSumsUnderTest()) {
  describe(`OnesSum (${v.name})`, () => {
    it('gives RFC 1071 §3 example sum ddf2, at any byte offset of a larger buffer', () => {
      const cs = v.make();
      for (let off = 0; off < 9; off++) {
        const big = new Uint8Array(off + RFC1071.length + 3).fill(0xaa);
        big.set(RFC1071, off);
        assert.equal(cs.sum(big, off, off + RFC1071.length, 0), 0xddf2);
        const view = big.subarray(off);
        assert.equal(cs.sum(view, 0, RFC1071.length, 0), 0xddf2);
      }
      if (v.name === 'native') assert.equal(cs.nativeCalls, 18, 'every sum went through the helper');
    });

    it('property: equals onesComplementSum for any bytes, range, view offset and initial sum', () => {
      const cs = v.make();
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0, maxLength: 2100 }),
          fc.nat(40),
          fc.nat(40),
          fc.integer({ min: 0, max: 0xffff }),
          (bytes, pre, cut, init) => {
            const big = new Uint8Array(pre + bytes.length + 5).fill(0x5a);
            big.set(bytes, pre);
            const view = big.subarray(pre, pre + bytes.length);
            const start = Math.min(cut, bytes.length);
            const part = bytes.subarray(start);
            assert.equal(cs.sum(view, start, bytes.length, init), onesComplementSum([part], init));
          },
        ),
        { numRuns: 600 },
      );
      if (v.name === 'native') assert.ok(cs.nativeCalls >= 600, `native calls ${cs.nativeCalls}`);
    });

    if (v.name === 'native') {
      it('never hands C a range outside the view: those are summed by the bounds-checked loop', () => {
        const cs = v.make();
        const big = new Uint8Array(64).fill(1);
        const view = big.subarray(8, 24);
        cs.sum(view, 0, 16, 0);
        assert.equal(cs.nativeCalls, 1);
        for (const [s, e, init] of [
          [0, 17, 0],
          [5, 4, 0],
          [-1, 4, 0],
          [0, 4, 0x10000],
        ] as const) {
          cs.sum(view, s, e, init);
          assert.equal(cs.nativeCalls, 1, `range ${s}..${e} init ${init}`);
        }
      });

      it('sums a SharedArrayBuffer (no stable address for C) in JavaScript', () => {
        const cs = v.make();
        const b = new Uint8Array(new SharedArrayBuffer(RFC1071.length));
        b.set(RFC1071);
        assert.equal(cs.sum(b, 0, b.length, 0), 0xddf2);
        assert.equal(cs.nativeCalls, 0);
      });
    }
  });
}
