import { SyscallError } from './errors.js';
import {
  allocNative,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  freeNative,
  libc,
  type NativeBlock,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
} from './libc.js';

/**
 * Readiness for fds that libuv cannot watch (TUN, raw sockets made through the FFI).
 *
 * One `poll()` at a time runs on a libuv pool thread (koffi async call) over every fd that
 * has a waiter, plus an eventfd used to interrupt it when the set changes. So however
 * many TUN queues and raw sockets are open, at most one pool thread sits in `poll()`.
 *
 *   wait(fd) ──> waiters ──(rearm)──> [pollfd eventfd][pollfd fd1][pollfd fd2]... ──poll.async──> settle
 *                   ▲                                                                   │
 *                   └─────────────── add/cancel writes the eventfd (interrupt) ◄────────┘
 *
 * `wait()` resolves with the `revents` seen (POLLIN, or POLLERR/POLLHUP/POLLNVAL: the caller
 * then reads and learns the error from `read()`); it resolves with 0 when cancelled.
 */

const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
const WAKE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]); // uint64_t 1, little-endian

/**
 * Readiness of fds libuv does not watch: this pool-thread poller, or uv-poller.ts (libuv's
 * own epoll through the native helper) when it is loaded.
 */
export interface Poller {
  /** Resolves with the revents seen (POLLIN, or POLLERR/POLLHUP/POLLNVAL), or 0 when cancelled. One waiter per fd. */
  wait(fd: number, events?: number): Promise<number>;
  /** Resolve the waiter of `fd` with 0 and stop watching it (call before closing the fd). */
  cancel(fd: number): void;
  /** Cancel every waiter and release the poller. */
  close(): void;
}

interface Waiter {
  readonly events: number;
  readonly resolve: (revents: number) => void;
}

export class FdPoller implements Poller {
  private readonly waiters = new Map<number, Waiter>();
  private readonly wakeFd: number;
  private readonly drain = new Uint8Array(8);
  private block: NativeBlock;
  private view: DataView;
  private slots: number;
  private inFlight = false;
  private closed = false;
  /** fds in the poll now running, in pollfd order after the eventfd. */
  private polled: number[] = [];
  /** Number of completed `poll()` calls (for tests and stats). */
  polls = 0;

  constructor() {
    const c = libc();
    this.wakeFd = c.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.wakeFd < 0) {
      const e = c.errno();
      throw new SyscallError('eventfd', e, c.strerror(e));
    }
    this.slots = 8;
    this.block = allocNative(this.slots * POLLFD_SIZE);
    this.view = new DataView(this.block.bytes.buffer, this.block.bytes.byteOffset, this.block.bytes.byteLength);
  }

  /** Wait until `fd` is readable (or in error). One waiter per fd: a second call replaces the first (which gets 0). */
  wait(fd: number, events = POLLIN): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    return new Promise<number>((resolve) => {
      const old = this.waiters.get(fd);
      this.waiters.set(fd, { events, resolve });
      if (old) old.resolve(0);
      this.rearm();
    });
  }

  /** Resolve the waiter of `fd` with 0 and stop polling it (call before closing the fd). */
  cancel(fd: number): void {
    const w = this.waiters.get(fd);
    if (!w) return;
    this.waiters.delete(fd);
    w.resolve(0);
    this.rearm();
  }

  /** Number of fds with a waiter. */
  get size(): number {
    return this.waiters.size;
  }

  /** Cancel every waiter; the poller's resources are released once the running poll returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [fd, w] of this.waiters) {
      this.waiters.delete(fd);
      w.resolve(0);
    }
    if (this.inFlight) this.interrupt();
    else this.release();
  }

  private release(): void {
    libc().close(this.wakeFd);
    freeNative(this.block);
  }

  private interrupt(): void {
    libc().write(this.wakeFd, WAKE, 8);
  }

  private rearm(): void {
    if (this.inFlight) {
      // The running poll has a stale set: interrupt it, settle() re-arms with the new one.
      if (!this.sameSet()) this.interrupt();
      return;
    }
    if (this.waiters.size === 0 || this.closed) return;
    this.start();
  }

  private sameSet(): boolean {
    if (this.polled.length !== this.waiters.size) return false;
    for (const fd of this.polled) if (!this.waiters.has(fd)) return false;
    return true;
  }

  private start(): void {
    const n = this.waiters.size + 1;
    if (n > this.slots) {
      freeNative(this.block);
      while (this.slots < n) this.slots *= 2;
      this.block = allocNative(this.slots * POLLFD_SIZE);
      this.view = new DataView(this.block.bytes.buffer, this.block.bytes.byteOffset, this.block.bytes.byteLength);
    }
    const v = this.view;
    v.setInt32(0, this.wakeFd, true);
    v.setInt16(4, POLLIN, true);
    v.setInt16(6, 0, true);
    this.polled = [];
    let off = POLLFD_SIZE;
    for (const [fd, w] of this.waiters) {
      v.setInt32(off, fd, true);
      v.setInt16(off + 4, w.events, true);
      v.setInt16(off + 6, 0, true);
      this.polled.push(fd);
      off += POLLFD_SIZE;
    }
    this.inFlight = true;
    libc().pollAsync(this.block.ptr, n, -1, (err, res) => this.settle(err, res));
  }

  private settle(err: unknown, res: number): void {
    this.inFlight = false;
    this.polls++;
    if (this.closed) {
      this.release();
      return;
    }
    const v = this.view;
    const c = libc();
    if (!err && res > 0) {
      if (v.getInt16(6, true) !== 0) {
        while (c.read(this.wakeFd, this.drain, 8) === 8) {
          // drain the eventfd counter
        }
      }
      let off = POLLFD_SIZE;
      for (const fd of this.polled) {
        const revents = v.getInt16(off + 6, true);
        off += POLLFD_SIZE;
        if (revents === 0) continue;
        const w = this.waiters.get(fd);
        if (!w) continue;
        this.waiters.delete(fd);
        w.resolve(revents & (w.events | POLLERR | POLLHUP | POLLNVAL));
      }
    }
    // res 0 cannot happen (no timeout); a failed poll (EINTR on the pool thread) is retried.
    this.polled = [];
    this.rearm();
  }
}

let shared: FdPoller | undefined;

/** The process-wide poller used by TUN devices and raw sockets unless one is passed in. */
export function defaultPoller(): FdPoller {
  if (!shared) shared = new FdPoller();
  return shared;
}
