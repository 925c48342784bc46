import assert from 'node:assert/strict';
import { test } from 'node:test';
import { espLifetime, NO_LIMITS, newCurrent, recordTraffic, timeDeadline, validateLifetime } from './sa-lifetime.js';

test('validateLifetime: EINVAL outside the sadb_lifetime ranges (u32 allocations, u64 bytes)', () => {
  validateLifetime({
    soft: NO_LIMITS,
    hard: { allocations: 2 ** 32 - 1, bytes: (1n << 64n) - 1n, addtime: 1, usetime: 1 },
  });
  for (const bad of [
    { ...NO_LIMITS, allocations: 2 ** 32 },
    { ...NO_LIMITS, allocations: -1 },
    { ...NO_LIMITS, bytes: 1n << 64n },
    { ...NO_LIMITS, addtime: 1.5 },
    { ...NO_LIMITS, usetime: -1 },
  ]) {
    assert.throws(() => validateLifetime({ soft: NO_LIMITS, hard: bad }), { name: 'PfkeyError', errno: 22 });
  }
});

test('timeDeadline picks the earlier of addtime and usetime; usetime only after first use', () => {
  const cur = newCurrent(1000);
  const l = { ...NO_LIMITS, addtime: 10, usetime: 3 };
  assert.deepEqual(timeDeadline(l, cur), { atMs: 11_000, reason: 'addtime' });
  recordTraffic(cur, 10, 1, 2000);
  recordTraffic(cur, 10, 1, 9000);
  assert.equal(cur.firstUseMs, 2000);
  assert.deepEqual(timeDeadline(l, cur), { atMs: 5000, reason: 'usetime' });
  assert.equal(timeDeadline(NO_LIMITS, cur), undefined);
  assert.deepEqual([cur.bytes, cur.packets, cur.allocations], [20n, 2n, 2]);
});

test('espLifetime maps bytes to bytes and allocations to packets; 0 means no limit', () => {
  assert.deepEqual(espLifetime({ soft: NO_LIMITS, hard: NO_LIMITS }), {});
  assert.deepEqual(
    espLifetime({
      soft: { ...NO_LIMITS, bytes: 5n, allocations: 7 },
      hard: { ...NO_LIMITS, bytes: 9n, allocations: 11 },
    }),
    { softBytes: 5n, hardBytes: 9n, softPackets: 7n, hardPackets: 11n },
  );
});
