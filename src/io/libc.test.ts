import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FdPoller } from './fd-poller.js';
import { AF_UNIX, EAGAIN, EBADF, libc, POLLIN, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK } from './libc.js';
import { MmsgBatch } from './mmsg-batch.js';

// These tests use AF_UNIX datagram socket pairs: no network packet is involved.

function pair(): [number, number] {
  const sv = new Int32Array(2);
  const c = libc();
  assert.equal(c.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  return [sv[0] ?? -1, sv[1] ?? -1];
}

test('read/write honour subarray offsets and report errno', () => {
  const c = libc();
  const [a, b] = pair();
  const src = new Uint8Array([9, 9, 1, 2, 3, 9]);
  assert.equal(c.write(a, src.subarray(2, 5), 3), 3);
  const dst = new Uint8Array(8);
  assert.equal(c.read(b, dst.subarray(4), 4), 3);
  assert.deepEqual(dst, new Uint8Array([0, 0, 0, 0, 1, 2, 3, 0]));
  assert.equal(c.read(b, dst, 8), -1);
  assert.equal(c.errno(), EAGAIN);
  c.close(a);
  c.close(b);
  assert.equal(c.close(b), -1);
  assert.equal(c.errno(), EBADF);
});

test('FdPoller: one poll serves several fds; cancel resolves 0; new waiters interrupt the running poll', async () => {
  const c = libc();
  const poller = new FdPoller();
  const [a1, b1] = pair();
  const [a2, b2] = pair();
  try {
    const w1 = poller.wait(b1);
    const w2 = poller.wait(b2);
    assert.equal(poller.size, 2);
    c.write(a2, new Uint8Array([7]), 1);
    assert.equal((await w2) & POLLIN, POLLIN);
    assert.equal(poller.size, 1);
    // w1 still pending; cancelling it resolves with 0
    poller.cancel(b1);
    assert.equal(await w1, 0);
    // a waiter added while nothing is ready, then data arrives
    const w3 = poller.wait(b1);
    setImmediate(() => c.write(a1, new Uint8Array([1]), 1));
    assert.equal((await w3) & POLLIN, POLLIN);
    assert.ok(poller.polls >= 2);
  } finally {
    poller.close();
    for (const fd of [a1, b1, a2, b2]) c.close(fd);
  }
});

test('FdPoller.close resolves pending waiters with 0', async () => {
  const poller = new FdPoller();
  const [a, b] = pair();
  const w = poller.wait(b);
  poller.close();
  assert.equal(await w, 0);
  assert.equal(await poller.wait(b), 0);
  libc().close(a);
  libc().close(b);
});

test('MmsgBatch: sendmmsg then recvmmsg moves several datagrams with one call each', () => {
  const [a, b] = pair();
  const tx = new MmsgBatch(4, 64);
  const rx = new MmsgBatch(8, 64);
  try {
    for (let i = 0; i < 3; i++) {
      (tx.bufs[i] as Uint8Array).fill(i + 1, 0, 10 + i);
      tx.lengths[i] = 10 + i;
      tx.nameLengths[i] = 0;
    }
    assert.equal(tx.send(a, 3), 3);
    assert.equal(rx.recv(b), 3);
    for (let i = 0; i < 3; i++) {
      assert.equal(rx.lengths[i], 10 + i);
      assert.deepEqual((rx.bufs[i] as Uint8Array).subarray(0, 10 + i), new Uint8Array(10 + i).fill(i + 1));
    }
    assert.equal(rx.recv(b), 0, 'EAGAIN when empty');
    assert.equal(rx.lastErrno, 0);
    tx.lengths[0] = 65;
    assert.throws(() => tx.send(a, 1), RangeError);
    assert.equal(rx.recv(-1), -1);
    assert.equal(rx.lastErrno, EBADF);
  } finally {
    tx.free();
    rx.free();
    libc().close(a);
    libc().close(b);
  }
});
