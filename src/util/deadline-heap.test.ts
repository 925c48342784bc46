import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DeadlineHeap } from './deadline-heap.js';

test('DeadlineHeap pops in deadline order (property: against sorting)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 1e6 }), { maxLength: 200 }), (ats) => {
      const h = new DeadlineHeap();
      ats.forEach((at, id) => {
        h.push({ at, id });
      });
      const out: number[] = [];
      for (let d = h.pop(); d; d = h.pop()) out.push(d.at);
      assert.deepEqual(
        out,
        [...ats].sort((a, b) => a - b),
      );
      assert.equal(h.size, 0);
    }),
    { numRuns: 300, seed: 11 },
  );
});

test('DeadlineHeap.retain keeps the accepted entries, still in deadline order (property: against filter and sort)', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { maxLength: 200 }),
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 1, max: 7 }),
      (ats, popFirst, every) => {
        const h = new DeadlineHeap();
        ats.forEach((at, id) => {
          h.push({ at, id });
        });
        const left: { at: number; id: number }[] = [];
        for (let i = 0; i < popFirst; i++) h.pop();
        const sorted = ats.map((at, id) => ({ at, id })).sort((a, b) => a.at - b.at);
        for (const d of sorted.slice(popFirst)) left.push(d);
        h.retain((d) => d.id % every === 0);
        const want = left.filter((d) => d.id % every === 0);
        const out: { at: number; id: number }[] = [];
        for (let d = h.pop(); d; d = h.pop()) out.push(d);
        assert.deepEqual(out, want);
      },
    ),
  );
});
