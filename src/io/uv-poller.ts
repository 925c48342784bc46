import { SyscallError } from './errors.js';
import type { Poller } from './fd-poller.js';
import { POLLERR, POLLHUP, POLLIN } from './libc.js';

/**
 * Readiness on Node's own event loop: libuv's uv_poll_t (epoll on Linux) made by the native
 * helper (native/esprit-uv-poll.c) for each fd that libuv does not know (TUN, FFI sockets).
 * The same contract as FdPoller (fd-poller.ts), without its pool thread: fd-poller runs
 * poll() on a libuv pool thread, which costs two thread switches, a futex wake and an
 * eventfd round trip every time a reader runs dry (docs/dataplane.md §10.8).
 *
 *   wait(fd) ── first time: pollOpen(fd, ready) ──> pollStart(id) ──epoll──> ready(events) ──> resolve
 *   cancel(fd) ──> pollClose(id): libuv stops watching before the caller closes the fd
 *
 * The native watcher disarms itself before it calls back, so an fd the reader has not
 * drained yet does not call back on every loop turn; the next wait() arms it again.
 */

/** The helper's poll functions (crypto/native-addon.ts NativeAddon, a subset). */
export interface NativePoll {
  /** a watcher for `fd` calling `ready(events)` (UV_READABLE 1, UV_DISCONNECT 4; -1 on error); id >= 0 or a negative libuv error */
  readonly pollOpen: (fd: number, ready: (events: number) => void) => number;
  /** arm once; 0 or a negative libuv error */
  readonly pollStart: (id: number) => number;
  readonly pollStop: (id: number) => number;
  /** stop and free the watcher (libuv closes it asynchronously; the fd is not closed) */
  readonly pollClose: (id: number) => number;
}

const UV_READABLE = 1;
const UV_DISCONNECT = 4;

interface Watch {
  readonly id: number;
  resolve: ((revents: number) => void) | undefined;
}

export class UvPoller implements Poller {
  private readonly watches = new Map<number, Watch>();
  private closed = false;
  /** readiness callbacks that resolved a waiter (for tests and stats) */
  polls = 0;

  constructor(private readonly native: NativePoll) {}

  wait(fd: number, _events = POLLIN): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    let w = this.watches.get(fd);
    if (!w) {
      const id = this.native.pollOpen(fd, (events) => this.ready(fd, events));
      if (id < 0) return Promise.reject(new SyscallError('uv_poll_init', -id, `libuv error ${id}`));
      w = { id, resolve: undefined };
      this.watches.set(fd, w);
    }
    const watch = w;
    return new Promise<number>((resolve) => {
      const old = watch.resolve;
      watch.resolve = resolve;
      if (old) old(0);
      // a failed start (the fd went bad) reports an error: the caller reads and learns why
      if (this.native.pollStart(watch.id) < 0) this.ready(fd, -1);
    });
  }

  cancel(fd: number): void {
    const w = this.watches.get(fd);
    if (!w) return;
    this.watches.delete(fd);
    this.native.pollClose(w.id);
    const r = w.resolve;
    w.resolve = undefined;
    r?.(0);
  }

  /** Number of fds watched. */
  get size(): number {
    return this.watches.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of [...this.watches.keys()]) this.cancel(fd);
  }

  private ready(fd: number, events: number): void {
    const w = this.watches.get(fd);
    const r = w?.resolve;
    if (!w || !r) return;
    w.resolve = undefined;
    this.polls++;
    if (events < 0) r(POLLERR);
    else r((events & UV_READABLE ? POLLIN : 0) | (events & UV_DISCONNECT ? POLLHUP : 0) || POLLIN);
  }
}
