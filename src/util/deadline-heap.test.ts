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
