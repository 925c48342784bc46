/**
 * The retransmission schedule against strongSwan's documented one (strongswan.conf(5),
 * "Retransmission" section of the strongSwan docs): with the defaults (timeout 4 s, base 1.8,
 * 5 tries) the packets go out at 0, 4, 11.2, 24.16, 47.49 and 89.48 s, and the exchange is
 * given up at 165.06 s. Expected values computed by hand from 4 * 1.8^n.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RETRANSMIT, retransmitTimeout } from './retransmit.js';

test('default schedule: 4 s x 1.8^n for n = 0..5, then give up', () => {
  const got = [0, 1, 2, 3, 4, 5].map((n) => retransmitTimeout(n));
  assert.deepEqual(got, [4000, 7200, 12960, 23328, 41990, 75583]);
  assert.equal(retransmitTimeout(6), undefined);
  const total = got.reduce((a, b) => (a ?? 0) + (b ?? 0), 0);
  assert.equal(total, 165061);
});

test('limit caps a single timeout; tries are configurable', () => {
  const s = { ...DEFAULT_RETRANSMIT, tries: 2, limitMs: 5000 };
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => retransmitTimeout(n, s)),
    [4000, 5000, 5000, undefined],
  );
});

test('jitter reduces by at most its percentage', () => {
  const s = { ...DEFAULT_RETRANSMIT, jitterPercent: 20 };
  assert.equal(retransmitTimeout(0, s, 0), 4000);
  assert.equal(retransmitTimeout(0, s, 0.5), 3600);
  assert.equal(retransmitTimeout(0, s, 0.999), 3201);
});

test('invalid try numbers give undefined', () => {
  assert.equal(retransmitTimeout(-1), undefined);
  assert.equal(retransmitTimeout(1.5), undefined);
});
