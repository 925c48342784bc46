import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_KEEPALIVE_INTERVAL_MS, KeepaliveSchedule, KeepaliveTimer } from './keepalive.js';

test('default interval is 20 s (RFC 3948 §4)', () => {
  assert.equal(DEFAULT_KEEPALIVE_INTERVAL_MS, 20_000);
  assert.equal(new KeepaliveTimer(0).intervalMs, 20_000);
});

test('due only after a whole idle interval; any send restarts the wait', () => {
  const t = new KeepaliveTimer(1_000);
  assert.equal(t.nextDeadline(), 21_000);
  assert.equal(t.due(20_999), false);
  assert.equal(t.due(21_000), true);
  t.onSent(15_000); // ESP went out: nothing due until 35 s
  assert.equal(t.due(21_000), false);
  assert.equal(t.due(34_999), false);
  assert.equal(t.due(35_000), true);
  t.onSent(35_000); // the keepalive itself
  assert.equal(t.due(35_001), false);
  assert.equal(t.nextDeadline(), 55_000);
  t.onSent(30_000); // an out-of-order older time does not move the clock back
  assert.equal(t.lastSent, 35_000);
  assert.throws(() => new KeepaliveTimer(0, 0), /interval/);
});

test('KeepaliveSchedule lists due mappings and the earliest deadline', () => {
  const s = new KeepaliveSchedule<string>(10_000);
  assert.equal(s.nextDeadline(), undefined);
  s.add('203.0.113.7:4500', 0);
  s.add('198.51.100.9:4500', 4_000);
  s.add('203.0.113.7:4500', 9_000); // already tracked: no reset
  assert.equal(s.size, 2);
  assert.equal(s.nextDeadline(), 10_000);
  assert.deepEqual(s.due(9_999), []);
  assert.deepEqual(s.due(10_000), ['203.0.113.7:4500']);
  s.onSent('203.0.113.7:4500', 10_000);
  s.onSent('unknown', 10_000);
  assert.deepEqual(s.due(14_000), ['198.51.100.9:4500']);
  assert.equal(s.nextDeadline(), 14_000);
  s.remove('198.51.100.9:4500');
  assert.equal(s.has('198.51.100.9:4500'), false);
  assert.deepEqual(s.due(19_999), []);
  assert.deepEqual(s.due(20_000), ['203.0.113.7:4500']);
});
