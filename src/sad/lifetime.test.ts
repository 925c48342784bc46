import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LifetimeCounter } from './lifetime.js';

test('packet limits: soft once when reached, hard on the last packet, then expired', () => {
  const l = new LifetimeCounter({ softPackets: 3n, hardPackets: 5n });
  const events = [1, 2, 3, 4, 5].map(() => l.account(100));
  assert.deepEqual(events, [undefined, undefined, 'soft', undefined, 'hard']);
  assert.equal(l.expired, true);
  assert.equal(l.packets, 5);
  assert.equal(l.bytes, 500);
});

test('byte limits count payload bytes; crossing both limits at once reports hard only', () => {
  const l = new LifetimeCounter({ softBytes: 1000n, hardBytes: 1500n });
  assert.equal(l.account(999), undefined);
  assert.equal(l.account(1), 'soft');
  assert.equal(l.account(499), undefined);
  assert.equal(l.expired, false);
  assert.equal(l.account(1), 'hard');
  const both = new LifetimeCounter({ softBytes: 10n, hardBytes: 20n });
  assert.equal(both.account(25), 'hard');
  assert.equal(both.dying, true);
});

test('absent and zero limits mean no limit', () => {
  for (const lt of [undefined, {}, { softBytes: 0n, hardBytes: 0n, softPackets: 0n, hardPackets: 0n }]) {
    const l = new LifetimeCounter(lt);
    for (let i = 0; i < 1000; i++) assert.equal(l.account(65535), undefined);
    assert.equal(l.expired, false);
  }
  // limits beyond 2^53 bytes never trigger within a test, and do not lose precision on the way
  const huge = new LifetimeCounter({ hardBytes: 1n << 60n });
  assert.equal(huge.account(1500), undefined);
});

test('time-based hook: expire() reports each event once and hard implies soft', () => {
  const l = new LifetimeCounter({ softPackets: 10n });
  assert.equal(l.expire('soft'), 'soft');
  assert.equal(l.expire('soft'), undefined);
  for (let i = 0; i < 20; i++) assert.equal(l.account(1), undefined); // soft already reported
  assert.equal(l.expire('hard'), 'hard');
  assert.equal(l.expire('hard'), undefined);
  assert.equal(l.expired, true);
  const h = new LifetimeCounter(undefined);
  assert.equal(h.expire('hard'), 'hard');
  assert.equal(h.expire('soft'), undefined);
});
