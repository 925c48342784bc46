/**
 * Message ID handling with window size 1, RFC 7296 §2.1-§2.3: each case cites the rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageWindow } from './message-window.js';

const bytes = (...v: number[]) => new Uint8Array(v);

test('requester: one request at a time, IDs count up from 0 (§2.2, §2.3)', () => {
  const w = new MessageWindow();
  assert.equal(w.beginRequest(), 0);
  assert.equal(w.canSend(), false);
  assert.throws(() => w.beginRequest(), /outstanding/);
  assert.deepEqual(w.onResponse(1), { kind: 'drop', reason: 'wrong-id' });
  assert.deepEqual(w.onResponse(0), { kind: 'match', messageId: 0 });
  w.completeRequest();
  assert.equal(w.beginRequest(), 1);
});

test('a response without an outstanding request is dropped', () => {
  const w = new MessageWindow(1, 1);
  assert.deepEqual(w.onResponse(1), { kind: 'drop', reason: 'no-request' });
});

test('responder: a retransmitted request gets the cached response, not a second processing (§2.1)', () => {
  const w = new MessageWindow(1, 1);
  assert.deepEqual(w.onRequest(1), { kind: 'new', messageId: 1 });
  w.accepted(1);
  assert.deepEqual(w.onRequest(1), { kind: 'busy' });
  const rsp = [bytes(1, 2, 3)];
  w.responded(rsp);
  assert.deepEqual(w.onRequest(1), { kind: 'retransmit', response: rsp });
  assert.deepEqual(w.onRequest(2), { kind: 'new', messageId: 2 });
  assert.deepEqual(w.onRequest(0), { kind: 'drop', reason: 'old' });
  assert.deepEqual(w.onRequest(3), { kind: 'drop', reason: 'future' });
});

test('a rejected (unauthenticated) request leaves the window where it was (§2.21.2)', () => {
  const w = new MessageWindow(1, 1);
  w.accepted(1);
  w.rejected();
  assert.deepEqual(w.onRequest(1), { kind: 'new', messageId: 1 });
});

test('no retransmit answer before any response was cached', () => {
  const w = new MessageWindow(1, 1);
  assert.deepEqual(w.onRequest(0), { kind: 'drop', reason: 'old' });
});

test('message IDs do not wrap: no request past 0xffffffff (§2.2)', () => {
  const w = new MessageWindow(0xffffffff, 0);
  assert.equal(w.beginRequest(), 0xffffffff);
  w.onResponse(0xffffffff);
  w.completeRequest();
  assert.equal(w.canSend(), false);
});
