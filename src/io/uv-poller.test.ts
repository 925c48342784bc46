/**
 * UvPoller (uv-poller.ts) with the native helper's libuv watchers (native/esprit-uv-poll.c):
 * readiness of an eventfd made through the FFI (libuv knows nothing of it) and of an
 * FFI UDP socket fed by node:dgram, on loopback. The helper must load under CI
 * (CI=true); elsewhere a missing helper is reported as a warning and only the fallback
 * poller (fd-poller.ts, tested through mmsg-udp-endpoint.test.ts) remains.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { loadNativeAddon, type NativeAddon } from '../crypto/native-addon.js';
import { EFD_CLOEXEC, EFD_NONBLOCK, libc, POLLIN } from './libc.js';
import { openMmsgUdpEndpoint, startUdpReader } from './mmsg-udp-endpoint.js';
import { UvPoller } from './uv-poller.js';

let addon: NativeAddon | undefined;
try {
  addon = loadNativeAddon();
} catch (e) {
  if (process.env.CI === 'true') throw e;
  process.emitWarning(`uv-poller tests need the native helper: ${(e as Error).message}`);
}

const ONE = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0); // eventfd: uint64_t 1, little-endian

function eventfd(): number {
  const fd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  assert.ok(fd >= 0, 'eventfd');
  return fd;
}

/** a promise's state after a few event-loop turns (no timers) */
async function settledAfterTurns<T>(p: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let state: { done: boolean; value?: T } = { done: false };
  void p.then((value) => {
    state = { done: true, value };
  });
  for (let i = 0; i < 5; i++) await turn();
  return state;
}

if (addon) {
  const native = addon;
  describe('UvPoller (libuv watchers through the native helper)', () => {
    it('resolves POLLIN when an fd becomes readable, not before; an fd left readable resolves at once', async () => {
      const p = new UvPoller(native);
      const fd = eventfd();
      const c = libc();
      try {
        const w = p.wait(fd);
        assert.deepEqual(await settledAfterTurns(w), { done: false }, 'nothing to read yet');
        assert.equal(c.write(fd, ONE, 8), 8);
        assert.equal(await w, POLLIN);
        // not drained: the next wait resolves on the next loop turn (level-triggered)
        assert.equal(await p.wait(fd), POLLIN);
        const buf = new Uint8Array(8);
        assert.equal(c.read(fd, buf, 8), 8);
        assert.deepEqual(await settledAfterTurns(p.wait(fd)), { done: false }, 'drained');
        assert.equal(c.write(fd, ONE, 8), 8);
        for (let i = 0; i < 5 && p.polls < 3; i++) await turn();
        assert.equal(p.polls, 3, 'three readiness callbacks resolved waiters');
      } finally {
        p.close();
        c.close(fd);
      }
    });

    it('a second wait replaces the first (which gets 0); cancel and close resolve waiters with 0', async () => {
      const p = new UvPoller(native);
      const a = eventfd();
      const b = eventfd();
      const c = libc();
      try {
        const first = p.wait(a);
        const second = p.wait(a);
        assert.equal(await first, 0);
        const onB = p.wait(b);
        assert.equal(p.size, 2);
        p.cancel(a);
        assert.equal(await second, 0);
        assert.equal(p.size, 1);
        p.close();
        assert.equal(await onB, 0);
        assert.equal(await p.wait(a), 0, 'a closed poller resolves at once');
        // a write after cancel reaches nobody (the watcher is gone)
        assert.equal(c.write(b, ONE, 8), 8);
        for (let i = 0; i < 5; i++) await turn();
        assert.equal(p.polls, 0);
      } finally {
        c.close(a);
        c.close(b);
      }
    });

    it('an FFI UDP socket read through startUdpReader gets every datagram node:dgram sends', async () => {
      const p = new UvPoller(native);
      const ep = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0, poller: p });
      const peer = dgram.createSocket('udp4');
      peer.bind(0, '127.0.0.1');
      await once(peer, 'listening');
      const got: number[] = [];
      let all: () => void = () => {};
      const done = new Promise<void>((r) => {
        all = r;
      });
      const loop = startUdpReader(
        ep,
        (payload) => {
          got.push(payload.length);
          if (got.length === 20) all();
        },
        { batch: 4 },
      );
      try {
        for (let i = 1; i <= 20; i++) {
          await new Promise<void>((resolve, reject) =>
            peer.send(new Uint8Array(i), ep.local.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
          );
          if (i % 5 === 0) await turn(); // let the reader run dry and wait again
        }
        await done;
        assert.deepEqual(
          got,
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        assert.ok(p.polls >= 1, `readiness came from the libuv watcher (${p.polls})`);
      } finally {
        loop.stop();
        await ep.close();
        await loop.done;
        p.close();
        peer.close();
      }
    });

    it('serves a worker thread beside the main thread; a watcher answers only to its own thread; a worker killed with a watcher armed leaves the process running', async () => {
      const c = libc();
      const mainFd = eventfd();
      const mainId = native.pollOpen(mainFd, () => {});
      assert.ok(mainId >= 0);
      const here = new URL('.', import.meta.url).href;
      // the worker: its own poller and eventfd on its own event loop (docs/dataplane.md §10.9)
      // (CommonJS: eval'd worker code is not a module on Node 20)
      const code = `(async () => {
        const { parentPort, workerData } = require('node:worker_threads');
        const { loadNativeAddon } = await import(new URL('../crypto/native-addon.js', workerData.here).href);
        const { UvPoller } = await import(new URL('./uv-poller.js', workerData.here).href);
        const { libc, EFD_NONBLOCK, EFD_CLOEXEC } = await import(new URL('./libc.js', workerData.here).href);
        const native = loadNativeAddon();
        const foreign = native.pollStart(workerData.mainId);
        const p = new UvPoller(native);
        const fd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        const w = p.wait(fd);
        libc().write(fd, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0), 8);
        const events = await w;
        libc().read(fd, new Uint8Array(8), 8);
        void p.wait(fd); // armed, never ready: only the environment cleanup hook closes it
        parentPort.postMessage({ foreign, events });
      })();`;
      const worker = new Worker(code, { eval: true, workerData: { here, mainId } });
      try {
        const [msg] = (await once(worker, 'message')) as [{ foreign: number; events: number }];
        assert.equal(msg.foreign, -22, "the main thread's watcher is not the worker's (UV_EINVAL)");
        assert.equal(msg.events, POLLIN);
        const exited = once(worker, 'exit');
        await worker.terminate();
        await exited;
        // the main thread's watchers still work after the worker's environment was torn down
        const p = new UvPoller(native);
        const w = p.wait(mainFd);
        assert.equal(c.write(mainFd, ONE, 8), 8);
        assert.equal(await w, POLLIN);
        p.close();
      } finally {
        assert.equal(native.pollClose(mainId), 0);
        c.close(mainFd);
      }
    });
  });
}
